#include "mpc/paillier/paillier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "mpc/math/random.h"
#include "mpc/paillier/fixed_base.h"
#include "mpc/primes/safe_prime.h"
#include "tests/fixtures/fixtures.h"
#include "tests/mpc/pow_mod_counts.h"

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixturePrimePairs;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(Fixtures, EveryFixturePrimeIsASafePrime) {
  const auto& pairs = FixturePrimePairs();
  ASSERT_GE(pairs.size(), 16u);
  for (const auto& pair : pairs) {
    for (const BigInt* p : {&pair.p, &pair.q}) {
      EXPECT_EQ(p->BitLength(), 1024u);
      EXPECT_TRUE(p->TestBit(1022));
      EXPECT_EQ(p->ToU64() % 4, 3u);
      EXPECT_TRUE(p->IsProbablePrime(20));
      EXPECT_TRUE(((*p - BigInt(1)).ShiftRight(1)).IsProbablePrime(20));
    }
    EXPECT_EQ((pair.p * pair.q).BitLength(), 2048u);
  }
}

TEST(Paillier, RandomRoundTrips) {
  DeterministicRandom rng(1);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const PaillierPublicKey& pk = key.public_key();
  for (int i = 0; i < 8; ++i) {
    BigInt m = BigInt::RandomBelow(pk.n(), rng);
    auto enc = pk.Encrypt(m, rng);
    ASSERT_TRUE(enc.ok()) << enc.status();
    ASSERT_TRUE(pk.ValidateCiphertext(enc->ciphertext).ok());
    auto dec = key.Decrypt(enc->ciphertext);
    ASSERT_TRUE(dec.ok()) << dec.status();
    EXPECT_EQ(*dec, m);
  }
  // Edge plaintexts: 0, 1, N-1.
  for (const BigInt& m : {BigInt(0), BigInt(1), pk.n() - BigInt(1)}) {
    auto enc = pk.Encrypt(m, rng);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(*key.Decrypt(enc->ciphertext), m);
  }
}

TEST(Paillier, SignedRoundTrips) {
  DeterministicRandom rng(2);
  const PaillierPrivateKey& key = FixturePaillierKey(1);
  const PaillierPublicKey& pk = key.public_key();
  BigInt half = pk.n().ShiftRight(1);  // (N-1)/2
  for (const BigInt& m : {BigInt(-1), BigInt(-12345), -half, half,
                          BigInt::RandomSigned(2000, rng)}) {
    auto enc = pk.Encrypt(m, rng);
    ASSERT_TRUE(enc.ok()) << enc.status();
    auto dec = key.DecryptSigned(enc->ciphertext);
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(*dec, m);
    EXPECT_EQ(*key.Decrypt(enc->ciphertext), BigInt::Mod(m, pk.n()));
  }
}

TEST(Paillier, PlaintextRangeIsEnforced) {
  DeterministicRandom rng(3);
  const PaillierPublicKey& pk = FixturePaillierKey(0).public_key();
  BigInt half = pk.n().ShiftRight(1);
  for (const BigInt& m :
       {pk.n(), pk.n() + BigInt(1), -half - BigInt(1), -pk.n()}) {
    auto enc = pk.Encrypt(m, rng);
    ASSERT_FALSE(enc.ok());
    EXPECT_THAT(Message(enc.status()), HasSubstr("plaintext out of range"));
  }
}

TEST(Paillier, HomomorphicAddAndScalarMultiplication) {
  DeterministicRandom rng(4);
  const PaillierPrivateKey& key = FixturePaillierKey(2);
  const PaillierPublicKey& pk = key.public_key();
  BigInt a = BigInt::RandomBits(1500, rng);
  BigInt b = BigInt::RandomSigned(1500, rng);
  auto ca = pk.Encrypt(a, rng);
  auto cb = pk.Encrypt(b, rng);
  ASSERT_TRUE(ca.ok() && cb.ok());
  auto sum = pk.Add(ca->ciphertext, cb->ciphertext);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*key.DecryptSigned(*sum), a + b);
  for (const BigInt& k :
       {BigInt(0), BigInt(1), BigInt(-1), BigInt::RandomBits(256, rng),
        -BigInt::RandomBits(256, rng), BigInt::RandomBits(2048, rng)}) {
    auto prod = pk.MulScalar(cb->ciphertext, k);
    ASSERT_TRUE(prod.ok());
    EXPECT_EQ(*key.Decrypt(*prod), BigInt::Mod(b * k, pk.n()));
  }
}

