#include "mpc/math/bigint.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc {
namespace {

// Zeroizes the allocated limbs of an mpz_t.
void WipeLimbs(mpz_t v) {
  if (v->_mp_d != nullptr && v->_mp_alloc > 0) {
    sodium_memzero(v->_mp_d,
                   static_cast<size_t>(v->_mp_alloc) * sizeof(mp_limb_t));
  }
  v->_mp_size = 0;
}

thread_local internal::PowModCallCounts tl_pow_calls;

}  // namespace

namespace internal {
PowModCallCounts PowModCalls() { return tl_pow_calls; }
void CountConstTimePow() { ++tl_pow_calls.const_time; }
}  // namespace internal

BigInt::BigInt() { mpz_init(value_); }
BigInt::BigInt(int64_t v) { mpz_init_set_si(value_, static_cast<long>(v)); }
BigInt BigInt::FromU64(uint64_t v) {
  BigInt r;
  mpz_set_ui(r.value_, static_cast<unsigned long>(v));
  return r;
}
BigInt::~BigInt() {
  WipeLimbs(value_);
  mpz_clear(value_);
}
BigInt::BigInt(const BigInt& other) { mpz_init_set(value_, other.value_); }
BigInt::BigInt(BigInt&& other) noexcept {
  mpz_init(value_);
  mpz_swap(value_, other.value_);
}
BigInt& BigInt::operator=(const BigInt& other) {
  if (this != &other) {
    WipeLimbs(value_);
    mpz_set(value_, other.value_);
  }
  return *this;
}
BigInt& BigInt::operator=(BigInt&& other) noexcept {
  if (this != &other) {
    mpz_swap(value_, other.value_);
    other.Wipe();
  }
  return *this;
}
void BigInt::Wipe() { WipeLimbs(value_); }

BigInt BigInt::FromBytes(absl::Span<const uint8_t> big_endian) {
  BigInt r;
  if (!big_endian.empty()) {
    mpz_import(r.value_, big_endian.size(), 1, 1, 1, 0, big_endian.data());
  }
  return r;
}

std::vector<uint8_t> BigInt::ToBytes(size_t min_len) const {
  size_t n = (mpz_sizeinbase(value_, 2) + 7) / 8;
  if (mpz_sgn(value_) == 0) n = 0;
  size_t len = n > min_len ? n : min_len;
  std::vector<uint8_t> out(len, 0);
  if (n > 0) {
    size_t written = 0;
    mpz_export(out.data() + (len - n), &written, 1, 1, 1, 0, value_);
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> BigInt::ToFixedBytes(size_t len) const {
  if (IsNegative()) {
    return absl::InvalidArgumentError(
        "bigint: negative value has no fixed-width encoding");
  }
  if ((BitLength() + 7) / 8 > len) {
    return absl::InvalidArgumentError(
        absl::StrCat("bigint: value of ", BitLength(), " bits does not fit in ",
                     len, " bytes"));
  }
  return ToBytes(len);
}

std::vector<uint8_t> BigInt::ToSignedBytes() const {
  std::vector<uint8_t> mag = ToBytes(0);
  std::vector<uint8_t> out;
  out.reserve(mag.size() + 1);
  out.push_back(IsNegative() ? 0x01 : 0x00);
  out.insert(out.end(), mag.begin(), mag.end());
  sodium_memzero(mag.data(), mag.size());
  return out;
}

absl::StatusOr<BigInt> BigInt::FromSignedBytes(absl::Span<const uint8_t> in,
                                               size_t max_bytes) {
  if (in.empty()) {
    return absl::InvalidArgumentError("bigint: missing sign byte");
  }
  if (in[0] > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("bigint: invalid sign byte ", in[0]));
  }
  absl::Span<const uint8_t> mag = in.subspan(1);
  if (mag.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("bigint: magnitude of ", mag.size(),
                     " bytes exceeds limit ", max_bytes));
  }
  if (!mag.empty() && mag[0] == 0) {
    return absl::InvalidArgumentError(
        "bigint: non-minimal encoding (leading zero)");
  }
  if (mag.empty() && in[0] == 1) {
    return absl::InvalidArgumentError("bigint: negative zero");
  }
  BigInt r = FromBytes(mag);
  if (in[0] == 1) mpz_neg(r.value_, r.value_);
  return r;
}

std::string BigInt::ToHex() const {
  std::string s(mpz_sizeinbase(value_, 16) + 2, '\0');
  mpz_get_str(s.data(), 16, value_);
  s.resize(std::strlen(s.c_str()));
  return s;
}

