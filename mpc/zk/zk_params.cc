#include "mpc/zk/zk_params.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc::zk {

bool InSignedRange(const BigInt& v, size_t bits) {
  // |v| <= 2^bits  <=>  |v| < 2^bits or |v| == 2^bits.
  size_t len = v.BitLength();
  if (len <= bits) return true;
  if (len > bits + 1) return false;
  return v.Abs() == BigInt::PowerOfTwo(bits);
}

absl::Status CheckSignedRange(const BigInt& v, size_t bits,
                              absl::string_view prefix,
                              absl::string_view name) {
  if (!InSignedRange(v, bits)) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": ", name, " out of range (|", name, "| > 2^", bits, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckSignedRangeTimesModulus(const BigInt& v, size_t bits,
                                          const BigInt& modulus,
                                          absl::string_view prefix,
                                          absl::string_view name) {
  if (v.Abs() > modulus.ShiftLeft(bits)) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, " out of range (|", name, "| > 2^",
                     bits, " * modulus)"));
  }
  return absl::OkStatus();
}

absl::Status CheckUnit(const BigInt& v, const BigInt& modulus,
                       absl::string_view prefix, absl::string_view name,
                       absl::string_view modulus_name) {
  const char* reason = nullptr;
  if (v.IsZero()) {
    reason = "zero";
  } else if (v.IsNegative()) {
    reason = "negative";
  } else if (v >= modulus) {
    reason = "not below modulus";
  } else if (BigInt::Gcd(v, modulus) != BigInt(1)) {
    reason = "gcd with modulus != 1";
  }
  if (reason != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, ": ", name, " not in Z*_", modulus_name, " (", reason, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckNotIdentity(const Point& point, absl::string_view prefix,
                              absl::string_view name) {
  if (point.IsIdentity()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, " is the point at infinity"));
  }
  return absl::OkStatus();
}

BigInt RandomSignedTimes(size_t bits, const BigInt& modulus,
                         RandomSource& rng) {
  BigInt half = modulus.ShiftLeft(bits);
  return BigInt::RandomBelow(half.ShiftLeft(1) + BigInt(1), rng) - half;
}

absl::Status DecodeFlatProof(const google::protobuf::Message& message,
                             std::initializer_list<IntegerField> fields,
                             absl::string_view prefix) {
  if (!message.GetReflection()->GetUnknownFields(message).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": unknown fields present"));
  }
  for (const IntegerField& f : fields) {
    absl::StatusOr<BigInt> v =
        DecodeInteger(f.bytes, f.max_bytes, prefix, f.name);
    if (!v.ok()) return v.status();
    *f.dst = *std::move(v);
  }
  return absl::OkStatus();
}

absl::Status CheckDlogWitness(const Point& g, const Point& cap_x,
                              const BigInt& x, absl::string_view prefix) {
  if (g.IsIdentity() || cap_x.IsIdentity()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": g or X is the point at infinity"));
  }
  Scalar x_mod_q = Scalar::FromBigIntReduce(x);
  const bool matches = g.Mul(x_mod_q) == cap_x;
  x_mod_q.Wipe();
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": X != x*g"));
  }
  return absl::OkStatus();
}

absl::Status CheckGroupEquation(const Point& g, const BigInt& z1,
                                const Point& cap_y, const Point& cap_x,
                                const BigInt& e, absl::string_view prefix) {
  Point left = g.Mul(Scalar::FromBigIntReduce(z1));
  Point right = cap_y.Add(cap_x.Mul(Scalar::FromBigIntReduce(e)));
  if (left != right) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": group equation failed"));
  }
  return absl::OkStatus();
}

void AppendRangeParameters(Transcript& transcript, size_t ell) {
  transcript.AppendU64("L", ell);
  transcript.AppendU64("l'", kEllPrime);
  transcript.AppendU64("eps", kEpsilon);
}

BigInt ChallengeE(Transcript& transcript) {
  return transcript.ChallengeSymmetric("e", Scalar::Order());
}

void AppendPoint(Transcript& transcript, absl::string_view label,
                 const Point& point) {
  std::array<uint8_t, Point::kCompressedBytes> enc = point.EncodeOrZeros();
  transcript.AppendBytes(label, enc);
}

absl::StatusOr<BigInt> DecodeInteger(const std::string& bytes, size_t max_bytes,
                                     absl::string_view prefix,
                                     absl::string_view name) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": missing ", name));
  }
  absl::StatusOr<BigInt> v = BigInt::FromSignedBytes(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()),
      max_bytes);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, ": ", v.status().message()));
  }
  return v;
}

absl::StatusOr<Point> DecodePoint(const std::string& bytes,
                                  absl::string_view prefix,
                                  absl::string_view name) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, ": missing ", name));
  }
  absl::StatusOr<Point> p = Point::Decode(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!p.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", name, ": ", p.status().message()));
  }
  return p;
}

std::string EncodeInteger(const BigInt& v) {
  std::vector<uint8_t> b = v.ToSignedBytes();
  return std::string(b.begin(), b.end());
}

