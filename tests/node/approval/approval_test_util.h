// Test approvers: Ed25519 (libsodium, from a seed) and ECDSA P-256 (OpenSSL)
// keys that sign approval messages the way approvers' tools do (pure
// Ed25519; DER ECDSA over SHA-256), and helpers to build policies and
// requests. Test-only (target approval_test_util).
#ifndef NITRO_TSS_TESTS_NODE_APPROVAL_APPROVAL_TEST_UTIL_H_
#define NITRO_TSS_TESTS_NODE_APPROVAL_APPROVAL_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "node/approval/policy.h"
#include "node/approval/request.h"
#include "node/approval/verifier.h"

namespace nitro_tss::approval::testing {

class TestSigner {
 public:
  virtual ~TestSigner() = default;
  virtual ApproverAlgorithm algorithm() const = 0;
  // Raw public key (32 bytes / 65-byte uncompressed point).
  virtual std::vector<uint8_t> raw_public_key() const = 0;
  // DER SubjectPublicKeyInfo.
  virtual std::vector<uint8_t> spki_der() const = 0;
  // PEM "PUBLIC KEY".
  virtual std::string spki_pem() const = 0;
  // Ed25519: 64-byte signature; P-256: DER ECDSA over SHA-256(message).
  virtual std::vector<uint8_t> Sign(
      absl::Span<const uint8_t> message) const = 0;

  ApproverKey key() const;
  ApproverId id() const { return key().id(); }
  // An approval of `request` by this signer.
  Approval Approve(const ApprovalRequest& request) const;
};

// Ed25519 from a 32-byte seed derived from `seed_byte`.
std::unique_ptr<TestSigner> MakeEd25519Signer(uint8_t seed_byte);
// A fresh P-256 key.
std::unique_ptr<TestSigner> MakeP256Signer();

// DER ECDSA signature -> raw r||s (64 bytes), and the high-S twin (s -> n-s)
// of a DER signature, re-encoded in DER.
std::vector<uint8_t> DerToRawRs(absl::Span<const uint8_t> der);
std::vector<uint8_t> HighSTwin(absl::Span<const uint8_t> der);

// A policy of `signers` (labels "approver-<i>") with the same quorum m for
// every operation unless `quorum` is given.
ApprovalPolicy MakePolicy(const std::vector<const TestSigner*>& signers,
                          uint32_t m);
ApprovalPolicy MakePolicy(const std::vector<const TestSigner*>& signers,
                          const Quorum& quorum);

// A valid sign request expiring at `expiry_unix_ms`, nonce from
// `nonce_byte`.
ApprovalRequest MakeRequest(uint64_t expiry_unix_ms, uint8_t nonce_byte = 1);

std::vector<uint8_t> Bytes(absl::string_view hex);
std::string Hex(absl::Span<const uint8_t> bytes);

}  // namespace nitro_tss::approval::testing

#endif  // NITRO_TSS_TESTS_NODE_APPROVAL_APPROVAL_TEST_UTIL_H_
