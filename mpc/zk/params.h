// Parameters and shared helpers of the MtA zero-knowledge proofs
// (CGGMP21: Canetti, Gennaro, Goldfeder, Makriyannis, Peled, "UC
// Non-Interactive, Proactive, Threshold ECDSA with Identifiable Aborts",
// ePrint 2021/060; Πenc = Fig. 14, Πaff-g = Fig. 15, Πlog* = Fig. 25).
//
// The constants are the paper's parameter choice for the presigning proofs,
// instantiated for secp256k1 (ℓ = |q|, ℓ' = 5ℓ, ε = 2ℓ, Paillier and
// ring-Pedersen moduli of at least 8ℓ = 2048 bits; the same values as the
// authors' proof-of-concept and other CGGMP21 implementations):
//   kEll       ℓ  = 256   plaintext range of k, x (in ±2^ℓ)
//   kEllPrime  ℓ' = 1280  range of the additive mask y of Πaff-g (±2^ℓ')
//   kEpsilon   ε  = 512   slack: masks α ∈ ±2^(ℓ+ε), β ∈ ±2^(ℓ'+ε)
// and the challenge e ∈ ±q with q the secp256k1 group order.
//
//
// This header holds those constants and the checks and codecs every proof
// shares: the membership and range checks (each returns an error with the
// caller's stable prefix, e.g. "pi_enc: z1 out of range"), the strict
// decoders of bounded integers and points, and the transcript helpers that
// bind the constants and public parameters. The prover/verifier arithmetic
// lives next to it: crt.h (CrtExponentiator), ring_pedersen_table.h
// (RingPedersenTable, ProverCommit, RingPedersenEquationHolds) and
// nonce_pool.h (PaillierNonce, PaillierNoncePool, NthPower, OnePlusNPow).
#ifndef NITRO_TSS_MPC_ZK_PARAMS_H_
#define NITRO_TSS_MPC_ZK_PARAMS_H_

#include <cstddef>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"

