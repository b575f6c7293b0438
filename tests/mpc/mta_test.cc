// MtA / MtAwc (mpc/mta/mta.h): α + β = k·x mod q over many random runs,
// with and without the verifiers' CRT secrets, the X binding, Alice's α
// range check, rejection of tampered / replayed messages, and the wire
// format; and the steps GG20 presigning calls (BobRespondPair and
// VerifyResponses with and without secrets, AliceDecrypt, AlphaInRange, and
// the μ of Πenc's S that its round 4 uses).
#include "mpc/mta/mta.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "tests/fixtures/fixtures.h"
#include "tests/mpc/mta_test_util.h"

namespace nitro_tss::mpc::mta {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;
using zk::testutil::Context;

constexpr uint32_t kAlice = 1;
constexpr uint32_t kBob = 2;

const PaillierPrivateKey& AliceKey() { return FixturePaillierKey(0); }
const RingPedersenSecret& AliceRp() { return FixtureRingPedersen(0); }
const RingPedersenSecret& BobRp() { return FixtureRingPedersen(1); }

struct MtaRun {
  Scalar k, x;
  PaillierEncryption enc;
  MtaRequest request;
  BobResult bob;
};

MtaRun RunUpToBob(const Scalar& k, const Scalar& x, const Point& base,
                  RandomSource& rng) {
  MtaRun run;
  run.k = k;
  run.x = x;
  absl::StatusOr<PaillierEncryption> enc = AliceEncrypt(AliceKey(), k, rng);
  EXPECT_TRUE(enc.ok()) << enc.status();
  run.enc = *std::move(enc);
  absl::StatusOr<MtaRequest> req = AliceRequest(
      AliceKey(), run.enc, k, BobRp().params(), Context(kAlice, kBob), rng);
  EXPECT_TRUE(req.ok()) << req.status();
  run.request = *std::move(req);
  EXPECT_TRUE(BobVerifyRequest(AliceKey().public_key(), BobRp().params(),
                               &BobRp(), run.request.cap_k,
                               run.request.enc_proof, Context(kAlice, kBob))
                  .ok());
  absl::StatusOr<BobResult> bob =
      BobRespond(AliceKey().public_key(), AliceRp().params(), run.request.cap_k,
                 x, base, Context(kBob, kAlice), rng);
  EXPECT_TRUE(bob.ok()) << bob.status();
  run.bob = *std::move(bob);
  return run;
}

absl::StatusOr<AliceResult> Finalize(
    const MtaRun& run, const Point& base, const Point* expected_x,
    const RingPedersenSecret* secret, const MtaResponse* response = nullptr,
    const ProofContext& ctx = Context(kBob, kAlice)) {
  return AliceFinalize(
      AliceKey(), AliceRp().params(), secret, run.request.cap_k,
      response ? *response : run.bob.response, base, expected_x, ctx);
}

const MtaRun& SharedRun() {
  static const MtaRun* run = [] {
    DeterministicRandom rng(77);
    Scalar k = Scalar::Random(rng);
    Scalar x = Scalar::Random(rng);
    return new MtaRun(RunUpToBob(k, x, Point::Generator(), rng));
  }();
  return *run;
}

TEST(Mta, AlphaPlusBetaEqualsProductOverRandomRuns) {
  DeterministicRandom rng(1);
  for (int i = 0; i < 8; ++i) {
    Scalar k = Scalar::RandomNonZero(rng);
    Scalar x = Scalar::RandomNonZero(rng);
    if (i == 0) k = Scalar::One();
    if (i == 1) x = -Scalar::One();  // x = q - 1: the largest share
    if (i == 2) k = -Scalar::One();
    MtaRun run = RunUpToBob(k, x, Point::Generator(), rng);
    // Alternate the verification paths (plain / CRT) across runs.
    const RingPedersenSecret* secret = (i % 2 == 0) ? &AliceRp() : nullptr;
    Point expected = Point::MulBase(x);
    absl::StatusOr<AliceResult> alice =
        Finalize(run, Point::Generator(), &expected, secret);
    ASSERT_TRUE(alice.ok()) << alice.status();
    EXPECT_TRUE(alice->alpha + run.bob.beta == k * x) << "run " << i;
    EXPECT_TRUE(alice->cap_x == expected);
  }
}

TEST(Mta, WithProverTablesAndNoncePool) {
  zk::RingPedersenTable alice_table(AliceRp().params());
  zk::RingPedersenTable bob_table(BobRp().params());
  DeterministicRandom rng(9);
  Scalar k = Scalar::Random(rng), x = Scalar::Random(rng);
  absl::StatusOr<PaillierEncryption> enc = AliceEncrypt(AliceKey(), k, rng);
  ASSERT_TRUE(enc.ok());
  absl::StatusOr<MtaRequest> req =
      AliceRequest(AliceKey(), *enc, k, BobRp().params(), Context(kAlice, kBob),
                   rng, &bob_table);
  ASSERT_TRUE(req.ok()) << req.status();
  ASSERT_TRUE(BobVerifyRequest(AliceKey().public_key(), BobRp().params(),
                               nullptr, req->cap_k, req->enc_proof,
                               Context(kAlice, kBob))
                  .ok());
  zk::PaillierNoncePool alice_nonces(AliceKey().public_key());
  alice_nonces.Fill(3, rng);
  absl::StatusOr<BobResult> bob =
      BobRespond(AliceKey().public_key(), AliceRp().params(), req->cap_k, x,
                 Point::Generator(), Context(kBob, kAlice), rng, &alice_table,
                 &alice_nonces);
  EXPECT_EQ(alice_nonces.size(), 1u);  // ρ of D and r of Πaff-g's A
  ASSERT_TRUE(bob.ok()) << bob.status();
  absl::StatusOr<AliceResult> alice = AliceFinalize(
      AliceKey(), AliceRp().params(), &AliceRp(), req->cap_k, bob->response,
      Point::Generator(), nullptr, Context(kBob, kAlice));
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_TRUE(alice->alpha + bob->beta == k * x);
}

TEST(Mta, MtaForGammaRevealsGammaPoint) {
  // MtA for k·γ: X = Γ = γ·G, revealed by Bob; Alice takes it from the
  // response (nullptr expected) and checks it later against the commitment.
  const MtaRun& run = SharedRun();
  absl::StatusOr<AliceResult> alice =
      Finalize(run, Point::Generator(), nullptr, &AliceRp());
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_TRUE(alice->cap_x == Point::MulBase(run.x));
  EXPECT_TRUE(alice->alpha + run.bob.beta == run.k * run.x);
}

TEST(Mta, ArbitraryBasePoint) {
  DeterministicRandom rng(2);
  Scalar k = Scalar::Random(rng), x = Scalar::Random(rng);
  Point base = Point::H();
  MtaRun run = RunUpToBob(k, x, base, rng);
  Point expected = base.Mul(x);
  absl::StatusOr<AliceResult> alice =
      Finalize(run, base, &expected, &AliceRp());
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_TRUE(alice->alpha + run.bob.beta == k * x);
}

TEST(Mta, MtAwcRejectsUnexpectedX) {
  const MtaRun& run = SharedRun();
  Point wrong = Point::MulBase(run.x + Scalar::One());
  absl::Status s =
      Finalize(run, Point::Generator(), &wrong, &AliceRp()).status();
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("mta: X does not match the expected point"));
}

