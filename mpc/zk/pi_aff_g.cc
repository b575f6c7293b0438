#include "mpc/zk/pi_aff_g.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/math/montgomery.h"
#include "mpc/zk/crt.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kPrefix[] = "pi_aff_g";

// The range parameters, the statement and the prover's commitments, in the
// challenge's order (also absorbed by the pair combiner, AppendForBatch).
void AppendStatementAndCommitments(Transcript& t, const PiAffGStatement& st,
                                   const PiAffGProof& p) {
  AppendRangeParameters(t, kEll);
  AppendPaillier(t, "N0", st.paillier0);
  AppendRingPedersen(t, st.ring_pedersen);
  t.AppendBigInt("C", st.cap_c);
  t.AppendBigInt("D", st.cap_d);
  AppendPoint(t, "X", st.cap_x);
  AppendPoint(t, "Y", st.cap_y);
  AppendPoint(t, "g", st.base);
  t.AppendBigInt("S", p.cap_s);
  t.AppendBigInt("T", p.cap_t);
  t.AppendBigInt("A", p.cap_a);
  AppendPoint(t, "B_x", p.cap_b_x);
  AppendPoint(t, "B_y", p.cap_b_y);
  t.AppendBigInt("E", p.cap_e);
  t.AppendBigInt("F", p.cap_f);
}

BigInt Challenge(const PiAffGStatement& st, const ProofContext& ctx,
                 const PiAffGProof& p) {
  Transcript t = Transcript::ForProof("nitro-tss/pi_aff_g_point", ctx);
  AppendStatementAndCommitments(t, st, p);
  return ChallengeE(t);
}

// C^z1 · (1+N0)^z2 · w^N0 == A · D^e (mod N0²) computed as such: by CRT
// mod p², q² with the verifier's key (`own`), else with public
// exponentiations.
absl::Status N0Equation(const PiAffGStatement& st, const PiAffGProof& p,
                        const BigInt& e, const PaillierPrivateKey* own) {
  const BigInt& n0 = st.paillier0.n();
  const BigInt& n0_sq = st.paillier0.n_squared();
  BigInt lhs0, rhs0;
  if (own != nullptr) {
    CrtExponentiator crt =
        CrtExponentiator::ForPaillierSquare(own->p(), own->q());
    lhs0 = BigInt::ModMul(crt.Pow(st.cap_c, p.z1),
                          NthPower(st.paillier0, p.w, own), n0_sq);
    rhs0 = BigInt::ModMul(p.cap_a, crt.Pow(st.cap_d, e), n0_sq);
  } else {
    lhs0 = BigInt::ModMul(BigInt::PowMod(st.cap_c, p.z1, n0_sq),
                          BigInt::PowMod(p.w, n0, n0_sq), n0_sq);
    rhs0 = BigInt::ModMul(p.cap_a, BigInt::PowMod(st.cap_d, e, n0_sq), n0_sq);
  }
  lhs0 = BigInt::ModMul(lhs0, OnePlusNPow(st.paillier0, p.z2), n0_sq);
  if (lhs0 != rhs0) {
    return absl::InvalidArgumentError("pi_aff_g: N0 equation failed");
  }
  return absl::OkStatus();
}

// The same equation as its two halves (PiAffGVerifierSecrets). The first:
// C^z1 · w^N0 ≡ A · D^e (mod N0), by CRT mod p, q ((1+N0)^z2 ≡ 1):
// exponents on the 1024-bit halves, the bases reduced inside
// PowModConstTime. C, D, A and w are units (checked before).
bool N0ResiduesMatch(const PaillierPrivateKey& own, const PiAffGStatement& st,
                     const PiAffGProof& p, const BigInt& e) {
  const BigInt& n0 = own.n();
  CrtExponentiator crt = CrtExponentiator::ForPrimes(own.p(), own.q());
  BigInt lhs = BigInt::ModMul(crt.Pow(st.cap_c, p.z1), crt.Pow(p.w, n0), n0);
  BigInt rhs = BigInt::ModMul(p.cap_a, crt.Pow(st.cap_d, e), n0);
  return lhs == rhs;
}

