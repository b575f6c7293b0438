// tss-coordinator: the cluster's public API (nitro_tss.v1.Custody) and the
// driver of the enclaves' protocol runs (see coordinator/README.md).
//
//   tss-coordinator --config FILE [--ready-file FILE] [--output json|text]
//   tss-coordinator --check-config --config FILE
//
// Exit codes (common/cli.h): 0 clean shutdown on SIGTERM/SIGINT, 1 startup
// failure (storage unreachable, port taken), 2 usage or configuration error
// (the message names the field; this includes the TLS files, which
// --check-config reads too).
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "common/cli.h"
#include "common/process.h"
#include "coordinator/relay/relay.h"
#include "coordinator/service/custody_service.h"
#include "coordinator/service/metrics.h"
#include "coordinator/service/setup.h"

namespace {

using nitro_tss::json::Value;
namespace cli = nitro_tss::cli;
namespace process = nitro_tss::process;
namespace coordinator = nitro_tss::coordinator;

// Runs `f` every `interval` until stopped (first run at once).
class Ticker {
 public:
  Ticker(absl::Duration interval, std::function<void()> f)
      : thread_([this, interval, f = std::move(f)] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!stop_) {
            lock.unlock();
            f();
            lock.lock();
            cv_.wait_for(lock, absl::ToChronoNanoseconds(interval),
                         [this] { return stop_; });
          }
        }) {}
  ~Ticker() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

int Run(int argc, char** argv) {
  process::BlockTerminationSignals();
  process::ServiceFlags flags;
  coordinator::CoordinatorConfig config;
  if (auto code = process::ParseServiceCommandLine(
          argc, argv, "tss-coordinator",
          "the public API and protocol driver of a nitro-tss cluster",
          "nitro_tss.coordinator.config.v1.CoordinatorConfig",
          "{\"listen\", \"metrics\"?} (bound addresses)", &flags, &config,
          [](const google::protobuf::Message& m) {
            return coordinator::ValidateCoordinatorConfig(
                static_cast<const coordinator::CoordinatorConfig&>(m));
          })) {
    return *code;
  }
  process::Logger log(flags.output);
  auto parts = coordinator::BuildCoordinator(config);
  if (!parts.ok()) {
    return log.StartupFailed("tss-coordinator", parts.status());
  }
  if (flags.check_only) return cli::kExitOk;
  (void)process::DisableCoreDumps();

  coordinator::Orchestrator orchestrator(parts->nodes.get(),
                                         parts->orchestrator);
  coordinator::CustodyOptions custody;
  custody.replica_id = config.replica_id();
  if (custody.replica_id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    custody.replica_id = host[0] != 0 ? host : "coordinator";
  }
  custody.sign_window = parts->orchestrator.sign_deadline *
                            (2 * parts->orchestrator.max_attempts) +
                        absl::Minutes(1);
  coordinator::CustodyService service(parts->storage.get(), parts->nodes.get(),
                                      &orchestrator, &log, custody);
  // Health changes are audited (an image refused by attestation is what an
  // operator must find there).
  parts->nodes->SetHealthListener([&](const std::string& node,
                                      nitro_tss::v1::Node::Health health,
                                      const std::string& reason) {
    service.AuditNodeHealth(node, health, reason);
    log.Log(
        health == nitro_tss::v1::Node::SERVING ? "info" : "warn", "node_health",
        {{"node", Value::String(node)},
         {"health", Value::String(nitro_tss::v1::Node::Health_Name(health))},
         {"reason", Value::String(reason)}});
  });
  const int serving = parts->nodes->CheckAll(absl::Seconds(10));
  log.Info("nodes_checked", {{"serving", Value::Int(serving)},
                             {"configured", Value::Int(config.nodes_size())}});
  if (auto s = service.Recover(); !s.ok()) {
    return log.StartupFailed(s.ToString());
  }
  coordinator::CoordinatorMetrics metrics(parts->nodes.get(), &orchestrator,
                                          parts->orchestrator.pool_target);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  const bool unix_socket = absl::StartsWith(config.listen(), "unix:///");
  builder.AddListeningPort(config.listen(), parts->server_credentials,
                           unix_socket ? nullptr : &port);
  builder.RegisterService(&service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(2 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || (!unix_socket && port == 0)) {
    return log.StartupFailed(
        absl::StrCat("cannot listen on ", config.listen()));
  }
  std::string bound = config.listen();
  if (!unix_socket) {
    bound = absl::StrCat(config.listen().substr(0, config.listen().rfind(':')),
                         ":", port);
  }
  std::string metrics_address;
  if (!config.metrics_listen().empty()) {
    auto served = metrics.Serve(config.metrics_listen());
    if (!served.ok()) {
      return log.StartupFailed(served.status().ToString());
    }
    metrics_address = *served;
  }
  Ticker health(parts->health_interval, [&] {
    parts->nodes->CheckAll(std::min(parts->health_interval, absl::Seconds(10)));
  });
  std::unique_ptr<Ticker> refill;
  if (parts->orchestrator.pool_target > 0) {
    // A refill's presign can name a culprit too: its exclusion is stored.
    refill = std::make_unique<Ticker>(absl::Milliseconds(500), [&] {
      orchestrator.RefillPools();
      service.PersistExclusions();
    });
  }
  Value ready = Value::MakeObject();
  ready.Set("listen", Value::String(bound));
  if (!metrics_address.empty()) {
    ready.Set("metrics", Value::String(metrics_address));
  }
  log.Info(
      "serving",
      {{"listen", Value::String(bound)},
       {"metrics", Value::String(metrics_address)},
       {"storage", Value::String(std::string(parts->storage->backend()))}});
  if (!flags.ready_file.empty()) {
    if (auto s = process::WriteReadyFile(flags.ready_file, ready); !s.ok()) {
      return log.StartupFailed(s.ToString());
    }
  }
  int sig = process::WaitForTerminationSignal();
  log.Info("shutting_down", {{"signal", Value::Int(sig)}});
  // In-flight RPCs get a grace period; CreateKey workers finish their DKG.
  orchestrator.StopRefills();  // a refill ends after its current run
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (refill) refill->Stop();
  health.Stop();
  service.Shutdown();
  // Relay streams dropped from their own callbacks end on threads of their
  // own: waited for (a few seconds at most) so none runs into the exit.
  if (!coordinator::WaitForStreamDestroyers(absl::Now() + absl::Seconds(5))) {
    log.Warn("relay_streams_still_closing",
             {{"streams", Value::Int(static_cast<int64_t>(
                              coordinator::StreamDestroyersRunning()))}});
    // Such a thread still ends sessions, whose callbacks reach the
    // orchestrator and the node set: the destructors of this function and
    // the static ones would free them under it. The process ends here
    // without running any (std::quick_exit: no destructors, no atexit
    // handlers), with the normal exit code: the server has shut down, and
    // what the service stores is written by its calls, which have ended;
    // the log is flushed line by line.
    log.Info("stopped", {{"destructors", Value::String("skipped")}});
    std::quick_exit(cli::kExitOk);
  }
  metrics.Stop();
  log.Info("stopped");
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
