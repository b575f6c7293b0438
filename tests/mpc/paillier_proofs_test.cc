// Πmod, Πprm, Πfac: completeness, one negative test per verifier check,
// replay across contexts, and strict decoding.
#include <gmock/gmock.h>
#include <gmp.h>
#include <gtest/gtest.h>

#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"
#include "tests/fixtures/fixtures.h"

namespace nitro_tss::mpc::zk {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixturePrimePairs;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

ProofContext Ctx() {
  ProofContext ctx;
  ctx.session_id = {0x5e, 0x55, 0x10, 0x01};
  ctx.protocol = "gg20/keygen";
  ctx.round = 2;
  ctx.prover = 1;
  ctx.verifier = ProofContext::kBroadcast;
  return ctx;
}

// Contexts that differ from Ctx() in exactly one field.
std::vector<ProofContext> ReplayContexts() {
  std::vector<ProofContext> out;
  ProofContext c = Ctx();
  c.session_id.back() ^= 1;
  out.push_back(c);
  c = Ctx();
  c.prover = 2;
  out.push_back(c);
  c = Ctx();
  c.verifier = 3;
  out.push_back(c);
  c = Ctx();
  c.round = 3;
  out.push_back(c);
  c = Ctx();
  c.protocol = "gg20/sign";
  out.push_back(c);
  return out;
}

// A `bits`-bit prime ≡ `residue` (mod 4) with the top two bits set.
BigInt PrimeCongruent(size_t bits, uint64_t residue, RandomSource& rng) {
  for (;;) {
    BigInt start = BigInt::RandomBits(bits, rng);
    mpz_setbit(start.get_mut(), bits - 1);
    mpz_setbit(start.get_mut(), bits - 2);
    BigInt p;
    mpz_nextprime(p.get_mut(), start.get());
    if (p.BitLength() == bits && p.ToU64() % 4 == residue) return p;
  }
}

// ---------------------------------------------------------------- Πmod

class PiModTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DeterministicRandom rng(100);
    const PaillierPrivateKey& key = FixturePaillierKey(0);
    statement_ = new PiModStatement{key.n()};
    auto proof =
        ProvePiMod(*statement_, PiModWitness{key.p(), key.q()}, Ctx(), rng);
    ASSERT_TRUE(proof.ok()) << proof.status();
    proof_ = new PiModProof(*std::move(proof));
  }
  static absl::Status Verify(const PiModProof& proof) {
    return VerifyPiMod(*statement_, proof, Ctx());
  }
  static PiModStatement* statement_;
  static PiModProof* proof_;
};
PiModStatement* PiModTest::statement_ = nullptr;
PiModProof* PiModTest::proof_ = nullptr;

TEST_F(PiModTest, Completeness) {
  EXPECT_TRUE(Verify(*proof_).ok()) << Verify(*proof_);
  EXPECT_EQ(proof_->repetitions.size(), kPiModRepetitions);
  auto decoded = PiModProofFromProto(PiModProofToProto(*proof_));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(Verify(*decoded).ok());
  // Also for another key (and the ring-Pedersen moduli are Blum too).
  DeterministicRandom rng(101);
  const RingPedersenSecret& rp = FixtureRingPedersen(0);
  PiModStatement st{rp.params().n()};
  auto proof2 = ProvePiMod(st, PiModWitness{rp.p(), rp.q()}, Ctx(), rng);
  ASSERT_TRUE(proof2.ok());
  EXPECT_TRUE(VerifyPiMod(st, *proof2, Ctx()).ok());
}

TEST_F(PiModTest, ReplayedInAnotherContextIsRejected) {
  for (const ProofContext& other : ReplayContexts()) {
    EXPECT_THAT(Message(VerifyPiMod(*statement_, *proof_, other)),
                HasSubstr("pi_mod: z[0]^N != y[0] mod N"));
  }
}

