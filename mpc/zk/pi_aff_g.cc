#include "mpc/zk/pi_aff_g.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mpc/math/montgomery.h"
#include "mpc/zk/crt.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kPrefix[] = "pi_aff_g";

// A in Z*_{N0²} and w in Z*_{N0}.
absl::Status CheckSharedValues(const PiAffGStatement& st, const BigInt& cap_a,
                               const BigInt& w) {
  if (absl::Status s =
          CheckUnit(cap_a, st.paillier0.n_squared(), kPrefix, "A", "{N0^2}");
      !s.ok()) {
    return s;
  }
  return CheckUnit(w, st.paillier0.n(), kPrefix, "w", "{N0}");
}

// The statement's values of one part and its commitments other than A,
// in the challenge's order.
void AppendPart(Transcript& t, const PiAffGStatement& st, const PiAffGProof& p,
                bool with_base) {
  t.AppendBigInt("D", st.cap_d);
  AppendPoint(t, "X", st.cap_x);
  AppendPoint(t, "Y", st.cap_y);
  if (with_base) AppendPoint(t, "g", st.base);
  t.AppendBigInt("S", p.cap_s);
  t.AppendBigInt("T", p.cap_t);
  AppendPoint(t, "B_x", p.cap_b_x);
  AppendPoint(t, "B_y", p.cap_b_y);
  t.AppendBigInt("E", p.cap_e);
  t.AppendBigInt("F", p.cap_f);
}

// The range parameters and what both parts share (N0, N̂, s, t, C).
void AppendShared(Transcript& t, const PiAffGStatement& st) {
  AppendRangeParameters(t, kEll);
  AppendPaillier(t, "N0", st.paillier0);
  AppendRingPedersen(t, st.ring_pedersen);
  t.AppendBigInt("C", st.cap_c);
}

BigInt Challenge(const PiAffGStatement& st, const ProofContext& ctx,
                 const PiAffGProof& p) {
  Transcript t = Transcript::ForProof("nitro-tss/pi_aff_g_point/v2", ctx);
  AppendShared(t, st);
  AppendPart(t, st, p, /*with_base=*/true);
  t.AppendBigInt("A", p.cap_a);
  return ChallengeE(t);
}

// One D^e factor of a Paillier equation's right side.
struct DTerm {
  const BigInt& cap_d;
  const BigInt& e;
};

// The Paillier equation, for one part or a pair:
//   C^z1 · (1+N0)^z2 · w^N0 == A · Π D_i^e_i  (mod N0²)
// with z1, z2 the parts' sums. Computed whole: by CRT mod p², q² with the
// verifier's key (`own`), else with public exponentiations.
bool N0Equation(const PiAffGStatement& st, const BigInt& z1, const BigInt& z2,
                const BigInt& cap_a, const BigInt& w,
                std::initializer_list<DTerm> terms,
                const PaillierPrivateKey* own) {
  const BigInt& n0 = st.paillier0.n();
  const BigInt& n0_sq = st.paillier0.n_squared();
  BigInt lhs, rhs = cap_a;
  if (own != nullptr) {
    CrtExponentiator crt =
        CrtExponentiator::ForPaillierSquare(own->p(), own->q());
    lhs = BigInt::ModMul(crt.Pow(st.cap_c, z1), NthPower(st.paillier0, w, own),
                         n0_sq);
    for (const DTerm& t : terms) {
      rhs = BigInt::ModMul(rhs, crt.Pow(t.cap_d, t.e), n0_sq);
    }
  } else {
    lhs = BigInt::ModMul(BigInt::PowMod(st.cap_c, z1, n0_sq),
                         BigInt::PowMod(w, n0, n0_sq), n0_sq);
    for (const DTerm& t : terms) {
      rhs = BigInt::ModMul(rhs, BigInt::PowMod(t.cap_d, t.e, n0_sq), n0_sq);
    }
  }
  lhs = BigInt::ModMul(lhs, OnePlusNPow(st.paillier0, z2), n0_sq);
  return lhs == rhs;
}

