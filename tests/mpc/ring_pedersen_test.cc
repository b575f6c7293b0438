#include "mpc/ringpedersen/ring_pedersen.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mpc/math/random.h"
#include "tests/fixtures/fixtures.h"
#include "tests/mpc/pow_mod_counts.h"

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::testing::FixturePrimePairs;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(RingPedersen, FixtureParamsAreConsistent) {
  for (size_t i = 0; i < 8; ++i) {
    const RingPedersenSecret& rp = FixtureRingPedersen(i);
    const RingPedersenParams& params = rp.params();
    EXPECT_EQ(params.n(), rp.p() * rp.q());
    EXPECT_EQ(params.t(), BigInt::ModMul(rp.tau(), rp.tau(), params.n()));
    EXPECT_EQ(params.s(), BigInt::PowMod(params.t(), rp.lambda(), params.n()));
  }
}

TEST(RingPedersen, CommitmentPathsAgreeIncludingNegativeExponents) {
  DeterministicRandom rng(11);
  const RingPedersenSecret& rp = FixtureRingPedersen(0);
  const RingPedersenParams& params = rp.params();
  for (int i = 0; i < 4; ++i) {
    BigInt x = BigInt::RandomSigned(800, rng);
    BigInt y = BigInt::RandomSigned(2100, rng);
    BigInt c = params.Commit(x, y);
    EXPECT_EQ(c, params.CommitPublic(x, y));
    EXPECT_EQ(c, rp.Commit(x, y));
    // Homomorphic: C(x1,y1)·C(x2,y2) = C(x1+x2, y1+y2).
    BigInt x2 = BigInt::RandomSigned(300, rng);
    BigInt y2 = BigInt::RandomSigned(300, rng);
    EXPECT_EQ(BigInt::ModMul(c, params.Commit(x2, y2), params.n()),
              params.Commit(x + x2, y + y2));
  }
  EXPECT_EQ(params.Commit(BigInt(0), BigInt(0)), BigInt(1));
  EXPECT_EQ(rp.PowT(BigInt(-3)),
            BigInt::PowMod(params.t(), BigInt(-3), params.n()));
}

TEST(RingPedersen, GenerateProducesValidParams) {
  DeterministicRandom rng(12);
  const auto& pair = FixturePrimePairs()[9];
  auto rp = RingPedersenSecret::Generate(pair.p, pair.q, rng);
  ASSERT_TRUE(rp.ok()) << rp.status();
  EXPECT_EQ(rp->params().n(), pair.p * pair.q);
  EXPECT_TRUE(RingPedersenParams::Create(rp->params().n(), rp->params().s(),
                                         rp->params().t())
                  .ok());
  EXPECT_THAT(
      Message(RingPedersenSecret::Generate(pair.p, pair.p, rng).status()),
      HasSubstr("p == q"));
  EXPECT_THAT(Message(RingPedersenSecret::FromParts(pair.p, pair.q, BigInt(0),
                                                    BigInt(5))
                          .status()),
              HasSubstr("tau not in Z*_N"));
  EXPECT_THAT(Message(RingPedersenSecret::FromParts(pair.p, pair.q, BigInt(3),
                                                    rp->phi())
                          .status()),
              HasSubstr("lambda not in [0, phi)"));
}

TEST(RingPedersen, ParameterValidationRejectsEachBadValue) {
  const RingPedersenSecret& rp = FixtureRingPedersen(1);
  const BigInt& n = rp.params().n();
  const BigInt& s = rp.params().s();
  const BigInt& t = rp.params().t();
  const BigInt one(1);
  struct Case {
    BigInt n, s, t;
    const char* error;
  };
  BigInt short_n = n.ShiftRight(1);
  if (!short_n.IsOdd()) short_n = short_n + one;
  const Case cases[] = {
      {BigInt(0), s, t, "N not positive"},
      {short_n, s, t, "N has 2047 bits, expected exactly 2048"},
      {n * BigInt(2), s, t, "N has 2049 bits"},
      {n + one, s, t, "N is even"},
      {n, BigInt(0), t, "s out of range (1, N-1)"},
      {n, one, t, "s out of range (1, N-1)"},
      {n, n - one, t, "s out of range (1, N-1)"},
      {n, n, t, "s out of range (1, N-1)"},
      {n, BigInt(-5), t, "s out of range (1, N-1)"},
      {n, rp.p(), t, "s not a unit mod N"},
      {n, s, one, "t out of range (1, N-1)"},
      {n, s, n - one, "t out of range (1, N-1)"},
      {n, s, n + BigInt(3), "t out of range (1, N-1)"},
      {n, s, rp.q() * BigInt(2), "t not a unit mod N"},
      {n, t, t, "s == t"},
  };
  for (const Case& c : cases) {
    auto params = RingPedersenParams::Create(c.n, c.s, c.t);
    ASSERT_FALSE(params.ok()) << c.error;
    EXPECT_THAT(Message(params.status()), HasSubstr(c.error));
    EXPECT_THAT(Message(params.status()), HasSubstr("ring_pedersen: "));
  }
  EXPECT_TRUE(RingPedersenParams::Create(n, s, t).ok());
}

TEST(RingPedersen, ProtoRoundTripAndStrictDecoding) {
  const RingPedersenParams& params = FixtureRingPedersen(2).params();
  auto back = RingPedersenParams::FromProto(params.ToProto());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == params);
  v1::RingPedersenParams missing_t = params.ToProto();
  missing_t.clear_t();
  EXPECT_THAT(Message(RingPedersenParams::FromProto(missing_t).status()),
              HasSubstr("field t"));
  v1::RingPedersenParams long_s = params.ToProto();
  long_s.mutable_s()->append(std::string(2, '\x07'));
  EXPECT_THAT(Message(RingPedersenParams::FromProto(long_s).status()),
              HasSubstr("field s"));
}

}  // namespace
}  // namespace nitro_tss::mpc

// ---- Constant-time exponentiation (issue 12 finding 4) ----

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::mpc::pow_mod_counts::CountPowMod;

TEST(RingPedersenConstTime,
     SecretCommitmentsUseOnlyConstantTimeExponentiation) {
  const RingPedersenSecret& rp = FixtureRingPedersen(5);
  DeterministicRandom rng(83);
  const BigInt x = -BigInt::RandomBits(300, rng);
  const BigInt y = BigInt::RandomSigned(2300, rng);
  const BigInt want = rp.params().CommitPublic(x, y);
  BigInt by_secret, by_params, pow_t;
  internal::PowModCallCounts calls = CountPowMod([&] {
    by_secret = rp.Commit(x, y);           // t^(λx+y) by CRT: 2
    by_params = rp.params().Commit(x, y);  // s^x, t^y with hidden signs: 2
    pow_t = rp.PowT(-y);                   // 2
  });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 6u);
  EXPECT_EQ(by_secret, want);
  EXPECT_EQ(by_params, want);
  EXPECT_EQ(pow_t, BigInt::PowMod(rp.params().t(), -y, rp.params().n()));
}

}  // namespace
}  // namespace nitro_tss::mpc