std::string BigInt::ToDecimal() const {
  std::string s(mpz_sizeinbase(value_, 10) + 2, '\0');
  mpz_get_str(s.data(), 10, value_);
  s.resize(std::strlen(s.c_str()));
  return s;
}

namespace {
absl::StatusOr<BigInt> ParseBase(absl::string_view text, int base,
                                 absl::string_view what) {
  absl::string_view digits = text;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("bigint: empty or oversized ", what, " string"));
  }
  for (char c : digits) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c))
                         : std::isdigit(static_cast<unsigned char>(c));
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bigint: invalid ", what, " digit '", std::string(1, c), "'"));
    }
  }
  BigInt r;
  std::string copy(text);
  if (mpz_set_str(r.get_mut(), copy.c_str(), base) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("bigint: invalid ", what));
  }
  return r;
}
}  // namespace

absl::StatusOr<BigInt> BigInt::FromHex(absl::string_view hex) {
  return ParseBase(hex, 16, "hex");
}
absl::StatusOr<BigInt> BigInt::FromDecimal(absl::string_view dec) {
  return ParseBase(dec, 10, "decimal");
}

bool BigInt::IsZero() const { return mpz_sgn(value_) == 0; }
bool BigInt::IsNegative() const { return mpz_sgn(value_) < 0; }
bool BigInt::IsOdd() const { return mpz_odd_p(value_) != 0; }
int BigInt::Sign() const { return mpz_sgn(value_); }
size_t BigInt::BitLength() const {
  return IsZero() ? 0 : mpz_sizeinbase(value_, 2);
}
bool BigInt::TestBit(size_t i) const {
  BigInt a = Abs();
  return mpz_tstbit(a.value_, i) != 0;
}
bool BigInt::FitsU64() const { return !IsNegative() && BitLength() <= 64; }
uint64_t BigInt::ToU64() const {
  std::vector<uint8_t> b = ToBytes(8);
  uint64_t v = 0;
  for (size_t i = b.size() - 8; i < b.size(); ++i) v = (v << 8) | b[i];
  return v;
}

BigInt operator+(const BigInt& a, const BigInt& b) {
  BigInt r;
  mpz_add(r.value_, a.value_, b.value_);
  return r;
}
BigInt operator-(const BigInt& a, const BigInt& b) {
  BigInt r;
  mpz_sub(r.value_, a.value_, b.value_);
  return r;
}
BigInt operator*(const BigInt& a, const BigInt& b) {
  BigInt r;
  mpz_mul(r.value_, a.value_, b.value_);
  return r;
}
BigInt BigInt::operator-() const {
  BigInt r;
  mpz_neg(r.value_, value_);
  return r;
}
BigInt BigInt::Abs() const {
  BigInt r;
  mpz_abs(r.value_, value_);
  return r;
}
BigInt BigInt::FloorDiv(const BigInt& a, const BigInt& b) {
  BigInt r;
  mpz_fdiv_q(r.value_, a.value_, b.value_);
  return r;
}
BigInt BigInt::Mod(const BigInt& a, const BigInt& m) {
  BigInt r;
  mpz_mod(r.value_, a.value_, m.value_);
  return r;
}
BigInt BigInt::ModAdd(const BigInt& a, const BigInt& b, const BigInt& m) {
  return Mod(a + b, m);
}
BigInt BigInt::ModSub(const BigInt& a, const BigInt& b, const BigInt& m) {
  return Mod(a - b, m);
}
BigInt BigInt::ModMul(const BigInt& a, const BigInt& b, const BigInt& m) {
  return Mod(a * b, m);
}
absl::StatusOr<BigInt> BigInt::ModInverse(const BigInt& a, const BigInt& m) {
  BigInt r;
  if (m.Sign() <= 0 || mpz_invert(r.value_, a.value_, m.value_) == 0) {
    return absl::InvalidArgumentError("bigint: value not invertible modulo m");
  }
  return r;
}
BigInt BigInt::PowMod(const BigInt& base, const BigInt& exp, const BigInt& m) {
  ++tl_pow_calls.variable_time;
  BigInt r;
  mpz_powm(r.value_, base.value_, exp.value_, m.value_);
  return r;
}

