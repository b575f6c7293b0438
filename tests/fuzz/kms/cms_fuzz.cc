// Fuzz target: the strict CMS (CiphertextForRecipient) parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node/kms/cms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<nitro_tss::kms::CmsEnvelopedData> cms =
      nitro_tss::kms::ParseCmsEnvelopedData(absl::MakeConstSpan(data, size));
  if (cms.ok()) {
    // Invariants promised by the parser.
    if (cms->subject_key_identifier.size() != 32 ||
        cms->encrypted_key.size() < 256 || cms->encrypted_key.size() > 512 ||
        cms->encrypted_content.empty() ||
        cms->encrypted_content.size() % 16 != 0 ||
        cms->encrypted_content.size() > nitro_tss::kms::kMaxCmsContent) {
      abort();
    }
  }
  return 0;
}
