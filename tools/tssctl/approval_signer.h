// The approver's side of node/approval (`tssctl approve`): an approver's
// private key from a PKCS#8 PEM file, signing a request's approval message
// (node/approval/request.h ApprovalMessage, the exact bytes the enclave's
// CheckApprovals verifies), and the strict parsers of approve's other
// inputs. No I/O here.
//
// Key files: one unencrypted PKCS#8 PEM block "-----BEGIN PRIVATE KEY-----"
//   (what `openssl genpkey -algorithm ed25519` and `openssl genpkey
//   -algorithm EC -pkeyopt ec_paramgen_curve:P-256` write; python
//   `cryptography` PrivateFormat.PKCS8), nothing but whitespace after it,
//   at most kMaxKeyFileBytes. Ed25519 or ECDSA on P-256 (prime256v1);
//   other algorithms and curves, encrypted PKCS#8 and the SEC1 "EC PRIVATE
//   KEY" form are refused (convert with `openssl pkcs8 -topk8 -nocrypt`).
//   The approver id and public key come from node/approval's ApproverKey,
//   so they are exactly what a policy holds.
//
// Signatures: Ed25519 pure over the approval message (64 bytes); P-256
//   ECDSA over SHA-256 of it, DER (OpenSSL, not normalized: the verifier
//   accepts both S). Every approval is verified with ApproverKey::Verify
//   before it is returned.
//
// Derivation paths (ParseDerivationPath): "m" or "" for the root key, else
//   "m/i/j/..." or "i/j/..." with decimal indices 0..2^32-1 (no sign, no
//   leading zeros), an index followed by ' or h meaning index + 2^31
//   (index < 2^31), at most kMaxDerivationDepth (32) levels.
#ifndef NITRO_TSS_TOOLS_TSSCTL_APPROVAL_SIGNER_H_
#define NITRO_TSS_TOOLS_TSSCTL_APPROVAL_SIGNER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "nitro_tss/approval/v1/approval.pb.h"
#include "node/approval/policy.h"
#include "node/approval/proto.h"
#include "node/approval/request.h"
#include "node/approval/verifier.h"

namespace nitro_tss::tssctl {

inline constexpr size_t kMaxKeyFileBytes = 16 * 1024;

class ApproverSigningKey {
 public:
  // Parses a PKCS#8 PEM private key (above). InvalidArgument naming the
  // problem; never quotes key bytes.
  static absl::StatusOr<ApproverSigningKey> FromPem(
      absl::Span<const uint8_t> pem);

  // The public key as node/approval sees it (algorithm, raw key, id).
  const approval::ApproverKey& public_key() const { return *public_key_; }
  approval::ApproverAlgorithm algorithm() const {
    return public_key_->algorithm();
  }

  // Signs `message` (format per algorithm, above).
  absl::StatusOr<std::vector<uint8_t>> Sign(
      absl::Span<const uint8_t> message) const;

  // The approval of `request`: Sign(ApprovalMessage(request)) with this
  // key's approver id, verified with ApproverKey::Verify.
  absl::StatusOr<approval::Approval> Approve(
      const approval::ApprovalRequest& request) const;

 private:
  struct Key;
  ApproverSigningKey(std::shared_ptr<const Key> key,
                     std::shared_ptr<const approval::ApproverKey> public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  std::shared_ptr<const Key> key_;
  std::shared_ptr<const approval::ApproverKey> public_key_;
};

// "m/44'/0/1" etc. (above). InvalidArgument naming the component.
absl::StatusOr<std::vector<uint32_t>> ParseDerivationPath(
    absl::string_view path);
// "m" or "m/1/0'" (indices >= 2^31 as (index - 2^31)'); parses back to
// `path`.
std::string FormatDerivationPath(absl::Span<const uint32_t> path);

// "sha256" / "keccak256"; InvalidArgument otherwise.
absl::StatusOr<approval::HashFunction> ParseHashFunction(
    absl::string_view name);
// "sign", "refresh", "reshare", "export"; InvalidArgument otherwise.
absl::StatusOr<approval::Operation> ParseOperation(absl::string_view name);

// How bundle files are written and read.
enum class BundleFormat { kBinary, kText, kJson };

// Largest bundle file read in text or JSON form.
inline constexpr size_t kMaxBundleTextBytes = 64 * 1024;

// The bundle as a file: binary = the deterministic protobuf encoding
// (approval.proto ApprovalBundle); text = protobuf text format; JSON = the
// proto3 JSON mapping (bytes as base64).
std::string FormatBundle(const approval::ApprovalBundle& bundle,
                         BundleFormat format);
// Strict reading of FormatBundle's output: binary via DecodeBundleMessage
// (canonical, no unknown fields, size limit); text and JSON via
// ParseProtoConfig (unknown fields refused, at most kMaxBundleTextBytes)
// then BundleFromProto. InvalidArgument.
absl::StatusOr<approval::ApprovalBundle> ParseBundle(absl::string_view bytes,
                                                     BundleFormat format);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_APPROVAL_SIGNER_H_