TEST(Mta, TamperedResponseIsRejected) {
  const MtaRun& run = SharedRun();
  MtaResponse r = run.bob.response;
  r.cap_d = BigInt::ModMul(r.cap_d, BigInt(1) + AliceKey().n(),
                           AliceKey().public_key().n_squared());
  EXPECT_THAT(
      std::string(Finalize(run, Point::Generator(), nullptr, &AliceRp(), &r)
                      .status()
                      .message()),
      HasSubstr("pi_aff_g: N0 equation failed"));
  r = run.bob.response;
  r.cap_y = r.cap_y + Point::Generator();
  EXPECT_THAT(
      std::string(Finalize(run, Point::Generator(), nullptr, &AliceRp(), &r)
                      .status()
                      .message()),
      HasSubstr("pi_aff_g: N0 equation failed"));
  r = run.bob.response;
  r.cap_x = r.cap_x + Point::Generator();
  EXPECT_FALSE(Finalize(run, Point::Generator(), nullptr, &AliceRp(), &r).ok());
  // Replayed to another session.
  EXPECT_FALSE(Finalize(run, Point::Generator(), nullptr, &AliceRp(), nullptr,
                        Context(kBob, kAlice, "other-session"))
                   .ok());
}

TEST(Mta, BobRejectsTamperedOrReplayedRequest) {
  const MtaRun& run = SharedRun();
  MtaRequest r = run.request;
  r.cap_k = BigInt::ModMul(r.cap_k, BigInt(1) + AliceKey().n(),
                           AliceKey().public_key().n_squared());
  EXPECT_FALSE(BobVerifyRequest(AliceKey().public_key(), BobRp().params(),
                                &BobRp(), r.cap_k, r.enc_proof,
                                Context(kAlice, kBob))
                   .ok());
  EXPECT_FALSE(BobVerifyRequest(AliceKey().public_key(), BobRp().params(),
                                nullptr, run.request.cap_k,
                                run.request.enc_proof, Context(kAlice, 3))
                   .ok());
  // Bob refuses a K that is not a ciphertext.
  DeterministicRandom rng(3);
  absl::Status s =
      BobRespond(AliceKey().public_key(), AliceRp().params(), AliceKey().p(),
                 run.x, Point::Generator(), Context(kBob, kAlice), rng)
          .status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("mta: K invalid"));
}

