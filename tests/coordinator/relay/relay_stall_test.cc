// The relay's Sessions stream against an enclave that stops reading (an
// in-test gRPC server whose Sessions call never reads): callers never block
// in a write, a write pending beyond the connection's write timeout or a
// queue beyond its byte budget cancels the stream (its sessions end
// UNAVAILABLE), RunSession's run deadline holds, and the next session
// opens a new stream; and a sign session's item overtakes queued bulk items.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "coordinator/relay/relay.h"
#include "tests/coordinator/relay/probe.h"

namespace nitro_tss::coordinator {
namespace {

namespace ev1 = enclave::v1;

// An enclave whose Sessions call reads only once released, recording each
// envelope it reads (the session id and the envelope).
class GatedEnclave final : public ev1::Enclave::CallbackService {
 public:
  grpc::ServerBidiReactor<ev1::SessionsInput, ev1::SessionsOutput>* Sessions(
      grpc::CallbackServerContext*) override {
    auto* reactor = new Reactor(this);
    {
      std::lock_guard<std::mutex> lock(mu_);
      reactor_ = reactor;
    }
    cv_.notify_all();
    return reactor;
  }
  bool WaitCall() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return reactor_ != nullptr; });
  }
  // Starts reading (once, after WaitCall).
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    reactor_->StartRead(&reactor_->in);
  }
  // Waits until `n` envelopes were read; the envelopes' session ids.
  std::vector<uint64_t> WaitEnvelopes(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30),
                 [&] { return envelopes_.size() >= n; });
    return envelopes_;
  }

 private:
  struct Reactor
      : grpc::ServerBidiReactor<ev1::SessionsInput, ev1::SessionsOutput> {
    explicit Reactor(GatedEnclave* e) : enclave(e) {}
    void OnReadDone(bool ok) override {
      if (!ok) {
        End();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(enclave->mu_);
        for (const auto& item : in.items()) {
          if (item.input().has_envelope()) {
            enclave->envelopes_.push_back(item.id());
          }
        }
      }
      enclave->cv_.notify_all();
      in.Clear();
      StartRead(&in);
    }
    void OnCancel() override { End(); }
    void OnDone() override { delete this; }
    void End() {
      if (!finished.exchange(true)) Finish(grpc::Status::CANCELLED);
    }
    GatedEnclave* enclave;
    ev1::SessionsInput in;
    std::atomic<bool> finished{false};
  };
  std::mutex mu_;
  std::condition_variable cv_;
  Reactor* reactor_ = nullptr;       // guarded by mu_
  std::vector<uint64_t> envelopes_;  // guarded by mu_
};

class RelayStallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartLoopbackServer(&enclave_, &port_);
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

  SilentEnclave enclave_;
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

// Review M3: a sign session's envelope queued behind 32 MiB of a presign's
// envelopes (the enclave not reading yet, so the writer is held by flow
// control) is written before the presign's queued ones.
TEST(RelayPriorityTest, ASignEnvelopeOvertakesQueuedBulkEnvelopes) {
  GatedEnclave enclave;
  int port = 0;
  std::unique_ptr<grpc::Server> server = StartLoopbackServer(&enclave, &port);
  ASSERT_NE(server, nullptr);
  EnclaveConnectionOptions options;
  options.write_timeout = absl::Minutes(10);
  options.max_queued_bytes = size_t{1} << 30;
  EnclaveConnection conn(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                          grpc::InsecureChannelCredentials()),
      options);
  ev1::StartSession presign;
  presign.set_session_id("bulk");
  presign.mutable_presign();
  Probe bulk;
  bulk.Start(conn, presign);  // id 1
  ASSERT_TRUE(enclave.WaitCall());
  constexpr int kBulk = 32;
  for (int i = 0; i < kBulk; ++i) {
    ev1::SessionInput in;
    in.set_envelope(std::string(1 << 20, 'b'));
    bulk.session.Send(std::move(in));
  }
  ev1::StartSession sign;
  sign.set_session_id("sign");
  sign.mutable_sign()->set_presignature_id("p");
  Probe urgent;
  urgent.Start(conn, sign);  // id 2
  ev1::SessionInput in;
  in.set_envelope("sign envelope");
  urgent.session.Send(std::move(in));
  enclave.Release();
  const std::vector<uint64_t> order = enclave.WaitEnvelopes(kBulk + 1);
  ASSERT_EQ(order.size(), static_cast<size_t>(kBulk + 1));
  const auto sign_at = std::find(order.begin(), order.end(), uint64_t{2});
  ASSERT_NE(sign_at, order.end());
  const auto bulk_after = std::count(sign_at, order.end(), uint64_t{1});
  // At most the flow-control window's worth went out before it.
  EXPECT_GE(bulk_after, kBulk / 2)
      << "sign envelope at " << (sign_at - order.begin());
  bulk.session.Abandon();
  urgent.session.Abandon();
  server->Shutdown(absl::ToChronoTime(absl::Now()));
}

}  // namespace
}  // namespace nitro_tss::coordinator
