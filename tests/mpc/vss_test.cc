// Feldman VSS and Lagrange interpolation over secp256k1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mpc/vss/feldman.h"
#include "mpc/vss/lagrange.h"

namespace nitro_tss::mpc {
namespace {

using ::testing::HasSubstr;

std::vector<Scalar> Ids(std::initializer_list<uint64_t> v) {
  std::vector<Scalar> out;
  for (uint64_t x : v) out.push_back(Scalar::FromU64(x));
  return out;
}

// All subsets of {0..n-1} of size k.
void Subsets(size_t n, size_t k, size_t start, std::vector<size_t>& cur,
             std::vector<std::vector<size_t>>& out) {
  if (cur.size() == k) {
    out.push_back(cur);
    return;
  }
  for (size_t i = start; i < n; ++i) {
    cur.push_back(i);
    Subsets(n, k, i + 1, cur, out);
    cur.pop_back();
  }
}

std::vector<std::vector<size_t>> AllSubsets(size_t n, size_t k) {
  std::vector<std::vector<size_t>> out;
  std::vector<size_t> cur;
  Subsets(n, k, 0, cur, out);
  return out;
}

Scalar Reconstruct(const FeldmanDealing& d, const std::vector<size_t>& subset) {
  std::vector<Scalar> ids, values;
  for (size_t i : subset) {
    ids.push_back(d.shares[i].id);
    values.push_back(d.shares[i].value);
  }
  return *InterpolateAtZero(ids, values);
}

TEST(Feldman, SharesVerifyAndAnyTPlusOneReconstruct) {
  DeterministicRandom rng(11);
  const size_t t = 2;
  const std::vector<Scalar> ids = Ids({1, 2, 3, 4, 5});
  Scalar secret = Scalar::RandomNonZero(rng);
  auto d = FeldmanShare(secret, t, ids, rng);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->commitments.size(), t + 1);
  EXPECT_EQ(d->commitments[0], Point::MulBase(secret));
  for (const VssShare& s : d->shares) {
    EXPECT_TRUE(VerifyShare(s.value, s.id, d->commitments, t, 7).ok());
    EXPECT_EQ(*PublicShare(d->commitments, t, s.id, 7),
              Point::MulBase(s.value));
  }
  // Every subset of size t+1 (and larger) reconstructs the secret.
  for (size_t k = t + 1; k <= ids.size(); ++k) {
    for (const auto& subset : AllSubsets(ids.size(), k)) {
      EXPECT_EQ(Reconstruct(*d, subset), secret);
    }
  }
  // Interpolating public shares gives the public key.
  std::vector<Scalar> sub_ids = {ids[0], ids[2], ids[4]};
  std::vector<Point> pubs = {Point::MulBase(d->shares[0].value),
                             Point::MulBase(d->shares[2].value),
                             Point::MulBase(d->shares[4].value)};
  EXPECT_EQ(*InterpolatePointsAtZero(sub_ids, pubs), Point::MulBase(secret));
}

TEST(Feldman, TSharesDoNotDetermineTheSecret) {
  DeterministicRandom rng(12);
  const size_t t = 3;
  const std::vector<Scalar> ids = Ids({3, 9, 27, 81, 243, 729});
  Scalar secret = Scalar::RandomNonZero(rng);
  auto d = FeldmanShare(secret, t, ids, rng);
  ASSERT_TRUE(d.ok());
  // Interpolating any t shares (a degree t-1 fit) gives a wrong value.
  for (const auto& subset : AllSubsets(ids.size(), t)) {
    EXPECT_NE(Reconstruct(*d, subset), secret);
  }
  // Information-theoretically: for any candidate secret s', the t shares
  // plus (0, s') define a degree-t polynomial consistent with all t shares,
  // so the t shares are equally compatible with every secret. Check with a
  // candidate: its polynomial through the t points plus (0, s') reproduces
  // each of the t shares.
  Scalar candidate = Scalar::RandomNonZero(rng);
  std::vector<Scalar> pts = {d->shares[0].id, d->shares[1].id, d->shares[2].id};
  std::vector<Scalar> vals = {d->shares[0].value, d->shares[1].value,
                              d->shares[2].value};
  // Evaluate the interpolating polynomial through {(0, s'), pts} at each pt
  // via shifting: g(z) = f'(z) with f'(0) = s'. Use Lagrange on the set
  // {pts..., x*} where x* is a fresh id, solving for the value at x* that
  // makes the interpolated value at 0 equal s'.
  const Scalar x_star = Scalar::FromU64(1000);
  std::vector<Scalar> all_ids = pts;
  all_ids.push_back(x_star);
  auto lambdas = LagrangeCoefficientsAtZero(all_ids);
  ASSERT_TRUE(lambdas.ok());
  Scalar partial;
  for (size_t i = 0; i < 3; ++i) partial = partial + (*lambdas)[i] * vals[i];
  Scalar v_star = (candidate - partial) * *(*lambdas)[3].Inverse();
  std::vector<Scalar> all_vals = vals;
  all_vals.push_back(v_star);
  EXPECT_EQ(*InterpolateAtZero(all_ids, all_vals), candidate);
}

TEST(Feldman, TooLongCommitmentVectorRejected) {
  // Threshold raising: a dealer sends t+2 commitments (degree t+1).
  DeterministicRandom rng(13);
  const size_t t = 2;
  const std::vector<Scalar> ids = Ids({1, 2, 3, 4, 5});
  auto raised = FeldmanShare(Scalar::RandomNonZero(rng), t + 1, ids, rng);
  ASSERT_TRUE(raised.ok());
  // The shares are perfectly consistent with the longer vector...
  EXPECT_TRUE(VerifyShare(raised->shares[0].value, ids[0], raised->commitments,
                          t + 1, 4)
                  .ok());
  // ...but a verifier with threshold t rejects it, naming the dealer.
  EXPECT_EQ(
      VerifyShare(raised->shares[0].value, ids[0], raised->commitments, t, 4)
          .message(),
      "vss: dealer 4: expected exactly 3 commitments, got 4");
  EXPECT_EQ(ValidateCommitments(raised->commitments, t, 4).message(),
            "vss: dealer 4: expected exactly 3 commitments, got 4");
  // Too short too.
  std::vector<Point> shorter(raised->commitments.begin(),
                             raised->commitments.begin() + 2);
  EXPECT_EQ(ValidateCommitments(shorter, t, 4).message(),
            "vss: dealer 4: expected exactly 3 commitments, got 2");
  // And at decoding time, before any point is parsed.
  auto proto = CommitmentsToProto(raised->commitments);
  EXPECT_EQ(CommitmentsFromProto(proto, t, 4).status().message(),
            "vss: dealer 4: expected exactly 3 commitments, got 4");
}

TEST(Feldman, IdentityCommitmentRejected) {
  DeterministicRandom rng(14);
  auto d = FeldmanShare(Scalar::RandomNonZero(rng), 2, Ids({1, 2, 3}), rng);
  ASSERT_TRUE(d.ok());
  std::vector<Point> c = d->commitments;
  c[1] = Point::Identity();
  EXPECT_EQ(ValidateCommitments(c, 2, 9).message(),
            "vss: dealer 9: commitment 1 is the identity");
  EXPECT_EQ(VerifyShare(d->shares[0].value, d->shares[0].id, c, 2, 9).message(),
            "vss: dealer 9: commitment 1 is the identity");
}

TEST(Feldman, BadShareDetectedNamingTheDealer) {
  DeterministicRandom rng(15);
  auto d = FeldmanShare(Scalar::RandomNonZero(rng), 1, Ids({1, 2, 3}), rng);
  ASSERT_TRUE(d.ok());
  Scalar bad = d->shares[1].value + Scalar::One();
  EXPECT_EQ(VerifyShare(bad, d->shares[1].id, d->commitments, 1, 5).message(),
            "vss: dealer 5: share for id 2 does not match the commitments");
  // A correct share presented under another id fails too.
  EXPECT_EQ(
      VerifyShare(d->shares[1].value, d->shares[2].id, d->commitments, 1, 5)
          .message(),
      "vss: dealer 5: share for id 3 does not match the commitments");
  // A share id of zero is rejected (it would reveal the secret).
  EXPECT_EQ(
      VerifyShare(d->shares[1].value, Scalar::Zero(), d->commitments, 1, 5)
          .message(),
      "vss: dealer 5: share id is zero");
}

TEST(Feldman, DealingRejectsBadParameters) {
  DeterministicRandom rng(16);
  Scalar s = Scalar::RandomNonZero(rng);
  EXPECT_EQ(FeldmanShare(s, 1, Ids({1, 0, 3}), rng).status().message(),
            "vss: lagrange: id at index 1 is zero");
  EXPECT_EQ(FeldmanShare(s, 1, Ids({1, 2, 1}), rng).status().message(),
            "vss: lagrange: duplicate id at indices 0 and 2");
  // Distinct as integers but equal mod n.
  std::vector<Scalar> mod_dup = {
      Scalar::FromU64(5),
      Scalar::FromBigIntReduce(Scalar::Order() + BigInt(5))};
  EXPECT_EQ(FeldmanShare(s, 1, mod_dup, rng).status().message(),
            "vss: lagrange: duplicate id at indices 0 and 1");
  EXPECT_EQ(FeldmanShare(s, 3, Ids({1, 2, 3}), rng).status().message(),
            "vss: 3 parties cannot meet threshold 3 (need at least t + 1)");
  EXPECT_EQ(
      FeldmanShare(Scalar::Zero(), 1, Ids({1, 2}), rng).status().message(),
      "vss: secret is zero");
  EXPECT_THAT(
      std::string(FeldmanShare(s, 300, Ids({1, 2}), rng).status().message()),
      HasSubstr("exceeds the maximum"));
}

TEST(Feldman, CommitmentsProtoStrict) {
  DeterministicRandom rng(17);
  auto d = FeldmanShare(Scalar::RandomNonZero(rng), 2, Ids({1, 2, 3}), rng);
  ASSERT_TRUE(d.ok());
  auto proto = CommitmentsToProto(d->commitments);
  auto rt = CommitmentsFromProto(proto, 2, 1);
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(*rt, d->commitments);
  auto m = proto;
  m.set_points(1, "");
  EXPECT_EQ(CommitmentsFromProto(m, 2, 1).status().message(),
            "vss: dealer 1: commitment 1 missing");
  m = proto;
  m.set_points(2, std::string(33, '\0'));
  EXPECT_THAT(std::string(CommitmentsFromProto(m, 2, 1).status().message()),
              HasSubstr("vss: dealer 1: commitment 2: point: invalid prefix"));
  m = proto;
  (*m.mutable_points(0))[5] ^= 0x01;  // likely off-curve or another point
  auto flipped = CommitmentsFromProto(m, 2, 1);
  if (flipped.ok()) {
    EXPECT_NE(*flipped, d->commitments);
  } else {
    EXPECT_THAT(std::string(flipped.status().message()),
                HasSubstr("vss: dealer 1: commitment 0: point:"));
  }
  std::string wire = proto.SerializeAsString() + std::string("\x7a\x00", 2);
  ASSERT_TRUE(m.ParseFromString(wire));
  EXPECT_EQ(CommitmentsFromProto(m, 2, 1).status().message(),
            "vss: dealer 1: unknown fields present");
}

// ------------------------------------------------------------ Lagrange

TEST(Lagrange, KnownSmallCoefficients) {
  // ids {1, 2}: lambda_1 = 2/(2-1) = 2, lambda_2 = 1/(1-2) = -1.
  auto ids = Ids({1, 2});
  EXPECT_EQ(*LagrangeCoefficientAtZero(ids, ids[0]), Scalar::FromU64(2));
  EXPECT_EQ(*LagrangeCoefficientAtZero(ids, ids[1]), -Scalar::One());
  // ids {1, 2, 3}: 3, -3, 1.
  auto ids3 = Ids({1, 2, 3});
  auto l = LagrangeCoefficientsAtZero(ids3);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)[0], Scalar::FromU64(3));
  EXPECT_EQ((*l)[1], -Scalar::FromU64(3));
  EXPECT_EQ((*l)[2], Scalar::One());
  // A single id: lambda = 1.
  EXPECT_EQ(*LagrangeCoefficientAtZero(Ids({7}), Scalar::FromU64(7)),
            Scalar::One());
}

