// The relay's Sessions stream against an enclave that stops reading (an
// in-test gRPC server whose Sessions call never reads): callers never block
// in a write, a write pending beyond the connection's write timeout or a
// queue beyond its byte budget cancels the stream (its sessions end
// UNAVAILABLE), RunSession's run deadline holds, and the next session
// opens a new stream.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>

#include "absl/time/clock.h"
#include "coordinator/relay/relay.h"
#include "tests/coordinator/relay/probe.h"

namespace nitro_tss::coordinator {
namespace {

namespace ev1 = enclave::v1;

// An enclave whose Sessions calls never read (they end when cancelled).
class StallingEnclave final : public ev1::Enclave::CallbackService {
 public:
  grpc::ServerBidiReactor<ev1::SessionsInput, ev1::SessionsOutput>* Sessions(
      grpc::CallbackServerContext*) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
    }
    cv_.notify_all();
    return new Reactor;
  }
  bool WaitCalls(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return calls_ >= n; });
  }

 private:
  struct Reactor
      : grpc::ServerBidiReactor<ev1::SessionsInput, ev1::SessionsOutput> {
    void OnCancel() override { Finish(grpc::Status::CANCELLED); }
    void OnDone() override { delete this; }
  };
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
};

class RelayStallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&enclave_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }
  std::unique_ptr<EnclaveConnection> Connect(
      const EnclaveConnectionOptions& options) {
    return std::make_unique<EnclaveConnection>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                            grpc::InsecureChannelCredentials()),
        options);
  }
  static ev1::StartSession Start(const std::string& id) {
    ev1::StartSession start;
    start.set_session_id(id);
    return start;
  }
  // Queues `n` envelopes of 1 MiB on `p`'s session: more than the stalled
  // peer's flow-control window takes.
  static void Flood(const Probe& p, int n) {
    for (int i = 0; i < n; ++i) {
      ev1::SessionInput in;
      in.set_envelope(std::string(1 << 20, 'x'));
      p.session.Send(std::move(in));
    }
  }

  StallingEnclave enclave_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(RelayStallTest,
       AWritePendingTooLongCancelsTheStreamAndTheNextReconnects) {
  EnclaveConnectionOptions options;
  options.write_timeout = absl::Milliseconds(300);
  options.max_queued_bytes = size_t{1} << 30;
  auto conn = Connect(options);
  Probe a;
  const absl::Time t0 = absl::Now();
  a.session = conn->Open(Start("stall-a"), &a.callbacks);
  Flood(a, 32);  // returns at once: the writer thread writes
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  const absl::Status end = a.WaitEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  EXPECT_NE(end.message().find("pending"), std::string::npos) << end;
  EXPECT_EQ(conn->streams_opened(), 1u);

  Probe b;
  b.session = conn->Open(Start("stall-b"), &b.callbacks);
  EXPECT_EQ(conn->streams_opened(), 2u);
  EXPECT_TRUE(enclave_.WaitCalls(2));
  b.session.Abandon();
}

TEST_F(RelayStallTest, AQueueBeyondItsByteBudgetCancelsTheStream) {
  EnclaveConnectionOptions options;
  options.write_timeout = absl::Minutes(10);
  options.max_queued_bytes = size_t{4} << 20;
  auto conn = Connect(options);
  Probe a;
  a.session = conn->Open(Start("budget-a"), &a.callbacks);
  Flood(a, 32);
  const absl::Status end = a.WaitEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  EXPECT_NE(end.message().find("bytes queued"), std::string::npos) << end;
}

TEST_F(RelayStallTest, TheRunDeadlineHoldsWhenTheEnclaveStopsReading) {
  EnclaveConnectionOptions options;
  options.write_timeout = absl::Minutes(10);  // only the run deadline acts
  options.max_queued_bytes = size_t{1} << 30;
  auto conn = Connect(options);
  Probe stall;
  stall.session = conn->Open(Start("stall"), &stall.callbacks);
  Flood(stall, 32);
  RunOptions run;
  run.run_deadline = absl::Milliseconds(500);
  const absl::Time t0 = absl::Now();
  auto outcomes = RunSession({{1, conn.get()}}, {{1, Start("run")}}, run);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[1].done);
  EXPECT_EQ(outcomes[1].stream_error.code(),
            absl::StatusCode::kDeadlineExceeded)
      << outcomes[1].stream_error;
  stall.session.Abandon();
}

}  // namespace
}  // namespace nitro_tss::coordinator
