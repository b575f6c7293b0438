#include "mpc/math/bigint.h"

#include <gtest/gtest.h>

#include <vector>

#include "mpc/math/random.h"

namespace nitro_tss::mpc {
namespace {

TEST(BigInt, BytesRoundTripAndPadding) {
  BigInt v = BigInt::FromBytes(std::vector<uint8_t>{0x01, 0x02, 0x03});
  EXPECT_EQ(v.ToU64(), 0x010203u);
  EXPECT_EQ(v.ToBytes(), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(v.ToBytes(5), (std::vector<uint8_t>{0, 0, 1, 2, 3}));
  EXPECT_TRUE(BigInt().ToBytes().empty());
  EXPECT_FALSE(v.ToFixedBytes(2).ok());
  EXPECT_FALSE(BigInt(-1).ToFixedBytes(8).ok());
}

TEST(BigInt, SignedEncodingIsCanonicalAndStrict) {
  for (int64_t x : {0LL, 1LL, -1LL, 255LL, -256LL, 1LL << 40}) {
    BigInt v(x);
    auto back = BigInt::FromSignedBytes(v.ToSignedBytes(), 64);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, v);
  }
  EXPECT_EQ(BigInt(0).ToSignedBytes(), (std::vector<uint8_t>{0}));
  // Missing sign byte, bad sign byte, leading zero, negative zero, too long.
  EXPECT_FALSE(BigInt::FromSignedBytes({}, 8).ok());
  EXPECT_FALSE(BigInt::FromSignedBytes(std::vector<uint8_t>{2, 1}, 8).ok());
  EXPECT_FALSE(BigInt::FromSignedBytes(std::vector<uint8_t>{0, 0, 1}, 8).ok());
  EXPECT_FALSE(BigInt::FromSignedBytes(std::vector<uint8_t>{1}, 8).ok());
  EXPECT_FALSE(
      BigInt::FromSignedBytes(std::vector<uint8_t>{0, 1, 2, 3}, 2).ok());
}

TEST(BigInt, HexAndDecimal) {
  auto v = BigInt::FromHex("-ff");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, BigInt(-255));
  EXPECT_EQ(v->ToHex(), "-ff");
  EXPECT_EQ(BigInt(1234).ToDecimal(), "1234");
  EXPECT_FALSE(BigInt::FromHex("").ok());
  EXPECT_FALSE(BigInt::FromHex("12g4").ok());
  EXPECT_FALSE(BigInt::FromDecimal("12a").ok());
}

TEST(BigInt, ModularArithmetic) {
  BigInt m(497);
  EXPECT_EQ(BigInt::PowMod(BigInt(4), BigInt(13), m), BigInt(445));
  EXPECT_EQ(BigInt::PowModSecret(BigInt(4), BigInt(13), m), BigInt(445));
  EXPECT_EQ(BigInt::PowModSecret(BigInt(4), BigInt(0), m), BigInt(1));
  // Negative exponent: 4^-1 * 4 = 1.
  BigInt inv = BigInt::PowModSecret(BigInt(4), BigInt(-1), m);
  EXPECT_EQ(BigInt::ModMul(inv, BigInt(4), m), BigInt(1));
  EXPECT_EQ(BigInt::Mod(BigInt(-3), BigInt(7)), BigInt(4));
  EXPECT_FALSE(BigInt::ModInverse(BigInt(7), BigInt(49)).ok());
  EXPECT_EQ(BigInt::Gcd(BigInt(12), BigInt(18)), BigInt(6));
  EXPECT_EQ(BigInt::FloorDiv(BigInt(-7), BigInt(2)), BigInt(-4));
  EXPECT_EQ(BigInt::Jacobi(BigInt(2), BigInt(7)), 1);
  EXPECT_TRUE(BigInt(1000003).IsProbablePrime());
  EXPECT_FALSE(BigInt(1000001).IsProbablePrime());
}

TEST(BigInt, RandomRangesAreRespected) {
  DeterministicRandom rng(7);
  BigInt bound(1000);
  for (int i = 0; i < 2000; ++i) {
    BigInt r = BigInt::RandomBelow(bound, rng);
    ASSERT_GE(r, BigInt(0));
    ASSERT_LT(r, bound);
    BigInt s = BigInt::RandomSigned(8, rng);
    ASSERT_GE(s, BigInt(-256));
    ASSERT_LE(s, BigInt(256));
    BigInt u = BigInt::RandomUnit(BigInt(12), rng);
    ASSERT_EQ(BigInt::Gcd(u, BigInt(12)), BigInt(1));
  }
}

TEST(BigInt, ConstantTimeEqual) {
  EXPECT_TRUE(BigInt::ConstantTimeEqual(BigInt(5), BigInt(5), 32));
  EXPECT_FALSE(BigInt::ConstantTimeEqual(BigInt(5), BigInt(6), 32));
  EXPECT_FALSE(BigInt::ConstantTimeEqual(BigInt(-5), BigInt(-5), 32));
}

TEST(Random, DeterministicIsReproducibleAndForksDiffer) {
  DeterministicRandom a(42), b(42);
  EXPECT_EQ(a.NextU64(), b.NextU64());
  auto fa = a.Fork();
  auto fb = b.Fork();
  uint64_t x = fa->NextU64();
  EXPECT_EQ(x, fb->NextU64());
  EXPECT_NE(x, a.NextU64());
  DeterministicRandom c(43);
  DeterministicRandom d(42);
  EXPECT_NE(c.NextU64(), d.NextU64());
}

}  // namespace
}  // namespace nitro_tss::mpc