TEST(Mta, AlphaRaysBobWithOversizedMaskIsRejected) {
  const MtaRun& run = SharedRun();
  zk::RingPedersenTable alice_table(AliceRp().params());
  zk::PaillierNoncePool alice_nonces(AliceKey().public_key());
  // Plain, and with the accelerators GG20 presign passes.
  for (bool accelerated : {false, true}) {
    DeterministicRandom rng(5);
    if (accelerated) alice_nonces.Fill(2, rng);
    absl::StatusOr<BobResult> cheat = internal::BobRespondWithOversizedMask(
        AliceKey().public_key(), AliceRp().params(), run.request.cap_k, run.x,
        Point::Generator(), Context(kBob, kAlice), rng, zk::kEpsilon + 2,
        accelerated ? &alice_table : nullptr,
        accelerated ? &alice_nonces : nullptr);
    ASSERT_TRUE(cheat.ok()) << cheat.status();
    EXPECT_FALSE(zk::InSignedRange(cheat->y, zk::kEllPrime));
    for (const RingPedersenSecret* secret :
         {&AliceRp(), static_cast<const RingPedersenSecret*>(nullptr)}) {
      absl::Status s =
          Finalize(run, Point::Generator(), nullptr, secret, &cheat->response)
              .status();
      EXPECT_THAT(std::string(s.message()),
                  HasSubstr("pi_aff_g: z2 out of range"));
    }
  }
  EXPECT_EQ(alice_nonces.size(), 0u);
}

TEST(Mta, AlphaRangeCheck) {
  // Values a proof-checked Bob can reach pass; anything beyond
  // 2^(ℓ'+ε+1) (e.g. a k·x that wrapped around N0) is rejected.
  DeterministicRandom rng(4);
  const size_t bound = zk::kEllPrime + zk::kEpsilon + 1;
  for (const BigInt& a :
       {BigInt::PowerOfTwo(bound), -BigInt::PowerOfTwo(bound), BigInt(-5)}) {
    absl::StatusOr<PaillierEncryption> d = AliceKey().Encrypt(a, rng);
    ASSERT_TRUE(d.ok());
    absl::StatusOr<Scalar> alpha =
        internal::DecryptAlpha(AliceKey(), d->ciphertext);
    ASSERT_TRUE(alpha.ok()) << alpha.status();
    EXPECT_TRUE(*alpha == Scalar::FromBigIntReduce(a));
  }
  for (const BigInt& a :
       {BigInt::PowerOfTwo(bound) + BigInt(1),
        -BigInt::PowerOfTwo(bound) - BigInt(1), AliceKey().n().ShiftRight(1)}) {
    absl::StatusOr<PaillierEncryption> d = AliceKey().Encrypt(a, rng);
    ASSERT_TRUE(d.ok());
    EXPECT_THAT(std::string(internal::DecryptAlpha(AliceKey(), d->ciphertext)
                                .status()
                                .message()),
                HasSubstr("mta: alpha out of range"));
  }
}

