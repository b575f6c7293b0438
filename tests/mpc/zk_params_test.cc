// mpc/zk/params.h, crt.h, ring_pedersen_table.h and nonce_pool.h (formerly
// zk_params.h): range and membership helpers, CRT exponentiation
// against plain exponentiation, the verifier-side ring-Pedersen equation
// with and without the owner's secret, and the wire helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mpc/zk/crt.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "tests/fixtures/fixtures.h"
#include "tests/mpc/pow_mod_counts.h"

namespace nitro_tss::mpc::zk {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;

TEST(ZkParams, PaperConstants) {
  EXPECT_EQ(kEll, 256u);
  EXPECT_EQ(kEllPrime, 5 * kEll);
  EXPECT_EQ(kEpsilon, 2 * kEll);
  EXPECT_EQ(Scalar::Order().BitLength(), kEll);
}

TEST(ZkParams, SignedRangeIsInclusive) {
  BigInt edge = BigInt::PowerOfTwo(10);
  EXPECT_TRUE(InSignedRange(edge, 10));
  EXPECT_TRUE(InSignedRange(-edge, 10));
  EXPECT_TRUE(InSignedRange(BigInt(0), 10));
  EXPECT_FALSE(InSignedRange(edge + BigInt(1), 10));
  EXPECT_FALSE(InSignedRange(-edge - BigInt(1), 10));
  EXPECT_FALSE(InSignedRange(edge.ShiftLeft(5), 10));
  absl::Status s = CheckSignedRange(edge + BigInt(1), 10, "p", "z9");
  EXPECT_THAT(std::string(s.message()), HasSubstr("p: z9 out of range"));
  EXPECT_TRUE(CheckSignedRangeTimesModulus(BigInt(7) * BigInt(4), 2, BigInt(7),
                                           "p", "z")
                  .ok());
  EXPECT_FALSE(
      CheckSignedRangeTimesModulus(BigInt(29), 2, BigInt(7), "p", "z").ok());
}

TEST(ZkParams, UnitChecksNameTheReason) {
  BigInt n = BigInt(3 * 5 * 7);
  EXPECT_TRUE(CheckUnit(BigInt(2), n, "p", "c", "N").ok());
  EXPECT_THAT(std::string(CheckUnit(BigInt(0), n, "p", "c", "N").message()),
              HasSubstr("p: c not in Z*_N (zero)"));
  EXPECT_THAT(std::string(CheckUnit(BigInt(-2), n, "p", "c", "N").message()),
              HasSubstr("(negative)"));
  EXPECT_THAT(std::string(CheckUnit(n, n, "p", "c", "N").message()),
              HasSubstr("(not below modulus)"));
  EXPECT_THAT(std::string(CheckUnit(BigInt(21), n, "p", "c", "N").message()),
              HasSubstr("(gcd with modulus != 1)"));
  EXPECT_THAT(
      std::string(CheckNotIdentity(Point::Identity(), "p", "X").message()),
      HasSubstr("p: X is the point at infinity"));
}

TEST(ZkParams, RandomSignedTimesStaysInRange) {
  DeterministicRandom rng(1);
  BigInt m(1000003);
  bool saw_negative = false;
  for (int i = 0; i < 200; ++i) {
    BigInt v = RandomSignedTimes(8, m, rng);
    EXPECT_LE(v.Abs(), m.ShiftLeft(8));
    saw_negative |= v.IsNegative();
  }
  EXPECT_TRUE(saw_negative);
}

TEST(ZkParams, CrtExponentiationMatchesPlain) {
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const RingPedersenSecret& rp = FixtureRingPedersen(0);
  CrtExponentiator sq = CrtExponentiator::ForPaillierSquare(key.p(), key.q());
  CrtExponentiator primes = CrtExponentiator::ForPrimes(rp.p(), rp.q());
  EXPECT_EQ(sq.modulus(), key.public_key().n_squared());
  EXPECT_EQ(primes.modulus(), rp.params().n());
  DeterministicRandom rng(2);
  for (int i = 0; i < 6; ++i) {
    BigInt c = BigInt::RandomUnit(key.public_key().n_squared(), rng);
    BigInt u = BigInt::RandomUnit(rp.params().n(), rng);
    for (BigInt e :
         {BigInt::RandomSigned(256, rng), BigInt::RandomSigned(3000, rng),
          BigInt(0), BigInt(-1), key.n(), -key.n()}) {
      EXPECT_EQ(sq.Pow(c, e),
                BigInt::PowMod(c, e, key.public_key().n_squared()));
      EXPECT_EQ(primes.Pow(u, e), BigInt::PowMod(u, e, rp.params().n()));
    }
  }
}

TEST(ZkParams, CrtPowProductIsTheProductOfPows) {
  // Public powers shorter than the orders and one longer (N, reduced as a
  // secret modulo each order): the product of Pow's, on both moduli.
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  CrtExponentiator primes = CrtExponentiator::ForPrimes(key.p(), key.q());
  CrtExponentiator squares =
      CrtExponentiator::ForPaillierSquare(key.p(), key.q());
  DeterministicRandom rng(3);
  for (const CrtExponentiator* crt : {&primes, &squares}) {
    const BigInt& m = crt->modulus();
    const BigInt w = BigInt::RandomUnit(m, rng), c = BigInt::RandomUnit(m, rng),
                 d = BigInt::RandomUnit(m, rng);
    const BigInt z = BigInt::RandomBits(770, rng),
                 e = BigInt::RandomBits(256, rng), one(1), zero(0);
    const BigInt want =
        BigInt::ModMul(BigInt::ModMul(crt->Pow(w, key.n()), crt->Pow(c, z), m),
                       crt->Pow(d, e), m);
    EXPECT_EQ(crt->PowProduct({{&w, &key.n()}, {&c, &z}, {&d, &e}}), want);
    EXPECT_EQ(crt->PowProduct({{&c, &z}, {&d, &e}}),
              BigInt::ModMul(crt->Pow(c, z), crt->Pow(d, e), m));
    EXPECT_EQ(crt->PowProduct({{&c, &one}, {&d, &zero}}), BigInt::Mod(c, m));
    EXPECT_EQ(crt->PowProduct({}), BigInt(1));
  }
}

TEST(ZkParamsDeathTest, CrtPowProductRefusesTwoLongOrNegativeExponents) {
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  CrtExponentiator primes = CrtExponentiator::ForPrimes(key.p(), key.q());
  const BigInt w(5);
  EXPECT_DEATH((void)primes.PowProduct({{&w, &key.n()}, {&w, &key.n()}}), "");
  // Magnitudes only: a negative exponent, short or long, is refused.
  const BigInt short_negative(-3), long_negative = -key.n();
  EXPECT_DEATH((void)primes.PowProduct({{&w, &short_negative}}), "");
  EXPECT_DEATH((void)primes.PowProduct({{&w, &long_negative}}), "");
}

TEST(ZkParams, NthPowerWithAndWithoutOwnKey) {
  const PaillierPrivateKey& key = FixturePaillierKey(1);
  DeterministicRandom rng(3);
  BigInt r = BigInt::RandomUnit(key.n(), rng);
  EXPECT_EQ(NthPower(key.public_key(), r, &key),
            NthPower(key.public_key(), r, nullptr));
  EXPECT_EQ(OnePlusNPow(key.public_key(), BigInt(-3)),
            BigInt::PowMod(key.n() + BigInt(1), BigInt(-3),
                           key.public_key().n_squared()));
}

TEST(ZkParams, FreshEncryptionIsAnEncryptionWithItsNonceOnEveryPath) {
  const PaillierPrivateKey& key = FixturePaillierKey(1);
  const PaillierPrivateKey& other = FixturePaillierKey(2);
  DeterministicRandom rng(5);
  for (const BigInt& m : {BigInt::RandomSigned(1792, rng), BigInt(0),
                          BigInt(-1), key.n() - BigInt(1)}) {
    // The owner's comb, no key, and a key of another modulus (ignored: the
    // generic path) all give (1+N)^m · r^N with a fresh unit r.
    std::vector<PaillierEncryption> encs;
    for (const PaillierPrivateKey* own :
         {&key, (const PaillierPrivateKey*)nullptr, &other}) {
      PaillierEncryption enc = FreshEncryption(key.public_key(), m, own, rng);
      EXPECT_TRUE(key.public_key().ValidateNonce(enc.nonce).ok());
      EXPECT_EQ(enc.ciphertext,
                BigInt::ModMul(OnePlusNPow(key.public_key(), m),
                               BigInt::PowMod(enc.nonce, key.n(),
                                              key.public_key().n_squared()),
                               key.public_key().n_squared()));
      encs.push_back(std::move(enc));
    }
    EXPECT_NE(encs[0].nonce, encs[1].nonce);
  }
}

TEST(ZkParams, PaillierEquationHoldsForExactlyItsEquation) {
  const PaillierPublicKey& key = FixturePaillierKey(1).public_key();
  const BigInt& n_sq = key.n_squared();
  DeterministicRandom rng(4);
  const BigInt m = BigInt::RandomSigned(768, rng);
  const BigInt rho = BigInt::RandomUnit(key.n(), rng);
  const BigInt e = BigInt::RandomSigned(256, rng);
  const BigInt c = BigInt::RandomUnit(n_sq, rng);
  // A = (1+N)^m · ρ^N · C^-e, so the equation holds.
  const BigInt a =
      BigInt::ModMul(BigInt::ModMul(OnePlusNPow(key, m),
                                    BigInt::PowMod(rho, key.n(), n_sq), n_sq),
                     BigInt::PowMod(c, -e, n_sq), n_sq);
  EXPECT_TRUE(PaillierEquationHolds(key, m, rho, a, c, e));
  const BigInt one(1);
  EXPECT_FALSE(PaillierEquationHolds(key, m + one, rho, a, c, e));
  EXPECT_FALSE(PaillierEquationHolds(key, m, rho + one, a, c, e));
  EXPECT_FALSE(
      PaillierEquationHolds(key, m, rho, BigInt::ModAdd(a, one, n_sq), c, e));
  EXPECT_FALSE(
      PaillierEquationHolds(key, m, rho, a, BigInt::ModAdd(c, one, n_sq), e));
  EXPECT_FALSE(PaillierEquationHolds(key, m, rho, a, c, e + one));
  // m only matters mod N: (1+N)^N = 1 mod N².
  EXPECT_TRUE(PaillierEquationHolds(key, m + key.n(), rho, a, c, e));
  // Both signs of e and e = 0.
  for (const BigInt& f : {-e, BigInt(0), BigInt(1), BigInt(-1)}) {
    const BigInt af =
        BigInt::ModMul(BigInt::ModMul(OnePlusNPow(key, m),
                                      BigInt::PowMod(rho, key.n(), n_sq), n_sq),
                       BigInt::PowMod(c, -f, n_sq), n_sq);
    EXPECT_TRUE(PaillierEquationHolds(key, m, rho, af, c, f));
    EXPECT_FALSE(PaillierEquationHolds(key, m, rho, af, c, f + one));
  }
}

TEST(ZkParams, NextNonceTimesPowerIsTheProductOfBothPowersOnEveryPath) {
  const PaillierPublicKey& key = FixturePaillierKey(0).public_key();
  const BigInt& n_sq = key.n_squared();
  DeterministicRandom rng(7);
  const BigInt c = BigInt::RandomUnit(n_sq, rng);
  PaillierNoncePool pool(key);
  for (size_t bits : {size_t{256}, size_t{769}}) {
    std::vector<BigInt> exps = {
        BigInt::RandomBits(bits, rng), -BigInt::RandomBits(bits, rng),
        BigInt(0), BigInt::PowerOfTwo(bits - 1), -BigInt::PowerOfTwo(bits - 1)};
    for (const BigInt& s : exps) {
      SCOPED_TRACE(s.BitLength());
      // Fresh: the same draw as NextNonce from the same state.
      DeterministicRandom r1(11), r2(11);
      NonceTimesPower got = NextNonceTimesPower(key, nullptr, c, s, bits, r1);
      PaillierNonce want = NextNonce(key, nullptr, nullptr, r2);
      EXPECT_EQ(got.r, want.r);
      EXPECT_EQ(got.product,
                BigInt::ModMul(BigInt::PowMod(c, s, n_sq), want.r_to_n, n_sq));
      // From the pool while it has one (the pool's nonce is used).
      pool.Fill(1, rng);
      NonceTimesPower pooled = NextNonceTimesPower(key, &pool, c, s, bits, rng);
      EXPECT_EQ(pool.size(), 0u);
      EXPECT_EQ(pooled.product,
                BigInt::ModMul(BigInt::PowMod(c, s, n_sq),
                               BigInt::PowMod(pooled.r, key.n(), n_sq), n_sq));
      EXPECT_NE(pooled.r, got.r);
    }
  }
}

// A ring-Pedersen equation s^a t^b = first · second^e that holds (first
// chosen to make it hold), with verifier-sized a, b and e.
struct RpEquation {
  BigInt a, b, e, first, second;
};
RpEquation HoldingRpEquation(const RingPedersenSecret& rp, uint64_t seed) {
  DeterministicRandom rng(seed);
  RpEquation q;
  q.a = BigInt::RandomSigned(768, rng);
  q.b = RandomSignedTimes(768, rp.params().n(), rng);
  q.e = BigInt::RandomSigned(256, rng);
  q.second = BigInt::RandomUnit(rp.params().n(), rng);
  q.first = BigInt::ModMul(rp.params().CommitPublic(q.a, q.b),
                           BigInt::PowMod(q.second, -q.e, rp.params().n()),
                           rp.params().n());
  return q;
}

TEST(ZkParams, RingPedersenEquationSameDecisionBothPaths) {
  const RingPedersenSecret& rp = FixtureRingPedersen(2);
  auto [a, b, e, first, second] = HoldingRpEquation(rp, 4);
  EXPECT_TRUE(
      RingPedersenEquationHolds(rp.params(), nullptr, a, b, first, second, e));
  EXPECT_TRUE(
      RingPedersenEquationHolds(rp.params(), &rp, a, b, first, second, e));
  BigInt wrong = first + BigInt(1);
  EXPECT_FALSE(
      RingPedersenEquationHolds(rp.params(), nullptr, a, b, wrong, second, e));
  EXPECT_FALSE(
      RingPedersenEquationHolds(rp.params(), &rp, a, b, wrong, second, e));
  EXPECT_FALSE(CheckOwnerSecret(rp.params(), FixtureRingPedersen(3), "p").ok());
  EXPECT_TRUE(CheckOwnerSecret(rp.params(), rp, "p").ok());
}

// One table per fixture index, built once per process.
const RingPedersenTable& Table(size_t i) {
  static const RingPedersenTable* tables[8] = {};
  if (tables[i] == nullptr) {
    tables[i] = new RingPedersenTable(FixtureRingPedersen(i).params());
  }
  return *tables[i];
}

TEST(ZkParams, RingPedersenTableMatchesCommit) {
  const RingPedersenParams& params = FixtureRingPedersen(0).params();
  const RingPedersenTable& table = Table(0);
  const size_t nb = params.n().BitLength();
  EXPECT_GE(table.max_exponent_bits(), kEll + kEpsilon + nb);
  DeterministicRandom rng(5);
  struct Bounds {
    size_t a_bits, b_bits;
  };
  for (Bounds bounds :
       {Bounds{kEll, kEll + nb}, Bounds{kEll + kEpsilon, kEll + kEpsilon + nb},
        Bounds{kEllPrime + kEpsilon, kEll + kEpsilon + nb}, Bounds{1, 3},
        Bounds{0, 0}}) {
    std::vector<std::pair<BigInt, BigInt>> cases = {
        {BigInt::RandomSigned(bounds.a_bits, rng),
         BigInt::RandomSigned(bounds.b_bits, rng)},
        {BigInt::PowerOfTwo(bounds.a_bits), -BigInt::PowerOfTwo(bounds.b_bits)},
        {-BigInt::PowerOfTwo(bounds.a_bits), BigInt::PowerOfTwo(bounds.b_bits)},
        {BigInt(0), BigInt(0)},
    };
    for (const auto& [a, b] : cases) {
      absl::StatusOr<BigInt> v =
          table.Commit(a, bounds.a_bits, b, bounds.b_bits);
      ASSERT_TRUE(v.ok()) << v.status();
      EXPECT_EQ(*v, params.Commit(a, b))
          << "a_bits=" << bounds.a_bits << " b_bits=" << bounds.b_bits;
      EXPECT_EQ(
          ProverCommit(params, &table, a, bounds.a_bits, b, bounds.b_bits), *v);
    }
  }
}

TEST(ZkParams, RingPedersenTableRejectsOutOfBoundExponents) {
  const RingPedersenParams& params = FixtureRingPedersen(0).params();
  const RingPedersenTable& table = Table(0);
  BigInt over = BigInt::PowerOfTwo(kEll) + BigInt(1);
  EXPECT_THAT(
      std::string(table.Commit(over, kEll, BigInt(1), 8).status().message()),
      HasSubstr("ring_pedersen_table: exponent exceeds its bound"));
  EXPECT_FALSE(
      table.Commit(BigInt(1), table.max_exponent_bits() + 1, BigInt(1), 8)
          .ok());
  // ProverCommit falls back to the plain commitment (same value).
  EXPECT_EQ(ProverCommit(params, &table, over, kEll, BigInt(3), 8),
            params.Commit(over, BigInt(3)));
  EXPECT_THAT(
      std::string(
          CheckTable(FixtureRingPedersen(1).params(), table, "pi_x").message()),
      HasSubstr("pi_x: ring-Pedersen table does not match"));
  EXPECT_TRUE(CheckTable(params, table, "pi_x").ok());
}

TEST(ZkParams, NoncePoolHandsOutEachNonceOnce) {
  const PaillierPublicKey& key = FixturePaillierKey(0).public_key();
  PaillierNoncePool pool(key);
  DeterministicRandom rng(6);
  EXPECT_FALSE(pool.Take().has_value());
  pool.Fill(3, rng);
  EXPECT_EQ(pool.size(), 3u);
  std::vector<BigInt> seen;
  for (int i = 0; i < 3; ++i) {
    std::optional<PaillierNonce> n = pool.Take();
    ASSERT_TRUE(n.has_value());
    EXPECT_TRUE(CheckUnit(n->r, key.n(), "p", "r", "N").ok());
    EXPECT_EQ(n->r_to_n, BigInt::PowMod(n->r, key.n(), key.n_squared()));
    for (const BigInt& s : seen) EXPECT_NE(s, n->r);
    seen.push_back(n->r);
  }
  EXPECT_EQ(pool.size(), 0u);
  // NextNonce: from the pool while it lasts, then fresh; a pool for another
  // key is ignored.
  pool.Fill(1, rng);
  PaillierNonce a = NextNonce(key, &pool, nullptr, rng);
  EXPECT_EQ(pool.size(), 0u);
  PaillierNonce b = NextNonce(key, &pool, nullptr, rng);
  EXPECT_EQ(b.r_to_n, BigInt::PowMod(b.r, key.n(), key.n_squared()));
  PaillierNoncePool other(FixturePaillierKey(1).public_key());
  other.Fill(1, rng);
  PaillierNonce c = NextNonce(key, &other, &FixturePaillierKey(0), rng);
  EXPECT_EQ(other.size(), 1u);
  EXPECT_EQ(c.r_to_n, BigInt::PowMod(c.r, key.n(), key.n_squared()));
  EXPECT_NE(a.r, b.r);
}

TEST(ZkParams, WireHelpers) {
  BigInt v(-123456);
  absl::StatusOr<BigInt> back = DecodeInteger(EncodeInteger(v), 8, "p", "z");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  EXPECT_THAT(std::string(DecodeInteger("", 8, "p", "z").status().message()),
              HasSubstr("p: missing z"));
  EXPECT_THAT(
      std::string(
          DecodeInteger(EncodeInteger(v), 2, "p", "z").status().message()),
      HasSubstr("p: z: "));
  Point g = Point::Generator();
  absl::StatusOr<Point> pg = DecodePoint(EncodePoint(g), "p", "X");
  ASSERT_TRUE(pg.ok());
  EXPECT_TRUE(*pg == g);
  EXPECT_FALSE(DecodePoint(EncodePoint(Point::Identity()), "p", "X").ok());
  EXPECT_THAT(std::string(DecodePoint("", "p", "X").status().message()),
              HasSubstr("p: missing X"));
}

}  // namespace
}  // namespace nitro_tss::mpc::zk