TEST_F(PiModTest, ProofForAnotherModulusIsRejected) {
  PiModStatement other{FixturePaillierKey(1).n()};
  EXPECT_FALSE(VerifyPiMod(other, *proof_, Ctx()).ok());
}

TEST_F(PiModTest, WrongSizeEvenAndPrimeModuliAreRejected) {
  const BigInt& n = statement_->n;
  BigInt short_n = n.ShiftRight(1);
  EXPECT_THAT(Message(VerifyPiMod({short_n}, *proof_, Ctx())),
              HasSubstr("pi_mod: N has 2047 bits, expected exactly 2048"));
  EXPECT_THAT(Message(VerifyPiMod({n + BigInt(1)}, *proof_, Ctx())),
              HasSubstr("pi_mod: N is even"));
  DeterministicRandom rng(102);
  BigInt prime = PrimeCongruent(2048, 3, rng);
  EXPECT_THAT(Message(VerifyPiMod({prime}, *proof_, Ctx())),
              HasSubstr("pi_mod: N is prime"));
}

TEST_F(PiModTest, NonBlumModulusIsRejected) {
  DeterministicRandom rng(103);
  BigInt p = PrimeCongruent(1024, 1, rng);  // p ≡ 1 (mod 4)
  const BigInt& q = FixturePrimePairs()[5].q;
  const BigInt n = p * q;
  PiModStatement st{n};
  ASSERT_EQ(st.n.BitLength(), 2048u);
  EXPECT_THAT(
      Message(ProvePiMod(st, PiModWitness{p, q}, Ctx(), rng).status()),
      HasSubstr("pi_mod: witness: a factor is not congruent to 3 mod 4"));
  auto cheat =
      internal::ProvePiModUnchecked(st, PiModWitness{p, q}, Ctx(), rng);
  ASSERT_TRUE(cheat.ok()) << cheat.status();
  EXPECT_THAT(Message(VerifyPiMod(st, *cheat, Ctx())),
              HasSubstr("]^4 != (-1)^a w^b y["));
}

TEST_F(PiModTest, BadWIsRejected) {
  const BigInt& n = statement_->n;
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  for (const BigInt& w : {BigInt(0), n, n + BigInt(5), key.p(), BigInt(-3)}) {
    PiModProof bad = *proof_;
    bad.w = w;
    EXPECT_THAT(Message(Verify(bad)), HasSubstr("pi_mod: w not in Z*_N"));
  }
  PiModProof square = *proof_;
  square.w = BigInt::ModMul(proof_->w, proof_->w, n);  // Jacobi = +1
  EXPECT_THAT(Message(Verify(square)),
              HasSubstr("pi_mod: w Jacobi symbol is not -1"));
}

TEST_F(PiModTest, RepetitionCountIsExact) {
  PiModProof fewer = *proof_;
  fewer.repetitions.pop_back();
  EXPECT_THAT(Message(Verify(fewer)),
              HasSubstr("pi_mod: expected 128 repetitions, got 127"));
  PiModProof more = *proof_;
  more.repetitions.push_back(more.repetitions[0]);
  EXPECT_THAT(Message(Verify(more)),
              HasSubstr("pi_mod: expected 128 repetitions, got 129"));
  PiModProof none = *proof_;
  none.repetitions.clear();
  EXPECT_THAT(Message(Verify(none)), HasSubstr("got 0"));
  // A repetition copied over another one does not answer its challenge.
  PiModProof repeated = *proof_;
  repeated.repetitions[1] = repeated.repetitions[0];
  EXPECT_THAT(Message(Verify(repeated)),
              HasSubstr("pi_mod: z[1]^N != y[1] mod N"));
}

