// tssctl: the nitro-tss operator CLI, a dispatcher of command groups.
//
//   tssctl <group> <command> [flags]      e.g. tssctl attestation verify ...
//
// Each group (attestation, eif, kms, ...) is a CommandGroup registered in
// tssctl_main.cc. Conventions for every command: `--help` prints usage to
// stdout and exits 0; results are JSON on stdout; diagnostics go to stderr;
// exit codes are kExitOk (success), kExitFailure (the operation ran and the
// answer is negative, e.g. a document failed verification) and kExitUsage
// (bad arguments or unreadable inputs).
#ifndef NITRO_TSS_TOOLS_TSSCTL_CLI_H_
#define NITRO_TSS_TOOLS_TSSCTL_CLI_H_

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nitro_tss::tssctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs one group with the arguments after the group name.
using GroupRunner = std::function<int(const std::vector<std::string>& args,
                                      std::ostream& out, std::ostream& err)>;

struct CommandGroup {
  std::string name;     // e.g. "attestation"
  std::string summary;  // one line for `tssctl --help`
  GroupRunner run;
};

// Dispatches `args` (argv without the program name) to the matching group.
// Prints top-level usage for `--help`/`-h` (exit 0) and on errors (exit 2).
int RunTssctl(const std::vector<CommandGroup>& groups,
              const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err);

// Minimal flag parser shared by commands: accepts `--name value` and
// `--name=value`; boolean flags take no value; repeated flags accumulate.
class FlagParser {
 public:
  // Declares flags before Parse.
  void AddValueFlag(const std::string& name);
  void AddBoolFlag(const std::string& name);

  // Fails with a message naming the offending argument on unknown flags,
  // missing values, values given to boolean flags or positional arguments.
  absl::Status Parse(const std::vector<std::string>& args);

  bool Has(const std::string& name) const;
  // Last value of a value flag ("" if absent).
  std::string Value(const std::string& name) const;
  // All values of a repeatable value flag, in order.
  std::vector<std::string> Values(const std::string& name) const;

 private:
  std::map<std::string, bool> declared_;  // name -> takes a value
  std::map<std::string, std::vector<std::string>> values_;
};

// Reads a whole file of at most `max_bytes`; kInvalidArgument with the path
// in the message otherwise.
absl::StatusOr<std::vector<uint8_t>> ReadFileLimited(const std::string& path,
                                                     size_t max_bytes);

// Decodes lower/upper-case hex with an even number of digits.
absl::StatusOr<std::vector<uint8_t>> DecodeHex(const std::string& hex);

// Lower-case hex of `bytes`.
std::string EncodeHex(const std::vector<uint8_t>& bytes);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_CLI_H_