namespace nitro_tss::mpc::zk {
namespace {

TEST(ZkParams, RangeParametersEnterTheChallenge) {
  auto challenge = [](size_t ell, bool with_ranges) {
    Transcript t("test/range-parameters");
    if (with_ranges) AppendRangeParameters(t, ell);
    t.AppendU64("statement", 42);
    return ChallengeE(t);
  };
  EXPECT_EQ(challenge(kEll, true), challenge(kEll, true));
  EXPECT_NE(challenge(kEll, true), challenge(kEllPrime, true));
  EXPECT_NE(challenge(kEll, true), challenge(kEll, false));
}

}  // namespace
}  // namespace nitro_tss::mpc::zk

// ---- Constant-time exponentiation under the owner's secrets (issue 12
// finding 4): every exponentiation modulo p, p², q, q² or with an exponent
// reduced modulo a secret order goes through BigInt::PowModConstTime; the
// variable-time BigInt::PowMod must not run at all.

namespace nitro_tss::mpc::zk {
namespace {

using ::nitro_tss::mpc::pow_mod_counts::CountPowMod;

TEST(ZkParamsConstTime, CrtExponentiatorUsesOnlyConstantTimeExponentiation) {
  const PaillierPrivateKey& key = FixturePaillierKey(2);
  const RingPedersenSecret& rp = FixtureRingPedersen(3);
  const CrtExponentiator sq =
      CrtExponentiator::ForPaillierSquare(key.p(), key.q());
  const CrtExponentiator primes = CrtExponentiator::ForPrimes(rp.p(), rp.q());
  DeterministicRandom rng(80);
  const BigInt c = BigInt::RandomUnit(key.public_key().n_squared(), rng);
  const BigInt u = BigInt::RandomUnit(rp.params().n(), rng);
  for (const BigInt& e :
       {BigInt::RandomSigned(256, rng), -BigInt::RandomBits(256, rng),
        BigInt::RandomSigned(3000, rng), key.n(), -key.n(), BigInt(-1),
        BigInt(0)}) {
    BigInt got_sq, got_primes;
    internal::PowModCallCounts calls = CountPowMod([&] {
      got_sq = sq.Pow(c, e);
      got_primes = primes.Pow(u, e);
    });
    EXPECT_EQ(calls.variable_time, 0u) << e.ToHex();
    EXPECT_EQ(calls.const_time, 4u) << e.ToHex();
    EXPECT_EQ(got_sq, BigInt::PowMod(c, e, key.public_key().n_squared()));
    EXPECT_EQ(got_primes, BigInt::PowMod(u, e, rp.params().n()));
  }
}

TEST(ZkParamsConstTime,
     OwnerRingPedersenCheckUsesOnlyConstantTimeExponentiation) {
  const RingPedersenSecret& rp = FixtureRingPedersen(4);
  auto [a, b, e, first, second] = HoldingRpEquation(rp, 81);
  bool holds = false;
  // Init-captures: clang 14 cannot capture structured bindings directly.
  internal::PowModCallCounts calls = CountPowMod(
      [&holds, &rp, &a = a, &b = b, &e = e, &first = first, &second = second] {
        holds =
            RingPedersenEquationHolds(rp.params(), &rp, a, b, first, second, e);
      });
  EXPECT_TRUE(holds);
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 4u);  // t^(λa+b) and second^e, two halves each
}

// Πaff-g's residue half modulo the verifier's secret primes: one
// constant-time product per half, nothing variable time.
TEST(ZkParamsConstTime, CrtPowProductUsesOnlyConstantTimeExponentiation) {
  const PaillierPrivateKey& key = FixturePaillierKey(3);
  CrtExponentiator primes = CrtExponentiator::ForPrimes(key.p(), key.q());
  DeterministicRandom rng(85);
  const BigInt w = BigInt::RandomUnit(key.n(), rng);
  const BigInt z = BigInt::RandomBits(770, rng);
  internal::PowModCallCounts calls = CountPowMod([&] {
    (void)primes.PowProduct({{&w, &key.n()}, {&w, &z}});
  });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 2u);
}

