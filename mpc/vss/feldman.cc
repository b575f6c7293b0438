#include "mpc/vss/feldman.h"

#include "absl/strings/str_cat.h"
#include "mpc/curve/codec.h"
#include "mpc/vss/lagrange.h"

namespace nitro_tss::mpc {
namespace {

absl::Status DealerError(uint32_t dealer, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("vss: dealer ", dealer, ": ", what));
}

// Horner evaluation of f at x.
Scalar Evaluate(absl::Span<const Scalar> coefficients, const Scalar& x) {
  Scalar acc;
  for (size_t k = coefficients.size(); k-- > 0;) {
    acc = acc * x + coefficients[k];
  }
  return acc;
}

}  // namespace

absl::StatusOr<FeldmanDealing> FeldmanShare(const Scalar& secret,
                                            size_t threshold,
                                            absl::Span<const Scalar> party_ids,
                                            RandomSource& rng) {
  if (secret.IsZero()) return absl::InvalidArgumentError("vss: secret is zero");
  if (threshold > kMaxVssThreshold) {
    return absl::InvalidArgumentError(absl::StrCat("vss: threshold ", threshold,
                                                   " exceeds the maximum ",
                                                   kMaxVssThreshold));
  }
  if (party_ids.size() < threshold + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vss: ", party_ids.size(), " parties cannot meet threshold ", threshold,
        " (need at least t + 1)"));
  }
  if (absl::Status st = ValidateIds(party_ids); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("vss: ", st.message()));
  }
  std::vector<Scalar> coefficients;
  coefficients.reserve(threshold + 1);
  coefficients.push_back(secret);
  for (size_t k = 1; k <= threshold; ++k) {
    coefficients.push_back(Scalar::RandomNonZero(rng));
  }
  FeldmanDealing out;
  out.commitments.reserve(threshold + 1);
  for (const Scalar& a : coefficients) {
    out.commitments.push_back(Point::MulBase(a));
  }
  out.shares.reserve(party_ids.size());
  for (const Scalar& id : party_ids) {
    out.shares.push_back(VssShare{id, Evaluate(coefficients, id)});
  }
  for (Scalar& a : coefficients) a.Wipe();
  return out;
}

absl::Status ValidateCommitments(absl::Span<const Point> commitments,
                                 size_t threshold, uint32_t dealer) {
  if (threshold > kMaxVssThreshold || commitments.size() != threshold + 1) {
    return DealerError(dealer,
                       absl::StrCat("expected exactly ", threshold + 1,
                                    " commitments, got ", commitments.size()));
  }
  for (size_t k = 0; k < commitments.size(); ++k) {
    if (commitments[k].IsIdentity()) {
      return DealerError(dealer,
                         absl::StrCat("commitment ", k, " is the identity"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Point> PublicShare(absl::Span<const Point> commitments,
                                  size_t threshold, const Scalar& id,
                                  uint32_t dealer) {
  if (absl::Status st = ValidateCommitments(commitments, threshold, dealer);
      !st.ok()) {
    return st;
  }
  if (id.IsZero()) return DealerError(dealer, "share id is zero");
  // Horner in the exponent: ((C_t * id + C_{t-1}) * id + ...) + C_0.
  Point acc;
  for (size_t k = commitments.size(); k-- > 0;) {
    acc = acc.Mul(id) + commitments[k];
  }
  return acc;
}

absl::Status VerifyShare(const Scalar& share, const Scalar& id,
                         absl::Span<const Point> commitments, size_t threshold,
                         uint32_t dealer) {
  absl::StatusOr<Point> expected =
      PublicShare(commitments, threshold, id, dealer);
  if (!expected.ok()) return expected.status();
  if (Point::MulBase(share) != *expected) {
    return DealerError(dealer,
                       absl::StrCat("share for id ", id.ToBigInt().ToHex(),
                                    " does not match the commitments"));
  }
  return absl::OkStatus();
}

nitro_tss::mpc::v1::VssCommitments CommitmentsToProto(
    absl::Span<const Point> commitments) {
  nitro_tss::mpc::v1::VssCommitments p;
  for (const Point& c : commitments) p.add_points(PointFieldBytes(c));
  return p;
}

absl::StatusOr<std::vector<Point>> CommitmentsFromProto(
    const nitro_tss::mpc::v1::VssCommitments& proto, size_t threshold,
    uint32_t dealer) {
  const std::string ctx = absl::StrCat("vss: dealer ", dealer);
  if (absl::Status st = RejectUnknownFields(proto, ctx); !st.ok()) return st;
  if (threshold > kMaxVssThreshold ||
      static_cast<size_t>(proto.points_size()) != threshold + 1) {
    return DealerError(dealer,
                       absl::StrCat("expected exactly ", threshold + 1,
                                    " commitments, got ", proto.points_size()));
  }
  std::vector<Point> out;
  out.reserve(proto.points_size());
  for (int k = 0; k < proto.points_size(); ++k) {
    absl::StatusOr<Point> p =
        DecodePointField(proto.points(k), ctx, absl::StrCat("commitment ", k));
    if (!p.ok()) return p.status();
    out.push_back(*p);
  }
  return out;
}

}  // namespace nitro_tss::mpc