// The same equation as its two halves (PiAffGVerifierSecrets). The first:
// C^z1 · w^N0 ≡ A · Π D_i^e_i (mod N0), by CRT mod p, q ((1+N0)^z2 ≡ 1),
// each side one product of powers per half (CrtExponentiator::PowProduct:
// one chain of squarings, w^N0 with N0 reduced modulo p − 1 and q − 1);
// a power with a negative exponent (the signs are public) moves to the
// other side with its magnitude. C, D_i, A and w are units (checked
// before), so this is the same equation.
bool N0ResiduesMatch(const PaillierPrivateKey& own, const PiAffGStatement& st,
                     const BigInt& z1, const BigInt& cap_a, const BigInt& w,
                     std::initializer_list<DTerm> terms) {
  CrtExponentiator crt = CrtExponentiator::ForPrimes(own.p(), own.q());
  // Every exponent but N0 is far below the primes' 1024 bits after the
  // range checks that precede this; should one ever not be, the equation
  // is computed power by power (the same decision, never a trap).
  const size_t short_bits =
      std::min(own.p().BitLength(), own.q().BitLength()) - 1;
  bool all_short = z1.BitLength() < short_bits;
  for (const DTerm& t : terms) all_short &= t.e.BitLength() < short_bits;
  if (!all_short) {
    const BigInt& n0 = own.n();
    BigInt lhs = BigInt::ModMul(crt.Pow(st.cap_c, z1), crt.Pow(w, n0), n0);
    BigInt rhs = BigInt::Mod(cap_a, n0);
    for (const DTerm& t : terms) {
      rhs = BigInt::ModMul(rhs, crt.Pow(t.cap_d, t.e), n0);
    }
    return lhs == rhs;
  }
  const BigInt one(1);
  const BigInt z1_magnitude = z1.Abs();
  std::vector<Montgomery::PublicPower> left = {{&w, &own.n()}};
  std::vector<Montgomery::PublicPower> right = {{&cap_a, &one}};
  (z1.IsNegative() ? right : left).push_back({&st.cap_c, &z1_magnitude});
  std::vector<BigInt> magnitudes;
  magnitudes.reserve(terms.size());  // stable addresses below
  for (const DTerm& t : terms) {
    magnitudes.push_back(t.e.Abs());
    (t.e.IsNegative() ? left : right).push_back({&t.cap_d, &magnitudes.back()});
  }
  return crt.PowProduct(left) == crt.PowProduct(right);
}

// The second half: z1·Dec(C) + z2 ≡ Dec(A) + Σ e_i·Dec(D_i) (mod N0), with
// Dec(C) = c_plaintext and the Dec(D_i) passed as the terms' cap_d (in
// [0, N0)). Dec(D_i) are the verifier's secret shares and Dec(C) its secret
// k: reduced in constant time, the comparison's outcome is public. An
// error only if the decryption of A fails (it cannot for a unit).
absl::StatusOr<bool> N0PlaintextsMatch(const PaillierPrivateKey& own,
                                       const BigInt& z1, const BigInt& z2,
                                       const BigInt& cap_a,
                                       const BigInt& c_plaintext,
                                       std::initializer_list<DTerm> dec_terms) {
  absl::StatusOr<BigInt> dec_a = own.Decrypt(cap_a);
  if (!dec_a.ok()) return dec_a.status();
  BigInt diff = z1 * c_plaintext + z2 - *dec_a;
  for (const DTerm& t : dec_terms) diff = diff - t.e * t.cap_d;
  BigInt reduced = BigInt::ModConstTime(diff, own.n());
  const bool match = reduced.IsZero();
  diff.Wipe();
  reduced.Wipe();
  dec_a->Wipe();  // with Dec(D_i) and the public values it gives k
  return match;
}

