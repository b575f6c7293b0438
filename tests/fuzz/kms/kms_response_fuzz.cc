// Fuzz target: KMS JSON answers (success parsers of every operation, the
// strict error-answer parser and the error mapper). The first byte selects
// the operation and whether the request carried a Recipient; the rest is the
// response body. Aborts if an accepted error answer yields a type or message
// outside their documented shape, or if the mapped status's AWS error type
// payload differs from what the parser accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/json.h"
#include "node/kms/kms_client.h"

using namespace nitro_tss;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  absl::StatusOr<kms::KmsErrorBody> error = kms::ParseKmsErrorBody(body);
  if (error.ok()) {
    if (!kms::kAwsErrorTypePayload.IsValid(error->type) ||
        error->type.size() > 128 ||
        error->message.size() > kms::kMaxKmsErrorMessageBytes) {
      abort();
    }
    for (char c : error->message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) abort();
    }
  }
  const absl::Status mapped = kms::MapKmsError(400 + (selector % 200), body);
  if (mapped.ok()) abort();
  const std::optional<std::string> type = kms::AwsErrorTypeOf(mapped);
  if (error.ok() != type.has_value()) abort();
  if (error.ok() && *type != error->type) abort();
  json::ParseLimits limits;
  limits.max_input_bytes = kms::kMaxKmsResponseBytes;
  limits.max_depth = 8;
  absl::StatusOr<json::Value> doc = json::Parse(body, limits);
  if (!doc.ok() || !doc->is_object()) return 0;
  const bool recipient = (selector & 0x80) != 0;
  std::optional<kms::Recipient> rec;
  if (recipient) rec = kms::Recipient{{1}};
  switch (selector % 5) {
    case 0:
      (void)kms::ParseEncryptResponse(*doc, {"k", {1}, {}});
      break;
    case 1: {
      kms::DecryptRequest r;
      r.ciphertext_blob = {1};
      r.recipient = rec;
      absl::StatusOr<kms::DecryptResponse> out =
          kms::ParseDecryptResponse(*doc, r);
      if (out.ok() && recipient != out->plaintext.empty()) abort();
      break;
    }
    case 2: {
      kms::GenerateDataKeyRequest r;
      r.key_id = "k";
      r.recipient = rec;
      absl::StatusOr<kms::GenerateDataKeyResponse> out =
          kms::ParseGenerateDataKeyResponse(*doc, r);
      if (out.ok() && !recipient && out->plaintext.size() != 32) abort();
      break;
    }
    case 3: {
      kms::GenerateRandomRequest r;
      r.number_of_bytes = 16;
      r.recipient = rec;
      (void)kms::ParseGenerateRandomResponse(*doc, r);
      break;
    }
    default:
      (void)kms::ParseDescribeKeyResponse(*doc, {"k"});
      break;
  }
  return 0;
}
