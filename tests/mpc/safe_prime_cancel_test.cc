// Cancelling a safe-prime search (the cancel flag of GenerateSafePrime and
// GenerateKeygenMaterial): a search cancelled while it runs returns
// CANCELLED once its workers see the flag (the test joins its thread: a
// search that ignored the flag would run on for minutes and then succeed);
// a search whose flag stays false finds valid safe primes, the same ones as
// without a flag.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "mpc/gg20/keygen.h"
#include "mpc/math/random.h"
#include "mpc/primes/safe_prime.h"

namespace nitro_tss::mpc {
namespace {

// Set once; Wait() returns once it is.
class Signal {
 public:
  void Fire() {
    std::lock_guard<std::mutex> lock(mu_);
    fired_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return fired_; });
  }
  bool fired() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool fired_ = false;
};

// Draws from `inner` and fires `started` after each draw of it or of its
// forks: a search draws a random start for each window before it sieves and
// tests that window's candidates, so `started` means the search is running.
class StartSignallingRandom final : public RandomSource {
 public:
  StartSignallingRandom(RandomSource& inner, Signal* started)
      : inner_(inner), started_(started) {}
  StartSignallingRandom(std::unique_ptr<RandomSource> owned, Signal* started)
      : owned_(std::move(owned)), inner_(*owned_), started_(started) {}

  void Fill(uint8_t* out, size_t len) override {
    inner_.Fill(out, len);
    started_->Fire();
  }
  std::unique_ptr<RandomSource> Fork() override {
    return std::make_unique<StartSignallingRandom>(inner_.Fork(), started_);
  }

 private:
  std::unique_ptr<RandomSource> owned_;
  RandomSource& inner_;
  Signal* started_;
};

// Runs `search(rng, &cancel)` on a thread with a random source that signals
// its first draw; once it has drawn, sets the flag when `cancel_once_started`
// (the twin leaves it false), then joins and returns the result.
template <typename Search>
auto RunOnAThread(Search search, bool cancel_once_started) {
  Signal started;
  StartSignallingRandom rng(SystemRandom(), &started);
  std::atomic<bool> cancel{false};
  std::optional<decltype(search(rng, &cancel))> result;
  std::thread t([&] { result.emplace(search(rng, &cancel)); });
  started.Wait();
  if (cancel_once_started) cancel.store(true);
  t.join();
  return *std::move(result);
}

class SafePrimeCancelTest : public ::testing::TestWithParam<int> {};

// 2048-bit primes: a search takes minutes here, so the flag, set as soon as
// the search has drawn its first window, ends it long before it could
// finish.
TEST_P(SafePrimeCancelTest, ASearchCancelledWhileRunningReturnsCancelled) {
  const int threads = GetParam();
  absl::StatusOr<BigInt> result = RunOnAThread(
      [threads](RandomSource& rng, const std::atomic<bool>* cancel) {
        return GenerateSafePrime(2048, rng, threads, cancel);
      },
      /*cancel_once_started=*/true);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled)
      << result.status();
  EXPECT_EQ(result.status().message(), "safe prime search cancelled");
}

// The twin: the same search with a flag that stays false runs to the end
// (256-bit primes, as the other safe-prime tests, for speed) and returns a
// valid safe prime.
TEST_P(SafePrimeCancelTest, ASearchNotCancelledFindsASafePrime) {
  const int threads = GetParam();
  absl::StatusOr<BigInt> result = RunOnAThread(
      [threads](RandomSource& rng, const std::atomic<bool>* cancel) {
        return GenerateSafePrime(256, rng, threads, cancel);
      },
      /*cancel_once_started=*/false);
  ASSERT_TRUE(result.ok()) << result.status();
  const BigInt& p = *result;
  EXPECT_EQ(p.BitLength(), 256u);
  EXPECT_TRUE(p.TestBit(254));
  EXPECT_EQ(p.ToU64() % 4, 3u);
  EXPECT_TRUE(IsSafePrime(p, 40));
}

INSTANTIATE_TEST_SUITE_P(Threads, SafePrimeCancelTest, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 1 ? "OneThread" : "TwoThreads";
                         });

// With one thread the search is a function of its random stream: a flag that
// stays false changes nothing.
TEST(SafePrimeCancel, AFlagThatStaysFalseGivesTheSamePrimeAsNoFlag) {
  DeterministicRandom a(11), b(11);
  std::atomic<bool> cancel{false};
  auto with_flag = GenerateSafePrime(256, a, 1, &cancel);
  auto without = GenerateSafePrime(256, b, 1);
  ASSERT_TRUE(with_flag.ok()) << with_flag.status();
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(*with_flag, *without);
}

// A flag already set: the search ends before it draws anything.
TEST(SafePrimeCancel, AFlagSetBeforeTheStartDrawsNothing) {
  Signal drawn;
  StartSignallingRandom rng(SystemRandom(), &drawn);
  std::atomic<bool> cancel{true};
  for (int threads : {1, 2}) {
    auto p = GenerateSafePrime(1024, rng, threads, &cancel);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kCancelled) << p.status();
  }
  EXPECT_FALSE(drawn.fired());
}

// GenerateKeygenMaterial hands its flag to the prime searches and returns
// their CANCELLED.
TEST(SafePrimeCancel, KeygenMaterialCancelledWhileSearchingReturnsCancelled) {
  absl::StatusOr<gg20::KeygenMaterial> result = RunOnAThread(
      [](RandomSource& rng, const std::atomic<bool>* cancel) {
        return gg20::GenerateKeygenMaterial(
            rng, /*threads=*/2, /*separate_ring_pedersen_modulus=*/true,
            cancel);
      },
      /*cancel_once_started=*/true);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled)
      << result.status();
  EXPECT_EQ(result.status().message(), "safe prime search cancelled");
}

}  // namespace
}  // namespace nitro_tss::mpc