namespace {

// Copies the magnitude of v into exactly n limbs (zero-padded; v must fit).
std::vector<mp_limb_t> LimbsOf(mpz_srcptr v, size_t n) {
  std::vector<mp_limb_t> out(n, 0);
  const size_t size = mpz_size(v);
  const mp_limb_t* d = mpz_limbs_read(v);
  for (size_t i = 0; i < size && i < n; ++i) out[i] = d[i];
  return out;
}

void WipeVector(std::vector<mp_limb_t>& v) {
  if (!v.empty()) sodium_memzero(v.data(), v.size() * sizeof(mp_limb_t));
}

// |a| mod m into exactly limbs(m) limbs, by mpn_sec_div_r.
std::vector<mp_limb_t> SecMagnitudeMod(mpz_srcptr a, mpz_srcptr m) {
  const size_t n = mpz_size(m);
  const size_t an = std::max(mpz_size(a), n);
  std::vector<mp_limb_t> num = LimbsOf(a, an);
  std::vector<mp_limb_t> scratch(static_cast<size_t>(mpn_sec_div_r_itch(
      static_cast<mp_size_t>(an), static_cast<mp_size_t>(n))));
  mpn_sec_div_r(num.data(), static_cast<mp_size_t>(an), mpz_limbs_read(m),
                static_cast<mp_size_t>(n), scratch.data());
  std::vector<mp_limb_t> out(num.begin(), num.begin() + n);
  WipeVector(num);
  WipeVector(scratch);
  return out;
}

// out = neg ? m - r : r, then reduced into [0, m); constant time in r and neg.
void SecNegateIf(mp_limb_t neg, std::vector<mp_limb_t>& r, mpz_srcptr m) {
  const mp_size_t n = static_cast<mp_size_t>(r.size());
  std::vector<mp_limb_t> t(r.size());
  mpn_sub_n(t.data(), mpz_limbs_read(m), r.data(), n);  // m - r, no borrow
  const mp_limb_t mask = 0 - neg;
  for (size_t i = 0; i < r.size(); ++i) r[i] ^= mask & (r[i] ^ t[i]);
  // r == m only when neg and |a| ≡ 0: subtract m when r >= m.
  const mp_limb_t borrow = mpn_sub_n(t.data(), r.data(), mpz_limbs_read(m), n);
  mpn_cnd_sub_n(1 - borrow, r.data(), r.data(), mpz_limbs_read(m), n);
  WipeVector(t);
}

void SetFromLimbs(mpz_ptr out, const std::vector<mp_limb_t>& limbs) {
  mpz_import(out, limbs.size(), -1, sizeof(mp_limb_t), 0, 0, limbs.data());
}

}  // namespace

BigInt BigInt::PowModConstTime(const BigInt& base, const BigInt& exp,
                               const BigInt& m, size_t exp_bits) {
  ++tl_pow_calls.const_time;
  if (m.Sign() <= 0 || !m.IsOdd() || exp.IsNegative()) __builtin_trap();
  const size_t n = mpz_size(m.value_);
  size_t bits = std::max<size_t>({exp_bits, exp.BitLength(), 1});
  std::vector<mp_limb_t> e =
      LimbsOf(exp.value_, (bits + GMP_NUMB_BITS - 1) / GMP_NUMB_BITS);
  std::vector<mp_limb_t> b;
  if (base.IsNegative()) {
    b = SecMagnitudeMod(base.value_, m.value_);
    SecNegateIf(1, b, m.value_);
  } else if (mpz_size(base.value_) > n) {
    // Reducing first (mpn_sec_div_r) is faster than letting mpn_sec_powm's
    // conversion to Montgomery form divide the longer base.
    b = SecMagnitudeMod(base.value_, m.value_);
  } else {
    b = LimbsOf(base.value_, std::max<size_t>(mpz_size(base.value_), 1));
  }
  std::vector<mp_limb_t> scratch(static_cast<size_t>(mpn_sec_powm_itch(
      static_cast<mp_size_t>(b.size()), bits, static_cast<mp_size_t>(n))));
  std::vector<mp_limb_t> out(n);
  mpn_sec_powm(out.data(), b.data(), static_cast<mp_size_t>(b.size()), e.data(),
               bits, mpz_limbs_read(m.value_), static_cast<mp_size_t>(n),
               scratch.data());
  BigInt r;
  SetFromLimbs(r.value_, out);
  WipeVector(e);
  WipeVector(b);
  WipeVector(scratch);
  WipeVector(out);
  return r;
}

BigInt BigInt::PowModSecret(const BigInt& base, const BigInt& exp,
                            const BigInt& m) {
  // base and m are public: reducing and inverting base leaks nothing.
  BigInt b = Mod(base, m);
  absl::StatusOr<BigInt> inv = ModInverse(b, m);
  if (!inv.ok()) {
    // Not a unit (public): exp < 0 is undefined.
    if (exp.IsNegative()) return BigInt();
    inv = b;
  }
  const size_t n = mpz_size(m.value_);
  std::vector<mp_limb_t> chosen = LimbsOf(b.value_, n);
  std::vector<mp_limb_t> other = LimbsOf(inv->value_, n);
  const mp_limb_t mask = 0 - static_cast<mp_limb_t>(exp.value_->_mp_size < 0);
  for (size_t i = 0; i < n; ++i) chosen[i] ^= mask & (chosen[i] ^ other[i]);
  BigInt selected;
  SetFromLimbs(selected.value_, chosen);
  WipeVector(chosen);
  BigInt magnitude = exp.Abs();
  BigInt r = PowModConstTime(selected, magnitude, m,
                             mpz_size(magnitude.value_) * GMP_NUMB_BITS);
  selected.Wipe();
  magnitude.Wipe();
  return r;
}

