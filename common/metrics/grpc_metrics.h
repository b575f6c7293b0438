// Prometheus plumbing shared by the services (prometheus-cpp): an HTTP
// exposer of /metrics that stops promptly, and per-RPC metrics of a gRPC
// server through an interceptor.
//
//   <prefix>_requests_total{method,code}          counter
//   <prefix>_request_duration_seconds{method}      histogram
//
// `method` is the RPC's name when it belongs to the service named at
// construction, else "other" (gRPC's health service does not pass through
// interceptors), so the number of series is bounded.
#ifndef NITRO_TSS_COMMON_METRICS_GRPC_METRICS_H_
#define NITRO_TSS_COMMON_METRICS_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace prometheus {
class Collectable;
class Counter;
class Exposer;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace nitro_tss::metrics {

// Serves /metrics for registered collectables.
class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void Register(std::shared_ptr<prometheus::Collectable> collectable);
  // The text exposition format of everything registered (as served).
  std::string Render() const;
  // Serves on `listen` ("IP:PORT", port 0: the kernel picks); returns the
  // bound "IP:PORT". FAILED_PRECONDITION when the port cannot be bound.
  absl::StatusOr<std::string> Serve(const std::string& listen);
  // Stops serving (idempotent; returns promptly).
  void Stop();

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string bound_host_;
  int bound_port_ = 0;
};

class GrpcRequestMetrics {
 public:
  // `prefix`: metric name prefix (e.g. "nitro_coordinator");
  // `service`: full service name (e.g. "nitro_tss.v1.Custody").
  GrpcRequestMetrics(const std::string& prefix, const std::string& service);
  ~GrpcRequestMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory();
  // The label `full_method` ("/pkg.Service/Method") is counted under.
  std::string MethodLabel(absl::string_view full_method) const;
  void Record(absl::string_view full_method, grpc::StatusCode code,
              double seconds);

 private:
  std::string service_prefix_;  // "/pkg.Service/"
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* durations_;
};

}  // namespace nitro_tss::metrics

#endif  // NITRO_TSS_COMMON_METRICS_GRPC_METRICS_H_
