#include "node/enclave/process.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <iostream>

#include "common/cli.h"
#include "common/process.h"
#include "common/proto_config.h"
#include "node/enclave/service.h"
#include "node/enclave/setup.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/socket.h"

namespace nitro_tss::enclave {

namespace {
using nitro_tss::json::Value;
// Once every call has ended in the service: how long calls still on
// their way are refused by the service before the gRPC server shuts down,
// and how long that shutdown then waits for replies to be written.
constexpr absl::Duration kDrainSettle = absl::Milliseconds(300);
constexpr absl::Duration kDrainedReplyTime = absl::Milliseconds(300);
namespace cli = nitro_tss::cli;
namespace process = nitro_tss::process;
}  // namespace

int RunEnclaveProcess(int argc, char** argv, SessionFactories sessions) {
  process::BlockTerminationSignals();
  process::ServiceFlags flags;
  EnclaveConfig config;
  if (auto code = process::ParseServiceCommandLine(
          argc, argv, "tss-enclave", "the enclave process of a nitro-tss node",
          "nitro_tss.enclave.config.v1.EnclaveConfig",
          "{\"listen\": ADDRESS} (the bound address)", &flags, &config,
          [](const google::protobuf::Message& m) {
            return ValidateEnclaveConfig(static_cast<const EnclaveConfig&>(m));
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
  if (auto s = InitializeLockedMemory(config); !s.ok()) {
    return log.StartupFailed(s.ToString());
  }
  auto rt = BuildEnclave(config, cli::Version(), std::move(sessions));
  if (!rt.ok()) {
    return log.StartupFailed("tss-enclave", rt.status());
  }
  EnclaveService service((*rt)->core.get(), &log, (*rt)->metrics.get());
  // The enclave's metrics go out through its host; a change of outcome is
  // logged (a host that is down shows once, not every interval).
  GrpcHostClient* host = (*rt)->host.get();
  MetricsPusher pusher((*rt)->metrics.get(),
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
  builder.SetMaxReceiveMessageSize(kMaxGrpcMessageBytes);
  builder.SetMaxSendMessageSize(kMaxGrpcMessageBytes);
  // The coordinator pings its long-lived Sessions stream every 10 s
  // (coordinator/relay: SetSessionsKeepalive): accepted; our own pings end
  // the stream of a coordinator that went away (its host's proxy still up)
  // within ~40 s.
  SetSessionsServerKeepalive(&builder);
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
  // grpc.health.v1 answers NOT_SERVING from now on (gRPC's own server
  // shutdown says so only once every call has ended, up to the grace).
  if (grpc::HealthCheckServiceInterface* health =
          server->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  (*acceptor)->Stop();
  // A DKG start waiting for keygen material ends now (UNAVAILABLE), so
  // that its session does not outlast the grace period, and a running
  // safe-prime search is cancelled, so that the exit does not wait for it.
  (*rt)->material->EndTakes();
  // New sessions are refused (UNAVAILABLE); in-flight sessions get a grace
  // period, then end UNAVAILABLE (their peers see this party as silent at
  // the round deadline); each Sessions stream ends as soon as its sessions
  // have, so an idle coordinator does not hold up the shutdown.
  // Unary calls are refused from now on too; those in flight get the grace.
  const absl::Time grace_end = absl::Now() + absl::Seconds(5);
  const bool drained = service.Shutdown(grace_end);
  // With every call ended the server is shut down after kDrainSettle and
  // with a deadline of kDrainedReplyTime: calls that clients sent before
  // they could know of the shutdown arrive meanwhile and are refused
  // UNAVAILABLE by the service (gRPC's server cancels a call that arrives
  // after its shutdown began), and the replies of calls whose handlers have
  // just returned go out instead of being cancelled. Both are short: the
  // server's graceful GOAWAY would wait for each client to answer a ping,
  // which an idle client (no call of its own being read) does only when
  // gRPC's backup poller next reads its connection, up to 5 s later; at
  // the deadline the connections are closed.
  if (drained) absl::SleepFor(kDrainSettle);
  server->Shutdown(absl::ToChronoTime(
      drained ? absl::Now() + kDrainedReplyTime
              : std::max(grace_end, absl::Now() + absl::Seconds(1))));
  log.Info("stopped");
  return cli::kExitOk;
}

}  // namespace nitro_tss::enclave
