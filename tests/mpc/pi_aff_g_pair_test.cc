// VerifyPiAffGPair (mpc/zk/pi_aff_g.h): one prover's two Πaff-g to the same
// verifier and C (GG20's MtA for γ and MtAwc for w), their N0 plaintext
// checks combined by a 128-bit Fiat–Shamir combiner. The pair must decide
// exactly as VerifyPiAffG on the first proof and then on the second, with
// the same error and the index of the failing proof: on honest pairs, on
// every tampered field and on statements false in exactly one relation, in
// the first proof, the second and both. The Paillier equation (N0) is
// combined as u1·u2^c = 1, a decision that differs from the checks one by
// one only through elements of small order (the −1 nonce cases): there the
// pair decides as the combined equation, the same with and without the
// verifier's secrets (GG20's reveal rounds re-check the pair publicly).
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
using testutil::Context;
using testutil::MulInt;

constexpr uint32_t kAlice = 1;  // verifier: owns N0 and the ring-Pedersen
constexpr uint32_t kBob = 2;    // prover

const PaillierPrivateKey& Alice() { return FixturePaillierKey(0); }
const RingPedersenSecret& AliceRp() { return FixtureRingPedersen(0); }
const BigInt& N0() { return Alice().n(); }
const BigInt& N0Sq() { return Alice().public_key().n_squared(); }

// One of Bob's two responses to Alice's C = enc(k): the statement's values,
// the witness and the proof.
struct Half {
  BigInt x, y, rho;
  BigInt cap_d;
  Point cap_x, cap_y;
  PiAffGProof proof;
};

// Two responses to the same C (all values owned here: statements hold
// references).
struct Pair {
  BigInt k, cap_c;
  Point base = Point::Generator();
  ProofContext ctx = Context(kBob, kAlice);
  Half h[2];
  PiAffGStatement Statement(int i) const {
    return PiAffGStatement{
        Alice().public_key(), AliceRp().params(), cap_c, h[i].cap_d, base,
        h[i].cap_x,           h[i].cap_y};
  }
  // (Re)proves half i for its current statement (the unchecked prover: a
  // statement may have been made false on purpose).
  void Prove(int i, RandomSource& rng) {
    PiAffGWitness w{h[i].x, h[i].y, h[i].rho};
    h[i].proof = internal::ProvePiAffGUnchecked(Statement(i), w, ctx, rng);
  }
};

std::unique_ptr<Pair> MakePair(uint64_t seed) {
  DeterministicRandom rng(seed);
  auto p = std::make_unique<Pair>();
  p->k = Scalar::Random(rng).ToBigInt();
  p->cap_c = Alice().Encrypt(p->k, rng)->ciphertext;
  for (int i = 0; i < 2; ++i) {
    Half& h = p->h[i];
    h.x = Scalar::Random(rng).ToBigInt();
    h.y = BigInt::RandomSigned(kEllPrime, rng);
    h.rho = BigInt::RandomUnit(N0(), rng);
    h.cap_d = testutil::AffineCiphertext(Alice().public_key(), p->cap_c, h.x,
                                         h.y, h.rho);
    h.cap_x = MulInt(p->base, h.x);
    h.cap_y = MulInt(p->base, h.y);
    p->Prove(i, rng);
  }
  return p;
}

// What the pair must decide: VerifyPiAffG on the first, then the second.
PiAffGPairResult OneByOne(const Pair& p, const PiAffGVerifierSecrets& s) {
  for (size_t i = 0; i < 2; ++i) {
    absl::Status st = VerifyPiAffG(p.Statement(i), p.h[i].proof, p.ctx, s);
    if (!st.ok()) return PiAffGPairResult{st, i};
  }
  return PiAffGPairResult{};
}

