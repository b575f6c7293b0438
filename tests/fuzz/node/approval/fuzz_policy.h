// The fixed policy the approval fuzz targets check bundles against: an
// Ed25519 approver (seed 32 x 0x42) and an ECDSA P-256 approver whose key is
// the curve's generator (private key 1). The seed corpus's bundle names
// both approvers' ids, so fuzzed approvals reach signature verification.
#ifndef NITRO_TSS_TESTS_FUZZ_NODE_APPROVAL_FUZZ_POLICY_H_
#define NITRO_TSS_TESTS_FUZZ_NODE_APPROVAL_FUZZ_POLICY_H_

#include <sodium.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "node/approval/policy.h"
#include "node/approval/request.h"

namespace nitro_tss::approval::fuzz {

inline const ApprovalPolicy& FuzzPolicy() {
  static const ApprovalPolicy* policy = [] {
    if (sodium_init() < 0) abort();
    unsigned char seed[crypto_sign_SEEDBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    for (unsigned char& b : seed) b = 0x42;
    crypto_sign_seed_keypair(pk, sk, seed);
    const std::string g = absl::HexStringToBytes(
        "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
    absl::StatusOr<ApproverKey> ed = ApproverKey::Parse(
        ApproverAlgorithm::kEd25519, absl::MakeConstSpan(pk, sizeof(pk)));
    absl::StatusOr<ApproverKey> p256 = ApproverKey::Parse(
        ApproverAlgorithm::kEcdsaP256Sha256,
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(g.data()),
                            g.size()));
    if (!ed.ok() || !p256.ok()) abort();
    absl::StatusOr<ApprovalPolicy> p = ApprovalPolicy::Create(
        {Approver{*ed, "fuzz-ed25519"}, Approver{*p256, "fuzz-p256"}},
        Quorum{1, 2, 2, 2});
    if (!p.ok()) abort();
    return new ApprovalPolicy(*std::move(p));
  }();
  return *policy;
}

}  // namespace nitro_tss::approval::fuzz

#endif  // NITRO_TSS_TESTS_FUZZ_NODE_APPROVAL_FUZZ_POLICY_H_
