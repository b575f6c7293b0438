// The round timer of the enclave's Sessions stream (node/enclave/service.h
// RoundTimer): at most one pending entry per key (a session re-arming its
// round deadline replaces its entry instead of piling entries up), Cancel
// drops it, entries fire in time order on the timer's thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "node/enclave/service.h"

namespace nitro_tss::enclave {
namespace {

// What fired, in order; waits for a name to have fired.
struct Fired {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> names;  // guarded by mu

  std::function<void()> Record(const std::string& name) {
    return [this, name] {
      std::lock_guard<std::mutex> lock(mu);
      names.push_back(name);
      cv.notify_all();
    };
  }
  bool Wait(const std::string& name) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::find(names.begin(), names.end(), name) != names.end();
    });
  }
};

// An entry that holds the timer's (single) thread until Open(): entries
// scheduled meanwhile cannot fire before the test has set them all up,
// however slowly the test's thread runs. Declare it after the timer (it is
// destroyed first: it opens and waits until its entry has returned).
class Gate {
 public:
  ~Gate() {
    Open();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !entered_ || exited_; });
  }
  std::function<void()> Entry() {
    return [this] {
      std::unique_lock<std::mutex> lock(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
      exited_ = true;
      cv_.notify_all();
    };
  }
  // Schedules the entry now and waits until the timer's thread holds it.
  void Close(RoundTimer& timer) {
    timer.Schedule(this, absl::Now(), Entry());
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, open_ = false, exited_ = false;  // guarded by mu_
};

TEST(RoundTimerTest, ReschedulingAKeyReplacesItsEntry) {
  RoundTimer timer;
  Fired fired;
  const int key = 0;
  const absl::Time base = absl::Now() + absl::Seconds(60);
  for (int i = 0; i < 1000; ++i) {
    timer.Schedule(&key, base + absl::Milliseconds(i), fired.Record("late"));
  }
  EXPECT_EQ(timer.pending(), 1u);
  // Re-armed earlier: only the last entry fires, once.
  timer.Schedule(&key, absl::Now() + absl::Milliseconds(20),
                 fired.Record("armed"));
  EXPECT_EQ(timer.pending(), 1u);
  ASSERT_TRUE(fired.Wait("armed"));
  EXPECT_EQ(timer.pending(), 0u);
  std::lock_guard<std::mutex> lock(fired.mu);
  EXPECT_EQ(fired.names, std::vector<std::string>{"armed"});
}

TEST(RoundTimerTest, ACancelledEntryNeverFires) {
  RoundTimer timer;
  Gate gate;
  Fired fired;
  const int cancelled = 0, sentinel = 0;
  gate.Close(timer);
  timer.Schedule(&cancelled, absl::Now() + absl::Milliseconds(10),
                 fired.Record("cancelled"));
  timer.Cancel(&cancelled);
  EXPECT_EQ(timer.pending(), 0u);
  timer.Cancel(&cancelled);  // twice: nothing
  // Entries fire in time order: once the later sentinel fired, the
  // cancelled one would have.
  timer.Schedule(&sentinel, absl::Now() + absl::Milliseconds(30),
                 fired.Record("sentinel"));
  gate.Open();
  ASSERT_TRUE(fired.Wait("sentinel"));
  std::lock_guard<std::mutex> lock(fired.mu);
  EXPECT_EQ(fired.names, std::vector<std::string>{"sentinel"});
}

TEST(RoundTimerTest, KeysAreIndependentAndFireInTimeOrder) {
  RoundTimer timer;
  Gate gate;
  Fired fired;
  const int a = 0, b = 0, c = 0;
  gate.Close(timer);
  const absl::Time now = absl::Now();
  timer.Schedule(&c, now + absl::Milliseconds(30), fired.Record("c"));
  timer.Schedule(&a, now + absl::Milliseconds(10), fired.Record("a"));
  timer.Schedule(&b, now + absl::Milliseconds(20), fired.Record("b"));
  EXPECT_EQ(timer.pending(), 3u);
  gate.Open();
  ASSERT_TRUE(fired.Wait("c"));
  std::lock_guard<std::mutex> lock(fired.mu);
  EXPECT_EQ(fired.names, (std::vector<std::string>{"a", "b", "c"}));
}

// An entry may re-schedule its own key from its function (a session's tick
// re-arming the deadline): no deadlock, the new entry fires.
TEST(RoundTimerTest, AnEntryMayRescheduleItsKey) {
  RoundTimer timer;
  Fired fired;
  const int key = 0;
  timer.Schedule(&key, absl::Now(), [&] {
    timer.Schedule(&key, absl::Now() + absl::Milliseconds(5),
                   fired.Record("again"));
  });
  ASSERT_TRUE(fired.Wait("again"));
  EXPECT_EQ(timer.pending(), 0u);
}

}  // namespace
}  // namespace nitro_tss::enclave
