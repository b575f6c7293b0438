// Πaff-g with a point-bound mask (CGGMP21 Fig. 15, Y = y·g): completeness with
// x, y at the range edges (both signs), one negative test per verifier check,
// replay and wrong-statement rejection, Alpha-Rays (a Bob with x or y out of
// range: the honest prover refuses, a cheating prover is caught by the range
// checks), all verification paths (with/without the verifier's Paillier key and
// ring-Pedersen secret, and the N0 equation by halves with C's plaintext)
// agreeing, and strict decoding.
#include "mpc/zk/pi_aff_g.h"

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

constexpr uint32_t kAlice = 1;  // verifier: owns N0 and the ring-Pedersen
constexpr uint32_t kBob = 2;    // prover

const PaillierPrivateKey& Alice() { return FixturePaillierKey(0); }
const RingPedersenSecret& AliceRp() { return FixtureRingPedersen(0); }

// Every public and secret value of one Πaff-g instance.
struct Instance {
  BigInt x, y, k;
  BigInt cap_c, cap_d;
  BigInt rho;
  Point base, cap_x, cap_y;
  PiAffGProof proof;
  PiAffGStatement Statement() const {
    return PiAffGStatement{Alice().public_key(),
                           AliceRp().params(),
                           cap_c,
                           cap_d,
                           base,
                           cap_x,
                           cap_y};
  }
  PiAffGWitness Witness() const { return PiAffGWitness{x, y, rho}; }
};

// Builds the statement for (x, y) with honest ciphertexts; proves with the
// honest prover unless `unchecked` (a cheating Bob that skips the checks).
std::unique_ptr<Instance> MakeInstance(const BigInt& x, const BigInt& y,
                                       uint64_t seed, bool unchecked = false,
                                       const Point& base = Point::Generator()) {
  DeterministicRandom rng(seed);
  auto inst = std::make_unique<Instance>();
  inst->x = x;
  inst->y = y;
  inst->k = Scalar::Random(rng).ToBigInt();
  absl::StatusOr<PaillierEncryption> c = Alice().Encrypt(inst->k, rng);
  EXPECT_TRUE(c.ok());
  inst->cap_c = c->ciphertext;
  inst->rho = BigInt::RandomUnit(Alice().n(), rng);
  inst->cap_d = testutil::AffineCiphertext(Alice().public_key(), inst->cap_c, x,
                                           y, inst->rho);
  inst->base = base;
  inst->cap_x = MulInt(base, x);
  inst->cap_y = MulInt(base, y);
  ProofContext ctx = Context(kBob, kAlice);
  if (unchecked) {
    inst->proof = internal::ProvePiAffGUnchecked(inst->Statement(),
                                                 inst->Witness(), ctx, rng);
  } else {
    absl::StatusOr<PiAffGProof> proof =
        ProvePiAffG(inst->Statement(), inst->Witness(), ctx, rng);
    EXPECT_TRUE(proof.ok()) << proof.status();
    if (proof.ok()) inst->proof = *std::move(proof);
  }
  return inst;
}

const Instance& Valid() {
  static const Instance* instance =
      MakeInstance(BigInt(987654321), BigInt(-123456789), 1).release();
  return *instance;
}

