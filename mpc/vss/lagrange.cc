#include "mpc/vss/lagrange.h"

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc {

absl::Status ValidateIds(absl::Span<const Scalar> ids) {
  if (ids.empty()) return absl::InvalidArgumentError("lagrange: empty id set");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].IsZero()) {
      return absl::InvalidArgumentError(
          absl::StrCat("lagrange: id at index ", i, " is zero"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (ids[i] == ids[j]) {
        return absl::InvalidArgumentError(
            absl::StrCat("lagrange: duplicate id at indices ", j, " and ", i));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Scalar>> LagrangeCoefficientsAtZero(
    absl::Span<const Scalar> ids) {
  if (absl::Status st = ValidateIds(ids); !st.ok()) return st;
  const size_t k = ids.size();
  // numerators[i] = prod_{j != i} x_j, denominators[i] = prod_{j != i}
  // (x_j - x_i). All non-zero since ids are distinct and non-zero.
  std::vector<Scalar> num(k, Scalar::One()), den(k, Scalar::One());
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      if (i == j) continue;
      num[i] = num[i] * ids[j];
      den[i] = den[i] * (ids[j] - ids[i]);
    }
  }
  // Batch inversion (Montgomery's trick): one field inversion.
  std::vector<Scalar> prefix(k);
  Scalar acc = Scalar::One();
  for (size_t i = 0; i < k; ++i) {
    prefix[i] = acc;
    acc = acc * den[i];
  }
  absl::StatusOr<Scalar> inv = acc.Inverse();
  if (!inv.ok()) return inv.status();  // unreachable for valid ids
  Scalar running = *inv;
  std::vector<Scalar> out(k);
  for (size_t i = k; i-- > 0;) {
    out[i] = num[i] * (running * prefix[i]);
    running = running * den[i];
  }
  return out;
}

absl::StatusOr<Scalar> LagrangeCoefficientAtZero(absl::Span<const Scalar> ids,
                                                 const Scalar& id) {
  if (absl::Status st = ValidateIds(ids); !st.ok()) return st;
  size_t index = ids.size();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == id) index = i;
  }
  if (index == ids.size()) {
    return absl::InvalidArgumentError(
        "lagrange: id is not a member of the signer set");
  }
  Scalar num = Scalar::One(), den = Scalar::One();
  for (size_t j = 0; j < ids.size(); ++j) {
    if (j == index) continue;
    num = num * ids[j];
    den = den * (ids[j] - id);
  }
  absl::StatusOr<Scalar> inv = den.Inverse();
  if (!inv.ok()) return inv.status();
  return num * *inv;
}

absl::StatusOr<Scalar> InterpolateAtZero(absl::Span<const Scalar> ids,
                                         absl::Span<const Scalar> values) {
  if (ids.size() != values.size()) {
    return absl::InvalidArgumentError(
        "lagrange: ids and values differ in length");
  }
  absl::StatusOr<std::vector<Scalar>> lambdas = LagrangeCoefficientsAtZero(ids);
  if (!lambdas.ok()) return lambdas.status();
  Scalar sum;
  for (size_t i = 0; i < ids.size(); ++i) sum = sum + (*lambdas)[i] * values[i];
  return sum;
}

absl::StatusOr<Point> InterpolatePointsAtZero(absl::Span<const Scalar> ids,
                                              absl::Span<const Point> points) {
  if (ids.size() != points.size()) {
    return absl::InvalidArgumentError(
        "lagrange: ids and values differ in length");
  }
  absl::StatusOr<std::vector<Scalar>> lambdas = LagrangeCoefficientsAtZero(ids);
  if (!lambdas.ok()) return lambdas.status();
  Point sum;
  for (size_t i = 0; i < ids.size(); ++i) {
    sum = sum + points[i].Mul((*lambdas)[i]);
  }
  return sum;
}

}  // namespace nitro_tss::mpc
