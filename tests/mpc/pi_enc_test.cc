// Πenc (CGGMP21 Fig. 14): completeness at the range edges, one negative test
// per verifier check, replay and wrong-statement rejection, the honest
// prover's refusals, a cheating prover caught by the range check, both
// verification paths (plain / verifier's ring-Pedersen CRT) agreeing, and
// strict decoding.
#include "mpc/zk/pi_enc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "tests/fixtures/fixtures.h"
#include "tests/mpc/mta_test_util.h"

namespace nitro_tss::mpc::zk {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;
using testutil::Context;
using testutil::Pow2;

constexpr uint32_t kAlice = 1;
constexpr uint32_t kBob = 2;

const PaillierPrivateKey& Alice() { return FixturePaillierKey(0); }
const RingPedersenSecret& BobRp() { return FixtureRingPedersen(1); }

struct Instance {
  BigInt k;
  PaillierEncryption enc;
  PiEncProof proof;
};

Instance MakeInstance(const BigInt& k, uint64_t seed) {
  DeterministicRandom rng(seed);
  absl::StatusOr<PaillierEncryption> enc = Alice().Encrypt(k, rng);
  EXPECT_TRUE(enc.ok()) << enc.status();
  PiEncStatement st{Alice().public_key(), BobRp().params(), enc->ciphertext};
  PiEncWitness w{k, enc->nonce, &Alice()};
  absl::StatusOr<PiEncProof> proof =
      ProvePiEnc(st, w, Context(kAlice, kBob), rng);
  EXPECT_TRUE(proof.ok()) << proof.status();
  return Instance{k, *std::move(enc), *std::move(proof)};
}

// One valid proof shared by the negative tests (each tampers a copy).
const Instance& Valid() {
  static const Instance* instance =
      new Instance(MakeInstance(BigInt(123456789), 1));
  return *instance;
}

// Verifies with and without the verifier's CRT secret; both must agree.
absl::Status Verify(const BigInt& cap_k, const PiEncProof& proof,
                    const ProofContext& ctx = Context(kAlice, kBob),
                    const PaillierPublicKey& n0 = Alice().public_key(),
                    const RingPedersenSecret& rp = BobRp()) {
  PiEncStatement st{n0, rp.params(), cap_k};
  std::vector<std::function<absl::Status()>> paths = {
      [&] { return VerifyPiEnc(st, proof, ctx); },
      [&] { return VerifyPiEnc(st, proof, ctx, &rp); },
  };
  return testutil::AllPathsAgree(paths);
}

void ExpectRejected(const absl::Status& s, const std::string& message) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(message));
}

TEST(PiEnc, CompletenessOnRandomAndEdgeValues) {
  DeterministicRandom rng(7);
  std::vector<BigInt> ks = {BigInt(0), Pow2(kEll), -Pow2(kEll),
                            Pow2(kEll) - BigInt(1), BigInt(-1)};
  for (int i = 0; i < 3; ++i) ks.push_back(Scalar::Random(rng).ToBigInt());
  for (int i = 0; i < 2; ++i) ks.push_back(BigInt::RandomSigned(kEll, rng));
  uint64_t seed = 100;
  for (const BigInt& k : ks) {
    Instance inst = MakeInstance(k, seed++);
    EXPECT_TRUE(Verify(inst.enc.ciphertext, inst.proof).ok())
        << "k = " << k.ToHex();
  }
}

TEST(PiEnc, ProverWithoutOwnKeyMatchesVerifier) {
  DeterministicRandom rng(8);
  BigInt k = Scalar::Random(rng).ToBigInt();
  absl::StatusOr<PaillierEncryption> enc = Alice().Encrypt(k, rng);
  ASSERT_TRUE(enc.ok());
  PiEncStatement st{Alice().public_key(), BobRp().params(), enc->ciphertext};
  absl::StatusOr<PiEncProof> proof =
      ProvePiEnc(st, PiEncWitness{k, enc->nonce}, Context(kAlice, kBob), rng);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(Verify(enc->ciphertext, *proof).ok());
}

