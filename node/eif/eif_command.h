// `tssctl eif ...`: inspect and build enclave image files from the command
// line. Kept here (not in tools/tssctl) so the dispatcher only forwards args.
#ifndef NITRO_TSS_NODE_EIF_EIF_COMMAND_H_
#define NITRO_TSS_NODE_EIF_EIF_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace nitro_tss::eif {

// Exit codes of RunEifCommand (the tssctl convention, tools/tssctl/cli.h).
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
//   --help / -h     usage on `out`, exit 0.
// Errors go to `err` as one line "tssctl eif: <message>"; the return value is
// kEifExitOk, kEifExitFailure or kEifExitUsage.
int RunEifCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err);

}  // namespace nitro_tss::eif

#endif  // NITRO_TSS_NODE_EIF_EIF_COMMAND_H_
