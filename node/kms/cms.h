// Strict parser and opener for the CMS EnvelopedData that KMS returns as
// `CiphertextForRecipient` when a request carries a Recipient.
//
// Accepted shape (BER, definite or indefinite lengths; anything else is
// rejected with InvalidArgument naming the offending field):
//
//   ContentInfo ::= SEQUENCE {
//     contentType  OID id-envelopedData (1.2.840.113549.1.7.3),
//     content [0] EXPLICIT EnvelopedData }
//   EnvelopedData ::= SEQUENCE {
//     version INTEGER (2),                -- no originatorInfo
//     recipientInfos SET SIZE (1) OF KeyTransRecipientInfo,
//     encryptedContentInfo }              -- no unprotectedAttrs
//   KeyTransRecipientInfo ::= SEQUENCE {
//     version INTEGER (2),
//     rid [0] IMPLICIT SubjectKeyIdentifier (32 bytes),
//     keyEncryptionAlgorithm { rsaesOaep, { [0] sha256, [1] mgf1(sha256) } },
//     encryptedKey OCTET STRING (256..512 bytes) }
//   EncryptedContentInfo ::= SEQUENCE {
//     contentType OID id-data,
//     contentEncryptionAlgorithm { aes256-CBC, OCTET STRING iv (16 bytes) },
//     encryptedContent [0] IMPLICIT OCTET STRING (primitive or segmented),
//                      a non-empty multiple of 16 bytes, <= kMaxCmsContent }
//
// Hash algorithm parameters may be absent or NULL (RFC 4055).
#ifndef NITRO_TSS_NODE_KMS_CMS_H_
#define NITRO_TSS_NODE_KMS_CMS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/kms/recipient_key.h"
#include "node/kms/secure_bytes.h"

namespace nitro_tss::kms {

// Upper bounds on what we accept from KMS.
inline constexpr size_t kMaxCmsBytes = 16 * 1024;
inline constexpr size_t kMaxCmsContent = 8 * 1024;
inline constexpr size_t kCmsSubjectKeyIdSize = 32;
inline constexpr size_t kCmsIvSize = 16;

// The fields of a parsed CiphertextForRecipient.
struct CmsEnvelopedData {
  std::vector<uint8_t> subject_key_identifier;  // 32 bytes
  std::vector<uint8_t> encrypted_key;           // RSA-OAEP ciphertext
  std::array<uint8_t, kCmsIvSize> iv{};
  std::vector<uint8_t> encrypted_content;  // AES-256-CBC ciphertext
};

// Parses `ber` strictly (see the file comment). The whole input must be one
// ContentInfo (no trailing bytes). InvalidArgument with context on any
// deviation; the input size is capped at kMaxCmsBytes.
absl::StatusOr<CmsEnvelopedData> ParseCmsEnvelopedData(
    absl::Span<const uint8_t> ber);

// Opens a parsed EnvelopedData with the recipient's private key: RSA-OAEP
// (SHA-256) unwraps a 32-byte content-encryption key, AES-256-CBC decrypts
// and PKCS#7 padding is removed. Every cryptographic failure (wrong key, bad
// padding, wrong CEK size) yields the same DataLoss error so no padding
// oracle is exposed. The CEK is zeroized.
absl::StatusOr<SecureBytes> OpenCmsEnvelopedData(const CmsEnvelopedData& cms,
                                                 const RecipientKey& key);

// ParseCmsEnvelopedData followed by OpenCmsEnvelopedData.
absl::StatusOr<SecureBytes> OpenCiphertextForRecipient(
    absl::Span<const uint8_t> ber, const RecipientKey& key);

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_CMS_H_
