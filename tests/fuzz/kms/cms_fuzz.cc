// Fuzz target: the CMS (CiphertextForRecipient) parser and opener, i.e.
// OpenSSL's CMS decoder plus our checks on its result (node/kms/cms.cc).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node/kms/cms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nitro_tss::kms::RecipientKey* key =
      new nitro_tss::kms::RecipientKey(
          *nitro_tss::kms::RecipientKey::Generate());
  const absl::Span<const uint8_t> input = absl::MakeConstSpan(data, size);
  absl::StatusOr<nitro_tss::kms::CmsEnvelopedData> cms =
      nitro_tss::kms::ParseCmsEnvelopedData(input);
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
  // The opener parses the same way, then decrypts inside OpenSSL: a parse
  // failure must be the same InvalidArgument, anything else DataLoss (a
  // stranger's key) or the encrypted-key size complaint.
  absl::StatusOr<nitro_tss::kms::SecureBytes> opened =
      nitro_tss::kms::OpenCiphertextForRecipient(input, *key);
  if (!cms.ok()) {
    if (opened.ok() || opened.status() != cms.status()) abort();
  } else if (opened.ok()) {
    if (opened->size() >= cms->encrypted_content.size()) abort();
  } else if (opened.status().code() != absl::StatusCode::kDataLoss &&
             opened.status().code() != absl::StatusCode::kInvalidArgument) {
    abort();
  }
  return 0;
}
