// Completeness and one negative test per verifier / decoder check for the
// elliptic-curve proofs: Schnorr, Pedersen PoK (GG20 phase 3) and the
// phase-6 S/T equality proof.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mpc/curve/secp256k1.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/schnorr.h"

namespace nitro_tss::mpc::zk {
namespace {

using ::testing::HasSubstr;

ProofContext Ctx() {
  ProofContext c;
  c.session_id = {1, 2, 3, 4};
  c.protocol = "gg20/test";
  c.round = 3;
  c.prover = 1;
  c.verifier = 2;
  return c;
}

// Every single-field variation of the context a replayed proof could carry.
std::vector<std::pair<std::string, ProofContext>> OtherContexts() {
  std::vector<std::pair<std::string, ProofContext>> out;
  ProofContext c = Ctx();
  c.session_id = {1, 2, 3, 5};
  out.emplace_back("other session", c);
  c = Ctx();
  c.protocol = "gg20/other";
  out.emplace_back("other protocol", c);
  c = Ctx();
  c.round = 4;
  out.emplace_back("other round", c);
  c = Ctx();
  c.prover = 3;
  out.emplace_back("other prover", c);
  c = Ctx();
  c.verifier = 3;
  out.emplace_back("other verifier", c);
  c = Ctx();
  c.verifier = ProofContext::kBroadcast;
  out.emplace_back("broadcast instead of p2p", c);
  return out;
}

Point RandomPoint(RandomSource& rng) {
  return Point::MulBase(Scalar::RandomNonZero(rng));
}

// ------------------------------------------------------------ Schnorr

class SchnorrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    x_ = Scalar::RandomNonZero(rng_);
    st_ = SchnorrStatement::ForGenerator(Point::MulBase(x_));
    auto p = ProveSchnorr(st_, SchnorrWitness{x_}, Ctx(), rng_);
    ASSERT_TRUE(p.ok()) << p.status();
    proof_ = *p;
  }
  DeterministicRandom rng_{101};
  Scalar x_;
  SchnorrStatement st_;
  SchnorrProof proof_;
};

TEST_F(SchnorrTest, CompletenessOverRandomInstances) {
  for (int i = 0; i < 20; ++i) {
    Scalar x = Scalar::RandomNonZero(rng_);
    // Generator base and an arbitrary base.
    for (const Point& base : {Point::Generator(), RandomPoint(rng_)}) {
      SchnorrStatement st{base, base.Mul(x)};
      auto p = ProveSchnorr(st, SchnorrWitness{x}, Ctx(), rng_);
      ASSERT_TRUE(p.ok());
      EXPECT_TRUE(VerifySchnorr(st, *p, Ctx()).ok());
    }
  }
}

TEST_F(SchnorrTest, ProveRejectsWrongWitness) {
  auto p = ProveSchnorr(st_, SchnorrWitness{x_ + Scalar::One()}, Ctx(), rng_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "schnorr: witness does not match statement");
}

TEST_F(SchnorrTest, RejectsIdentityBase) {
  SchnorrStatement st = st_;
  st.base = Point::Identity();
  EXPECT_EQ(VerifySchnorr(st, proof_, Ctx()).message(),
            "schnorr: base is the identity");
}

TEST_F(SchnorrTest, RejectsIdentityPublicPoint) {
  SchnorrStatement st = st_;
  st.public_point = Point::Identity();
  EXPECT_EQ(VerifySchnorr(st, proof_, Ctx()).message(),
            "schnorr: public point is the identity");
  // And the prover refuses x = 0.
  EXPECT_EQ(ProveSchnorr(st, SchnorrWitness{Scalar::Zero()}, Ctx(), rng_)
                .status()
                .message(),
            "schnorr: public point is the identity");
}

TEST_F(SchnorrTest, RejectsIdentityCommitment) {
  SchnorrProof p = proof_;
  p.commitment = Point::Identity();
  EXPECT_EQ(VerifySchnorr(st_, p, Ctx()).message(),
            "schnorr: commitment is the identity");
}

TEST_F(SchnorrTest, RejectsTamperedCommitment) {
  SchnorrProof p = proof_;
  p.commitment = p.commitment + Point::Generator();
  EXPECT_EQ(VerifySchnorr(st_, p, Ctx()).message(),
            "schnorr: verification equation failed");
}

