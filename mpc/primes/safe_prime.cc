#include "mpc/primes/safe_prime.h"

#include <gmp.h>
#include <sodium.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc {
namespace {

constexpr uint32_t kSieveLimit = 1u << 16;  // sieve with all odd primes < 2^16
constexpr size_t kWindow = 1u << 15;        // candidates q0 + 2k, k < kWindow

// Odd primes below kSieveLimit (computed once, thread-safe).
const std::vector<uint32_t>& SmallOddPrimes() {
  static const std::vector<uint32_t>* primes = [] {
    std::vector<bool> composite(kSieveLimit, false);
    auto* out = new std::vector<uint32_t>();
    for (uint32_t i = 3; i < kSieveLimit; i += 2) {
      if (composite[i]) continue;
      out->push_back(i);
      for (uint64_t j = uint64_t{i} * i; j < kSieveLimit; j += 2 * i) {
        composite[j] = true;
      }
    }
    return out;
  }();
  return *primes;
}

// Random odd q0 of bits-1 bits whose two top bits are set, so that
// p = 2q + 1 has exactly `bits` bits and its two top bits set.
BigInt RandomStart(size_t bits, RandomSource& rng) {
  BigInt q = BigInt::RandomBits(bits - 1, rng);
  mpz_setbit(q.get_mut(), bits - 2);
  mpz_setbit(q.get_mut(), bits - 3);
  mpz_setbit(q.get_mut(), 0);
  return q;
}

// Copies v (0 <= v < 2^(64·n)) into exactly n limbs.
std::vector<mp_limb_t> Limbs(const BigInt& v, size_t n) {
  std::vector<mp_limb_t> out(n, 0);
  const size_t size = mpz_size(v.get());
  const mp_limb_t* d = mpz_limbs_read(v.get());
  for (size_t i = 0; i < size && i < n; ++i) out[i] = d[i];
  return out;
}

void WipeLimbs(std::vector<mp_limb_t>& v) {
  if (!v.empty()) sodium_memzero(v.data(), v.size() * sizeof(mp_limb_t));
}

// 1 iff x[0..n) == y[0..n), without branching on the values.
mp_limb_t LimbsEqual(const std::vector<mp_limb_t>& x,
                     const std::vector<mp_limb_t>& y) {
  mp_limb_t diff = 0;
  for (size_t i = 0; i < x.size(); ++i) diff |= x[i] ^ y[i];
  return 1 ^ ((diff | (0 - diff)) >> (GMP_NUMB_BITS - 1));
}

// Fermat test base 2, constant time in n: 2^(n-1) ≡ 1 (mod n). The result is
// public (a rejected candidate is discarded; the accepted one always passes).
bool FermatBase2(const BigInt& n) {
  BigInt r =
      BigInt::PowModConstTime(BigInt(2), n - BigInt(1), n, n.BitLength());
  return r == BigInt(1);
}

// Trial division by the odd primes below kSieveLimit (mpz_fdiv_ui: one pass
// over n's limbs whatever the value). n must exceed kSieveLimit.
bool HasSmallFactor(const BigInt& n) {
  bool factor = false;
  for (uint32_t r : SmallOddPrimes()) factor |= mpz_fdiv_ui(n.get(), r) == 0;
  return factor || !n.IsOdd();
}

}  // namespace

