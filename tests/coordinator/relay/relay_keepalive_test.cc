// Keepalive of the Sessions stream, both ends as production configures
// them (coordinator/relay SetSessionsKeepalive on the channel,
// node/enclave/service.h SetSessionsServerKeepalive on the server), with
// the intervals scaled down 10x (gRPC sends at most one ping a second): an
// idle stream (a session open, nothing moving) outlives more than three
// ping intervals, and an enclave that refused pings that often would close
// it (so the pings do flow).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "absl/time/clock.h"
#include "coordinator/relay/relay.h"
#include "node/enclave/service.h"
#include "tests/coordinator/relay/probe.h"

namespace nitro_tss::coordinator {
namespace {

namespace ev1 = enclave::v1;

// Production's intervals / 10: the coordinator pings every 1 s (10 s),
// the enclave accepts pings 500 ms apart (5 s).
constexpr int kScale = 10;

class RelayKeepaliveTest : public ::testing::Test {
 protected:
  void Serve(const enclave::SessionsKeepalive& keepalive) {
    server_ = StartLoopbackServer(
        &enclave_, &port_, [&](grpc::ServerBuilder& builder) {
          enclave::SetSessionsServerKeepalive(&builder, keepalive);
        });
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }
  static enclave::SessionsKeepalive ScaledServer() {
    enclave::SessionsKeepalive k;
    k.min_ping_interval /= kScale;
    k.time /= kScale;
    k.timeout /= kScale;
    return k;
  }
  static EnclaveConnectionOptions ScaledClient() {
    EnclaveConnectionOptions o;
    o.keepalive_time /= kScale;
    o.keepalive_timeout /= kScale;
    return o;
  }
  std::unique_ptr<EnclaveConnection> Connect(
      const EnclaveConnectionOptions& options) {
    grpc::ChannelArguments args;
    SetSessionsKeepalive(&args, options);
    return std::make_unique<EnclaveConnection>(
        grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_),
                                  grpc::InsecureChannelCredentials(), args),
        options);
  }
  static ev1::StartSession Start(const std::string& id) {
    ev1::StartSession start;
    start.set_session_id(id);
    return start;
  }
  // Waits at most `d` for `p`'s end; true if it ended.
  static bool EndedWithin(Probe& p, absl::Duration d) {
    std::unique_lock<std::mutex> lock(p.mu);
    return p.cv.wait_for(lock, absl::ToChronoNanoseconds(d),
                         [&] { return p.ended; });
  }

  SilentEnclave enclave_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(RelayKeepaliveTest, AnIdleStreamOutlivesManyPingIntervals) {
  ASSERT_NO_FATAL_FAILURE(Serve(ScaledServer()));
  const EnclaveConnectionOptions client = ScaledClient();
  auto conn = Connect(client);
  Probe idle;
  idle.Start(*conn, Start("idle"));
  ASSERT_TRUE(enclave_.WaitCalls(1));
  // The condition "the stream broke" must not come true for 3.5 intervals.
  EXPECT_FALSE(EndedWithin(idle, 3.5 * client.keepalive_time)) << idle.end;
  EXPECT_EQ(conn->streams_opened(), 1u);
  EXPECT_EQ(enclave_.calls(), 1);
  EXPECT_EQ(enclave_.done(), 0);
  idle.session.Abandon();
}

// The same pings against an enclave that wants them twice as far apart:
// the third strike closes the connection and the stream's session ends
// UNAVAILABLE. (The ping rate the test above survives is real.)
TEST_F(RelayKeepaliveTest, PingsTooOftenForTheEnclaveCloseTheStream) {
  enclave::SessionsKeepalive strict = ScaledServer();
  strict.min_ping_interval = 2 * ScaledClient().keepalive_time;
  ASSERT_NO_FATAL_FAILURE(Serve(strict));
  const EnclaveConnectionOptions client = ScaledClient();
  auto conn = Connect(client);
  Probe idle;
  idle.Start(*conn, Start("idle"));
  ASSERT_TRUE(enclave_.WaitCalls(1));
  ASSERT_TRUE(EndedWithin(idle, 10 * client.keepalive_time));
  EXPECT_EQ(idle.end.code(), absl::StatusCode::kUnavailable) << idle.end;
}

}  // namespace
}  // namespace nitro_tss::coordinator
