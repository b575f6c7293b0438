#include "mpc/primes/safe_prime.h"

#include <gmp.h>

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

// Tests one sieved candidate; true iff p = 2q + 1 is a safe prime.
bool TestCandidate(const BigInt& q, const BigInt& p, mpz_t scratch,
                   mpz_t exponent, const mpz_t two) {
  // Fermat base 2 on q.
  mpz_sub_ui(exponent, q.get(), 1);
  mpz_powm(scratch, two, exponent, q.get());
  if (mpz_cmp_ui(scratch, 1) != 0) return false;
  // Pocklington on p: 2^(p-1) = 2^(2q) ≡ 1 (mod p).
  mpz_sub_ui(exponent, p.get(), 1);
  mpz_powm(scratch, two, exponent, p.get());
  if (mpz_cmp_ui(scratch, 1) != 0) return false;
  // Full Miller–Rabin on q, confirming rounds on p.
  if (mpz_probab_prime_p(q.get(), kSafePrimeMillerRabinRounds) == 0) {
    return false;
  }
  return mpz_probab_prime_p(p.get(), 2) != 0;
}

// One search worker: scans windows until it finds a safe prime or `stop`
// is set. Returns true and sets *out when it found one.
bool SearchWorker(size_t bits, RandomSource& rng, const std::atomic<bool>& stop,
                  const std::atomic<bool>* cancel, BigInt* out) {
  const std::vector<uint32_t>& primes = SmallOddPrimes();
  std::vector<uint8_t> struck(kWindow);
  mpz_t scratch, exponent, two;
  mpz_inits(scratch, exponent, two, nullptr);
  mpz_set_ui(two, 2);
  bool found = false;
  while (!found) {
    if (stop.load(std::memory_order_relaxed) ||
        (cancel != nullptr && cancel->load(std::memory_order_relaxed))) {
      break;
    }
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
      if ((k & 63) == 0 &&
          (stop.load(std::memory_order_relaxed) ||
           (cancel != nullptr && cancel->load(std::memory_order_relaxed)))) {
        break;
      }
      mpz_add_ui(q.get_mut(), q0.get(), 2 * k);
      mpz_mul_2exp(p.get_mut(), q.get(), 1);
      mpz_add_ui(p.get_mut(), p.get(), 1);
      if (p.BitLength() != bits || !p.TestBit(bits - 2)) break;
      if (p.ToU64() % 4 != 3) continue;  // never: q is odd
      if (TestCandidate(q, p, scratch, exponent, two)) {
        *out = std::move(p);
        found = true;
        break;
      }
    }
  }
  mpz_clears(scratch, exponent, two, nullptr);
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
    return absl::CancelledError("safe prime: generation cancelled");
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
    return absl::CancelledError("safe prime: generation cancelled");
  }
  return result;
}

bool IsSafePrime(const BigInt& p, int rounds) {
  if (p <= BigInt(4)) return false;
  if (!p.IsProbablePrime(rounds)) return false;
  BigInt q = (p - BigInt(1)).ShiftRight(1);
  return q.IsProbablePrime(rounds);
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
