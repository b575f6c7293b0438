#include "mpc/math/bigint.h"

#include <gtest/gtest.h>

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
