// Helpers shared by the elliptic-curve proofs: strict decoding of point and
// scalar protobuf fields, and appending points/scalars to Fiat–Shamir
// transcripts.
#ifndef NITRO_TSS_MPC_CURVE_CODEC_H_
#define NITRO_TSS_MPC_CURVE_CODEC_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/transcript/transcript.h"

namespace nitro_tss::mpc {

// Decodes a 33-byte compressed point field. Errors are
// "<context>: <field> missing" for an empty field and
// "<context>: <field>: <Point::Decode error>" otherwise.
absl::StatusOr<Point> DecodePointField(const std::string& bytes,
                                       absl::string_view context,
                                       absl::string_view field);

// Decodes a 32-byte scalar field (< n). Errors as DecodePointField with
// Scalar::FromBytes messages.
absl::StatusOr<Scalar> DecodeScalarField(const std::string& bytes,
                                         absl::string_view context,
                                         absl::string_view field);

// The field bytes of a point (must not be the identity: the identity is
// encoded as an empty field, which every decoder rejects) or a scalar.
std::string PointFieldBytes(const Point& p);
std::string ScalarFieldBytes(const Scalar& s);

// Error "<context>: unknown fields present" if `msg` (or any nested message)
// carries fields this build does not know, so no data rides along unchecked.
absl::Status RejectUnknownFields(const google::protobuf::Message& msg,
                                 absl::string_view context);

// Appends a point's canonical compressed encoding (33 zero bytes for the
// identity, which no valid encoding equals).
void AppendPoint(Transcript& t, absl::string_view label, const Point& p);
// Appends a scalar's 32-byte encoding.
void AppendScalar(Transcript& t, absl::string_view label, const Scalar& s);
// A challenge uniform in [0, n).
Scalar ChallengeScalar(Transcript& t, absl::string_view label);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_CURVE_CODEC_H_