TEST(Paillier, CrtAndPlainPathsAgree) {
  DeterministicRandom rng(5);
  for (size_t i = 0; i < 3; ++i) {
    const PaillierPrivateKey& key = FixturePaillierKey(i);
    const PaillierPublicKey& pk = key.public_key();
    BigInt m = BigInt::RandomBelow(pk.n(), rng);
    BigInt r = BigInt::RandomUnit(pk.n(), rng);
    auto foreign = pk.EncryptWithNonce(m, r);
    auto own = key.EncryptWithNonce(m, r);
    ASSERT_TRUE(foreign.ok() && own.ok());
    EXPECT_EQ(*foreign, *own);
    EXPECT_EQ(*key.NonceToNthPower(r),
              BigInt::PowMod(r, pk.n(), pk.n_squared()));
    EXPECT_EQ(*key.Decrypt(*own), *key.DecryptWithoutCrt(*own));
    EXPECT_EQ(*key.DecryptWithoutCrt(*own), m);
    auto own_random = key.Encrypt(m, rng);
    ASSERT_TRUE(own_random.ok());
    EXPECT_EQ(*pk.EncryptWithNonce(m, own_random->nonce),
              own_random->ciphertext);
  }
}

TEST(Paillier, InvalidCiphertextsAreRejected) {
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const PaillierPublicKey& pk = key.public_key();
  struct Case {
    BigInt c;
    const char* error;
  };
  const Case cases[] = {
      {BigInt(0), "ciphertext not positive"},
      {BigInt(-5), "ciphertext not positive"},
      {pk.n_squared(), "ciphertext >= N^2"},
      {pk.n_squared() + BigInt(1), "ciphertext >= N^2"},
      {key.p(), "ciphertext not a unit"},
      {key.q() * BigInt(7), "ciphertext not a unit"},
      {pk.n(), "ciphertext not a unit"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Message(pk.ValidateCiphertext(c.c)), HasSubstr(c.error));
    EXPECT_THAT(Message(key.Decrypt(c.c).status()), HasSubstr(c.error));
    EXPECT_THAT(Message(key.DecryptWithoutCrt(c.c).status()),
                HasSubstr(c.error));
    EXPECT_THAT(Message(pk.Add(c.c, BigInt(1)).status()), HasSubstr(c.error));
    EXPECT_THAT(Message(pk.Add(BigInt(1), c.c).status()), HasSubstr(c.error));
    EXPECT_THAT(Message(pk.MulScalar(c.c, BigInt(3)).status()),
                HasSubstr(c.error));
  }
  EXPECT_TRUE(pk.ValidateCiphertext(BigInt(1)).ok());
  EXPECT_TRUE(pk.ValidateCiphertext(pk.n_squared() - BigInt(1)).ok());
}

TEST(Paillier, InvalidNoncesAreRejected) {
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const PaillierPublicKey& pk = key.public_key();
  for (const BigInt& r : {BigInt(0), BigInt(-1), pk.n(), pk.n() + BigInt(1)}) {
    EXPECT_THAT(Message(pk.EncryptWithNonce(BigInt(1), r).status()),
                HasSubstr("nonce not in (0, N)"));
    EXPECT_THAT(Message(key.EncryptWithNonce(BigInt(1), r).status()),
                HasSubstr("nonce not in (0, N)"));
  }
  EXPECT_THAT(Message(pk.EncryptWithNonce(BigInt(1), key.p()).status()),
              HasSubstr("nonce not a unit"));
}

TEST(PaillierKey, PublicKeyValidation) {
  const PaillierPublicKey& pk = FixturePaillierKey(0).public_key();
  // 2047-bit N.
  BigInt short_n = pk.n().ShiftRight(1);
  if (!short_n.IsOdd()) short_n = short_n + BigInt(1);
  ASSERT_EQ(short_n.BitLength(), 2047u);
  EXPECT_THAT(Message(PaillierPublicKey::FromModulus(short_n).status()),
              HasSubstr("modulus has 2047 bits, expected exactly 2048"));
  EXPECT_THAT(
      Message(PaillierPublicKey::FromModulus(pk.n() * BigInt(2)).status()),
      HasSubstr("modulus has 2049 bits"));
  EXPECT_THAT(
      Message(PaillierPublicKey::FromModulus(pk.n() + BigInt(1)).status()),
      HasSubstr("modulus is even"));
  EXPECT_THAT(Message(PaillierPublicKey::FromModulus(-pk.n()).status()),
              HasSubstr("modulus not positive"));
  BigInt root = BigInt::PowerOfTwo(1024) - BigInt(1);
  EXPECT_THAT(Message(PaillierPublicKey::FromModulus(root * root).status()),
              HasSubstr("perfect square"));
  EXPECT_TRUE(PaillierPublicKey::FromModulus(pk.n()).ok());
}

