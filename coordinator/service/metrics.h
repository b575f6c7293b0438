// tss-coordinator's Prometheus metrics (prometheus-cpp), at /metrics:
//
//   nitro_coordinator_requests_total{method,code}            counter
//   nitro_coordinator_request_duration_seconds{method}        histogram
//       (method: a nitro_tss.v1.Custody RPC, or "other")
//   nitro_coordinator_node_up{node}                           gauge, 1 when
//       the node's enclave answered and its attestation verified
//   nitro_coordinator_node_health{node,health}                gauge, 1 for
//       the node's current health (SERVING, UNREACHABLE, ATTESTATION_FAILED,
//       HEALTH_UNSPECIFIED)
//   nitro_coordinator_presignatures_ready{key}                gauge (keys the
//       orchestrator knows: made here, or ACTIVE at start)
//   nitro_coordinator_presignature_pool_target                 gauge
//   nitro_coordinator_protocol_runs_total                      counter
//   nitro_coordinator_protocol_aborts_total                    counter
//   nitro_coordinator_culprits_total{node,code}                counter
//   nitro_coordinator_nodes_excluded{key}                      gauge
//   nitro_coordinator_pool_hits_total / _pool_misses_total     counter
//   nitro_coordinator_links_total                              counter
//   nitro_coordinator_relay_envelopes_total                    counter
//   nitro_coordinator_relay_rounds_expired_total               counter
//   nitro_coordinator_relay_late_session_ends_total            counter
//
// Labels come from the configuration (nodes), from keys the cluster made,
// and from the fixed culprit codes; never from what a client sends.
#ifndef NITRO_TSS_COORDINATOR_SERVICE_METRICS_H_
#define NITRO_TSS_COORDINATOR_SERVICE_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics/grpc_metrics.h"
#include "coordinator/cluster/nodes.h"
#include "coordinator/cluster/orchestrator.h"

namespace nitro_tss::coordinator {

class ClusterCollectable;

class CoordinatorMetrics {
 public:
  CoordinatorMetrics(const NodeSet* nodes, const Orchestrator* orchestrator,
                     uint32_t pool_target = 0);
  ~CoordinatorMetrics();

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory() {
    return requests_.InterceptorFactory();
  }
  std::string Render() const { return server_.Render(); }
  absl::StatusOr<std::string> Serve(const std::string& listen) {
    return server_.Serve(listen);
  }
  void Stop() { server_.Stop(); }

 private:
  metrics::GrpcRequestMetrics requests_;
  std::shared_ptr<ClusterCollectable> cluster_;
  metrics::MetricsServer server_;
};

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_SERVICE_METRICS_H_
