#include "mpc/paillier/paillier.h"

#include <gmp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/math/montgomery.h"
#include "mpc/paillier/fixed_base.h"
#include "mpc/primes/safe_prime.h"

namespace nitro_tss::mpc {
namespace {

constexpr int kKeyPrimalityRounds = 20;

// (x - 1) / d for x ≡ 1 (mod d).
BigInt LFunction(const BigInt& x, const BigInt& d) {
  return BigInt::FloorDiv(x - BigInt(1), d);
}

}  // namespace

// ---------------------------------------------------------------------------
// Public key

PaillierPublicKey::PaillierPublicKey(BigInt n, BigInt n_squared)
    : n_(std::move(n)), n_squared_(std::move(n_squared)) {}

absl::StatusOr<PaillierPublicKey> PaillierPublicKey::FromModulus(
    const BigInt& n) {
  if (n.Sign() <= 0) {
    return absl::InvalidArgumentError("paillier: modulus not positive");
  }
  if (n.BitLength() != kPaillierModulusBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("paillier: modulus has ", n.BitLength(),
                     " bits, expected exactly ", kPaillierModulusBits));
  }
  if (!n.IsOdd()) {
    return absl::InvalidArgumentError("paillier: modulus is even");
  }
  if (mpz_perfect_square_p(n.get()) != 0) {
    return absl::InvalidArgumentError("paillier: modulus is a perfect square");
  }
  BigInt n_squared = n * n;
  return PaillierPublicKey(n, std::move(n_squared));
}

absl::Status PaillierPublicKey::ValidateCiphertextRange(const BigInt& c) const {
  if (c.Sign() <= 0) {
    return absl::InvalidArgumentError("paillier: ciphertext not positive");
  }
  if (c >= n_squared_) {
    return absl::InvalidArgumentError("paillier: ciphertext >= N^2");
  }
  return absl::OkStatus();
}

absl::Status PaillierPublicKey::ValidateCiphertext(const BigInt& c) const {
  if (absl::Status s = ValidateCiphertextRange(c); !s.ok()) return s;
  if (BigInt::Gcd(c, n_) != BigInt(1)) {
    return absl::InvalidArgumentError(
        "paillier: ciphertext not a unit (gcd(c, N) != 1)");
  }
  return absl::OkStatus();
}

absl::Status PaillierPublicKey::ValidatePlaintext(const BigInt& m) const {
  // -N/2 < m  <=>  2m > -N.
  if (m.ShiftLeft(1) <= -n_ || m >= n_) {
    return absl::InvalidArgumentError(
        "paillier: plaintext out of range (-N/2, N)");
  }
  return absl::OkStatus();
}

absl::Status PaillierPublicKey::ValidateNonce(const BigInt& r) const {
  if (r.Sign() <= 0 || r >= n_) {
    return absl::InvalidArgumentError("paillier: nonce not in (0, N)");
  }
  if (BigInt::Gcd(r, n_) != BigInt(1)) {
    return absl::InvalidArgumentError("paillier: nonce not a unit mod N");
  }
  return absl::OkStatus();
}

absl::StatusOr<PaillierEncryption> PaillierPublicKey::Encrypt(
    const BigInt& m, RandomSource& rng) const {
  BigInt r = BigInt::RandomUnit(n_, rng);
  absl::StatusOr<BigInt> c = EncryptWithNonce(m, r);
  if (!c.ok()) return c.status();
  return PaillierEncryption{*std::move(c), std::move(r)};
}

absl::StatusOr<BigInt> PaillierPublicKey::EncryptWithNonce(
    const BigInt& m, const BigInt& r) const {
  if (absl::Status s = ValidatePlaintext(m); !s.ok()) return s;
  if (absl::Status s = ValidateNonce(r); !s.ok()) return s;
  // (1 + N)^m = 1 + (m mod N)·N (mod N²).
  BigInt gm = BigInt(1) + BigInt::Mod(m, n_) * n_;
  // The exponent N is public but the base r is a secret nonce: constant
  // time in r (schedule from the public N).
  BigInt rn = Montgomery(n_squared_).PowPublicExponent(r, n_);
  return BigInt::ModMul(gm, rn, n_squared_);
}

absl::StatusOr<BigInt> PaillierPublicKey::Add(const BigInt& c1,
                                              const BigInt& c2) const {
  if (absl::Status s = ValidateCiphertext(c1); !s.ok()) return s;
  if (absl::Status s = ValidateCiphertext(c2); !s.ok()) return s;
  return BigInt::ModMul(c1, c2, n_squared_);
}

