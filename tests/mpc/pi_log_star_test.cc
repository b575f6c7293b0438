// Πlog* (CGGMP21 Fig. 25): completeness (range edges, arbitrary base point),
// one negative test per verifier check, replay and wrong-statement
// rejection, the honest prover's refusals, a cheating prover caught by the
// range check, both verification paths agreeing, and strict decoding.
#include "mpc/zk/pi_log_star.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "tests/fixtures/fixtures.h"
#include "tests/mpc/mta_test_util.h"

namespace nitro_tss::mpc::zk {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;
using testutil::Context;
using testutil::MulInt;
using testutil::Pow2;

constexpr uint32_t kProver = 4;
constexpr uint32_t kVerifier = 5;

const PaillierPrivateKey& Prover() { return FixturePaillierKey(3); }
const RingPedersenSecret& VerifierRp() { return FixtureRingPedersen(4); }

struct Instance {
  BigInt x;
  PaillierEncryption enc;
  Point base, cap_x;
  PiLogStarProof proof;
  PiLogStarStatement Statement() const {
    return PiLogStarStatement{Prover().public_key(), VerifierRp().params(),
                              enc.ciphertext, base, cap_x};
  }
};

std::unique_ptr<Instance> MakeInstance(const BigInt& x, const Point& base,
                                       uint64_t seed, bool unchecked = false) {
  DeterministicRandom rng(seed);
  auto inst = std::make_unique<Instance>();
  inst->x = x;
  absl::StatusOr<PaillierEncryption> enc = Prover().Encrypt(x, rng);
  EXPECT_TRUE(enc.ok());
  inst->enc = *std::move(enc);
  inst->base = base;
  inst->cap_x = MulInt(base, x);
  PiLogStarWitness w{inst->x, inst->enc.nonce, &Prover()};
  ProofContext ctx = Context(kProver, kVerifier);
  if (unchecked) {
    inst->proof =
        internal::ProvePiLogStarUnchecked(inst->Statement(), w, ctx, rng);
  } else {
    absl::StatusOr<PiLogStarProof> p =
        ProvePiLogStar(inst->Statement(), w, ctx, rng);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) inst->proof = *std::move(p);
  }
  return inst;
}

// A nonce point R = r·G as in GG20 phase 5 (R̄_i = k_i·R).
Point NoncePoint() {
  return Point::MulBase(Scalar::FromU64(0x1234567890abcdefULL));
}

const Instance& Valid() {
  static const Instance* instance =
      MakeInstance(BigInt(55555), NoncePoint(), 1).release();
  return *instance;
}

absl::Status Verify(const PiLogStarStatement& st, const PiLogStarProof& proof,
                    const ProofContext& ctx = Context(kProver, kVerifier)) {
  std::vector<std::function<absl::Status()>> paths = {
      [&] { return VerifyPiLogStar(st, proof, ctx); },
      [&] { return VerifyPiLogStar(st, proof, ctx, &VerifierRp()); },
  };
  return testutil::AllPathsAgree(paths);
}
absl::Status Verify(const PiLogStarProof& proof) {
  return Verify(Valid().Statement(), proof);
}

PiLogStarStatement WithC(const PiLogStarStatement& st, const BigInt& c) {
  return PiLogStarStatement{st.paillier, st.ring_pedersen, c, st.base,
                            st.cap_x};
}

void ExpectRejected(const absl::Status& s, const std::string& message) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(message));
}

TEST(PiLogStar, CompletenessIncludingRangeEdges) {
  DeterministicRandom rng(2);
  std::vector<BigInt> xs = {Pow2(kEll), -Pow2(kEll), BigInt(1),
                            Scalar::Random(rng).ToBigInt(),
                            BigInt::RandomSigned(kEll, rng)};
  uint64_t seed = 50;
  for (const BigInt& x : xs) {
    for (const Point& g : {Point::Generator(), NoncePoint()}) {
      std::unique_ptr<Instance> inst = MakeInstance(x, g, seed++);
      EXPECT_TRUE(Verify(inst->Statement(), inst->proof).ok())
          << "x = " << x.ToHex();
    }
  }
}

