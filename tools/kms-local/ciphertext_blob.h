// Self-describing ciphertext blobs of tss-kms-local (what Encrypt and
// GenerateDataKey return as CiphertextBlob), so Decrypt works without KeyId
// as with AWS KMS.
//
// Layout: u8 version (1) | u8 L | L bytes key id (ASCII) | 12-byte IV |
//         ciphertext | 16-byte GCM tag.
// AES-256-GCM under the key's material; the associated data is the header
// (version, L, key id) followed by the canonical encryption context: entries
// sorted by key, each as u32be len(key) | key | u32be len(value) | value.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_CIPHERTEXT_BLOB_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_CIPHERTEXT_BLOB_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/kms-local/keystore.h"

namespace nitro_tss::kms_local {

inline constexpr uint8_t kBlobVersion = 1;
inline constexpr size_t kMaxPlaintextBytes = 4096;  // AWS limit
inline constexpr size_t kMaxCiphertextBlobBytes = 6144;

using EncryptionContext = std::map<std::string, std::string>;

// The key id a blob names. InvalidCiphertextException when the blob is
// malformed (bad version, truncated, key id not printable ASCII).
absl::StatusOr<std::string> BlobKeyId(absl::string_view blob);

// Encrypts `plaintext` (1..kMaxPlaintextBytes) under `key`.
absl::StatusOr<std::string> SealBlob(const KeyRecord& key,
                                     absl::string_view plaintext,
                                     const EncryptionContext& context);

// Decrypts a blob made by SealBlob with the same key and context.
// InvalidCiphertextException on any mismatch (tampering, wrong context,
// other key).
absl::StatusOr<SecretBytes> OpenBlob(const KeyRecord& key,
                                     absl::string_view blob,
                                     const EncryptionContext& context);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_CIPHERTEXT_BLOB_H_