TEST_F(PiModTest, OutOfRangeResponsesAreRejected) {
  const BigInt& n = statement_->n;
  for (const BigInt& v : {BigInt(0), n, BigInt(-1)}) {
    PiModProof bad_x = *proof_;
    bad_x.repetitions[7].x = v;
    EXPECT_THAT(Message(Verify(bad_x)),
                HasSubstr("pi_mod: x[7] out of range (0, N)"));
    PiModProof bad_z = *proof_;
    bad_z.repetitions[9].z = v;
    EXPECT_THAT(Message(Verify(bad_z)),
                HasSubstr("pi_mod: z[9] out of range (0, N)"));
  }
}

TEST_F(PiModTest, TamperedResponsesAreRejected) {
  const BigInt& n = statement_->n;
  PiModProof bad_z = *proof_;
  bad_z.repetitions[2].z = BigInt::ModAdd(bad_z.repetitions[2].z, BigInt(1), n);
  EXPECT_THAT(Message(Verify(bad_z)),
              HasSubstr("pi_mod: z[2]^N != y[2] mod N"));
  PiModProof bad_x = *proof_;
  bad_x.repetitions[3].x = BigInt::ModAdd(bad_x.repetitions[3].x, BigInt(1), n);
  EXPECT_THAT(Message(Verify(bad_x)),
              HasSubstr("pi_mod: x[3]^4 != (-1)^a w^b y[3] mod N"));
  PiModProof bad_a = *proof_;
  bad_a.repetitions[4].a = !bad_a.repetitions[4].a;
  EXPECT_THAT(Message(Verify(bad_a)), HasSubstr("pi_mod: x[4]^4"));
  PiModProof bad_b = *proof_;
  bad_b.repetitions[5].b = !bad_b.repetitions[5].b;
  EXPECT_THAT(Message(Verify(bad_b)), HasSubstr("pi_mod: x[5]^4"));
  // -x is also a fourth root: still valid (the verifier checks x^4 only).
  PiModProof neg_x = *proof_;
  neg_x.repetitions[6].x = n - neg_x.repetitions[6].x;
  EXPECT_TRUE(Verify(neg_x).ok());
}

TEST_F(PiModTest, DecoderIsStrict) {
  v1::PiModProof proto = PiModProofToProto(*proof_);
  v1::PiModProof fewer = proto;
  fewer.mutable_repetitions()->RemoveLast();
  EXPECT_THAT(Message(PiModProofFromProto(fewer).status()),
              HasSubstr("pi_mod: expected 128 repetitions, got 127"));
  v1::PiModProof no_w = proto;
  no_w.clear_w();
  EXPECT_THAT(Message(PiModProofFromProto(no_w).status()),
              HasSubstr("pi_mod: field w"));
  v1::PiModProof long_x = proto;
  long_x.mutable_repetitions(3)->set_x(std::string(1, '\0') +
                                       std::string(257, '\x7f'));
  EXPECT_THAT(Message(PiModProofFromProto(long_x).status()),
              HasSubstr("pi_mod: field x[3]"));
  v1::PiModProof no_z = proto;
  no_z.mutable_repetitions(8)->clear_z();
  EXPECT_THAT(Message(PiModProofFromProto(no_z).status()),
              HasSubstr("pi_mod: field z[8]"));
}

// ---------------------------------------------------------------- Πprm

class PiPrmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DeterministicRandom rng(200);
    auto proof = ProvePiPrm(PiPrmStatement{Secret().params()},
                            PiPrmWitness{Secret()}, Ctx(), rng);
    ASSERT_TRUE(proof.ok()) << proof.status();
    proof_ = new PiPrmProof(*std::move(proof));
  }
  static const RingPedersenSecret& Secret() { return FixtureRingPedersen(3); }
  static absl::Status Verify(const PiPrmProof& proof) {
    return VerifyPiPrm(PiPrmStatement{Secret().params()}, proof, Ctx());
  }
  static PiPrmProof* proof_;
};
PiPrmProof* PiPrmTest::proof_ = nullptr;

TEST_F(PiPrmTest, Completeness) {
  EXPECT_TRUE(Verify(*proof_).ok()) << Verify(*proof_);
  auto decoded = PiPrmProofFromProto(PiPrmProofToProto(*proof_));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(Verify(*decoded).ok());
}