// Verifies on all paths, which must agree: with/without the verifier's
// Paillier key and ring-Pedersen secret, and with the key and C's plaintext
// (the N0 equation by halves), which must also hand out D's plaintext.
absl::Status Verify(const PiAffGStatement& st, const PiAffGProof& proof,
                    const ProofContext& ctx = Context(kBob, kAlice)) {
  absl::StatusOr<BigInt> c_plain = Alice().Decrypt(st.cap_c);
  BigInt d_out;
  auto by_halves = [&](const RingPedersenSecret* rp) {
    d_out = BigInt(-1);
    absl::Status s =
        VerifyPiAffG(st, proof, ctx, {&Alice(), rp, &*c_plain, &d_out});
    if (s.ok()) {
      absl::StatusOr<BigInt> d = Alice().DecryptSigned(st.cap_d);
      EXPECT_TRUE(d.ok());
      if (d.ok()) {
        EXPECT_EQ(d_out, *d) << "D's plaintext handed out";
      }
    } else {
      EXPECT_EQ(d_out, BigInt(-1)) << "no plaintext on failure";
    }
    return s;
  };
  std::vector<std::function<absl::Status()>> paths = {
      [&] { return VerifyPiAffG(st, proof, ctx); },
      [&] {
        return VerifyPiAffG(st, proof, ctx, {&Alice(), nullptr});
      },
      [&] {
        return VerifyPiAffG(st, proof, ctx, {nullptr, &AliceRp()});
      },
      [&] {
        return VerifyPiAffG(st, proof, ctx, {&Alice(), &AliceRp()});
      },
  };
  if (c_plain.ok() && st.paillier0 == Alice().public_key()) {
    paths.push_back([&] { return by_halves(nullptr); });
    paths.push_back([&] { return by_halves(&AliceRp()); });
  }
  return testutil::AllPathsAgree(paths);
}
absl::Status Verify(const PiAffGProof& proof) {
  return Verify(Valid().Statement(), proof);
}

void ExpectRejected(const absl::Status& s, const std::string& message) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(message));
}

TEST(PiAffG, CompletenessIncludingRangeEdges) {
  DeterministicRandom rng(3);
  std::vector<std::pair<BigInt, BigInt>> xy = {
      {Pow2(kEll), Pow2(kEllPrime)},
      {-Pow2(kEll), -Pow2(kEllPrime)},
      {Pow2(kEll), -Pow2(kEllPrime)},
      {BigInt(-1), BigInt(1)},
      {Scalar::Random(rng).ToBigInt(), BigInt::RandomSigned(kEllPrime, rng)},
      {BigInt::RandomSigned(kEll, rng), BigInt::RandomSigned(kEllPrime, rng)},
  };
  uint64_t seed = 200;
  for (const auto& [x, y] : xy) {
    std::unique_ptr<Instance> inst = MakeInstance(x, y, seed++);
    EXPECT_TRUE(Verify(inst->Statement(), inst->proof).ok())
        << "x = " << x.ToHex() << " y = " << y.ToHex();
  }
}