// Runs the pair with Alice's secrets (the combined path) and, with
// `also_public`, without (the judge's path: two N-th powers per proof, so
// not for every case), checks both against OneByOne and the handed-out
// plaintexts of D; returns the combined path's result.
PiAffGPairResult CheckPair(const Pair& p, bool also_public = false) {
  const PiAffGStatement st0 = p.Statement(0), st1 = p.Statement(1);
  BigInt d0(-7), d1(-7);
  PiAffGVerifierSecrets secrets{&Alice(), &AliceRp(), &p.k};
  PiAffGPairResult r =
      VerifyPiAffGPair(PiAffGPairEntry{st0, p.h[0].proof, p.ctx, &d0},
                       PiAffGPairEntry{st1, p.h[1].proof, p.ctx, &d1}, secrets);
  PiAffGPairResult expected = OneByOne(p, secrets);
  EXPECT_EQ(r.status, expected.status);
  if (!r.status.ok()) {
    EXPECT_EQ(r.failed, expected.failed);
  }
  if (r.status.ok()) {
    EXPECT_EQ(d0, *Alice().DecryptSigned(p.h[0].cap_d));
    EXPECT_EQ(d1, *Alice().DecryptSigned(p.h[1].cap_d));
  } else if (r.failed == 0) {
    EXPECT_EQ(d0, BigInt(-7)) << "no plaintext for a failing entry";
  }
  if (!also_public) return r;
  // No secrets: the combined public check, same decisions.
  PiAffGPairResult pub =
      VerifyPiAffGPair(PiAffGPairEntry{st0, p.h[0].proof, p.ctx},
                       PiAffGPairEntry{st1, p.h[1].proof, p.ctx}, {});
  PiAffGPairResult pub_expected = OneByOne(p, {});
  EXPECT_EQ(pub.status, pub_expected.status);
  if (!pub.status.ok()) {
    EXPECT_EQ(pub.failed, pub_expected.failed);
  }
  EXPECT_EQ(r.status.ok(), pub.status.ok());
  // Alice's key without k (the CRT path mod p², q²): same decisions.
  PiAffGPairResult keyed = VerifyPiAffGPair(
      PiAffGPairEntry{st0, p.h[0].proof, p.ctx},
      PiAffGPairEntry{st1, p.h[1].proof, p.ctx}, {&Alice(), nullptr, nullptr});
  EXPECT_EQ(keyed.status, pub.status);
  if (!keyed.status.ok()) {
    EXPECT_EQ(keyed.failed, pub.failed);
  }
  return r;
}

void ExpectFails(const PiAffGPairResult& r, size_t failed,
                 const std::string& message) {
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << r.status;
  EXPECT_THAT(std::string(r.status.message()), ::testing::StartsWith(message));
  EXPECT_EQ(r.failed, failed);
}

const Pair& Valid() {
  static const Pair* pair = MakePair(11).release();
  return *pair;
}

TEST(PiAffGPair, AcceptsExactlyWhatBothChecksAcceptOnHonestPairs) {
  for (uint64_t seed : {21, 22, 23}) {
    SCOPED_TRACE(seed);
    std::unique_ptr<Pair> p = MakePair(seed);
    EXPECT_TRUE(CheckPair(*p, /*also_public=*/true).status.ok());
  }
}

