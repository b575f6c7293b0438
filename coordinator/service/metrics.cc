#include "coordinator/service/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <mutex>
#include <set>

#include "coordinator/relay/relay.h"

namespace nitro_tss::coordinator {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class ClusterCollectable final : public prometheus::Collectable {
 public:
  ClusterCollectable(const NodeSet* nodes, const Orchestrator* orchestrator,
                     uint32_t pool_target)
      : nodes_(nodes), orchestrator_(orchestrator), pool_target_(pool_target) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out;
    auto gauge = [](std::vector<ClientMetric::Label> labels, double v) {
      ClientMetric m;
      m.label = std::move(labels);
      m.gauge.value = v;
      return m;
    };
    auto counter = [](std::vector<ClientMetric::Label> labels, double v) {
      ClientMetric m;
      m.label = std::move(labels);
      m.counter.value = v;
      return m;
    };
    MetricFamily up{"nitro_coordinator_node_up",
                    "1 when the node's enclave answered GetInfo and its "
                    "attestation document verified.",
                    MetricType::Gauge,
                    {}};
    MetricFamily health{"nitro_coordinator_node_health",
                        "1 for the node's current health state.",
                        MetricType::Gauge,
                        {}};
    for (const v1::Node& n : nodes_->DescribeAll()) {
      const std::string id = n.name().substr(6);
      up.metric.push_back(
          gauge({{"node", id}}, n.health() == v1::Node::SERVING ? 1 : 0));
      for (int h = v1::Node::Health_MIN; h <= v1::Node::Health_MAX; ++h) {
        health.metric.push_back(
            gauge({{"node", id},
                   {"health",
                    v1::Node::Health_Name(static_cast<v1::Node::Health>(h))}},
                  n.health() == h ? 1 : 0));
      }
    }
    out.push_back(up);
    out.push_back(health);
    MetricFamily ready{"nitro_coordinator_presignatures_ready",
                       "Presignatures ready in the pools of a key.",
                       MetricType::Gauge,
                       {}};
    MetricFamily excluded{"nitro_coordinator_nodes_excluded",
                          "Nodes excluded from a key's signer sets after a "
                          "culprit with action exclude.",
                          MetricType::Gauge,
                          {}};
    for (const auto& k : orchestrator_->KeyIds()) {
      ready.metric.push_back(
          gauge({{"key", k}}, static_cast<double>(orchestrator_->PoolSize(k))));
      excluded.metric.push_back(
          gauge({{"key", k}},
                static_cast<double>(orchestrator_->Excluded(k).size())));
    }
    out.push_back(ready);
    out.push_back(excluded);
    out.push_back(MetricFamily{
        "nitro_coordinator_presignature_pool_target",
        "Presignatures kept ready per key and signer set (0: no pools).",
        MetricType::Gauge,
        {gauge({}, pool_target_)}});
    const auto& c = orchestrator_->counters();
    auto simple = [&](const char* name, const char* help, uint64_t v) {
      out.push_back(MetricFamily{name,
                                 help,
                                 MetricType::Counter,
                                 {counter({}, static_cast<double>(v))}});
    };
    simple("nitro_coordinator_protocol_runs_total",
           "Protocol runs (DKG, presign, sign) started.", c.runs.load());
    simple("nitro_coordinator_protocol_aborts_total",
           "Protocol runs that ended in an abort.", c.aborts.load());
    simple("nitro_coordinator_pool_hits_total",
           "Signatures that used a ready presignature.", c.pool_hits.load());
    simple("nitro_coordinator_pool_misses_total",
           "Signatures that had to presign first.", c.pool_misses.load());
    simple("nitro_coordinator_links_total",
           "Attested links established among enclaves.", c.links.load());
    simple("nitro_coordinator_pool_refill_deferrals_total",
           "Times the pool refill left a pool for its next call because "
           "Signs were in flight.",
           c.refill_deferrals.load());
    const RelayCounters r = GetRelayCounters();
    simple("nitro_coordinator_relay_envelopes_total",
           "Envelopes relayed between enclaves.", r.envelopes_routed);
    simple("nitro_coordinator_relay_rounds_expired_total",
           "Rounds the relay expired after no progress (ExpireRound).",
           r.rounds_expired);
    simple("nitro_coordinator_relay_late_session_ends_total",
           "Session ends that arrived after the relay had abandoned the "
           "session (dropped).",
           r.late_session_ends);
    MetricFamily culprits{"nitro_coordinator_culprits_total",
                          "Culprits named by aborts, by node and code.",
                          MetricType::Counter,
                          {}};
    for (const auto& [who, n] : orchestrator_->CulpritCounts()) {
      culprits.metric.push_back(counter(
          {{"node", who.first}, {"code", who.second}}, static_cast<double>(n)));
    }
    out.push_back(culprits);
    return out;
  }

 private:
  const NodeSet* nodes_;
  const Orchestrator* orchestrator_;
  const uint32_t pool_target_;
};

CoordinatorMetrics::CoordinatorMetrics(const NodeSet* nodes,
                                       const Orchestrator* orchestrator,
                                       uint32_t pool_target)
    : requests_("nitro_coordinator", "nitro_tss.v1.Custody"),
      cluster_(std::make_shared<ClusterCollectable>(nodes, orchestrator,
                                                    pool_target)) {
  server_.Register(requests_.registry());
  server_.Register(cluster_);
}

CoordinatorMetrics::~CoordinatorMetrics() { Stop(); }

}  // namespace nitro_tss::coordinator
