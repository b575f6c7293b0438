// `tssctl dev-certs`: writes a development cluster CA and server/client TLS
// certificates for local runs (tools/tssctl/dev_certs.h says what is in
// them).
//
//   tssctl dev-certs --dir DIR --server NAME [--server NAME ...]
//       [--client NAME] [--days N] [--force]
//
// Prints {"directory", "ca": {...}, "servers": [...], "client": {...},
// "not_before", "not_after"} with each file's path, certificate SHA-256 and
// subject alternative names. Exit codes: 0 written; 1 generation or writing
// failed; 2 usage errors (names, days, an existing file without --force).
#ifndef NITRO_TSS_TOOLS_TSSCTL_DEV_CERTS_COMMAND_H_
#define NITRO_TSS_TOOLS_TSSCTL_DEV_CERTS_COMMAND_H_

#include "tools/tssctl/cli.h"

namespace nitro_tss::tssctl {

// Adds the `dev-certs` command to `tssctl`.
void AddDevCertsCommand(CLI::App& tssctl, const CommandContext& ctx);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_DEV_CERTS_COMMAND_H_