absl::StatusOr<BigInt> PaillierPublicKey::MulScalar(const BigInt& c,
                                                    const BigInt& k) const {
  if (absl::Status s = ValidateCiphertext(c); !s.ok()) return s;
  if (!k.IsNegative()) {
    // The sign of k is public here (MtA's shares are never negative).
    return BigInt::PowModConstTime(c, k, n_squared_,
                                   mpz_size(k.get()) * GMP_NUMB_BITS);
  }
  return BigInt::PowModSecret(c, k, n_squared_);
}

v1::PaillierPublicKey PaillierPublicKey::ToProto() const {
  v1::PaillierPublicKey out;
  std::vector<uint8_t> n = n_.ToSignedBytes();
  out.set_n(std::string(n.begin(), n.end()));
  return out;
}

absl::StatusOr<PaillierPublicKey> PaillierPublicKey::FromProto(
    const v1::PaillierPublicKey& proto) {
  const std::string& raw = proto.n();
  absl::StatusOr<BigInt> n = BigInt::FromSignedBytes(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()),
                                raw.size()),
      kPaillierModulusBits / 8);
  if (!n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("paillier: public key field n: ", n.status().message()));
  }
  return FromModulus(*n);
}

// ---------------------------------------------------------------------------
// Private key

struct PaillierPrivateKey::EncryptionTables {
  FixedBaseExp g_p, omega_p, g_q, omega_q;
};

namespace {

// Smallest generator of Z*_p for a safe prime p = 2p'+1: a quadratic
// non-residue other than -1 has order 2p'.
BigInt SafePrimeGenerator(const BigInt& p) {
  BigInt g(2);
  const BigInt minus_one = p - BigInt(1);
  while (BigInt::Jacobi(g, p) != -1 || g == minus_one) g = g + BigInt(1);
  return g;
}

}  // namespace

PaillierPrivateKey::PaillierPrivateKey(PaillierPublicKey public_key, BigInt p,
                                       BigInt q)
    : public_key_(std::move(public_key)), p_(std::move(p)), q_(std::move(q)) {
  const BigInt one(1);
  p_minus_1_ = p_ - one;
  q_minus_1_ = q_ - one;
  phi_ = p_minus_1_ * q_minus_1_;
  p_squared_ = p_ * p_;
  q_squared_ = q_ * q_;
  // Inverses exist: p, q distinct primes (checked by FromPrimes).
  hp_ = *BigInt::ModInverse(BigInt::Mod(-q_, p_), p_);
  hq_ = *BigInt::ModInverse(BigInt::Mod(-p_, q_), q_);
  q_inv_p_ = *BigInt::ModInverse(q_, p_);
  q2_inv_p2_ = *BigInt::ModInverse(q_squared_, p_squared_);
  q_mod_pm1_ = BigInt::Mod(q_, p_minus_1_);
  p_mod_qm1_ = BigInt::Mod(p_, q_minus_1_);
  lambda_ = BigInt::Lcm(p_minus_1_, q_minus_1_);
  mu_ = *BigInt::ModInverse(lambda_, public_key_.n());
  const BigInt g_p = SafePrimeGenerator(p_);
  const BigInt g_q = SafePrimeGenerator(q_);
  // The combs hold p, q, p², q² and their Montgomery constants: wiped when
  // freed, and in the locked arena when built inside a LockedScope.
  tables_ = std::allocate_shared<const EncryptionTables>(
      WipingAllocator<EncryptionTables>(),
      EncryptionTables{FixedBaseExp(g_p, p_, kPaillierPrimeBits),
                       FixedBaseExp(BigInt::PowModConstTime(g_p, p_, p_squared_,
                                                            kPaillierPrimeBits),
                                    p_squared_, kPaillierPrimeBits),
                       FixedBaseExp(g_q, q_, kPaillierPrimeBits),
                       FixedBaseExp(BigInt::PowModConstTime(g_q, q_, q_squared_,
                                                            kPaillierPrimeBits),
                                    q_squared_, kPaillierPrimeBits)});
}