// The verifier's secrets match the statement (VerifyPiAffG's first checks).
absl::Status CheckSecrets(const PiAffGStatement& st,
                          const PiAffGVerifierSecrets& secrets) {
  if (secrets.paillier != nullptr) {
    absl::Status s =
        CheckOwnKey(st.paillier0, *secrets.paillier, kPrefix, "N0");
    if (!s.ok()) return s;
  }
  if (secrets.ring_pedersen != nullptr) {
    absl::Status s =
        CheckOwnerSecret(st.ring_pedersen, *secrets.ring_pedersen, kPrefix);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// A part's points, units and ranges, in VerifyPiAffG's order; A and w only
// for a single proof (a pair checks its shared A, w after both parts).
absl::Status CheckPartValues(const PiAffGStatement& st, const PiAffGProof& p,
                             bool with_a_and_w) {
  const BigInt& n0_sq = st.paillier0.n_squared();
  const BigInt& nhat = st.ring_pedersen.n();
  for (absl::Status s : {
           CheckNotIdentity(st.base, kPrefix, "g"),
           CheckNotIdentity(st.cap_x, kPrefix, "X"),
           CheckNotIdentity(st.cap_y, kPrefix, "Y"),
           CheckNotIdentity(p.cap_b_x, kPrefix, "B_x"),
           CheckNotIdentity(p.cap_b_y, kPrefix, "B_y"),
           CheckUnit(st.cap_c, n0_sq, kPrefix, "C", "{N0^2}"),
           CheckUnit(st.cap_d, n0_sq, kPrefix, "D", "{N0^2}"),
           CheckUnit(p.cap_s, nhat, kPrefix, "S", "{Nhat}"),
           CheckUnit(p.cap_t, nhat, kPrefix, "T", "{Nhat}"),
           CheckUnit(p.cap_e, nhat, kPrefix, "E", "{Nhat}"),
           CheckUnit(p.cap_f, nhat, kPrefix, "F", "{Nhat}"),
       }) {
    if (!s.ok()) return s;
  }
  if (with_a_and_w) {
    if (absl::Status s = CheckSharedValues(st, p.cap_a, p.w); !s.ok()) {
      return s;
    }
  }
  for (absl::Status s : {
           CheckSignedRange(p.z1, kEll + kEpsilon, kPrefix, "z1"),
           CheckSignedRange(p.z2, kEllPrime + kEpsilon, kPrefix, "z2"),
           CheckSignedRangeTimesModulus(p.z3, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z3"),
           CheckSignedRangeTimesModulus(p.z4, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z4"),
       }) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// A part's group and ring-Pedersen equations for its challenge e.
absl::Status CheckPartEquations(const PiAffGStatement& st, const PiAffGProof& p,
                                const BigInt& e,
                                const RingPedersenSecret* rp_secret) {
  // z1·g == B_x + e·X
  if (absl::Status g =
          CheckGroupEquation(st.base, p.z1, p.cap_b_x, st.cap_x, e, kPrefix);
      !g.ok()) {
    return g;
  }
  // z2·g == B_y + e·Y
  if (!CheckGroupEquation(st.base, p.z2, p.cap_b_y, st.cap_y, e, kPrefix)
           .ok()) {
    return absl::InvalidArgumentError("pi_aff_g: group y equation failed");
  }
  // s^z1 t^z3 == E · S^e,  s^z2 t^z4 == F · T^e  (mod N̂)
  if (!RingPedersenEquationHolds(st.ring_pedersen, rp_secret, p.z1, p.z3,
                                 p.cap_e, p.cap_s, e)) {
    return absl::InvalidArgumentError(
        "pi_aff_g: ring-pedersen x equation failed");
  }
  if (!RingPedersenEquationHolds(st.ring_pedersen, rp_secret, p.z2, p.z4,
                                 p.cap_f, p.cap_t, e)) {
    return absl::InvalidArgumentError(
        "pi_aff_g: ring-pedersen y equation failed");
  }
  return absl::OkStatus();
}

// The Paillier equation (one part, or a pair with z1, z2 the sums and two
// terms): by halves with the key and Dec(C) — `dec_terms` then holds the
// Dec(D_i) in [0, N0) with their e_i — else whole.
absl::StatusOr<bool> PaillierEquationHolds(
    const PiAffGStatement& st, const BigInt& z1, const BigInt& z2,
    const BigInt& cap_a, const BigInt& w, std::initializer_list<DTerm> terms,
    std::initializer_list<DTerm> dec_terms,
    const PiAffGVerifierSecrets& secrets) {
  if (secrets.paillier != nullptr && secrets.c_plaintext != nullptr) {
    const PaillierPrivateKey& own = *secrets.paillier;
    const bool residues_match = N0ResiduesMatch(own, st, z1, cap_a, w, terms);
    absl::StatusOr<bool> plain =
        N0PlaintextsMatch(own, z1, z2, cap_a, *secrets.c_plaintext, dec_terms);
    if (!plain.ok()) return plain.status();
    return residues_match && *plain;
  }
  return N0Equation(st, z1, z2, cap_a, w, terms, secrets.paillier);
}

// Dec(D) in [0, N0) when the Paillier equation is checked by halves.
absl::Status DecryptDForHalves(const PiAffGStatement& st,
                               const PiAffGVerifierSecrets& secrets,
                               BigInt& out) {
  if (secrets.paillier == nullptr || secrets.c_plaintext == nullptr) {
    return absl::OkStatus();
  }
  absl::StatusOr<BigInt> dec = secrets.paillier->Decrypt(st.cap_d);
  if (!dec.ok()) return dec.status();
  out = *std::move(dec);
  return absl::OkStatus();
}

bool SharesVerifierValues(const PiAffGStatement& a, const PiAffGStatement& b) {
  return a.paillier0.n() == b.paillier0.n() && a.cap_c == b.cap_c &&
         a.base == b.base && a.ring_pedersen == b.ring_pedersen;
}

// The prover's per-part randomness (all secret).
struct PartMasks {
  BigInt alpha, beta, gamma, delta, m, mu;
  void Wipe() {
    for (BigInt* v : {&alpha, &beta, &gamma, &delta, &m, &mu}) v->Wipe();
  }
};

PartMasks DrawMasks(const PiAffGStatement& st, RandomSource& rng) {
  const BigInt& nhat = st.ring_pedersen.n();
  PartMasks k;
  k.alpha = BigInt::RandomSigned(kEll + kEpsilon, rng);
  k.beta = BigInt::RandomSigned(kEllPrime + kEpsilon, rng);
  k.gamma = RandomSignedTimes(kEll + kEpsilon, nhat, rng);
  k.delta = RandomSignedTimes(kEll + kEpsilon, nhat, rng);
  k.m = RandomSignedTimes(kEll, nhat, rng);
  k.mu = RandomSignedTimes(kEll, nhat, rng);
  return k;
}

// A part's commitments other than A.
void CommitPart(const PiAffGStatement& st, const PiAffGWitness& w,
                const RingPedersenTable* table, const PartMasks& k,
                PiAffGProof& p) {
  const size_t nhat_bits = st.ring_pedersen.n().BitLength();
  Scalar alpha_mod_q = Scalar::FromBigIntReduce(k.alpha);
  p.cap_b_x = st.base.Mul(alpha_mod_q);
  alpha_mod_q.Wipe();
  Scalar beta_mod_q = Scalar::FromBigIntReduce(k.beta);
  p.cap_b_y = st.base.Mul(beta_mod_q);
  beta_mod_q.Wipe();
  p.cap_e = ProverCommit(st.ring_pedersen, table, k.alpha, kEll + kEpsilon,
                         k.gamma, kEll + kEpsilon + nhat_bits);
  p.cap_s =
      ProverCommit(st.ring_pedersen, table, w.x, kEll, k.m, kEll + nhat_bits);
  p.cap_f = ProverCommit(st.ring_pedersen, table, k.beta, kEllPrime + kEpsilon,
                         k.delta, kEll + kEpsilon + nhat_bits);
  p.cap_t = ProverCommit(st.ring_pedersen, table, w.y, kEllPrime, k.mu,
                         kEll + nhat_bits);
}

void RespondPart(const BigInt& e, const PiAffGWitness& w, const PartMasks& k,
                 PiAffGProof& p) {
  p.z1 = k.alpha + e * w.x;
  p.z2 = k.beta + e * w.y;
  p.z3 = k.gamma + e * k.m;
  p.z4 = k.delta + e * k.mu;
}

// A = C^α (1+N0)^β r^N0 mod N0² for the (summed) masks α, β; returns r.
BigInt CommitPaillier(const PiAffGStatement& st, PaillierNoncePool* pool,
                      const BigInt& alpha, size_t alpha_bits,
                      const BigInt& beta, RandomSource& rng, BigInt& cap_a) {
  // C^α · r^N0 mod N0² (α secret, r a fresh nonce): one simultaneous
  // exponentiation, constant time in α and r (or the pool's r^N0 times
  // PowModSecret(C, α)).
  NonceTimesPower nonce =
      NextNonceTimesPower(st.paillier0, pool, st.cap_c, alpha, alpha_bits, rng);
  cap_a = BigInt::ModMul(nonce.product, OnePlusNPow(st.paillier0, beta),
                         st.paillier0.n_squared());
  nonce.product.Wipe();
  return std::move(nonce.r);
}

// ρ^e mod N0 (ρ a secret nonce, e public: constant time in the base).
BigInt NoncePower(const BigInt& n0, const BigInt& rho, const BigInt& e) {
  return Montgomery(n0).PowPublicExponent(rho, e);
}

absl::Status CheckWitness(const PiAffGStatement& st, const PiAffGWitness& w) {
  if (w.verifier_table != nullptr) {
    absl::Status s = CheckTable(st.ring_pedersen, *w.verifier_table, kPrefix);
    if (!s.ok()) return s;
  }
  if (!InSignedRange(w.x, kEll)) {
    return absl::InvalidArgumentError("pi_aff_g: witness x out of range");
  }
  if (!InSignedRange(w.y, kEllPrime)) {
    return absl::InvalidArgumentError("pi_aff_g: witness y out of range");
  }
  if (!CheckUnit(w.rho, st.paillier0.n(), kPrefix, "rho", "N0").ok()) {
    return absl::InvalidArgumentError("pi_aff_g: witness rho not in Z*_N0");
  }
  // C is raised to the secret α: it must be a unit (cheap gcd).
  if (absl::Status s =
          CheckUnit(st.cap_c, st.paillier0.n_squared(), kPrefix, "C", "{N0^2}");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDlogWitness(st.base, st.cap_x, w.x, kPrefix);
      !s.ok()) {
    return s;
  }
  if (st.cap_y.IsIdentity()) {
    // y ≡ 0 (mod q): no verifier accepts Y at infinity (negligible for a
    // random mask).
    return absl::InvalidArgumentError("pi_aff_g: Y is the point at infinity");
  }
  if (st.base.Mul(Scalar::FromBigIntReduce(w.y)) != st.cap_y) {
    return absl::InvalidArgumentError("pi_aff_g: Y != y·g");
  }
  return absl::OkStatus();
}

}  // namespace

std::pair<BigInt, BigInt> PiAffGPairChallenges(const PiAffGStatement& st1,
                                               const PiAffGProof& p1,
                                               const PiAffGStatement& st2,
                                               const PiAffGProof& p2,
                                               const ProofContext& ctx) {
  Transcript t = Transcript::ForProof("nitro-tss/pi_aff_g_point/pair/v2", ctx);
  AppendShared(t, st1);
  AppendPart(t, st1, p1, /*with_base=*/true);
  AppendPart(t, st2, p2, /*with_base=*/false);
  t.AppendBigInt("A", p1.cap_a);
  BigInt e1 = t.ChallengeSymmetric("e1", Scalar::Order());
  BigInt e2 = t.ChallengeSymmetric("e2", Scalar::Order());
  return {std::move(e1), std::move(e2)};
}

namespace internal {

PiAffGProof ProvePiAffGUnchecked(const PiAffGStatement& st,
                                 const PiAffGWitness& w,
                                 const ProofContext& ctx, RandomSource& rng) {
  PartMasks k = DrawMasks(st, rng);
  PiAffGProof p;
  BigInt r = CommitPaillier(st, w.n0_nonces, k.alpha, kEll + kEpsilon + 1,
                            k.beta, rng, p.cap_a);
  CommitPart(st, w, w.verifier_table, k, p);
  BigInt e = Challenge(st, ctx, p);
  RespondPart(e, w, k, p);
  const BigInt& n0 = st.paillier0.n();
  p.w = BigInt::ModMul(r, NoncePower(n0, w.rho, e), n0);
  k.Wipe();
  r.Wipe();
  return p;
}

PiAffGPairProof ProvePiAffGPairUnchecked(const PiAffGStatement& st1,
                                         const PiAffGWitness& w1,
                                         const PiAffGStatement& st2,
                                         const PiAffGWitness& w2,
                                         const ProofContext& ctx,
                                         RandomSource& rng) {
  PartMasks k1 = DrawMasks(st1, rng);
  PartMasks k2 = DrawMasks(st2, rng);
  PiAffGPairProof out;
  BigInt alpha = k1.alpha + k2.alpha;
  BigInt beta = k1.beta + k2.beta;
  // |α_1 + α_2| < 2^(ℓ+ε+1).
  BigInt r = CommitPaillier(st1, w1.n0_nonces, alpha, kEll + kEpsilon + 2, beta,
                            rng, out.first.cap_a);
  alpha.Wipe();
  beta.Wipe();
  CommitPart(st1, w1, w1.verifier_table, k1, out.first);
  CommitPart(st2, w2, w1.verifier_table, k2, out.second);
  auto [e1, e2] = PiAffGPairChallenges(st1, out.first, st2, out.second, ctx);
  RespondPart(e1, w1, k1, out.first);
  RespondPart(e2, w2, k2, out.second);
  const BigInt& n0 = st1.paillier0.n();
  out.first.w =
      BigInt::ModMul(BigInt::ModMul(r, NoncePower(n0, w1.rho, e1), n0),
                     NoncePower(n0, w2.rho, e2), n0);
  k1.Wipe();
  k2.Wipe();
  r.Wipe();
  return out;
}

}  // namespace internal

absl::StatusOr<PiAffGProof> ProvePiAffG(const PiAffGStatement& st,
                                        const PiAffGWitness& w,
                                        const ProofContext& ctx,
                                        RandomSource& rng) {
  if (absl::Status s = CheckWitness(st, w); !s.ok()) return s;
  return internal::ProvePiAffGUnchecked(st, w, ctx, rng);
}

absl::StatusOr<PiAffGPairProof> ProvePiAffGPair(const PiAffGStatement& st1,
                                                const PiAffGWitness& w1,
                                                const PiAffGStatement& st2,
                                                const PiAffGWitness& w2,
                                                const ProofContext& ctx,
                                                RandomSource& rng) {
  if (!SharesVerifierValues(st1, st2)) {
    return absl::InvalidArgumentError(
        "pi_aff_g pair: statements do not share N0, C, g and the "
        "ring-Pedersen parameters");
  }
  if (absl::Status s = CheckWitness(st1, w1); !s.ok()) return s;
  if (absl::Status s = CheckWitness(st2, w2); !s.ok()) return s;
  return internal::ProvePiAffGPairUnchecked(st1, w1, st2, w2, ctx, rng);
}

absl::Status VerifyPiAffG(const PiAffGStatement& st, const PiAffGProof& p,
                          const ProofContext& ctx,
                          const PiAffGVerifierSecrets& secrets) {
  if (absl::Status s = CheckSecrets(st, secrets); !s.ok()) return s;
  if (absl::Status s = CheckPartValues(st, p, /*with_a_and_w=*/true); !s.ok()) {
    return s;
  }
  const BigInt e = Challenge(st, ctx, p);
  BigInt dec_d;
  if (absl::Status s = DecryptDForHalves(st, secrets, dec_d); !s.ok()) {
    return s;
  }
  absl::StatusOr<bool> holds = PaillierEquationHolds(
      st, p.z1, p.z2, p.cap_a, p.w, {{st.cap_d, e}}, {{dec_d, e}}, secrets);
  absl::Status s =
      !holds.ok() ? holds.status()
      : !*holds   ? absl::InvalidArgumentError("pi_aff_g: N0 equation failed")
                  : CheckPartEquations(st, p, e, secrets.ring_pedersen);
  if (s.ok() && secrets.d_plaintext_out != nullptr &&
      secrets.c_plaintext != nullptr && secrets.paillier != nullptr) {
    *secrets.d_plaintext_out = CenteredPlaintext(dec_d, st.paillier0.n());
  }
  dec_d.Wipe();
  return s;
}

PiAffGPairResult VerifyPiAffGPair(const PiAffGPairEntry& first,
                                  const PiAffGPairEntry& second,
                                  const PiAffGPairProof& proof,
                                  const ProofContext& ctx,
                                  const PiAffGVerifierSecrets& secrets) {
  const PiAffGStatement& st1 = first.statement;
  const PiAffGStatement& st2 = second.statement;
  const PiAffGProof& p1 = proof.first;
  const PiAffGProof& p2 = proof.second;
  auto shared_failure = [](absl::Status s) {
    return PiAffGPairResult{std::move(s), kPiAffGPairShared};
  };
  if (!SharesVerifierValues(st1, st2)) {
    return shared_failure(absl::InvalidArgumentError(
        "pi_aff_g pair: statements do not share N0, C, g and the "
        "ring-Pedersen parameters"));
  }
  if (absl::Status s = CheckSecrets(st1, secrets); !s.ok()) {
    return shared_failure(s);
  }
  if (absl::Status s = CheckPartValues(st1, p1, /*with_a_and_w=*/false);
      !s.ok()) {
    return PiAffGPairResult{s, 0};
  }
  if (absl::Status s = CheckPartValues(st2, p2, /*with_a_and_w=*/false);
      !s.ok()) {
    return PiAffGPairResult{s, 1};
  }
  if (absl::Status s = CheckSharedValues(st1, p1.cap_a, p1.w); !s.ok()) {
    return shared_failure(s);
  }
  const auto [e1, e2] = PiAffGPairChallenges(st1, p1, st2, p2, ctx);
  BigInt dec_d1, dec_d2;
  absl::Status s = DecryptDForHalves(st1, secrets, dec_d1);
  if (s.ok()) s = DecryptDForHalves(st2, secrets, dec_d2);
  PiAffGPairResult result;
  if (!s.ok()) {
    result = shared_failure(s);
  } else {
    absl::StatusOr<bool> holds =
        PaillierEquationHolds(st1, p1.z1 + p2.z1, p1.z2 + p2.z2, p1.cap_a, p1.w,
                              {{st1.cap_d, e1}, {st2.cap_d, e2}},
                              {{dec_d1, e1}, {dec_d2, e2}}, secrets);
    if (!holds.ok()) {
      result = shared_failure(holds.status());
    } else if (!*holds) {
      result = shared_failure(
          absl::InvalidArgumentError("pi_aff_g pair: N0 equation failed"));
    } else if (absl::Status s1 =
                   CheckPartEquations(st1, p1, e1, secrets.ring_pedersen);
               !s1.ok()) {
      result = PiAffGPairResult{s1, 0};
    } else if (absl::Status s2 =
                   CheckPartEquations(st2, p2, e2, secrets.ring_pedersen);
               !s2.ok()) {
      result = PiAffGPairResult{s2, 1};
    }
  }
  if (result.status.ok() && secrets.paillier != nullptr &&
      secrets.c_plaintext != nullptr) {
    const BigInt& n0 = st1.paillier0.n();
    if (first.d_plaintext_out != nullptr) {
      *first.d_plaintext_out = CenteredPlaintext(dec_d1, n0);
    }
    if (second.d_plaintext_out != nullptr) {
      *second.d_plaintext_out = CenteredPlaintext(dec_d2, n0);
    }
  }
  dec_d1.Wipe();
  dec_d2.Wipe();
  return result;
}

v1::PiAffGProof PiAffGProofToProto(const PiAffGProof& p) {
  v1::PiAffGProof out;
  out.set_cap_s(EncodeInteger(p.cap_s));
  out.set_cap_t(EncodeInteger(p.cap_t));
  out.set_cap_a(EncodeInteger(p.cap_a));
  out.set_cap_b_x(EncodePoint(p.cap_b_x));
  out.set_cap_b_y(EncodePoint(p.cap_b_y));
  out.set_cap_e(EncodeInteger(p.cap_e));
  out.set_cap_f(EncodeInteger(p.cap_f));
  out.set_z1(EncodeInteger(p.z1));
  out.set_z2(EncodeInteger(p.z2));
  out.set_z3(EncodeInteger(p.z3));
  out.set_z4(EncodeInteger(p.z4));
  out.set_w(EncodeInteger(p.w));
  return out;
}

v1::PiAffGProof PiAffGPairSecondToProto(const PiAffGProof& second) {
  v1::PiAffGProof out = PiAffGProofToProto(second);
  out.clear_cap_a();
  out.clear_w();
  return out;
}

namespace {

// Decodes every field but A and w (`with_a_and_w`: those too).
absl::StatusOr<PiAffGProof> DecodeProof(const v1::PiAffGProof& in,
                                        bool with_a_and_w) {
  PiAffGProof out;
  // The message is flat (bytes fields only).
  absl::Status st = DecodeFlatProof(
      in,
      {
          IntegerField{in.cap_s(), kMaxModulusBytes, "S", &out.cap_s},
          IntegerField{in.cap_t(), kMaxModulusBytes, "T", &out.cap_t},
          IntegerField{in.cap_e(), kMaxModulusBytes, "E", &out.cap_e},
          IntegerField{in.cap_f(), kMaxModulusBytes, "F", &out.cap_f},
          IntegerField{in.z1(), BytesForBits(kEll + kEpsilon), "z1", &out.z1},
          IntegerField{in.z2(), BytesForBits(kEllPrime + kEpsilon), "z2",
                       &out.z2},
          IntegerField{in.z3(), kMaxMaskedCommitmentBytes, "z3", &out.z3},
          IntegerField{in.z4(), kMaxMaskedCommitmentBytes, "z4", &out.z4},
      },
      kPrefix);
  if (!st.ok()) return st;
  if (with_a_and_w) {
    for (const IntegerField& f : {
             IntegerField{in.cap_a(), kMaxModulusSquaredBytes, "A", &out.cap_a},
             IntegerField{in.w(), kMaxModulusBytes, "w", &out.w},
         }) {
      absl::StatusOr<BigInt> v =
          DecodeInteger(f.bytes, f.max_bytes, kPrefix, f.name);
      if (!v.ok()) return v.status();
      *f.dst = *std::move(v);
    }
  } else if (!in.cap_a().empty() || !in.w().empty()) {
    return absl::InvalidArgumentError(
        "pi_aff_g: A and w must be absent in a pair's second part");
  }
  absl::StatusOr<Point> b_x = DecodePoint(in.cap_b_x(), kPrefix, "B_x");
  if (!b_x.ok()) return b_x.status();
  out.cap_b_x = *std::move(b_x);
  absl::StatusOr<Point> b_y = DecodePoint(in.cap_b_y(), kPrefix, "B_y");
  if (!b_y.ok()) return b_y.status();
  out.cap_b_y = *std::move(b_y);
  return out;
}

}  // namespace

absl::StatusOr<PiAffGProof> PiAffGPairSecondFromProto(
    const v1::PiAffGProof& in) {
  return DecodeProof(in, /*with_a_and_w=*/false);
}

absl::StatusOr<PiAffGProof> PiAffGProofFromProto(const v1::PiAffGProof& in) {
  return DecodeProof(in, /*with_a_and_w=*/true);
}

}  // namespace nitro_tss::mpc::zk