TEST(PaillierKey, PrivateKeyValidation) {
  const auto& pairs = FixturePrimePairs();
  const BigInt& p = pairs[0].p;
  const BigInt& q = pairs[0].q;
  EXPECT_TRUE(PaillierPrivateKey::FromPrimes(p, q).ok());
  EXPECT_THAT(Message(PaillierPrivateKey::FromPrimes(p, p).status()),
              HasSubstr("p == q"));
  // 1023-bit factor.
  BigInt small = p.ShiftRight(1);
  EXPECT_THAT(Message(PaillierPrivateKey::FromPrimes(small, q).status()),
              HasSubstr("exactly 1024 bits"));
  // p ≡ 1 mod 4.
  EXPECT_THAT(
      Message(PaillierPrivateKey::FromPrimes(p + BigInt(2), q).status()),
      HasSubstr("not congruent to 3 mod 4"));
  // ≡ 3 mod 4 but composite / not safe.
  EXPECT_THAT(
      Message(PaillierPrivateKey::FromPrimes(p + BigInt(4), q).status()),
      HasSubstr("not a safe prime"));
  // Two 1024-bit factors whose product has 2047 bits.
  BigInt lo = BigInt::PowerOfTwo(1023) + BigInt(3);
  EXPECT_THAT(
      Message(PaillierPrivateKey::FromPrimes(lo, lo + BigInt(4)).status()),
      HasSubstr("modulus has 2047 bits"));
}

TEST(PaillierKey, ProtoRoundTripAndStrictDecoding) {
  const PaillierPublicKey& pk = FixturePaillierKey(3).public_key();
  auto back = PaillierPublicKey::FromProto(pk.ToProto());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == pk);

  v1::PaillierPublicKey missing;
  EXPECT_THAT(Message(PaillierPublicKey::FromProto(missing).status()),
              HasSubstr("public key field n"));
  v1::PaillierPublicKey padded = pk.ToProto();
  padded.mutable_n()->insert(1, 1, '\0');  // leading zero: non-canonical
  EXPECT_THAT(Message(PaillierPublicKey::FromProto(padded).status()),
              HasSubstr("public key field n"));
  v1::PaillierPublicKey oversized = pk.ToProto();
  oversized.mutable_n()->append("\x01");  // 257 bytes of magnitude
  EXPECT_THAT(Message(PaillierPublicKey::FromProto(oversized).status()),
              HasSubstr("public key field n"));
  v1::PaillierPublicKey negative = pk.ToProto();
  (*negative.mutable_n())[0] = '\x01';
  EXPECT_THAT(Message(PaillierPublicKey::FromProto(negative).status()),
              HasSubstr("modulus not positive"));
}

TEST(SafePrime, GeneratesA1024BitSafePrimeOnTwoThreads) {
  auto p = GenerateSafePrime(1024, SystemRandom(), 2);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->BitLength(), 1024u);
  EXPECT_TRUE(p->TestBit(1022));
  EXPECT_EQ(p->ToU64() % 4, 3u);
  EXPECT_TRUE(IsSafePrime(*p, 40));
}

TEST(SafePrime, DeterministicSingleThreadAndArgumentChecks) {
  DeterministicRandom a(7), b(7);
  auto p1 = GenerateSafePrime(256, a, 1);
  auto p2 = GenerateSafePrime(256, b, 1);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(*p1, *p2);
  EXPECT_TRUE(IsSafePrime(*p1));
  EXPECT_EQ(p1->BitLength(), 256u);
  EXPECT_FALSE(GenerateSafePrime(32, a, 1).ok());
  EXPECT_FALSE(GenerateSafePrime(1024, a, 0).ok());
  std::atomic<bool> cancel{true};
  auto cancelled = GenerateSafePrime(1024, a, 2, &cancel);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(IsSafePrime(BigInt(13)));  // 6 is not prime
  EXPECT_TRUE(IsSafePrime(BigInt(23)));
  EXPECT_FALSE(IsSafePrime(BigInt(4)));
}

