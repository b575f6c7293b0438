// Strict reading of a key file's one PEM block (RFC 7468), shared by the
// approval policy (approvers' public keys), `tssctl approve` (an approver's
// PKCS#8 private key) and `tssctl verify` (a secp256k1 public key).
#ifndef NITRO_TSS_NODE_APPROVAL_PEM_H_
#define NITRO_TSS_NODE_APPROVAL_PEM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::approval {

struct PemBlock {
  std::string label;         // e.g. "PUBLIC KEY", "PRIVATE KEY"
  bool has_headers = false;  // RFC 1421 headers (Proc-Type, DEK-Info, ...)
  std::vector<uint8_t> der;  // the decoded body; secret for a private key
};

// The one PEM block of `pem`. InvalidArgument "malformed PEM" when no block
// parses (empty input, no BEGIN line, bad base64, mismatched END), "bytes
// after the PEM block" when anything but whitespace follows it (a second
// block included). The caller checks label and headers. OpenSSL's own copies
// of the body and of what follows the block are cleansed before return, so a
// private key's DER exists only in the returned block: the caller wipes it
// (OPENSSL_cleanse / sodium_memzero) when done. Callers bound the input size.
absl::StatusOr<PemBlock> ReadSinglePemBlock(absl::Span<const uint8_t> pem);

}  // namespace nitro_tss::approval

#endif  // NITRO_TSS_NODE_APPROVAL_PEM_H_