TEST(PiEnc, ProverTableGivesValidProofsAndMustMatch) {
  RingPedersenTable table(BobRp().params());
  DeterministicRandom rng(12);
  for (const BigInt& k : {Pow2(kEll), -Pow2(kEll), BigInt(77)}) {
    absl::StatusOr<PaillierEncryption> enc = Alice().Encrypt(k, rng);
    ASSERT_TRUE(enc.ok());
    PiEncStatement st{Alice().public_key(), BobRp().params(), enc->ciphertext};
    absl::StatusOr<PiEncProof> proof =
        ProvePiEnc(st, PiEncWitness{k, enc->nonce, &Alice(), &table},
                   Context(kAlice, kBob), rng);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(Verify(enc->ciphertext, *proof).ok());
  }
  RingPedersenTable other(FixtureRingPedersen(2).params());
  const Instance& v = Valid();
  PiEncStatement st{Alice().public_key(), BobRp().params(), v.enc.ciphertext};
  ExpectRejected(
      ProvePiEnc(st, PiEncWitness{v.k, v.enc.nonce, &Alice(), &other},
                 Context(kAlice, kBob), rng)
          .status(),
      "pi_enc: ring-Pedersen table does not match");
}

TEST(PiEnc, HonestProverRefusesOutOfRangeOrWrongWitness) {
  DeterministicRandom rng(9);
  BigInt k = Pow2(kEll) + BigInt(1);
  absl::StatusOr<PaillierEncryption> enc = Alice().Encrypt(k, rng);
  ASSERT_TRUE(enc.ok());
  PiEncStatement st{Alice().public_key(), BobRp().params(), enc->ciphertext};
  ExpectRejected(ProvePiEnc(st, PiEncWitness{k, enc->nonce, &Alice()},
                            Context(kAlice, kBob), rng)
                     .status(),
                 "pi_enc: witness k out of range");
  BigInt neg = -k;
  ExpectRejected(
      ProvePiEnc(st, PiEncWitness{neg, enc->nonce}, Context(kAlice, kBob), rng)
          .status(),
      "pi_enc: witness k out of range");
  // K does not encrypt k: the proof is made but no verifier accepts it.
  BigInt other(5);
  absl::StatusOr<PiEncProof> wrong =
      ProvePiEnc(st, PiEncWitness{other, enc->nonce, &Alice()},
                 Context(kAlice, kBob), rng);
  ASSERT_TRUE(wrong.ok());
  ExpectRejected(Verify(enc->ciphertext, *wrong),
                 "pi_enc: paillier equation failed");
  // Nonce not a unit.
  BigInt zero(0);
  ExpectRejected(
      ProvePiEnc(st, PiEncWitness{other, zero}, Context(kAlice, kBob), rng)
          .status(),
      "pi_enc: witness rho not in Z*_N0");
  // Private key of another modulus.
  ExpectRejected(
      ProvePiEnc(st, PiEncWitness{other, enc->nonce, &FixturePaillierKey(2)},
                 Context(kAlice, kBob), rng)
          .status(),
      "pi_enc: private key does not match N0");
}

TEST(PiEnc, CheatingProverOutOfRangeIsCaughtByRangeCheck) {
  // A prover that skips the witness check and encrypts k far outside ±2^ℓ
  // (|k| = 2^(ℓ+ε+2)) produces |z1| > 2^(ℓ+ε) for any e != 0.
  for (int sign : {1, -1}) {
    DeterministicRandom rng(10 + sign);
    BigInt k = Pow2(kEll + kEpsilon + 2) * BigInt(sign);
    absl::StatusOr<PaillierEncryption> enc = Alice().Encrypt(k, rng);
    ASSERT_TRUE(enc.ok());
    PiEncStatement st{Alice().public_key(), BobRp().params(), enc->ciphertext};
    PiEncProof proof = internal::ProvePiEncUnchecked(
        st, PiEncWitness{k, enc->nonce, &Alice()}, Context(kAlice, kBob), rng);
    ExpectRejected(Verify(enc->ciphertext, proof), "pi_enc: z1 out of range");
  }
}