// The second half: z1·Dec(C) + z2 ≡ Dec(A) + e·Dec(D) (mod N0), with
// Dec(C) = c_plaintext and Dec(D) = dec_d (in [0, N0)). Dec(D) is the
// verifier's secret share and Dec(C) its secret k: reduced in constant
// time, the comparison's outcome is public. An error only if the
// decryption of A fails (it cannot for a unit).
absl::StatusOr<bool> N0PlaintextsMatch(const PaillierPrivateKey& own,
                                       const PiAffGProof& p, const BigInt& e,
                                       const BigInt& c_plaintext,
                                       const BigInt& dec_d) {
  absl::StatusOr<BigInt> dec_a = own.Decrypt(p.cap_a);
  if (!dec_a.ok()) return dec_a.status();
  BigInt diff = p.z1 * c_plaintext + p.z2 - *dec_a - e * dec_d;
  BigInt reduced = BigInt::ModConstTime(diff, own.n());
  const bool match = reduced.IsZero();
  diff.Wipe();
  reduced.Wipe();
  dec_a->Wipe();  // with Dec(D) and the public values it gives k
  return match;
}

// What VerifyPiAffG checks, in its order, with its errors. With
// `defer_paillier` the Paillier equation is left to the caller
// (VerifyPiAffGPair checks the two proofs' equations as one);
// everything else is checked here. `e_out` receives the challenge; with the
// key and c_plaintext, `dec_d_out` receives Dec(D) in [0, N0) (a secret:
// the caller wipes it).
absl::Status VerifyCore(const PiAffGStatement& st, const PiAffGProof& p,
                        const ProofContext& ctx,
                        const PiAffGVerifierSecrets& secrets,
                        bool defer_paillier, BigInt& e_out, BigInt& dec_d_out) {
  const BigInt& n0 = st.paillier0.n();
  const BigInt& n0_sq = st.paillier0.n_squared();
  const BigInt& nhat = st.ring_pedersen.n();
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
           CheckUnit(p.cap_a, n0_sq, kPrefix, "A", "{N0^2}"),
           CheckUnit(p.w, n0, kPrefix, "w", "{N0}"),
           CheckSignedRange(p.z1, kEll + kEpsilon, kPrefix, "z1"),
           CheckSignedRange(p.z2, kEllPrime + kEpsilon, kPrefix, "z2"),
           CheckSignedRangeTimesModulus(p.z3, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z3"),
           CheckSignedRangeTimesModulus(p.z4, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z4"),
       }) {
    if (!s.ok()) return s;
  }

  e_out = Challenge(st, ctx, p);
  const BigInt& e = e_out;

  // C^z1 · (1+N0)^z2 · w^N0 == A · D^e  (mod N0²)
  if (secrets.paillier != nullptr && secrets.c_plaintext != nullptr) {
    const PaillierPrivateKey& own = *secrets.paillier;
    absl::StatusOr<BigInt> dec_d = own.Decrypt(st.cap_d);
    if (!dec_d.ok()) return dec_d.status();
    dec_d_out = *std::move(dec_d);
    if (!defer_paillier) {
      const bool residues_match = N0ResiduesMatch(own, st, p, e);
      absl::StatusOr<bool> m =
          N0PlaintextsMatch(own, p, e, *secrets.c_plaintext, dec_d_out);
      if (!m.ok()) return m.status();
      if (!residues_match || !*m) {
        return absl::InvalidArgumentError("pi_aff_g: N0 equation failed");
      }
    }
  } else if (!defer_paillier) {
    if (absl::Status s = N0Equation(st, p, e, secrets.paillier); !s.ok()) {
      return s;
    }
  }

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
  if (!RingPedersenEquationHolds(st.ring_pedersen, secrets.ring_pedersen, p.z1,
                                 p.z3, p.cap_e, p.cap_s, e)) {
    return absl::InvalidArgumentError(
        "pi_aff_g: ring-pedersen x equation failed");
  }
  if (!RingPedersenEquationHolds(st.ring_pedersen, secrets.ring_pedersen, p.z2,
                                 p.z4, p.cap_f, p.cap_t, e)) {
    return absl::InvalidArgumentError(
        "pi_aff_g: ring-pedersen y equation failed");
  }
  return absl::OkStatus();
}

// Everything a proof's Paillier equations depend on, and the proof itself,
// for the pair's combiner.
void AppendForBatch(Transcript& t, const PiAffGStatement& st,
                    const ProofContext& ctx, const PiAffGProof& p) {
  t.AppendProofContext(ctx);
  AppendStatementAndCommitments(t, st, p);
  t.AppendBigInt("z1", p.z1);
  t.AppendBigInt("z2", p.z2);
  t.AppendBigInt("z3", p.z3);
  t.AppendBigInt("z4", p.z4);
  t.AppendBigInt("w", p.w);
}

}  // namespace

