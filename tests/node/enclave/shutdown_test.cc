// tss-enclave's graceful exit while its keygen material pool searches for
// safe primes: SIGTERM cancels the search (MaterialPool::EndTakes and its
// destructor), and the process exits 0 at once, not after the search
// (seconds to minutes for one set) nor after the shutdown's 5 s grace
// period (node/enclave/process.cc) although the harness's connection, used
// for a call just before, stays open.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::enclave {
namespace {

namespace ev1 = enclave::v1;
using nitro_tss::testing::ClusterOptions;
using nitro_tss::testing::LocalCluster;

// With no call in flight the gRPC server closes its connections at once
// rather than wait up to the 5 s grace for an idle client (here the
// harness's) to answer its graceful GOAWAY's ping. The exit follows (the
// material search cancelled) within kTeardown: a margin for the last
// candidate's test, the process's teardown and the harness's exit polling
// on a loaded 2-core machine, less than the grace (5 s: the exit took
// 5.0 s when the server waited for the idle client), the 10 s after which
// the harness kills the process and far less than the rest of a set's
// search (four 1024-bit safe primes: ten seconds or more here).
constexpr absl::Duration kTeardown = absl::Milliseconds(4500);

TEST(EnclaveShutdown, SigtermDuringAMaterialSearchExitsAtOnce) {
  ClusterOptions options;
  options.nodes = 1;
  // The pool searches until it holds 16 sets: while fewer are ready (for
  // many minutes), a safe-prime search is running.
  options.keygen_material_pool_size = 16;
  // Four primes a set (N̂ apart from N): a long search to cancel.
  options.share_ring_pedersen_modulus = false;
  auto cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  LocalCluster& c = **cluster;

  ev1::GetInfoResponse info;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  const grpc::Status s =
      c.enclave(0).GetInfo(&ctx, ev1::GetInfoRequest(), &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_LT(info.keygen_material_ready(), 16u);

  const absl::Time t0 = absl::Now();
  // SIGTERM, and the exit (SIGKILL after 10 s: 128 + 9).
  EXPECT_EQ(c.StopEnclave(0), 0) << c.EnclaveLog(0);
  EXPECT_LT(absl::Now() - t0, kTeardown) << c.EnclaveLog(0);
  const std::string log = c.EnclaveLog(0);
  EXPECT_TRUE(absl::StrContains(log, "stopped")) << log;
}

// Unary calls sent to the enclave before its SIGTERM get an answer: OK
// (counted in flight when the shutdown began: the server waits for their
// replies to go out before it closes its connections) or UNAVAILABLE
// (refused as the shutdown began), never CANCELLED by the server cutting a
// call whose handler had returned. Four callers keep GetInfo calls going
// back to back on the harness's connection until each sees its first
// error; every call one of them began before the signal is checked, in
// eight shutdowns (a reply cut by the server is a race: on the code that
// shut the server down at once it showed in about one shutdown of six).
TEST(EnclaveShutdown, UnaryCallsSentBeforeSigtermGetTheirAnswers) {
  ClusterOptions options;
  options.nodes = 1;
  auto cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  LocalCluster& c = **cluster;

  constexpr int kShutdowns = 8;
  constexpr int kCallers = 4;
  for (int round = 0; round < kShutdowns; ++round) {
    if (round > 0) {
      ASSERT_TRUE(c.StartEnclave(0).ok());
    }
    struct Call {
      absl::Time began;
      grpc::Status status;
    };
    std::vector<std::vector<Call>> calls(kCallers);
    std::mutex mu;
    std::condition_variable cv;
    int answered = 0;  // callers whose first call returned; guarded by mu
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&, i] {
        for (bool first = true;; first = false) {
          Call& call = calls[i].emplace_back();
          call.began = absl::Now();
          grpc::ClientContext ctx;
          ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
          ev1::GetInfoResponse info;
          call.status =
              c.enclave(0).GetInfo(&ctx, ev1::GetInfoRequest(), &info);
          if (first) {
            std::lock_guard<std::mutex> lock(mu);
            ++answered;
            cv.notify_all();
          }
          if (!call.status.ok()) return;
        }
      });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(60),
                              [&] { return answered == kCallers; }));
    }
    const absl::Time signalled = absl::Now();
    EXPECT_EQ(::kill(c.enclave_pid(0), SIGTERM), 0);
    for (std::thread& t : callers) t.join();
    EXPECT_EQ(c.StopEnclave(0), 0) << c.EnclaveLog(0);

    int before = 0, ok = 0;
    for (int i = 0; i < kCallers; ++i) {
      for (size_t n = 0; n < calls[i].size(); ++n) {
        const Call& call = calls[i][n];
        if (call.began >= signalled) continue;
        ++before;
        if (call.status.ok()) {
          ++ok;
          continue;
        }
        EXPECT_EQ(call.status.error_code(), grpc::StatusCode::UNAVAILABLE)
            << "shutdown " << round << ", caller " << i << ", call " << n
            << " of " << calls[i].size() << ": " << call.status.error_message();
      }
    }
    // Each caller's first call was answered OK before the signal.
    EXPECT_GE(ok, kCallers) << before << " calls began before the signal";
  }
}

}  // namespace
}  // namespace nitro_tss::enclave
