// Offline verification of ECDSA secp256k1 signatures (`tssctl verify`): the
// strict parsers of its inputs (public keys, signatures, digests) and the
// verification itself, on mpc/curve (libsecp256k1, with its recovery
// module) so that it is the same code the signing path checks its output
// with. No I/O here (the command reads files, this parses bytes).
//
// Public keys (ParsePublicKey / ParsePublicKeySpki)
//   SEC1: 33 bytes 02|03 || X (compressed) or 65 bytes 04 || X || Y
//   (uncompressed); the point must be on secp256k1 (libsecp256k1 parsing).
//   The "hybrid" prefixes 06/07, the infinity byte 00 and other lengths are
//   refused.
//   SubjectPublicKeyInfo, PEM ("-----BEGIN PUBLIC KEY-----", nothing but
//   whitespace after the block) or DER, of an id-ecPublicKey key on the
//   named curve secp256k1 (OID 1.3.132.0.10) as `openssl ec -pubout` writes
//   it; keys on other curves and other algorithms are refused.
//
// Signatures (ParseSignature)
//   DER: an ECDSA-Sig-Value SEQUENCE { INTEGER r, INTEGER s } in strict DER
//     (BIP 66: minimal lengths and integers, no trailing bytes), 8..72
//     bytes, with 0 < r, s < n.
//   Compact: 64 bytes r || s (32-byte big-endian each, 0 < r, s < n).
//   Recoverable compact: 65 bytes r || s || v with v = recovery id (0..3) or
//     27 + recovery id (27..30, Ethereum's `v` for messages).
//   kAuto picks compact for 64 and 65 bytes and DER otherwise (a DER
//   signature of exactly 64 or 65 bytes is possible but needs r or s below
//   2^200; pass kDer for it).
//
// Low-S policy (VerifySignature): by default a signature whose s > n/2 is
//   refused (HIGH_S). ECDSA accepts both (r, s) and (r, n - s), which makes
//   signatures malleable; Bitcoin (BIP 62/146, libsecp256k1's
//   secp256k1_ecdsa_verify) and Ethereum (EIP-2, for transactions and
//   ecrecover users) accept only low S, and the nitro-tss cluster always
//   produces low S (mpc/gg20 CombineShares normalizes). `allow_high_s`
//   accepts high S (e.g. a signature made by OpenSSL or python
//   `cryptography`, which do not normalize) by verifying (r, n - s); the
//   result then says the S was high.
//
// Recovery: with a recovery id (from a 65-byte signature, or given
//   separately), the public key is recovered from (digest, r, s, id) and
//   must equal the given public key (RECOVERY_MISMATCH otherwise); with an
//   Ethereum address instead of a public key, the recovered key's address
//   must equal it (ADDRESS_MISMATCH). The recovery id belongs to the
//   signature as given: for a high-S signature it is the id of (r, s), not
//   of (r, n - s).
#ifndef NITRO_TSS_TOOLS_TSSCTL_SECP256K1_VERIFY_H_
#define NITRO_TSS_TOOLS_TSSCTL_SECP256K1_VERIFY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/ethereum.h"
#include "mpc/curve/secp256k1.h"

namespace nitro_tss::tssctl {

inline constexpr size_t kDigestBytes = 32;
inline constexpr size_t kMinDerSignatureBytes = 8;
inline constexpr size_t kMaxDerSignatureBytes = 72;
inline constexpr size_t kCompactSignatureBytes = 64;
inline constexpr size_t kRecoverableSignatureBytes = 65;
// Largest PEM/DER SubjectPublicKeyInfo ParsePublicKeySpki looks at.
inline constexpr size_t kMaxSpkiBytes = 4096;

using Digest = std::array<uint8_t, kDigestBytes>;

// A secp256k1 public key in both SEC1 encodings (never the identity).
struct PublicKey {
  mpc::Point point;
  std::array<uint8_t, 33> compressed{};
  std::array<uint8_t, 65> uncompressed{};
};

// 33- or 65-byte SEC1 encoding (above). InvalidArgument naming the problem.
absl::StatusOr<PublicKey> ParsePublicKey(absl::Span<const uint8_t> sec1);
// PEM or DER SubjectPublicKeyInfo on secp256k1 (above). InvalidArgument.
absl::StatusOr<PublicKey> ParsePublicKeySpki(absl::Span<const uint8_t> bytes);
// The encodings of a (non-identity) point.
absl::StatusOr<PublicKey> PublicKeyFromPoint(const mpc::Point& point);

// The Ethereum address of `key`.
ethereum::Address AddressOf(const PublicKey& key);

enum class SignatureEncoding { kAuto, kDer, kCompact };
enum class SignatureFormat { kDer, kCompact, kCompactRecoverable };

// "der", "compact", "compact-recoverable".
std::string SignatureFormatName(SignatureFormat format);

struct ParsedSignature {
  SignatureFormat format = SignatureFormat::kDer;
  mpc::Scalar r;                   // 0 < r < n
  mpc::Scalar s;                   // 0 < s < n, as given (not normalized)
  std::optional<int> recovery_id;  // 0..3 (65-byte form)
  std::optional<uint8_t> v;        // the 65th byte as given
};

// Strict parsing (above). InvalidArgument naming the problem: a length no
// format has, non-strict DER, trailing bytes, r or s zero or >= n, v not in
// 0..3 or 27..30.
absl::StatusOr<ParsedSignature> ParseSignature(absl::Span<const uint8_t> bytes,
                                               SignatureEncoding encoding);

// v (0..3 or 27..30) -> recovery id 0..3; InvalidArgument otherwise.
absl::StatusOr<int> RecoveryIdFromV(uint8_t v);

// Strict DER of (r, s) (libsecp256k1's serializer).
std::vector<uint8_t> SignatureDer(const mpc::Scalar& r, const mpc::Scalar& s);

enum class VerifyCode {
  kOk,
  kBadSignature,      // does not verify under the key
  kHighS,             // s > n/2 and !allow_high_s
  kRecoveryFailed,    // no key recovers from (digest, r, s, id)
  kRecoveryMismatch,  // the recovered key is not the given key
  kAddressMismatch,   // the recovered key's address is not the given one
};

// "OK", "BAD_SIGNATURE", "HIGH_S", "RECOVERY_FAILED", "RECOVERY_MISMATCH",
// "ADDRESS_MISMATCH".
std::string VerifyCodeName(VerifyCode code);

struct VerifyRequest {
  // Exactly one of the two. With only an address, the signature needs a
  // recovery id.
  std::optional<PublicKey> public_key;
  std::optional<ethereum::Address> address;
  Digest digest{};
  ParsedSignature signature;
  // Overrides signature.recovery_id (for DER and 64-byte signatures).
  std::optional<int> recovery_id;
  bool allow_high_s = false;
};

struct VerifyResult {
  VerifyCode code = VerifyCode::kBadSignature;
  std::string message;  // why, for humans ("" when kOk)
  bool low_s = false;
  std::optional<int> recovery_id;  // the id that was checked, if any
  std::optional<PublicKey> recovered_key;
  // The key the signature was checked against (given, or recovered when
  // only an address was given).
  std::optional<PublicKey> key;
};

// Verifies (policy above). InvalidArgument (not a VerifyResult) only for a
// request that is not well formed: neither or both of public_key/address,
// an address without a recovery id, a recovery id outside 0..3.
absl::StatusOr<VerifyResult> VerifySignature(const VerifyRequest& request);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_SECP256K1_VERIFY_H_