TEST(Lagrange, BatchMatchesSingleAndSumsToOne) {
  DeterministicRandom rng(18);
  std::vector<Scalar> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Scalar::RandomNonZero(rng));
  auto all = LagrangeCoefficientsAtZero(ids);
  ASSERT_TRUE(all.ok());
  Scalar sum;
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*all)[i], *LagrangeCoefficientAtZero(ids, ids[i]));
    sum = sum + (*all)[i];
  }
  EXPECT_EQ(sum, Scalar::One());  // interpolating the constant 1
}

TEST(Lagrange, RejectsInvalidSets) {
  EXPECT_EQ(LagrangeCoefficientAtZero(Ids({1, 2, 3}), Scalar::FromU64(4))
                .status()
                .message(),
            "lagrange: id is not a member of the signer set");
  EXPECT_EQ(LagrangeCoefficientAtZero(Ids({1, 0}), Scalar::FromU64(1))
                .status()
                .message(),
            "lagrange: id at index 1 is zero");
  EXPECT_EQ(LagrangeCoefficientAtZero(Ids({4, 5, 4}), Scalar::FromU64(4))
                .status()
                .message(),
            "lagrange: duplicate id at indices 0 and 2");
  EXPECT_EQ(LagrangeCoefficientsAtZero({}).status().message(),
            "lagrange: empty id set");
  EXPECT_EQ(InterpolateAtZero(Ids({1, 2}), Ids({5})).status().message(),
            "lagrange: ids and values differ in length");
}

}  // namespace
}  // namespace nitro_tss::mpc