TEST(PiEnc, ZOneRangeIsExactAtTheEdge) {
  const Instance& v = Valid();
  for (int sign : {1, -1}) {
    PiEncProof p = v.proof;
    p.z1 = (Pow2(kEll + kEpsilon) + BigInt(1)) * BigInt(sign);
    ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: z1 out of range");
    // Exactly 2^(ℓ+ε) passes the range check (and then fails the equation).
    p.z1 = Pow2(kEll + kEpsilon) * BigInt(sign);
    ExpectRejected(Verify(v.enc.ciphertext, p),
                   "pi_enc: paillier equation failed");
  }
}

TEST(PiEnc, ZThreeOutOfRange) {
  const Instance& v = Valid();
  PiEncProof p = v.proof;
  p.z3 = BigInt(1) + BobRp().params().n().ShiftLeft(kEll + kEpsilon + 1);
  ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: z3 out of range");
  p.z3 = -p.z3;
  ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: z3 out of range");
}

TEST(PiEnc, CiphertextNotInGroup) {
  const Instance& v = Valid();
  const BigInt& n0_sq = Alice().public_key().n_squared();
  ExpectRejected(Verify(BigInt(0), v.proof), "pi_enc: K not in Z*_{N0^2}");
  ExpectRejected(Verify(n0_sq, v.proof), "pi_enc: K not in Z*_{N0^2}");
  ExpectRejected(Verify(n0_sq + BigInt(5), v.proof),
                 "pi_enc: K not in Z*_{N0^2}");
  ExpectRejected(Verify(Alice().p(), v.proof),
                 "pi_enc: K not in Z*_{N0^2} (gcd");
  ExpectRejected(Verify(-v.enc.ciphertext, v.proof),
                 "pi_enc: K not in Z*_{N0^2}");
}

TEST(PiEnc, CommitmentsNotUnitsModNhat) {
  const Instance& v = Valid();
  const BigInt& nhat = BobRp().params().n();
  for (const BigInt& bad : {BigInt(0), nhat, nhat + BigInt(1), BobRp().p()}) {
    PiEncProof p = v.proof;
    p.cap_s = bad;
    ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: S not in Z*_{Nhat}");
    p = v.proof;
    p.cap_c = bad;
    ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: C not in Z*_{Nhat}");
  }
}

TEST(PiEnc, FirstMessageANotInGroup) {
  const Instance& v = Valid();
  const BigInt& n0_sq = Alice().public_key().n_squared();
  for (const BigInt& bad : {BigInt(0), n0_sq, Alice().q() * BigInt(3)}) {
    PiEncProof p = v.proof;
    p.cap_a = bad;
    ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: A not in Z*_{N0^2}");
  }
}

TEST(PiEnc, ZTwoNotInGroup) {
  const Instance& v = Valid();
  const BigInt& n0 = Alice().n();
  for (const BigInt& bad : {BigInt(0), n0, n0 + BigInt(1), Alice().p()}) {
    PiEncProof p = v.proof;
    p.z2 = bad;
    ExpectRejected(Verify(v.enc.ciphertext, p), "pi_enc: z2 not in Z*_{N0}");
  }
}

TEST(PiEnc, EachTamperedFieldFailsItsEquation) {
  const Instance& v = Valid();
  struct Case {
    const char* name;
    std::function<void(PiEncProof&)> tamper;
    const char* error;
  };
  std::vector<Case> cases = {
      {"S", [](PiEncProof& p) { p.cap_s = p.cap_s + BigInt(1); },
       "pi_enc: paillier equation failed"},  // S changes the challenge
      {"A", [](PiEncProof& p) { p.cap_a = p.cap_a + BigInt(1); },
       "pi_enc: paillier equation failed"},
      {"C", [](PiEncProof& p) { p.cap_c = p.cap_c + BigInt(1); },
       "pi_enc: paillier equation failed"},  // C changes the challenge
      {"z1", [](PiEncProof& p) { p.z1 = p.z1 + BigInt(1); },
       "pi_enc: paillier equation failed"},
      {"z2", [](PiEncProof& p) { p.z2 = p.z2 + BigInt(1); },
       "pi_enc: paillier equation failed"},
      {"z3", [](PiEncProof& p) { p.z3 = p.z3 + BigInt(1); },
       "pi_enc: ring-pedersen equation failed"},
  };
  ASSERT_TRUE(Verify(v.enc.ciphertext, v.proof).ok());
  for (const Case& c : cases) {
    PiEncProof p = v.proof;
    c.tamper(p);
    ExpectRejected(Verify(v.enc.ciphertext, p), c.error);
  }
}

