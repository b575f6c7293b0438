// Shared helpers for the MtA proof and protocol tests (tests/mpc/mta_*).
#ifndef NITRO_TSS_TESTS_MPC_MTA_TEST_UTIL_H_
#define NITRO_TSS_TESTS_MPC_MTA_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/paillier/paillier.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/nonce_pool.h"

namespace nitro_tss::mpc::zk::testutil {

inline ProofContext Context(uint32_t prover, uint32_t verifier,
                            const std::string& session = "mta-test-session",
                            uint32_t round = 2) {
  ProofContext ctx;
  ctx.session_id = std::vector<uint8_t>(session.begin(), session.end());
  ctx.protocol = "gg20/sign";
  ctx.round = round;
  ctx.prover = prover;
  ctx.verifier = verifier;
  return ctx;
}

inline BigInt Pow2(size_t bits) { return BigInt::PowerOfTwo(bits); }

// x·g for a possibly negative or large integer x (reduced mod q).
inline Point MulInt(const Point& g, const BigInt& x) {
  return g.Mul(Scalar::FromBigIntReduce(x));
}

// D = C^x · enc_N0(y; rho) under a public key (test construction).
inline BigInt AffineCiphertext(const PaillierPublicKey& key, const BigInt& c,
                               const BigInt& x, const BigInt& y,
                               const BigInt& rho) {
  BigInt cx = BigInt::PowMod(c, x, key.n_squared());
  BigInt enc_y = BigInt::ModMul(OnePlusNPow(key, y),
                                BigInt::PowMod(rho, key.n(), key.n_squared()),
                                key.n_squared());
  return BigInt::ModMul(cx, enc_y, key.n_squared());
}

// Runs `verify` for every variant of verifier secrets and checks that all
// variants agree exactly (code and message); returns the common status.
template <typename F>
absl::Status AllPathsAgree(const std::vector<F>& variants) {
  absl::Status first = variants.front()();
  for (size_t i = 1; i < variants.size(); ++i) {
    absl::Status other = variants[i]();
    EXPECT_EQ(first, other)
        << "verification path " << i << " disagrees with the plain path";
  }
  return first;
}

}  // namespace nitro_tss::mpc::zk::testutil

#endif  // NITRO_TSS_TESTS_MPC_MTA_TEST_UTIL_H_
