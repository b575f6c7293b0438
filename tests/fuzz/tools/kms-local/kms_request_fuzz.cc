// Fuzzes the KMS JSON request parser of tss-kms-local. The first byte picks
// the operation, the rest is the JSON body. Every input must be accepted or
// rejected with an AWS error type, never crash; accepted requests must
// respect the documented limits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/kms-local/errors.h"
#include "tools/kms-local/kms_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::kms_local::KmsOperation;
  if (size == 0) return 0;
  const auto op = static_cast<KmsOperation>(
      data[0] % (static_cast<int>(KmsOperation::kPutKeyPolicy) + 1));
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto r = nitro_tss::kms_local::ParseKmsRequest(op, body);
  if (!r.ok()) {
    const std::string type = nitro_tss::kms_local::AwsErrorType(r.status());
    if (type != "SerializationException" && type != "ValidationException") {
      std::abort();
    }
    return 0;
  }
  if (r->plaintext && (r->plaintext->empty() || r->plaintext->size() > 4096)) {
    std::abort();
  }
  if (r->number_of_bytes &&
      (*r->number_of_bytes < 1 || *r->number_of_bytes > 1024)) {
    std::abort();
  }
  if (r->recipient &&
      r->recipient->key_encryption_algorithm != "RSAES_OAEP_SHA_256") {
    std::abort();
  }
  // Base64 round trip of decoded blobs.
  if (r->ciphertext_blob) {
    auto again = nitro_tss::kms_local::Base64Decode(
        nitro_tss::kms_local::Base64Encode(*r->ciphertext_blob));
    if (!again.ok() || *again != *r->ciphertext_blob) std::abort();
  }
  return 0;
}
