// Fuzzes the strict COSE_Sign1 / Nitro attestation document parser and the
// verifier front end. Invariants: parsing never crashes; a parsed document
// re-encodes (EncodeCoseSign1) to exactly the input when untagged, and the
// re-encoded payload parses to the same fields.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "node/attestation/aws_root.h"
#include "node/attestation/document.h"
#include "node/attestation/verifier.h"

using nitro_tss::attestation::AttestationPolicy;
using nitro_tss::attestation::AwsNitroRootG1Der;
using nitro_tss::attestation::EncodeCoseSign1;
using nitro_tss::attestation::ParseAttestationDocument;
using nitro_tss::attestation::ParseAttestationPayload;
using nitro_tss::attestation::VerifyAttestationDocument;
using nitro_tss::attestation::VerifyOptions;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  auto doc = ParseAttestationDocument(input);
  if (!doc.ok()) return 0;
  const std::vector<uint8_t> envelope = EncodeCoseSign1(doc->cose);
  const size_t offset = doc->cose.tagged ? 1 : 0;
  if (envelope.size() != size ||
      !std::equal(envelope.begin() + offset, envelope.end(), data + offset)) {
    std::abort();  // strict parsing must accept one encoding only
  }
  auto again = ParseAttestationPayload(doc->cose.payload);
  if (!again.ok() || again->module_id != doc->module_id ||
      again->pcrs != doc->pcrs || again->cabundle != doc->cabundle ||
      again->nonce != doc->nonce) {
    std::abort();
  }
  static const std::vector<uint8_t> root = AwsNitroRootG1Der();
  (void)VerifyAttestationDocument(
      input, VerifyOptions{root, static_cast<int64_t>(doc->timestamp_ms)},
      AttestationPolicy{});
  return 0;
}
