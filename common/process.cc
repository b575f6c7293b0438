#include "common/process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/proto_config.h"

namespace nitro_tss::process {
namespace {
std::mutex g_stderr_mu;
}  // namespace

int Logger::StartupFailed(absl::string_view error) const {
  Error("startup_failed", {{"error", json::Value::String(std::string(error))}});
  return cli::kExitFailure;
}

int Logger::StartupFailed(absl::string_view program,
                          const absl::Status& status) const {
  if (absl::IsInvalidArgument(status)) {
    return cli::UsageError(std::cerr, std::string(program),
                           std::string(status.message()));
  }
  return StartupFailed(status.ToString());
}

void Logger::Log(absl::string_view level, absl::string_view event,
                 std::map<std::string, json::Value> fields) const {
  const std::string ts =
      absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (output_ == cli::Output::kJson) {
    json::Value v = json::Value::MakeObject();
    v.Set("ts", json::Value::String(ts));
    v.Set("level", json::Value::String(std::string(level)));
    v.Set("event", json::Value::String(std::string(event)));
    for (auto& [k, f] : fields) v.Set(k, std::move(f));
    line = json::Serialize(v);
  } else {
    line = absl::StrCat(ts, " ", level, " ", event);
    for (const auto& [k, f] : fields) {
      absl::StrAppend(&line, " ", k, "=",
                      f.is_string() ? f.AsString() : json::Serialize(f));
    }
  }
  std::lock_guard<std::mutex> lock(g_stderr_mu);
  std::cerr << line << "\n" << std::flush;
}

std::optional<int> ParseServiceCommandLine(
    int argc, char** argv, const std::string& program,
    const std::string& description, const std::string& schema,
    const std::string& ready_contents, ServiceFlags* flags,
    google::protobuf::Message* config,
    const std::function<absl::Status(const google::protobuf::Message&)>&
        validate) {
  CLI::App app(program + ": " + description, program);
  cli::AddValue(app, "--config", &flags->config_path, "FILE",
                "configuration (text or JSON, schema " + schema + ")")
      ->required();
  cli::AddValue(app, "--ready-file", &flags->ready_file, "FILE",
                "written once serving: " + ready_contents);
  cli::AddSwitch(app, "--check-config", &flags->check_only,
                 "validate the configuration and exit");
  cli::AddOutputOption(app, &flags->output,
                       "log format: json (default) or text");
  cli::AddVersionFlag(app);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto code = cli::Parse(app, args, std::cout, std::cerr)) return *code;
  if (auto s = config::LoadProtoConfig(flags->config_path, config); !s.ok()) {
    return cli::UsageError(std::cerr, program, s.ToString());
  }
  if (auto s = validate(*config); !s.ok()) {
    return cli::UsageError(std::cerr, program, std::string(s.message()));
  }
  return std::nullopt;
}

absl::Status DisableCoreDumps() {
  rlimit none{0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_CORE): ", std::strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteReadyFile(const std::string& path,
                            const json::Value& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::Serialize(content) << "\n";
    if (!out) {
      return absl::UnavailableError(absl::StrCat(tmp, ": cannot write"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat(path, ": rename failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void BlockTerminationSignals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  int sig = 0;
  while (sigwait(&sigs, &sig) != 0) {
  }
  return sig;
}

}  // namespace nitro_tss::process