TEST_F(SchnorrTest, RejectsTamperedResponse) {
  SchnorrProof p = proof_;
  p.response = p.response + Scalar::One();
  EXPECT_EQ(VerifySchnorr(st_, p, Ctx()).message(),
            "schnorr: verification equation failed");
}

TEST_F(SchnorrTest, RejectsWrongPublicPoint) {
  SchnorrStatement st = st_;
  st.public_point = st.public_point + Point::Generator();
  EXPECT_EQ(VerifySchnorr(st, proof_, Ctx()).message(),
            "schnorr: verification equation failed");
}

TEST_F(SchnorrTest, RejectsWrongBase) {
  // A proof for X = x*G checked as X = x*H.
  SchnorrStatement st = st_;
  st.base = Point::H();
  EXPECT_EQ(VerifySchnorr(st, proof_, Ctx()).message(),
            "schnorr: verification equation failed");
}

TEST_F(SchnorrTest, RejectsReplayInOtherContexts) {
  for (const auto& [what, ctx] : OtherContexts()) {
    EXPECT_EQ(VerifySchnorr(st_, proof_, ctx).message(),
              "schnorr: verification equation failed")
        << what;
  }
}

TEST_F(SchnorrTest, ProtoRoundTrip) {
  auto p = SchnorrProofFromProto(SchnorrProofToProto(proof_));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(VerifySchnorr(st_, *p, Ctx()).ok());
  std::string wire = SchnorrProofToProto(proof_).SerializeAsString();
  nitro_tss::mpc::v1::SchnorrProof parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_TRUE(SchnorrProofFromProto(parsed).ok());
}

TEST_F(SchnorrTest, ProtoDecodingIsStrict) {
  auto base = SchnorrProofToProto(proof_);
  {
    auto m = base;
    m.clear_commitment();
    EXPECT_EQ(SchnorrProofFromProto(m).status().message(),
              "schnorr: commitment missing");
  }
  {
    auto m = base;
    m.clear_response();
    EXPECT_EQ(SchnorrProofFromProto(m).status().message(),
              "schnorr: response missing");
  }
  {
    auto m = base;
    m.mutable_commitment()->push_back('\0');  // 34 bytes
    EXPECT_THAT(std::string(SchnorrProofFromProto(m).status().message()),
                HasSubstr("schnorr: commitment: point: expected 33-byte"));
  }
  {
    auto m = base;
    (*m.mutable_commitment())[0] = 0x04;
    EXPECT_THAT(std::string(SchnorrProofFromProto(m).status().message()),
                HasSubstr("schnorr: commitment: point: invalid prefix"));
  }
  {
    auto m = base;
    m.set_commitment(std::string(33, '\0'));  // "infinity"
    EXPECT_THAT(std::string(SchnorrProofFromProto(m).status().message()),
                HasSubstr("schnorr: commitment: point: invalid prefix"));
  }
  {
    auto m = base;
    m.set_response(std::string(32, '\xff'));  // >= n
    EXPECT_EQ(SchnorrProofFromProto(m).status().message(),
              "schnorr: response: scalar: value >= group order");
  }
  {
    auto m = base;
    m.set_response(std::string(31, '\x01'));
    EXPECT_EQ(SchnorrProofFromProto(m).status().message(),
              "schnorr: response: scalar: expected 32 bytes, got 31");
  }
  {
    // An unknown field 15 appended on the wire.
    std::string wire = base.SerializeAsString();
    wire += std::string("\x7a\x01\x00", 3);
    nitro_tss::mpc::v1::SchnorrProof m;
    ASSERT_TRUE(m.ParseFromString(wire));
    EXPECT_EQ(SchnorrProofFromProto(m).status().message(),
              "schnorr: unknown fields present");
  }
}

// ------------------------------------------------------------ Pedersen PoK

class PedersenPokTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_.sigma = Scalar::RandomNonZero(rng_);
    w_.l = Scalar::RandomNonZero(rng_);
    st_.commitment = PedersenCommit(w_.sigma, w_.l);
    auto p = ProvePedersenPok(st_, w_, Ctx(), rng_);
    ASSERT_TRUE(p.ok()) << p.status();
    proof_ = *p;
  }
  DeterministicRandom rng_{202};
  PedersenPokWitness w_;
  PedersenPokStatement st_;
  PedersenPokProof proof_;
};

