// Feldman verifiable secret sharing over secp256k1.
//
// A dealer with secret a_0 picks f(z) = a_0 + a_1 z + ... + a_t z^t (a_k
// uniform non-zero for k >= 1), publishes C_k = a_k * G for k = 0..t and
// privately sends f(id) to each party. A receiver checks
//     f(id) * G == sum_k C_k * id^k.
//
// Strictness (Trail of Bits 2024 "threshold raising"): the verifier's own
// threshold t decides the expected commitment count; a vector with any other
// length than t + 1 is rejected, never accepted as a higher-degree sharing.
// Ids are non-zero and pairwise distinct mod n; commitments are never the
// identity.
#ifndef NITRO_TSS_MPC_VSS_FELDMAN_H_
#define NITRO_TSS_MPC_VSS_FELDMAN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/random.h"
#include "nitro_tss/mpc/v1/ec_proofs.pb.h"

namespace nitro_tss::mpc {

// Upper bound on t accepted anywhere (also bounds decoding work).
inline constexpr size_t kMaxVssThreshold = 255;

struct VssShare {
  Scalar id;     // evaluation point, non-zero
  Scalar value;  // f(id) -- secret
};

struct FeldmanDealing {
  std::vector<Point> commitments;  // exactly t + 1
  std::vector<VssShare> shares;    // one per party id, in input order
};

// Shares `secret` with threshold t (any t + 1 shares reconstruct, t reveal
// nothing) among `party_ids`. Errors: "vss: secret is zero",
// "vss: threshold <t> exceeds the maximum <kMaxVssThreshold>",
// "vss: <k> parties cannot meet threshold <t> (need at least t + 1)",
// and the ValidateIds errors (prefixed "vss: ").
absl::StatusOr<FeldmanDealing> FeldmanShare(const Scalar& secret,
                                            size_t threshold,
                                            absl::Span<const Scalar> party_ids,
                                            RandomSource& rng);

// Checks a dealer's commitment vector against the verifier's threshold.
// Errors name the dealer:
//   "vss: dealer <d>: expected exactly <t+1> commitments, got <k>"
//   "vss: dealer <d>: commitment <k> is the identity"
absl::Status ValidateCommitments(absl::Span<const Point> commitments,
                                 size_t threshold, uint32_t dealer);

// sum_k C_k * id^k: the public image f(id) * G of party `id`'s share
// (its public key share for this dealer). Validates commitments as above and
// the id: "vss: dealer <d>: share id is zero".
absl::StatusOr<Point> PublicShare(absl::Span<const Point> commitments,
                                  size_t threshold, const Scalar& id,
                                  uint32_t dealer);

// Verifies `share` (= f(id)) against the commitments. Errors: those of
// PublicShare and "vss: dealer <d>: share for id <id hex> does not match the
// commitments" (a complaint against dealer d).
absl::Status VerifyShare(const Scalar& share, const Scalar& id,
                         absl::Span<const Point> commitments, size_t threshold,
                         uint32_t dealer);

// Serialization. FromProto checks the count against the verifier's
// threshold before decoding any point (so an oversized vector costs
// nothing), then decodes each point strictly. Errors start "vss: ".
nitro_tss::mpc::v1::VssCommitments CommitmentsToProto(
    absl::Span<const Point> commitments);
absl::StatusOr<std::vector<Point>> CommitmentsFromProto(
    const nitro_tss::mpc::v1::VssCommitments& proto, size_t threshold,
    uint32_t dealer);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_VSS_FELDMAN_H_