absl::StatusOr<PaillierPrivateKey> PaillierPrivateKey::FromPrimes(
    const BigInt& p, const BigInt& q) {
  if (p == q) {
    return absl::InvalidArgumentError("paillier: p == q");
  }
  for (const BigInt* f : {&p, &q}) {
    if (f->Sign() <= 0 || f->BitLength() != kPaillierPrimeBits) {
      return absl::InvalidArgumentError(
          absl::StrCat("paillier: prime factor does not have exactly ",
                       kPaillierPrimeBits, " bits"));
    }
    if (f->ToU64() % 4 != 3) {
      return absl::InvalidArgumentError(
          "paillier: prime factor not congruent to 3 mod 4");
    }
  }
  BigInt n = p * q;
  if (n.BitLength() != kPaillierModulusBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("paillier: modulus has ", n.BitLength(),
                     " bits, expected exactly ", kPaillierModulusBits));
  }
  for (const BigInt* f : {&p, &q}) {
    if (!IsSafePrime(*f, kKeyPrimalityRounds)) {
      return absl::InvalidArgumentError(
          "paillier: prime factor is not a safe prime");
    }
  }
  absl::StatusOr<PaillierPublicKey> pk = PaillierPublicKey::FromModulus(n);
  if (!pk.ok()) return pk.status();
  return PaillierPrivateKey(*std::move(pk), p, q);
}

absl::StatusOr<PaillierPrivateKey> PaillierPrivateKey::Generate(
    RandomSource& rng, int threads) {
  for (;;) {
    absl::StatusOr<BigInt> p =
        GenerateSafePrime(kPaillierPrimeBits, rng, threads);
    if (!p.ok()) return p.status();
    absl::StatusOr<BigInt> q =
        GenerateSafePrime(kPaillierPrimeBits, rng, threads);
    if (!q.ok()) return q.status();
    if (*p == *q) continue;  // negligible
    return FromPrimes(*p, *q);
  }
}

absl::StatusOr<PaillierPrivateKey> PaillierPrivateKey::FromPool(
    SafePrimePool& pool, std::chrono::milliseconds timeout) {
  if (pool.bits() != kPaillierPrimeBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("paillier: pool holds ", pool.bits(),
                     "-bit primes, expected ", kPaillierPrimeBits));
  }
  for (;;) {
    absl::StatusOr<BigInt> p = pool.Take(timeout);
    if (!p.ok()) return p.status();
    absl::StatusOr<BigInt> q = pool.Take(timeout);
    if (!q.ok()) return q.status();
    if (*p == *q) continue;  // negligible
    return FromPrimes(*p, *q);
  }
}

BigInt PaillierPrivateKey::CombinePrimes(const BigInt& xp,
                                         const BigInt& xq) const {
  // x = xq + q·((xp - xq)·q^-1 mod p).
  BigInt h = BigInt::ModConstTime((xp - xq) * q_inv_p_, p_);
  return xq + q_ * h;
}

BigInt PaillierPrivateKey::CombineSquares(const BigInt& xp,
                                          const BigInt& xq) const {
  BigInt h = BigInt::ModConstTime((xp - xq) * q2_inv_p2_, p_squared_);
  return xq + q_squared_ * h;
}

absl::StatusOr<BigInt> PaillierPrivateKey::Decrypt(const BigInt& c) const {
  if (absl::Status s = public_key_.ValidateCiphertextRange(c); !s.ok()) {
    return s;
  }
  // c is reduced mod p², q² inside PowModConstTime (mpn_sec_div_r), not by
  // a variable-time division by the secret moduli.
  BigInt cp =
      BigInt::PowModConstTime(c, p_minus_1_, p_squared_, kPaillierPrimeBits);
  BigInt cq =
      BigInt::PowModConstTime(c, q_minus_1_, q_squared_, kPaillierPrimeBits);
  // gcd(c, N) = 1 <=> p ∤ c and q ∤ c <=> cp != 0 and cq != 0: for p | c,
  // c^(p-1) is divisible by p^(p-1), so 0 mod p²; otherwise cp ≡ 1 (mod p).
  // The decision is public (accept or reject).
  if (cp.IsZero() || cq.IsZero()) {
    return absl::InvalidArgumentError(
        "paillier: ciphertext not a unit (gcd(c, N) != 1)");
  }
  // L(x) = (x - 1) / p is an exact division by the secret p (mpz_fdiv_q:
  // its time follows the operands' limb counts; GMP's data-dependent steps
  // are quotient-digit corrections of probability ~2^-64 per limb).
  BigInt mp = BigInt::ModConstTime(LFunction(cp, p_) * hp_, p_);
  BigInt mq = BigInt::ModConstTime(LFunction(cq, q_) * hq_, q_);
  BigInt m = CombinePrimes(mp, mq);
  cp.Wipe();
  cq.Wipe();
  mp.Wipe();
  mq.Wipe();
  return m;
}