TEST_F(PiPrmTest, ReplayedInAnotherContextIsRejected) {
  for (const ProofContext& other : ReplayContexts()) {
    {
      absl::Status s =
          VerifyPiPrm(PiPrmStatement{Secret().params()}, *proof_, other);
      EXPECT_THAT(Message(s), HasSubstr("pi_prm: t^z["));
    }
  }
}

TEST_F(PiPrmTest, ProofForOtherParametersIsRejected) {
  EXPECT_FALSE(VerifyPiPrm(PiPrmStatement{FixtureRingPedersen(4).params()},
                           *proof_, Ctx())
                   .ok());
}

TEST_F(PiPrmTest, CountsAreExact) {
  PiPrmProof fewer_a = *proof_;
  fewer_a.commitments.pop_back();
  EXPECT_THAT(Message(Verify(fewer_a)),
              HasSubstr("pi_prm: expected 128 commitments, got 127"));
  PiPrmProof fewer_z = *proof_;
  fewer_z.responses.pop_back();
  EXPECT_THAT(Message(Verify(fewer_z)),
              HasSubstr("pi_prm: expected 128 responses, got 127"));
  PiPrmProof more = *proof_;
  more.commitments.push_back(more.commitments[0]);
  more.responses.push_back(more.responses[0]);
  EXPECT_THAT(Message(Verify(more)), HasSubstr("got 129"));
}

TEST_F(PiPrmTest, OutOfRangeValuesAreRejected) {
  const BigInt& n = Secret().params().n();
  for (const BigInt& a : {BigInt(0), n, Secret().p(), BigInt(-2)}) {
    PiPrmProof bad = *proof_;
    bad.commitments[10] = a;
    EXPECT_THAT(Message(Verify(bad)), HasSubstr("pi_prm: A[10] not in Z*_N"));
  }
  for (const BigInt& z : {BigInt(-1), n}) {
    PiPrmProof bad = *proof_;
    bad.responses[11] = z;
    EXPECT_THAT(Message(Verify(bad)),
                HasSubstr("pi_prm: z[11] out of range [0, N)"));
  }
}

TEST_F(PiPrmTest, TamperedProofsAreRejected) {
  PiPrmProof bad_z = *proof_;
  bad_z.responses[12] = bad_z.responses[12] + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_z)),
              HasSubstr("pi_prm: t^z[12] != A[12] s^e[12] mod N"));
  // Tampering a commitment changes every challenge bit.
  PiPrmProof bad_a = *proof_;
  bad_a.commitments[0] = BigInt::ModMul(
      bad_a.commitments[0], Secret().params().t(), Secret().params().n());
  EXPECT_THAT(Message(Verify(bad_a)), HasSubstr("pi_prm: t^z["));
}

TEST_F(PiPrmTest, ProverRefusesATrapdoorOfOtherParameters) {
  DeterministicRandom rng(202);
  auto proof = ProvePiPrm(PiPrmStatement{FixtureRingPedersen(4).params()},
                          PiPrmWitness{Secret()}, Ctx(), rng);
  EXPECT_EQ(proof.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(proof.status()),
            "pi_prm: witness does not match statement");
}

TEST_F(PiPrmTest, ProverWithoutLambdaIsCaught) {
  // A cheater that does not know λ prepares every repetition for e_i = 0
  // (A_i = t^{z_i}); it fails at the first repetition challenged with 1.
  DeterministicRandom rng(201);
  const RingPedersenParams& params = Secret().params();
  PiPrmProof cheat;
  for (size_t i = 0; i < kPiPrmRepetitions; ++i) {
    BigInt z = BigInt::RandomBelow(params.n(), rng);
    cheat.commitments.push_back(BigInt::PowMod(params.t(), z, params.n()));
    cheat.responses.push_back(z);
  }
  EXPECT_THAT(Message(VerifyPiPrm(PiPrmStatement{params}, cheat, Ctx())),
              HasSubstr("pi_prm: t^z["));
}