TEST(Mta, AlphaInRangeBoundary) {
  const BigInt bound = BigInt::PowerOfTwo(kAlphaBoundBits);
  EXPECT_TRUE(AlphaInRange(bound));
  EXPECT_TRUE(AlphaInRange(-bound));
  EXPECT_TRUE(AlphaInRange(BigInt(0)));
  EXPECT_FALSE(AlphaInRange(bound + BigInt(1)));
  EXPECT_FALSE(AlphaInRange(-bound - BigInt(1)));
}

// The statement of SharedRun's response with X = `x_point` (base G), and
// Alice's secrets for the CRT path.
ResponseStatement SharedStatement(const Point& x_point) {
  static const Point* g = new Point(Point::Generator());
  return ResponseStatement{AliceKey().public_key(), AliceRp().params(),
                           SharedRun().request.cap_k, *g, x_point};
}
zk::PiAffGVerifierSecrets AliceSecrets() {
  return zk::PiAffGVerifierSecrets{&AliceKey(), &AliceRp()};
}

TEST(Mta, AliceStepsOneByOneMatchAliceFinalize) {
  // What GG20 presign's round 2 does per response: VerifyResponse with
  // Alice's secrets, AliceDecrypt, AlphaInRange, α mod q.
  const MtaRun& run = SharedRun();
  const Point x_point = Point::MulBase(run.x);
  const MtaResponse& r = run.bob.response;
  ASSERT_TRUE(VerifyResponse(SharedStatement(x_point), r.cap_d, r.cap_y,
                             r.aff_g_proof, Context(kBob, kAlice),
                             AliceSecrets())
                  .ok());
  absl::StatusOr<BigInt> alpha = AliceDecrypt(AliceKey(), r.cap_d);
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  EXPECT_TRUE(AlphaInRange(*alpha));
  absl::StatusOr<AliceResult> finalized =
      Finalize(run, Point::Generator(), &x_point, &AliceRp());
  ASSERT_TRUE(finalized.ok()) << finalized.status();
  EXPECT_TRUE(Scalar::FromBigIntReduce(*alpha) == finalized->alpha);
  EXPECT_TRUE(finalized->alpha + run.bob.beta == run.k * run.x);
}

TEST(Mta, ThirdPartyVerifyResponseAgreesWithAlice) {
  // A complaint judge or a reveal round checks the same statement with no
  // secret: the same verdict and the same error as Alice's CRT path.
  const MtaRun& run = SharedRun();
  const Point x_point = Point::MulBase(run.x);
  auto both = [](const MtaResponse& r, const Point& x) {
    return zk::testutil::AllPathsAgree<std::function<absl::Status()>>(
        {[&] {
           return VerifyResponse(SharedStatement(x), r.cap_d, r.cap_y,
                                 r.aff_g_proof, Context(kBob, kAlice));
         },
         [&] {
           return VerifyResponse(SharedStatement(x), r.cap_d, r.cap_y,
                                 r.aff_g_proof, Context(kBob, kAlice),
                                 AliceSecrets());
         }});
  };
  EXPECT_TRUE(both(run.bob.response, x_point).ok());
  MtaResponse tampered = run.bob.response;
  tampered.cap_d = BigInt::ModMul(tampered.cap_d, BigInt(1) + AliceKey().n(),
                                  AliceKey().public_key().n_squared());
  EXPECT_THAT(std::string(both(tampered, x_point).message()),
              HasSubstr("pi_aff_g: N0 equation failed"));
  // Another X (e.g. the Γ of another Bob) does not verify.
  EXPECT_FALSE(both(run.bob.response, x_point + Point::Generator()).ok());
}

