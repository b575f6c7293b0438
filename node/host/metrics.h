// tss-host's Prometheus metrics (prometheus-cpp), served over HTTP at
// /metrics on a configured address (loopback in practice):
//
//   nitro_host_service_requests_total{method,code}   host-service RPCs
//       (method: PutBlob, GetBlob, GetCredentials or "other"; code: the
//       gRPC status code name). gRPC's built-in grpc.health.v1 service
//       does not pass through server interceptors and is not counted.
//   nitro_host_proxy_connections_active{direction,proxy}         gauge
//   nitro_host_proxy_connections_opened_total{direction,proxy}
//   nitro_host_proxy_connections_refused_total{direction,proxy,reason}
//       (reason: limit, handshake, upstream)
//   nitro_host_proxy_bytes_total{direction,proxy,toward}
//       (toward: enclave, remote)
//
// and the enclave's, from the latest snapshot it sent (Host.PutMetrics;
// absent until the first):
//   nitro_enclave_sessions_total{kind,outcome}
//       (kind: keygen, presign, sign; outcome: done, aborted, refused,
//       failed)
//   nitro_enclave_round_duration_seconds{kind}   histogram
//   nitro_enclave_culprits_total{code}   culprits named in aborts by code
//       ("none": aborts naming no one)
//   nitro_enclave_metrics_received_timestamp_seconds   when the snapshot
//       arrived (an old value: the enclave stopped reporting)
//
// Labels come from a fixed set and the configuration, never from what a
// client sends, so the number of series is bounded; the enclave's culprit
// codes are checked for shape and limited to 32 (ValidateEnclaveMetrics).
#ifndef NITRO_TSS_NODE_HOST_METRICS_H_
#define NITRO_TSS_NODE_HOST_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nitro_tss/host/v1/host.pb.h"
#include "node/host/proxy.h"
#include "node/host/proxy_address.h"

namespace prometheus {
class Exposer;
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace nitro_tss::host {

class ProxyCollectable;
class EnclaveCollectable;

// The label a host-service method is counted under (see above).
std::string MethodLabel(absl::string_view full_method);

// Limits of an enclave metrics snapshot.
inline constexpr int kMaxSessionCounts = 32;
inline constexpr int kMaxRoundLatencies = 8;
inline constexpr int kMaxHistogramBuckets = 16;
inline constexpr int kMaxCulpritCodes = 32;

// INVALID_ARGUMENT naming the field ("culprits[3].code: ...") unless the
// snapshot keeps the limits documented in host.proto: known kinds and
// outcomes, unique keys, culprit codes of 1..32 [a-z_], bucket bounds
// finite, positive and increasing, bucket counts one per bound and summing
// to at most the count, sums finite and >= 0.
absl::Status ValidateEnclaveMetrics(const v1::PutMetricsRequest& snapshot);

class HostMetrics {
 public:
  HostMetrics();
  ~HostMetrics();
  HostMetrics(const HostMetrics&) = delete;
  HostMetrics& operator=(const HostMetrics&) = delete;

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators: counts
  // every RPC of the server by method and final status code.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory();
  void CountRequest(absl::string_view full_method, grpc::StatusCode code);

  // Exposes a proxy's counters (it may be stopped; its counters live on).
  void AddProxy(const Proxy& proxy);

  // Replaces the enclave's snapshot after ValidateEnclaveMetrics (an
  // invalid one changes nothing). Thread-safe.
  absl::Status SetEnclaveMetrics(const v1::PutMetricsRequest& snapshot);

  // The text exposition format, as served at /metrics.
  std::string Render() const;

  // Serves /metrics on `listen` (an IP literal; port 0: the kernel picks).
  // Returns the bound address.
  absl::StatusOr<HostPort> Serve(const HostPort& listen);
  // Stops the HTTP server (idempotent).
  void Stop();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  std::shared_ptr<ProxyCollectable> proxies_;
  std::shared_ptr<EnclaveCollectable> enclave_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  HostPort bound_;
};

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_METRICS_H_