TEST_F(PiPrmTest, DecoderIsStrict) {
  v1::PiPrmProof proto = PiPrmProofToProto(*proof_);
  v1::PiPrmProof fewer = proto;
  fewer.mutable_commitments()->RemoveLast();
  EXPECT_THAT(Message(PiPrmProofFromProto(fewer).status()),
              HasSubstr("expected 128 commitments, got 127"));
  v1::PiPrmProof more = proto;
  more.add_responses(proto.responses(0));
  EXPECT_THAT(Message(PiPrmProofFromProto(more).status()),
              HasSubstr("expected 128 responses, got 129"));
  v1::PiPrmProof empty_a = proto;
  empty_a.set_commitments(4, "");
  EXPECT_THAT(Message(PiPrmProofFromProto(empty_a).status()),
              HasSubstr("pi_prm: field A[4]"));
  v1::PiPrmProof long_z = proto;
  long_z.set_responses(6, std::string(1, '\0') + std::string(257, '\x11'));
  EXPECT_THAT(Message(PiPrmProofFromProto(long_z).status()),
              HasSubstr("pi_prm: field z[6]"));
}

// ---------------------------------------------------------------- Πfac

class PiFacTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DeterministicRandom rng(300);
    const PaillierPrivateKey& key = FixturePaillierKey(2);
    auto proof = ProvePiFac(PiFacStatement{key.n(), Params()},
                            PiFacWitness{key.p(), key.q()}, Ctx(), rng);
    ASSERT_TRUE(proof.ok()) << proof.status();
    proof_ = new PiFacProof(*std::move(proof));
  }
  static const BigInt& N0() { return FixturePaillierKey(2).n(); }
  static const RingPedersenParams& Params() {
    return FixtureRingPedersen(5).params();
  }
  static absl::Status Verify(const PiFacProof& proof) {
    return VerifyPiFac(PiFacStatement{N0(), Params()}, proof, Ctx());
  }
  static PiFacProof* proof_;
};
PiFacProof* PiFacTest::proof_ = nullptr;

TEST_F(PiFacTest, Completeness) {
  EXPECT_TRUE(Verify(*proof_).ok()) << Verify(*proof_);
  auto decoded = PiFacProofFromProto(PiFacProofToProto(*proof_));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(Verify(*decoded).ok());
  DeterministicRandom rng(301);
  for (size_t i : {0u, 4u}) {
    const PaillierPrivateKey& key = FixturePaillierKey(i);
    PiFacStatement st{key.n(), FixtureRingPedersen(i).params()};
    auto proof = ProvePiFac(st, PiFacWitness{key.q(), key.p()}, Ctx(), rng);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyPiFac(st, *proof, Ctx()).ok());
  }
}

TEST_F(PiFacTest, ModulusWithSmallFactorIsRejected) {
  DeterministicRandom rng(302);
  // N = small prime × big (2048 bits total); the prover is honest about
  // its factorization but the big cofactor cannot meet the z2 bound.
  for (size_t small_bits : {17u, 128u, 256u}) {
    BigInt small =
        small_bits == 17 ? BigInt(65537) : PrimeCongruent(small_bits, 3, rng);
    BigInt big;
    BigInt n;
    do {
      big = BigInt::RandomBits(2048 - small_bits + 1, rng);
      mpz_setbit(big.get_mut(), 0);
      n = small * big;
    } while (n.BitLength() != 2048);
    PiFacStatement st{n, Params()};
    auto proof = ProvePiFac(st, PiFacWitness{small, big}, Ctx(), rng);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_THAT(Message(VerifyPiFac(st, *proof, Ctx())),
                HasSubstr("pi_fac: z2 out of range"))
        << small_bits;
  }
}

