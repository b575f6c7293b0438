#include "mpc/zk/pi_mod.h"

#include <gmp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/curve/codec.h"
#include "mpc/paillier/paillier.h"
#include "mpc/paillier/wire.h"

namespace nitro_tss::mpc::zk {
namespace {

constexpr size_t kMaxIntBytes = kPaillierModulusBits / 8;

absl::Status Fail(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("pi_mod: ", what));
}

// The transcript after absorbing the statement and w; y challenges follow.
Transcript StartTranscript(const BigInt& n, const BigInt& w,
                           const ProofContext& ctx) {
  Transcript t = Transcript::ForProof("pi_mod", ctx);
  t.AppendU64("repetitions", kPiModRepetitions);
  t.AppendBigInt("N", n);
  t.AppendBigInt("w", w);
  return t;
}

// y_0 .. y_{m-1}, each a separate draw in Z*_N.
std::vector<BigInt> Challenges(Transcript& t, const BigInt& n) {
  std::vector<BigInt> ys;
  ys.reserve(kPiModRepetitions);
  for (size_t i = 0; i < kPiModRepetitions; ++i) {
    for (;;) {
      BigInt y = t.ChallengeBelow(absl::StrCat("y/", i), n);
      if (wire::IsUnitMod(y, n)) {
        ys.push_back(std::move(y));
        break;
      }
    }
  }
  return ys;
}

bool IsQrModPrime(const BigInt& v, const BigInt& p) {
  return BigInt::Jacobi(BigInt::Mod(v, p), p) == 1;
}

// x mod p·q from x mod p and x mod q.
BigInt Crt(const BigInt& xp, const BigInt& xq, const BigInt& p, const BigInt& q,
           const BigInt& q_inv_p) {
  BigInt h = BigInt::ModConstTime((xp - xq) * q_inv_p, p);
  return xq + q * h;
}

absl::StatusOr<PiModProof> ProveImpl(const BigInt& n, const BigInt& p,
                                     const BigInt& q, const ProofContext& ctx,
                                     RandomSource& rng) {
  if (p * q != n || p == q || p <= BigInt(2) || q <= BigInt(2)) {
    return Fail("witness does not factor N");
  }
  const BigInt one(1);
  const BigInt pm1 = p - one, qm1 = q - one;
  const BigInt phi = pm1 * qm1;
  absl::StatusOr<BigInt> n_inv = BigInt::ModInverse(n, phi);
  if (!n_inv.ok()) return Fail("witness: gcd(N, phi(N)) != 1");
  absl::StatusOr<BigInt> q_inv_p = BigInt::ModInverse(q, p);
  if (!q_inv_p.ok()) return Fail("witness: p, q not coprime");
  // Fourth-root exponents: ((p+1)/4)^2 mod (p-1) (valid for p ≡ 3 mod 4).
  const BigInt root_p =
      BigInt::Mod((p + one).ShiftRight(2) * (p + one).ShiftRight(2), pm1);
  const BigInt root_q =
      BigInt::Mod((q + one).ShiftRight(2) * (q + one).ShiftRight(2), qm1);
  const BigInt n_inv_p = BigInt::Mod(*n_inv, pm1);
  const BigInt n_inv_q = BigInt::Mod(*n_inv, qm1);

  PiModProof proof;
  do {
    proof.w = BigInt::RandomUnit(n, rng);
  } while (BigInt::Jacobi(proof.w, n) != -1);
  Transcript t = StartTranscript(n, proof.w, ctx);
  std::vector<BigInt> ys = Challenges(t, n);
  proof.repetitions.reserve(ys.size());
  const BigInt minus_one = n - one;
  for (const BigInt& y : ys) {
    PiModRepetition rep;
    BigInt y_prime = y;
    bool found = false;
    for (int ab = 0; ab < 4 && !found; ++ab) {
      bool a = (ab & 1) != 0, b = (ab & 2) != 0;
      BigInt candidate = y;
      if (a) candidate = BigInt::ModMul(candidate, minus_one, n);
      if (b) candidate = BigInt::ModMul(candidate, proof.w, n);
      if (IsQrModPrime(candidate, p) && IsQrModPrime(candidate, q)) {
        rep.a = a;
        rep.b = b;
        y_prime = std::move(candidate);
        found = true;
      }
    }
    // A non-Blum witness may have no valid (a, b); the unchecked prover
    // then proceeds with (0, 0) and the verifier rejects.
    // Secret moduli and exponents: constant time, bases reduced inside.
    BigInt xp = BigInt::PowModConstTime(y_prime, root_p, p, p.BitLength());
    BigInt xq = BigInt::PowModConstTime(y_prime, root_q, q, q.BitLength());
    rep.x = Crt(xp, xq, p, q, *q_inv_p);
    BigInt zp = BigInt::PowModConstTime(y, n_inv_p, p, p.BitLength());
    BigInt zq = BigInt::PowModConstTime(y, n_inv_q, q, q.BitLength());
    rep.z = Crt(zp, zq, p, q, *q_inv_p);
    proof.repetitions.push_back(std::move(rep));
  }
  return proof;
}

}  // namespace

absl::StatusOr<PiModProof> ProvePiMod(const PiModStatement& statement,
                                      const PiModWitness& witness,
                                      const ProofContext& ctx,
                                      RandomSource& rng) {
  if (witness.p.ToU64() % 4 != 3 || witness.q.ToU64() % 4 != 3 ||
      witness.p.IsNegative() || witness.q.IsNegative()) {
    return Fail("witness: a factor is not congruent to 3 mod 4");
  }
  return ProveImpl(statement.n, witness.p, witness.q, ctx, rng);
}

