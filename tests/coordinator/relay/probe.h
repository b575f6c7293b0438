// For the relay's tests (header only): a session driven by hand on an
// EnclaveConnection (records its outputs and its end, and waits for them),
// an enclave whose Sessions calls never read, and a loopback server for a
// test enclave.
#ifndef NITRO_TSS_TESTS_COORDINATOR_RELAY_PROBE_H_
#define NITRO_TSS_TESTS_COORDINATOR_RELAY_PROBE_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "coordinator/relay/relay.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"

namespace nitro_tss::coordinator {

// `service` served on 127.0.0.1 at an ephemeral port (written to `port`);
// `configure` may set the builder's options first. Null if it did not
// start.
inline std::unique_ptr<grpc::Server> StartLoopbackServer(
    grpc::Service* service, int* port,
    const std::function<void(grpc::ServerBuilder&)>& configure = nullptr) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           port);
  if (configure) configure(builder);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

// One session driven by hand on a connection: records outputs and the end.
struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  int outputs = 0;
  bool ended = false;
  absl::Status end;
  std::optional<bool> approvals_consumed;  // the end's
  EnclaveConnection::Callbacks callbacks;
  EnclaveConnection::Session session;

  Probe() {
    callbacks.output = [this](enclave::v1::SessionOutput) {
      std::lock_guard<std::mutex> lock(mu);
      ++outputs;
      cv.notify_all();
    };
    callbacks.end = [this](const absl::Status& s,
                           std::optional<bool> consumed) {
      std::lock_guard<std::mutex> lock(mu);
      ended = true;
      end = s;
      approvals_consumed = consumed;
      cv.notify_all();
    };
  }
  void Start(EnclaveConnection& conn, const enclave::v1::StartSession& start) {
    session = conn.Open(start, &callbacks);
  }
  bool WaitOutput() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(60), [&] {
      return outputs > 0 || ended;
    }) && outputs > 0;
  }
  absl::Status WaitEnd() {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return ended; })) {
      return absl::DeadlineExceededError("probe: no end");
    }
    return end;
  }
};

// An enclave whose Sessions calls stay open and never read nor write (they
// end when cancelled or when the connection closes): a stalled or an idle
// enclave.
class SilentEnclave final : public enclave::v1::Enclave::CallbackService {
 public:
  grpc::ServerBidiReactor<enclave::v1::SessionsInput,
                          enclave::v1::SessionsOutput>*
  Sessions(grpc::CallbackServerContext*) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
    }
    cv_.notify_all();
    return new Reactor(this);
  }
  bool WaitCalls(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30),
                        [&] { return calls_ >= n; });
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  struct Reactor : grpc::ServerBidiReactor<enclave::v1::SessionsInput,
                                           enclave::v1::SessionsOutput> {
    explicit Reactor(SilentEnclave* e) : enclave(e) {}
    void OnCancel() override { Finish(grpc::Status::CANCELLED); }
    void OnDone() override {
      {
        std::lock_guard<std::mutex> lock(enclave->mu_);
        ++enclave->done_;
      }
      delete this;
    }
    SilentEnclave* enclave;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;  // guarded by mu_
  int done_ = 0;   // guarded by mu_
};

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_TESTS_COORDINATOR_RELAY_PROBE_H_