TEST_F(PedersenPokTest, CompletenessOverRandomInstances) {
  for (int i = 0; i < 20; ++i) {
    PedersenPokWitness w{Scalar::Random(rng_), Scalar::Random(rng_)};
    PedersenPokStatement st{PedersenCommit(w.sigma, w.l)};
    auto p = ProvePedersenPok(st, w, Ctx(), rng_);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(VerifyPedersenPok(st, *p, Ctx()).ok());
  }
}

TEST_F(PedersenPokTest, ProveRejectsWrongWitness) {
  PedersenPokWitness w = w_;
  w.l = w.l + Scalar::One();
  EXPECT_EQ(ProvePedersenPok(st_, w, Ctx(), rng_).status().message(),
            "pedersen_pok: witness does not match statement");
}

TEST_F(PedersenPokTest, RejectsIdentityT) {
  PedersenPokStatement st{Point::Identity()};
  EXPECT_EQ(VerifyPedersenPok(st, proof_, Ctx()).message(),
            "pedersen_pok: T is the identity");
}

TEST_F(PedersenPokTest, RejectsIdentityCommitment) {
  PedersenPokProof p = proof_;
  p.commitment = Point::Identity();
  EXPECT_EQ(VerifyPedersenPok(st_, p, Ctx()).message(),
            "pedersen_pok: commitment is the identity");
}

TEST_F(PedersenPokTest, RejectsEachTamperedField) {
  {
    PedersenPokProof p = proof_;
    p.commitment = p.commitment + Point::H();
    EXPECT_EQ(VerifyPedersenPok(st_, p, Ctx()).message(),
              "pedersen_pok: verification equation failed");
  }
  {
    PedersenPokProof p = proof_;
    p.z_sigma = p.z_sigma + Scalar::One();
    EXPECT_EQ(VerifyPedersenPok(st_, p, Ctx()).message(),
              "pedersen_pok: verification equation failed");
  }
  {
    PedersenPokProof p = proof_;
    p.z_l = p.z_l + Scalar::One();
    EXPECT_EQ(VerifyPedersenPok(st_, p, Ctx()).message(),
              "pedersen_pok: verification equation failed");
  }
  {
    PedersenPokStatement st{st_.commitment + Point::Generator()};
    EXPECT_EQ(VerifyPedersenPok(st, proof_, Ctx()).message(),
              "pedersen_pok: verification equation failed");
  }
}

TEST_F(PedersenPokTest, SwappedGeneratorsFail) {
  // A proof of T = sigma*G + l*H does not verify for T' = l*G + sigma*H
  // (the generator roles are fixed).
  PedersenPokProof p = proof_;
  std::swap(p.z_sigma, p.z_l);
  PedersenPokStatement st{PedersenCommit(w_.l, w_.sigma)};
  EXPECT_EQ(VerifyPedersenPok(st, p, Ctx()).message(),
            "pedersen_pok: verification equation failed");
}

TEST_F(PedersenPokTest, RejectsReplayInOtherContexts) {
  for (const auto& [what, ctx] : OtherContexts()) {
    EXPECT_EQ(VerifyPedersenPok(st_, proof_, ctx).message(),
              "pedersen_pok: verification equation failed")
        << what;
  }
}

TEST_F(PedersenPokTest, ProtoRoundTripAndStrictness) {
  auto rt = PedersenPokProofFromProto(PedersenPokProofToProto(proof_));
  ASSERT_TRUE(rt.ok());
  EXPECT_TRUE(VerifyPedersenPok(st_, *rt, Ctx()).ok());
  auto base = PedersenPokProofToProto(proof_);
  auto m = base;
  m.clear_commitment();
  EXPECT_EQ(PedersenPokProofFromProto(m).status().message(),
            "pedersen_pok: commitment missing");
  m = base;
  m.clear_z_sigma();
  EXPECT_EQ(PedersenPokProofFromProto(m).status().message(),
            "pedersen_pok: z_sigma missing");
  m = base;
  m.clear_z_l();
  EXPECT_EQ(PedersenPokProofFromProto(m).status().message(),
            "pedersen_pok: z_l missing");
  m = base;
  m.set_z_l(std::string(32, '\xff'));
  EXPECT_EQ(PedersenPokProofFromProto(m).status().message(),
            "pedersen_pok: z_l: scalar: value >= group order");
  m = base;
  m.set_z_sigma(std::string(33, '\x00'));
  EXPECT_EQ(PedersenPokProofFromProto(m).status().message(),
            "pedersen_pok: z_sigma: scalar: expected 32 bytes, got 33");
  m = base;
  (*m.mutable_commitment())[0] = 0x07;
  EXPECT_THAT(std::string(PedersenPokProofFromProto(m).status().message()),
              HasSubstr("pedersen_pok: commitment: point: invalid prefix"));
  std::string wire = base.SerializeAsString() + std::string("\x7a\x00", 2);
  ASSERT_TRUE(m.ParseFromString(wire));
  EXPECT_EQ(PedersenPokProofFromProto(m).status().message(),
            "pedersen_pok: unknown fields present");
}

