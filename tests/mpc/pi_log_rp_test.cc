// Πlog-rp (mpc/zk/pi_log_rp.h): completeness (with/without the prover's
// table, with/without the verifier's CRT secret, same decisions), one
// negative test per verifier check, range edges, replay across every
// ProofContext field and statement element, the honest prover's refusals,
// a cheating prover whose S opens to another x, the chaining with Πenc's S
// (as GG20 presigning uses it), and strict decoding.
#include "mpc/zk/pi_log_rp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "mpc/zk/pi_enc.h"
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

const RingPedersenSecret& VerifierRp() { return FixtureRingPedersen(4); }
const RingPedersenTable& VerifierTable() {
  static const RingPedersenTable* table =
      new RingPedersenTable(VerifierRp().params());
  return *table;
}

// A nonce point R = r·G as in GG20 phase 5 (R̄_i = k_i·R).
Point NoncePoint() {
  return Point::MulBase(Scalar::FromU64(0x1234567890abcdefULL));
}

struct Instance {
  BigInt x, mu, cap_s;
  Point base, cap_x;
  PiLogRpProof proof;
  PiLogRpStatement Statement() const {
    return PiLogRpStatement{VerifierRp().params(), cap_s, base, cap_x};
  }
};

std::unique_ptr<Instance> MakeInstance(
    const BigInt& x, const Point& base, uint64_t seed, bool unchecked = false,
    const RingPedersenTable* table = nullptr) {
  DeterministicRandom rng(seed);
  auto inst = std::make_unique<Instance>();
  inst->x = x;
  inst->mu = RandomSignedTimes(kEll, VerifierRp().params().n(), rng);
  inst->cap_s = VerifierRp().params().Commit(x, inst->mu);
  inst->base = base;
  inst->cap_x = MulInt(base, x);
  PiLogRpWitness w{inst->x, inst->mu, table};
  ProofContext ctx = Context(kProver, kVerifier);
  if (unchecked) {
    inst->proof =
        internal::ProvePiLogRpUnchecked(inst->Statement(), w, ctx, rng);
  } else {
    absl::StatusOr<PiLogRpProof> p =
        ProvePiLogRp(inst->Statement(), w, ctx, rng);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) inst->proof = *std::move(p);
  }
  return inst;
}

const Instance& Valid() {
  static const Instance* instance =
      MakeInstance(BigInt(55555), NoncePoint(), 1).release();
  return *instance;
}

// Verifies with and without the verifier's CRT secret; both must agree.
absl::Status Verify(const PiLogRpStatement& st, const PiLogRpProof& proof,
                    const ProofContext& ctx = Context(kProver, kVerifier)) {
  std::vector<std::function<absl::Status()>> paths = {
      [&] { return VerifyPiLogRp(st, proof, ctx); },
      [&] { return VerifyPiLogRp(st, proof, ctx, &VerifierRp()); },
  };
  return testutil::AllPathsAgree(paths);
}
absl::Status Verify(const PiLogRpProof& proof) {
  return Verify(Valid().Statement(), proof);
}

PiLogRpStatement WithS(const PiLogRpStatement& st, const BigInt& cap_s) {
  return PiLogRpStatement{st.ring_pedersen, cap_s, st.base, st.cap_x};
}

void ExpectRejected(const absl::Status& s, const std::string& message) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(message));
}

TEST(PiLogRp, CompletenessIncludingRangeEdges) {
  DeterministicRandom rng(2);
  std::vector<BigInt> xs = {Pow2(kEll), -Pow2(kEll), BigInt(1),
                            Scalar::Random(rng).ToBigInt(),
                            BigInt::RandomSigned(kEll, rng)};
  uint64_t seed = 50;
  for (const BigInt& x : xs) {
    for (const Point& g : {Point::Generator(), NoncePoint()}) {
      for (const RingPedersenTable* table :
           {static_cast<const RingPedersenTable*>(nullptr), &VerifierTable()}) {
        std::unique_ptr<Instance> inst =
            MakeInstance(x, g, seed++, /*unchecked=*/false, table);
        EXPECT_TRUE(Verify(inst->Statement(), inst->proof).ok())
            << "x = " << x.ToHex() << " table = " << (table != nullptr);
      }
    }
  }
}