BigInt PiAffGPairCombiner(const PiAffGStatement& first_statement,
                          const PiAffGProof& first_proof,
                          const ProofContext& first_context,
                          const PiAffGStatement& second_statement,
                          const PiAffGProof& second_proof,
                          const ProofContext& second_context) {
  Transcript t("nitro-tss/pi_aff_g_point/pair-combiner/v1");
  AppendForBatch(t, first_statement, first_context, first_proof);
  AppendForBatch(t, second_statement, second_context, second_proof);
  return t.ChallengeBelow("c", BigInt::PowerOfTwo(kPiAffGCombinerBits));
}

namespace {

// The pair's values combined with c, shaped as one proof against the first
// statement: the Paillier equation of the first statement checked on these
// is that equation of the first proof times the second proof's to the
// power c (VerifyPiAffGPair). `cap_a` is A·A'^c mod N0² (the plaintext
// half decrypts it; D'^(c·e') is multiplied in by the caller, modulo N0 or
// N0²), the nonce is reduced modulo N0 (x^N mod N² depends on x mod N
// only). Public values and exponents only (variable time).
PiAffGProof CombineResponses(const PiAffGStatement& st2, const PiAffGProof& p1,
                             const PiAffGProof& p2, const BigInt& c) {
  const BigInt& n0 = st2.paillier0.n();
  const BigInt& n0_sq = st2.paillier0.n_squared();
  PiAffGProof out;
  out.z1 = p1.z1 + c * p2.z1;
  out.z2 = p1.z2 + c * p2.z2;
  out.w = BigInt::ModMul(p1.w, BigInt::PowMod(p2.w, c, n0), n0);
  out.cap_a =
      BigInt::ModMul(p1.cap_a, BigInt::PowMod(p2.cap_a, c, n0_sq), n0_sq);
  return out;
}

// z1·k + z2 − Dec(A) − e·Dec(D) + c·(z1'·k + z2' − Dec(A') − e'·Dec(D'))
// ≡ 0 (mod N0), with `combined` from CombineResponses: Dec(A) + c·Dec(A')
// = Dec(A·A'^c) (one decryption). k, Dec(D), Dec(D') secret: the sum is
// reduced in constant time; its being zero is the (public) outcome.
absl::StatusOr<bool> CombinedPlaintextsMatch(
    const PaillierPrivateKey& own, const PiAffGProof& combined,
    const BigInt& e1, const BigInt& dec_d1, const BigInt& e2,
    const BigInt& dec_d2, const BigInt& c, const BigInt& k) {
  absl::StatusOr<BigInt> dec_a = own.Decrypt(combined.cap_a);
  if (!dec_a.ok()) return dec_a.status();
  BigInt diff =
      combined.z1 * k + combined.z2 - *dec_a - e1 * dec_d1 - c * e2 * dec_d2;
  BigInt reduced = BigInt::ModConstTime(diff, own.n());
  const bool match = reduced.IsZero();
  diff.Wipe();
  reduced.Wipe();
  dec_a->Wipe();
  return match;
}

// The pair's Paillier equation as one combined equation
// (VerifyPiAffGPair): by halves with the key and Dec(C) (the residue half
// mod p, q with D'^(c·e') mod N0; the plaintext half with one
// decryption), else as one equation mod N0².
// `dec_d1`, `dec_d2`: Dec(D), Dec(D') (only with the key and Dec(C)).
absl::StatusOr<bool> CombinedPaillierEquationHolds(
    const PiAffGStatement& st1, const PiAffGStatement& st2,
    const PiAffGProof& p1, const PiAffGProof& p2, const BigInt& e1,
    const BigInt& e2, const BigInt& c, const PiAffGVerifierSecrets& secrets,
    const BigInt& dec_d1, const BigInt& dec_d2) {
  PiAffGProof combined = CombineResponses(st2, p1, p2, c);
  const BigInt ce2 = c * e2;
  if (secrets.paillier != nullptr && secrets.c_plaintext != nullptr) {
    const PaillierPrivateKey& own = *secrets.paillier;
    absl::StatusOr<bool> plain = CombinedPlaintextsMatch(
        own, combined, e1, dec_d1, e2, dec_d2, c, *secrets.c_plaintext);
    if (!plain.ok()) return plain.status();
    if (!*plain) return false;
    // A·A'^c·D'^(c·e') mod N0: the residue half's right side, with D'^(c·e')
    // by CRT mod p, q.
    CrtExponentiator crt = CrtExponentiator::ForPrimes(own.p(), own.q());
    combined.cap_a =
        BigInt::ModMul(combined.cap_a, crt.Pow(st2.cap_d, ce2), own.n());
    if (!N0ResiduesMatch(own, st1, combined, e1)) return false;
  } else {
    const BigInt& n0_sq = st1.paillier0.n_squared();
    combined.cap_a = BigInt::ModMul(
        combined.cap_a, BigInt::PowMod(st2.cap_d, ce2, n0_sq), n0_sq);
    if (!N0Equation(st1, combined, e1, secrets.paillier).ok()) return false;
  }
  return true;
}

}  // namespace