TEST(Mta, BobRespondPairIsCheckedByVerifyResponses) {
  // GG20 round 2: one Bob's MtA (x = γ) and MtAwc (x = w) responses to the
  // same K, proven as one Πaff-g pair, checked with Alice's key and k (which
  // hands out Dec(D) of each) and without secrets (a judge, a reveal): the
  // same decision, α + β = k·x for both.
  const MtaRun& run = SharedRun();
  zk::RingPedersenTable alice_table(AliceRp().params());
  zk::PaillierNoncePool alice_nonces(AliceKey().public_key());
  const Scalar x2 = Scalar::FromU64(987654321);
  for (bool accelerated : {false, true}) {
    SCOPED_TRACE(accelerated);
    DeterministicRandom rng(91);
    if (accelerated) alice_nonces.Fill(3, rng);
    absl::StatusOr<BobPairResult> pair = BobRespondPair(
        AliceKey().public_key(), AliceRp().params(), run.request.cap_k, run.x,
        x2, Point::Generator(), Context(kBob, kAlice), rng,
        accelerated ? &alice_table : nullptr,
        accelerated ? &alice_nonces : nullptr);
    ASSERT_TRUE(pair.ok()) << pair.status();
    // The second part carries no A and w.
    EXPECT_TRUE(pair->second.response.aff_g_proof.cap_a.IsZero());
    EXPECT_TRUE(pair->second.response.aff_g_proof.w.IsZero());
    const Point x1_point = Point::MulBase(run.x);
    const Point x2_point = Point::MulBase(x2);
    BigInt k_int = run.k.ToBigInt();
    zk::PiAffGVerifierSecrets secrets{&AliceKey(), &AliceRp(), &k_int};
    auto check = [&](const MtaResponse& r1, const MtaResponse& r2,
                     const zk::PiAffGVerifierSecrets& s, BigInt* a1,
                     BigInt* a2) {
      return VerifyResponses(
          AliceKey().public_key(), AliceRp().params(), run.request.cap_k,
          Point::Generator(),
          ResponseToCheck{r1.cap_d, r1.cap_y, r1.aff_g_proof, x1_point, a1},
          ResponseToCheck{r2.cap_d, r2.cap_y, r2.aff_g_proof, x2_point, a2},
          Context(kBob, kAlice), s);
    };
    const MtaResponse& r1 = pair->first.response;
    const MtaResponse& r2 = pair->second.response;
    BigInt a1, a2;
    zk::PiAffGPairResult ok = check(r1, r2, secrets, &a1, &a2);
    ASSERT_TRUE(ok.status.ok()) << ok.status;
    EXPECT_TRUE(Scalar::FromBigIntReduce(a1) + pair->first.beta ==
                run.k * run.x);
    EXPECT_TRUE(Scalar::FromBigIntReduce(a2) + pair->second.beta == run.k * x2);
    EXPECT_TRUE(check(r1, r2, {}, nullptr, nullptr).status.ok());
    // D of either response with another plaintext: the pair's shared
    // Paillier equation fails, with and without secrets.
    for (int which : {0, 1}) {
      MtaResponse bad = which == 0 ? r1 : r2;
      bad.cap_d = BigInt::ModMul(bad.cap_d, BigInt(1) + AliceKey().n(),
                                 AliceKey().public_key().n_squared());
      for (const zk::PiAffGVerifierSecrets& s :
           {secrets, zk::PiAffGVerifierSecrets{}}) {
        zk::PiAffGPairResult r = which == 0
                                     ? check(bad, r2, s, nullptr, nullptr)
                                     : check(r1, bad, s, nullptr, nullptr);
        EXPECT_THAT(std::string(r.status.message()),
                    HasSubstr("pi_aff_g pair: N0 equation failed"));
        EXPECT_EQ(r.failed, zk::kPiAffGPairShared);
      }
    }
    // Swapped responses (the MtAwc part first, carrying the shared A and
    // w) do not verify: each part is bound to its place in the pair.
    MtaResponse swapped_first = r2, swapped_second = r1;
    std::swap(swapped_first.aff_g_proof.cap_a,
              swapped_second.aff_g_proof.cap_a);
    std::swap(swapped_first.aff_g_proof.w, swapped_second.aff_g_proof.w);
    zk::PiAffGPairResult swapped =
        check(swapped_first, swapped_second, {}, nullptr, nullptr);
    EXPECT_THAT(std::string(swapped.status.message()),
                HasSubstr("pi_aff_g pair: N0 equation failed"));
    k_int.Wipe();
  }
  EXPECT_EQ(alice_nonces.size(), 0u);
}