// ------------------------------------------------------------ Equality (ST)

class EqualityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    w_.sigma = Scalar::RandomNonZero(rng_);
    w_.l = Scalar::RandomNonZero(rng_);
    st_.r = RandomPoint(rng_);
    st_.s = st_.r.Mul(w_.sigma);
    st_.t = PedersenCommit(w_.sigma, w_.l);
    auto p = ProveEquality(st_, w_, Ctx(), rng_);
    ASSERT_TRUE(p.ok()) << p.status();
    proof_ = *p;
  }
  DeterministicRandom rng_{303};
  EqualityWitness w_;
  EqualityStatement st_;
  EqualityProof proof_;
};

TEST_F(EqualityTest, CompletenessOverRandomInstances) {
  for (int i = 0; i < 20; ++i) {
    EqualityWitness w{Scalar::RandomNonZero(rng_), Scalar::RandomNonZero(rng_)};
    EqualityStatement st;
    st.r = RandomPoint(rng_);
    st.s = st.r.Mul(w.sigma);
    st.t = PedersenCommit(w.sigma, w.l);
    auto p = ProveEquality(st, w, Ctx(), rng_);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(VerifyEquality(st, *p, Ctx()).ok());
  }
}

TEST_F(EqualityTest, ProveRejectsInconsistentWitness) {
  // S made with a different sigma than T: the cheating case GG20 phase 6
  // must catch.
  EqualityStatement st = st_;
  st.s = st.r.Mul(w_.sigma + Scalar::One());
  EXPECT_EQ(ProveEquality(st, w_, Ctx(), rng_).status().message(),
            "equality: witness does not match statement");
}

TEST_F(EqualityTest, RejectsIdentityStatementPoints) {
  EqualityStatement st = st_;
  st.r = Point::Identity();
  EXPECT_EQ(VerifyEquality(st, proof_, Ctx()).message(),
            "equality: R is the identity");
  st = st_;
  st.s = Point::Identity();
  EXPECT_EQ(VerifyEquality(st, proof_, Ctx()).message(),
            "equality: S is the identity");
  st = st_;
  st.t = Point::Identity();
  EXPECT_EQ(VerifyEquality(st, proof_, Ctx()).message(),
            "equality: T is the identity");
}

TEST_F(EqualityTest, RejectsIdentityProofPoints) {
  EqualityProof p = proof_;
  p.alpha = Point::Identity();
  EXPECT_EQ(VerifyEquality(st_, p, Ctx()).message(),
            "equality: alpha is the identity");
  p = proof_;
  p.beta = Point::Identity();
  EXPECT_EQ(VerifyEquality(st_, p, Ctx()).message(),
            "equality: beta is the identity");
}

TEST_F(EqualityTest, RejectsEachTamperedField) {
  EqualityProof p = proof_;
  p.alpha = p.alpha + Point::Generator();
  // alpha enters the challenge and the S equation.
  EXPECT_EQ(VerifyEquality(st_, p, Ctx()).message(),
            "equality: S equation failed");
  p = proof_;
  p.beta = p.beta + Point::Generator();
  // beta changes the challenge, so the S equation already fails.
  EXPECT_EQ(VerifyEquality(st_, p, Ctx()).message(),
            "equality: S equation failed");
  p = proof_;
  p.z_sigma = p.z_sigma + Scalar::One();
  EXPECT_EQ(VerifyEquality(st_, p, Ctx()).message(),
            "equality: S equation failed");
  p = proof_;
  p.z_l = p.z_l + Scalar::One();
  // z_l only appears in the T equation.
  EXPECT_EQ(VerifyEquality(st_, p, Ctx()).message(),
            "equality: T equation failed");
}