namespace internal {

PiAffGProof ProvePiAffGUnchecked(const PiAffGStatement& st,
                                 const PiAffGWitness& w,
                                 const ProofContext& ctx, RandomSource& rng) {
  const BigInt& n0 = st.paillier0.n();
  const BigInt& n0_sq = st.paillier0.n_squared();
  const BigInt& nhat = st.ring_pedersen.n();
  const size_t nhat_bits = nhat.BitLength();

  BigInt alpha = BigInt::RandomSigned(kEll + kEpsilon, rng);
  BigInt beta = BigInt::RandomSigned(kEllPrime + kEpsilon, rng);
  // C^α · r^N0 mod N0² (α secret, r a fresh nonce): one simultaneous
  // exponentiation, constant time in α and r (or the pool's r^N0 times
  // PowModSecret(C, α)).
  NonceTimesPower nonce0 = NextNonceTimesPower(
      st.paillier0, w.n0_nonces, st.cap_c, alpha, kEll + kEpsilon + 1, rng);
  BigInt& r = nonce0.r;
  BigInt gamma = RandomSignedTimes(kEll + kEpsilon, nhat, rng);
  BigInt delta = RandomSignedTimes(kEll + kEpsilon, nhat, rng);
  BigInt m = RandomSignedTimes(kEll, nhat, rng);
  BigInt mu = RandomSignedTimes(kEll, nhat, rng);

  PiAffGProof p;
  // A = C^α · (1+N0)^β · r^N0 mod N0².
  p.cap_a =
      BigInt::ModMul(nonce0.product, OnePlusNPow(st.paillier0, beta), n0_sq);
  Scalar alpha_mod_q = Scalar::FromBigIntReduce(alpha);
  p.cap_b_x = st.base.Mul(alpha_mod_q);
  alpha_mod_q.Wipe();
  Scalar beta_mod_q = Scalar::FromBigIntReduce(beta);
  p.cap_b_y = st.base.Mul(beta_mod_q);
  beta_mod_q.Wipe();
  p.cap_e = ProverCommit(st.ring_pedersen, w.verifier_table, alpha,
                         kEll + kEpsilon, gamma, kEll + kEpsilon + nhat_bits);
  p.cap_s = ProverCommit(st.ring_pedersen, w.verifier_table, w.x, kEll, m,
                         kEll + nhat_bits);
  p.cap_f =
      ProverCommit(st.ring_pedersen, w.verifier_table, beta,
                   kEllPrime + kEpsilon, delta, kEll + kEpsilon + nhat_bits);
  p.cap_t = ProverCommit(st.ring_pedersen, w.verifier_table, w.y, kEllPrime, mu,
                         kEll + nhat_bits);

  BigInt e = Challenge(st, ctx, p);
  p.z1 = alpha + e * w.x;
  p.z2 = beta + e * w.y;
  p.z3 = gamma + e * m;
  p.z4 = delta + e * mu;
  // ρ secret nonce, e public: constant time in the base.
  p.w = BigInt::ModMul(r, Montgomery(n0).PowPublicExponent(w.rho, e), n0);

  for (BigInt* v :
       {&alpha, &beta, &nonce0.r, &nonce0.product, &gamma, &delta, &m, &mu}) {
    v->Wipe();
  }
  return p;
}

}  // namespace internal

absl::StatusOr<PiAffGProof> ProvePiAffG(const PiAffGStatement& st,
                                        const PiAffGWitness& w,
                                        const ProofContext& ctx,
                                        RandomSource& rng) {
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
  return internal::ProvePiAffGUnchecked(st, w, ctx, rng);
}

