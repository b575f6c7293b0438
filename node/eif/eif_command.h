// `tssctl eif ...`: inspect and build enclave image files from the command
// line. Kept here (not in tools/tssctl) so the dispatcher only forwards args.
#ifndef NITRO_TSS_NODE_EIF_EIF_COMMAND_H_
#define NITRO_TSS_NODE_EIF_EIF_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "common/cli.h"

namespace nitro_tss::eif {

// Exit codes of RunEifCommand (the convention of common/cli.h).
inline constexpr int kEifExitOk = 0;
inline constexpr int kEifExitFailure = 1;  // the image/input is invalid
inline constexpr int kEifExitUsage = 2;    // bad arguments, unreadable files

// Runs `eif <args...>` (args excludes the word "eif"):
//   pcrs FILE       prints {"PCR0","PCR1","PCR2"[,"PCR8"],"version","flags",
//                   "default_memory","default_cpus","crc32","sections":[...]}
//                   as JSON on `out` (hex lower-case).
//   build --kernel F --cmdline S --ramdisk F [--ramdisk F ...]
//         [--metadata F] [--memory MIB] [--cpus N] [--arm64] --out FILE
//                   writes an EIF and prints its PCRs as JSON on `out`.
//   --help / -h     usage on `out`, exit 0 (at every level).
//   --output text|json   json (default) or "path: value" lines.
// Parsed with CLI11 (AddEifCommands). Errors go to `err` as
// "tssctl eif: <message>" naming the flag; the return value is kEifExitOk,
// kEifExitFailure or kEifExitUsage.
int RunEifCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err);

// Adds `pcrs` and `build` to `eif` (a CLI11 app or subcommand); their
// callbacks report through `ctx`.
void AddEifCommands(CLI::App& eif, const cli::CommandContext& ctx);

}  // namespace nitro_tss::eif

#endif  // NITRO_TSS_NODE_EIF_EIF_COMMAND_H_