TEST(ZkParamsConstTime, OwnKeyNthPowerUsesOnlyConstantTimeExponentiation) {
  const PaillierPrivateKey& key = FixturePaillierKey(3);
  DeterministicRandom rng(82);
  const BigInt r = BigInt::RandomUnit(key.n(), rng);
  BigInt got;
  internal::PowModCallCounts calls =
      CountPowMod([&] { got = NthPower(key.public_key(), r, &key); });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 4u);
  EXPECT_EQ(got, BigInt::PowMod(r, key.n(), key.public_key().n_squared()));
}

// Bob's ρ^N0 under Alice's key (MtA's D, Πaff-g's A) when no nonce pool has
// one ready: r is secret, so no variable-time exponentiation (it was one
// mpz_powm before).
TEST(ZkParamsConstTime, ForeignKeyNthPowerUsesOnlyConstantTimeExponentiation) {
  const PaillierPublicKey& peer = FixturePaillierKey(4).public_key();
  DeterministicRandom rng(83);
  const BigInt r = BigInt::RandomUnit(peer.n(), rng);
  BigInt got;
  internal::PowModCallCounts calls =
      CountPowMod([&] { got = NthPower(peer, r, nullptr); });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 1u);
  EXPECT_EQ(got, BigInt::PowMod(r, peer.n(), peer.n_squared()));
  // The same through a public-key encryption with a given nonce.
  calls = CountPowMod([&] { (void)peer.EncryptWithNonce(BigInt(7), r); });
  EXPECT_EQ(calls.variable_time, 0u);
}

// Bob's K^x · ρ^N0 and Πaff-g's C^α · r^N0 (secret x, α, r) in one
// simultaneous exponentiation: constant time on both paths (fresh nonce;
// a pool's nonce with PowModSecret).
TEST(ZkParamsConstTime, NonceTimesPowerUsesOnlyConstantTimeExponentiation) {
  const PaillierPublicKey& peer = FixturePaillierKey(4).public_key();
  DeterministicRandom rng(84);
  const BigInt c = BigInt::RandomUnit(peer.n_squared(), rng);
  const BigInt alpha = -BigInt::RandomBits(768, rng);
  internal::PowModCallCounts calls = CountPowMod(
      [&] { (void)NextNonceTimesPower(peer, nullptr, c, alpha, 769, rng); });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 1u);
  PaillierNoncePool pool(peer);
  pool.Fill(1, rng);
  calls = CountPowMod(
      [&] { (void)NextNonceTimesPower(peer, &pool, c, alpha, 769, rng); });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 1u);
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
