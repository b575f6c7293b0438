// Safe-prime generation for Paillier and ring-Pedersen moduli.
//
// A safe prime is p = 2q + 1 with q prime. GenerateSafePrime returns a
// `bits`-bit safe prime with its two top bits set (so the product of two such
// primes has exactly 2*bits bits) and p ≡ 3 (mod 4) (automatic: q is odd).
//
// Search strategy (all before any full primality test):
//   1. pick a random odd q0 with the required top bits;
//   2. sieve a window of candidates q = q0 + 2k against every odd prime
//      r < 2^16, striking k whenever r | q or r | 2q + 1 (both residues are
//      sieved together, incrementally over the window);
//   3. for each survivor: Fermat test 2^(q-1) ≡ 1 (mod q), then the
//      Pocklington test 2^(p-1) ≡ 1 (mod p) (which proves p prime once q is
//      prime, since q > sqrt(p) and gcd(2^2 - 1, p) = 1);
//   4. finally Miller–Rabin on q (kSafePrimeMillerRabinRounds rounds) and a
//      confirming Miller–Rabin on p.
#ifndef NITRO_TSS_MPC_PRIMES_SAFE_PRIME_H_
#define NITRO_TSS_MPC_PRIMES_SAFE_PRIME_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/bigint.h"
#include "mpc/math/random.h"

namespace nitro_tss::mpc {

// Miller–Rabin rounds applied to q once the cheap tests pass (random
// candidates: error probability far below 2^-100).
inline constexpr int kSafePrimeMillerRabinRounds = 32;

// Returns a uniformly searched `bits`-bit safe prime p = 2q + 1 with the two
// top bits set and p ≡ 3 (mod 4).
//   bits:    64 <= bits <= 8192, else InvalidArgument.
//   threads: 1..64 worker threads; each worker uses rng.Fork(). With
//            threads > 1 the result depends on scheduling (still a valid
//            safe prime); with threads == 1 it is a deterministic function
//            of rng's stream.
//   cancel:  optional; when it becomes true the search stops and Cancelled
//            is returned.
absl::StatusOr<BigInt> GenerateSafePrime(
    size_t bits, RandomSource& rng, int threads = 1,
    const std::atomic<bool>* cancel = nullptr);

// True iff p is a safe prime: p and (p - 1) / 2 both pass `rounds` rounds
// of Miller–Rabin (GMP mpz_probab_prime_p). p <= 4 is never safe.
bool IsSafePrime(const BigInt& p, int rounds = 40);

// A thread-safe pool of pre-generated safe primes that a node draws from
// when it needs a fresh Paillier or ring-Pedersen key.
//
// The pool never starts threads itself: the caller runs RunFiller() on a
// thread of its choosing; RunFiller() generates primes until the pool holds
// `capacity` primes, sleeps while it is full, and returns after Stop().
class SafePrimePool {
 public:
  // `bits`: size of the primes; `capacity` >= 1: how many to keep ready.
  SafePrimePool(size_t bits, size_t capacity);
  ~SafePrimePool();

  SafePrimePool(const SafePrimePool&) = delete;
  SafePrimePool& operator=(const SafePrimePool&) = delete;

  // Fills the pool using `threads` workers per prime (see
  // GenerateSafePrime). Blocks until Stop() is called; returns the first
  // generation error, or OkStatus after Stop().
  absl::Status RunFiller(RandomSource& rng, int threads = 1);

  // Asks RunFiller() (and any blocked Take()) to return soon.
  void Stop();

  // Removes and returns one prime, waiting up to `timeout` for the filler.
  // Unavailable if none arrived in time or the pool was stopped and is
  // empty.
  absl::StatusOr<BigInt> Take(std::chrono::milliseconds timeout);
  // Non-blocking Take(): Unavailable when the pool is empty.
  absl::StatusOr<BigInt> TryTake();

  // Adds an externally obtained prime (e.g. restored from sealed storage).
  // InvalidArgument unless it is a `bits`-bit safe prime with the top two
  // bits set; ResourceExhausted when the pool is full.
  absl::Status Add(BigInt prime);

  size_t Size() const;
  size_t bits() const { return bits_; }

 private:
  const size_t bits_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<BigInt> primes_;
  std::atomic<bool> stopped_{false};
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_PRIMES_SAFE_PRIME_H_
