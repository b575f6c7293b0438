// tss-enclave: the node's enclave process (see node/enclave/README.md).
//
//   tss-enclave --config FILE [--ready-file FILE] [--output json|text]
//   tss-enclave --check-config --config FILE
//
// Exit codes (common/cli.h): 0 clean shutdown on SIGTERM/SIGINT (or a valid
// config with --check-config), 1 startup failure, 2 usage or configuration
// error (the message names the field).
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "common/cli.h"
#include "common/process.h"
#include "common/proto_config.h"
#include "node/enclave/service.h"
#include "node/enclave/setup.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/socket.h"

namespace {

using nitro_tss::json::Value;
namespace cli = nitro_tss::cli;
namespace process = nitro_tss::process;
namespace enclave = nitro_tss::enclave;

int Run(int argc, char** argv) {
  process::BlockTerminationSignals();
  process::ServiceFlags flags;
  enclave::EnclaveConfig config;
  if (auto code = process::ParseServiceCommandLine(
          argc, argv, "tss-enclave", "the enclave process of a nitro-tss node",
          "nitro_tss.enclave.config.v1.EnclaveConfig",
          "{\"listen\": ADDRESS} (the bound address)", &flags, &config,
          [](const google::protobuf::Message& m) {
            return enclave::ValidateEnclaveConfig(
                static_cast<const enclave::EnclaveConfig&>(m));
          })) {
    return *code;
  }
  const std::string& ready_file = flags.ready_file;
  process::Logger log(flags.output);
  if (flags.check_only) return cli::kExitOk;
  if (auto s = process::DisableCoreDumps(); !s.ok()) {
    return log.StartupFailed(s.ToString());
  }
  // Before anything holds a secret: shares are kept only in locked memory.
  if (auto s = enclave::InitializeLockedMemory(config); !s.ok()) {
    return log.StartupFailed(s.ToString());
  }
  auto rt = enclave::BuildEnclave(config, cli::Version());
  if (!rt.ok()) {
    return log.StartupFailed("tss-enclave", rt.status());
  }
  enclave::EnclaveService service((*rt)->core.get(), &log,
                                  (*rt)->metrics.get());
  // The enclave's metrics go out through its host; a change of outcome is
  // logged (a host that is down shows once, not every interval).
  enclave::GrpcHostClient* host = (*rt)->host.get();
  enclave::MetricsPusher pusher(
      (*rt)->metrics.get(),
      [host](const nitro_tss::host::v1::PutMetricsRequest& m) {
        return host->PutMetrics(m);
      },
      (*rt)->metrics_interval,
      [&log](const absl::Status& s) {
        log.Log(s.ok() ? "info" : "warn", "metrics_push",
                {{"status", Value::String(s.ToString())}});
      });
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(enclave::kMaxGrpcMessageBytes);
  builder.SetMaxSendMessageSize(enclave::kMaxGrpcMessageBytes);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return log.StartupFailed("gRPC server");
  }
  auto listener = nitro_tss::vsock::Listen((*rt)->listen);
  if (!listener.ok()) {
    return log.StartupFailed(listener.status().ToString());
  }
  auto bound = nitro_tss::vsock::BoundAddress(listener->get(), (*rt)->listen);
  auto acceptor = nitro_tss::vsock::GrpcFdAcceptor::Start(server.get(),
                                                          *std::move(listener));
  if (!acceptor.ok() || !bound.ok()) {
    return log.StartupFailed("acceptor");
  }
  log.Info("serving", {{"listen", Value::String(bound->ToString())}});
  if (!ready_file.empty()) {
    Value ready = Value::MakeObject();
    ready.Set("listen", Value::String(bound->ToString()));
    if (auto s = process::WriteReadyFile(ready_file, ready); !s.ok()) {
      return log.StartupFailed(s.ToString());
    }
  }
  int sig = process::WaitForTerminationSignal();
  log.Info("shutting_down", {{"signal", Value::Int(sig)}});
  (*acceptor)->Stop();
  // In-flight sessions get a grace period, then are cancelled (their peers
  // see this party as silent at the round deadline).
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  log.Info("stopped");
  return cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
