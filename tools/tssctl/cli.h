// tssctl: the nitro-tss operator CLI, a CLI11 app with one subcommand per
// command group.
//
//   tssctl [--output text|json] <group> <command> [flags]
//       e.g. tssctl attestation verify --document doc.cbor --pcr 0=...
//
// Each group (attestation, eif, kms, ...) is a GroupRegistrar added in
// tssctl_main.cc; it adds its subcommands to the tssctl app. The
// convention (common/cli.h): `--help` at every level prints usage to stdout
// and exits 0; `--version`; results are JSON on stdout (`--output text` for
// "path: value" lines); diagnostics go to stderr naming the flag; exit codes
// cli::kExitOk (success), cli::kExitFailure (the operation ran and the answer
// is negative, e.g. a document failed verification) and cli::kExitUsage (bad
// arguments or unreadable inputs).
#ifndef NITRO_TSS_TOOLS_TSSCTL_CLI_H_
#define NITRO_TSS_TOOLS_TSSCTL_CLI_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cli.h"

namespace nitro_tss::tssctl {

inline constexpr int kExitOk = cli::kExitOk;
inline constexpr int kExitFailure = cli::kExitFailure;
inline constexpr int kExitUsage = cli::kExitUsage;

using CommandContext = cli::CommandContext;

// Adds one command group (a subcommand of `tssctl` with its own
// subcommands) whose callbacks report through `ctx`.
using GroupRegistrar =
    std::function<void(CLI::App& tssctl, const CommandContext& ctx)>;

// Parses `args` (argv without the program name) and runs the selected
// command. Prints usage for `--help` at any level (exit 0), the version for
// `--version` (exit 0) and usage errors naming the flag (exit 2).
// `default_output` applies without --output (tssctl_main: text when stdout
// is a terminal, JSON otherwise).
int RunTssctl(const std::vector<GroupRegistrar>& groups,
              const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err,
              cli::Output default_output = cli::Output::kJson);

// Prints "<command path>: <message>" and the --help hint to *ctx.err;
// returns kExitUsage.
int UsageError(const CommandContext& ctx, const std::string& command,
               const std::string& message);

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
