// `tssctl attestation ...`: Nitro attestation document tools.
//
//   tssctl attestation verify --document FILE [--root PEM] [--at UNIX_MS]
//       [--pcr N=HEX ...] [--allow-any-image] [--allow-debug] [--nonce HEX]
//       [--max-age-ms MS]
//
//   tssctl attestation dev-ca --out DIR [--region NAME]
//   tssctl attestation simulate --ca-dir DIR --out FILE [--instance-id ID]
//       [--pcr0 HEX] [--pcr1 HEX] [--pcr2 HEX] [--debug] [--nonce HEX]
//       [--user-data HEX] [--public-key FILE]
//
// verify prints {"verdict": "valid"|"invalid", "error": {...}|null,
// "document": {...}|null, "verification": {...}} and exits 0 only when the
// signature, the chain to the pinned root (default: the built-in AWS Nitro
// Enclaves Root G1) at the given time (default: now) and the policy all
// pass; 1 when verification fails; 2 on usage errors.
#ifndef NITRO_TSS_TOOLS_TSSCTL_ATTESTATION_COMMAND_H_
#define NITRO_TSS_TOOLS_TSSCTL_ATTESTATION_COMMAND_H_

#include "tools/tssctl/cli.h"

namespace nitro_tss::tssctl {

// Adds the "attestation" group (verify, dev-ca, simulate) to `tssctl`.
void AddAttestationCommands(CLI::App& tssctl, const CommandContext& ctx);

// `attestation dev-ca` and `attestation simulate` (attestation_dev_command.cc):
// dev-ca writes a development CA (DevCa::SaveToDirectory) and prints
// {"directory", "root_certificate", "root_sha256", "region"}; simulate boots
// a SimulatedNsm from a saved dev CA, writes one document and prints
// {"document", "bytes", "module_id", "pcrs"}.
void AddAttestationDevCommands(CLI::App& group, const CommandContext& ctx);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_ATTESTATION_COMMAND_H_
