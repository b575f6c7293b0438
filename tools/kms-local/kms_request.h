// The AWS KMS JSON 1.1 request bodies understood by tss-kms-local: operation
// names (X-Amz-Target "TrentService.<Op>") and a strict parser that turns a
// body into a typed KmsRequest.
//
// Strictness: the body must be one JSON object (at most kMaxRequestBodyBytes,
// depth 4); only the members the operation defines are accepted, each with its
// JSON type (string, base64 blob, integer, boolean, string map, Recipient
// structure); blobs are canonical padded base64. Violations give
// SerializationException (malformed JSON / wrong type / unknown member) or
// ValidationException (value constraints such as sizes and enums).
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_KMS_REQUEST_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_KMS_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/kms-local/ciphertext_blob.h"

namespace nitro_tss::kms_local {

inline constexpr size_t kMaxRequestBodyBytes = 1 << 20;
inline constexpr size_t kMaxEncryptionContextBytes = 8192;
inline constexpr size_t kMaxAttestationDocumentBytes = 32 * 1024;

enum class KmsOperation {
  kCreateKey,
  kDescribeKey,
  kEncrypt,
  kDecrypt,
  kGenerateDataKey,
  kGenerateRandom,
  kCreateAlias,
  kListAliases,
  kListKeys,
  kGetKeyPolicy,
  kPutKeyPolicy,
};

// "TrentService.Decrypt" -> kDecrypt. UnknownOperationException otherwise.
absl::StatusOr<KmsOperation> ParseTarget(absl::string_view x_amz_target);
// "Decrypt" etc.
const char* OperationName(KmsOperation op);

struct RecipientParams {
  std::string attestation_document;      // decoded bytes
  std::string key_encryption_algorithm;  // always RSAES_OAEP_SHA_256
};

struct KmsRequest {
  KmsOperation op = KmsOperation::kListKeys;
  std::optional<std::string> key_id;
  std::optional<std::string> description;
  std::optional<std::string> policy;
  std::optional<std::string> policy_name;
  std::optional<std::string> alias_name;
  std::optional<std::string> target_key_id;
  std::optional<std::string> plaintext;        // decoded; wiped on destruction
  std::optional<std::string> ciphertext_blob;  // decoded
  EncryptionContext encryption_context;
  std::optional<int64_t> number_of_bytes;
  std::optional<int64_t> limit;
  std::optional<std::string> key_spec;
  std::optional<std::string> key_usage;
  std::optional<std::string> encryption_algorithm;
  std::optional<std::string> marker;
  std::optional<std::string> origin;
  std::optional<RecipientParams> recipient;
  bool bypass_policy_lockout_safety_check = false;

  KmsRequest() = default;
  KmsRequest(KmsRequest&&) = default;
  KmsRequest& operator=(KmsRequest&&) = default;
  KmsRequest(const KmsRequest&) = delete;
  KmsRequest& operator=(const KmsRequest&) = delete;
  ~KmsRequest();
};

// Parses the JSON body of `op`. See the file comment for the rules.
absl::StatusOr<KmsRequest> ParseKmsRequest(KmsOperation op,
                                           absl::string_view body);

// Strict RFC 4648 base64 (standard alphabet, padding required, no
// whitespace). InvalidArgument otherwise.
absl::StatusOr<std::string> Base64Decode(absl::string_view text);
std::string Base64Encode(absl::string_view bytes);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_KMS_REQUEST_H_
