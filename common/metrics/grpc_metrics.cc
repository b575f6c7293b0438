#include "common/metrics/grpc_metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::metrics {

namespace {

std::string CodeName(grpc::StatusCode code) {
  const int c = static_cast<int>(code);
  if (c < 0 || c > 16) return "UNKNOWN";
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(c));
}

class TimingInterceptor final : public grpc::experimental::Interceptor {
 public:
  TimingInterceptor(GrpcRequestMetrics* metrics, std::string method)
      : metrics_(metrics),
        method_(std::move(method)),
        start_(std::chrono::steady_clock::now()) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start_)
                                 .count();
      metrics_->Record(method_, methods->GetSendStatus().error_code(), seconds);
    }
    methods->Proceed();
  }

 private:
  GrpcRequestMetrics* metrics_;
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

class TimingFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit TimingFactory(GrpcRequestMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new TimingInterceptor(
        metrics_, info->method() == nullptr ? "" : info->method());
  }

 private:
  GrpcRequestMetrics* metrics_;
};

// Connects to IPv4/IPv6 host:port (best effort, short timeout by the
// kernel's loopback behaviour) and closes at once.
void Knock(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) == 1) {
      (void)connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1) {
      (void)connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
  }
  close(fd);
}

}  // namespace

MetricsServer::MetricsServer() = default;
MetricsServer::~MetricsServer() { Stop(); }

void MetricsServer::Register(
    std::shared_ptr<prometheus::Collectable> collectable) {
  collectables_.push_back(collectable);
  if (exposer_) exposer_->RegisterCollectable(collectable);
}

std::string MetricsServer::Render() const {
  std::vector<prometheus::MetricFamily> all;
  for (const auto& c : collectables_) {
    auto more = c->Collect();
    all.insert(all.end(), more.begin(), more.end());
  }
  return prometheus::TextSerializer().Serialize(all);
}

absl::StatusOr<std::string> MetricsServer::Serve(const std::string& listen) {
  if (exposer_ != nullptr) {
    return absl::FailedPreconditionError("metrics: already serving");
  }
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError("metrics: HOST:PORT required");
  }
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", "2",
                                 "request_timeout_ms", "5000"});
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("metrics: cannot serve on ", listen, ": ", e.what()));
  }
  for (const auto& c : collectables_) exposer_->RegisterCollectable(c);
  std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) {
    exposer_.reset();
    return absl::InternalError("metrics: no listening port");
  }
  bound_host_ = listen.substr(0, colon);
  if (bound_host_.size() > 2 && bound_host_.front() == '[') {
    bound_host_ = bound_host_.substr(1, bound_host_.size() - 2);
  }
  bound_port_ = ports[0];
  return absl::StrCat(listen.substr(0, colon), ":", bound_port_);
}

void MetricsServer::Stop() {
  if (exposer_ == nullptr) return;
  // civetweb's accept thread notices the stop flag only when its poll(2)
  // returns, which is after up to 2 s without a connection: knock on the
  // port until it has stopped, so that a SIGTERM ends the process promptly.
  std::atomic<bool> stopped{false};
  std::thread knock([this, &stopped] {
    while (!stopped.load()) {
      Knock(bound_host_, bound_port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  exposer_.reset();
  stopped.store(true);
  knock.join();
}

GrpcRequestMetrics::GrpcRequestMetrics(const std::string& prefix,
                                       const std::string& service)
    : service_prefix_(absl::StrCat("/", service, "/")),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(&prometheus::BuildCounter()
                     .Name(prefix + "_requests_total")
                     .Help(absl::StrCat("Requests to ", service,
                                        " by method and gRPC status code."))
                     .Register(*registry_)),
      durations_(&prometheus::BuildHistogram()
                      .Name(prefix + "_request_duration_seconds")
                      .Help(absl::StrCat("Latency of ", service,
                                         " requests by method."))
                      .Register(*registry_)) {}

GrpcRequestMetrics::~GrpcRequestMetrics() = default;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcRequestMetrics::InterceptorFactory() {
  return std::make_unique<TimingFactory>(this);
}

std::string GrpcRequestMetrics::MethodLabel(
    absl::string_view full_method) const {
  if (absl::StartsWith(full_method, service_prefix_)) {
    absl::string_view m = full_method.substr(service_prefix_.size());
    bool ok = !m.empty() && m.size() <= 64;
    for (char c : m)
      ok = ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
    if (ok) return std::string(m);
  }
  return "other";
}

void GrpcRequestMetrics::Record(absl::string_view full_method,
                                grpc::StatusCode code, double seconds) {
  const std::string method = MethodLabel(full_method);
  requests_->Add({{"method", method}, {"code", CodeName(code)}}).Increment();
  durations_
      ->Add({{"method", method}},
            prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05,
                                                    0.1, 0.25, 0.5, 1, 2.5, 5,
                                                    10, 30, 60, 120, 300})
      .Observe(seconds);
}

}  // namespace nitro_tss::metrics
