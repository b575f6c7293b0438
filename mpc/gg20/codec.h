// Small strict codecs shared by the GG20 round payloads: integers, points,
// scalars and embedded proof messages in protobuf bytes fields, plus
// hash commitments. Every decoder names the payload and field in its error.
#ifndef NITRO_TSS_MPC_GG20_CODEC_H_
#define NITRO_TSS_MPC_GG20_CODEC_H_

#include <google/protobuf/message.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/secure_bytes.h"

namespace nitro_tss::mpc::gg20 {

// Size limits of embedded fields.
inline constexpr size_t kDigestBytes = 32;
inline constexpr size_t kMaxModulusMagnitudeBytes = 256;     // 2048 bits
inline constexpr size_t kMaxCiphertextMagnitudeBytes = 512;  // < N^2
inline constexpr size_t kMaxProofBytes = 256 << 10;

// Canonical signed integer (BigInt::ToSignedBytes) with a magnitude of at
// most `max_bytes`. Errors "<what>: <field> missing" / "<what>: <field>: ...".
absl::StatusOr<BigInt> DecodeInt(const std::string& bytes, size_t max_bytes,
                                 absl::string_view what,
                                 absl::string_view field);
std::string EncodeInt(const BigInt& v);

// 33-byte compressed point, never the identity.
absl::StatusOr<Point> DecodePt(const std::string& bytes, absl::string_view what,
                               absl::string_view field);
// The identity encodes as an empty field (rejected by DecodePt).
std::string EncodePt(const Point& p);

// 32-byte scalar < n.
absl::StatusOr<Scalar> DecodeSc(const std::string& bytes,
                                absl::string_view what,
                                absl::string_view field);
std::string EncodeSc(const Scalar& s);

// Exactly 32 bytes.
absl::StatusOr<std::array<uint8_t, kDigestBytes>> DecodeDigest(
    const std::string& bytes, absl::string_view what, absl::string_view field);

// Parses an embedded message of at most `max_bytes` bytes strictly: it must
// be non-empty, parse completely, carry no unknown fields (at any depth) and
// re-serialize to the same bytes (no duplicated or out-of-order fields).
absl::Status ParseEmbedded(const std::string& bytes, size_t max_bytes,
                           google::protobuf::Message& out,
                           absl::string_view what, absl::string_view field);
// Parses a round payload (a top-level message) with the same strictness.
absl::Status ParsePayload(absl::Span<const uint8_t> bytes,
                          google::protobuf::Message& out,
                          absl::string_view what);
// Serializes a round payload into a buffer that is wiped when freed, with
// no intermediate copy (payloads may carry secrets, e.g. VSS shares).
SecureBytes SerializePayload(const google::protobuf::MessageLite& m);
std::string SerializeEmbedded(const google::protobuf::MessageLite& m);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_CODEC_H_