absl::Status VerifyPiAffG(const PiAffGStatement& st, const PiAffGProof& p,
                          const ProofContext& ctx,
                          const PiAffGVerifierSecrets& secrets) {
  BigInt e, dec_d;
  absl::Status s =
      VerifyCore(st, p, ctx, secrets, /*defer_paillier=*/false, e, dec_d);
  if (s.ok() && secrets.d_plaintext_out != nullptr &&
      secrets.c_plaintext != nullptr && secrets.paillier != nullptr) {
    *secrets.d_plaintext_out = CenteredPlaintext(dec_d, st.paillier0.n());
  }
  dec_d.Wipe();
  return s;
}

PiAffGPairResult VerifyPiAffGPair(const PiAffGPairEntry& first,
                                  const PiAffGPairEntry& second,
                                  const PiAffGVerifierSecrets& secrets) {
  const PiAffGStatement& st1 = first.statement;
  const PiAffGStatement& st2 = second.statement;
  const bool batch =
      st1.paillier0.n() == st2.paillier0.n() && st1.cap_c == st2.cap_c;
  if (batch) {
    const bool with_plaintexts =
        secrets.paillier != nullptr && secrets.c_plaintext != nullptr;
    BigInt e1, e2, dec_d1, dec_d2;
    bool ok = VerifyCore(st1, first.proof, first.context, secrets,
                         /*defer_paillier=*/true, e1, dec_d1)
                  .ok() &&
              VerifyCore(st2, second.proof, second.context, secrets,
                         /*defer_paillier=*/true, e2, dec_d2)
                  .ok();
    if (ok) {
      BigInt c = PiAffGPairCombiner(st1, first.proof, first.context, st2,
                                    second.proof, second.context);
      absl::StatusOr<bool> hold =
          CombinedPaillierEquationHolds(st1, st2, first.proof, second.proof, e1,
                                        e2, c, secrets, dec_d1, dec_d2);
      ok = hold.ok() && *hold;
    }
    if (ok && with_plaintexts) {
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
    if (ok) return PiAffGPairResult{};
    // Fall through: the checks one by one, as VerifyPiAffG, name the
    // failing proof and the reason (a failing combination implies that one
    // of them fails: two holding equations hold combined for every c).
  }
  PiAffGVerifierSecrets s1 = secrets;
  s1.d_plaintext_out = first.d_plaintext_out;
  if (absl::Status s = VerifyPiAffG(st1, first.proof, first.context, s1);
      !s.ok()) {
    return PiAffGPairResult{s, 0};
  }
  PiAffGVerifierSecrets s2 = secrets;
  s2.d_plaintext_out = second.d_plaintext_out;
  if (absl::Status s = VerifyPiAffG(st2, second.proof, second.context, s2);
      !s.ok()) {
    return PiAffGPairResult{s, 1};
  }
  return PiAffGPairResult{};
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

absl::StatusOr<PiAffGProof> PiAffGProofFromProto(const v1::PiAffGProof& in) {
  // The message is flat (bytes fields only).
  PiAffGProof out;
  if (absl::Status st = DecodeFlatProof(
          in,
          {
              IntegerField{in.cap_s(), kMaxModulusBytes, "S", &out.cap_s},
              IntegerField{in.cap_t(), kMaxModulusBytes, "T", &out.cap_t},
              IntegerField{in.cap_a(), kMaxModulusSquaredBytes, "A",
                           &out.cap_a},
              IntegerField{in.cap_e(), kMaxModulusBytes, "E", &out.cap_e},
              IntegerField{in.cap_f(), kMaxModulusBytes, "F", &out.cap_f},
              IntegerField{in.z1(), BytesForBits(kEll + kEpsilon), "z1",
                           &out.z1},
              IntegerField{in.z2(), BytesForBits(kEllPrime + kEpsilon), "z2",
                           &out.z2},
              IntegerField{in.z3(), kMaxMaskedCommitmentBytes, "z3", &out.z3},
              IntegerField{in.z4(), kMaxMaskedCommitmentBytes, "z4", &out.z4},
              IntegerField{in.w(), kMaxModulusBytes, "w", &out.w},
          },
          kPrefix);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<Point> b_x = DecodePoint(in.cap_b_x(), kPrefix, "B_x");
  if (!b_x.ok()) return b_x.status();
  out.cap_b_x = *std::move(b_x);
  absl::StatusOr<Point> b_y = DecodePoint(in.cap_b_y(), kPrefix, "B_y");
  if (!b_y.ok()) return b_y.status();
  out.cap_b_y = *std::move(b_y);
  return out;
}

}  // namespace nitro_tss::mpc::zk