bool MillerRabinConstTime(const BigInt& n, int rounds, RandomSource& rng) {
  if (n <= BigInt(3) || !n.IsOdd() || rounds < 1) __builtin_trap();
  const BigInt n_minus_1 = n - BigInt(1);
  // n - 1 = 2^s · d. mpz_scan1 reads limbs up to the first non-zero one (the
  // lowest, unless 2^64 | n - 1); the shift is by a register count.
  const size_t s = mpz_scan1(n_minus_1.get(), 0);
  BigInt d = n_minus_1.ShiftRight(s);
  const size_t bits = n.BitLength();
  const size_t limbs = mpz_size(n.get());
  const mp_size_t nn = static_cast<mp_size_t>(limbs);
  // Always kMinSquarings - 1 squarings (more only when s exceeds it, which
  // has probability 2^-63 for a random candidate), each counted only while
  // j < s: the work does not depend on s.
  constexpr size_t kMinSquarings = 64;
  const size_t squarings = std::max(s, kMinSquarings);
  const std::vector<mp_limb_t> one = Limbs(BigInt(1), limbs);
  std::vector<mp_limb_t> minus_one = Limbs(n_minus_1, limbs);
  const mp_limb_t* mod = mpz_limbs_read(n.get());
  mp_size_t itch = mpn_sec_sqr_itch(nn);
  itch = std::max(itch, mpn_sec_div_r_itch(2 * nn, nn));
  std::vector<mp_limb_t> x(limbs), sq(2 * limbs),
      scratch(static_cast<size_t>(itch));
  const BigInt base_range = n - BigInt(3);
  bool probable_prime = true;
  for (int round = 0; round < rounds && probable_prime; ++round) {
    BigInt a = BigInt::RandomBelow(base_range, rng) + BigInt(2);  // [2, n-2]
    BigInt x0 = BigInt::PowModConstTime(a, d, n, bits);
    std::vector<mp_limb_t> x0_limbs = Limbs(x0, limbs);
    std::copy(x0_limbs.begin(), x0_limbs.end(), x.begin());
    WipeLimbs(x0_limbs);
    x0.Wipe();
    a.Wipe();
    mp_limb_t pass = LimbsEqual(x, one) | LimbsEqual(x, minus_one);
    for (size_t j = 1; j < squarings; ++j) {
      mpn_sec_sqr(sq.data(), x.data(), nn, scratch.data());
      mpn_sec_div_r(sq.data(), 2 * nn, mod, nn, scratch.data());
      std::copy(sq.begin(), sq.begin() + nn, x.begin());
      const mp_limb_t active =
          static_cast<mp_limb_t>(j - s) >> (GMP_NUMB_BITS - 1);  // 1 iff j < s
      pass |= active & LimbsEqual(x, minus_one);
    }
    // A failing round rejects n: that decision is public.
    probable_prime = pass != 0;
  }
  d.Wipe();
  WipeLimbs(minus_one);
  WipeLimbs(x);
  WipeLimbs(sq);
  WipeLimbs(scratch);
  return probable_prime;
}

namespace {

// Tests one sieved candidate; true iff p = 2q + 1 is a safe prime. Every test
// is constant time in q and p (BigInt::PowModConstTime, MillerRabinConstTime):
// the candidate that passes becomes a secret key factor, and the time spent
// on it must not depend on its value.
bool TestCandidate(const BigInt& q, const BigInt& p, RandomSource& rng) {
  // Fermat base 2 on q.
  if (!FermatBase2(q)) return false;
  // Pocklington on p: 2^(p-1) = 2^(2q) ≡ 1 (mod p).
  if (!FermatBase2(p)) return false;
  // Full Miller–Rabin on q, confirming rounds on p.
  if (!MillerRabinConstTime(q, kSafePrimeMillerRabinRounds, rng)) return false;
  return MillerRabinConstTime(p, 2, rng);
}

// True once the search should end: another worker found a prime (`stop`)
// or the caller cancelled. Read between candidates only (public control
// flow, never inside a test of a candidate).
bool Stopping(const std::atomic<bool>& stop, const std::atomic<bool>* cancel) {
  return stop.load(std::memory_order_relaxed) ||
         (cancel != nullptr && cancel->load(std::memory_order_relaxed));
}

// One search worker: scans windows until it finds a safe prime or
// Stopping() (checked before each window and before each candidate's
// tests). Returns true and sets *out when it found one.
bool SearchWorker(size_t bits, RandomSource& rng, const std::atomic<bool>& stop,
                  const std::atomic<bool>* cancel, BigInt* out) {
  const std::vector<uint32_t>& primes = SmallOddPrimes();
  std::vector<uint8_t> struck(kWindow);
  bool found = false;
  while (!found && !Stopping(stop, cancel)) {
    BigInt q0 = RandomStart(bits, rng);
    std::fill(struck.begin(), struck.end(), 0);
    for (uint32_t r : primes) {
      // q = q0 + 2k. Strike k with q ≡ 0 (mod r) and with q ≡ (r-1)/2
      // (mod r), i.e. 2q + 1 ≡ 0 (mod r).
      const uint64_t q0_mod = mpz_fdiv_ui(q0.get(), r);
      const uint64_t inv2 = (r + 1) / 2;
      for (uint64_t target : {uint64_t{0}, uint64_t{(r - 1) / 2}}) {
        uint64_t k = ((target + r - q0_mod) % r) * inv2 % r;
        for (; k < kWindow; k += r) struck[k] = 1;
      }
    }
    BigInt q, p;
    for (size_t k = 0; k < kWindow; ++k) {
      if (struck[k]) continue;
      if (Stopping(stop, cancel)) break;
      mpz_add_ui(q.get_mut(), q0.get(), 2 * k);
      mpz_mul_2exp(p.get_mut(), q.get(), 1);
      mpz_add_ui(p.get_mut(), p.get(), 1);
      if (p.BitLength() != bits || !p.TestBit(bits - 2)) break;
      if (p.ToU64() % 4 != 3) continue;  // never: q is odd
      if (TestCandidate(q, p, rng)) {
        *out = std::move(p);
        found = true;
        break;
      }
    }
  }
  // The sieve's strikes of the last window show q0 modulo the small primes
  // (a secret factor's residues when this window found it).
  sodium_memzero(struck.data(), struck.size());
  return found;
}

}  // namespace