TEST(Mta, BobsResponsesHideTheParityOfXFromTheJacobiSymbol) {
  // D = K^x · (1+N0)^y · ρ^N0 has Jacobi(D mod N0, N0) = Jacobi(K, N0)^x ·
  // Jacobi(ρ, N0), which anyone can compute. With Jacobi(K) = −1 only a ρ
  // uniform in Z*_N0 (Jacobi ±1 alike) keeps it independent of x mod 2; a
  // ρ drawn from the squares (a fixed-base nonce, tried in session 11 and
  // reverted) makes it −1 exactly for odd x. On both of Bob's production
  // paths (fresh nonces; a pool filled ahead of time), for odd and even x,
  // both symbols must show in 16 responses (else: probability 2^-15 each).
  DeterministicRandom rng(97);
  const PaillierPublicKey& pk = AliceKey().public_key();
  const BigInt& n0 = pk.n();
  BigInt cap_k;
  for (int i = 0; i < 64 && cap_k.IsZero(); ++i) {
    absl::StatusOr<PaillierEncryption> enc =
        AliceEncrypt(AliceKey(), Scalar::Random(rng), rng);
    ASSERT_TRUE(enc.ok());
    if (BigInt::Jacobi(BigInt::Mod(enc->ciphertext, n0), n0) == -1) {
      cap_k = enc->ciphertext;
    }
  }
  ASSERT_FALSE(cap_k.IsZero());
  for (bool pooled : {false, true}) {
    SCOPED_TRACE(pooled);
    zk::PaillierNoncePool pool(pk);
    if (pooled) pool.Fill(32, rng);
    std::map<std::pair<int, int>, int> seen;  // (x mod 2, symbol) -> count
    for (int i = 0; i < 16; ++i) {
      absl::StatusOr<BobPairResult> pair = BobRespondPair(
          pk, AliceRp().params(), cap_k, Scalar::FromU64(3), Scalar::FromU64(4),
          Point::Generator(), Context(kBob, kAlice), rng, nullptr,
          pooled ? &pool : nullptr);
      ASSERT_TRUE(pair.ok()) << pair.status();
      ++seen[{1,
              BigInt::Jacobi(BigInt::Mod(pair->first.response.cap_d, n0), n0)}];
      ++seen[{
          0, BigInt::Jacobi(BigInt::Mod(pair->second.response.cap_d, n0), n0)}];
    }
    for (int parity : {0, 1}) {
      for (int symbol : {-1, 1}) {
        EXPECT_GT((seen[{parity, symbol}]), 0)
            << "x mod 2 = " << parity << ", Jacobi " << symbol;
      }
    }
  }
}

TEST(Mta, AlphaRaysBobWithOversizedPairPartIsRejected) {
  // The pair's oversized mask in either part is caught by that part's
  // range check.
  const MtaRun& run = SharedRun();
  for (int which : {0, 1}) {
    DeterministicRandom rng(6 + which);
    internal::BobPairCheat cheat;
    (which == 0 ? cheat.first_extra_bits : cheat.second_extra_bits) =
        zk::kEpsilon + 2;
    absl::StatusOr<BobPairResult> pair = internal::BobRespondPairCheating(
        AliceKey().public_key(), AliceRp().params(), run.request.cap_k, run.x,
        Scalar::FromU64(5), Point::Generator(), Context(kBob, kAlice), rng,
        cheat);
    ASSERT_TRUE(pair.ok()) << pair.status();
    const MtaResponse& r1 = pair->first.response;
    const MtaResponse& r2 = pair->second.response;
    zk::PiAffGPairResult r = VerifyResponses(
        AliceKey().public_key(), AliceRp().params(), run.request.cap_k,
        Point::Generator(),
        ResponseToCheck{r1.cap_d, r1.cap_y, r1.aff_g_proof, r1.cap_x},
        ResponseToCheck{r2.cap_d, r2.cap_y, r2.aff_g_proof, r2.cap_x},
        Context(kBob, kAlice));
    EXPECT_THAT(std::string(r.status.message()),
                HasSubstr("pi_aff_g: z2 out of range"));
    EXPECT_EQ(r.failed, static_cast<size_t>(which));
  }
}

