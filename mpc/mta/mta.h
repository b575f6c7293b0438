// Multiplicative-to-additive share conversion (MtA / MtAwc) between Alice
// (holding k) and Bob (holding x), with the CGGMP21 proofs:
//
//   1. Alice:  K = enc_N0(k; ρ)                      (AliceEncrypt, once)
//              per Bob: MtaRequest{K, Πenc against Bob's ring-Pedersen}
//                                                    (AliceRequest)
//   2. Bob:    checks Πenc                           (BobVerifyRequest)
//              y ← ±2^ℓ', D = K^x · enc_N0(y; ρ'), F = enc_N1(y; ρ_y),
//              X = x·g, Πaff-g against Alice's ring-Pedersen params;
//              β = −y mod q                          (BobRespond)
//   3. Alice:  checks Πaff-g (and X if she expects a specific point),
//              α = dec(D) centered, |α| <= 2^(ℓ'+ε+1), α mod q
//                                                    (AliceFinalize)
//
// Then α + β = k·x (mod q). MtA for k·γ binds X = Γ = γ·G; MtAwc for k·w
// binds X = W = w·G (Alice passes the W she computed from public data as
// `expected_x`). The base point g is G unless a caller needs another.
//
// No I/O; randomness is injected. Secrets (k, x, y, nonces) are wiped.
#ifndef NITRO_TSS_MPC_MTA_MTA_H_
#define NITRO_TSS_MPC_MTA_MTA_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"

namespace nitro_tss::mpc::mta {

// Alice → one Bob.
struct MtaRequest {
  BigInt cap_k;  // K = enc_N0(k)
  zk::PiEncProof enc_proof;
};

// Bob → Alice.
struct MtaResponse {
  BigInt cap_d;  // D = K^x · enc_N0(y)
  BigInt cap_f;  // F = enc_N1(y)
  Point cap_x;   // X = x·g
  zk::PiAffGProof aff_g_proof;
};

// Bob's output: the message for Alice and his additive share β = −y mod q.
struct BobResult {
  MtaResponse response;
  Scalar beta;
};

// Alice's output: her additive share α and the point X Bob bound.
struct AliceResult {
  Scalar alpha;
  Point cap_x;
};

// K = enc_N0(k; ρ) under Alice's own key (CRT). The returned nonce ρ is a
// secret witness: keep it for AliceRequest, wipe it afterwards.
absl::StatusOr<PaillierEncryption> AliceEncrypt(
    const PaillierPrivateKey& alice_key, const Scalar& k, RandomSource& rng);

// Alice's message to one Bob: K and Πenc against Bob's ring-Pedersen
// parameters (`bob_table`: optional precomputation for them, reused across
// sessions). `encryption` must be AliceEncrypt's output for this k (else
// "pi_enc: K != enc(k; rho)"). context.prover = Alice, verifier = Bob.
absl::StatusOr<MtaRequest> AliceRequest(
    const PaillierPrivateKey& alice_key, const PaillierEncryption& encryption,
    const Scalar& k, const RingPedersenParams& bob_params,
    const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* bob_table = nullptr);

// Bob's check of Alice's message (VerifyPiEnc; `bob_secret` optional CRT).
absl::Status BobVerifyRequest(const PaillierPublicKey& alice_key,
                              const RingPedersenParams& bob_params,
                              const RingPedersenSecret* bob_secret,
                              const MtaRequest& request,
                              const ProofContext& context);

// Bob's response to a verified K (validated again: "mta: K ...").
// `alice_table`: optional precomputation for Alice's ring-Pedersen params.
// x is Bob's multiplicand (γ or w); X = x·base is bound in the proof.
// context.prover = Bob, verifier = Alice.
absl::StatusOr<BobResult> BobRespond(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const PaillierPrivateKey& bob_key, const BigInt& cap_k, const Scalar& x,
    const Point& base, const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* alice_table = nullptr);

// Alice's finalization: verifies Πaff-g (with her Paillier key and, when
// given, her ring-Pedersen secret for CRT), checks X against `expected_x`
// when non-null ("mta: X does not match the expected point"), decrypts D,
// checks |α| <= 2^(ℓ'+ε+1) ("mta: alpha out of range": what a proof-checked
// Bob can reach is |k·x + y| <= 2^(2ℓ+ε) + 2^(ℓ'+ε)), returns α mod q.
absl::StatusOr<AliceResult> AliceFinalize(
    const PaillierPrivateKey& alice_key, const RingPedersenParams& alice_params,
    const RingPedersenSecret* alice_secret, const PaillierPublicKey& bob_key,
    const BigInt& cap_k, const MtaResponse& response, const Point& base,
    const Point* expected_x, const ProofContext& context);

// Wire format (strict decoding: "mta: ..." / the proofs' errors).
v1::MtaRequest MtaRequestToProto(const MtaRequest& request);
absl::StatusOr<MtaRequest> MtaRequestFromProto(const v1::MtaRequest& proto);
v1::MtaResponse MtaResponseToProto(const MtaResponse& response);
absl::StatusOr<MtaResponse> MtaResponseFromProto(const v1::MtaResponse& proto);

namespace internal {
// A cheating Bob for adversarial tests only (e.g. GG20's Alpha-Rays test):
// BobRespond with y drawn from ±2^(ℓ'+extra_bits) and Πaff-g made by the
// unchecked prover. Alice must reject it (w.h.p. "pi_aff_g: z2 out of
// range" once extra_bits >= ε + 2). Never call it in production code.
absl::StatusOr<BobResult> BobRespondWithOversizedMask(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const PaillierPrivateKey& bob_key, const BigInt& cap_k, const Scalar& x,
    const Point& base, const ProofContext& context, RandomSource& rng,
    size_t extra_bits);

// AliceFinalize's last step, exposed so tests can exercise the range check
// on its own (a Bob whose Πaff-g verifies cannot reach it): decrypts D
// (centered), rejects |α| > 2^(ℓ'+ε+1) with "mta: alpha out of range",
// returns α mod q.
absl::StatusOr<Scalar> DecryptAlpha(const PaillierPrivateKey& alice_key,
                                    const BigInt& cap_d);
}  // namespace internal

}  // namespace nitro_tss::mpc::mta

#endif  // NITRO_TSS_MPC_MTA_MTA_H_