TEST(PiAffG, ProverTableGivesValidProofsAndMustMatch) {
  static const RingPedersenTable* table =
      new RingPedersenTable(AliceRp().params());
  const Instance& v = Valid();
  DeterministicRandom rng(8);
  PiAffGWitness w{v.x, v.y, v.rho, table};
  absl::StatusOr<PiAffGProof> proof =
      ProvePiAffG(v.Statement(), w, Context(kBob, kAlice), rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(Verify(*proof).ok());
  RingPedersenTable other(FixtureRingPedersen(3).params());
  PiAffGWitness bad{v.x, v.y, v.rho, &other};
  ExpectRejected(
      ProvePiAffG(v.Statement(), bad, Context(kBob, kAlice), rng).status(),
      "pi_aff_g: ring-Pedersen table does not match");
}

TEST(PiAffG, ArbitraryBasePoint) {
  Point g = Point::H();
  std::unique_ptr<Instance> inst =
      MakeInstance(BigInt(42), BigInt(-7), 300, false, g);
  EXPECT_TRUE(Verify(inst->Statement(), inst->proof).ok());
  // The same proof against G instead of H fails.
  PiAffGStatement st = inst->Statement();
  Point gen = Point::Generator();
  PiAffGStatement other{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                        gen,          st.cap_x,         st.cap_y};
  EXPECT_FALSE(Verify(other, inst->proof).ok());
}

TEST(PiAffG, AlphaRaysHonestProverRefusesOutOfRange) {
  const Instance& v = Valid();
  DeterministicRandom rng(4);
  BigInt big_x = Pow2(kEll) + BigInt(1);
  BigInt big_y = Pow2(kEllPrime) + BigInt(1);
  Point big_x_point = MulInt(Point::Generator(), big_x);
  PiAffGStatement st = v.Statement();
  PiAffGStatement st_x{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                       st.base,      big_x_point,      st.cap_y};
  ExpectRejected(ProvePiAffG(st_x, PiAffGWitness{big_x, v.y, v.rho},
                             Context(kBob, kAlice), rng)
                     .status(),
                 "pi_aff_g: witness x out of range");
  BigInt neg_x = -big_x;
  ExpectRejected(ProvePiAffG(st, PiAffGWitness{neg_x, v.y, v.rho},
                             Context(kBob, kAlice), rng)
                     .status(),
                 "pi_aff_g: witness x out of range");
  ExpectRejected(ProvePiAffG(st, PiAffGWitness{v.x, big_y, v.rho},
                             Context(kBob, kAlice), rng)
                     .status(),
                 "pi_aff_g: witness y out of range");
  BigInt neg_y = -big_y;
  ExpectRejected(ProvePiAffG(st, PiAffGWitness{v.x, neg_y, v.rho},
                             Context(kBob, kAlice), rng)
                     .status(),
                 "pi_aff_g: witness y out of range");
}

TEST(PiAffG, HonestProverRefusesInconsistentWitness) {
  const Instance& v = Valid();
  DeterministicRandom rng(5);
  PiAffGStatement st = v.Statement();
  BigInt other_x = v.x + BigInt(1);
  ExpectRejected(ProvePiAffG(st, PiAffGWitness{other_x, v.y, v.rho},
                             Context(kBob, kAlice), rng)
                     .status(),
                 "pi_aff_g: X != x*g");
  BigInt zero(0);
  ExpectRejected(
      ProvePiAffG(st, PiAffGWitness{v.x, v.y, zero}, Context(kBob, kAlice), rng)
          .status(),
      "pi_aff_g: witness rho not in Z*_N0");
  // Y that is not y·g.
  Point wrong_y = v.cap_y + Point::Generator();
  PiAffGStatement st_y{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                       st.base,      st.cap_x,         wrong_y};
  ExpectRejected(
      ProvePiAffG(st_y, v.Witness(), Context(kBob, kAlice), rng).status(),
      "pi_aff_g: Y != y·g");
  // y ≡ 0 (mod q): Y would be the identity, which no verifier accepts.
  BigInt zero_y = Scalar::Order() * BigInt(3);
  PiAffGStatement st_inf{st.paillier0,     st.ring_pedersen, st.cap_c,
                         st.cap_d,         st.base,          st.cap_x,
                         Point::Identity()};
  ExpectRejected(ProvePiAffG(st_inf, PiAffGWitness{v.x, zero_y, v.rho},
                             Context(kBob, kAlice), rng)
                     .status(),
                 "pi_aff_g: Y is the point at infinity");
  BigInt bad_c = Alice().p();
  PiAffGStatement st_c{st.paillier0, st.ring_pedersen, bad_c,   st.cap_d,
                       st.base,      st.cap_x,         st.cap_y};
  ExpectRejected(
      ProvePiAffG(st_c, v.Witness(), Context(kBob, kAlice), rng).status(),
      "pi_aff_g: C not in Z*_{N0^2}");
}

TEST(PiAffG, AlphaRaysCheatingProverIsCaughtByRangeChecks) {
  // A Bob who skips the witness checks: x or y beyond the slack
  // (2^(ℓ+ε+2), 2^(ℓ'+ε+2)), as an Alpha-Rays attacker needs, makes
  // |z1| / |z2| exceed the bound for any nonzero challenge.
  struct Case {
    BigInt x, y;
    const char* error;
  };
  std::vector<Case> cases = {
      {Pow2(kEll + kEpsilon + 2), BigInt(5), "pi_aff_g: z1 out of range"},
      {-Pow2(kEll + kEpsilon + 2), BigInt(5), "pi_aff_g: z1 out of range"},
      {BigInt(5), Pow2(kEllPrime + kEpsilon + 2), "pi_aff_g: z2 out of range"},
      {BigInt(5), -Pow2(kEllPrime + kEpsilon + 2), "pi_aff_g: z2 out of range"},
      // The Alpha-Rays shape: x of the size of N0 (bits of k leak through
      // the wrap-around of k·x mod N0).
      {Alice().n().ShiftRight(1), BigInt(5), "pi_aff_g: z1 out of range"},
  };
  uint64_t seed = 400;
  for (const Case& c : cases) {
    std::unique_ptr<Instance> inst = MakeInstance(c.x, c.y, seed++, true);
    ExpectRejected(Verify(inst->Statement(), inst->proof), c.error);
  }
}

TEST(PiAffG, ResponseRangesAreExactAtTheEdge) {
  const Instance& v = Valid();
  for (int sign : {1, -1}) {
    PiAffGProof p = v.proof;
    p.z1 = (Pow2(kEll + kEpsilon) + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_aff_g: z1 out of range");
    p.z1 = Pow2(kEll + kEpsilon) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_aff_g: N0 equation failed");

    p = v.proof;
    p.z2 = (Pow2(kEllPrime + kEpsilon) + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_aff_g: z2 out of range");
    p.z2 = Pow2(kEllPrime + kEpsilon) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_aff_g: N0 equation failed");

    BigInt z_bound = AliceRp().params().n().ShiftLeft(kEll + kEpsilon + 1);
    p = v.proof;
    p.z3 = (z_bound + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_aff_g: z3 out of range");
    p = v.proof;
    p.z4 = (z_bound + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_aff_g: z4 out of range");
  }
}

TEST(PiAffG, PointsAtInfinityAreRejected) {
  const Instance& v = Valid();
  PiAffGStatement st = v.Statement();
  Point inf = Point::Identity();
  PiAffGStatement no_base{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                          inf,          st.cap_x,         st.cap_y};
  ExpectRejected(Verify(no_base, v.proof),
                 "pi_aff_g: g is the point at infinity");
  PiAffGStatement no_x{st.paillier0, st.ring_pedersen, st.cap_c,
                       st.cap_d,     st.base,          inf,
                       st.cap_y};
  ExpectRejected(Verify(no_x, v.proof), "pi_aff_g: X is the point at infinity");
  PiAffGStatement no_y{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                       st.base,      st.cap_x,         inf};
  ExpectRejected(Verify(no_y, v.proof), "pi_aff_g: Y is the point at infinity");
  PiAffGProof p = v.proof;
  p.cap_b_x = inf;
  ExpectRejected(Verify(p), "pi_aff_g: B_x is the point at infinity");
  p = v.proof;
  p.cap_b_y = inf;
  ExpectRejected(Verify(p), "pi_aff_g: B_y is the point at infinity");
}

TEST(PiAffG, StatementCiphertextsNotInGroup) {
  const Instance& v = Valid();
  PiAffGStatement st = v.Statement();
  const BigInt& n0_sq = Alice().public_key().n_squared();
  for (const BigInt& bad : {BigInt(0), n0_sq, Alice().p()}) {
    PiAffGStatement c{st.paillier0, st.ring_pedersen, bad,     st.cap_d,
                      st.base,      st.cap_x,         st.cap_y};
    ExpectRejected(Verify(c, v.proof), "pi_aff_g: C not in Z*_{N0^2}");
    PiAffGStatement d{st.paillier0, st.ring_pedersen, st.cap_c, bad,
                      st.base,      st.cap_x,         st.cap_y};
    ExpectRejected(Verify(d, v.proof), "pi_aff_g: D not in Z*_{N0^2}");
  }
}

TEST(PiAffG, ProofElementsNotInTheirGroups) {
  const Instance& v = Valid();
  const BigInt& nhat = AliceRp().params().n();
  const BigInt& n0 = Alice().n();
  struct Case {
    BigInt PiAffGProof::*field;
    BigInt bad;
    const char* error;
  };
  std::vector<Case> cases = {
      {&PiAffGProof::cap_s, BigInt(0), "pi_aff_g: S not in Z*_{Nhat}"},
      {&PiAffGProof::cap_s, AliceRp().p(), "pi_aff_g: S not in Z*_{Nhat}"},
      {&PiAffGProof::cap_t, nhat, "pi_aff_g: T not in Z*_{Nhat}"},
      {&PiAffGProof::cap_t, AliceRp().q(), "pi_aff_g: T not in Z*_{Nhat}"},
      {&PiAffGProof::cap_e, nhat + BigInt(2), "pi_aff_g: E not in Z*_{Nhat}"},
      {&PiAffGProof::cap_e, AliceRp().p(), "pi_aff_g: E not in Z*_{Nhat}"},
      {&PiAffGProof::cap_f, BigInt(0), "pi_aff_g: F not in Z*_{Nhat}"},
      {&PiAffGProof::cap_f, AliceRp().q(), "pi_aff_g: F not in Z*_{Nhat}"},
      {&PiAffGProof::cap_a, BigInt(0), "pi_aff_g: A not in Z*_{N0^2}"},
      {&PiAffGProof::cap_a, Alice().p(), "pi_aff_g: A not in Z*_{N0^2}"},
      {&PiAffGProof::cap_a, Alice().public_key().n_squared(),
       "pi_aff_g: A not in Z*_{N0^2}"},
      {&PiAffGProof::w, n0, "pi_aff_g: w not in Z*_{N0}"},
      {&PiAffGProof::w, Alice().q(), "pi_aff_g: w not in Z*_{N0}"},
  };
  for (const Case& c : cases) {
    PiAffGProof p = v.proof;
    p.*c.field = c.bad;
    ExpectRejected(Verify(p), c.error);
  }
}

TEST(PiAffG, EachTamperedFieldFailsItsEquation) {
  const Instance& v = Valid();
  ASSERT_TRUE(Verify(v.proof).ok());
  // Fields that enter the challenge change e, so the first equation fails.
  const std::string n0_fail = "pi_aff_g: N0 equation failed";
  struct Case {
    const char* name;
    std::function<void(PiAffGProof&)> tamper;
    std::string error;
  };
  std::vector<Case> cases = {
      {"S", [](PiAffGProof& p) { p.cap_s = p.cap_s + BigInt(1); }, n0_fail},
      {"T", [](PiAffGProof& p) { p.cap_t = p.cap_t + BigInt(1); }, n0_fail},
      {"A", [](PiAffGProof& p) { p.cap_a = p.cap_a + BigInt(1); }, n0_fail},
      {"B_x",
       [](PiAffGProof& p) { p.cap_b_x = p.cap_b_x + Point::Generator(); },
       n0_fail},
      {"B_y",
       [](PiAffGProof& p) { p.cap_b_y = p.cap_b_y + Point::Generator(); },
       n0_fail},
      {"E", [](PiAffGProof& p) { p.cap_e = p.cap_e + BigInt(1); }, n0_fail},
      {"F", [](PiAffGProof& p) { p.cap_f = p.cap_f + BigInt(1); }, n0_fail},
      {"z1", [](PiAffGProof& p) { p.z1 = p.z1 + BigInt(1); }, n0_fail},
      {"z2", [](PiAffGProof& p) { p.z2 = p.z2 + BigInt(1); }, n0_fail},
      {"w", [](PiAffGProof& p) { p.w = p.w + BigInt(1); }, n0_fail},
      {"z3", [](PiAffGProof& p) { p.z3 = p.z3 + BigInt(1); },
       "pi_aff_g: ring-pedersen x equation failed"},
      {"z4", [](PiAffGProof& p) { p.z4 = p.z4 + BigInt(1); },
       "pi_aff_g: ring-pedersen y equation failed"},
  };
  for (const Case& c : cases) {
    PiAffGProof p = v.proof;
    c.tamper(p);
    SCOPED_TRACE(c.name);
    ExpectRejected(Verify(p), c.error);
  }
}

TEST(PiAffG, EachEquationIsCheckedOnItsOwn) {
  // Proofs made by the (unchecked) prover for statements that are false in
  // exactly one relation: each fails exactly its own equation.
  const Instance& v = Valid();
  DeterministicRandom rng(6);
  PiAffGStatement st = v.Statement();
  Point wrong_x = v.cap_x + Point::Generator();
  PiAffGStatement st_wrong{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                           st.base,      wrong_x,          st.cap_y};
  PiAffGProof p = internal::ProvePiAffGUnchecked(st_wrong, v.Witness(),
                                                 Context(kBob, kAlice), rng);
  ExpectRejected(Verify(st_wrong, p), "pi_aff_g: group equation failed");
  // A Y that is not y·g: only the group y equation fails.
  Point wrong_y = v.cap_y + Point::Generator();
  PiAffGStatement st_y{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                       st.base,      st.cap_x,         wrong_y};
  p = internal::ProvePiAffGUnchecked(st_y, v.Witness(), Context(kBob, kAlice),
                                     rng);
  ExpectRejected(Verify(st_y, p), "pi_aff_g: group y equation failed");
  // A D that is not C^x·enc(y): only the N0 equation fails.
  BigInt wrong_d = BigInt::ModMul(v.cap_d, BigInt(1) + Alice().n(),
                                  Alice().public_key().n_squared());
  PiAffGStatement st_d{st.paillier0, st.ring_pedersen, st.cap_c, wrong_d,
                       st.base,      st.cap_x,         st.cap_y};
  p = internal::ProvePiAffGUnchecked(st_d, v.Witness(), Context(kBob, kAlice),
                                     rng);
  ExpectRejected(Verify(st_d, p), "pi_aff_g: N0 equation failed");
}

TEST(PiAffG, N0EquationByHalvesCatchesEachHalf) {
  // Statements false in exactly one half of the N0 equation, with proofs
  // consistent with them (unchecked prover): D·(1+N0) has the same residue
  // mod N0 but another plaintext; D·u^N0 the same plaintext but another
  // residue. Every path rejects both, the path by halves included.
  const Instance& v = Valid();
  DeterministicRandom rng(8);
  PiAffGStatement st = v.Statement();
  const BigInt& n0_sq = Alice().public_key().n_squared();
  BigInt u = BigInt::RandomUnit(Alice().n(), rng);
  for (const BigInt& factor :
       {BigInt(1) + Alice().n(), BigInt::PowMod(u, Alice().n(), n0_sq)}) {
    BigInt wrong_d = BigInt::ModMul(v.cap_d, factor, n0_sq);
    PiAffGStatement st_d{st.paillier0, st.ring_pedersen, st.cap_c, wrong_d,
                         st.base,      st.cap_x,         st.cap_y};
    PiAffGProof p = internal::ProvePiAffGUnchecked(st_d, v.Witness(),
                                                   Context(kBob, kAlice), rng);
    ExpectRejected(Verify(st_d, p), "pi_aff_g: N0 equation failed");
  }
}

TEST(PiAffG, N0EquationByHalvesNeedsTheRightPlaintextOfC) {
  // The plaintext of C is a precondition, not something the verifier can
  // check: a wrong one rejects an honest proof (and says so as the N0
  // equation), and no plaintext of D is handed out.
  const Instance& v = Valid();
  BigInt wrong = v.k + BigInt(1);
  BigInt d_out(-1);
  ExpectRejected(VerifyPiAffG(v.Statement(), v.proof, Context(kBob, kAlice),
                              {&Alice(), &AliceRp(), &wrong, &d_out}),
                 "pi_aff_g: N0 equation failed");
  EXPECT_EQ(d_out, BigInt(-1));
  // The right one (k itself, or any value congruent mod N0) verifies.
  BigInt congruent = v.k + Alice().n();
  EXPECT_TRUE(VerifyPiAffG(v.Statement(), v.proof, Context(kBob, kAlice),
                           {&Alice(), nullptr, &congruent, &d_out})
                  .ok());
  EXPECT_EQ(d_out, *Alice().DecryptSigned(v.cap_d));
}

TEST(PiAffG, ReplayInAnotherContextIsRejected) {
  const Instance& v = Valid();
  PiAffGStatement st = v.Statement();
  const std::string err = "pi_aff_g: N0 equation failed";
  ExpectRejected(Verify(st, v.proof, Context(kBob, kAlice, "other-session")),
                 err);
  ExpectRejected(Verify(st, v.proof, Context(3, kAlice)), err);
  ExpectRejected(Verify(st, v.proof, Context(kBob, 3)), err);
  ExpectRejected(Verify(st, v.proof, Context(kAlice, kBob)), err);
}

TEST(PiAffG, ProofForAnotherStatementIsRejected) {
  const Instance& v = Valid();
  PiAffGStatement st = v.Statement();
  DeterministicRandom rng(7);
  // Other C.
  absl::StatusOr<PaillierEncryption> c2 = Alice().Encrypt(v.k, rng);
  ASSERT_TRUE(c2.ok());
  PiAffGStatement other_c{st.paillier0, st.ring_pedersen, c2->ciphertext,
                          st.cap_d,     st.base,          st.cap_x,
                          st.cap_y};
  ExpectRejected(Verify(other_c, v.proof), "pi_aff_g: N0 equation failed");
  // Other X.
  Point x2 = v.cap_x + v.cap_x;
  PiAffGStatement other_x{st.paillier0, st.ring_pedersen, st.cap_c,
                          st.cap_d,     st.base,          x2,
                          st.cap_y};
  ExpectRejected(Verify(other_x, v.proof), "pi_aff_g: N0 equation failed");
  // Other Y.
  Point y2 = v.cap_y + v.cap_y;
  PiAffGStatement other_y{st.paillier0, st.ring_pedersen, st.cap_c, st.cap_d,
                          st.base,      st.cap_x,         y2};
  ExpectRejected(Verify(other_y, v.proof), "pi_aff_g: N0 equation failed");
  const PaillierPublicKey& n2 = FixturePaillierKey(2).public_key();
  // Other N0 (only the plain path: the verifier's key belongs to N0).
  PiAffGStatement other_n0{n2,      st.ring_pedersen, st.cap_c, st.cap_d,
                           st.base, st.cap_x,         st.cap_y};
  EXPECT_FALSE(VerifyPiAffG(other_n0, v.proof, Context(kBob, kAlice)).ok());
  // Other verifier ring-Pedersen parameters.
  PiAffGStatement other_rp{st.paillier0, FixtureRingPedersen(2).params(),
                           st.cap_c,     st.cap_d,
                           st.base,      st.cap_x,
                           st.cap_y};
  EXPECT_FALSE(VerifyPiAffG(other_rp, v.proof, Context(kBob, kAlice)).ok());
}

TEST(PiAffG, MismatchedVerifierSecretsAreRejected) {
  const Instance& v = Valid();
  PiAffGStatement st = v.Statement();
  ExpectRejected(VerifyPiAffG(st, v.proof, Context(kBob, kAlice),
                              {&FixturePaillierKey(2), nullptr}),
                 "pi_aff_g: private key does not match N0");
  ExpectRejected(VerifyPiAffG(st, v.proof, Context(kBob, kAlice),
                              {nullptr, &FixtureRingPedersen(2)}),
                 "pi_aff_g: verifier secret does not match");
}

TEST(PiAffG, ProtoRoundTripAndStrictDecoding) {
  const Instance& v = Valid();
  v1::PiAffGProof wire = PiAffGProofToProto(v.proof);
  std::string bytes;
  ASSERT_TRUE(wire.SerializeToString(&bytes));
  v1::PiAffGProof parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  absl::StatusOr<PiAffGProof> back = PiAffGProofFromProto(parsed);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Verify(*back).ok());

  v1::PiAffGProof m = wire;
  m.clear_w();
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: missing w");
  m = wire;
  m.clear_cap_b_y();
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: missing B_y");
  m = wire;
  m.clear_cap_b_x();
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: missing B_x");
  m = wire;
  m.set_cap_b_x(std::string(33, '\0'));  // the identity's placeholder
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: B_x: point:");
  m = wire;
  m.set_cap_b_x(wire.cap_b_x().substr(0, 32));
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: B_x: point:");
  m = wire;
  m.set_cap_b_y(std::string(33, '\0'));
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: B_y: point:");
  m = wire;
  m.set_cap_b_y(wire.cap_b_y().substr(0, 32));
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: B_y: point:");
  m = wire;
  m.set_z2(std::string("\x00", 1) +
           std::string(BytesForBits(kEllPrime + kEpsilon) + 1, '\x11'));
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: z2:");
  m = wire;
  m.set_z4(std::string("\x01", 1));
  ExpectRejected(PiAffGProofFromProto(m).status(), "pi_aff_g: z4:");
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