TEST(Mta, BobResultsMaskIsBoundByItsPoint) {
  // GG20's reveal rounds check shares against Y: Y = y·G, |y| <= 2^ℓ',
  // β = −y mod q.
  const MtaRun& run = SharedRun();
  EXPECT_TRUE(run.bob.response.cap_y ==
              Point::MulBase(Scalar::FromBigIntReduce(run.bob.y)));
  EXPECT_TRUE(zk::InSignedRange(run.bob.y, zk::kEllPrime));
  EXPECT_TRUE(run.bob.beta == Scalar::FromBigIntReduce(-run.bob.y));
}

TEST(Mta, AliceRequestHandsOutTheMuOfS) {
  // GG20's round-4 Πlog-rp opens the S of the round-1 Πenc: S = s^k t^μ.
  DeterministicRandom rng(12);
  Scalar k = Scalar::RandomNonZero(rng);
  absl::StatusOr<PaillierEncryption> enc = AliceEncrypt(AliceKey(), k, rng);
  ASSERT_TRUE(enc.ok());
  BigInt mu;
  absl::StatusOr<MtaRequest> req =
      AliceRequest(AliceKey(), *enc, k, BobRp().params(), Context(kAlice, kBob),
                   rng, nullptr, &mu);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_FALSE(mu.IsZero());
  EXPECT_TRUE(BobRp().params().Commit(k.ToBigInt(), mu) ==
              req->enc_proof.cap_s);
}

TEST(Mta, WireFormatRoundTrip) {
  const MtaRun& run = SharedRun();
  v1::MtaRequest req_wire = MtaRequestToProto(run.request);
  std::string bytes;
  ASSERT_TRUE(req_wire.SerializeToString(&bytes));
  v1::MtaRequest req_parsed;
  ASSERT_TRUE(req_parsed.ParseFromString(bytes));
  absl::StatusOr<MtaRequest> req = MtaRequestFromProto(req_parsed);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_TRUE(BobVerifyRequest(AliceKey().public_key(), BobRp().params(),
                               &BobRp(), req->cap_k, req->enc_proof,
                               Context(kAlice, kBob))
                  .ok());

  v1::MtaResponse resp_wire = MtaResponseToProto(run.bob.response);
  ASSERT_TRUE(resp_wire.SerializeToString(&bytes));
  v1::MtaResponse resp_parsed;
  ASSERT_TRUE(resp_parsed.ParseFromString(bytes));
  absl::StatusOr<MtaResponse> resp = MtaResponseFromProto(resp_parsed);
  ASSERT_TRUE(resp.ok()) << resp.status();
  absl::StatusOr<AliceResult> alice =
      Finalize(run, Point::Generator(), nullptr, &AliceRp(), &*resp);
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_TRUE(alice->alpha + run.bob.beta == run.k * run.x);

  v1::MtaRequest no_proof = req_wire;
  no_proof.clear_enc_proof();
  EXPECT_THAT(std::string(MtaRequestFromProto(no_proof).status().message()),
              HasSubstr("mta: missing enc_proof"));
  v1::MtaRequest no_k = req_wire;
  no_k.clear_cap_k();
  EXPECT_THAT(std::string(MtaRequestFromProto(no_k).status().message()),
              HasSubstr("mta: missing K"));
  v1::MtaResponse no_x = resp_wire;
  no_x.clear_cap_x();
  EXPECT_THAT(std::string(MtaResponseFromProto(no_x).status().message()),
              HasSubstr("mta: missing X"));
  v1::MtaResponse no_y = resp_wire;
  no_y.clear_cap_y();
  EXPECT_THAT(std::string(MtaResponseFromProto(no_y).status().message()),
              HasSubstr("mta: missing Y"));
  v1::MtaResponse bad_y = resp_wire;
  bad_y.set_cap_y(std::string(33, '\x07'));
  EXPECT_THAT(std::string(MtaResponseFromProto(bad_y).status().message()),
              HasSubstr("mta: Y: point:"));
  v1::MtaResponse no_aff = resp_wire;
  no_aff.clear_aff_g_proof();
  EXPECT_THAT(std::string(MtaResponseFromProto(no_aff).status().message()),
              HasSubstr("mta: missing aff_g_proof"));
}

}  // namespace
}  // namespace nitro_tss::mpc::mta