TEST(PiAffGPair, EachTamperedFieldNamesTheProofAndTheReason) {
  const std::string n0 = "pi_aff_g: N0 equation failed";
  struct Case {
    const char* name;
    std::function<void(PiAffGProof&)> tamper;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"A", [](PiAffGProof& p) { p.cap_a = p.cap_a + BigInt(1); }, n0},
      {"A·(1+N0)",
       [](PiAffGProof& p) {
         p.cap_a = BigInt::ModMul(p.cap_a, BigInt(1) + N0(), N0Sq());
       },
       n0},
      {"z1", [](PiAffGProof& p) { p.z1 = p.z1 + BigInt(1); }, n0},
      {"z2", [](PiAffGProof& p) { p.z2 = p.z2 + BigInt(1); }, n0},
      {"z2+N0", [](PiAffGProof& p) { p.z2 = p.z2 + N0(); },
       "pi_aff_g: z2 out of range"},
      {"w", [](PiAffGProof& p) { p.w = p.w + BigInt(1); }, n0},
      {"B_y",
       [](PiAffGProof& p) { p.cap_b_y = p.cap_b_y + Point::Generator(); }, n0},
      {"z3", [](PiAffGProof& p) { p.z3 = p.z3 + BigInt(1); },
       "pi_aff_g: ring-pedersen x equation failed"},
      {"z4", [](PiAffGProof& p) { p.z4 = p.z4 + BigInt(1); },
       "pi_aff_g: ring-pedersen y equation failed"},
      {"w not a unit", [](PiAffGProof& p) { p.w = N0(); },
       "pi_aff_g: w not in Z*_{N0}"},
  };
  for (const Case& c : cases) {
    for (int which : {0, 1, 2}) {  // first, second, both
      SCOPED_TRACE(std::string(c.name) + " in " +
                   (which == 0   ? "first"
                    : which == 1 ? "second"
                                 : "both"));
      Pair p = Valid();
      if (which != 1) c.tamper(p.h[0].proof);
      if (which != 0) c.tamper(p.h[1].proof);
      // Every path: with Alice's secrets, her key alone, and none.
      ExpectFails(CheckPair(p, /*also_public=*/true), which == 1 ? 1 : 0,
                  c.error);
    }
  }
}

TEST(PiAffGPair, StatementFalseInExactlyOneRelationIsNamed) {
  // Proofs consistent with a false statement (unchecked prover), false in
  // one relation only: D·(1+N0) (another plaintext, the same residue mod
  // N0: exactly the combined plaintext half fails), D·u^N0 (the residue
  // half), Y + G (the group y equation), X + G (the group equation).
  struct Case {
    const char* name;
    std::function<void(Half&)> falsify;
    std::string error;
  };
  DeterministicRandom urng(5);
  const BigInt u_n0 =
      BigInt::PowMod(BigInt::RandomUnit(N0(), urng), N0(), N0Sq());
  const std::vector<Case> cases = {
      {"D plaintext",
       [](Half& h) {
         h.cap_d = BigInt::ModMul(h.cap_d, BigInt(1) + N0(), N0Sq());
       },
       "pi_aff_g: N0 equation failed"},
      {"D residue",
       [&](Half& h) { h.cap_d = BigInt::ModMul(h.cap_d, u_n0, N0Sq()); },
       "pi_aff_g: N0 equation failed"},
      {"Y", [](Half& h) { h.cap_y = h.cap_y + Point::Generator(); },
       "pi_aff_g: group y equation failed"},
      {"X", [](Half& h) { h.cap_x = h.cap_x + Point::Generator(); },
       "pi_aff_g: group equation failed"},
  };
  for (const Case& c : cases) {
    for (int which : {0, 1, 2}) {
      SCOPED_TRACE(std::string(c.name) + " in " +
                   (which == 0   ? "first"
                    : which == 1 ? "second"
                                 : "both"));
      Pair p = Valid();
      DeterministicRandom rng(40 + which);
      for (int i = 0; i < 2; ++i) {
        if ((which == 0 && i == 1) || (which == 1 && i == 0)) continue;
        c.falsify(p.h[i]);
        p.Prove(i, rng);
      }
      ExpectFails(CheckPair(p, /*also_public=*/true), which == 1 ? 1 : 0,
                  c.error);
    }
  }
}

