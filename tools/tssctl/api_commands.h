// tssctl's commands that call a cluster's public API (nitro_tss.v1.Custody,
// protos/nitro_tss/v1/custody.proto) on tss-coordinator:
//
//   tssctl keys create --node nodes/A --node nodes/B ... --threshold T
//                      --policy FILE [--request-id ID] [--no-wait]
//   tssctl keys get NAME | keys list
//   tssctl sign --key NAME (--message TEXT | --message-file F | --digest HEX)
//               --hash sha256|keccak256 --approvals FILE [--request-id ID]
//   tssctl nodes list | nodes get NAME
//   tssctl operations get NAME | list | wait NAME [--wait-seconds S]
//
// Connection flags on every command: --server (unix:///PATH or HOST:PORT;
// env NITRO_TSS_SERVER), and for HOST:PORT the client certificate
// --tls-ca/--tls-cert/--tls-key (env NITRO_TSS_TLS_CA/_CERT/_KEY;
// `tssctl dev-certs` makes them for local runs), --timeout SECONDS.
//
// Results are JSON (bytes as lowercase hex) or "path: value" text. Long
// operations (keys create) print their progress on stderr. Exit codes: 0
// done; 1 the server answered with an error (its gRPC code name and message
// on stderr) or the operation failed; 2 usage errors and unreadable input
// files.
#ifndef NITRO_TSS_TOOLS_TSSCTL_API_COMMANDS_H_
#define NITRO_TSS_TOOLS_TSSCTL_API_COMMANDS_H_

#include <string>

#include "tools/tssctl/cli.h"

namespace nitro_tss::tssctl {

// Adds `keys`, `sign`, `nodes` and `operations` to `tssctl`.
void AddApiCommands(CLI::App& tssctl, const CommandContext& ctx);

// The server's gRPC error details (a serialized google.rpc.Status,
// nitro_tss.v1.Status) as lines for stderr: one
//   "  culprit nodes/ID: CODE, ACTION: REASON"
// per CulpritInfo (who a failed run named, custody.proto). Details that do
// not parse, are larger than 64 KiB, or hold other types add nothing: they
// come from the server and never make tssctl fail differently.
std::string DescribeErrorDetails(const std::string& error_details);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_API_COMMANDS_H_
