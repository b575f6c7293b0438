// The enclave's metrics: protocol sessions by kind and outcome, round
// durations, and the culprits named in aborts by code. The service counts
// them; MetricsPusher sends a snapshot to the host every push interval
// (Host.PutMetrics: the enclave has no network of its own) and the host
// exposes it at /metrics with its own (node/host/metrics.h). Counters
// only: no session, link or key ids, nothing secret.
#ifndef NITRO_TSS_NODE_ENCLAVE_METRICS_H_
#define NITRO_TSS_NODE_ENCLAVE_METRICS_H_

#include <array>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "nitro_tss/enclave/v1/enclave.pb.h"
#include "nitro_tss/host/v1/host.pb.h"

namespace nitro_tss::enclave {

class EnclaveMetrics {
 public:
  // Upper bounds of the round-duration buckets, in seconds.
  static constexpr std::array<double, 12> kRoundBucketsSeconds = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  // Distinct culprit codes kept (the host's limit); further ones are not
  // counted.
  static constexpr size_t kMaxCulpritCodes = 32;

  // The kind a session's start message asks for (UNSPECIFIED when none).
  static host::v1::SessionKind KindOf(const v1::StartSession& start);

  void SessionEnded(host::v1::SessionKind kind,
                    host::v1::SessionOutcome outcome);
  void RoundEnded(host::v1::SessionKind kind, absl::Duration duration);
  // Each culprit's code, or "none" for an abort naming no one.
  void Aborted(const v1::SessionAbort& abort);

  host::v1::PutMetricsRequest Snapshot() const;

 private:
  struct Histogram {
    std::array<uint64_t, kRoundBucketsSeconds.size()> buckets{};
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<int, int>, uint64_t> sessions_;
  std::map<int, Histogram> rounds_;
  std::map<std::string, uint64_t> culprits_;
};

// Sends metrics->Snapshot() through `put` every `interval` on its own
// thread; `on_result` (optional) hears of each outcome that differs from
// the previous one (so a host that is down is logged once, not every
// interval). The destructor stops it promptly.
class MetricsPusher {
 public:
  using Put = std::function<absl::Status(const host::v1::PutMetricsRequest&)>;
  MetricsPusher(const EnclaveMetrics* metrics, Put put, absl::Duration interval,
                std::function<void(const absl::Status&)> on_result = {});
  ~MetricsPusher();
  MetricsPusher(const MetricsPusher&) = delete;
  MetricsPusher& operator=(const MetricsPusher&) = delete;

 private:
  void Run();

  const EnclaveMetrics* metrics_;
  Put put_;
  absl::Duration interval_;
  std::function<void(const absl::Status&)> on_result_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_METRICS_H_