absl::StatusOr<BigInt> GenerateSafePrime(size_t bits, RandomSource& rng,
                                         int threads,
                                         const std::atomic<bool>* cancel) {
  if (bits < 64 || bits > 8192) {
    return absl::InvalidArgumentError(
        absl::StrCat("safe prime: bit length ", bits, " not in [64, 8192]"));
  }
  if (threads < 1 || threads > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("safe prime: thread count ", threads, " not in [1, 64]"));
  }
  std::atomic<bool> stop{false};
  if (threads == 1) {
    BigInt p;
    if (SearchWorker(bits, rng, stop, cancel, &p)) return p;
    return absl::CancelledError("safe prime search cancelled");
  }
  std::mutex mu;
  BigInt result;
  bool have_result = false;
  std::vector<std::unique_ptr<RandomSource>> forks;
  for (int i = 0; i < threads; ++i) forks.push_back(rng.Fork());
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      BigInt p;
      if (SearchWorker(bits, *forks[i], stop, cancel, &p)) {
        std::lock_guard<std::mutex> lock(mu);
        if (!have_result) {
          result = std::move(p);
          have_result = true;
        }
        stop.store(true);
      }
    });
  }
  for (std::thread& t : workers) t.join();
  if (!have_result) {
    return absl::CancelledError("safe prime search cancelled");
  }
  return result;
}

bool IsSafePrime(const BigInt& p, int rounds, RandomSource& rng) {
  if (p <= BigInt(4)) return false;
  BigInt q = (p - BigInt(1)).ShiftRight(1);
  if (p.BitLength() <= 32) {
    // Too small to be a key factor: GMP's (variable-time) test.
    return p.IsProbablePrime(rounds) && q.IsProbablePrime(rounds);
  }
  if (rounds < 1) rounds = 1;
  if (HasSmallFactor(p) || HasSmallFactor(q)) return false;
  bool safe = MillerRabinConstTime(p, rounds, rng) &&
              MillerRabinConstTime(q, rounds, rng);
  q.Wipe();
  return safe;
}

bool IsSafePrime(const BigInt& p, int rounds) {
  return IsSafePrime(p, rounds, SystemRandom());
}

SafePrimePool::SafePrimePool(size_t bits, size_t capacity)
    : bits_(bits), capacity_(capacity == 0 ? 1 : capacity) {}

SafePrimePool::~SafePrimePool() { Stop(); }

absl::Status SafePrimePool::RunFiller(RandomSource& rng, int threads) {
  while (!stopped_.load()) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(
          lock, [&] { return stopped_.load() || primes_.size() < capacity_; });
      if (stopped_.load()) break;
    }
    absl::StatusOr<BigInt> p =
        GenerateSafePrime(bits_, rng, threads, &stopped_);
    if (!p.ok()) {
      if (stopped_.load()) break;
      return p.status();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      primes_.push_back(*std::move(p));
    }
    changed_.notify_all();
  }
  return absl::OkStatus();
}

void SafePrimePool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_.store(true);
  }
  changed_.notify_all();
}

absl::StatusOr<BigInt> SafePrimePool::Take(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout,
                    [&] { return stopped_.load() || !primes_.empty(); });
  if (primes_.empty()) {
    return absl::UnavailableError("safe prime pool: no prime available");
  }
  BigInt p = std::move(primes_.front());
  primes_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return p;
}

absl::StatusOr<BigInt> SafePrimePool::TryTake() {
  return Take(std::chrono::milliseconds(0));
}

absl::Status SafePrimePool::Add(BigInt prime) {
  if (prime.BitLength() != bits_ || !prime.TestBit(bits_ - 2) ||
      !IsSafePrime(prime)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "safe prime pool: not a ", bits_, "-bit safe prime with top bits set"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (primes_.size() >= capacity_) {
      return absl::ResourceExhaustedError("safe prime pool: full");
    }
    primes_.push_back(std::move(prime));
  }
  changed_.notify_all();
  return absl::OkStatus();
}

size_t SafePrimePool::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return primes_.size();
}

}  // namespace nitro_tss::mpc
