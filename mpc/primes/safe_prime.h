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
//      confirming Miller–Rabin on p (2 rounds), with random bases from the
//      search's RandomSource.
//
// Side channels: the sieve only sees values that are not yet secret (its
// residues are computed per window start, its timing shows where in the
// window the search stopped). Every test of steps 3 and 4 runs on the
// candidate that will become a secret key factor, so all of them are
// constant time in the candidate: BigInt::PowModConstTime (mpn_sec_powm) for
// Fermat and Pocklington, MillerRabinConstTime below for Miller–Rabin (not
// GMP's variable-time mpz_probab_prime_p). Scratch limbs are wiped; the
// BigInt temporaries wipe themselves.
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
//   cancel:  optional; nullptr (the default) searches until a prime is
//            found. Once *cancel is true the search stops and returns
//            CANCELLED ("safe prime search cancelled"). Every worker reads
//            the flag (relaxed atomic load) before each window's random
//            start and before each sieved candidate's tests, never inside a
//            test: a cancelled search ends once each worker has finished
//            the candidate it is testing (a Fermat test, or for the rare
//            candidate that passes it, its Miller–Rabin rounds) or the sieve
//            of its current window. The tests of the candidates stay
//            constant time; the flag adds one load per candidate. A worker
//            that finds its prime before it sees the flag returns the prime.
//            Candidates, partial results and scratch are wiped either way.
//            The flag may be set from any thread and is never reset here.
absl::StatusOr<BigInt> GenerateSafePrime(
    size_t bits, RandomSource& rng, int threads = 1,
    const std::atomic<bool>* cancel = nullptr);

// Miller–Rabin (strong probable prime test) with `rounds` >= 1 random bases
// in [2, n - 2] from rng, for odd n > 3 (other arguments trap). Constant time
// in n for a given limb count while n passes: the base powers use
// BigInt::PowModConstTime with the exponent padded to n's bit length, and
// the s - 1 squarings of n - 1 = 2^s·d are always max(s, 64) - 1 squarings
// (mpn_sec_sqr / mpn_sec_div_r) with constant-time comparisons, so neither d
// nor s shows (s > 64 has probability 2^-64 for a random candidate). A round
// that fails returns false at once (rejecting n is public). Error probability
// for a composite n < 4^-rounds.
bool MillerRabinConstTime(const BigInt& n, int rounds, RandomSource& rng);

// True iff p is a safe prime: p and (p - 1) / 2 are free of odd prime factors
// below 2^16 and both pass `rounds` rounds of MillerRabinConstTime (bases
// from rng; SystemRandom() without it). p <= 4 is never safe; p < 2^32 (too
// small to be secret) uses GMP's variable-time mpz_probab_prime_p.
bool IsSafePrime(const BigInt& p, int rounds, RandomSource& rng);
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