TEST(PiLogStar, ProverTableGivesValidProofs) {
  RingPedersenTable table(VerifierRp().params());
  const Instance& v = Valid();
  DeterministicRandom rng(13);
  absl::StatusOr<PiLogStarProof> proof = ProvePiLogStar(
      v.Statement(), PiLogStarWitness{v.x, v.enc.nonce, &Prover(), &table},
      Context(kProver, kVerifier), rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(Verify(*proof).ok());
  RingPedersenTable other(FixtureRingPedersen(0).params());
  ExpectRejected(
      ProvePiLogStar(v.Statement(),
                     PiLogStarWitness{v.x, v.enc.nonce, &Prover(), &other},
                     Context(kProver, kVerifier), rng)
          .status(),
      "pi_log_star: ring-Pedersen table does not match");
}

TEST(PiLogStar, HonestProverRefusesBadWitness) {
  const Instance& v = Valid();
  DeterministicRandom rng(3);
  PiLogStarStatement st = v.Statement();
  BigInt big = Pow2(kEll) + BigInt(1);
  ExpectRejected(ProvePiLogStar(st, PiLogStarWitness{big, v.enc.nonce},
                                Context(kProver, kVerifier), rng)
                     .status(),
                 "pi_log_star: witness x out of range");
  BigInt other = v.x + BigInt(1);
  ExpectRejected(ProvePiLogStar(st, PiLogStarWitness{other, v.enc.nonce},
                                Context(kProver, kVerifier), rng)
                     .status(),
                 "pi_log_star: X != x*g");
  // C that does not encrypt x: the proof is made but rejected.
  BigInt other_c = v.enc.ciphertext + BigInt(1);
  PiLogStarStatement st_c = WithC(st, other_c);
  absl::StatusOr<PiLogStarProof> wrong =
      ProvePiLogStar(st_c, PiLogStarWitness{v.x, v.enc.nonce, &Prover()},
                     Context(kProver, kVerifier), rng);
  ASSERT_TRUE(wrong.ok());
  ExpectRejected(Verify(st_c, *wrong), "pi_log_star: paillier equation failed");
  BigInt zero(0);
  ExpectRejected(ProvePiLogStar(st, PiLogStarWitness{v.x, zero},
                                Context(kProver, kVerifier), rng)
                     .status(),
                 "pi_log_star: witness rho not in Z*_N0");
  // The honest witness is accepted.
  EXPECT_TRUE(ProvePiLogStar(st, PiLogStarWitness{v.x, v.enc.nonce, &Prover()},
                             Context(kProver, kVerifier), rng)
                  .ok());
}

TEST(PiLogStar, CheatingProverOutOfRangeIsCaught) {
  std::unique_ptr<Instance> inst =
      MakeInstance(Pow2(kEll + kEpsilon + 2), NoncePoint(), 60, true);
  ExpectRejected(Verify(inst->Statement(), inst->proof),
                 "pi_log_star: z1 out of range");
}

TEST(PiLogStar, RangesAreExactAtTheEdge) {
  const Instance& v = Valid();
  for (int sign : {1, -1}) {
    PiLogStarProof p = v.proof;
    p.z1 = (Pow2(kEll + kEpsilon) + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_star: z1 out of range");
    p.z1 = Pow2(kEll + kEpsilon) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_star: paillier equation failed");
    p = v.proof;
    p.z3 =
        (VerifierRp().params().n().ShiftLeft(kEll + kEpsilon + 1) + BigInt(1)) *
        BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_star: z3 out of range");
  }
}

TEST(PiLogStar, PointsAtInfinityAreRejected) {
  const Instance& v = Valid();
  PiLogStarStatement st = v.Statement();
  Point inf = Point::Identity();
  ExpectRejected(Verify(PiLogStarStatement{st.paillier, st.ring_pedersen,
                                           st.cap_c, inf, st.cap_x},
                        v.proof),
                 "pi_log_star: g is the point at infinity");
  ExpectRejected(Verify(PiLogStarStatement{st.paillier, st.ring_pedersen,
                                           st.cap_c, st.base, inf},
                        v.proof),
                 "pi_log_star: X is the point at infinity");
  PiLogStarProof p = v.proof;
  p.cap_y = inf;
  ExpectRejected(Verify(p), "pi_log_star: Y is the point at infinity");
}

TEST(PiLogStar, ElementsNotInTheirGroups) {
  const Instance& v = Valid();
  PiLogStarStatement st = v.Statement();
  const BigInt& n0 = Prover().n();
  const BigInt& n0_sq = Prover().public_key().n_squared();
  const BigInt& nhat = VerifierRp().params().n();
  for (const BigInt& bad : {BigInt(0), n0_sq, Prover().p()}) {
    ExpectRejected(Verify(WithC(st, bad), v.proof),
                   "pi_log_star: C not in Z*_{N0^2}");
    PiLogStarProof p = v.proof;
    p.cap_a = bad;
    ExpectRejected(Verify(p), "pi_log_star: A not in Z*_{N0^2}");
  }
  for (const BigInt& bad : {BigInt(0), nhat, VerifierRp().q()}) {
    PiLogStarProof p = v.proof;
    p.cap_s = bad;
    ExpectRejected(Verify(p), "pi_log_star: S not in Z*_{Nhat}");
    p = v.proof;
    p.cap_d = bad;
    ExpectRejected(Verify(p), "pi_log_star: D not in Z*_{Nhat}");
  }
  for (const BigInt& bad : {BigInt(0), n0, Prover().q()}) {
    PiLogStarProof p = v.proof;
    p.z2 = bad;
    ExpectRejected(Verify(p), "pi_log_star: z2 not in Z*_{N0}");
  }
}

TEST(PiLogStar, EachTamperedFieldFailsItsEquation) {
  const Instance& v = Valid();
  ASSERT_TRUE(Verify(v.proof).ok());
  const std::string paillier = "pi_log_star: paillier equation failed";
  struct Case {
    const char* name;
    std::function<void(PiLogStarProof&)> tamper;
    std::string error;
  };
  std::vector<Case> cases = {
      {"S", [](PiLogStarProof& p) { p.cap_s = p.cap_s + BigInt(1); }, paillier},
      {"A", [](PiLogStarProof& p) { p.cap_a = p.cap_a + BigInt(1); }, paillier},
      {"Y", [](PiLogStarProof& p) { p.cap_y = p.cap_y + Point::Generator(); },
       paillier},
      {"D", [](PiLogStarProof& p) { p.cap_d = p.cap_d + BigInt(1); }, paillier},
      {"z1", [](PiLogStarProof& p) { p.z1 = p.z1 + BigInt(1); }, paillier},
      {"z2", [](PiLogStarProof& p) { p.z2 = p.z2 + BigInt(1); }, paillier},
      {"z3", [](PiLogStarProof& p) { p.z3 = p.z3 + BigInt(1); },
       "pi_log_star: ring-pedersen equation failed"},
  };
  for (const Case& c : cases) {
    PiLogStarProof p = v.proof;
    c.tamper(p);
    SCOPED_TRACE(c.name);
    ExpectRejected(Verify(p), c.error);
  }
  // X that is not x·g (proof made by the unchecked prover for that X): only
  // the group equation fails.
  DeterministicRandom rng(9);
  PiLogStarStatement st = v.Statement();
  Point wrong = v.cap_x + Point::Generator();
  PiLogStarStatement st_wrong{st.paillier, st.ring_pedersen, st.cap_c, st.base,
                              wrong};
  PiLogStarProof p = internal::ProvePiLogStarUnchecked(
      st_wrong, PiLogStarWitness{v.x, v.enc.nonce, &Prover()},
      Context(kProver, kVerifier), rng);
  ExpectRejected(Verify(st_wrong, p), "pi_log_star: group equation failed");
}

TEST(PiLogStar, ReplayAndOtherStatementsAreRejected) {
  const Instance& v = Valid();
  PiLogStarStatement st = v.Statement();
  const std::string err = "pi_log_star: paillier equation failed";
  ExpectRejected(
      Verify(st, v.proof, Context(kProver, kVerifier, "other-session")), err);
  ExpectRejected(Verify(st, v.proof, Context(kVerifier, kVerifier)), err);
  ExpectRejected(Verify(st, v.proof, Context(kProver, 9)), err);
  // Other C, other X, other g, other N0, other ring-Pedersen params.
  DeterministicRandom rng(10);
  absl::StatusOr<PaillierEncryption> c2 = Prover().Encrypt(v.x, rng);
  ASSERT_TRUE(c2.ok());
  ExpectRejected(Verify(WithC(st, c2->ciphertext), v.proof), err);
  Point x2 = v.cap_x + v.cap_x;
  ExpectRejected(Verify(PiLogStarStatement{st.paillier, st.ring_pedersen,
                                           st.cap_c, st.base, x2},
                        v.proof),
                 err);
  Point g = Point::Generator();
  ExpectRejected(Verify(PiLogStarStatement{st.paillier, st.ring_pedersen,
                                           st.cap_c, g, st.cap_x},
                        v.proof),
                 err);
  EXPECT_FALSE(
      VerifyPiLogStar(
          PiLogStarStatement{FixturePaillierKey(5).public_key(),
                             st.ring_pedersen, st.cap_c, st.base, st.cap_x},
          v.proof, Context(kProver, kVerifier))
          .ok());
  EXPECT_FALSE(
      VerifyPiLogStar(
          PiLogStarStatement{st.paillier, FixtureRingPedersen(5).params(),
                             st.cap_c, st.base, st.cap_x},
          v.proof, Context(kProver, kVerifier))
          .ok());
  ExpectRejected(VerifyPiLogStar(st, v.proof, Context(kProver, kVerifier),
                                 &FixtureRingPedersen(5)),
                 "pi_log_star: verifier secret does not match");
}

TEST(PiLogStar, ProtoRoundTripAndStrictDecoding) {
  const Instance& v = Valid();
  v1::PiLogStarProof wire = PiLogStarProofToProto(v.proof);
  absl::StatusOr<PiLogStarProof> back = PiLogStarProofFromProto(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Verify(*back).ok());
  v1::PiLogStarProof m = wire;
  m.clear_cap_y();
  ExpectRejected(PiLogStarProofFromProto(m).status(), "pi_log_star: missing Y");
  m = wire;
  m.clear_z1();
  ExpectRejected(PiLogStarProofFromProto(m).status(),
                 "pi_log_star: missing z1");
  m = wire;
  m.set_cap_y(std::string("\x04", 1) + wire.cap_y().substr(1));
  ExpectRejected(PiLogStarProofFromProto(m).status(), "pi_log_star: Y:");
  m = wire;
  m.set_cap_a(std::string("\x00", 1) +
              std::string(kMaxModulusSquaredBytes + 1, '\x22'));
  ExpectRejected(PiLogStarProofFromProto(m).status(), "pi_log_star: A:");
}

// ---- range L = ℓ' (the MtA mask β, for GG20's σ identification)

std::unique_ptr<Instance> MakeWideInstance(const BigInt& x, uint64_t seed,
                                           bool unchecked = false) {
  DeterministicRandom rng(seed);
  auto inst = std::make_unique<Instance>();
  inst->x = x;
  absl::StatusOr<PaillierEncryption> enc = Prover().Encrypt(x, rng);
  EXPECT_TRUE(enc.ok());
  inst->enc = *std::move(enc);
  inst->base = Point::Generator();
  inst->cap_x = MulInt(inst->base, x);
  PiLogStarStatement st = inst->Statement();
  st.ell = kEllPrime;
  PiLogStarWitness w{inst->x, inst->enc.nonce, &Prover()};
  ProofContext ctx = Context(kProver, kVerifier);
  if (unchecked) {
    inst->proof = internal::ProvePiLogStarUnchecked(st, w, ctx, rng);
  } else {
    absl::StatusOr<PiLogStarProof> p = ProvePiLogStar(st, w, ctx, rng);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) inst->proof = *std::move(p);
  }
  return inst;
}

PiLogStarStatement Wide(const PiLogStarStatement& st) {
  PiLogStarStatement out = st;
  out.ell = kEllPrime;
  return out;
}

TEST(PiLogStarWide, CompletenessForMasksInEllPrime) {
  DeterministicRandom rng(70);
  uint64_t seed = 71;
  for (const BigInt& x : {Pow2(kEllPrime), -Pow2(kEllPrime),
                          BigInt::RandomSigned(kEllPrime, rng), BigInt(7)}) {
    std::unique_ptr<Instance> inst = MakeWideInstance(x, seed++);
    EXPECT_TRUE(Verify(Wide(inst->Statement()), inst->proof).ok())
        << "x = " << x.ToHex();
    // Decoding accepts the wide z1.
    absl::StatusOr<PiLogStarProof> decoded =
        PiLogStarProofFromProto(PiLogStarProofToProto(inst->proof));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(Verify(Wide(inst->Statement()), *decoded).ok());
  }
}

TEST(PiLogStarWide, RangeIsPartOfTheStatement) {
  // A wide proof of a small x does not verify as an ℓ proof: L is absorbed
  // by the challenge (and the other way round).
  std::unique_ptr<Instance> wide = MakeWideInstance(BigInt(7), 80);
  ExpectRejected(Verify(wide->Statement(), wide->proof), "pi_log_star:");
  ExpectRejected(Verify(Wide(Valid().Statement()), Valid().proof),
                 "pi_log_star:");
  // An ℓ statement refuses a witness that only fits ℓ'.
  std::unique_ptr<Instance> big = MakeWideInstance(Pow2(kEllPrime), 81);
  DeterministicRandom rng(82);
  absl::StatusOr<PiLogStarProof> p = ProvePiLogStar(
      big->Statement(), PiLogStarWitness{big->x, big->enc.nonce, &Prover()},
      Context(kProver, kVerifier), rng);
  ExpectRejected(p.status(), "pi_log_star: witness x out of range");
}

TEST(PiLogStarWide, WitnessBeyondEllPrimeIsCaughtByTheRange) {
  DeterministicRandom rng(83);
  BigInt too_big = Pow2(kEllPrime + kEpsilon + 2);
  std::unique_ptr<Instance> inst =
      MakeWideInstance(too_big, 84, /*unchecked=*/true);
  ExpectRejected(Verify(Wide(inst->Statement()), inst->proof),
                 "pi_log_star: z1 out of range");
  absl::StatusOr<PiLogStarProof> p =
      ProvePiLogStar(Wide(inst->Statement()),
                     PiLogStarWitness{inst->x, inst->enc.nonce, &Prover()},
                     Context(kProver, kVerifier), rng);
  ExpectRejected(p.status(), "pi_log_star: witness x out of range");
}

TEST(PiLogStarWide, Z1RangeIsExactAtTheEdge) {
  std::unique_ptr<Instance> inst = MakeWideInstance(BigInt(9), 85);
  PiLogStarProof p = inst->proof;
  p.z1 = Pow2(kEllPrime + kEpsilon);
  ExpectRejected(Verify(Wide(inst->Statement()), p),
                 "pi_log_star: paillier equation failed");
  p.z1 = Pow2(kEllPrime + kEpsilon) + BigInt(1);
  ExpectRejected(Verify(Wide(inst->Statement()), p),
                 "pi_log_star: z1 out of range");
}

TEST(PiLogStarWide, UnsupportedRangeIsRefused) {
  PiLogStarStatement st = Valid().Statement();
  st.ell = kEll + 1;
  ExpectRejected(Verify(st, Valid().proof),
                 "pi_log_star: unsupported range L = 257");
  DeterministicRandom rng(86);
  absl::StatusOr<PiLogStarProof> p = ProvePiLogStar(
      st, PiLogStarWitness{Valid().x, Valid().enc.nonce, &Prover()},
      Context(kProver, kVerifier), rng);
  ExpectRejected(p.status(), "pi_log_star: unsupported range L = 257");
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
