// Multiplicative-to-additive share conversion (MtA / MtAwc) between Alice
// (holding k) and Bob (holding x), with the CGGMP21 proofs:
//
//   1. Alice:  K = enc_N0(k; ρ)                      (AliceEncrypt, once)
//              per Bob: MtaRequest{K, Πenc against Bob's ring-Pedersen}
//                                                    (AliceRequest)
//   2. Bob:    checks Πenc                           (BobVerifyRequest)
//              y ← ±2^ℓ', D = K^x · enc_N0(y; ρ'), Y = y·g, X = x·g,
//              Πaff-g (point-bound mask) against Alice's ring-Pedersen
//              params;
//              β = −y mod q                          (BobRespond)
//   3. Alice:  checks Πaff-g (and X if she expects a specific point),
//              α = dec(D) centered, |α| <= 2^(ℓ'+ε+1), α mod q
//                                                    (AliceFinalize, or its
//              steps VerifyResponse, AliceDecrypt, AlphaInRange)
//
// Then α + β = k·x (mod q). MtA for k·γ binds X = Γ = γ·G; MtAwc for k·w
// binds X = W = w·G (Alice passes the W she computed from public data as
// `expected_x`). The base point g is G unless a caller needs another.
//
// Sign convention (also on GG20 presign's wire, protos gg20.proto): D
// carries Bob's mask y itself (D = K^x·enc(y)), Y = y·g binds it, and Bob's
// share is β = −y mod q; identification checks shares in the exponent
// against the Y's (no ciphertext under Bob's own key).
//
// GG20 presigning (mpc/gg20/presign_round*.cc) runs every MtA through these
// functions: a Bob answers one Alice's K with both his responses at once
// (BobRespondPair: the MtA for γ and the MtAwc for w proven as one Πaff-g
// pair, VerifyResponses), and its payloads carry the same values (K once
// per party; Πenc, D, Y and the pair's parts per peer) in its own
// messages, so the standalone wire format below (MtaRequestToProto, ...) is
// not what presign sends.
//
// No I/O; randomness is injected. Secrets (k, x, y, nonces) are wiped.
#ifndef NITRO_TSS_MPC_MTA_MTA_H_
#define NITRO_TSS_MPC_MTA_MTA_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/ring_pedersen_table.h"
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
  Point cap_y;   // Y = y·g
  Point cap_x;   // X = x·g
  zk::PiAffGProof aff_g_proof;
};

