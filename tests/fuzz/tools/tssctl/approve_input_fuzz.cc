// Fuzzes the parsers of `tssctl approve`'s inputs (tools/tssctl/
// approval_signer.h) on the same bytes: the approver key file (PKCS#8 PEM),
// the derivation path, and bundle files in all three formats. Invariants: a
// parsed key signs approvals that its public key verifies; a parsed path
// formats and parses back to itself; a parsed bundle re-encodes (binary)
// to the input, and every bundle parses back from its own encodings.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/tssctl/approval_signer.h"

namespace {

using namespace nitro_tss::tssctl;  // NOLINT

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> bytes(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto key = ApproverSigningKey::FromPem(bytes);
  if (key.ok()) {
    nitro_tss::approval::ApprovalRequest request;
    request.operation = nitro_tss::approval::Operation::kSign;
    request.hash_function = nitro_tss::approval::HashFunction::kSha256;
    request.expiry_unix_ms = 1;
    request.nonce.assign(16, 0);
    auto approval = key->Approve(request);
    Check(approval.ok() && approval->approver_id == key->public_key().id());
  }

  auto path = ParseDerivationPath(text);
  if (path.ok()) {
    Check(path->size() <= nitro_tss::approval::kMaxDerivationDepth);
    auto again = ParseDerivationPath(FormatDerivationPath(*path));
    Check(again.ok() && *again == *path);
  }

  for (BundleFormat f :
       {BundleFormat::kBinary, BundleFormat::kText, BundleFormat::kJson}) {
    auto bundle = ParseBundle(text, f);
    if (!bundle.ok()) continue;
    if (f == BundleFormat::kBinary) Check(FormatBundle(*bundle, f) == text);
    for (BundleFormat g :
         {BundleFormat::kBinary, BundleFormat::kText, BundleFormat::kJson}) {
      auto again = ParseBundle(FormatBundle(*bundle, g), g);
      Check(again.ok() && again->expiry_unix_ms == bundle->expiry_unix_ms &&
            again->nonce == bundle->nonce &&
            again->approvals == bundle->approvals);
    }
  }
  return 0;
}