TEST(SafePrimePool, FillsInBackgroundAndHandsOutPrimes) {
  SafePrimePool pool(256, 3);
  EXPECT_EQ(pool.TryTake().status().code(), absl::StatusCode::kUnavailable);
  absl::Status filler_status;
  std::thread filler([&] {
    DeterministicRandom rng(9);
    filler_status = pool.RunFiller(rng, 1);
  });
  for (int i = 0; i < 5; ++i) {
    auto p = pool.Take(std::chrono::seconds(60));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(IsSafePrime(*p));
    EXPECT_EQ(p->BitLength(), 256u);
  }
  pool.Stop();
  filler.join();
  EXPECT_TRUE(filler_status.ok()) << filler_status;
  EXPECT_LE(pool.Size(), 3u);
  while (pool.TryTake().ok()) {
  }
  EXPECT_EQ(pool.Take(std::chrono::milliseconds(10)).status().code(),
            absl::StatusCode::kUnavailable);
  // Add(): validated, bounded.
  EXPECT_THAT(Message(pool.Add(BigInt(23))), HasSubstr("not a 256-bit"));
  DeterministicRandom rng(10);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(pool.Add(*GenerateSafePrime(256, rng, 1)).ok());
  }
  EXPECT_EQ(pool.Add(*GenerateSafePrime(256, rng, 1)).code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace nitro_tss::mpc

namespace nitro_tss::mpc {
namespace {

TEST(FixedBaseExp, MatchesPowModIncludingEdgeExponents) {
  DeterministicRandom rng(40);
  const PaillierPrivateKey& key = testing::FixturePaillierKey(4);
  const BigInt p2 = key.p() * key.p();
  const BigInt base = BigInt::RandomBelow(p2, rng);
  FixedBaseExp fb(base, p2, 1024);
  std::vector<BigInt> exponents = {BigInt(0), BigInt(1), BigInt(2),
                                   BigInt::PowerOfTwo(1024) - BigInt(1),
                                   BigInt::PowerOfTwo(1023)};
  for (int i = 0; i < 6; ++i)
    exponents.push_back(BigInt::RandomBits(1024, rng));
  for (const BigInt& e : exponents) {
    EXPECT_EQ(fb.Pow(e), BigInt::PowMod(base, e, p2)) << e.ToHex();
  }
  // Outside the table's range: falls back to the generic path.
  EXPECT_EQ(fb.Pow(BigInt::PowerOfTwo(1024)),
            BigInt::PowMod(base, BigInt::PowerOfTwo(1024), p2));
  FixedBaseExp small(BigInt(3), key.q(), 100);
  EXPECT_EQ(small.Pow(BigInt(12345)),
            BigInt::PowMod(BigInt(3), BigInt(12345), key.q()));
  FixedBaseExp copy = small;
  EXPECT_EQ(copy.Pow(BigInt(7)), BigInt::PowMod(BigInt(3), BigInt(7), key.q()));
}

TEST(FixedBaseExp, EveryTableCountMatchesPowModAtEveryBoundary) {
  // Lim–Lee with v tables: exponents whose set bits sit at every block and
  // sub-block boundary (i·a + k·b and one below), all ones, the largest in
  // range, and random ones; odd and even widths so that b does not divide
  // evenly.
  DeterministicRandom rng(42);
  const PaillierPrivateKey& key = testing::FixturePaillierKey(4);
  const BigInt& m = key.public_key().n();
  const BigInt base = BigInt::RandomUnit(m, rng);
  for (size_t tables :
       {size_t{1}, size_t{2}, size_t{3}, size_t{4}, FixedBaseExp::kMaxTables}) {
    for (size_t bits :
         {size_t{1}, size_t{7}, size_t{100}, size_t{2176}, size_t{2177}}) {
      SCOPED_TRACE(::testing::Message()
                   << tables << " tables, " << bits << " bits");
      FixedBaseExp fb(base, m, bits, tables);
      std::vector<BigInt> exponents = {BigInt(0), BigInt(1),
                                       BigInt::PowerOfTwo(bits) - BigInt(1),
                                       BigInt::PowerOfTwo(bits - 1)};
      const size_t h = FixedBaseExp::kCombBlocks;
      const size_t b = (bits + h * tables - 1) / (h * tables);
      BigInt boundaries(0);
      for (size_t pos = b; pos < bits; pos += b) {
        boundaries =
            boundaries + BigInt::PowerOfTwo(pos) + BigInt::PowerOfTwo(pos - 1);
      }
      exponents.push_back(boundaries);
      for (int i = 0; i < 3; ++i) {
        exponents.push_back(BigInt::RandomBits(bits, rng));
      }
      for (const BigInt& e : exponents) {
        EXPECT_EQ(fb.Pow(e), BigInt::PowMod(base, e, m)) << e.ToHex();
      }
    }
  }
}

TEST(FixedBaseExpDeathTest, TableCountOutOfRangeTraps) {
  const BigInt& m = testing::FixturePaillierKey(4).public_key().n();
  EXPECT_DEATH(FixedBaseExp(BigInt(3), m, 100, 0), "");
  EXPECT_DEATH(FixedBaseExp(BigInt(3), m, 100, FixedBaseExp::kMaxTables + 1),
               "");
}

TEST(Paillier, OwnKeyEncryptionNoncesAreFreshUnits) {
  DeterministicRandom rng(41);
  const PaillierPrivateKey& key = testing::FixturePaillierKey(5);
  const PaillierPublicKey& pk = key.public_key();
  BigInt m = BigInt::RandomSigned(1000, rng);
  auto a = key.Encrypt(m, rng);
  auto b = key.Encrypt(m, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_NE(a->ciphertext, b->ciphertext);
  for (const auto* enc : {&*a, &*b}) {
    EXPECT_TRUE(pk.ValidateNonce(enc->nonce).ok());
    EXPECT_EQ(*pk.EncryptWithNonce(m, enc->nonce), enc->ciphertext);
    EXPECT_EQ(*key.DecryptSigned(enc->ciphertext), m);
  }
  PaillierPrivateKey copy = key;  // tables are shared between copies
  auto c = copy.Encrypt(m, rng);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*pk.EncryptWithNonce(m, c->nonce), c->ciphertext);
  EXPECT_THAT(std::string(key.Encrypt(pk.n(), rng).status().message()),
              ::testing::HasSubstr("plaintext out of range"));
}

}  // namespace
}  // namespace nitro_tss::mpc

namespace nitro_tss::mpc {
namespace {

TEST(PaillierKey, FromPoolDrawsTwoPrimes) {
  SafePrimePool pool(1024, 2);
  const auto& pair = testing::FixturePrimePairs()[6];
  ASSERT_TRUE(pool.Add(pair.p).ok());
  ASSERT_TRUE(pool.Add(pair.q).ok());
  auto key = PaillierPrivateKey::FromPool(pool, std::chrono::milliseconds(10));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->n(), pair.p * pair.q);
  EXPECT_EQ(pool.Size(), 0u);
  EXPECT_EQ(PaillierPrivateKey::FromPool(pool, std::chrono::milliseconds(10))
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  SafePrimePool wrong(256, 1);
  EXPECT_THAT(std::string(PaillierPrivateKey::FromPool(
                              wrong, std::chrono::milliseconds(1))
                              .status()
                              .message()),
              ::testing::HasSubstr("pool holds 256-bit primes"));
}

}  // namespace
}  // namespace nitro_tss::mpc

// ---- Constant-time exponentiation (issue 12 finding 4): private-key
// operations and the tests run on safe-prime candidates never use the
// variable-time BigInt::PowMod / mpz_powm / mpz_probab_prime_p.

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::mpc::pow_mod_counts::CountPowMod;

TEST(PaillierConstTime, PrivateKeyOperationsUseOnlyConstantTimeExponentiation) {
  const PaillierPrivateKey& key = FixturePaillierKey(6);
  const PaillierPublicKey& pk = key.public_key();
  DeterministicRandom rng(84);
  const BigInt m = BigInt::RandomBelow(key.n(), rng);
  const BigInt r = BigInt::RandomUnit(key.n(), rng);
  const BigInt c = *pk.EncryptWithNonce(m, r);
  struct Case {
    const char* name;
    std::function<void()> run;
    uint64_t const_time;
  };
  const std::vector<Case> cases = {
      {"Decrypt", [&] { EXPECT_EQ(*key.Decrypt(c), m); }, 2},
      {"DecryptSigned", [&] { EXPECT_TRUE(key.DecryptSigned(c).ok()); }, 2},
      {"DecryptWithoutCrt", [&] { EXPECT_EQ(*key.DecryptWithoutCrt(c), m); },
       1},
      {"NonceToNthPower", [&] { EXPECT_TRUE(key.NonceToNthPower(r).ok()); }, 4},
      {"EncryptWithNonce (own key)",
       [&] { EXPECT_EQ(*key.EncryptWithNonce(m, r), c); }, 4},
      // Four constant-time fixed-base combs (r mod p, q; r^N mod p², q²).
      {"Encrypt (own key)", [&] { EXPECT_TRUE(key.Encrypt(m, rng).ok()); }, 4},
      {"EncryptWithNonce (public key)",
       [&] { EXPECT_EQ(*pk.EncryptWithNonce(m, r), c); }, 1},
      {"MulScalar k >= 0",
       [&] { EXPECT_TRUE(pk.MulScalar(c, BigInt(12345)).ok()); }, 1},
      {"MulScalar k < 0",
       [&] { EXPECT_TRUE(pk.MulScalar(c, BigInt(-12345)).ok()); }, 1},
  };
  for (const Case& t : cases) {
    internal::PowModCallCounts calls = CountPowMod(t.run);
    EXPECT_EQ(calls.variable_time, 0u) << t.name;
    EXPECT_EQ(calls.const_time, t.const_time) << t.name;
  }
}

TEST(PaillierConstTime, KeyLoadingTestsThePrimesInConstantTime) {
  const auto& pair = FixturePrimePairs()[7];
  internal::PowModCallCounts calls = CountPowMod([&] {
    EXPECT_TRUE(PaillierPrivateKey::FromPrimes(pair.p, pair.q).ok());
  });
  EXPECT_EQ(calls.variable_time, 0u);
  // IsSafePrime: 20 Miller–Rabin rounds on each of p, (p-1)/2, q, (q-1)/2;
  // the two ω(g) = g^p mod p² table bases.
  EXPECT_EQ(calls.const_time, 4u * 20u + 2u);
}

TEST(SafePrimeConstTime, CandidateTestsUseOnlyConstantTimeExponentiation) {
  DeterministicRandom rng(85);
  absl::StatusOr<BigInt> p;
  internal::PowModCallCounts calls =
      CountPowMod([&] { p = GenerateSafePrime(512, rng, 1); });
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(calls.variable_time, 0u);
  // At least the accepted candidate's Fermat + Pocklington tests and its
  // kSafePrimeMillerRabinRounds + 2 Miller–Rabin rounds.
  EXPECT_GE(calls.const_time, 2u + kSafePrimeMillerRabinRounds + 2u);
  EXPECT_TRUE(IsSafePrime(*p));
  calls = CountPowMod([&] { EXPECT_TRUE(IsSafePrime(*p, 10, rng)); });
  EXPECT_EQ(calls.variable_time, 0u);
  EXPECT_EQ(calls.const_time, 20u);
}

TEST(SafePrimeConstTime, MillerRabinSeparatesPrimesFromComposites) {
  DeterministicRandom rng(86);
  const auto& pair = FixturePrimePairs()[0];
  const BigInt mersenne127 = BigInt::PowerOfTwo(127) - BigInt(1);
  for (const BigInt& prime :
       {pair.p, (pair.p - BigInt(1)).ShiftRight(1), pair.q, mersenne127,
        BigInt(5), BigInt(1000003)}) {
    EXPECT_TRUE(MillerRabinConstTime(prime, 16, rng)) << prime.ToHex();
  }
  // Carmichael numbers, strong pseudoprimes to small bases, an RSA modulus
  // and a prime square.
  for (const BigInt& composite :
       {BigInt(561), BigInt(41041), BigInt(2047), BigInt(3215031751),
        pair.p * pair.q, pair.p * pair.p, mersenne127 * BigInt(3)}) {
    EXPECT_FALSE(MillerRabinConstTime(composite, 16, rng)) << composite.ToHex();
  }
  // n - 1 divisible by 2^80 (more than the 64 fixed squarings).
  BigInt k(1);
  BigInt n;
  do {
    k = k + BigInt(2);
    n = k.ShiftLeft(80) + BigInt(1);
  } while (!n.IsProbablePrime(30));
  EXPECT_TRUE(MillerRabinConstTime(n, 16, rng)) << n.ToHex();
  EXPECT_FALSE(
      MillerRabinConstTime(n * (BigInt(1).ShiftLeft(90) + BigInt(1)), 16, rng));
}

}  // namespace
}  // namespace nitro_tss::mpc