TEST_F(EqualityTest, TEquationCheckedIndependently) {
  // A forger who knows sigma but not the opening of T: the S half is right,
  // T is someone else's commitment. Build a proof honestly for S = sigma*R
  // and a T' for which the prover sets beta without knowing l.
  Scalar a = Scalar::RandomNonZero(rng_);
  EqualityStatement st = st_;
  st.t = RandomPoint(rng_);  // unknown opening
  EqualityProof p;
  p.alpha = st.r.Mul(a);
  p.beta = RandomPoint(rng_);
  // Compute the real challenge the verifier will use.
  Transcript t = Transcript::ForProof(EqualityProof::kName, Ctx());
  for (const auto& [label, pt] :
       std::vector<std::pair<std::string, Point>>{{"G", Point::Generator()},
                                                  {"H", Point::H()},
                                                  {"R", st.r},
                                                  {"S", st.s},
                                                  {"T", st.t},
                                                  {"alpha", p.alpha},
                                                  {"beta", p.beta}}) {
    auto enc = pt.EncodeOrZeros();
    t.AppendBytes(label, enc);
  }
  Scalar e = Scalar::FromBigIntReduce(t.ChallengeBelow("e", Scalar::Order()));
  p.z_sigma = a + e * w_.sigma;
  p.z_l = Scalar::RandomNonZero(rng_);
  EXPECT_EQ(VerifyEquality(st, p, Ctx()).message(),
            "equality: T equation failed");
}

TEST_F(EqualityTest, RejectsStatementSwaps) {
  EqualityStatement st = st_;
  st.r = RandomPoint(rng_);
  EXPECT_EQ(VerifyEquality(st, proof_, Ctx()).message(),
            "equality: S equation failed");
  st = st_;
  st.s = st.s + Point::Generator();
  EXPECT_EQ(VerifyEquality(st, proof_, Ctx()).message(),
            "equality: S equation failed");
  st = st_;
  st.t = st.t + Point::Generator();
  // T enters the challenge, so the S equation fails first.
  EXPECT_EQ(VerifyEquality(st, proof_, Ctx()).message(),
            "equality: S equation failed");
}

TEST_F(EqualityTest, RejectsReplayInOtherContexts) {
  for (const auto& [what, ctx] : OtherContexts()) {
    EXPECT_EQ(VerifyEquality(st_, proof_, ctx).message(),
              "equality: S equation failed")
        << what;
  }
}

TEST_F(EqualityTest, ProtoRoundTripAndStrictness) {
  auto rt = EqualityProofFromProto(EqualityProofToProto(proof_));
  ASSERT_TRUE(rt.ok());
  EXPECT_TRUE(VerifyEquality(st_, *rt, Ctx()).ok());
  auto base = EqualityProofToProto(proof_);
  auto m = base;
  m.clear_alpha();
  EXPECT_EQ(EqualityProofFromProto(m).status().message(),
            "equality: alpha missing");
  m = base;
  m.clear_beta();
  EXPECT_EQ(EqualityProofFromProto(m).status().message(),
            "equality: beta missing");
  m = base;
  m.clear_z_sigma();
  EXPECT_EQ(EqualityProofFromProto(m).status().message(),
            "equality: z_sigma missing");
  m = base;
  m.clear_z_l();
  EXPECT_EQ(EqualityProofFromProto(m).status().message(),
            "equality: z_l missing");
  m = base;
  m.set_beta(m.beta().substr(0, 32));
  EXPECT_THAT(std::string(EqualityProofFromProto(m).status().message()),
              HasSubstr("equality: beta: point: expected 33-byte"));
  m = base;
  m.set_z_sigma(std::string(32, '\xff'));
  EXPECT_EQ(EqualityProofFromProto(m).status().message(),
            "equality: z_sigma: scalar: value >= group order");
  std::string wire = base.SerializeAsString() + std::string("\x7a\x00", 2);
  ASSERT_TRUE(m.ParseFromString(wire));
  EXPECT_EQ(EqualityProofFromProto(m).status().message(),
            "equality: unknown fields present");
}

}  // namespace
}  // namespace nitro_tss::mpc::zk
