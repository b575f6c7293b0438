// A session driven by hand on an EnclaveConnection, for the relay's tests
// (header only): records its outputs and its end, and waits for them.
#ifndef NITRO_TSS_TESTS_COORDINATOR_RELAY_PROBE_H_
#define NITRO_TSS_TESTS_COORDINATOR_RELAY_PROBE_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/status/status.h"
#include "coordinator/relay/relay.h"

namespace nitro_tss::coordinator {

// One session driven by hand on a connection: records outputs and the end.
struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  int outputs = 0;
  bool ended = false;
  absl::Status end;
  EnclaveConnection::Callbacks callbacks;
  EnclaveConnection::Session session;

  Probe() {
    callbacks.output = [this](enclave::v1::SessionOutput) {
      std::lock_guard<std::mutex> lock(mu);
      ++outputs;
      cv.notify_all();
    };
    callbacks.end = [this](const absl::Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      ended = true;
      end = s;
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

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_TESTS_COORDINATOR_RELAY_PROBE_H_
