// `tssctl verify`: checks an ECDSA secp256k1 signature offline (no server),
// with the parsers and checks of secp256k1_verify.h.
//
//   tssctl verify (--public-key HEX | --public-key-file FILE | --address 0x..)
//       (--message TEXT | --message-hex HEX | --message-file FILE) --hash
//       sha256|keccak256  |  --digest HEX
//       (--signature HEX | --signature-file FILE) [--signature-format
//       auto|der|compact] [--recovery-id N] [--allow-high-s]
//
// Prints {"verdict": "valid"|"invalid", "error": {"code", "message"}|null,
// "public_key": {"compressed", "uncompressed"}|null, "ethereum_address",
// "hash_function", "digest", "signature": {...}|null, "recovered": {...}|null,
// "policy": {"high_s"}}. Exit codes: 0 the signature is valid; 1 it is not
// (error.code MALFORMED_SIGNATURE, BAD_SIGNATURE, HIGH_S, RECOVERY_FAILED,
// RECOVERY_MISMATCH, ADDRESS_MISMATCH); 2 usage errors (missing or
// conflicting flags, bad hex, a public key or digest of the wrong length or
// not on the curve, an unreadable or oversized file).
#ifndef NITRO_TSS_TOOLS_TSSCTL_VERIFY_COMMAND_H_
#define NITRO_TSS_TOOLS_TSSCTL_VERIFY_COMMAND_H_

#include <cstddef>

#include "tools/tssctl/cli.h"

namespace nitro_tss::tssctl {

// Largest --message-file hashed (the whole file is read).
inline constexpr size_t kMaxMessageFileBytes = 64u << 20;
// Largest --signature-file / --public-key-file read.
inline constexpr size_t kMaxSignatureFileBytes = 1024;
inline constexpr size_t kMaxPublicKeyFileBytes = 4096;

// Adds the `verify` command to `tssctl`.
void AddVerifyCommand(CLI::App& tssctl, const CommandContext& ctx);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_VERIFY_COMMAND_H_
