// The command-line convention of every nitro-tss program (tssctl,
// tss-kms-local, the services to come), on CLI11 (Debian libcli11-dev):
//
//   --help      on every command and subcommand: usage on stdout, exit 0
//   --version   on the top-level command: "<program> <version>", exit 0
//   --output text|json   how results (or, for services, log lines) are
//               written; json is the default (scripts and tests parse it)
//   exit codes  kExitOk 0: success; kExitFailure 1: the operation ran and
//               failed or its answer is negative (a verification failed, a
//               service could not start); kExitUsage 2: usage or
//               configuration error
//   errors      on stderr, "<program>: <message>", naming the flag or field
//               (CLI11's own parse errors name the flag, e.g. "--at: Value
//               yesterday could not be converted")
#ifndef NITRO_TSS_COMMON_CLI_H_
#define NITRO_TSS_COMMON_CLI_H_

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/json.h"

namespace nitro_tss::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

enum class Output { kJson, kText };

// What a command's callback writes to and where it leaves its exit code.
struct CommandContext {
  std::ostream* out;
  std::ostream* err;
  const Output* output;  // --output, set once parsing is done
  int* exit_code;
};

// The project version (CMake project VERSION).
const char* Version();

// Adds `--output text|json` (default json) to `app`, storing into *output.
CLI::Option* AddOutputOption(
    CLI::App& app, Output* output,
    const std::string& description = "result format: json (default) or text");

// Adds `--version` to `app` (prints "<app name> <Version()>").
void AddVersionFlag(CLI::App& app);

// `--name VALUE_TEXT  description`, parsed into *value (a string or an
// integer; CLI11 names the flag when the value does not convert).
template <typename T>
CLI::Option* AddValue(CLI::App& app, const std::string& name, T* value,
                      const std::string& value_text,
                      const std::string& description) {
  return app.add_option(name, *value, description)->option_text(value_text);
}

// Boolean flag that refuses a value ("--allow-debug=yes" is a usage error).
CLI::Option* AddSwitch(CLI::App& app, const std::string& name, bool* value,
                       const std::string& description);

// Parses `args` (argv without the program name) with `app` (callbacks run
// during parsing). Returns std::nullopt when parsing succeeded; otherwise
// the exit code after printing: help (of the innermost selected
// subcommand) or the version to `out` -> kExitOk; a parse error as
// "<program>: <message>" plus a --help hint to `err` -> kExitUsage.
std::optional<int> Parse(CLI::App& app, const std::vector<std::string>& args,
                         std::ostream& out, std::ostream& err);

// Prints a usage/config error "<program>: <message>" and the --help hint to
// `err`; returns kExitUsage.
int UsageError(std::ostream& err, const std::string& program,
               const std::string& message);

// Writes a result: json -> one compact JSON line; text -> one
// "path: value" line per scalar (objects as a.b, arrays as a[0]).
void PrintResult(const json::Value& result, Output output, std::ostream& out);

}  // namespace nitro_tss::cli

#endif  // NITRO_TSS_COMMON_CLI_H_
