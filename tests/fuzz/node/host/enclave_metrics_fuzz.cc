// Fuzz target: the enclave's metrics snapshot as tss-host receives it
// (Host.PutMetrics: a PutMetricsRequest, then ValidateEnclaveMetrics) and
// the exposition rendered from it. Invariants: a snapshot the host accepts
// renders, with at most the documented number of series; a refused one
// changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "nitro_tss/host/v1/host.pb.h"
#include "node/host/metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // gRPC limits the host service's messages
  nitro_tss::host::v1::PutMetricsRequest snapshot;
  if (!snapshot.ParseFromArray(data, static_cast<int>(size))) return 0;
  static auto* metrics = new nitro_tss::host::HostMetrics();
  const std::string before = metrics->Render();
  const absl::Status valid = nitro_tss::host::ValidateEnclaveMetrics(snapshot);
  const absl::Status set = metrics->SetEnclaveMetrics(snapshot);
  if (valid.ok() != set.ok()) abort();
  const std::string after = metrics->Render();
  if (!set.ok()) {
    if (before != after) abort();
    return 0;
  }
  if (snapshot.sessions_size() > nitro_tss::host::kMaxSessionCounts ||
      snapshot.culprits_size() > nitro_tss::host::kMaxCulpritCodes ||
      snapshot.round_latency_size() > nitro_tss::host::kMaxRoundLatencies) {
    abort();
  }
  if (!absl::StrContains(after,
                         "nitro_enclave_metrics_received_timestamp_seconds")) {
    abort();
  }
  return 0;
}
