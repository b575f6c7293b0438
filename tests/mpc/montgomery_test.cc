#include "mpc/math/montgomery.h"

#include <gtest/gtest.h>

#include <vector>

#include "mpc/math/random.h"

namespace nitro_tss::mpc {
namespace {

std::vector<mp_limb_t> Limbs(const BigInt& v, size_t n) {
  std::vector<mp_limb_t> out(n, 0);
  for (size_t i = 0; i < mpz_size(v.get()) && i < n; ++i) {
    out[i] = mpz_getlimbn(v.get(), static_cast<mp_size_t>(i));
  }
  return out;
}

BigInt FromLimbs(const std::vector<mp_limb_t>& v) {
  BigInt r;
  mpz_import(r.get_mut(), v.size(), -1, sizeof(mp_limb_t), 0, 0, v.data());
  return r;
}

// Moduli of several shapes: one limb, a small top limb (2^(64k) + 1), all
// ones (2^(64k) - 1), and random odd ones of the sizes the callers use
// (p: 16 limbs, p² / N̂: 32, N²: 64).
std::vector<BigInt> Moduli(RandomSource& rng) {
  std::vector<BigInt> out = {BigInt(3), BigInt::FromU64(0xffffffffffffffc5u),
                             BigInt::PowerOfTwo(128) + BigInt(1),
                             BigInt::PowerOfTwo(256) - BigInt(1)};
  for (size_t bits : {1024, 2048, 4096}) {
    BigInt m = BigInt::RandomBits(bits, rng) + BigInt::PowerOfTwo(bits - 1);
    if (!m.IsOdd()) m = m + BigInt(1);
    out.push_back(m);
  }
  return out;
}

// A random odd 4096-bit modulus (N²'s size).
BigInt RandomOdd4096(RandomSource& rng) {
  const BigInt m = BigInt::RandomBits(4095, rng) + BigInt::PowerOfTwo(4095);
  return m.IsOdd() ? m : m + BigInt(1);
}

TEST(Montgomery, MulSqrAndConversionsMatchModularArithmetic) {
  DeterministicRandom rng(71);
  for (const BigInt& m : Moduli(rng)) {
    SCOPED_TRACE(m.BitLength());
    Montgomery mont(m);
    Montgomery::Workspace ws(mont);
    const size_t n = mont.limbs();
    ASSERT_EQ(n, mpz_size(m.get()));
    const BigInt r = BigInt::PowerOfTwo(64 * n);
    const BigInt r_inv = *BigInt::ModInverse(r, m);
    std::vector<BigInt> values = {BigInt(0), BigInt(1), m - BigInt(1),
                                  m - BigInt(2)};
    for (int i = 0; i < 20; ++i) values.push_back(BigInt::RandomBelow(m, rng));
    for (const BigInt& a : values) {
      // To / from Montgomery form.
      std::vector<mp_limb_t> am = mont.ToMontgomery(a);
      EXPECT_EQ(FromLimbs(am), BigInt::ModMul(a, r, m));
      EXPECT_EQ(mont.FromMontgomery(am.data(), ws), a);
      std::vector<mp_limb_t> sq(n);
      mont.Sqr(sq.data(), Limbs(a, n).data(), ws);
      EXPECT_EQ(FromLimbs(sq),
                BigInt::ModMul(BigInt::ModMul(a, a, m), r_inv, m));
      for (const BigInt& b : {values[2], values[5], values[11]}) {
        std::vector<mp_limb_t> out(n);
        mont.Mul(out.data(), Limbs(a, n).data(), Limbs(b, n).data(), ws);
        EXPECT_EQ(FromLimbs(out),
                  BigInt::ModMul(BigInt::ModMul(a, b, m), r_inv, m));
        // In place (out aliases a).
        std::vector<mp_limb_t> acc = Limbs(a, n);
        mont.Mul(acc.data(), acc.data(), Limbs(b, n).data(), ws);
        EXPECT_EQ(acc, out);
      }
    }
  }
}

TEST(Montgomery, ProductsInMontgomeryFormChainLikeExponentiation) {
  DeterministicRandom rng(72);
  BigInt mod = BigInt::RandomBits(4095, rng) + BigInt::PowerOfTwo(4095);
  if (!mod.IsOdd()) mod = mod + BigInt(1);
  Montgomery mont(mod);
  Montgomery::Workspace ws(mont);
  const BigInt base = BigInt::RandomBelow(mod, rng);
  const BigInt e = BigInt::RandomBits(300, rng);
  // Left-to-right square-and-multiply entirely in Montgomery form.
  std::vector<mp_limb_t> acc = mont.ToMontgomery(BigInt(1));
  std::vector<mp_limb_t> b = mont.ToMontgomery(base);
  for (size_t i = e.BitLength(); i-- > 0;) {
    mont.Sqr(acc.data(), acc.data(), ws);
    if (e.TestBit(i)) mont.Mul(acc.data(), acc.data(), b.data(), ws);
  }
  EXPECT_EQ(mont.FromMontgomery(acc.data(), ws), BigInt::PowMod(base, e, mod));
}

TEST(Montgomery, PowPublicExponentMatchesPowMod) {
  DeterministicRandom rng(72);
  for (const BigInt& m : Moduli(rng)) {
    SCOPED_TRACE(m.BitLength());
    Montgomery mont(m);
    // Exponents of every window width's range and the edge patterns: 0, 1,
    // 2, all ones, a single high bit, alternating bits, random ones.
    std::vector<BigInt> exps = {BigInt(0),
                                BigInt(1),
                                BigInt(2),
                                BigInt(3),
                                BigInt::PowerOfTwo(64),
                                BigInt::PowerOfTwo(101) - BigInt(1),
                                BigInt::PowerOfTwo(2047),
                                BigInt::FromU64(0xaaaaaaaaaaaaaaaau)};
    for (size_t bits : {5, 99, 101, 256, 501, 1024, 1501, 2048}) {
      exps.push_back(BigInt::RandomBits(bits, rng));
    }
    std::vector<BigInt> bases = {BigInt(0), BigInt(1), m - BigInt(1),
                                 BigInt::RandomBelow(m, rng),
                                 // more limbs than m: reduced first
                                 m * m + BigInt(5)};
    for (const BigInt& e : exps) {
      for (const BigInt& b : bases) {
        EXPECT_EQ(mont.PowPublicExponent(b, e),
                  BigInt::PowMod(BigInt::Mod(b, m), e, m))
            << "exponent bits " << e.BitLength();
      }
      // A negative exponent: the inverse of the power, for units.
      if (e.Sign() == 0) continue;
      for (int k = 0; k < 2; ++k) {
        const BigInt b = BigInt::RandomUnit(m, rng);
        EXPECT_EQ(mont.PowPublicExponent(b, -e), BigInt::PowMod(b, -e, m))
            << "exponent bits " << e.BitLength();
      }
    }
  }
}

TEST(Montgomery, PowPublicExponentOfANonUnitToANegativePowerIsZero) {
  // m = 15: 3 and 5 are not units; 0 neither.
  Montgomery mont(BigInt(15));
  EXPECT_EQ(mont.PowPublicExponent(BigInt(3), BigInt(-1)), BigInt(0));
  EXPECT_EQ(mont.PowPublicExponent(BigInt(5), BigInt(-3)), BigInt(0));
  EXPECT_EQ(mont.PowPublicExponent(BigInt(0), BigInt(-2)), BigInt(0));
  EXPECT_EQ(mont.PowPublicExponent(BigInt(2), BigInt(-1)), BigInt(8));
}

TEST(Montgomery, PowPublicExponentCountsAsConstantTime) {
  DeterministicRandom rng(73);
  const BigInt odd = RandomOdd4096(rng);
  Montgomery mont(odd);
  const internal::PowModCallCounts before = internal::PowModCalls();
  (void)mont.PowPublicExponent(BigInt::RandomBelow(odd, rng),
                               BigInt::RandomBits(2048, rng));
  const internal::PowModCallCounts after = internal::PowModCalls();
  EXPECT_EQ(after.const_time - before.const_time, 1u);
  EXPECT_EQ(after.variable_time, before.variable_time);
}

TEST(Montgomery, PowPublicTimesSecretMatchesTheProductOfTwoPowers) {
  DeterministicRandom rng(74);
  for (const BigInt& m : Moduli(rng)) {
    SCOPED_TRACE(m.BitLength());
    Montgomery mont(m);
    // Public exponents shorter, equal and longer than the secret bound;
    // secret exponents with zero digits, all ones, the top bit of the bound
    // set, and 0; bounds that are and are not multiples of the window.
    std::vector<BigInt> pub = {BigInt(0), BigInt(1), BigInt(6),
                               BigInt::RandomBits(257, rng)};
    for (size_t s_bits : {1, 3, 41, 160, 257, 601, 769, 1801}) {
      std::vector<BigInt> secrets = {
          BigInt(0), BigInt(1), BigInt::PowerOfTwo(s_bits) - BigInt(1),
          BigInt::PowerOfTwo(s_bits - 1), BigInt::RandomBits(s_bits, rng)};
      const BigInt a = BigInt::RandomBelow(m, rng);
      const BigInt b = BigInt::RandomBelow(m, rng);
      for (const BigInt& e : pub) {
        for (const BigInt& s : secrets) {
          EXPECT_EQ(mont.PowPublicTimesSecret(a, e, b, s, s_bits),
                    BigInt::ModMul(BigInt::PowMod(a, e, m),
                                   BigInt::PowMod(b, s, m), m))
              << "public bits " << e.BitLength() << ", secret bound " << s_bits
              << ", secret bits " << s.BitLength();
        }
      }
    }
    // The sizes of presigning: N (2048 bits) with a 256- and a 769-bit
    // secret.
    for (size_t s_bits : {256, 769}) {
      const BigInt a = BigInt::RandomBelow(m, rng);
      const BigInt b = BigInt::RandomBelow(m, rng);
      const BigInt e = BigInt::RandomBits(2048, rng);
      const BigInt s = BigInt::RandomBits(s_bits, rng);
      EXPECT_EQ(
          mont.PowPublicTimesSecret(a, e, b, s, s_bits),
          BigInt::ModMul(BigInt::PowMod(a, e, m), BigInt::PowMod(b, s, m), m));
    }
    // Bases with more limbs than m are reduced first; no secret part.
    const BigInt big = m * m + BigInt(7);
    const BigInt e = BigInt::RandomBits(500, rng);
    EXPECT_EQ(mont.PowPublicTimesSecret(big, e, big, BigInt(0), 0),
              BigInt::PowMod(BigInt::Mod(big, m), e, m));
    EXPECT_EQ(mont.PowPublicTimesSecret(big, BigInt(0), big, e, 500),
              BigInt::PowMod(BigInt::Mod(big, m), e, m));
  }
}

TEST(Montgomery, PowPublicTimesSecretCountsAsConstantTime) {
  DeterministicRandom rng(75);
  const BigInt odd = RandomOdd4096(rng);
  Montgomery mont(odd);
  const internal::PowModCallCounts before = internal::PowModCalls();
  (void)mont.PowPublicTimesSecret(
      BigInt::RandomBelow(odd, rng), BigInt::RandomBits(2048, rng),
      BigInt::RandomBelow(odd, rng), BigInt::RandomBits(769, rng), 769);
  const internal::PowModCallCounts after = internal::PowModCalls();
  EXPECT_EQ(after.const_time - before.const_time, 1u);
  EXPECT_EQ(after.variable_time, before.variable_time);
}

TEST(Montgomery, PowProductMatchesTheProductOfItsPowers) {
  // Zero to three public powers of different lengths (including 0, 1 and
  // equal lengths), with and without a secret part, against PowMod.
  DeterministicRandom rng(76);
  for (const BigInt& m : Moduli(rng)) {
    SCOPED_TRACE(m.BitLength());
    Montgomery mont(m);
    std::vector<BigInt> bases, exps;
    for (size_t bits : {0, 1, 256, 256, 770, 1023}) {
      bases.push_back(BigInt::RandomBelow(m, rng));
      exps.push_back(bits == 0 ? BigInt(0) : BigInt::RandomBits(bits, rng));
    }
    const BigInt b = BigInt::RandomBelow(m, rng);
    const BigInt s = BigInt::RandomBits(1024, rng);
    for (size_t count = 0; count <= bases.size(); ++count) {
      for (size_t first = 0; first + count <= bases.size(); ++first) {
        std::vector<Montgomery::PublicPower> publics;
        BigInt want(1);
        for (size_t i = first; i < first + count; ++i) {
          publics.push_back({&bases[i], &exps[i]});
          want = BigInt::ModMul(want, BigInt::PowMod(bases[i], exps[i], m), m);
        }
        EXPECT_EQ(mont.PowProduct(publics, nullptr, BigInt(0), 0),
                  BigInt::Mod(want, m))
            << count << " public powers from " << first;
        EXPECT_EQ(mont.PowProduct(publics, &b, s, 1024),
                  BigInt::ModMul(want, BigInt::PowMod(b, s, m), m))
            << count << " public powers from " << first << " and a secret";
      }
    }
  }
}

TEST(Montgomery, PowProductCountsAsConstantTime) {
  DeterministicRandom rng(77);
  const BigInt odd = RandomOdd4096(rng);
  Montgomery mont(odd);
  const BigInt a = BigInt::RandomBelow(odd, rng),
               c = BigInt::RandomBelow(odd, rng);
  const BigInt e = BigInt::RandomBits(770, rng),
               f = BigInt::RandomBits(256, rng);
  const internal::PowModCallCounts before = internal::PowModCalls();
  (void)mont.PowProduct({{&a, &e}, {&c, &f}}, &a, f, 256);
  const internal::PowModCallCounts after = internal::PowModCalls();
  EXPECT_EQ(after.const_time - before.const_time, 1u);
  EXPECT_EQ(after.variable_time, before.variable_time);
}

TEST(MontgomeryDeathTest, PowProductRefusesNegativeOrMissingExponents) {
  Montgomery mont(BigInt(1000003));
  const BigInt two(2), minus(-3), three(3);
  EXPECT_DEATH((void)mont.PowProduct({{&two, &minus}}, nullptr, BigInt(0), 0),
               "");
  EXPECT_DEATH((void)mont.PowProduct({{&two, nullptr}}, nullptr, BigInt(0), 0),
               "");
  EXPECT_DEATH((void)mont.PowProduct({{&two, &three}}, &two, BigInt(16), 4),
               "");
}

TEST(MontgomeryDeathTest, PowPublicTimesSecretRefusesASecretBeyondItsBound) {
  Montgomery mont(BigInt(1000003));
  EXPECT_DEATH((void)mont.PowPublicTimesSecret(BigInt(2), BigInt(3), BigInt(5),
                                               BigInt(16), 4),
               "");
  EXPECT_DEATH((void)mont.PowPublicTimesSecret(BigInt(2), BigInt(3), BigInt(5),
                                               BigInt(-1), 4),
               "");
  EXPECT_DEATH((void)mont.PowPublicTimesSecret(BigInt(2), BigInt(-3), BigInt(5),
                                               BigInt(1), 4),
               "");
}

TEST(MontgomeryDeathTest, RejectsEvenOrTrivialModulus) {
  EXPECT_DEATH({ Montgomery m(BigInt(1)); }, "");
  EXPECT_DEATH({ Montgomery m(BigInt(10)); }, "");
  EXPECT_DEATH({ Montgomery m(BigInt(-7)); }, "");
}

}  // namespace
}  // namespace nitro_tss::mpc
