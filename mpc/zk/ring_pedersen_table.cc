#include "mpc/zk/ring_pedersen_table.h"

#include <sodium.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "mpc/zk/crt.h"
#include "mpc/zk/params.h"

namespace nitro_tss::mpc::zk {

bool RingPedersenEquationHolds(const RingPedersenParams& params,
                               const RingPedersenSecret* owner_secret,
                               const BigInt& a, const BigInt& b,
                               const BigInt& first, const BigInt& second,
                               const BigInt& e) {
  const BigInt& n = params.n();
  if (owner_secret != nullptr) {
    // s^a t^b = t^(λa + b), by CRT inside RingPedersenSecret::Commit.
    BigInt lhs = owner_secret->Commit(a, b);
    CrtExponentiator crt =
        CrtExponentiator::ForPrimes(owner_secret->p(), owner_secret->q());
    BigInt rhs = BigInt::ModMul(first, crt.Pow(second, e), n);
    return lhs == rhs;
  }
  BigInt lhs = params.CommitPublic(a, b);
  BigInt rhs = BigInt::ModMul(first, BigInt::PowMod(second, e, n), n);
  return lhs == rhs;
}

absl::Status CheckOwnerSecret(const RingPedersenParams& params,
                              const RingPedersenSecret& secret,
                              absl::string_view prefix) {
  const RingPedersenParams& own = secret.params();
  if (own.n() != params.n() || own.s() != params.s() || own.t() != params.t()) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": verifier secret does not match the ring-Pedersen params"));
  }
  return absl::OkStatus();
}

// ---- RingPedersenTable ----

namespace {

constexpr size_t kWindowBits = 4;
constexpr size_t kDigits = size_t{1} << kWindowBits;

// Copies |v| (< 2^(64·limbs)) into exactly `limbs` limbs.
void ToLimbs(const BigInt& v, size_t limbs, mp_limb_t* out) {
  for (size_t i = 0; i < limbs; ++i) {
    out[i] = mpz_getlimbn(v.get(), static_cast<mp_size_t>(i));
  }
}

BigInt FromLimbs(const mp_limb_t* limbs, size_t n) {
  BigInt r;
  mpz_ptr z = r.get_mut();
  mp_limb_t* dst = mpz_limbs_write(z, static_cast<mp_size_t>(n));
  for (size_t i = 0; i < n; ++i) dst[i] = limbs[i];
  mpz_limbs_finish(z, static_cast<mp_size_t>(n));
  return r;
}

// Table of base^(d·16^i) for every window i and digit d, each entry in
// Montgomery form (x·R mod n, R = 2^(64·limbs)).
std::vector<mp_limb_t> BuildTable(const BigInt& base, const BigInt& n,
                                  const BigInt& r_inverse, size_t windows,
                                  size_t limbs) {
  const BigInt r_mod_n = BigInt::Mod(BigInt::PowerOfTwo(64 * limbs), n);
  std::vector<mp_limb_t> table(windows * kDigits * limbs, 0);
  BigInt window_base = BigInt::Mod(base, n);  // base^(16^i), plain
  for (size_t i = 0; i < windows; ++i) {
    mp_limb_t* row = table.data() + i * kDigits * limbs;
    // x·R times a plain factor stays in Montgomery form.
    BigInt acc = r_mod_n;
    for (size_t d = 0; d < kDigits; ++d) {
      ToLimbs(acc, limbs, row + d * limbs);
      acc = BigInt::ModMul(acc, window_base, n);
    }
    window_base = BigInt::ModMul(acc, r_inverse, n);  // base^(16^(i+1))
  }
  return table;
}

}  // namespace

RingPedersenTable::RingPedersenTable(const RingPedersenParams& params)
    : params_(params) {
  const BigInt& n = params_.n();
  limbs_ = static_cast<size_t>(mpz_size(n.get()));
  // Masks reach 2^(ℓ+ε)·N̂ < 2^(ℓ+ε+|N̂|); the shifted exponent needs two
  // more bits.
  size_t needed = kEll + kEpsilon + n.BitLength() + 2;
  windows_ = (needed + kWindowBits - 1) / kWindowBits;
  max_bits_ = windows_ * kWindowBits - 2;
  modulus_.resize(limbs_);
  ToLimbs(n, limbs_, modulus_.data());
  // Montgomery constants: n' = -n^-1 mod R, R^-1 mod n.
  BigInt r = BigInt::PowerOfTwo(64 * limbs_);
  absl::StatusOr<BigInt> n_inv = BigInt::ModInverse(n, r);
  absl::StatusOr<BigInt> r_inv = BigInt::ModInverse(r, n);
  if (!n_inv.ok() || !r_inv.ok()) __builtin_trap();  // N̂ is odd
  n_prime_.resize(limbs_);
  ToLimbs(r - *n_inv, limbs_, n_prime_.data());
  r_inverse_ = *std::move(r_inv);
  s_table_ = BuildTable(params_.s(), n, r_inverse_, windows_, limbs_);
  t_table_ = BuildTable(params_.t(), n, r_inverse_, windows_, limbs_);
}

