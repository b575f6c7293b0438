// tss-enclave's graceful exit while its keygen material pool searches for
// safe primes: SIGTERM cancels the search (MaterialPool::EndTakes and its
// destructor), and the process exits 0 at once, not after the search
// (seconds to minutes for one set) nor after the shutdown's 5 s grace
// period (node/enclave/process.cc) although the harness's connection, used
// for a call just before, stays open.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

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

}  // namespace
}  // namespace nitro_tss::enclave