TEST(PiAffGPair, CombinerBindsBothProofsStatementsAndContexts) {
  const Pair& v = Valid();
  auto combiner = [](const Pair& p) {
    return PiAffGPairCombiner(p.Statement(0), p.h[0].proof, p.ctx,
                              p.Statement(1), p.h[1].proof, p.ctx);
  };
  const BigInt c = combiner(v);
  EXPECT_FALSE(c.IsNegative());
  EXPECT_LT(c, BigInt::PowerOfTwo(kPiAffGCombinerBits));
  EXPECT_EQ(combiner(v), c) << "deterministic";
  std::vector<std::function<void(Pair&)>> changes = {
      [](Pair& p) { p.h[0].proof.z1 = p.h[0].proof.z1 + BigInt(1); },
      [](Pair& p) { p.h[1].proof.z2 = p.h[1].proof.z2 + BigInt(1); },
      [](Pair& p) { p.h[0].proof.w = p.h[0].proof.w + BigInt(1); },
      [](Pair& p) {
        p.h[1].proof.cap_b_y = p.h[1].proof.cap_b_y + Point::Generator();
      },
      [](Pair& p) { p.h[1].proof.cap_a = p.h[1].proof.cap_a + BigInt(1); },
      [](Pair& p) { p.h[0].cap_d = p.h[0].cap_d + BigInt(1); },
      [](Pair& p) { p.h[1].cap_y = p.h[1].cap_y + Point::Generator(); },
      [](Pair& p) { p.cap_c = p.cap_c + BigInt(1); },
      [](Pair& p) { p.ctx.verifier = 3; },
      [](Pair& p) { std::swap(p.h[0], p.h[1]); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    Pair p = v;
    changes[i](p);
    EXPECT_NE(combiner(p), c) << "change " << i;
  }
}

// The pair's decision with Alice's secrets (round 2) and without (the
// reveal rounds and the complaint judge): both must be the same, status,
// message and index.
PiAffGPairResult CheckSecretAndPublicAgree(const Pair& p) {
  const PiAffGStatement st0 = p.Statement(0), st1 = p.Statement(1);
  PiAffGVerifierSecrets secrets{&Alice(), &AliceRp(), &p.k};
  PiAffGPairResult r =
      VerifyPiAffGPair(PiAffGPairEntry{st0, p.h[0].proof, p.ctx},
                       PiAffGPairEntry{st1, p.h[1].proof, p.ctx}, secrets);
  PiAffGPairResult pub =
      VerifyPiAffGPair(PiAffGPairEntry{st0, p.h[0].proof, p.ctx},
                       PiAffGPairEntry{st1, p.h[1].proof, p.ctx}, {});
  EXPECT_EQ(r.status, pub.status);
  EXPECT_EQ(r.failed, pub.failed);
  // Alice's key but no plaintext of C (CRT mod p², q²): the same again.
  PiAffGPairResult crt = VerifyPiAffGPair(
      PiAffGPairEntry{st0, p.h[0].proof, p.ctx},
      PiAffGPairEntry{st1, p.h[1].proof, p.ctx}, {&Alice(), nullptr, nullptr});
  EXPECT_EQ(r.status, crt.status);
  EXPECT_EQ(r.failed, crt.failed);
  return r;
}

// −w in a proof makes its N0 residue ratio lhs/rhs exactly −1 = (−1)^N0,
// an N0-th residue of order 2 (N0 odd). The pair checks that equation
// combined, u1·u2^c = 1, so the decision is the combined one:
// both proofs flipped pass iff c is odd ((−1)^(1+c)), only the second iff
// c is even, only the first never. Whatever it is, it is the same with and
// without Alice's secrets (so round 2 and the reveal rounds agree), and a
// rejection names the proof and reason of the checks one by one.
TEST(PiAffGPair, MinusOneNonceDecidesAsTheCombinedEquationEverywhere) {
  struct Flip {
    const char* name;
    bool first, second;
  };
  const std::vector<Flip> flips = {
      {"w both", true, true},
      {"w second", false, true},
      {"w first", true, false},
  };
  // Each case runs over these seeds until it has met both parities of c.
  std::map<std::string, std::set<bool>> parities;
  std::vector<std::unique_ptr<Pair>> honest_pairs;
  for (const Flip& f : flips) {
    for (uint64_t seed = 31; seed < 37 && parities[f.name].size() < 2; ++seed) {
      if (honest_pairs.size() <= seed - 31) {
        honest_pairs.push_back(MakePair(seed));
      }
      const Pair* honest = honest_pairs[seed - 31].get();
      SCOPED_TRACE(std::string(f.name) + " seed " + std::to_string(seed));
      Pair p = *honest;
      for (int i = 0; i < 2; ++i) {
        if (!(i == 0 ? f.first : f.second)) continue;
        BigInt& v = p.h[i].proof.w;
        v = N0() - v;
      }
      const BigInt c = PiAffGPairCombiner(p.Statement(0), p.h[0].proof, p.ctx,
                                          p.Statement(1), p.h[1].proof, p.ctx);
      parities[f.name].insert(c.IsOdd());
      // The tampered ratio is −1: (−v)^N = −v^N mod N².
      const BigInt& n = N0();
      const BigInt& n_sq = N0Sq();
      const int i = f.first ? 0 : 1;
      const BigInt& hv = honest->h[i].proof.w;
      const BigInt& tv = p.h[i].proof.w;
      EXPECT_EQ(BigInt::ModAdd(BigInt::PowMod(hv, n, n_sq),
                               BigInt::PowMod(tv, n, n_sq), n_sq),
                BigInt(0));
      const bool passes =
          f.first ? (f.second && c.IsOdd()) : (f.second && !c.IsOdd());
      PiAffGPairResult r = CheckSecretAndPublicAgree(p);
      const PiAffGPairResult one_by_one =
          OneByOne(p, PiAffGVerifierSecrets{&Alice(), &AliceRp(), &p.k});
      // A flipped proof fails alone, as before (what the pair no longer
      // decides on its own).
      EXPECT_FALSE(one_by_one.status.ok());
      if (passes) {
        EXPECT_TRUE(r.status.ok()) << r.status;
      } else {
        ExpectFails(r, f.first ? 0 : 1, "pi_aff_g: N0 equation failed");
        // The reason is the one of the checks one by one.
        EXPECT_EQ(r.status, one_by_one.status);
        EXPECT_EQ(r.failed, one_by_one.failed);
      }
    }
  }
  for (const Flip& f : flips) {
    EXPECT_EQ(parities[f.name].size(), 2u) << f.name;
  }
}

TEST(PiAffGPair, HonestPairsPassWithAndWithoutSecrets) {
  for (uint64_t seed : {21, 22}) {
    std::unique_ptr<Pair> p = MakePair(seed);
    EXPECT_TRUE(CheckSecretAndPublicAgree(*p).status.ok());
  }
}

TEST(PiAffGPair, WrongPlaintextOfCRejectsTheFirstProofAsOneByOne) {
  const Pair& v = Valid();
  const PiAffGStatement st0 = v.Statement(0), st1 = v.Statement(1);
  BigInt wrong = v.k + BigInt(1);
  PiAffGPairResult r = VerifyPiAffGPair(
      PiAffGPairEntry{st0, v.h[0].proof, v.ctx},
      PiAffGPairEntry{st1, v.h[1].proof, v.ctx}, {&Alice(), nullptr, &wrong});
  ExpectFails(r, 0, "pi_aff_g: N0 equation failed");
}

TEST(PiAffGPair, StatementsWithDifferentCAreCheckedOneByOne) {
  // Not a pair in the GG20 sense (another C): no combination, the same
  // decisions as VerifyPiAffG (each with its own plaintext of C is not
  // expressible: one c_plaintext, so the second fails as it would alone).
  std::unique_ptr<Pair> a = MakePair(61), b = MakePair(62);
  const PiAffGStatement st0 = a->Statement(0), st1 = b->Statement(1);
  PiAffGVerifierSecrets s{&Alice(), &AliceRp(), &a->k};
  PiAffGPairResult r =
      VerifyPiAffGPair(PiAffGPairEntry{st0, a->h[0].proof, a->ctx},
                       PiAffGPairEntry{st1, b->h[1].proof, b->ctx}, s);
  EXPECT_EQ(r.status, VerifyPiAffG(st1, b->h[1].proof, b->ctx, s));
  EXPECT_EQ(r.failed, 1u);
  PiAffGPairResult pub =
      VerifyPiAffGPair(PiAffGPairEntry{st0, a->h[0].proof, a->ctx},
                       PiAffGPairEntry{st1, b->h[1].proof, b->ctx}, {});
  EXPECT_TRUE(pub.status.ok()) << pub.status;
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
