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
  CLI::App app("tss-enclave: the enclave process of a nitro-tss node",
               "tss-enclave");
  std::string config_path, ready_file;
  bool check_only = false;
  cli::Output output = cli::Output::kJson;
  cli::AddValue(app, "--config", &config_path, "FILE",
                "configuration (text or JSON, schema "
                "nitro_tss.enclave.config.v1.EnclaveConfig)")
      ->required();
  cli::AddValue(app, "--ready-file", &ready_file, "FILE",
                "written ({\"listen\": ADDRESS}) once serving");
  cli::AddSwitch(app, "--check-config", &check_only,
                 "validate the configuration and exit");
  cli::AddOutputOption(app, &output, "log format: json (default) or text");
  cli::AddVersionFlag(app);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto code = cli::Parse(app, args, std::cout, std::cerr)) return *code;
  process::Logger log(output);

  enclave::EnclaveConfig config;
  if (auto s = nitro_tss::config::LoadProtoConfig(config_path, &config);
      !s.ok()) {
    return cli::UsageError(std::cerr, "tss-enclave", s.ToString());
  }
  if (auto s = enclave::ValidateEnclaveConfig(config); !s.ok()) {
    return cli::UsageError(std::cerr, "tss-enclave", std::string(s.message()));
  }
  if (check_only) return cli::kExitOk;
  if (auto s = process::DisableCoreDumps(); !s.ok()) {
    log.Error("startup_failed", {{"error", Value::String(s.ToString())}});
    return cli::kExitFailure;
  }
  auto rt = enclave::BuildEnclave(config, cli::Version());
  if (!rt.ok()) {
    log.Error("startup_failed",
              {{"error", Value::String(rt.status().ToString())}});
    return rt.status().code() == absl::StatusCode::kInvalidArgument
               ? cli::kExitUsage
               : cli::kExitFailure;
  }
  enclave::EnclaveService service((*rt)->core.get(), &log);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(enclave::kMaxGrpcMessageBytes);
  builder.SetMaxSendMessageSize(enclave::kMaxGrpcMessageBytes);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    log.Error("startup_failed", {{"error", Value::String("gRPC server")}});
    return cli::kExitFailure;
  }
  auto listener = nitro_tss::vsock::Listen((*rt)->listen);
  if (!listener.ok()) {
    log.Error("startup_failed",
              {{"error", Value::String(listener.status().ToString())}});
    return cli::kExitFailure;
  }
  auto bound = nitro_tss::vsock::BoundAddress(listener->get(), (*rt)->listen);
  auto acceptor = nitro_tss::vsock::GrpcFdAcceptor::Start(server.get(),
                                                          *std::move(listener));
  if (!acceptor.ok() || !bound.ok()) {
    log.Error("startup_failed", {{"error", Value::String("acceptor")}});
    return cli::kExitFailure;
  }
  log.Info("serving", {{"listen", Value::String(bound->ToString())}});
  if (!ready_file.empty()) {
    Value ready = Value::MakeObject();
    ready.Set("listen", Value::String(bound->ToString()));
    if (auto s = process::WriteReadyFile(ready_file, ready); !s.ok()) {
      log.Error("startup_failed", {{"error", Value::String(s.ToString())}});
      return cli::kExitFailure;
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