TEST(PiEnc, ReplayInAnotherContextIsRejected) {
  const Instance& v = Valid();
  const std::string err = "pi_enc: paillier equation failed";
  ExpectRejected(Verify(v.enc.ciphertext, v.proof,
                        Context(kAlice, kBob, "another-session")),
                 err);
  ExpectRejected(Verify(v.enc.ciphertext, v.proof, Context(3, kBob)), err);
  ExpectRejected(Verify(v.enc.ciphertext, v.proof, Context(kAlice, 3)), err);
  ExpectRejected(Verify(v.enc.ciphertext, v.proof,
                        Context(kAlice, kBob, "mta-test-session", 3)),
                 err);
  ProofContext other_protocol = Context(kAlice, kBob);
  other_protocol.protocol = "gg20/keygen";
  ExpectRejected(Verify(v.enc.ciphertext, v.proof, other_protocol), err);
}

TEST(PiEnc, ProofForAnotherStatementIsRejected) {
  const Instance& v = Valid();
  // Another K (a fresh encryption of the same k).
  DeterministicRandom rng(11);
  absl::StatusOr<PaillierEncryption> other = Alice().Encrypt(v.k, rng);
  ASSERT_TRUE(other.ok());
  ExpectRejected(Verify(other->ciphertext, v.proof),
                 "pi_enc: paillier equation failed");
  // Another N0 (the proof and K stay the same).
  EXPECT_FALSE(Verify(v.enc.ciphertext, v.proof, Context(kAlice, kBob),
                      FixturePaillierKey(2).public_key())
                   .ok());
  // Another verifier's ring-Pedersen parameters.
  ExpectRejected(Verify(v.enc.ciphertext, v.proof, Context(kAlice, kBob),
                        Alice().public_key(), FixtureRingPedersen(2)),
                 "pi_enc: paillier equation failed");
}

TEST(PiEnc, MismatchedVerifierSecretIsRejected) {
  const Instance& v = Valid();
  PiEncStatement st{Alice().public_key(), BobRp().params(), v.enc.ciphertext};
  ExpectRejected(
      VerifyPiEnc(st, v.proof, Context(kAlice, kBob), &FixtureRingPedersen(2)),
      "pi_enc: verifier secret does not match");
}

TEST(PiEnc, ProtoRoundTripAndStrictDecoding) {
  const Instance& v = Valid();
  v1::PiEncProof wire = PiEncProofToProto(v.proof);
  absl::StatusOr<PiEncProof> back = PiEncProofFromProto(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(Verify(v.enc.ciphertext, *back).ok());
  std::string bytes;
  ASSERT_TRUE(wire.SerializeToString(&bytes));
  v1::PiEncProof parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_TRUE(PiEncProofFromProto(parsed).ok());

  v1::PiEncProof missing = wire;
  missing.clear_z3();
  ExpectRejected(PiEncProofFromProto(missing).status(), "pi_enc: missing z3");
  v1::PiEncProof leading_zero = wire;
  leading_zero.set_z2(std::string("\x00\x00", 2) + wire.z2().substr(1));
  ExpectRejected(PiEncProofFromProto(leading_zero).status(), "pi_enc: z2:");
  v1::PiEncProof negative_zero = wire;
  negative_zero.set_cap_s(std::string("\x01", 1));
  ExpectRejected(PiEncProofFromProto(negative_zero).status(), "pi_enc: S:");
  v1::PiEncProof oversized = wire;
  oversized.set_z1(std::string("\x00", 1) +
                   std::string(BytesForBits(kEll + kEpsilon) + 1, '\x7f'));
  ExpectRejected(PiEncProofFromProto(oversized).status(), "pi_enc: z1:");
  v1::PiEncProof bad_sign = wire;
  bad_sign.set_cap_a(std::string("\x02\x01", 2));
  ExpectRejected(PiEncProofFromProto(bad_sign).status(), "pi_enc: A:");
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
