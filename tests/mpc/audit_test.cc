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
#include "mpc/zk/pi_log_star.h"
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
  auto proof = ProvePiMod(PiModStatement{key.n()},
                          PiModWitness{key.p(), key.q()}, AuditCtx(), rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  // p^2 with p ≈ 1.5·2^1023: exactly 2048 bits, odd, composite.
  BigInt p2 = NextPrime(BigInt(3).ShiftLeft(1022));
  // p^3 with p ≈ 1.4·2^682: exactly 2048 bits.
  BigInt p3 = NextPrime(
      BigInt::FloorDiv(BigInt::PowerOfTwo(682) * BigInt(7), BigInt(5)));
  for (const BigInt& n : {p2 * p2, p3 * p3 * p3}) {
    ASSERT_EQ(n.BitLength(), kPaillierModulusBits);
    absl::Status st = VerifyPiMod(PiModStatement{n}, *proof, AuditCtx());
    EXPECT_THAT(std::string(st.message()),
                HasSubstr("pi_mod: N is a perfect power"));
  }
  // The honest statement still verifies.
  EXPECT_TRUE(VerifyPiMod(PiModStatement{key.n()}, *proof, AuditCtx()).ok());
}

}  // namespace
}  // namespace nitro_tss::mpc