namespace nitro_tss::mpc::zk {

inline constexpr size_t kEll = 256;        // ℓ  (= |q|)
inline constexpr size_t kEllPrime = 1280;  // ℓ' (= 5ℓ)
inline constexpr size_t kEpsilon = 512;    // ε  (= 2ℓ)

// Size of every Paillier N and ring-Pedersen N̂ (exactly
// kPaillierModulusBits = 2048 bits, checked by PaillierPublicKey and
// RingPedersenParams; the paper needs N > 2^(8ℓ)). Decoders bound elements
// by it: Z_N / Z_N̂ elements by kMaxModulusBytes, Z_{N²} by twice that.
inline constexpr size_t kMaxModulusBits = kPaillierModulusBits;
static_assert(kMaxModulusBits >= 8 * kEll, "CGGMP21 needs N > 2^(8l)");
inline constexpr size_t kMaxModulusBytes = kMaxModulusBits / 8;
// Elements of Z_{N^2}.
inline constexpr size_t kMaxModulusSquaredBytes = 2 * kMaxModulusBytes;

// Number of bytes of the magnitude of any integer in ±2^bits.
constexpr size_t BytesForBits(size_t bits) { return bits / 8 + 1; }
// Magnitude bytes of the ring-Pedersen masks ±2^(ℓ+ε+1)·N̂ (the bound the
// verifier applies to z3/z4, see CheckSignedRangeTimesModulus below).
inline constexpr size_t kMaxMaskedCommitmentBytes =
    BytesForBits(kEll + kEpsilon + 1 + kMaxModulusBits);

// |v| <= 2^bits (CGGMP21's "v ∈ ±2^bits", both ends inclusive).
bool InSignedRange(const BigInt& v, size_t bits);

// OK iff |v| <= 2^bits; otherwise "<prefix>: <name> out of range".
absl::Status CheckSignedRange(const BigInt& v, size_t bits,
                              absl::string_view prefix, absl::string_view name);

// OK iff |v| <= 2^bits · modulus; otherwise "<prefix>: <name> out of range".
// Used for the ring-Pedersen randomness responses (z3, z4): the paper does
// not range-check them, but an honest response always satisfies
// |γ + e·μ| <= 2^(ℓ+ε)·N̂ + q·2^ℓ·N̂ <= 2^(ℓ+ε+1)·N̂, so the verifier rejects
// oversized values before exponentiating with them.
absl::Status CheckSignedRangeTimesModulus(const BigInt& v, size_t bits,
                                          const BigInt& modulus,
                                          absl::string_view prefix,
                                          absl::string_view name);

// OK iff 0 < v < modulus and gcd(v, modulus) = 1, i.e. v ∈ Z*_modulus.
// Errors: "<prefix>: <name> not in Z*_<modulus_name> (<reason>)" with reason
// "zero", "negative", "not below modulus" or "gcd with modulus != 1". For
// ciphertexts pass the Paillier N² as modulus (gcd(c, N²) = 1 iff
// gcd(c, N) = 1).
absl::Status CheckUnit(const BigInt& v, const BigInt& modulus,
                       absl::string_view prefix, absl::string_view name,
                       absl::string_view modulus_name);

// OK iff `point` is not the identity (decoded points are always on the
// curve); otherwise "<prefix>: <name> is the point at infinity".
absl::Status CheckNotIdentity(const Point& point, absl::string_view prefix,
                              absl::string_view name);

// Uniform in ±2^bits·modulus (both ends inclusive): CGGMP21's masks
// μ ← ±2^ℓ·N̂, γ ← ±2^(ℓ+ε)·N̂.
BigInt RandomSignedTimes(size_t bits, const BigInt& modulus, RandomSource& rng);

// Absorbs the range parameters a proof's soundness depends on: "L" (the
// plaintext range of its witness: ℓ), "l'"
// and "eps" (ℓ', ε). Every MtA proof calls it first, so a proof made under
// other constants never verifies.
void AppendRangeParameters(Transcript& transcript, size_t ell);

// The Fiat–Shamir challenge e ∈ ±q (q = secp256k1 order), squeezed after the
// statement and first message have been absorbed.
BigInt ChallengeE(Transcript& transcript);

// Appends a point in its canonical compressed encoding (33 zero bytes for
// the identity, which no valid proof contains).
void AppendPoint(Transcript& transcript, absl::string_view label,
                 const Point& point);

// Reads a required canonical signed integer from a protobuf bytes field.
// Errors: "<prefix>: missing <name>", "<prefix>: <name>: <decoder error>".
absl::StatusOr<BigInt> DecodeInteger(const std::string& bytes, size_t max_bytes,
                                     absl::string_view prefix,
                                     absl::string_view name);
// Reads a required 33-byte compressed point.
absl::StatusOr<Point> DecodePoint(const std::string& bytes,
                                  absl::string_view prefix,
                                  absl::string_view name);
// One bytes field of a flat proof message to decode as an integer.
struct IntegerField {
  const std::string& bytes;
  size_t max_bytes;
  const char* name;
  BigInt* dst;
};
// Strict decoding shared by the flat proof messages (bytes fields only):
// rejects unknown fields ("<prefix>: unknown fields present"), then decodes
// every field in order with DecodeInteger (first error wins).
absl::Status DecodeFlatProof(const google::protobuf::Message& message,
                             std::initializer_list<IntegerField> fields,
                             absl::string_view prefix);

// Prover-side check of a discrete-log witness: g and X not the identity
// ("<prefix>: g or X is the point at infinity") and X = x·g with x reduced
// mod q ("<prefix>: X != x*g"). The reduced copy of x is wiped.
absl::Status CheckDlogWitness(const Point& g, const Point& cap_x,
                              const BigInt& x, absl::string_view prefix);

// The Σ-protocol group equation z1·g == Y + e·X; otherwise
// "<prefix>: group equation failed".
absl::Status CheckGroupEquation(const Point& g, const BigInt& z1,
                                const Point& cap_y, const Point& cap_x,
                                const BigInt& e, absl::string_view prefix);

// Writes an integer / point for a protobuf bytes field.
std::string EncodeInteger(const BigInt& v);
std::string EncodePoint(const Point& p);

// Absorbs a Paillier modulus / ring-Pedersen parameters into a transcript.
void AppendPaillier(Transcript& transcript, absl::string_view label,
                    const PaillierPublicKey& key);
void AppendRingPedersen(Transcript& transcript,
                        const RingPedersenParams& params);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_PARAMS_H_
