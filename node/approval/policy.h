// A key's approval policy: approver public keys and a quorum m-of-k per
// operation, fixed at DKG. Pure code, no I/O.
//
// Approver keys
//   Ed25519 (RFC 8032): the 32-byte public key, a valid point of the
//     prime-order subgroup (libsodium crypto_core_ed25519_is_valid_point:
//     canonical, not of small order). Signatures: pure Ed25519 over the
//     approval message, 64 bytes.
//   ECDSA P-256 with SHA-256: the 65-byte uncompressed SEC1 point
//     04 || X || Y (32-byte big-endian coordinates), on the curve (OpenSSL
//     EVP public-key check). Signatures: ECDSA over SHA-256(approval
//     message), DER-encoded Ecdsa-Sig-Value (SEQUENCE { INTEGER r, INTEGER s
//     }) in strict DER, 8..72 bytes. This is what hardware keys produce
//     through their standard tools: a YubiKey PIV slot via
//     `yubico-piv-tool -a verify-pin --sign -s 9c -A ECCP256 -H SHA256
//     -i message.bin -o approval.sig` (checkable with `openssl dgst -sha256
//     -verify pub.pem -signature approval.sig message.bin`), PKCS#11 tokens
//     and HSMs via `pkcs11-tool --sign --mechanism ECDSA-SHA256
//     --signature-format openssl`, software keys via `openssl dgst -sha256
//     -sign key.pem`, python `cryptography`
//     `key.sign(msg, ec.ECDSA(hashes.SHA256()))`. Raw r||s (64 bytes) is not
//     accepted. Both s and n-s verify (hardware does not normalize s); this
//     gives no extra approval: approvers are counted by id and a request by
//     its nonce.
//   ApproverKey::Parse accepts, per algorithm, the raw form above, a DER
//   SubjectPublicKeyInfo (`openssl pkey -pubout -outform DER`), or the same
//   in PEM, "-----BEGIN PUBLIC KEY-----" (`ykman piv keys export 9c
//   pub.pem`, or `openssl x509 -pubkey -noout` of the slot's certificate).
//   A P-256 SPKI with a compressed point is accepted and normalized to the
//   uncompressed point; an SPKI of another algorithm or curve is refused.
//   The policy keeps only the raw form.
//
// Approver id (how an approval names its approver), 32 bytes:
//   SHA-256("nitro-tss/approval/v1/approver" || 0x00 || algorithm (1 byte)
//           || raw public key (32 or 65 bytes))
//
// Canonical policy encoding, version 1 (EncodePolicy / DecodePolicy;
// integers are single bytes; no padding, no trailing bytes):
//
//   version          1   0x01
//   approver_count   1   k, 1..kMaxApprovers (32)
//   k times, in strictly ascending lexicographic order of
//   (algorithm || public_key), which also makes the keys distinct:
//     algorithm      1   0x01 Ed25519, 0x02 ECDSA P-256/SHA-256
//     public_key    32   (Ed25519) or 65 (P-256, 04 || X || Y)
//     label_len      1   0..kMaxLabelBytes (64)
//     label          label_len bytes, printable ASCII 0x20..0x7e
//   quorum_sign      1   1..k
//   quorum_refresh   1   1..k
//   quorum_reshare   1   1..k
//   quorum_export    1   1..k
//
// Policy digest (PolicyDigest; bound by the DKG into the key id
// confirmation and the sealed record), 32 bytes:
//   SHA-256("nitro-tss/approval/v1/policy" || 0x00 || canonical encoding)
//
// Labels are part of the digest (renaming an approver is a policy change);
// the order in which approvers were configured is not (Create sorts them).
#ifndef NITRO_TSS_NODE_APPROVAL_POLICY_H_
#define NITRO_TSS_NODE_APPROVAL_POLICY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace nitro_tss::approval {

enum class ApproverAlgorithm : uint8_t {
  kEd25519 = 1,
  kEcdsaP256Sha256 = 2,
};

enum class Operation : uint8_t {
  kSign = 1,
  kRefresh = 2,
  kReshare = 3,
  kExport = 4,
};

inline constexpr uint8_t kPolicyVersion = 1;
inline constexpr size_t kMaxApprovers = 32;
inline constexpr size_t kMaxLabelBytes = 64;
inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kP256PublicKeyBytes = 65;
inline constexpr size_t kEd25519SignatureBytes = 64;
inline constexpr size_t kMinP256SignatureBytes = 8;
inline constexpr size_t kMaxP256SignatureBytes = 72;
inline constexpr size_t kMaxSignatureBytes = kMaxP256SignatureBytes;
// Largest input ApproverKey::Parse looks at (PEM of a P-256 SPKI is ~180).
inline constexpr size_t kMaxEncodedPublicKeyBytes = 1024;
inline constexpr size_t kMaxPolicyBytes =
    2 + kMaxApprovers * (1 + kP256PublicKeyBytes + 1 + kMaxLabelBytes) + 4;
inline constexpr size_t kDigestBytes = 32;
// Domain tags; each is hashed followed by one 0x00 byte.
inline constexpr char kApproverIdTag[] = "nitro-tss/approval/v1/approver";
inline constexpr char kPolicyDigestTag[] = "nitro-tss/approval/v1/policy";