TEST(PiLogRp, ProverTableGivesTheSameProofAsThePlainProver) {
  // Same randomness, same statement: the table only changes the speed.
  const Instance& v = Valid();
  DeterministicRandom rng_a(13), rng_b(13);
  absl::StatusOr<PiLogRpProof> plain =
      ProvePiLogRp(v.Statement(), PiLogRpWitness{v.x, v.mu},
                   Context(kProver, kVerifier), rng_a);
  absl::StatusOr<PiLogRpProof> fast =
      ProvePiLogRp(v.Statement(), PiLogRpWitness{v.x, v.mu, &VerifierTable()},
                   Context(kProver, kVerifier), rng_b);
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_TRUE(plain->cap_y == fast->cap_y);
  EXPECT_EQ(plain->cap_d, fast->cap_d);
  EXPECT_EQ(plain->z1, fast->z1);
  EXPECT_EQ(plain->z3, fast->z3);
  EXPECT_TRUE(Verify(*fast).ok());
  RingPedersenTable other(FixtureRingPedersen(0).params());
  ExpectRejected(ProvePiLogRp(v.Statement(), PiLogRpWitness{v.x, v.mu, &other},
                              Context(kProver, kVerifier), rng_a)
                     .status(),
                 "pi_log_rp: ring-Pedersen table does not match");
}

TEST(PiLogRp, HonestProverRefusesBadWitness) {
  const Instance& v = Valid();
  DeterministicRandom rng(3);
  PiLogRpStatement st = v.Statement();
  ProofContext ctx = Context(kProver, kVerifier);
  for (const BigInt& big : {Pow2(kEll) + BigInt(1), -Pow2(kEll) - BigInt(1)}) {
    Point big_x = MulInt(st.base, big);
    ExpectRejected(ProvePiLogRp(PiLogRpStatement{st.ring_pedersen, st.cap_s,
                                                 st.base, big_x},
                                PiLogRpWitness{big, v.mu}, ctx, rng)
                       .status(),
                   "pi_log_rp: witness x out of range");
  }
  BigInt big_mu = VerifierRp().params().n().ShiftLeft(kEll) + BigInt(1);
  ExpectRejected(
      ProvePiLogRp(st, PiLogRpWitness{v.x, big_mu}, ctx, rng).status(),
      "pi_log_rp: witness mu out of range");
  BigInt other = v.x + BigInt(1);
  ExpectRejected(
      ProvePiLogRp(st, PiLogRpWitness{other, v.mu}, ctx, rng).status(),
      "pi_log_rp: X != x*g");
  Point inf = Point::Identity();
  ExpectRejected(
      ProvePiLogRp(PiLogRpStatement{st.ring_pedersen, st.cap_s, inf, st.cap_x},
                   PiLogRpWitness{v.x, v.mu}, ctx, rng)
          .status(),
      "pi_log_rp: g or X is the point at infinity");
  // The honest witness is accepted.
  EXPECT_TRUE(ProvePiLogRp(st, PiLogRpWitness{v.x, v.mu}, ctx, rng).ok());
}

TEST(PiLogRp, CheatingProverWhoseSOpensToAnotherXIsCaught) {
  // S commits to x' = x + 1 while X = x·g: the prover knows openings of S
  // and of X, but not to the same value. Whatever exponent it uses, one
  // equation fails.
  const Instance& v = Valid();
  DeterministicRandom rng(4);
  BigInt x_prime = v.x + BigInt(1);
  BigInt s_prime = VerifierRp().params().Commit(x_prime, v.mu);
  PiLogRpStatement st = WithS(v.Statement(), s_prime);
  // Proving with X's log x: the ring-Pedersen equation fails.
  absl::StatusOr<PiLogRpProof> with_x = ProvePiLogRp(
      st, PiLogRpWitness{v.x, v.mu}, Context(kProver, kVerifier), rng);
  ASSERT_TRUE(with_x.ok());
  ExpectRejected(Verify(st, *with_x),
                 "pi_log_rp: ring-pedersen equation failed");
  // Proving with S's opening x' (unchecked: X != x'·g): the group equation
  // fails.
  PiLogRpProof with_x_prime = internal::ProvePiLogRpUnchecked(
      st, PiLogRpWitness{x_prime, v.mu}, Context(kProver, kVerifier), rng);
  ExpectRejected(Verify(st, with_x_prime), "pi_log_rp: group equation failed");
  // A difference of a multiple of q (same point X): still caught, because S
  // is bound over the integers, not mod q.
  BigInt x_plus_q = v.x + Scalar::Order();
  BigInt s_plus_q = VerifierRp().params().Commit(x_plus_q, v.mu);
  PiLogRpStatement st_q = WithS(v.Statement(), s_plus_q);
  absl::StatusOr<PiLogRpProof> mod_q = ProvePiLogRp(
      st_q, PiLogRpWitness{v.x, v.mu}, Context(kProver, kVerifier), rng);
  ASSERT_TRUE(mod_q.ok());
  ExpectRejected(Verify(st_q, *mod_q),
                 "pi_log_rp: ring-pedersen equation failed");
}

