#include "mpc/zk/nonce_pool.h"

#include <sodium.h>

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "mpc/math/montgomery.h"

namespace nitro_tss::mpc::zk {

BigInt OnePlusNPow(const PaillierPublicKey& key, const BigInt& m) {
  return BigInt::Mod(BigInt(1) + BigInt::Mod(m, key.n()) * key.n(),
                     key.n_squared());
}

BigInt NthPower(const PaillierPublicKey& key, const BigInt& r,
                const PaillierPrivateKey* own_key) {
  if (own_key != nullptr) {
    absl::StatusOr<BigInt> v = own_key->NonceToNthPower(r);
    if (v.ok()) return *std::move(v);
  }
  // A peer's key: r is a secret nonce, N and N² are public. The
  // exponentiation hides r (constant-time products on a schedule derived
  // from the public N), as the pool's Fill does with mpn_sec_powm.
  return Montgomery(key.n_squared()).PowPublicExponent(r, key.n());
}

PaillierEncryption FreshEncryption(const PaillierPublicKey& key,
                                   const BigInt& m,
                                   const PaillierPrivateKey* own_key,
                                   RandomSource& rng) {
  const PaillierPrivateKey* own =
      own_key != nullptr && own_key->n() == key.n() ? own_key : nullptr;
  if (own != nullptr) {
    absl::StatusOr<PaillierEncryption> enc = own->Encrypt(m, rng);
    if (enc.ok()) return *std::move(enc);
  }
  PaillierEncryption out;
  out.nonce = BigInt::RandomUnit(key.n(), rng);
  BigInt r_to_n = NthPower(key, out.nonce, own);
  out.ciphertext = BigInt::ModMul(OnePlusNPow(key, m), r_to_n, key.n_squared());
  r_to_n.Wipe();
  return out;
}

absl::Status CheckOwnKey(const PaillierPublicKey& key,
                         const PaillierPrivateKey& own_key,
                         absl::string_view prefix, absl::string_view name) {
  if (own_key.n() != key.n()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": private key does not match ", name));
  }
  return absl::OkStatus();
}

// ---- PaillierNoncePool ----

PaillierNoncePool::PaillierNoncePool(const PaillierPublicKey& key)
    : key_(key) {}

void PaillierNoncePool::Fill(size_t count, RandomSource& rng) {
  std::deque<PaillierNonce> fresh;
  for (size_t i = 0; i < count; ++i) {
    PaillierNonce nonce;
    nonce.r = BigInt::RandomUnit(key_.n(), rng);
    // Secret base r, public exponent and modulus.
    nonce.r_to_n =
        Montgomery(key_.n_squared()).PowPublicExponent(nonce.r, key_.n());
    fresh.push_back(std::move(nonce));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (PaillierNonce& n : fresh) nonces_.push_back(std::move(n));
}

std::optional<PaillierNonce> PaillierNoncePool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (nonces_.empty()) return std::nullopt;
  PaillierNonce out = std::move(nonces_.front());
  nonces_.pop_front();
  return out;
}

size_t PaillierNoncePool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nonces_.size();
}

bool PaillierEquationHolds(const PaillierPublicKey& key, const BigInt& m,
                           const BigInt& rho, const BigInt& cap_a,
                           const BigInt& cap_c, const BigInt& e) {
  const BigInt& n_sq = key.n_squared();
  BigInt lhs = BigInt::ModMul(OnePlusNPow(key, m),
                              BigInt::PowMod(rho, key.n(), n_sq), n_sq);
  BigInt rhs = BigInt::ModMul(cap_a, BigInt::PowMod(cap_c, e, n_sq), n_sq);
  return lhs == rhs;
}

PaillierNonce NextNonce(const PaillierPublicKey& key, PaillierNoncePool* pool,
                        const PaillierPrivateKey* own_key, RandomSource& rng) {
  if (pool != nullptr && pool->key() == key) {
    std::optional<PaillierNonce> nonce = pool->Take();
    if (nonce.has_value()) return *std::move(nonce);
  }
  PaillierNonce nonce;
  nonce.r = BigInt::RandomUnit(key.n(), rng);
  nonce.r_to_n = NthPower(key, nonce.r, own_key);
  return nonce;
}

NonceTimesPower NextNonceTimesPower(const PaillierPublicKey& key,
                                    PaillierNoncePool* pool, const BigInt& c,
                                    const BigInt& s, size_t s_bits,
                                    RandomSource& rng) {
  const BigInt& n_sq = key.n_squared();
  // c or c^-1 (both public), picked without a branch on s's sign, as
  // BigInt::PowModSecret does.
  const BigInt b = BigInt::Mod(c, n_sq);
  absl::StatusOr<BigInt> inv = BigInt::ModInverse(b, n_sq);
  const BigInt& other = inv.ok() ? *inv : b;  // callers pass units
  const size_t limbs = mpz_size(n_sq.get());
  std::vector<mp_limb_t> chosen(limbs, 0), alt(limbs, 0);
  for (size_t i = 0; i < limbs; ++i) {
    chosen[i] = mpz_getlimbn(b.get(), static_cast<mp_size_t>(i));
    alt[i] = mpz_getlimbn(other.get(), static_cast<mp_size_t>(i));
  }
  const mp_limb_t mask = 0 - static_cast<mp_limb_t>(s.get()->_mp_size < 0);
  for (size_t i = 0; i < limbs; ++i) chosen[i] ^= mask & (chosen[i] ^ alt[i]);
  BigInt base;
  mpz_import(base.get_mut(), limbs, -1, sizeof(mp_limb_t), 0, 0, chosen.data());
  sodium_memzero(chosen.data(), chosen.size() * sizeof(mp_limb_t));
  BigInt magnitude = s.Abs();
  NonceTimesPower out;
  std::optional<PaillierNonce> nonce;
  if (pool != nullptr && pool->key() == key) nonce = pool->Take();
  if (nonce.has_value()) {
    // |s| padded to the public bound s_bits (not its own limb count).
    BigInt c_pow = BigInt::PowModConstTime(base, magnitude, n_sq, s_bits);
    out.product = BigInt::ModMul(c_pow, nonce->r_to_n, n_sq);
    out.r = std::move(nonce->r);
    c_pow.Wipe();
    nonce->r_to_n.Wipe();
  } else {
    out.r = BigInt::RandomUnit(key.n(), rng);
    out.product = Montgomery(n_sq).PowPublicTimesSecret(out.r, key.n(), base,
                                                        magnitude, s_bits);
  }
  magnitude.Wipe();
  base.Wipe();
  return out;
}

}  // namespace nitro_tss::mpc::zk