std::string EncodePoint(const Point& p) {
  std::array<uint8_t, Point::kCompressedBytes> b = p.EncodeOrZeros();
  return std::string(b.begin(), b.end());
}

// ---- CrtExponentiator ----

CrtExponentiator::CrtExponentiator(const BigInt& m1, const BigInt& order1,
                                   const BigInt& m2, const BigInt& order2)
    : m1_(m1), order1_(order1), m2_(m2), order2_(order2), m_(m1 * m2) {
  absl::StatusOr<BigInt> inv = BigInt::ModInverse(m1_, m2_);
  // The factors of a modulus are coprime by construction; a violation is a
  // programming error that would make every result wrong.
  if (!inv.ok()) __builtin_trap();
  m1_inv_mod_m2_ = *std::move(inv);
}

CrtExponentiator::~CrtExponentiator() = default;

CrtExponentiator CrtExponentiator::ForPaillierSquare(const BigInt& p,
                                                     const BigInt& q) {
  return CrtExponentiator(p * p, p * (p - BigInt(1)), q * q,
                          q * (q - BigInt(1)));
}

CrtExponentiator CrtExponentiator::ForPrimes(const BigInt& p, const BigInt& q) {
  return CrtExponentiator(p, p - BigInt(1), q, q - BigInt(1));
}

BigInt CrtExponentiator::Combine(const BigInt& r1, const BigInt& r2) const {
  // x = r1 + m1 · ((r2 - r1) · m1^{-1} mod m2), every reduction modulo the
  // secret m2 by mpn_sec_div_r (r2 + m2 - (r1 mod m2) is never negative).
  BigInt diff = r2 + m2_ - BigInt::ModConstTime(r1, m2_);
  BigInt h = BigInt::ModConstTime(diff * m1_inv_mod_m2_, m2_);
  BigInt out = r1 + m1_ * h;
  diff.Wipe();
  h.Wipe();
  return out;
}

namespace {

// base^mag mod m for mag >= 0 and a unit base, constant time in m, order and
// base (PowModConstTime; the base is reduced inside it). `order` is a
// multiple of the exponent of Z*_m. The branch compares bit lengths only:
// mag is public, and the bit length of order is fixed by the key format (p
// of kPaillierPrimeBits bits with its two top bits set). A mag shorter than
// order is used as is (a public exponent of public length); a longer one is
// reduced modulo order by mpn_sec_div_r and padded to order's bit length.
BigInt PowHalf(const BigInt& base, const BigInt& mag, const BigInt& order,
               const BigInt& m) {
  if (mag.BitLength() < order.BitLength()) {
    return BigInt::PowModConstTime(base, mag, m, mag.BitLength());
  }
  BigInt e = BigInt::ModConstTime(mag, order);
  BigInt out = BigInt::PowModConstTime(base, e, m, order.BitLength());
  e.Wipe();
  return out;
}

}  // namespace

BigInt CrtExponentiator::Pow(const BigInt& base, const BigInt& exp) const {
  // The sign of exp is public, and so is the result (any party can compute
  // base^exp mod m from public values): a negative exponent inverts the
  // combined result modulo the public m, never anything modulo a secret
  // factor.
  const BigInt mag = exp.Abs();
  BigInt r1 = PowHalf(base, mag, order1_, m1_);
  BigInt r2 = PowHalf(base, mag, order2_, m2_);
  BigInt out = Combine(r1, r2);
  r1.Wipe();
  r2.Wipe();
  if (exp.IsNegative()) {
    absl::StatusOr<BigInt> inv = BigInt::ModInverse(out, m_);
    // Callers only pass units; a non-unit is a programming error.
    if (!inv.ok()) __builtin_trap();
    return *std::move(inv);
  }
  return out;
}

// ---- Paillier / ring-Pedersen arithmetic ----

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
  return BigInt::PowMod(r, key.n(), key.n_squared());
}

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

absl::Status CheckOwnKey(const PaillierPublicKey& key,
                         const PaillierPrivateKey& own_key,
                         absl::string_view prefix, absl::string_view name) {
  if (own_key.n() != key.n()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": private key does not match ", name));
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

// ---- PaillierNoncePool ----

PaillierNoncePool::PaillierNoncePool(const PaillierPublicKey& key)
    : key_(key) {}

void PaillierNoncePool::Fill(size_t count, RandomSource& rng) {
  std::deque<PaillierNonce> fresh;
  for (size_t i = 0; i < count; ++i) {
    PaillierNonce nonce;
    nonce.r = BigInt::RandomUnit(key_.n(), rng);
    // Secret base r, public exponent and modulus.
    nonce.r_to_n = BigInt::PowModConstTime(nonce.r, key_.n(), key_.n_squared(),
                                           kPaillierModulusBits);
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

void AppendPaillier(Transcript& transcript, absl::string_view label,
                    const PaillierPublicKey& key) {
  transcript.AppendBigInt(label, key.n());
}

void AppendRingPedersen(Transcript& transcript,
                        const RingPedersenParams& params) {
  transcript.AppendBigInt("Nhat", params.n());
  transcript.AppendBigInt("s", params.s());
  transcript.AppendBigInt("t", params.t());
}

}  // namespace nitro_tss::mpc::zk