TEST_F(PiFacTest, WitnessMustFactorN0) {
  DeterministicRandom rng(303);
  const PaillierPrivateKey& key = FixturePaillierKey(2);
  const PiFacStatement st{N0(), Params()};
  EXPECT_THAT(
      Message(
          ProvePiFac(st, PiFacWitness{key.p(), key.p()}, Ctx(), rng).status()),
      HasSubstr("pi_fac: witness does not factor N0"));
  const BigInt one(1);
  EXPECT_THAT(
      Message(ProvePiFac(st, PiFacWitness{one, N0()}, Ctx(), rng).status()),
      HasSubstr("pi_fac: witness does not factor N0"));
}

TEST_F(PiFacTest, ReplayedInAnotherContextIsRejected) {
  for (const ProofContext& other : ReplayContexts()) {
    EXPECT_THAT(
        Message(VerifyPiFac(PiFacStatement{N0(), Params()}, *proof_, other)),
        HasSubstr("pi_fac: s^z1 t^w1 != A P^e mod Nhat"));
  }
}

TEST_F(PiFacTest, ProofAgainstOtherParametersOrModulusIsRejected) {
  EXPECT_FALSE(
      VerifyPiFac(PiFacStatement{N0(), FixtureRingPedersen(6).params()},
                  *proof_, Ctx())
          .ok());
  EXPECT_FALSE(VerifyPiFac(PiFacStatement{FixturePaillierKey(3).n(), Params()},
                           *proof_, Ctx())
                   .ok());
}

TEST_F(PiFacTest, N0SizeIsExact) {
  const BigInt shorter = N0().ShiftRight(1);
  const BigInt longer = N0().ShiftLeft(1);
  EXPECT_THAT(
      Message(VerifyPiFac(PiFacStatement{shorter, Params()}, *proof_, Ctx())),
      HasSubstr("pi_fac: N0 has 2047 bits, expected exactly 2048"));
  EXPECT_THAT(
      Message(VerifyPiFac(PiFacStatement{longer, Params()}, *proof_, Ctx())),
      HasSubstr("pi_fac: N0 has 2049 bits"));
}

TEST_F(PiFacTest, CommitmentsMustBeUnits) {
  const BigInt& nhat = Params().n();
  const BigInt& factor = FixtureRingPedersen(5).p();
  BigInt PiFacProof::*fields[] = {&PiFacProof::p_commit, &PiFacProof::q_commit,
                                  &PiFacProof::a, &PiFacProof::b,
                                  &PiFacProof::t};
  const char* names[] = {"P", "Q", "A", "B", "T"};
  for (size_t i = 0; i < 5; ++i) {
    for (const BigInt& v : {BigInt(0), nhat, factor, BigInt(-1)}) {
      PiFacProof bad = *proof_;
      bad.*fields[i] = v;
      EXPECT_THAT(
          Message(Verify(bad)),
          HasSubstr(std::string("pi_fac: ") + names[i] + " not in Z*_Nhat"));
    }
  }
}

