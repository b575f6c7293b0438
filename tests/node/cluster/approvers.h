// Test support: approvers as custody operators hold them (Ed25519 key
// pairs), the policy they form, and approval bundles for signing requests,
// built from the canonical request of node/approval (request.h).
#ifndef NITRO_TSS_TESTS_NODE_CLUSTER_APPROVERS_H_
#define NITRO_TSS_TESTS_NODE_CLUSTER_APPROVERS_H_

#include <openssl/sha.h>
#include <sodium.h>

#include <array>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/keccak.h"
#include "nitro_tss/approval/v1/approval.pb.h"
#include "node/approval/policy.h"
#include "node/approval/request.h"
#include "node/attestation/simulated_nsm.h"

namespace nitro_tss::testing {

// An approver's Ed25519 key pair (as `tssctl approve` or a python script
// would hold it).
struct Approver {
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
  Approver() { crypto_sign_keypair(pk.data(), sk.data()); }
  approval::ApproverId Id() const {
    return approval::ComputeApproverId(approval::ApproverAlgorithm::kEd25519,
                                       pk);
  }
};

// Three approvers, two of whom must approve a signature.
inline approval::v1::ApprovalPolicy PolicyOf(
    const std::vector<Approver>& approvers, uint32_t sign_quorum) {
  approval::v1::ApprovalPolicy p;
  p.set_version(1);
  for (size_t i = 0; i < approvers.size(); ++i) {
    auto* a = p.add_approvers();
    a->set_algorithm(approval::v1::APPROVER_ALGORITHM_ED25519);
    a->set_public_key(
        std::string(approvers[i].pk.begin(), approvers[i].pk.end()));
    a->set_label(absl::StrCat("approver-", i + 1));
  }
  p.mutable_quorum()->set_sign(sign_quorum);
  p.mutable_quorum()->set_refresh(sign_quorum);
  p.mutable_quorum()->set_reshare(sign_quorum);
  p.mutable_quorum()->set_export_key(static_cast<uint32_t>(approvers.size()));
  return p;
}

// What the approvers look at and sign: the canonical request for signing
// `message` (SHA-256) with key `key_id_hex`.
struct ApprovalSpec {
  std::string key_id_hex;
  std::string message;
  std::vector<uint32_t> path;
  int64_t expiry_ms = 0;  // 0: now + 1 hour
  std::vector<const Approver*> by;
  bool keccak = false;  // the request hashes with Keccak-256 (else SHA-256)
};

inline approval::v1::ApprovalBundle Approve(const ApprovalSpec& spec) {
  approval::ApprovalRequest req;
  const std::string kid = absl::HexStringToBytes(spec.key_id_hex);
  std::copy(kid.begin(), kid.end(), req.key_id.begin());
  req.operation = approval::Operation::kSign;
  if (spec.keccak) {
    req.hash_function = approval::HashFunction::kKeccak256;
    const auto d = keccak::Keccak256(absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(spec.message.data()),
        spec.message.size()));
    std::copy(d.begin(), d.end(), req.message_digest.begin());
  } else {
    req.hash_function = approval::HashFunction::kSha256;
    SHA256(reinterpret_cast<const uint8_t*>(spec.message.data()),
           spec.message.size(), req.message_digest.data());
  }
  req.derivation_path = spec.path;
  req.expiry_unix_ms = static_cast<uint64_t>(
      spec.expiry_ms != 0 ? spec.expiry_ms
                          : attestation::WallClockMs() + 3600 * 1000);
  req.nonce.resize(24);
  randombytes_buf(req.nonce.data(), req.nonce.size());
  auto msg = approval::ApprovalMessage(req);
  approval::v1::ApprovalBundle b;
  b.set_expiry_unix_ms(req.expiry_unix_ms);
  b.set_nonce(std::string(req.nonce.begin(), req.nonce.end()));
  for (const Approver* a : spec.by) {
    std::array<uint8_t, crypto_sign_BYTES> sig{};
    crypto_sign_detached(sig.data(), nullptr, msg->data(), msg->size(),
                         a->sk.data());
    auto* ap = b.add_approvals();
    const auto id = a->Id();
    ap->set_approver_id(std::string(id.begin(), id.end()));
    ap->set_signature(std::string(sig.begin(), sig.end()));
  }
  return b;
}

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_NODE_CLUSTER_APPROVERS_H_