// Bob's output: the message for Alice and his additive share β = −y mod q;
// y itself (a secret: BigInt wipes itself; drop it when not needed) for
// tests.
struct BobResult {
  MtaResponse response;
  Scalar beta;
  BigInt y;  // |y| <= 2^ℓ' (larger only from the test-only prover)
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
// sessions). `encryption` must be AliceEncrypt's output for this k (a
// mismatch yields a proof Bob rejects). context.prover = Alice, verifier =
// Bob. `mu_out` (optional) receives the randomness μ of the proof's
// S = s^k t^μ (a secret), for a later Πlog-rp on that S (GG20 presign
// round 4, mpc/zk/pi_log_rp.h).
absl::StatusOr<MtaRequest> AliceRequest(
    const PaillierPrivateKey& alice_key, const PaillierEncryption& encryption,
    const Scalar& k, const RingPedersenParams& bob_params,
    const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* bob_table = nullptr, BigInt* mu_out = nullptr);

// Bob's check of Alice's K and Πenc (VerifyPiEnc; `bob_secret` optional
// CRT). A third party judging Bob's complaint makes the same check with no
// secret.
absl::Status BobVerifyRequest(const PaillierPublicKey& alice_key,
                              const RingPedersenParams& bob_params,
                              const RingPedersenSecret* bob_secret,
                              const BigInt& cap_k,
                              const zk::PiEncProof& enc_proof,
                              const ProofContext& context);

// Bob's response to a verified K (validated again: "mta: K ...").
// `alice_table`: optional precomputation for Alice's ring-Pedersen params;
// `alice_nonces`: optional precomputed randomizers under Alice's N0 (two are
// taken per response: ρ of D and r of Πaff-g's A).
// x is Bob's multiplicand (γ or w); X = x·base is bound in the proof.
// context.prover = Bob, verifier = Alice.
absl::StatusOr<BobResult> BobRespond(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x, const Point& base,
    const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* alice_table = nullptr,
    zk::PaillierNoncePool* alice_nonces = nullptr);

// Bob's two responses to the same K (GG20: the MtA for γ_i and the MtAwc
// for w_i), proven together (zk::ProvePiAffGPair: one Paillier commitment
// for both). first.response.aff_g_proof carries the pair's shared A and w;
// second.response.aff_g_proof's are zero (absent on the wire,
// zk::PiAffGPairSecondToProto). Checked with VerifyResponses.
struct BobPairResult {
  BobResult first;
  BobResult second;
};

// BobRespond for x1 and x2 against the same K, context, table and pool
// (three nonces are taken from the pool: ρ of each D and r of the shared
// A). The errors of BobRespond, and the pair prover's.
absl::StatusOr<BobPairResult> BobRespondPair(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x1, const Scalar& x2, const Point& base,
    const ProofContext& context, RandomSource& rng,
    const zk::RingPedersenTable* alice_table = nullptr,
    zk::PaillierNoncePool* alice_nonces = nullptr);

// What a response is checked against: Alice's keys, her K, and the point
// X = x·base that Bob binds (Γ or W in GG20).
struct ResponseStatement {
  const PaillierPublicKey& alice_key;      // N0
  const RingPedersenParams& alice_params;  // Alice's (N̂, s, t)
  const BigInt& cap_k;                     // K under N0
  const Point& base;                       // g
  const Point& cap_x;                      // X
};

// Bob's Πaff-g for (D, Y) against `statement` (context.prover = Bob,
// verifier = Alice): the part of Alice's check that needs no secret. Alice
// passes her secrets for CRT; a third party (a complaint judge, a reveal
// round re-checking what Alice reports) passes none. Errors are Πaff-g's
// ("pi_aff_g: ...").
absl::Status VerifyResponse(
    const ResponseStatement& statement, const BigInt& cap_d, const Point& cap_y,
    const zk::PiAffGProof& proof, const ProofContext& context,
    const zk::PiAffGVerifierSecrets& alice_secrets = {});

// One of a Bob's two responses to the same Alice and K (GG20: the MtA for γ
// and the MtAwc for w), for VerifyResponses: `proof` is its part of the
// pair (the first's carries the shared A and w).
struct ResponseToCheck {
  const BigInt& cap_d;
  const Point& cap_y;  // Y = y·g that Bob binds his mask with
  const zk::PiAffGProof& proof;
  const Point& cap_x;  // X that Bob binds (Γ or W)
  // Dec(D), centered, as PiAffGVerifierSecrets::d_plaintext_out.
  BigInt* d_plaintext_out = nullptr;
};

// Both responses of one Bob against Alice's K, as the pair proof they carry
// (zk::VerifyPiAffGPair, one context): the same decision with Alice's
// secrets (round 2) and without (a complaint judge, GG20's reveal rounds);
// on rejection the error and the part it concerns (`failed`: 0, 1 or
// zk::kPiAffGPairShared).
zk::PiAffGPairResult VerifyResponses(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Point& base, const ResponseToCheck& first,
    const ResponseToCheck& second, const ProofContext& context,
    const zk::PiAffGVerifierSecrets& alice_secrets = {});

// Alice's decryption of D, centered: α = k·x + y over the integers for a
// response whose Πaff-g verified.
absl::StatusOr<BigInt> AliceDecrypt(const PaillierPrivateKey& alice_key,
                                    const BigInt& cap_d);

// |α| <= 2^(ℓ'+ε+1): what a proof-checked Bob can reach is
// |k·x + y| <= 2^(2ℓ+ε) + 2^(ℓ'+ε). Alice rejects anything else (a value
// that wrapped around N0); GG20 presign shows the opening of D to third
// parties, who apply the same bound.
inline constexpr size_t kAlphaBoundBits = zk::kEllPrime + zk::kEpsilon + 1;
bool AlphaInRange(const BigInt& alpha);

// Alice's finalization: verifies Πaff-g (with her Paillier key and, when
// given, her ring-Pedersen secret for CRT), checks X against `expected_x`
// when non-null ("mta: X does not match the expected point"), decrypts D,
// checks |α| <= 2^(ℓ'+ε+1) ("mta: alpha out of range": what a proof-checked
// Bob can reach is |k·x + y| <= 2^(2ℓ+ε) + 2^(ℓ'+ε)), returns α mod q.
absl::StatusOr<AliceResult> AliceFinalize(
    const PaillierPrivateKey& alice_key, const RingPedersenParams& alice_params,
    const RingPedersenSecret* alice_secret, const BigInt& cap_k,
    const MtaResponse& response, const Point& base, const Point* expected_x,
    const ProofContext& context);

// Wire format (strict decoding: "mta: ..." / the proofs' errors).
v1::MtaRequest MtaRequestToProto(const MtaRequest& request);
absl::StatusOr<MtaRequest> MtaRequestFromProto(const v1::MtaRequest& proto);
v1::MtaResponse MtaResponseToProto(const MtaResponse& response);
absl::StatusOr<MtaResponse> MtaResponseFromProto(const v1::MtaResponse& proto);

namespace internal {
// A cheating Bob for adversarial tests only (e.g. GG20's Alpha-Rays test):
// BobRespond with y drawn from ±2^(ℓ'+extra_bits) and Πaff-g made by the
// unchecked prover (same draws from `rng`, in the same order, as
// BobRespond). Alice must reject it (w.h.p. "pi_aff_g: z2 out of range"
// once extra_bits >= ε + 2). Never call it in production code.
absl::StatusOr<BobResult> BobRespondWithOversizedMask(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x, const Point& base,
    const ProofContext& context, RandomSource& rng, size_t extra_bits,
    const zk::RingPedersenTable* alice_table = nullptr,
    zk::PaillierNoncePool* alice_nonces = nullptr);

// Deviations of a cheating Bob's pair (tests only).
struct BobPairCheat {
  // Part i's mask y drawn from ±2^(ℓ'+extra_bits) (Alpha-Rays style):
  // Alice rejects it, w.h.p. "pi_aff_g: z2 out of range" once extra_bits
  // >= ε + 2.
  size_t first_extra_bits = 0;
  size_t second_extra_bits = 0;
  // Part i's D sent as −D (the same plaintext: −1 = (−1)^N0 is an N0-th
  // residue) with the proof made for −D from the nonce of D: the pair's
  // Paillier equation is off by (−1)^e_i, an element of order 2.
  bool negate_first_d = false;
  bool negate_second_d = false;
  // The second part made for x1 (D_2 = K^x1·enc(y_2), x1 its witness) while
  // its statement names X_2 = x2·g: every equation holds but the second
  // part's group x equation ("pi_aff_g: group equation failed").
  bool second_x_from_first = false;
};

// BobRespondPair with `cheat`'s deviations and the pair made by the
// unchecked prover. Never call it in production code.
absl::StatusOr<BobPairResult> BobRespondPairCheating(
    const PaillierPublicKey& alice_key, const RingPedersenParams& alice_params,
    const BigInt& cap_k, const Scalar& x1, const Scalar& x2, const Point& base,
    const ProofContext& context, RandomSource& rng, const BobPairCheat& cheat,
    const zk::RingPedersenTable* alice_table = nullptr,
    zk::PaillierNoncePool* alice_nonces = nullptr);

// AliceFinalize's last step, exposed so tests can exercise the range check
// on its own (a Bob whose Πaff-g verifies cannot reach it): decrypts D
// (centered), rejects |α| > 2^(ℓ'+ε+1) with "mta: alpha out of range",
// returns α mod q.
absl::StatusOr<Scalar> DecryptAlpha(const PaillierPrivateKey& alice_key,
                                    const BigInt& cap_d);
}  // namespace internal

}  // namespace nitro_tss::mpc::mta

#endif  // NITRO_TSS_MPC_MTA_MTA_H_
