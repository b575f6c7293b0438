#include "node/host/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <set>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "node/host/proxy_socket.h"

namespace nitro_tss::host {

// Reads the live counters of every registered proxy at scrape time.
class ProxyCollectable final : public prometheus::Collectable {
 public:
  struct Entry {
    std::string direction;
    std::string name;
    std::shared_ptr<const ProxyCounters> counters;
  };

  void Add(Entry e) {
    absl::MutexLock lock(&mu_);
    entries_.push_back(std::move(e));
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::ClientMetric;
    using prometheus::MetricFamily;
    using prometheus::MetricType;
    MetricFamily active{"nitro_host_proxy_connections_active",
                        "Proxy connections accepted and not yet closed.",
                        MetricType::Gauge,
                        {}};
    MetricFamily opened{
        "nitro_host_proxy_connections_opened_total",
        "Proxy connections relayed to their upstream (after the TLS "
        "handshake for inbound, after the upstream connect).",
        MetricType::Counter,
        {}};
    MetricFamily refused{
        "nitro_host_proxy_connections_refused_total",
        "Proxy connections closed before relaying: over max_connections "
        "(limit), failed TLS handshake or client certificate (handshake), "
        "upstream unreachable after retries (upstream).",
        MetricType::Counter,
        {}};
    MetricFamily bytes{"nitro_host_proxy_bytes_total",
                       "Bytes relayed, by whether they went toward the "
                       "enclave or toward the remote side.",
                       MetricType::Counter,
                       {}};
    auto labels = [](const Entry& e) {
      return std::vector<ClientMetric::Label>{{"direction", e.direction},
                                              {"proxy", e.name}};
    };
    auto counter = [&](const Entry& e, double v,
                       std::vector<ClientMetric::Label> extra = {}) {
      ClientMetric m;
      m.label = labels(e);
      m.label.insert(m.label.end(), extra.begin(), extra.end());
      m.counter.value = v;
      return m;
    };
    absl::MutexLock lock(&mu_);
    for (const Entry& e : entries_) {
      const ProxyCounters& c = *e.counters;
      ClientMetric g;
      g.label = labels(e);
      g.gauge.value = static_cast<double>(c.active.load());
      active.metric.push_back(g);
      opened.metric.push_back(counter(e, static_cast<double>(c.opened.load())));
      refused.metric.push_back(
          counter(e, static_cast<double>(c.refused_limit.load()),
                  {{"reason", "limit"}}));
      refused.metric.push_back(
          counter(e, static_cast<double>(c.refused_client.load()),
                  {{"reason", "handshake"}}));
      refused.metric.push_back(
          counter(e, static_cast<double>(c.refused_upstream.load()),
                  {{"reason", "upstream"}}));
      bytes.metric.push_back(
          counter(e, static_cast<double>(c.bytes_toward_enclave.load()),
                  {{"toward", "enclave"}}));
      bytes.metric.push_back(
          counter(e, static_cast<double>(c.bytes_from_enclave.load()),
                  {{"toward", "remote"}}));
    }
    if (entries_.empty()) return {};
    return {active, opened, refused, bytes};
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

namespace {

const char* KindLabel(v1::SessionKind kind) {
  switch (kind) {
    case v1::SESSION_KIND_KEYGEN:
      return "keygen";
    case v1::SESSION_KIND_PRESIGN:
      return "presign";
    case v1::SESSION_KIND_SIGN:
      return "sign";
    default:
      return nullptr;
  }
}

const char* OutcomeLabel(v1::SessionOutcome outcome) {
  switch (outcome) {
    case v1::SESSION_OUTCOME_DONE:
      return "done";
    case v1::SESSION_OUTCOME_ABORTED:
      return "aborted";
    case v1::SESSION_OUTCOME_REFUSED:
      return "refused";
    case v1::SESSION_OUTCOME_FAILED:
      return "failed";
    default:
      return nullptr;
  }
}

absl::Status Bad(const std::string& field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool ValidCode(const std::string& code) {
  if (code.empty() || code.size() > 32) return false;
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateEnclaveMetrics(const v1::PutMetricsRequest& m) {
  if (m.sessions_size() > kMaxSessionCounts) {
    return Bad("sessions", absl::StrCat("at most ", kMaxSessionCounts));
  }
  std::set<std::pair<int, int>> sessions;
  for (int i = 0; i < m.sessions_size(); ++i) {
    const v1::SessionCount& s = m.sessions(i);
    const std::string f = absl::StrCat("sessions[", i, "]");
    if (KindLabel(s.kind()) == nullptr) return Bad(f + ".kind", "unknown");
    if (OutcomeLabel(s.outcome()) == nullptr) {
      return Bad(f + ".outcome", "unknown");
    }
    if (!sessions.insert({s.kind(), s.outcome()}).second) {
      return Bad(f, "duplicate (kind, outcome)");
    }
  }
  if (m.round_latency_size() > kMaxRoundLatencies) {
    return Bad("round_latency", absl::StrCat("at most ", kMaxRoundLatencies));
  }
  std::set<int> kinds;
  for (int i = 0; i < m.round_latency_size(); ++i) {
    const v1::RoundLatency& h = m.round_latency(i);
    const std::string f = absl::StrCat("round_latency[", i, "]");
    if (KindLabel(h.kind()) == nullptr) return Bad(f + ".kind", "unknown");
    if (!kinds.insert(h.kind()).second) return Bad(f + ".kind", "duplicate");
    if (h.upper_bounds_seconds_size() > kMaxHistogramBuckets) {
      return Bad(f + ".upper_bounds_seconds",
                 absl::StrCat("at most ", kMaxHistogramBuckets));
    }
    double previous = 0;
    for (double b : h.upper_bounds_seconds()) {
      if (!std::isfinite(b) || b <= previous) {
        return Bad(f + ".upper_bounds_seconds",
                   "must be finite, positive and increasing");
      }
      previous = b;
    }
    if (h.bucket_counts_size() != h.upper_bounds_seconds_size()) {
      return Bad(f + ".bucket_counts", "one per bound");
    }
    uint64_t total = 0;
    for (uint64_t c : h.bucket_counts()) {
      if (c > h.count() - total) {
        return Bad(f + ".bucket_counts", "more than count");
      }
      total += c;
    }
    if (!std::isfinite(h.sum_seconds()) || h.sum_seconds() < 0) {
      return Bad(f + ".sum_seconds", "must be finite and >= 0");
    }
  }
  if (m.culprits_size() > kMaxCulpritCodes) {
    return Bad("culprits", absl::StrCat("at most ", kMaxCulpritCodes));
  }
  std::set<std::string> codes;
  for (int i = 0; i < m.culprits_size(); ++i) {
    const std::string f = absl::StrCat("culprits[", i, "].code");
    if (!ValidCode(m.culprits(i).code())) {
      return Bad(f, "must be 1..32 of [a-z_]");
    }
    if (!codes.insert(m.culprits(i).code()).second) {
      return Bad(f, "duplicate");
    }
  }
  return absl::OkStatus();
}

// The enclave's latest snapshot, rendered at scrape time.
class EnclaveCollectable final : public prometheus::Collectable {
 public:
  void Set(const v1::PutMetricsRequest& snapshot) {
    absl::MutexLock lock(&mu_);
    snapshot_ = snapshot;
    received_ = absl::Now();
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::ClientMetric;
    using prometheus::MetricFamily;
    using prometheus::MetricType;
    absl::MutexLock lock(&mu_);
    if (received_ == absl::InfinitePast()) return {};
    MetricFamily sessions{
        "nitro_enclave_sessions_total",
        "Protocol sessions the enclave ran, by protocol and outcome "
        "(reported by the enclave).",
        MetricType::Counter,
        {}};
    for (const v1::SessionCount& s : snapshot_.sessions()) {
      ClientMetric m;
      m.label = {{"kind", KindLabel(s.kind())},
                 {"outcome", OutcomeLabel(s.outcome())}};
      m.counter.value = static_cast<double>(s.count());
      sessions.metric.push_back(m);
    }
    MetricFamily rounds{
        "nitro_enclave_round_duration_seconds",
        "Time from the start of a protocol round to the start of the next "
        "(reported by the enclave).",
        MetricType::Histogram,
        {}};
    for (const v1::RoundLatency& h : snapshot_.round_latency()) {
      ClientMetric m;
      m.label = {{"kind", KindLabel(h.kind())}};
      m.histogram.sample_count = h.count();
      m.histogram.sample_sum = h.sum_seconds();
      uint64_t cumulative = 0;
      for (int i = 0; i < h.bucket_counts_size(); ++i) {
        cumulative += h.bucket_counts(i);
        m.histogram.bucket.push_back({cumulative, h.upper_bounds_seconds(i)});
      }
      m.histogram.bucket.push_back(
          {h.count(), std::numeric_limits<double>::infinity()});
      rounds.metric.push_back(m);
    }
    MetricFamily culprits{
        "nitro_enclave_culprits_total",
        "Parties named in the enclave's session aborts, by culprit code "
        "(\"none\": aborts naming no one).",
        MetricType::Counter,
        {}};
    for (const v1::CulpritCount& c : snapshot_.culprits()) {
      ClientMetric m;
      m.label = {{"code", c.code()}};
      m.counter.value = static_cast<double>(c.count());
      culprits.metric.push_back(m);
    }
    MetricFamily received{
        "nitro_enclave_metrics_received_timestamp_seconds",
        "When the host received the enclave's latest metrics (Unix time).",
        MetricType::Gauge,
        {}};
    ClientMetric r;
    r.gauge.value = absl::ToDoubleSeconds(received_ - absl::UnixEpoch());
    received.metric.push_back(r);
    std::vector<MetricFamily> out;
    for (MetricFamily* f : {&sessions, &rounds, &culprits}) {
      if (!f->metric.empty()) out.push_back(std::move(*f));
    }
    out.push_back(std::move(received));
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  v1::PutMetricsRequest snapshot_ ABSL_GUARDED_BY(mu_);
  absl::Time received_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

namespace {

class CountingInterceptor final : public grpc::experimental::Interceptor {
 public:
  CountingInterceptor(HostMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->CountRequest(method_, methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  HostMetrics* metrics_;
  std::string method_;
};

class CountingFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(HostMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CountingInterceptor(
        metrics_, info->method() == nullptr ? "" : info->method());
  }

 private:
  HostMetrics* metrics_;
};

std::string CodeName(grpc::StatusCode code) {
  const int c = static_cast<int>(code);
  if (c < 0 || c > 16) return "UNKNOWN";
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(c));
}

}  // namespace

std::string MethodLabel(absl::string_view full_method) {
  static constexpr absl::string_view kHost = "/nitro_tss.host.v1.Host/";
  if (absl::StartsWith(full_method, kHost)) {
    absl::string_view m = full_method.substr(kHost.size());
    if (m == "PutBlob" || m == "GetBlob" || m == "GetCredentials" ||
        m == "PutMetrics") {
      return std::string(m);
    }
  }
  return "other";
}

HostMetrics::HostMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(&prometheus::BuildCounter()
                     .Name("nitro_host_service_requests_total")
                     .Help("Requests to the host service (for the enclave) "
                           "by method and gRPC status code.")
                     .Register(*registry_)),
      proxies_(std::make_shared<ProxyCollectable>()),
      enclave_(std::make_shared<EnclaveCollectable>()) {}

HostMetrics::~HostMetrics() { Stop(); }

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
HostMetrics::InterceptorFactory() {
  return std::make_unique<CountingFactory>(this);
}

void HostMetrics::CountRequest(absl::string_view full_method,
                               grpc::StatusCode code) {
  requests_
      ->Add({{"method", MethodLabel(full_method)}, {"code", CodeName(code)}})
      .Increment();
}

void HostMetrics::AddProxy(const Proxy& proxy) {
  proxies_->Add({ProxyDirectionName(proxy.options().direction),
                 proxy.options().name, proxy.counters()});
}

absl::Status HostMetrics::SetEnclaveMetrics(
    const v1::PutMetricsRequest& snapshot) {
  if (absl::Status s = ValidateEnclaveMetrics(snapshot); !s.ok()) return s;
  enclave_->Set(snapshot);
  return absl::OkStatus();
}

std::string HostMetrics::Render() const {
  std::vector<prometheus::MetricFamily> all = registry_->Collect();
  for (const prometheus::Collectable* c :
       {static_cast<const prometheus::Collectable*>(proxies_.get()),
        static_cast<const prometheus::Collectable*>(enclave_.get())}) {
    std::vector<prometheus::MetricFamily> more = c->Collect();
    all.insert(all.end(), more.begin(), more.end());
  }
  return prometheus::TextSerializer().Serialize(all);
}

absl::StatusOr<HostPort> HostMetrics::Serve(const HostPort& listen) {
  if (exposer_ != nullptr) {
    return absl::FailedPreconditionError("metrics: already serving");
  }
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", listen.ToString(), "num_threads", "2",
        "request_timeout_ms", "5000"});
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "metrics: cannot serve on ", listen.ToString(), ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(proxies_);
  exposer_->RegisterCollectable(enclave_);
  std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) {
    exposer_.reset();
    return absl::InternalError("metrics: no listening port");
  }
  bound_ = listen;
  bound_.port = static_cast<uint16_t>(ports[0]);
  return bound_;
}

void HostMetrics::Stop() {
  if (exposer_ == nullptr) return;
  // civetweb's accept thread notices the stop flag only when its poll(2)
  // returns, which is after up to 2 s without a connection: knock on the
  // port until it has stopped, so that a SIGTERM ends the host promptly.
  std::atomic<bool> stopped{false};
  std::thread knock([this, &stopped] {
    while (!stopped.load()) {
      (void)TcpConnect(bound_, absl::Milliseconds(100));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  exposer_.reset();
  stopped.store(true);
  knock.join();
}

}  // namespace nitro_tss::host
