// tss-host: the node's parent-instance process (see node/host/README.md).
//
//   tss-host --config FILE [--ready-file FILE] [--output json|text]
//   tss-host --check-config --config FILE
//
// Serves the host service for its enclave, the inbound mTLS path from the
// coordinator, the outbound proxies (KMS) and /metrics, as configured.
//
// Exit codes (common/cli.h): 0 clean shutdown on SIGTERM/SIGINT, 1 startup
// failure, 2 usage or configuration error (the message names the field;
// this includes the inbound TLS files, which --check-config reads too).
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/time/time.h"
#include "common/cli.h"
#include "common/process.h"
#include "common/proto_config.h"
#include "node/host/host_service.h"
#include "node/host/metrics.h"
#include "node/host/proxy_address.h"
#include "node/host/setup.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/socket.h"

namespace {

using nitro_tss::json::Value;
namespace cli = nitro_tss::cli;
namespace process = nitro_tss::process;
namespace host = nitro_tss::host;

int Run(int argc, char** argv) {
  process::BlockTerminationSignals();
  process::ServiceFlags flags;
  host::HostConfig config;
  if (auto code = process::ParseServiceCommandLine(
          argc, argv, "tss-host",
          "the parent-instance process of a nitro-tss node",
          "nitro_tss.host.config.v1.HostConfig",
          "{\"enclave_service\", \"inbound\"?, \"metrics\"?, \"outbound\": "
          "{NAME: ADDRESS}} (bound addresses)",
          &flags, &config, [](const google::protobuf::Message& m) {
            return host::ValidateHostConfig(
                static_cast<const host::HostConfig&>(m));
          })) {
    return *code;
  }
  const std::string& ready_file = flags.ready_file;
  const bool check_only = flags.check_only;
  process::Logger log(flags.output);
  auto tls = host::LoadInboundTls(config);
  if (!tls.ok()) {
    return log.StartupFailed("tss-host", tls.status());
  }
  if (check_only) return cli::kExitOk;
  (void)process::DisableCoreDumps();
  auto parts = host::BuildHost(config);
  if (!parts.ok()) {
    return log.StartupFailed(parts.status().ToString());
  }
  // Once at start, for the operator: which source, and whether it answers
  // now (IMDS may come up later: not fatal; every request asks again).
  if (auto c = parts->credentials->GetExpiring(); c.ok()) {
    log.Info("credentials",
             {{"source", Value::String(parts->credentials->Name())},
              {"expires", Value::String(absl::FormatTime(c->expiration))}});
  } else {
    log.Warn("credentials",
             {{"source", Value::String(parts->credentials->Name())},
              {"status", Value::String(c.status().ToString())}});
  }
  host::HostMetrics metrics;
  host::HostService service(parts->store.get(), parts->credentials, &log,
                            &metrics);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(2 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto address =
      nitro_tss::vsock::SocketAddress::Parse(config.enclave_service_listen());
  auto listener = nitro_tss::vsock::Listen(*address);
  if (server == nullptr || !listener.ok()) {
    return log.StartupFailed(listener.ok() ? "gRPC server"
                                           : listener.status().ToString());
  }
  auto bound = nitro_tss::vsock::BoundAddress(listener->get(), *address);
  auto acceptor = nitro_tss::vsock::GrpcFdAcceptor::Start(server.get(),
                                                          *std::move(listener));
  if (!acceptor.ok() || !bound.ok()) {
    return log.StartupFailed("acceptor");
  }
  auto proxies = host::StartProxies(config, *std::move(tls), &log);
  if (!proxies.ok()) {
    return log.StartupFailed(proxies.status().ToString());
  }
  if (proxies->inbound) metrics.AddProxy(*proxies->inbound);
  for (const auto& p : proxies->outbound) metrics.AddProxy(*p);
  std::string metrics_address;
  if (!config.metrics_listen().empty()) {
    auto listen = host::ParseListenAddress(config.metrics_listen());
    auto served = listen.ok() ? metrics.Serve(*listen) : listen.status();
    if (!served.ok()) {
      return log.StartupFailed(served.status().ToString());
    }
    metrics_address = served->ToString();
  }
  Value outbound = Value::MakeObject();
  for (int i = 0; i < config.outbound_proxies_size(); ++i) {
    outbound.Set(config.outbound_proxies(i).name(),
                 Value::String(proxies->outbound_addresses[i]));
  }
  Value ready = Value::MakeObject();
  ready.Set("enclave_service", Value::String(bound->ToString()));
  if (!proxies->inbound_address.empty()) {
    ready.Set("inbound", Value::String(proxies->inbound_address));
  }
  if (!metrics_address.empty()) {
    ready.Set("metrics", Value::String(metrics_address));
  }
  ready.Set("outbound", outbound);
  log.Info("serving",
           {{"enclave_service", Value::String(bound->ToString())},
            {"inbound", Value::String(proxies->inbound_address)},
            {"metrics", Value::String(metrics_address)},
            {"outbound", outbound},
            {"blob_store", Value::String(parts->store->Describe())}});
  if (!ready_file.empty()) {
    if (auto s = process::WriteReadyFile(ready_file, ready); !s.ok()) {
      return log.StartupFailed(s.ToString());
    }
  }
  int sig = process::WaitForTerminationSignal();
  log.Info("shutting_down", {{"signal", Value::Int(sig)}});
  proxies->Stop();
  metrics.Stop();
  (*acceptor)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  log.Info("stopped");
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