void RingPedersenTable::MontgomeryMul(mp_limb_t* out, const mp_limb_t* a,
                                      const mp_limb_t* b, Workspace& ws) const {
  // out = a·b·R^-1 mod n for a, b < n, in constant time: T = a·b,
  // m = (T mod R)·n' mod R, U = T + m·n (divisible by R), t = U / R < 2n,
  // then one conditional subtraction.
  const mp_size_t n = static_cast<mp_size_t>(limbs_);
  mpn_sec_mul(ws.t.data(), a, n, b, n, ws.scratch.data());
  mpn_sec_mul(ws.m.data(), ws.t.data(), n, n_prime_.data(), n,
              ws.scratch.data());
  mpn_sec_mul(ws.u.data(), ws.m.data(), n, modulus_.data(), n,
              ws.scratch.data());
  mp_limb_t carry = mpn_add_n(ws.u.data(), ws.u.data(), ws.t.data(), 2 * n);
  mp_limb_t borrow = mpn_sub_n(out, ws.u.data() + n, modulus_.data(), n);
  // Keep t - n unless t < n (borrow and no carry): then add n back.
  mpn_cnd_add_n(borrow & (carry ^ 1), out, out, modulus_.data(), n);
}

BigInt RingPedersenTable::PowerOfTwoPower(const std::vector<mp_limb_t>& table,
                                          size_t bits) const {
  size_t window = bits / kWindowBits;
  size_t digit = size_t{1} << (bits % kWindowBits);
  BigInt montgomery =
      FromLimbs(table.data() + (window * kDigits + digit) * limbs_, limbs_);
  return BigInt::ModMul(montgomery, r_inverse_, params_.n());
}

void RingPedersenTable::MulPowShifted(const std::vector<mp_limb_t>& table,
                                      const BigInt& e, size_t bits,
                                      mp_limb_t* acc, Workspace& ws) const {
  // e' = e + 2^bits in [0, 2^(bits+1)]: bits + 2 bits, a public length.
  BigInt shifted = e + BigInt::PowerOfTwo(bits);
  const size_t windows = (bits + 2 + kWindowBits - 1) / kWindowBits;
  const size_t exp_limbs = (windows * kWindowBits + 63) / 64;
  std::vector<mp_limb_t> exp(exp_limbs);
  ToLimbs(shifted, exp_limbs, exp.data());
  const mp_size_t n = static_cast<mp_size_t>(limbs_);
  for (size_t i = 0; i < windows; ++i) {
    size_t bit = i * kWindowBits;
    size_t digit = (exp[bit / 64] >> (bit % 64)) & (kDigits - 1);
    mpn_sec_tabselect(ws.selected.data(), table.data() + i * kDigits * limbs_,
                      n, static_cast<mp_size_t>(kDigits),
                      static_cast<mp_size_t>(digit));
    MontgomeryMul(acc, acc, ws.selected.data(), ws);
  }
  sodium_memzero(exp.data(), exp.size() * sizeof(mp_limb_t));
  shifted.Wipe();
}

absl::StatusOr<BigInt> RingPedersenTable::Commit(const BigInt& a, size_t a_bits,
                                                 const BigInt& b,
                                                 size_t b_bits) const {
  if (a_bits > max_bits_ || b_bits > max_bits_ || !InSignedRange(a, a_bits) ||
      !InSignedRange(b, b_bits)) {
    return absl::InvalidArgumentError(
        "ring_pedersen_table: exponent exceeds its bound");
  }
  const mp_size_t n = static_cast<mp_size_t>(limbs_);
  Workspace ws;
  ws.t.resize(2 * limbs_);
  ws.m.resize(2 * limbs_);
  ws.u.resize(2 * limbs_);
  ws.selected.resize(limbs_);
  ws.scratch.resize(static_cast<size_t>(mpn_sec_mul_itch(n, n)));
  // acc = 1 in Montgomery form: the digit-0 entry of any window.
  std::vector<mp_limb_t> acc(s_table_.begin(), s_table_.begin() + n);
  MulPowShifted(s_table_, a, a_bits, acc.data(), ws);
  MulPowShifted(t_table_, b, b_bits, acc.data(), ws);
  // Leave Montgomery form: multiply by the plain 1.
  std::vector<mp_limb_t> one(limbs_, 0);
  one[0] = 1;
  MontgomeryMul(acc.data(), acc.data(), one.data(), ws);
  BigInt shifted_commit = FromLimbs(acc.data(), limbs_);
  // Undo the shifts: multiply by (s^(2^a_bits) · t^(2^b_bits))^-1 (public).
  BigInt correction =
      BigInt::ModMul(PowerOfTwoPower(s_table_, a_bits),
                     PowerOfTwoPower(t_table_, b_bits), params_.n());
  absl::StatusOr<BigInt> inv = BigInt::ModInverse(correction, params_.n());
  if (!inv.ok()) return inv.status();  // unreachable: s, t are units
  BigInt out = BigInt::ModMul(shifted_commit, *inv, params_.n());
  shifted_commit.Wipe();
  for (std::vector<mp_limb_t>* v :
       {&acc, &ws.t, &ws.m, &ws.u, &ws.selected, &ws.scratch}) {
    sodium_memzero(v->data(), v->size() * sizeof(mp_limb_t));
  }
  return out;
}

BigInt ProverCommit(const RingPedersenParams& params,
                    const RingPedersenTable* table, const BigInt& a,
                    size_t a_bits, const BigInt& b, size_t b_bits) {
  if (table != nullptr) {
    absl::StatusOr<BigInt> v = table->Commit(a, a_bits, b, b_bits);
    if (v.ok()) return *std::move(v);
  }
  return params.Commit(a, b);
}

absl::Status CheckTable(const RingPedersenParams& params,
                        const RingPedersenTable& table,
                        absl::string_view prefix) {
  if (!(table.params() == params)) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": ring-Pedersen table does not match the verifier's params"));
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::mpc::zk
