// Lagrange interpolation at 0 over Z_n (n = secp256k1 order), for Shamir /
// Feldman shares and threshold signing.
//
// Evaluation points ("ids") are Scalars: they must be non-zero (0 is where
// the secret lives) and pairwise distinct (as values mod n).
#ifndef NITRO_TSS_MPC_VSS_LAGRANGE_H_
#define NITRO_TSS_MPC_VSS_LAGRANGE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/curve/secp256k1.h"

namespace nitro_tss::mpc {

// OK iff every id is non-zero and all are distinct. Errors:
// "lagrange: id at index <i> is zero", "lagrange: duplicate id at indices
// <i> and <j>", "lagrange: empty id set".
absl::Status ValidateIds(absl::Span<const Scalar> ids);

// lambda_id = prod_{j in ids, j != id} j / (j - id), so that
// f(0) = sum_{i in ids} lambda_i * f(i) for every polynomial f of degree
// < |ids|. Errors: those of ValidateIds, and "lagrange: id is not a member
// of the signer set".
absl::StatusOr<Scalar> LagrangeCoefficientAtZero(absl::Span<const Scalar> ids,
                                                 const Scalar& id);

// All coefficients, in the order of `ids` (one inversion in total).
absl::StatusOr<std::vector<Scalar>> LagrangeCoefficientsAtZero(
    absl::Span<const Scalar> ids);

// sum_i lambda_i * values[i]: f(0) from (ids[i], values[i] = f(ids[i])).
// Error "lagrange: ids and values differ in length" plus ValidateIds errors.
absl::StatusOr<Scalar> InterpolateAtZero(absl::Span<const Scalar> ids,
                                         absl::Span<const Scalar> values);

// The same "in the exponent": sum_i lambda_i * points[i].
absl::StatusOr<Point> InterpolatePointsAtZero(absl::Span<const Scalar> ids,
                                              absl::Span<const Point> points);

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_VSS_LAGRANGE_H_