// ---- Constant-time exponentiation (issue 12 finding 4) ----

namespace nitro_tss::mpc {
namespace {

BigInt RandomOdd(size_t bits, RandomSource& rng) {
  BigInt m = BigInt::RandomBits(bits, rng);
  mpz_setbit(m.get_mut(), 0);
  mpz_setbit(m.get_mut(), bits - 1);
  return m;
}

TEST(BigIntConstTime, PowModConstTimeMatchesPowMod) {
  DeterministicRandom rng(70);
  for (size_t bits : {64u, 200u, 1024u, 2048u}) {
    const BigInt m = RandomOdd(bits, rng);
    const std::vector<BigInt> bases = {BigInt(0),
                                       BigInt(1),
                                       BigInt(2),
                                       m - BigInt(1),
                                       m,
                                       m + BigInt(1),
                                       m * m + BigInt(5),
                                       BigInt::RandomBelow(m, rng),
                                       BigInt::RandomBits(2 * bits + 64, rng),
                                       -BigInt::RandomBelow(m, rng),
                                       -m};
    const std::vector<BigInt> exps = {BigInt(0),
                                      BigInt(1),
                                      BigInt(2),
                                      BigInt::RandomBits(17, rng),
                                      BigInt::RandomBits(bits, rng),
                                      BigInt::PowerOfTwo(bits) - BigInt(1)};
    for (const BigInt& b : bases) {
      for (const BigInt& e : exps) {
        const BigInt want = BigInt::PowMod(b, e, m);
        EXPECT_EQ(BigInt::PowModConstTime(b, e, m, bits), want)
            << bits << " " << b.ToHex() << " " << e.ToHex();
        // A bound below the exponent's length grows to it.
        EXPECT_EQ(BigInt::PowModConstTime(b, e, m, 0), want);
        EXPECT_EQ(BigInt::PowModConstTime(b, e, m, 3 * bits), want);
      }
    }
  }
}

TEST(BigIntConstTime, ModConstTimeMatchesMod) {
  DeterministicRandom rng(71);
  for (size_t bits : {64u, 130u, 1024u}) {
    const BigInt m = BigInt::RandomBits(bits, rng) + BigInt(2);  // any parity
    for (const BigInt& a :
         {BigInt(0), BigInt(5), BigInt(-5), m, -m, m * BigInt(3),
          -(m * BigInt(3)), m - BigInt(1), BigInt(1) - m,
          BigInt::RandomSigned(3000, rng), BigInt::RandomSigned(bits, rng)}) {
      EXPECT_EQ(BigInt::ModConstTime(a, m), BigInt::Mod(a, m))
          << a.ToHex() << " mod " << m.ToHex();
    }
  }
}

TEST(BigIntConstTime, PowModSecretHandlesBothSignsLikePowMod) {
  DeterministicRandom rng(72);
  const BigInt m = RandomOdd(1024, rng);
  const BigInt base = BigInt::RandomUnit(m, rng);
  for (const BigInt& e :
       {BigInt(0), BigInt(1), BigInt(-1), BigInt::RandomSigned(300, rng),
        -BigInt::RandomBits(300, rng), BigInt::RandomBits(1500, rng)}) {
    EXPECT_EQ(BigInt::PowModSecret(base, e, m), BigInt::PowMod(base, e, m))
        << e.ToHex();
  }
  // Not a unit: defined for e >= 0 only (0 for e < 0).
  const BigInt m15(15);
  EXPECT_EQ(BigInt::PowModSecret(BigInt(3), BigInt(3), m15), BigInt(12));
  EXPECT_EQ(BigInt::PowModSecret(BigInt(3), BigInt(-3), m15), BigInt(0));
}

TEST(BigIntConstTime, CallCountersSeparateTheTwoPaths) {
  const BigInt m(1000003);
  internal::PowModCallCounts a = internal::PowModCalls();
  BigInt::PowMod(BigInt(3), BigInt(5), m);
  internal::PowModCallCounts b = internal::PowModCalls();
  EXPECT_EQ(b.variable_time - a.variable_time, 1u);
  EXPECT_EQ(b.const_time - a.const_time, 0u);
  BigInt::PowModConstTime(BigInt(3), BigInt(5), m, 20);
  BigInt::PowModSecret(BigInt(3), BigInt(-5), m);
  internal::PowModCallCounts c = internal::PowModCalls();
  EXPECT_EQ(c.variable_time - b.variable_time, 0u);
  EXPECT_EQ(c.const_time - b.const_time, 2u);
}

}  // namespace
}  // namespace nitro_tss::mpc
