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
// The helpers here implement the membership and range checks shared by the
// three proofs (each returns an error with the caller's stable prefix, e.g.
// "pi_enc: z1 out of range"), CRT exponentiation for parties that know a
// modulus' factorization, the provers' fixed-base ring-Pedersen table and a
// pool of precomputed Paillier randomizers.
#ifndef NITRO_TSS_MPC_ZK_ZK_PARAMS_H_
#define NITRO_TSS_MPC_ZK_ZK_PARAMS_H_

#include <gmp.h>

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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
// plaintext range of its witness: ℓ, or ℓ' for Πlog* of an MtA mask), "l'"
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

// Exponentiation modulo m = m1·m2 (gcd(m1, m2) = 1) by the Chinese remainder
// theorem, for a party that knows the factorization: each half uses the
// exponent reduced modulo a multiple `order_i` of the exponent of Z*_{m_i}
// (p - 1 for a prime p, p·(p - 1) for p²). Only valid for bases that are
// units mod m: callers check membership first. Results equal
// BigInt::PowMod(base, exp, m1·m2) for every unit base and integer exp
// (negative exponents included).
//
// Side channels: base, exp and m are public but m1, m2 and the orders are
// secret, and the base may be chosen by a cheating prover. Every operation
// modulo a secret value is constant time (BigInt::PowModConstTime with the
// base reduced inside mpn_sec_powm, BigInt::ModConstTime for the exponent
// reduction and the CRT recombination); the only branches are on the sign
// and bit length of the public exp and on the bit lengths of the orders
// (fixed by the key format). A negative exp inverts the combined (public)
// result modulo the public m. The constructor's m1^-1 mod m2 (mpz_invert) is
// variable time but runs on the owner's factors only, never on an
// attacker-chosen value (same time on every call).
class CrtExponentiator {
 public:
  CrtExponentiator(const BigInt& m1, const BigInt& order1, const BigInt& m2,
                   const BigInt& order2);
  ~CrtExponentiator();
  CrtExponentiator(const CrtExponentiator&) = default;
  CrtExponentiator& operator=(const CrtExponentiator&) = default;

  // For Paillier N² from N = p·q: halves p², q² with orders p(p-1), q(q-1).
  static CrtExponentiator ForPaillierSquare(const BigInt& p, const BigInt& q);
  // For a modulus N = p·q with prime halves (orders p-1, q-1).
  static CrtExponentiator ForPrimes(const BigInt& p, const BigInt& q);

  const BigInt& modulus() const { return m_; }

  // base^exp mod m (public exponent and base). Halves use |exp| as is when
  // it is shorter than order_i, else |exp| mod order_i; a negative exp
  // inverts the result modulo m.
  BigInt Pow(const BigInt& base, const BigInt& exp) const;

 private:
  BigInt Combine(const BigInt& r1, const BigInt& r2) const;
  BigInt m1_, order1_, m2_, order2_, m_;
  BigInt m1_inv_mod_m2_;  // m1^{-1} mod m2
};

// ---- Paillier / ring-Pedersen arithmetic shared by the proofs ----

// (1 + N)^m mod N² = 1 + (m mod N)·N for any integer m (no exponentiation).
BigInt OnePlusNPow(const PaillierPublicKey& key, const BigInt& m);

// r^N mod N² for r ∈ Z*_N: by CRT when `own_key` (the key's owner) is given
// (it must be the private key of `key`), else a plain exponentiation.
BigInt NthPower(const PaillierPublicKey& key, const BigInt& r,
                const PaillierPrivateKey* own_key);

// Whether s^a · t^b == first · second^e (mod N̂). With `owner_secret` (the
// secret of `params`, s = t^λ) the left side is t^(λ·a + b) and both sides
// are computed by CRT mod p̂, q̂; the result is identical. first and second
// must already be known units mod N̂.
bool RingPedersenEquationHolds(const RingPedersenParams& params,
                               const RingPedersenSecret* owner_secret,
                               const BigInt& a, const BigInt& b,
                               const BigInt& first, const BigInt& second,
                               const BigInt& e);

// OK iff `secret` is the secret of `params` (same N̂, s, t);
// else "<prefix>: verifier secret does not match the ring-Pedersen params".
absl::Status CheckOwnerSecret(const RingPedersenParams& params,
                              const RingPedersenSecret& secret,
                              absl::string_view prefix);
// OK iff `own_key` is the private key of `key`;
// else "<prefix>: private key does not match <name>".
absl::Status CheckOwnKey(const PaillierPublicKey& key,
                         const PaillierPrivateKey& own_key,
                         absl::string_view prefix, absl::string_view name);

// Fixed-base precomputation for a prover that commits many times under one
// verifier's ring-Pedersen parameters (GG20: every Πenc / Πaff-g / Πlog*
// towards that verifier). Holds s^(d·16^i) and t^(d·16^i) for every 4-bit
// window i up to 2^(ℓ+ε+|N̂|+2) and digit d (about 3 MB per base for a
// 2048-bit N̂; building it costs about as much as 8 ring-Pedersen
// commitments), then computes s^a t^b with one multiplication per window
// and no squarings. Secret exponents stay constant time: the exponent is
// shifted to a non-negative value of a fixed (public) bit length, each
// window's entry is read with mpn_sec_tabselect (all entries touched) and
// multiplied in Montgomery form with mpn_sec_mul and a masked final
// subtraction (mpn_cnd_add_n). Thread-safe (immutable).
class RingPedersenTable {
 public:
  explicit RingPedersenTable(const RingPedersenParams& params);
  RingPedersenTable(const RingPedersenTable&) = delete;
  RingPedersenTable& operator=(const RingPedersenTable&) = delete;

