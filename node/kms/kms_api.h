// The KMS operations nitro-tss uses, as plain request/response structs, and
// an abstract interface so sealing code can run against the real HTTP client
// (KmsClient), the local KMS service, or a test double.
#ifndef NITRO_TSS_NODE_KMS_KMS_API_H_
#define NITRO_TSS_NODE_KMS_KMS_API_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status_payload.h"
#include "node/kms/secure_bytes.h"

namespace nitro_tss::kms {

// The AWS error type a KMS failure carries ("AccessDeniedException",
// "InvalidCiphertextException", "ThrottlingException", ...), without the
// "namespace#" prefix: KmsClient attaches the `__type` of KMS's error answer
// (kms_client.h), and tss-kms-local attaches the type it answers with
// (tools/kms-local/errors.h). Absent when KMS sent no (well-formed) type,
// e.g. on transport failures or a bare HTTP 503.
inline constexpr TokenStatusPayload kAwsErrorTypePayload(
    "type.nitro-tss/kms.AwsErrorType", 128);

// The AWS error type carried by `status` (see kAwsErrorTypePayload).
inline std::optional<std::string> AwsErrorTypeOf(const absl::Status& status) {
  return kAwsErrorTypePayload.Get(status);
}

// Whether a failed KMS call may succeed when the same request is sent again
// later: throttling (ResourceExhausted: ThrottlingException,
// LimitExceededException, HTTP 429) and KMS or transport unavailability
// (Unavailable: KMSInternalException, DependencyTimeoutException,
// KeyUnavailableException, other 5xx, connection failures). Every other
// failure (denied by policy or attestation, bad ciphertext, invalid request,
// bad credentials, malformed answer) fails the same way again: do not retry.
// KmsClient already retries the retryable ones up to its RetryPolicy; a
// caller seeing one afterwards may retry later, a caller seeing any other
// must fail.
inline bool IsRetryableKmsError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted ||
         status.code() == absl::StatusCode::kUnavailable;
}

// KMS `Recipient`: the enclave's attestation document (whose public_key is
// the RSA recipient key). KeyEncryptionAlgorithm is always
// RSAES_OAEP_SHA_256.
struct Recipient {
  std::vector<uint8_t> attestation_document;
};

// KMS EncryptionContext (string -> string, part of the AEAD binding in KMS).
using EncryptionContext = std::map<std::string, std::string>;

struct EncryptRequest {
  std::string key_id;
  std::vector<uint8_t> plaintext;  // 1..4096 bytes
  EncryptionContext encryption_context;
};
struct EncryptResponse {
  std::string key_id;  // ARN of the key used
  std::vector<uint8_t> ciphertext_blob;
};

struct DecryptRequest {
  std::vector<uint8_t> ciphertext_blob;
  std::string key_id;  // optional
  EncryptionContext encryption_context;
  std::optional<Recipient> recipient;
};
struct DecryptResponse {
  std::string key_id;
  // Set when the request had no Recipient.
  SecureBytes plaintext;
  // Set (BER CMS EnvelopedData) when the request had a Recipient.
  std::vector<uint8_t> ciphertext_for_recipient;
};

struct GenerateDataKeyRequest {
  std::string key_id;
  // Exactly one of key_spec ("AES_256"/"AES_128") or number_of_bytes.
  std::string key_spec = "AES_256";
  int number_of_bytes = 0;
  EncryptionContext encryption_context;
  std::optional<Recipient> recipient;
};
struct GenerateDataKeyResponse {
  std::string key_id;
  std::vector<uint8_t> ciphertext_blob;
  SecureBytes plaintext;                          // empty with a Recipient
  std::vector<uint8_t> ciphertext_for_recipient;  // set with a Recipient
};

struct GenerateRandomRequest {
  int number_of_bytes = 32;  // 1..1024
  std::optional<Recipient> recipient;
};
struct GenerateRandomResponse {
  SecureBytes plaintext;                          // empty with a Recipient
  std::vector<uint8_t> ciphertext_for_recipient;  // set with a Recipient
};

struct DescribeKeyRequest {
  std::string key_id;
};
struct DescribeKeyResponse {
  std::string key_id;
  std::string arn;
  std::string key_state;  // "Enabled", "Disabled", ...
  std::string key_usage;  // "ENCRYPT_DECRYPT", ...
  std::string key_spec;   // "SYMMETRIC_DEFAULT", ...
  bool enabled = false;
};

// Abstract KMS. Errors follow KmsClient's mapping (see kms_client.h) and
// carry kAwsErrorTypePayload when KMS named an error type.
class KmsInterface {
 public:
  virtual ~KmsInterface() = default;
  virtual absl::StatusOr<EncryptResponse> Encrypt(const EncryptRequest& r) = 0;
  virtual absl::StatusOr<DecryptResponse> Decrypt(const DecryptRequest& r) = 0;
  virtual absl::StatusOr<GenerateDataKeyResponse> GenerateDataKey(
      const GenerateDataKeyRequest& r) = 0;
  virtual absl::StatusOr<GenerateRandomResponse> GenerateRandom(
      const GenerateRandomRequest& r) = 0;
  virtual absl::StatusOr<DescribeKeyResponse> DescribeKey(
      const DescribeKeyRequest& r) = 0;
};

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_KMS_API_H_