using ApproverId = std::array<uint8_t, kDigestBytes>;
using Digest32 = std::array<uint8_t, kDigestBytes>;

// "sign", "refresh", "reshare", "export" ("operation N" otherwise).
std::string OperationName(Operation operation);
// "ed25519", "ecdsa-p256-sha256" ("algorithm N" otherwise).
std::string AlgorithmName(ApproverAlgorithm algorithm);
// True for the four operations above.
bool IsKnownOperation(uint8_t value);

// An approver's public key in its canonical raw form.
class ApproverKey {
 public:
  // Parses `encoded` (raw, DER SPKI or PEM, see above) for `algorithm`.
  // InvalidArgument naming the problem: unknown algorithm, size, not a
  // point of the curve / small order, SPKI of another algorithm or curve,
  // trailing bytes.
  static absl::StatusOr<ApproverKey> Parse(ApproverAlgorithm algorithm,
                                           absl::Span<const uint8_t> encoded);

  ApproverAlgorithm algorithm() const { return algorithm_; }
  // 32 bytes (Ed25519) or 65 bytes (P-256, uncompressed).
  const std::vector<uint8_t>& public_key() const { return public_key_; }
  const ApproverId& id() const { return id_; }

  // Verifies `signature` (format per algorithm, above) over `message`.
  // InvalidArgument if the signature is malformed (Ed25519 not 64 bytes;
  // ECDSA not strict DER or out of 8..72 bytes), PermissionDenied if it
  // does not verify. Thread-safe (no shared OpenSSL object is used: each
  // call builds its own).
  absl::Status Verify(absl::Span<const uint8_t> message,
                      absl::Span<const uint8_t> signature) const;

  friend bool operator==(const ApproverKey& a, const ApproverKey& b) {
    return a.algorithm_ == b.algorithm_ && a.public_key_ == b.public_key_;
  }

 private:
  ApproverKey(ApproverAlgorithm algorithm, std::vector<uint8_t> public_key);

  ApproverAlgorithm algorithm_;
  std::vector<uint8_t> public_key_;
  ApproverId id_{};
};

// SHA-256(kApproverIdTag || 0x00 || algorithm || raw_public_key).
ApproverId ComputeApproverId(ApproverAlgorithm algorithm,
                             absl::Span<const uint8_t> raw_public_key);

struct Approver {
  ApproverKey key;
  std::string label;  // 0..64 printable ASCII
};

// "approver 'label' (ed25519, id 0123456789abcdef)": the label (if any), the
// algorithm and the first 8 bytes of the id in hex.
std::string DescribeApprover(const Approver& approver);

// m per operation.
struct Quorum {
  uint32_t sign = 0;
  uint32_t refresh = 0;
  uint32_t reshare = 0;
  uint32_t export_key = 0;

  // The m of `operation` (0 for an unknown operation).
  uint32_t For(Operation operation) const;
  friend bool operator==(const Quorum&, const Quorum&) = default;
};

// A validated policy in canonical order. Immutable; copyable; safe to share
// between threads.
class ApprovalPolicy {
 public:
  // Validates and canonicalizes: 1..kMaxApprovers approvers with distinct
  // keys (the same P-256 key given as SPKI and as a raw point is the same
  // key), labels of 0..64 printable ASCII characters, every quorum in 1..k.
  // Approvers are sorted into canonical order. InvalidArgument naming the
  // field (duplicates name both approvers).
  static absl::StatusOr<ApprovalPolicy> Create(std::vector<Approver> approvers,
                                               const Quorum& quorum);

  // In canonical order (ascending algorithm || public_key).
  const std::vector<Approver>& approvers() const { return approvers_; }
  const Quorum& quorum() const { return quorum_; }
  // The approver with id `id`, or null (ids compared in constant time).
  const Approver* Find(const ApproverId& id) const;
  // The canonical encoding (format above) and its digest.
  const std::vector<uint8_t>& encoding() const { return encoding_; }
  const Digest32& digest() const { return digest_; }

 private:
  ApprovalPolicy() = default;

  std::vector<Approver> approvers_;
  Quorum quorum_;
  std::vector<uint8_t> encoding_;
  Digest32 digest_{};
};

// The canonical encoding of `policy` (format above).
std::vector<uint8_t> EncodePolicy(const ApprovalPolicy& policy);

// Strictly decodes a canonical encoding: InvalidArgument naming the field on
// oversize input, truncation, unknown version or algorithm, out-of-range
// counts, lengths or quorums, non-printable labels, invalid keys, approvers
// out of canonical order or repeated, trailing bytes.
absl::StatusOr<ApprovalPolicy> DecodePolicy(absl::Span<const uint8_t> bytes);

// SHA-256(kPolicyDigestTag || 0x00 || EncodePolicy(policy)).
Digest32 PolicyDigest(const ApprovalPolicy& policy);

}  // namespace nitro_tss::approval

#endif  // NITRO_TSS_NODE_APPROVAL_POLICY_H_
