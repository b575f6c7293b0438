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
#include <exception>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
    if (m == "PutBlob" || m == "GetBlob" || m == "GetCredentials") {
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
      proxies_(std::make_shared<ProxyCollectable>()) {}

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

std::string HostMetrics::Render() const {
  std::vector<prometheus::MetricFamily> all = registry_->Collect();
  std::vector<prometheus::MetricFamily> more = proxies_->Collect();
  all.insert(all.end(), more.begin(), more.end());
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