TEST(PiLogRp, CheatingProverOutOfRangeIsCaught) {
  std::unique_ptr<Instance> inst =
      MakeInstance(Pow2(kEll + kEpsilon + 2), NoncePoint(), 60, true);
  ExpectRejected(Verify(inst->Statement(), inst->proof),
                 "pi_log_rp: z1 out of range");
}

TEST(PiLogRp, RangesAreExactAtTheEdge) {
  const Instance& v = Valid();
  const BigInt z3_bound =
      VerifierRp().params().n().ShiftLeft(kEll + kEpsilon + 1);
  for (int sign : {1, -1}) {
    PiLogRpProof p = v.proof;
    p.z1 = (Pow2(kEll + kEpsilon) + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_rp: z1 out of range");
    // On the bound: accepted by the range check, then the equation fails.
    p.z1 = Pow2(kEll + kEpsilon) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_rp: group equation failed");
    p = v.proof;
    p.z3 = (z3_bound + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_rp: z3 out of range");
    p.z3 = z3_bound * BigInt(sign);
    ExpectRejected(Verify(p), "pi_log_rp: ring-pedersen equation failed");
  }
}

TEST(PiLogRp, PointsAtInfinityAreRejected) {
  const Instance& v = Valid();
  PiLogRpStatement st = v.Statement();
  Point inf = Point::Identity();
  ExpectRejected(
      Verify(PiLogRpStatement{st.ring_pedersen, st.cap_s, inf, st.cap_x},
             v.proof),
      "pi_log_rp: g is the point at infinity");
  ExpectRejected(
      Verify(PiLogRpStatement{st.ring_pedersen, st.cap_s, st.base, inf},
             v.proof),
      "pi_log_rp: X is the point at infinity");
  PiLogRpProof p = v.proof;
  p.cap_y = inf;
  ExpectRejected(Verify(p), "pi_log_rp: Y is the point at infinity");
}

TEST(PiLogRp, ElementsNotInZStarNhat) {
  const Instance& v = Valid();
  PiLogRpStatement st = v.Statement();
  const BigInt& nhat = VerifierRp().params().n();
  struct Bad {
    BigInt value;
    const char* reason;
  };
  for (const Bad& bad : {Bad{BigInt(0), "zero"}, Bad{BigInt(-3), "negative"},
                         Bad{nhat, "not below modulus"},
                         Bad{VerifierRp().q(), "gcd with modulus != 1"}}) {
    SCOPED_TRACE(bad.reason);
    ExpectRejected(Verify(WithS(st, bad.value), v.proof),
                   std::string("pi_log_rp: S not in Z*_{Nhat} (") + bad.reason);
    PiLogRpProof p = v.proof;
    p.cap_d = bad.value;
    ExpectRejected(Verify(p),
                   std::string("pi_log_rp: D not in Z*_{Nhat} (") + bad.reason);
  }
}

TEST(PiLogRp, EachTamperedFieldFailsItsEquation) {
  const Instance& v = Valid();
  ASSERT_TRUE(Verify(v.proof).ok());
  const std::string group = "pi_log_rp: group equation failed";
  const std::string rp = "pi_log_rp: ring-pedersen equation failed";
  struct Case {
    const char* name;
    std::function<void(PiLogRpProof&)> tamper;
    std::string error;
  };
  std::vector<Case> cases = {
      // Y and D change the challenge, so the group equation fails first.
      {"Y", [](PiLogRpProof& p) { p.cap_y = p.cap_y + Point::Generator(); },
       group},
      {"D", [](PiLogRpProof& p) { p.cap_d = p.cap_d + BigInt(1); }, group},
      {"z1", [](PiLogRpProof& p) { p.z1 = p.z1 + BigInt(1); }, group},
      // z1 + q: same point, different integer: only ring-Pedersen sees it.
      {"z1+q", [](PiLogRpProof& p) { p.z1 = p.z1 + Scalar::Order(); }, rp},
      {"z3", [](PiLogRpProof& p) { p.z3 = p.z3 + BigInt(1); }, rp},
  };
  for (const Case& c : cases) {
    PiLogRpProof p = v.proof;
    c.tamper(p);
    SCOPED_TRACE(c.name);
    ExpectRejected(Verify(p), c.error);
  }
  // X that is not x·g (proof made by the unchecked prover for that X): only
  // the group equation fails.
  DeterministicRandom rng(9);
  PiLogRpStatement st = v.Statement();
  Point wrong = v.cap_x + Point::Generator();
  PiLogRpStatement st_wrong{st.ring_pedersen, st.cap_s, st.base, wrong};
  PiLogRpProof p = internal::ProvePiLogRpUnchecked(
      st_wrong, PiLogRpWitness{v.x, v.mu}, Context(kProver, kVerifier), rng);
  ExpectRejected(Verify(st_wrong, p), group);
}

TEST(PiLogRp, ReplayAcrossEveryContextFieldIsRejected) {
  const Instance& v = Valid();
  PiLogRpStatement st = v.Statement();
  const std::string err = "pi_log_rp: group equation failed";
  ASSERT_TRUE(Verify(st, v.proof, Context(kProver, kVerifier)).ok());
  struct Case {
    const char* name;
    std::function<void(ProofContext&)> change;
  };
  std::vector<Case> cases = {
      {"session", [](ProofContext& c) { c.session_id.push_back(1); }},
      {"protocol", [](ProofContext& c) { c.protocol = "gg20/presign/v1"; }},
      {"round", [](ProofContext& c) { c.round += 1; }},
      {"prover", [](ProofContext& c) { c.prover = kVerifier; }},
      {"verifier", [](ProofContext& c) { c.verifier = 9; }},
      {"broadcast",
       [](ProofContext& c) { c.verifier = ProofContext::kBroadcast; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ProofContext ctx = Context(kProver, kVerifier);
    c.change(ctx);
    ExpectRejected(Verify(st, v.proof, ctx), err);
  }
}

TEST(PiLogRp, OtherStatementsAreRejected) {
  const Instance& v = Valid();
  PiLogRpStatement st = v.Statement();
  const std::string err = "pi_log_rp: group equation failed";
  // Another S (same x, fresh randomness), another X, another g.
  DeterministicRandom rng(10);
  BigInt mu2 = RandomSignedTimes(kEll, VerifierRp().params().n(), rng);
  BigInt s2 = VerifierRp().params().Commit(v.x, mu2);
  ExpectRejected(Verify(WithS(st, s2), v.proof), err);
  Point x2 = v.cap_x + v.cap_x;
  ExpectRejected(
      Verify(PiLogRpStatement{st.ring_pedersen, st.cap_s, st.base, x2},
             v.proof),
      err);
  Point g = Point::Generator();
  ExpectRejected(
      Verify(PiLogRpStatement{st.ring_pedersen, st.cap_s, g, st.cap_x},
             v.proof),
      err);
  // Another verifier's ring-Pedersen params (S is still a unit there).
  const RingPedersenParams& other = FixtureRingPedersen(5).params();
  EXPECT_FALSE(
      VerifyPiLogRp(PiLogRpStatement{other, st.cap_s, st.base, st.cap_x},
                    v.proof, Context(kProver, kVerifier))
          .ok());
  ExpectRejected(VerifyPiLogRp(st, v.proof, Context(kProver, kVerifier),
                               &FixtureRingPedersen(5)),
                 "pi_log_rp: verifier secret does not match");
}

TEST(PiLogRp, ChainsWithTheSOfAPiEncProof) {
  // As in GG20 presigning: Πenc's prover keeps μ of its S, the verifier
  // keeps the accepted Πenc's S, and Πlog-rp shows R̄ = k·R for that S.
  const PaillierPrivateKey& alice = FixturePaillierKey(3);
  DeterministicRandom rng(11);
  BigInt k = Scalar::Random(rng).ToBigInt();
  absl::StatusOr<PaillierEncryption> enc = alice.Encrypt(k, rng);
  ASSERT_TRUE(enc.ok());
  PiEncStatement enc_st{alice.public_key(), VerifierRp().params(),
                        enc->ciphertext};
  BigInt mu;
  absl::StatusOr<PiEncProof> enc_proof = ProvePiEnc(
      enc_st, PiEncWitness{k, enc->nonce, &alice, &VerifierTable(), &mu},
      Context(kProver, kVerifier, "chain", 1), rng);
  ASSERT_TRUE(enc_proof.ok()) << enc_proof.status();
  ASSERT_TRUE(VerifyPiEnc(enc_st, *enc_proof,
                          Context(kProver, kVerifier, "chain", 1),
                          &VerifierRp())
                  .ok());
  // mu_out is the opening of S.
  EXPECT_EQ(VerifierRp().params().Commit(k, mu), enc_proof->cap_s);
  EXPECT_LE(mu.Abs(), VerifierRp().params().n().ShiftLeft(kEll));
  Point big_r = NoncePoint();
  Point r_bar = MulInt(big_r, k);
  PiLogRpStatement st{VerifierRp().params(), enc_proof->cap_s, big_r, r_bar};
  ProofContext ctx = Context(kProver, kVerifier, "chain", 4);
  absl::StatusOr<PiLogRpProof> proof =
      ProvePiLogRp(st, PiLogRpWitness{k, mu, &VerifierTable()}, ctx, rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(Verify(st, *proof, ctx).ok());
  // R̄ for another k (a cheater's R̄ = (k+1)·R, proven honestly for k+1
  // with the same μ): the ring-Pedersen equation ties it back to S.
  BigInt k1 = k + BigInt(1);
  Point r_bar1 = MulInt(big_r, k1);
  PiLogRpStatement st1{VerifierRp().params(), enc_proof->cap_s, big_r, r_bar1};
  absl::StatusOr<PiLogRpProof> cheat =
      ProvePiLogRp(st1, PiLogRpWitness{k1, mu}, ctx, rng);
  ASSERT_TRUE(cheat.ok());
  ExpectRejected(Verify(st1, *cheat, ctx),
                 "pi_log_rp: ring-pedersen equation failed");
  // Without mu_out the Πenc prover behaves as before (and leaves no μ).
  absl::StatusOr<PiEncProof> plain =
      ProvePiEnc(enc_st, PiEncWitness{k, enc->nonce, &alice},
                 Context(kProver, kVerifier, "chain", 1), rng);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(
      VerifyPiEnc(enc_st, *plain, Context(kProver, kVerifier, "chain", 1))
          .ok());
}

TEST(PiLogRp, ProtoRoundTripAndStrictDecoding) {
  const Instance& v = Valid();
  v1::PiLogRpProof wire = PiLogRpProofToProto(v.proof);
  absl::StatusOr<PiLogRpProof> back = PiLogRpProofFromProto(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Verify(*back).ok());
  v1::PiLogRpProof m = wire;
  m.clear_cap_y();
  ExpectRejected(PiLogRpProofFromProto(m).status(), "pi_log_rp: missing Y");
  for (auto clear :
       std::vector<std::pair<const char*, void (v1::PiLogRpProof::*)()>>{
           {"D", &v1::PiLogRpProof::clear_cap_d},
           {"z1", &v1::PiLogRpProof::clear_z1},
           {"z3", &v1::PiLogRpProof::clear_z3}}) {
    m = wire;
    (m.*clear.second)();
    ExpectRejected(PiLogRpProofFromProto(m).status(),
                   std::string("pi_log_rp: missing ") + clear.first);
  }
  m = wire;
  m.set_cap_y(std::string("\x04", 1) + wire.cap_y().substr(1));
  ExpectRejected(PiLogRpProofFromProto(m).status(), "pi_log_rp: Y:");
  m = wire;
  m.set_cap_y(std::string(33, '\0'));
  ExpectRejected(PiLogRpProofFromProto(m).status(), "pi_log_rp: Y:");
  m = wire;
  m.set_cap_d(std::string("\x00", 1) +
              std::string(kMaxModulusBytes + 1, '\x22'));
  ExpectRejected(PiLogRpProofFromProto(m).status(), "pi_log_rp: D:");
  m = wire;
  m.set_z1(std::string("\x00", 1) +
           std::string(BytesForBits(kEll + kEpsilon) + 1, '\x22'));
  ExpectRejected(PiLogRpProofFromProto(m).status(), "pi_log_rp: z1:");
  m = wire;
  m.set_z3(std::string("\x00", 1) +
           std::string(kMaxMaskedCommitmentBytes + 1, '\x22'));
  ExpectRejected(PiLogRpProofFromProto(m).status(), "pi_log_rp: z3:");
  m = wire;
  m.GetReflection()->MutableUnknownFields(&m)->AddVarint(999, 1);
  ExpectRejected(PiLogRpProofFromProto(m).status(),
                 "pi_log_rp: unknown fields present");
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
