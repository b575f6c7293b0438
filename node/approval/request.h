// What approvers approve: a request to perform one operation with one key,
// and the exact bytes they sign. Pure code, no I/O.
//
// Canonical request encoding, version 1 (EncodeRequest / DecodeRequest;
// integers big-endian; no padding, no trailing bytes):
//
//   version          1   0x01
//   key_id          32   the key's id (mpc/gg20 KeyId: the hash of the key's
//                        public data computed at DKG)
//   operation        1   0x01 sign, 0x02 refresh, 0x03 reshare, 0x04 export
//   hash_function    1   0x01 SHA-256, 0x02 Keccak-256 (how message_digest
//                        was computed from the message the approver saw)
//   message_digest  32   sign: the digest to be signed; other operations:
//                        the digest of the operation's parameters, as the
//                        code that performs the operation defines it
//   path_len         1   d, 0..kMaxDerivationDepth (32)
//   derivation_path 4*d  d uint32 big-endian indices (empty: the root key)
//   expiry_unix_ms   8   uint64, milliseconds since 1970-01-01T00:00:00Z,
//                        > 0; the request is valid while now < expiry
//   nonce_len        1   n, 16..32
//   nonce            n   random bytes chosen by whoever drafts the request
//
// The approval message (what every approver signs, ApprovalMessage):
//
//   "nitro-tss/approval/v1/request" || 0x00 || canonical request encoding
//
// i.e. the 29 ASCII bytes of the tag, one zero byte, then the encoding
// above (93..237 bytes). Ed25519 approvers sign it as is;
// ECDSA P-256 approvers sign SHA-256 of it (policy.h). Example in python:
//
//   msg = (b"nitro-tss/approval/v1/request\x00" + bytes([1]) + key_id
//          + bytes([op, hash_fn]) + digest + bytes([len(path)])
//          + b"".join(i.to_bytes(4, "big") for i in path)
//          + expiry_ms.to_bytes(8, "big") + bytes([len(nonce)]) + nonce)
//
// (tests/node/approval/approval_interop.py builds it exactly this way.)
#ifndef NITRO_TSS_NODE_APPROVAL_REQUEST_H_
#define NITRO_TSS_NODE_APPROVAL_REQUEST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/approval/policy.h"

namespace nitro_tss::approval {

enum class HashFunction : uint8_t {
  kSha256 = 1,
  kKeccak256 = 2,
};

inline constexpr uint8_t kRequestVersion = 1;
inline constexpr size_t kKeyIdBytes = 32;
inline constexpr size_t kMessageDigestBytes = 32;
inline constexpr size_t kMaxDerivationDepth = 32;
inline constexpr size_t kMinNonceBytes = 16;
inline constexpr size_t kMaxNonceBytes = 32;
inline constexpr size_t kMinRequestBytes =
    1 + kKeyIdBytes + 1 + 1 + kMessageDigestBytes + 1 + 8 + 1 + kMinNonceBytes;
inline constexpr size_t kMaxRequestBytes =
    1 + kKeyIdBytes + 1 + 1 + kMessageDigestBytes + 1 +
    4 * kMaxDerivationDepth + 8 + 1 + kMaxNonceBytes;
// Hashed or signed followed by one 0x00 byte.
inline constexpr char kRequestTag[] = "nitro-tss/approval/v1/request";

using KeyId = std::array<uint8_t, kKeyIdBytes>;

// "sha256", "keccak256" ("hash function N" otherwise).
std::string HashFunctionName(HashFunction hash_function);

struct ApprovalRequest {
  KeyId key_id{};
  Operation operation{};         // 0 is invalid: set it
  HashFunction hash_function{};  // 0 is invalid: set it
  Digest32 message_digest{};
  std::vector<uint32_t> derivation_path;
  uint64_t expiry_unix_ms = 0;
  std::vector<uint8_t> nonce;

  friend bool operator==(const ApprovalRequest&,
                         const ApprovalRequest&) = default;
};

// InvalidArgument naming the field: unknown operation or hash function,
// derivation path longer than 32, expiry 0, nonce outside 16..32 bytes.
absl::Status ValidateRequest(const ApprovalRequest& request);

// The canonical encoding (format above); InvalidArgument as ValidateRequest.
absl::StatusOr<std::vector<uint8_t>> EncodeRequest(
    const ApprovalRequest& request);

// Strict decoding of a canonical encoding: InvalidArgument naming the field
// on oversize input, truncation, unknown version, operation or hash
// function, out-of-range lengths, zero expiry, trailing bytes.
absl::StatusOr<ApprovalRequest> DecodeRequest(absl::Span<const uint8_t> bytes);

// The bytes approvers sign: kRequestTag || 0x00 || EncodeRequest(request).
absl::StatusOr<std::vector<uint8_t>> ApprovalMessage(
    const ApprovalRequest& request);

}  // namespace nitro_tss::approval

#endif  // NITRO_TSS_NODE_APPROVAL_REQUEST_H_