absl::StatusOr<BigInt> PaillierPrivateKey::DecryptSigned(
    const BigInt& c) const {
  absl::StatusOr<BigInt> m = Decrypt(c);
  if (!m.ok()) return m;
  return CenteredPlaintext(*m, n());
}

BigInt CenteredPlaintext(const BigInt& m, const BigInt& n) {
  // m > N/2  <=>  2m > N.
  return m.ShiftLeft(1) > n ? m - n : m;
}

absl::StatusOr<BigInt> PaillierPrivateKey::DecryptWithoutCrt(
    const BigInt& c) const {
  if (absl::Status s = public_key_.ValidateCiphertext(c); !s.ok()) return s;
  BigInt x = BigInt::PowModConstTime(c, lambda_, public_key_.n_squared(),
                                     kPaillierModulusBits);
  return BigInt::ModMul(LFunction(x, n()), mu_, n());
}

absl::StatusOr<BigInt> PaillierPrivateKey::NonceToNthPower(
    const BigInt& r) const {
  if (absl::Status s = public_key_.ValidateNonce(r); !s.ok()) return s;
  // r^N mod p² = ω((r mod p)^(q mod (p-1)) mod p), ω(a) = a^p mod p².
  // r is reduced mod p, q inside PowModConstTime (mpn_sec_div_r).
  BigInt bp = BigInt::PowModConstTime(r, q_mod_pm1_, p_, kPaillierPrimeBits);
  BigInt rp = BigInt::PowModConstTime(bp, p_, p_squared_, kPaillierPrimeBits);
  BigInt bq = BigInt::PowModConstTime(r, p_mod_qm1_, q_, kPaillierPrimeBits);
  BigInt rq = BigInt::PowModConstTime(bq, q_, q_squared_, kPaillierPrimeBits);
  BigInt out = CombineSquares(rp, rq);
  bp.Wipe();
  bq.Wipe();
  rp.Wipe();
  rq.Wipe();
  return out;
}

absl::StatusOr<BigInt> PaillierPrivateKey::EncryptWithNonce(
    const BigInt& m, const BigInt& r) const {
  if (absl::Status s = public_key_.ValidatePlaintext(m); !s.ok()) return s;
  absl::StatusOr<BigInt> rn = NonceToNthPower(r);
  if (!rn.ok()) return rn.status();
  BigInt gm = BigInt(1) + BigInt::Mod(m, n()) * n();
  return BigInt::ModMul(gm, *rn, public_key_.n_squared());
}

absl::StatusOr<PaillierEncryption> PaillierPrivateKey::Encrypt(
    const BigInt& m, RandomSource& rng) const {
  if (absl::Status s = public_key_.ValidatePlaintext(m); !s.ok()) return s;
  BigInt k_p = BigInt::RandomBelow(p_minus_1_, rng);
  BigInt k_q = BigInt::RandomBelow(q_minus_1_, rng);
  // Nonce r = CRT(g_p^k_p, g_q^k_q): uniform in Z*_N.
  BigInt r_p = tables_->g_p.Pow(k_p);
  BigInt r_q = tables_->g_q.Pow(k_q);
  BigInt r = CombinePrimes(r_p, r_q);
  // r^N mod p² = ω(r_p)^q = ω(g_p)^(k_p·q mod (p-1)).
  BigInt e_p = BigInt::ModMul(k_p, q_mod_pm1_, p_minus_1_);
  BigInt e_q = BigInt::ModMul(k_q, p_mod_qm1_, q_minus_1_);
  BigInt rn_p = tables_->omega_p.Pow(e_p);
  BigInt rn_q = tables_->omega_q.Pow(e_q);
  BigInt rn = CombineSquares(rn_p, rn_q);
  BigInt gm = BigInt(1) + BigInt::Mod(m, n()) * n();
  BigInt c = BigInt::ModMul(gm, rn, public_key_.n_squared());
  for (BigInt* v : {&k_p, &k_q, &r_p, &r_q, &e_p, &e_q, &rn_p, &rn_q, &rn}) {
    v->Wipe();
  }
  return PaillierEncryption{std::move(c), std::move(r)};
}

}  // namespace nitro_tss::mpc
