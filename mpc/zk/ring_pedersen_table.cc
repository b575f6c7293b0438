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
    : params_(params), montgomery_(params.n()) {
  const BigInt& n = params_.n();
  limbs_ = montgomery_.limbs();
  // Masks reach 2^(ℓ+ε)·N̂ < 2^(ℓ+ε+|N̂|); the shifted exponent needs two
  // more bits.
  size_t needed = kEll + kEpsilon + n.BitLength() + 2;
  windows_ = (needed + kWindowBits - 1) / kWindowBits;
  max_bits_ = windows_ * kWindowBits - 2;
  // R^-1 mod n (R = 2^(64·limbs)).
  absl::StatusOr<BigInt> r_inv =
      BigInt::ModInverse(BigInt::PowerOfTwo(64 * limbs_), n);
  if (!r_inv.ok()) __builtin_trap();  // N̂ is odd
  r_inverse_ = *std::move(r_inv);
  s_table_ = BuildTable(params_.s(), n, r_inverse_, windows_, limbs_);
  t_table_ = BuildTable(params_.t(), n, r_inverse_, windows_, limbs_);
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
                                      mp_limb_t* acc, mp_limb_t* selected,
                                      Montgomery::Workspace& ws) const {
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
    mpn_sec_tabselect(selected, table.data() + i * kDigits * limbs_, n,
                      static_cast<mp_size_t>(kDigits),
                      static_cast<mp_size_t>(digit));
    montgomery_.Mul(acc, acc, selected, ws);
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
  Montgomery::Workspace ws(montgomery_);
  std::vector<mp_limb_t> selected(limbs_, 0);
  // acc = 1 in Montgomery form: the digit-0 entry of any window.
  std::vector<mp_limb_t> acc(s_table_.begin(), s_table_.begin() + limbs_);
  MulPowShifted(s_table_, a, a_bits, acc.data(), selected.data(), ws);
  MulPowShifted(t_table_, b, b_bits, acc.data(), selected.data(), ws);
  BigInt shifted_commit = montgomery_.FromMontgomery(acc.data(), ws);
  // Undo the shifts: multiply by (s^(2^a_bits) · t^(2^b_bits))^-1 (public).
  BigInt correction =
      BigInt::ModMul(PowerOfTwoPower(s_table_, a_bits),
                     PowerOfTwoPower(t_table_, b_bits), params_.n());
  absl::StatusOr<BigInt> inv = BigInt::ModInverse(correction, params_.n());
  if (!inv.ok()) return inv.status();  // unreachable: s, t are units
  BigInt out = BigInt::ModMul(shifted_commit, *inv, params_.n());
  shifted_commit.Wipe();
  for (std::vector<mp_limb_t>* v : {&acc, &selected}) {
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