  const RingPedersenParams& params() const { return params_; }
  // Largest public bound (in bits) Commit accepts for either exponent.
  size_t max_exponent_bits() const { return max_bits_; }

  // s^a · t^b mod N̂ (the same value as params().Commit(a, b)) for
  // |a| <= 2^a_bits and |b| <= 2^b_bits, where the bounds are public and at
  // most max_exponent_bits(). Error "ring_pedersen_table: exponent exceeds
  // its bound" otherwise (callers then fall back to params().Commit).
  absl::StatusOr<BigInt> Commit(const BigInt& a, size_t a_bits, const BigInt& b,
                                size_t b_bits) const;

 private:
  // Scratch buffers of one Commit call (secret contents, wiped after use).
  struct Workspace {
    std::vector<mp_limb_t> t, m, u, selected, scratch;
  };
  // out = a·b·R^-1 mod N̂ (Montgomery product, R = 2^(64·limbs)), constant
  // time; out may alias a.
  void MontgomeryMul(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b,
                     Workspace& ws) const;
  // acc ← acc · base^(e + 2^bits) (Montgomery form) for |e| <= 2^bits.
  void MulPowShifted(const std::vector<mp_limb_t>& table, const BigInt& e,
                     size_t bits, mp_limb_t* acc, Workspace& ws) const;
  // base^(2^bits) as a plain BigInt (public), from the table.
  BigInt PowerOfTwoPower(const std::vector<mp_limb_t>& table,
                         size_t bits) const;

  RingPedersenParams params_;
  size_t limbs_;     // limbs of N̂
  size_t windows_;   // 4-bit windows covered
  size_t max_bits_;  // windows_ * 4 - 2
  // [window][digit][limb], entries in Montgomery form.
  std::vector<mp_limb_t> s_table_, t_table_;
  std::vector<mp_limb_t> modulus_, n_prime_;  // N̂, -N̂^-1 mod R
  BigInt r_inverse_;                          // R^-1 mod N̂
};

// s^a t^b mod N̂ for the prover: with `table` (which must be for `params`)
// when given and the exponents are within their public bounds, else
// params.Commit(a, b). Same value either way.
BigInt ProverCommit(const RingPedersenParams& params,
                    const RingPedersenTable* table, const BigInt& a,
                    size_t a_bits, const BigInt& b, size_t b_bits);

// OK iff `table` was built for `params`; else "<prefix>: ring-Pedersen table
// does not match the verifier's params".
absl::Status CheckTable(const RingPedersenParams& params,
                        const RingPedersenTable& table,
                        absl::string_view prefix);

// A Paillier randomizer r ∈ Z*_N with its N-th power r^N mod N² (the
// expensive part of an encryption under someone else's key). Secret: wipe
// (BigInt does on destruction) and never use one twice.
struct PaillierNonce {
  BigInt r;
  BigInt r_to_n;
};

// Randomizers for encryptions under one (typically a peer's) Paillier key,
// computed ahead of time (e.g. by an idle thread) so a protocol round does
// not pay the full-size N-th powers: Πaff-g's r^N0 and the ρ^N0 of Bob's D.
// Each nonce is handed out once (Take removes it). Thread-safe.
class PaillierNoncePool {
 public:
  explicit PaillierNoncePool(const PaillierPublicKey& key);
  PaillierNoncePool(const PaillierNoncePool&) = delete;
  PaillierNoncePool& operator=(const PaillierNoncePool&) = delete;

  const PaillierPublicKey& key() const { return key_; }
  // Computes `count` fresh nonces (r uniform in Z*_N) outside the lock and
  // adds them.
  void Fill(size_t count, RandomSource& rng);
  // Removes and returns one nonce, or nullopt when the pool is empty.
  std::optional<PaillierNonce> Take();
  size_t size() const;

 private:
  PaillierPublicKey key_;
  mutable std::mutex mu_;
  std::deque<PaillierNonce> nonces_;
};

// r and r^N mod N²: from `pool` when it is for `key` and not empty, else
// freshly sampled and computed (CRT when `own_key` is key's private key).
PaillierNonce NextNonce(const PaillierPublicKey& key, PaillierNoncePool* pool,
                        const PaillierPrivateKey* own_key, RandomSource& rng);

// Absorbs a Paillier modulus / ring-Pedersen parameters into a transcript.
void AppendPaillier(Transcript& transcript, absl::string_view label,
                    const PaillierPublicKey& key);
void AppendRingPedersen(Transcript& transcript,
                        const RingPedersenParams& params);

}  // namespace nitro_tss::mpc::zk

#endif  // NITRO_TSS_MPC_ZK_ZK_PARAMS_H_
