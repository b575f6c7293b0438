// What every nitro-tss service process does the same way: JSON log lines,
// the ready file tests and supervisors wait for, termination signals, and
// no core dumps (a core of an enclave or host would hold secrets).
#ifndef NITRO_TSS_COMMON_PROCESS_H_
#define NITRO_TSS_COMMON_PROCESS_H_

#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/cli.h"
#include "common/json.h"

namespace nitro_tss::process {

// Structured logs on stderr: one JSON object per line {"ts", "level",
// "event", fields...} (--output json), or "ts level event key=value ..."
// (--output text). Thread-safe. Callers never pass secrets: fields are ids,
// counts, codes and error texts.
class Logger {
 public:
  explicit Logger(cli::Output output = cli::Output::kJson) : output_(output) {}
  void set_output(cli::Output output) { output_ = output; }
  void Log(absl::string_view level, absl::string_view event,
           std::map<std::string, json::Value> fields = {}) const;
  void Info(absl::string_view event,
            std::map<std::string, json::Value> fields = {}) const {
    Log("info", event, std::move(fields));
  }
  void Warn(absl::string_view event,
            std::map<std::string, json::Value> fields = {}) const {
    Log("warn", event, std::move(fields));
  }
  void Error(absl::string_view event,
             std::map<std::string, json::Value> fields = {}) const {
    Log("error", event, std::move(fields));
  }
  // A service that cannot start: logs {"event": "startup_failed", "error":
  // error} and returns cli::kExitFailure, for `return log.StartupFailed(..)`.
  int StartupFailed(absl::string_view error) const;
  // The same for a status, except that InvalidArgument (a configuration the
  // operator must fix) is a usage error: "<program>: <message>" on stderr,
  // cli::kExitUsage.
  int StartupFailed(absl::string_view program,
                    const absl::Status& status) const;

 private:
  cli::Output output_;
};

// The command line every service shares:
//   <program> --config FILE [--ready-file FILE] [--check-config]
//             [--output json|text] [--version] [--help]
struct ServiceFlags {
  std::string config_path;
  std::string ready_file;
  bool check_only = false;
  cli::Output output = cli::Output::kJson;
};

// Parses `argv` for `program` (`schema` names the config's proto message,
// `ready_contents` what the ready file holds, both for --help), then loads
// the configuration file into `config` and runs `validate` on it. Returns
// std::nullopt when the service should start, otherwise the exit code:
// kExitOk after --help/--version, kExitUsage (message on stderr naming the
// flag or field) for a usage or configuration error.
std::optional<int> ParseServiceCommandLine(
    int argc, char** argv, const std::string& program,
    const std::string& description, const std::string& schema,
    const std::string& ready_contents, ServiceFlags* flags,
    google::protobuf::Message* config,
    const std::function<absl::Status(const google::protobuf::Message&)>&
        validate);

// setrlimit(RLIMIT_CORE, 0) and PR_SET_DUMPABLE 0: no core file and no
// ptrace attach by same-uid processes.
absl::Status DisableCoreDumps();

// Writes `content` to `path` atomically (temp file + rename), so that a
// reader never sees a partial file.
absl::Status WriteReadyFile(const std::string& path,
                            const json::Value& content);

// Blocks SIGTERM and SIGINT in the calling thread (call first in main, so
// that every thread started later inherits the mask) ...
void BlockTerminationSignals();
// ... and waits for one of them; returns its number.
int WaitForTerminationSignal();

}  // namespace nitro_tss::process

#endif  // NITRO_TSS_COMMON_PROCESS_H_