BigInt BigInt::ModConstTime(const BigInt& a, const BigInt& m) {
  if (m.Sign() <= 0) __builtin_trap();
  std::vector<mp_limb_t> r = SecMagnitudeMod(a.value_, m.value_);
  SecNegateIf(static_cast<mp_limb_t>(a.value_->_mp_size < 0), r, m.value_);
  BigInt out;
  SetFromLimbs(out.value_, r);
  WipeVector(r);
  return out;
}

BigInt BigInt::Gcd(const BigInt& a, const BigInt& b) {
  BigInt r;
  mpz_gcd(r.value_, a.value_, b.value_);
  return r;
}
BigInt BigInt::Lcm(const BigInt& a, const BigInt& b) {
  BigInt r;
  mpz_lcm(r.value_, a.value_, b.value_);
  return r;
}
int BigInt::Jacobi(const BigInt& a, const BigInt& n) {
  return mpz_jacobi(a.value_, n.value_);
}
BigInt BigInt::ShiftLeft(size_t bits) const {
  BigInt r;
  mpz_mul_2exp(r.value_, value_, bits);
  return r;
}
BigInt BigInt::ShiftRight(size_t bits) const {
  BigInt r;
  mpz_fdiv_q_2exp(r.value_, value_, bits);
  return r;
}
BigInt BigInt::PowerOfTwo(size_t bits) {
  BigInt r;
  mpz_setbit(r.value_, bits);
  return r;
}
BigInt BigInt::Sqrt(const BigInt& a) {
  BigInt r;
  mpz_sqrt(r.value_, a.value_);
  return r;
}
bool BigInt::IsProbablePrime(int reps) const {
  if (Sign() <= 0) return false;
  return mpz_probab_prime_p(value_, reps) != 0;
}

BigInt BigInt::RandomBits(size_t bits, RandomSource& rng) {
  if (bits == 0) return BigInt();
  size_t nbytes = (bits + 7) / 8;
  std::vector<uint8_t> buf(nbytes);
  rng.Fill(buf.data(), buf.size());
  size_t extra = nbytes * 8 - bits;
  buf[0] &= static_cast<uint8_t>(0xFF >> extra);
  BigInt r = FromBytes(buf);
  sodium_memzero(buf.data(), buf.size());
  return r;
}

BigInt BigInt::RandomBelow(const BigInt& bound, RandomSource& rng) {
  size_t bits = bound.BitLength();
  for (;;) {
    BigInt r = RandomBits(bits, rng);
    if (r < bound) return r;
  }
}

BigInt BigInt::RandomSigned(size_t bits, RandomSource& rng) {
  // Uniform in [0, 2^(bits+1)] then shift down by 2^bits.
  BigInt range = PowerOfTwo(bits + 1) + BigInt(1);
  return RandomBelow(range, rng) - PowerOfTwo(bits);
}

BigInt BigInt::RandomUnit(const BigInt& n, RandomSource& rng) {
  for (;;) {
    BigInt r = RandomBelow(n, rng);
    if (!r.IsZero() && Gcd(r, n) == BigInt(1)) return r;
  }
}

bool operator==(const BigInt& a, const BigInt& b) {
  return mpz_cmp(a.value_, b.value_) == 0;
}
std::strong_ordering operator<=>(const BigInt& a, const BigInt& b) {
  int c = mpz_cmp(a.value_, b.value_);
  if (c < 0) return std::strong_ordering::less;
  if (c > 0) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

bool BigInt::ConstantTimeEqual(const BigInt& a, const BigInt& b, size_t len) {
  absl::StatusOr<std::vector<uint8_t>> ea = a.ToFixedBytes(len);
  absl::StatusOr<std::vector<uint8_t>> eb = b.ToFixedBytes(len);
  if (!ea.ok() || !eb.ok()) return false;
  bool eq = sodium_memcmp(ea->data(), eb->data(), len) == 0;
  sodium_memzero(ea->data(), ea->size());
  sodium_memzero(eb->data(), eb->size());
  return eq;
}

}  // namespace nitro_tss::mpc
