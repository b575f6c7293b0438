// The Πaff-g pair (mpc/zk/pi_aff_g.h ProvePiAffGPair / VerifyPiAffGPair):
// one prover's two statements against the same verifier key and C (GG20's
// MtA for γ and MtAwc for w) with one shared Paillier commitment A and
// nonce w. Every check of the verifier has a negative case here that
// breaks exactly it and names its part (first, second, shared); the
// decision is the same with the verifier's secrets (round 2), with its key
// alone, and with none (the complaint judge and the reveal rounds).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mpc/zk/pi_aff_g.h"
#include "tests/fixtures/fixtures.h"
#include "tests/mpc/mta_test_util.h"

namespace nitro_tss::mpc::zk {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;
using testutil::Context;
using testutil::MulInt;

constexpr uint32_t kAlice = 1;  // verifier: owns N0 and the ring-Pedersen
constexpr uint32_t kBob = 2;    // prover

const PaillierPrivateKey& Alice() { return FixturePaillierKey(0); }
const RingPedersenSecret& AliceRp() { return FixtureRingPedersen(0); }
const BigInt& N0() { return Alice().n(); }
const BigInt& N0Sq() { return Alice().public_key().n_squared(); }

// One statement of the pair with its witness.
struct Half {
  BigInt x, y, rho;
  BigInt cap_d;
  Point cap_x, cap_y;
};

// Two statements against the same C and their pair proof (all values owned
// here: statements hold references).
struct Pair {
  BigInt k, cap_c;
  Point base = Point::Generator();
  ProofContext ctx = Context(kBob, kAlice);
  Half h[2];
  PiAffGPairProof proof;
  PiAffGStatement Statement(int i) const {
    return PiAffGStatement{
        Alice().public_key(), AliceRp().params(), cap_c, h[i].cap_d, base,
        h[i].cap_x,           h[i].cap_y};
  }
  // (Re)proves the pair for its current statements (the unchecked prover:
  // a statement may have been made false on purpose).
  void Prove(RandomSource& rng) {
    PiAffGWitness w0{h[0].x, h[0].y, h[0].rho};
    PiAffGWitness w1{h[1].x, h[1].y, h[1].rho};
    proof = internal::ProvePiAffGPairUnchecked(Statement(0), w0, Statement(1),
                                               w1, ctx, rng);
  }
  std::pair<BigInt, BigInt> Challenges() const {
    return PiAffGPairChallenges(Statement(0), proof.first, Statement(1),
                                proof.second, ctx);
  }
};

std::unique_ptr<Pair> MakePair(uint64_t seed) {
  DeterministicRandom rng(seed);
  auto p = std::make_unique<Pair>();
  p->k = Scalar::Random(rng).ToBigInt();
  p->cap_c = Alice().Encrypt(p->k, rng)->ciphertext;
  for (Half& h : p->h) {
    h.x = Scalar::Random(rng).ToBigInt();
    h.y = BigInt::RandomSigned(kEllPrime, rng);
    h.rho = BigInt::RandomUnit(N0(), rng);
    h.cap_d = testutil::AffineCiphertext(Alice().public_key(), p->cap_c, h.x,
                                         h.y, h.rho);
    h.cap_x = MulInt(p->base, h.x);
    h.cap_y = MulInt(p->base, h.y);
  }
  p->Prove(rng);
  return p;
}

const Pair& Valid() {
  static const Pair* pair = MakePair(11).release();
  return *pair;
}

// Runs the pair with Alice's secrets (Paillier equation by halves), with
// her key alone (whole, by CRT mod p², q²) and with none (whole, public):
// all three must agree on status and part. Checks the handed-out Dec(D_i)
// on success (and that nothing is handed out on failure); returns the
// first path's result.
PiAffGPairResult CheckPair(const Pair& p) {
  const PiAffGStatement st0 = p.Statement(0), st1 = p.Statement(1);
  BigInt d0(-7), d1(-7);
  PiAffGVerifierSecrets secrets{&Alice(), &AliceRp(), &p.k};
  PiAffGPairResult r =
      VerifyPiAffGPair(PiAffGPairEntry{st0, &d0}, PiAffGPairEntry{st1, &d1},
                       p.proof, p.ctx, secrets);
  if (r.status.ok()) {
    EXPECT_EQ(d0, *Alice().DecryptSigned(p.h[0].cap_d));
    EXPECT_EQ(d1, *Alice().DecryptSigned(p.h[1].cap_d));
  } else {
    EXPECT_EQ(d0, BigInt(-7)) << "no plaintext for a failing pair";
    EXPECT_EQ(d1, BigInt(-7)) << "no plaintext for a failing pair";
  }
  for (const PiAffGVerifierSecrets& other :
       {PiAffGVerifierSecrets{&Alice(), nullptr, nullptr},
        PiAffGVerifierSecrets{}}) {
    PiAffGPairResult o = VerifyPiAffGPair(
        PiAffGPairEntry{st0}, PiAffGPairEntry{st1}, p.proof, p.ctx, other);
    EXPECT_EQ(o.status, r.status);
    EXPECT_EQ(o.failed, r.failed);
  }
  return r;
}

void ExpectFails(const PiAffGPairResult& r, size_t failed,
                 const std::string& message) {
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << r.status;
  EXPECT_THAT(std::string(r.status.message()), ::testing::StartsWith(message));
  EXPECT_EQ(r.failed, failed);
}

const char kPairN0[] = "pi_aff_g pair: N0 equation failed";

TEST(PiAffGPair, HonestPairsPassOnEveryPath) {
  for (uint64_t seed : {21, 22, 23}) {
    SCOPED_TRACE(seed);
    std::unique_ptr<Pair> p = MakePair(seed);
    EXPECT_TRUE(CheckPair(*p).status.ok());
  }
}

TEST(PiAffGPair, TheHonestProverSharesAAndW) {
  const Pair& v = Valid();
  EXPECT_FALSE(v.proof.first.cap_a.IsZero());
  EXPECT_FALSE(v.proof.first.w.IsZero());
  EXPECT_TRUE(v.proof.second.cap_a.IsZero());
  EXPECT_TRUE(v.proof.second.w.IsZero());
  const auto [e1, e2] = v.Challenges();
  EXPECT_NE(e1, e2);
  EXPECT_TRUE(e1.Abs() <= Scalar::Order());
  EXPECT_TRUE(e2.Abs() <= Scalar::Order());
}

TEST(PiAffGPair, EachTamperedPartFieldNamesThePartAndTheReason) {
  // A part's responses: z1, z2 enter the shared Paillier equation (checked
  // first among the equations), z3, z4 only the part's ring-Pedersen
  // equations; membership and ranges are checked per part before it.
  struct Case {
    const char* name;
    std::function<void(PiAffGProof&)> tamper;
    std::string error;
    bool shared;  // the failure is the shared equation's
  };
  const std::vector<Case> cases = {
      {"z1", [](PiAffGProof& p) { p.z1 = p.z1 + BigInt(1); }, kPairN0, true},
      {"z2", [](PiAffGProof& p) { p.z2 = p.z2 + BigInt(1); }, kPairN0, true},
      {"z2+N0", [](PiAffGProof& p) { p.z2 = p.z2 + N0(); },
       "pi_aff_g: z2 out of range", false},
      {"z1 out of range",
       [](PiAffGProof& p) { p.z1 = BigInt::PowerOfTwo(kEll + kEpsilon + 1); },
       "pi_aff_g: z1 out of range", false},
      {"z3", [](PiAffGProof& p) { p.z3 = p.z3 + BigInt(1); },
       "pi_aff_g: ring-pedersen x equation failed", false},
      {"z4", [](PiAffGProof& p) { p.z4 = p.z4 + BigInt(1); },
       "pi_aff_g: ring-pedersen y equation failed", false},
      {"B_x (changes both challenges)",
       [](PiAffGProof& p) { p.cap_b_x = p.cap_b_x + Point::Generator(); },
       kPairN0, true},
      {"S not a unit", [](PiAffGProof& p) { p.cap_s = BigInt(0); },
       "pi_aff_g: S not in Z*_{Nhat}", false},
      {"F not a unit", [](PiAffGProof& p) { p.cap_f = AliceRp().params().n(); },
       "pi_aff_g: F not in Z*_{Nhat}", false},
      {"B_y the identity",
       [](PiAffGProof& p) { p.cap_b_y = Point::Identity(); },
       "pi_aff_g: B_y is the point at infinity", false},
  };
  for (const Case& c : cases) {
    for (int which : {0, 1, 2}) {  // first, second, both
      SCOPED_TRACE(std::string(c.name) + " in " +
                   (which == 0   ? "first"
                    : which == 1 ? "second"
                                 : "both"));
      Pair p = Valid();
      if (which != 1) c.tamper(p.proof.first);
      if (which != 0) c.tamper(p.proof.second);
      ExpectFails(CheckPair(p),
                  c.shared ? kPiAffGPairShared : (which == 1 ? 1 : 0), c.error);
    }
  }
}

TEST(PiAffGPair, EachTamperedSharedFieldNamesTheSharedPart) {
  struct Case {
    const char* name;
    std::function<void(PiAffGProof&)> tamper;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"A", [](PiAffGProof& p) { p.cap_a = p.cap_a + BigInt(1); }, kPairN0},
      {"A·(1+N0) (the plaintext half only)",
       [](PiAffGProof& p) {
         p.cap_a = BigInt::ModMul(p.cap_a, BigInt(1) + N0(), N0Sq());
       },
       kPairN0},
      {"w", [](PiAffGProof& p) { p.w = p.w + BigInt(1); }, kPairN0},
      {"−w (a residue of order 2)", [](PiAffGProof& p) { p.w = N0() - p.w; },
       kPairN0},
      {"w not a unit", [](PiAffGProof& p) { p.w = N0(); },
       "pi_aff_g: w not in Z*_{N0}"},
      {"A missing", [](PiAffGProof& p) { p.cap_a = BigInt(0); },
       "pi_aff_g: A not in Z*_{N0^2}"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Pair p = Valid();
    c.tamper(p.proof.first);
    ExpectFails(CheckPair(p), kPiAffGPairShared, c.error);
  }
}

TEST(PiAffGPair, StatementFalseInExactlyOneRelationIsNamed) {
  // A pair proven (unchecked) for statements false in one relation only:
  // D·(1+N0) (another plaintext, the same residue mod N0: only the
  // plaintext half of the shared equation fails), D·u^N0 (only the residue
  // half), Y + G (the part's group y equation), X + G (its group x
  // equation).
  struct Case {
    const char* name;
    std::function<void(Half&)> falsify;
    std::string error;
    bool shared;
  };
  DeterministicRandom urng(5);
  const BigInt u_n0 =
      BigInt::PowMod(BigInt::RandomUnit(N0(), urng), N0(), N0Sq());
  const std::vector<Case> cases = {
      {"D plaintext",
       [](Half& h) {
         h.cap_d = BigInt::ModMul(h.cap_d, BigInt(1) + N0(), N0Sq());
       },
       kPairN0, true},
      {"D residue",
       [&](Half& h) { h.cap_d = BigInt::ModMul(h.cap_d, u_n0, N0Sq()); },
       kPairN0, true},
      {"Y", [](Half& h) { h.cap_y = h.cap_y + Point::Generator(); },
       "pi_aff_g: group y equation failed", false},
      {"X", [](Half& h) { h.cap_x = h.cap_x + Point::Generator(); },
       "pi_aff_g: group equation failed", false},
  };
  for (const Case& c : cases) {
    for (int which : {0, 1, 2}) {
      SCOPED_TRACE(std::string(c.name) + " in " +
                   (which == 0   ? "first"
                    : which == 1 ? "second"
                                 : "both"));
      Pair p = Valid();
      DeterministicRandom rng(40 + which);
      if (which != 1) c.falsify(p.h[0]);
      if (which != 0) c.falsify(p.h[1]);
      p.Prove(rng);
      ExpectFails(CheckPair(p),
                  c.shared ? kPiAffGPairShared : (which == 1 ? 1 : 0), c.error);
    }
  }
}

TEST(PiAffGPair, CompensatingPlaintextOffsetsInBothPartsAreCaught) {
  // D_1·(1+N0) and D_2·(1+N0)^-1 (plaintexts off by +1 and −1): a single
  // challenge for both parts would let the offsets cancel; (e_1, e_2)
  // independent from one transcript do not.
  Pair p = Valid();
  p.h[0].cap_d = BigInt::ModMul(p.h[0].cap_d, BigInt(1) + N0(), N0Sq());
  p.h[1].cap_d = BigInt::ModMul(
      p.h[1].cap_d, *BigInt::ModInverse(BigInt(1) + N0(), N0Sq()), N0Sq());
  DeterministicRandom rng(45);
  p.Prove(rng);
  ExpectFails(CheckPair(p), kPiAffGPairShared, kPairN0);
}

TEST(PiAffGPair, StatementsMustShareEveryVerifierValue) {
  // Another N0 (with its own C and D), other ring-Pedersen parameters,
  // another base point: refused by the verifier (and the prover) as a
  // shared failure before any arithmetic.
  const Pair& v = Valid();
  const PaillierPublicKey& other_key = FixturePaillierKey(1).public_key();
  const PiAffGStatement st0 = v.Statement(0);
  const PiAffGStatement other_n0{
      other_key, AliceRp().params(), v.cap_c,     v.h[1].cap_d,
      v.base,    v.h[1].cap_x,       v.h[1].cap_y};
  const PiAffGStatement other_rp{Alice().public_key(),
                                 FixtureRingPedersen(1).params(),
                                 v.cap_c,
                                 v.h[1].cap_d,
                                 v.base,
                                 v.h[1].cap_x,
                                 v.h[1].cap_y};
  const Point h = Point::H();
  const PiAffGStatement other_base{
      Alice().public_key(), AliceRp().params(), v.cap_c, v.h[1].cap_d, h,
      v.h[1].cap_x,         v.h[1].cap_y};
  for (const PiAffGStatement* st1 : {&other_n0, &other_rp, &other_base}) {
    PiAffGPairResult r = VerifyPiAffGPair(
        PiAffGPairEntry{st0}, PiAffGPairEntry{*st1}, v.proof, v.ctx, {});
    ExpectFails(r, kPiAffGPairShared,
                "pi_aff_g pair: statements do not share N0, C, g");
    DeterministicRandom rng(46);
    absl::StatusOr<PiAffGPairProof> proof = ProvePiAffGPair(
        st0, PiAffGWitness{v.h[0].x, v.h[0].y, v.h[0].rho}, *st1,
        PiAffGWitness{v.h[1].x, v.h[1].y, v.h[1].rho}, v.ctx, rng);
    EXPECT_THAT(std::string(proof.status().message()),
                HasSubstr("statements do not share N0, C, g"));
  }
}

TEST(PiAffGPair, SecretsOfAnotherKeyAreRefused) {
  const Pair& v = Valid();
  const PiAffGStatement st0 = v.Statement(0), st1 = v.Statement(1);
  PiAffGPairResult wrong_key =
      VerifyPiAffGPair(PiAffGPairEntry{st0}, PiAffGPairEntry{st1}, v.proof,
                       v.ctx, {&FixturePaillierKey(1), nullptr, nullptr});
  EXPECT_EQ(wrong_key.failed, kPiAffGPairShared);
  EXPECT_THAT(std::string(wrong_key.status.message()),
              HasSubstr("does not match"));
  PiAffGPairResult wrong_rp =
      VerifyPiAffGPair(PiAffGPairEntry{st0}, PiAffGPairEntry{st1}, v.proof,
                       v.ctx, {nullptr, &FixtureRingPedersen(1), nullptr});
  EXPECT_EQ(wrong_rp.failed, kPiAffGPairShared);
  EXPECT_THAT(std::string(wrong_rp.status.message()),
              HasSubstr("does not match"));
}

TEST(PiAffGPair, OversizedMaskInEitherPartIsCaughtByItsRangeCheck) {
  // Alpha-Rays: y beyond ±2^ℓ' by ε + 2 bits in one part (unchecked
  // prover); that part's z2 leaves ±2^(ℓ'+ε) with overwhelming probability.
  for (int which : {0, 1}) {
    SCOPED_TRACE(which);
    Pair p = Valid();
    DeterministicRandom rng(50 + which);
    Half& h = p.h[which];
    h.y = BigInt::PowerOfTwo(kEllPrime + kEpsilon + 2) + BigInt(12345);
    h.cap_d = testutil::AffineCiphertext(Alice().public_key(), p.cap_c, h.x,
                                         h.y, h.rho);
    h.cap_y = MulInt(p.base, h.y);
    p.Prove(rng);
    ExpectFails(CheckPair(p), which, "pi_aff_g: z2 out of range");
  }
}

TEST(PiAffGPair, ChallengesBindBothStatementsBothPartsAndTheContext) {
  const Pair& v = Valid();
  const auto e = v.Challenges();
  EXPECT_EQ(v.Challenges(), e) << "deterministic";
  std::vector<std::pair<const char*, std::function<void(Pair&)>>> changes = {
      {"D_1", [](Pair& p) { p.h[0].cap_d = p.h[0].cap_d + BigInt(1); }},
      {"D_2", [](Pair& p) { p.h[1].cap_d = p.h[1].cap_d + BigInt(1); }},
      {"X_1 (Γ in GG20)",
       [](Pair& p) { p.h[0].cap_x = p.h[0].cap_x + Point::Generator(); }},
      {"X_2",
       [](Pair& p) { p.h[1].cap_x = p.h[1].cap_x + Point::Generator(); }},
      {"Y_2",
       [](Pair& p) { p.h[1].cap_y = p.h[1].cap_y + Point::Generator(); }},
      {"C", [](Pair& p) { p.cap_c = p.cap_c + BigInt(1); }},
      {"A",
       [](Pair& p) { p.proof.first.cap_a = p.proof.first.cap_a + BigInt(1); }},
      {"S_1",
       [](Pair& p) { p.proof.first.cap_s = p.proof.first.cap_s + BigInt(1); }},
      {"T_2",
       [](Pair& p) {
         p.proof.second.cap_t = p.proof.second.cap_t + BigInt(1);
       }},
      {"E_2",
       [](Pair& p) {
         p.proof.second.cap_e = p.proof.second.cap_e + BigInt(1);
       }},
      {"F_1",
       [](Pair& p) { p.proof.first.cap_f = p.proof.first.cap_f + BigInt(1); }},
      {"E_1",
       [](Pair& p) { p.proof.first.cap_e = p.proof.first.cap_e + BigInt(1); }},
      {"T_1",
       [](Pair& p) { p.proof.first.cap_t = p.proof.first.cap_t + BigInt(1); }},
      {"S_2",
       [](Pair& p) {
         p.proof.second.cap_s = p.proof.second.cap_s + BigInt(1);
       }},
      {"F_2",
       [](Pair& p) {
         p.proof.second.cap_f = p.proof.second.cap_f + BigInt(1);
       }},
      {"Y_1",
       [](Pair& p) { p.h[0].cap_y = p.h[0].cap_y + Point::Generator(); }},
      {"B_x_1",
       [](Pair& p) {
         p.proof.first.cap_b_x = p.proof.first.cap_b_x + Point::Generator();
       }},
      {"B_x_2",
       [](Pair& p) {
         p.proof.second.cap_b_x = p.proof.second.cap_b_x + Point::Generator();
       }},
      {"g (both)", [](Pair& p) { p.base = Point::H(); }},
      {"B_y_2",
       [](Pair& p) {
         p.proof.second.cap_b_y = p.proof.second.cap_b_y + Point::Generator();
       }},
      {"context", [](Pair& p) { p.ctx.verifier = 3; }},
      {"parts swapped",
       [](Pair& p) {
         std::swap(p.h[0], p.h[1]);
         std::swap(p.proof.first, p.proof.second);
       }},
  };
  for (auto& [name, change] : changes) {
    Pair p = v;
    change(p);
    const auto changed = p.Challenges();
    EXPECT_NE(changed.first, e.first) << name;
    EXPECT_NE(changed.second, e.second) << name;
  }
}

TEST(PiAffGPair, APartFromAnotherPairDoesNotVerify) {
  // Two honest pairs for the same statements: a part of one with the other's
  // first part (and its A, w) fails, so neither part is usable outside the
  // pair it was made in.
  Pair a = Valid();
  Pair b = Valid();
  DeterministicRandom rng(71);
  b.Prove(rng);
  ASSERT_TRUE(CheckPair(b).status.ok());
  Pair mixed = a;
  mixed.proof.second = b.proof.second;
  EXPECT_FALSE(CheckPair(mixed).status.ok());
  mixed = a;
  mixed.proof.first = b.proof.first;
  EXPECT_FALSE(CheckPair(mixed).status.ok());
}

// D_i sent as −D_i (the same plaintext: −1 = (−1)^N0) with the pair proven
// from D_i's nonce: the shared equation is off by (−1)^e_i per negated
// part, an element of order 2 of the residue half. The pair passes iff the
// negated parts' challenges sum to an even number; whatever it decides, it
// decides the same with and without Alice's secrets (round 2 and the
// reveal rounds agree), and a rejection names the shared part.
TEST(PiAffGPair, MinusOneInANonceDecidesByTheChallengesParityEverywhere) {
  struct Flip {
    const char* name;
    bool first, second;
  };
  const std::vector<Flip> flips = {
      {"D_1", true, false}, {"D_2", false, true}, {"both", true, true}};
  for (const Flip& f : flips) {
    std::set<bool> seen;
    for (uint64_t seed = 31; seed < 45 && seen.size() < 2; ++seed) {
      SCOPED_TRACE(std::string(f.name) + " seed " + std::to_string(seed));
      Pair p = Valid();
      // The honest values for D; the statement gets −D, the witness keeps ρ.
      if (f.first) p.h[0].cap_d = N0Sq() - p.h[0].cap_d;
      if (f.second) p.h[1].cap_d = N0Sq() - p.h[1].cap_d;
      DeterministicRandom rng(seed);
      p.Prove(rng);
      const auto [e1, e2] = p.Challenges();
      const bool odd = (f.first && e1.IsOdd()) != (f.second && e2.IsOdd());
      seen.insert(odd);
      PiAffGPairResult r = CheckPair(p);
      if (odd) {
        ExpectFails(r, kPiAffGPairShared, kPairN0);
      } else {
        EXPECT_TRUE(r.status.ok()) << r.status;
      }
    }
    EXPECT_EQ(seen.size(), 2u) << f.name << ": both parities met";
  }
}

TEST(PiAffGPair, WrongPlaintextOfCRejectsAnHonestPair) {
  // c_plaintext must be Dec(C) (PiAffGVerifierSecrets).
  const Pair& v = Valid();
  const PiAffGStatement st0 = v.Statement(0), st1 = v.Statement(1);
  BigInt wrong = v.k + BigInt(1);
  PiAffGPairResult r =
      VerifyPiAffGPair(PiAffGPairEntry{st0}, PiAffGPairEntry{st1}, v.proof,
                       v.ctx, {&Alice(), nullptr, &wrong});
  ExpectFails(r, kPiAffGPairShared, kPairN0);
}

TEST(PiAffGPair, StatementsNotSharingCAreRefusedByProverAndVerifier) {
  std::unique_ptr<Pair> a = MakePair(61), b = MakePair(62);
  const PiAffGStatement st0 = a->Statement(0), st1 = b->Statement(1);
  const std::string refused =
      "pi_aff_g pair: statements do not share N0, C, g and the "
      "ring-Pedersen parameters";
  PiAffGPairProof mixed{a->proof.first, b->proof.second};
  for (const PiAffGVerifierSecrets& s :
       {PiAffGVerifierSecrets{&Alice(), &AliceRp(), &a->k},
        PiAffGVerifierSecrets{}}) {
    ExpectFails(VerifyPiAffGPair(PiAffGPairEntry{st0}, PiAffGPairEntry{st1},
                                 mixed, a->ctx, s),
                kPiAffGPairShared, refused);
  }
  DeterministicRandom rng(63);
  absl::StatusOr<PiAffGPairProof> proof = ProvePiAffGPair(
      st0, PiAffGWitness{a->h[0].x, a->h[0].y, a->h[0].rho}, st1,
      PiAffGWitness{b->h[1].x, b->h[1].y, b->h[1].rho}, a->ctx, rng);
  EXPECT_THAT(std::string(proof.status().message()), HasSubstr(refused));
}

TEST(PiAffGPair, ProverChecksBothWitnesses) {
  const Pair& v = Valid();
  DeterministicRandom rng(64);
  const PiAffGStatement st0 = v.Statement(0), st1 = v.Statement(1);
  const BigInt big = BigInt::PowerOfTwo(kEllPrime + 1);
  absl::StatusOr<PiAffGPairProof> bad_y =
      ProvePiAffGPair(st0, PiAffGWitness{v.h[0].x, v.h[0].y, v.h[0].rho}, st1,
                      PiAffGWitness{v.h[1].x, big, v.h[1].rho}, v.ctx, rng);
  EXPECT_THAT(std::string(bad_y.status().message()),
              HasSubstr("pi_aff_g: witness y out of range"));
  absl::StatusOr<PiAffGPairProof> bad_x = ProvePiAffGPair(
      st0, PiAffGWitness{v.h[1].x, v.h[0].y, v.h[0].rho}, st1,
      PiAffGWitness{v.h[1].x, v.h[1].y, v.h[1].rho}, v.ctx, rng);
  EXPECT_THAT(std::string(bad_x.status().message()),
              HasSubstr("pi_aff_g: X != x*g"));
  absl::StatusOr<PiAffGPairProof> good = ProvePiAffGPair(
      st0, PiAffGWitness{v.h[0].x, v.h[0].y, v.h[0].rho}, st1,
      PiAffGWitness{v.h[1].x, v.h[1].y, v.h[1].rho}, v.ctx, rng);
  ASSERT_TRUE(good.ok()) << good.status();
  Pair p = v;
  p.proof = *good;
  EXPECT_TRUE(CheckPair(p).status.ok());
}

TEST(PiAffGPair, WireFormOfTheSecondPartHasNoAAndW) {
  const Pair& v = Valid();
  v1::PiAffGProof first = PiAffGProofToProto(v.proof.first);
  v1::PiAffGProof second = PiAffGPairSecondToProto(v.proof.second);
  EXPECT_TRUE(second.cap_a().empty());
  EXPECT_TRUE(second.w().empty());
  absl::StatusOr<PiAffGProof> first_back = PiAffGProofFromProto(first);
  absl::StatusOr<PiAffGProof> second_back = PiAffGPairSecondFromProto(second);
  ASSERT_TRUE(first_back.ok()) << first_back.status();
  ASSERT_TRUE(second_back.ok()) << second_back.status();
  Pair p = v;
  p.proof = PiAffGPairProof{*first_back, *second_back};
  EXPECT_TRUE(CheckPair(p).status.ok());
  // A second part with A or w present, or a first part without them, is
  // refused.
  v1::PiAffGProof with_a = second;
  with_a.set_cap_a(first.cap_a());
  EXPECT_THAT(std::string(PiAffGPairSecondFromProto(with_a).status().message()),
              HasSubstr("A and w must be absent in a pair's second part"));
  v1::PiAffGProof with_w = second;
  with_w.set_w(first.w());
  EXPECT_FALSE(PiAffGPairSecondFromProto(with_w).ok());
  EXPECT_THAT(std::string(PiAffGProofFromProto(second).status().message()),
              HasSubstr("pi_aff_g: missing A"));
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