namespace internal {

absl::StatusOr<PiModProof> ProvePiModUnchecked(const PiModStatement& statement,
                                               const PiModWitness& witness,
                                               const ProofContext& ctx,
                                               RandomSource& rng) {
  return ProveImpl(statement.n, witness.p, witness.q, ctx, rng);
}

}  // namespace internal

absl::Status VerifyPiMod(const PiModStatement& statement,
                         const PiModProof& proof, const ProofContext& ctx) {
  const BigInt& n = statement.n;
  if (n.Sign() <= 0 || n.BitLength() != kPaillierModulusBits) {
    return Fail(absl::StrCat("N has ", n.BitLength(),
                             " bits, expected exactly ", kPaillierModulusBits));
  }
  if (!n.IsOdd()) return Fail("N is even");
  // mpz_probab_prime_p never reports a prime as composite, so one round
  // (plus GMP's Baillie–PSW) suffices to reject every prime N.
  if (mpz_probab_prime_p(n.get(), 1) != 0) return Fail("N is prime");
  // A prime power p^k has no square-free Blum structure; reject it by name
  // rather than relying on the z^N = y repetitions to fail.
  if (mpz_perfect_power_p(n.get()) != 0) return Fail("N is a perfect power");
  if (!wire::IsUnitMod(proof.w, n)) return Fail("w not in Z*_N");
  if (BigInt::Jacobi(proof.w, n) != -1) {
    return Fail("w Jacobi symbol is not -1");
  }
  if (proof.repetitions.size() != kPiModRepetitions) {
    return Fail(absl::StrCat("expected ", kPiModRepetitions,
                             " repetitions, got ", proof.repetitions.size()));
  }
  for (size_t i = 0; i < proof.repetitions.size(); ++i) {
    const PiModRepetition& rep = proof.repetitions[i];
    if (rep.x.Sign() <= 0 || rep.x >= n) {
      return Fail(absl::StrCat("x[", i, "] out of range (0, N)"));
    }
    if (rep.z.Sign() <= 0 || rep.z >= n) {
      return Fail(absl::StrCat("z[", i, "] out of range (0, N)"));
    }
  }
  Transcript t = StartTranscript(n, proof.w, ctx);
  std::vector<BigInt> ys = Challenges(t, n);
  const BigInt minus_one = n - BigInt(1);
  for (size_t i = 0; i < ys.size(); ++i) {
    const PiModRepetition& rep = proof.repetitions[i];
    if (BigInt::PowMod(rep.z, n, n) != ys[i]) {
      return Fail(absl::StrCat("z[", i, "]^N != y[", i, "] mod N"));
    }
    BigInt rhs = ys[i];
    if (rep.a) rhs = BigInt::ModMul(rhs, minus_one, n);
    if (rep.b) rhs = BigInt::ModMul(rhs, proof.w, n);
    BigInt x2 = BigInt::ModMul(rep.x, rep.x, n);
    if (BigInt::ModMul(x2, x2, n) != rhs) {
      return Fail(absl::StrCat("x[", i, "]^4 != (-1)^a w^b y[", i, "] mod N"));
    }
  }
  return absl::OkStatus();
}

v1::PiModProof PiModProofToProto(const PiModProof& proof) {
  v1::PiModProof out;
  out.set_w(wire::EncodeInt(proof.w));
  for (const PiModRepetition& rep : proof.repetitions) {
    v1::PiModRepetition* r = out.add_repetitions();
    r->set_x(wire::EncodeInt(rep.x));
    r->set_a(rep.a);
    r->set_b(rep.b);
    r->set_z(wire::EncodeInt(rep.z));
  }
  return out;
}

absl::StatusOr<PiModProof> PiModProofFromProto(const v1::PiModProof& proto) {
  if (absl::Status st = RejectUnknownFields(proto, "pi_mod"); !st.ok()) {
    return st;
  }
  if (static_cast<size_t>(proto.repetitions_size()) != kPiModRepetitions) {
    return Fail(absl::StrCat("expected ", kPiModRepetitions,
                             " repetitions, got ", proto.repetitions_size()));
  }
  PiModProof proof;
  absl::StatusOr<BigInt> w =
      wire::DecodeInt("pi_mod", "w", proto.w(), kMaxIntBytes);
  if (!w.ok()) return w.status();
  proof.w = *std::move(w);
  proof.repetitions.reserve(kPiModRepetitions);
  for (int i = 0; i < proto.repetitions_size(); ++i) {
    const v1::PiModRepetition& r = proto.repetitions(i);
    PiModRepetition rep;
    absl::StatusOr<BigInt> x = wire::DecodeInt(
        "pi_mod", absl::StrCat("x[", i, "]"), r.x(), kMaxIntBytes);
    if (!x.ok()) return x.status();
    absl::StatusOr<BigInt> z = wire::DecodeInt(
        "pi_mod", absl::StrCat("z[", i, "]"), r.z(), kMaxIntBytes);
    if (!z.ok()) return z.status();
    rep.x = *std::move(x);
    rep.z = *std::move(z);
    rep.a = r.a();
    rep.b = r.b();
    proof.repetitions.push_back(std::move(rep));
  }
  return proof;
}

}  // namespace nitro_tss::mpc::zk
