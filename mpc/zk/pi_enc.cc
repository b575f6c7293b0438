#include "mpc/zk/pi_enc.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/math/montgomery.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/params.h"
#include "mpc/zk/ring_pedersen_table.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr char kPrefix[] = "pi_enc";

Transcript StatementTranscript(const PiEncStatement& st,
                               const ProofContext& ctx) {
  Transcript t = Transcript::ForProof("cggmp21/pi_enc", ctx);
  AppendRangeParameters(t, kEll);
  AppendPaillier(t, "N0", st.paillier);
  AppendRingPedersen(t, st.ring_pedersen);
  t.AppendBigInt("K", st.cap_k);
  return t;
}

BigInt Challenge(const PiEncStatement& st, const ProofContext& ctx,
                 const BigInt& cap_s, const BigInt& cap_a,
                 const BigInt& cap_c) {
  Transcript t = StatementTranscript(st, ctx);
  t.AppendBigInt("S", cap_s);
  t.AppendBigInt("A", cap_a);
  t.AppendBigInt("C", cap_c);
  return ChallengeE(t);
}

}  // namespace

namespace internal {

PiEncProof ProvePiEncUnchecked(const PiEncStatement& st, const PiEncWitness& w,
                               const ProofContext& ctx, RandomSource& rng) {
  const BigInt& n0 = st.paillier.n();
  const BigInt& nhat = st.ring_pedersen.n();
  const size_t nhat_bits = nhat.BitLength();

  BigInt alpha = BigInt::RandomSigned(kEll + kEpsilon, rng);
  BigInt mu = RandomSignedTimes(kEll, nhat, rng);
  // A = (1+N0)^α · r^N0 for a fresh r (the owner's comb when given).
  PaillierEncryption a = FreshEncryption(st.paillier, alpha, w.own_key, rng);
  BigInt& r = a.nonce;
  BigInt gamma = RandomSignedTimes(kEll + kEpsilon, nhat, rng);

  PiEncProof proof;
  proof.cap_s = ProverCommit(st.ring_pedersen, w.verifier_table, w.k, kEll, mu,
                             kEll + nhat_bits);
  proof.cap_a = std::move(a.ciphertext);
  proof.cap_c =
      ProverCommit(st.ring_pedersen, w.verifier_table, alpha, kEll + kEpsilon,
                   gamma, kEll + kEpsilon + nhat_bits);

  BigInt e = Challenge(st, ctx, proof.cap_s, proof.cap_a, proof.cap_c);
  proof.z1 = alpha + e * w.k;
  proof.z2 = BigInt::ModMul(r, Montgomery(n0).PowPublicExponent(w.rho, e), n0);
  proof.z3 = gamma + e * mu;
  if (w.mu_out != nullptr) *w.mu_out = mu;

  alpha.Wipe();
  mu.Wipe();
  r.Wipe();
  gamma.Wipe();
  return proof;
}

}  // namespace internal

absl::StatusOr<PiEncProof> ProvePiEnc(const PiEncStatement& st,
                                      const PiEncWitness& w,
                                      const ProofContext& ctx,
                                      RandomSource& rng) {
  if (w.verifier_table != nullptr) {
    absl::Status s = CheckTable(st.ring_pedersen, *w.verifier_table, kPrefix);
    if (!s.ok()) return s;
  }
  if (w.own_key != nullptr) {
    absl::Status s = CheckOwnKey(st.paillier, *w.own_key, kPrefix, "N0");
    if (!s.ok()) return s;
  }
  if (!InSignedRange(w.k, kEll)) {
    return absl::InvalidArgumentError("pi_enc: witness k out of range");
  }
  if (!CheckUnit(w.rho, st.paillier.n(), kPrefix, "rho", "N0").ok()) {
    return absl::InvalidArgumentError("pi_enc: witness rho not in Z*_N0");
  }
  return internal::ProvePiEncUnchecked(st, w, ctx, rng);
}

absl::Status VerifyPiEnc(const PiEncStatement& st, const PiEncProof& proof,
                         const ProofContext& ctx,
                         const RingPedersenSecret* verifier_secret) {
  const BigInt& n0 = st.paillier.n();
  const BigInt& n0_sq = st.paillier.n_squared();
  const BigInt& nhat = st.ring_pedersen.n();
  if (verifier_secret != nullptr) {
    absl::Status s =
        CheckOwnerSecret(st.ring_pedersen, *verifier_secret, kPrefix);
    if (!s.ok()) return s;
  }
  // Membership and ranges, before any exponentiation.
  for (absl::Status s : {
           CheckUnit(st.cap_k, n0_sq, kPrefix, "K", "{N0^2}"),
           CheckUnit(proof.cap_s, nhat, kPrefix, "S", "{Nhat}"),
           CheckUnit(proof.cap_c, nhat, kPrefix, "C", "{Nhat}"),
           CheckUnit(proof.cap_a, n0_sq, kPrefix, "A", "{N0^2}"),
           CheckUnit(proof.z2, n0, kPrefix, "z2", "{N0}"),
           CheckSignedRange(proof.z1, kEll + kEpsilon, kPrefix, "z1"),
           CheckSignedRangeTimesModulus(proof.z3, kEll + kEpsilon + 1, nhat,
                                        kPrefix, "z3"),
       }) {
    if (!s.ok()) return s;
  }

  BigInt e = Challenge(st, ctx, proof.cap_s, proof.cap_a, proof.cap_c);

  // (1+N0)^z1 · z2^N0 == A · K^e  (mod N0²)
  if (!PaillierEquationHolds(st.paillier, proof.z1, proof.z2, proof.cap_a,
                             st.cap_k, e)) {
    return absl::InvalidArgumentError("pi_enc: paillier equation failed");
  }
  // s^z1 · t^z3 == C · S^e  (mod N̂)
  if (!RingPedersenEquationHolds(st.ring_pedersen, verifier_secret, proof.z1,
                                 proof.z3, proof.cap_c, proof.cap_s, e)) {
    return absl::InvalidArgumentError("pi_enc: ring-pedersen equation failed");
  }
  return absl::OkStatus();
}

v1::PiEncProof PiEncProofToProto(const PiEncProof& proof) {
  v1::PiEncProof p;
  p.set_cap_s(EncodeInteger(proof.cap_s));
  p.set_cap_a(EncodeInteger(proof.cap_a));
  p.set_cap_c(EncodeInteger(proof.cap_c));
  p.set_z1(EncodeInteger(proof.z1));
  p.set_z2(EncodeInteger(proof.z2));
  p.set_z3(EncodeInteger(proof.z3));
  return p;
}

absl::StatusOr<PiEncProof> PiEncProofFromProto(const v1::PiEncProof& p) {
  // The message is flat (bytes fields only).
  PiEncProof out;
  if (absl::Status st = DecodeFlatProof(
          p,
          {
              IntegerField{p.cap_s(), kMaxModulusBytes, "S", &out.cap_s},
              IntegerField{p.cap_a(), kMaxModulusSquaredBytes, "A", &out.cap_a},
              IntegerField{p.cap_c(), kMaxModulusBytes, "C", &out.cap_c},
              IntegerField{p.z1(), BytesForBits(kEll + kEpsilon), "z1",
                           &out.z1},
              IntegerField{p.z2(), kMaxModulusBytes, "z2", &out.z2},
              IntegerField{p.z3(), kMaxMaskedCommitmentBytes, "z3", &out.z3},
          },
          kPrefix);
      !st.ok()) {
    return st;
  }
  return out;
}

}  // namespace nitro_tss::mpc::zk
