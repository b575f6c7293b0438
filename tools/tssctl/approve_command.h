// `tssctl approve`: an approver signs a request's canonical approval
// (node/approval/request.h) with a key file and writes the ApprovalBundle
// (protos/nitro_tss/approval/v1/approval.proto) that the enclave's
// CheckApprovals verifies: its own approval, appended to the approvals of
// an earlier approver's bundle with --bundle-in (whose expiry and nonce it
// then signs too, so every approval in a bundle covers the same request).
//
//   tssctl approve --key-file PEM --key-id HEX --digest HEX --hash
//       sha256|keccak256 [--operation sign|refresh|reshare|export]
//       [--derivation-path m/...] (--expiry-unix-ms MS | --expires-in S |
//       --bundle-in FILE) [--nonce HEX] --out FILE
//       [--format binary|text|json]
//
// Prints {"approver": {"id", "algorithm", "public_key"}, "request": {...},
// "approval_message", "signature", "bundle": {"path", "format",
// "approvals"}}. Exit codes: 0 written; 1 signing failed; 2 usage errors
// (flags, hex, lengths, an unusable key file, an expiry in the past, a
// malformed --bundle-in or one that already holds this approver).
#ifndef NITRO_TSS_TOOLS_TSSCTL_APPROVE_COMMAND_H_
#define NITRO_TSS_TOOLS_TSSCTL_APPROVE_COMMAND_H_

#include "tools/tssctl/cli.h"

namespace nitro_tss::tssctl {

// Adds the `approve` command to `tssctl`.
void AddApproveCommand(CLI::App& tssctl, const CommandContext& ctx);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_APPROVE_COMMAND_H_
