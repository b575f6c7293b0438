// Regression tests for the findings of the adversarial review (docs/AUDIT.md).
// Each test is a cheating party or malformed input that an earlier version
// accepted or mis-attributed.
#include <gmock/gmock.h>
#include <gmp.h>
#include <gtest/gtest.h>

#include "mpc/math/random.h"
#include "mpc/mta/mta.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"
#include "tests/fixtures/fixtures.h"

namespace nitro_tss::mpc {
namespace {

using ::nitro_tss::testing::FixturePaillierKey;
using ::nitro_tss::testing::FixtureRingPedersen;
using ::testing::HasSubstr;

ProofContext AuditCtx() {
  ProofContext c;
  c.session_id = std::vector<uint8_t>(16, 0xA5);
  c.protocol = "audit/v1";
  c.round = 1;
  c.prover = 1;
  c.verifier = 2;
  return c;
}

// The smallest prime >= v.
BigInt NextPrime(const BigInt& v) {
  BigInt out;
  mpz_nextprime(out.get_mut(), v.get());
  return out;
}

// Finding 1: Πmod accepted the statement N = p^k up to the z/x equations
// (it checked only "odd, not prime"). A prime power must be refused by name,
// before any proof element is looked at.
TEST(AuditPiMod, PrimePowerModulusIsRejectedByName) {
  DeterministicRandom rng(7);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  auto proof =
      zk::ProvePiMod(zk::PiModStatement{key.n()},
                     zk::PiModWitness{key.p(), key.q()}, AuditCtx(), rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  // p^2 with p ≈ 1.5·2^1023: exactly 2048 bits, odd, composite.
  BigInt p2 = NextPrime(BigInt(3).ShiftLeft(1022));
  // p^3 with p ≈ 1.4·2^682: exactly 2048 bits.
  BigInt p3 = NextPrime(
      BigInt::FloorDiv(BigInt::PowerOfTwo(682) * BigInt(7), BigInt(5)));
  for (const BigInt& n : {p2 * p2, p3 * p3 * p3}) {
    ASSERT_EQ(n.BitLength(), kPaillierModulusBits);
    absl::Status st =
        zk::VerifyPiMod(zk::PiModStatement{n}, *proof, AuditCtx());
    EXPECT_THAT(std::string(st.message()),
                HasSubstr("pi_mod: N is a perfect power"));
  }
  // The honest statement still verifies.
  EXPECT_TRUE(
      zk::VerifyPiMod(zk::PiModStatement{key.n()}, *proof, AuditCtx()).ok());
}

// Adds field 999 (varint) to a decoded message: a field no schema defines.
template <typename Proto>
Proto WithUnknownField(Proto p) {
  p.GetReflection()->MutableUnknownFields(&p)->AddVarint(999, 1);
  return p;
}

// Finding 3: the Paillier-proof and MtA decoders accepted messages carrying
// unknown fields (only the GG20 payload wrapper rejected them). A valid proof
// with one extra field was decoded as if it were canonical.
TEST(AuditDecoders, PaillierProofDecodersRejectUnknownFields) {
  DeterministicRandom rng(8);
  const PaillierPrivateKey& key = FixturePaillierKey(0);
  const RingPedersenSecret& rp = FixtureRingPedersen(0);
  auto mod =
      zk::ProvePiMod(zk::PiModStatement{key.n()},
                     zk::PiModWitness{key.p(), key.q()}, AuditCtx(), rng);
  ASSERT_TRUE(mod.ok()) << mod.status();
  v1::PiModProof mod_pb = zk::PiModProofToProto(*mod);
  ASSERT_TRUE(zk::PiModProofFromProto(mod_pb).ok());
  EXPECT_THAT(
      std::string(
          zk::PiModProofFromProto(WithUnknownField(mod_pb)).status().message()),
      HasSubstr("pi_mod: unknown fields present"));

  auto prm = zk::ProvePiPrm(zk::PiPrmStatement{rp.params()},
                            zk::PiPrmWitness{rp}, AuditCtx(), rng);
  ASSERT_TRUE(prm.ok()) << prm.status();
  v1::PiPrmProof prm_pb = zk::PiPrmProofToProto(*prm);
  ASSERT_TRUE(zk::PiPrmProofFromProto(prm_pb).ok());
  EXPECT_THAT(
      std::string(
          zk::PiPrmProofFromProto(WithUnknownField(prm_pb)).status().message()),
      HasSubstr("pi_prm: unknown fields present"));

  auto fac = zk::ProvePiFac(
      zk::PiFacStatement{key.n(), FixtureRingPedersen(1).params()},
      zk::PiFacWitness{key.p(), key.q()}, AuditCtx(), rng);
  ASSERT_TRUE(fac.ok()) << fac.status();
  v1::PiFacProof fac_pb = zk::PiFacProofToProto(*fac);
  ASSERT_TRUE(zk::PiFacProofFromProto(fac_pb).ok());
  EXPECT_THAT(
      std::string(
          zk::PiFacProofFromProto(WithUnknownField(fac_pb)).status().message()),
      HasSubstr("pi_fac: unknown fields present"));
}

TEST(AuditDecoders, MtaProofDecodersRejectUnknownFields) {
  DeterministicRandom rng(9);
  const PaillierPrivateKey& alice = FixturePaillierKey(0);
  const RingPedersenSecret& alice_rp = FixtureRingPedersen(0);
  const RingPedersenSecret& bob_rp = FixtureRingPedersen(1);
  Scalar k = Scalar::RandomNonZero(rng);
  Scalar x = Scalar::RandomNonZero(rng);
  auto enc = mta::AliceEncrypt(alice, k, rng);
  ASSERT_TRUE(enc.ok()) << enc.status();
  auto request = mta::AliceRequest(alice, *enc, k, bob_rp.params(), AuditCtx(),
                                   rng, nullptr);
  ASSERT_TRUE(request.ok()) << request.status();
  auto response =
      mta::BobRespond(alice.public_key(), alice_rp.params(), enc->ciphertext, x,
                      Point::Generator(), AuditCtx(), rng, nullptr);
  ASSERT_TRUE(response.ok()) << response.status();

  v1::MtaRequest req_pb = mta::MtaRequestToProto(*request);
  ASSERT_TRUE(mta::MtaRequestFromProto(req_pb).ok());
  EXPECT_THAT(std::string(mta::MtaRequestFromProto(WithUnknownField(req_pb))
                              .status()
                              .message()),
              HasSubstr("unknown fields present"));
  v1::MtaRequest nested = req_pb;
  *nested.mutable_enc_proof() = WithUnknownField(req_pb.enc_proof());
  EXPECT_FALSE(mta::MtaRequestFromProto(nested).ok());
  EXPECT_THAT(
      std::string(
          zk::PiEncProofFromProto(nested.enc_proof()).status().message()),
      HasSubstr("pi_enc: unknown fields present"));

  v1::MtaResponse resp_pb = mta::MtaResponseToProto(response->response);
  ASSERT_TRUE(mta::MtaResponseFromProto(resp_pb).ok());
  EXPECT_THAT(std::string(mta::MtaResponseFromProto(WithUnknownField(resp_pb))
                              .status()
                              .message()),
              HasSubstr("unknown fields present"));
  EXPECT_THAT(std::string(zk::PiAffGProofFromProto(
                              WithUnknownField(resp_pb.aff_g_proof()))
                              .status()
                              .message()),
              HasSubstr("pi_aff_g: unknown fields present"));
}

}  // namespace
}  // namespace nitro_tss::mpc