TEST_F(PiFacTest, ResponseBoundsAreExact) {
  const BigInt& nhat = Params().n();
  const size_t le = kPiFacEll + kPiFacEpsilon;
  // z bound: the largest integer with z² <= 2^{2(ℓ+ε)}·N0 is accepted by
  // the range check (the equations then fail), one more is rejected.
  const BigInt z_max = BigInt::Sqrt(N0().ShiftLeft(2 * le));
  for (BigInt PiFacProof::*z : {&PiFacProof::z1, &PiFacProof::z2}) {
    const char* name = z == &PiFacProof::z1 ? "z1" : "z2";
    for (const BigInt& v : {z_max + BigInt(1), -(z_max + BigInt(1))}) {
      PiFacProof bad = *proof_;
      bad.*z = v;
      EXPECT_THAT(Message(Verify(bad)),
                  HasSubstr(std::string("pi_fac: ") + name + " out of range"));
    }
    PiFacProof edge = *proof_;
    edge.*z = z_max;
    EXPECT_THAT(Message(Verify(edge)), ::testing::Not(HasSubstr("range")));
  }
  const BigInt w_max = nhat.ShiftLeft(le + 1);
  for (BigInt PiFacProof::*w : {&PiFacProof::w1, &PiFacProof::w2}) {
    const char* name = w == &PiFacProof::w1 ? "w1" : "w2";
    PiFacProof bad = *proof_;
    bad.*w = -(w_max + BigInt(1));
    EXPECT_THAT(Message(Verify(bad)),
                HasSubstr(std::string("pi_fac: ") + name + " out of range"));
  }
  PiFacProof bad_v = *proof_;
  bad_v.v = (N0() * nhat).ShiftLeft(le + 1) + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_v)), HasSubstr("pi_fac: v out of range"));
  PiFacProof bad_sigma = *proof_;
  bad_sigma.sigma = (N0() * nhat).ShiftLeft(kPiFacEll) + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_sigma)),
              HasSubstr("pi_fac: sigma out of range"));
}

TEST_F(PiFacTest, TamperedResponsesFailTheirEquation) {
  PiFacProof bad_z1 = *proof_;
  bad_z1.z1 = bad_z1.z1 + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_z1)),
              HasSubstr("pi_fac: s^z1 t^w1 != A P^e mod Nhat"));
  PiFacProof bad_w1 = *proof_;
  bad_w1.w1 = bad_w1.w1 - BigInt(1);
  EXPECT_THAT(Message(Verify(bad_w1)),
              HasSubstr("pi_fac: s^z1 t^w1 != A P^e mod Nhat"));
  PiFacProof bad_z2 = *proof_;
  bad_z2.z2 = bad_z2.z2 + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_z2)),
              HasSubstr("pi_fac: s^z2 t^w2 != B Q^e mod Nhat"));
  PiFacProof bad_w2 = *proof_;
  bad_w2.w2 = bad_w2.w2 + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_w2)),
              HasSubstr("pi_fac: s^z2 t^w2 != B Q^e mod Nhat"));
  PiFacProof bad_v = *proof_;
  bad_v.v = bad_v.v + BigInt(1);
  EXPECT_THAT(Message(Verify(bad_v)),
              HasSubstr("pi_fac: Q^z1 t^v != T R^e mod Nhat"));
  // First-message values are bound by the challenge.
  PiFacProof bad_sigma = *proof_;
  bad_sigma.sigma = bad_sigma.sigma + BigInt(1);
  EXPECT_FALSE(Verify(bad_sigma).ok());
  PiFacProof bad_t = *proof_;
  bad_t.t = BigInt::ModMul(bad_t.t, Params().t(), Params().n());
  EXPECT_FALSE(Verify(bad_t).ok());
}

TEST_F(PiFacTest, DecoderIsStrict) {
  v1::PiFacProof proto = PiFacProofToProto(*proof_);
  v1::PiFacProof no_v = proto;
  no_v.clear_v();
  EXPECT_THAT(Message(PiFacProofFromProto(no_v).status()),
              HasSubstr("pi_fac: field v"));
  v1::PiFacProof no_p = proto;
  no_p.clear_p();
  EXPECT_THAT(Message(PiFacProofFromProto(no_p).status()),
              HasSubstr("pi_fac: field P"));
  v1::PiFacProof long_z1 = proto;
  long_z1.set_z1(std::string(1, '\0') + std::string(300, '\x22'));
  EXPECT_THAT(Message(PiFacProofFromProto(long_z1).status()),
              HasSubstr("pi_fac: field z1"));
  v1::PiFacProof bad_sign = proto;
  (*bad_sign.mutable_sigma())[0] = '\x05';
  EXPECT_THAT(Message(PiFacProofFromProto(bad_sign).status()),
              HasSubstr("pi_fac: field sigma"));
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
