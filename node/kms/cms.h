// Parser and opener of the CMS EnvelopedData that KMS returns as
// `CiphertextForRecipient` when a request carries a Recipient, on OpenSSL 3's
// CMS API (d2i_CMS_ContentInfo, CMS_RecipientInfo_decrypt, CMS_decrypt).
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
// Hash algorithm parameters may be absent or NULL (RFC 4055). KMS uses only
// AES-256-CBC content encryption (AWS docs, aws-nitro-enclaves-sdk-c), so
// nothing else is accepted (no AES-GCM AuthEnvelopedData either).
//
// Who checks what:
// - OpenSSL: BER decoding of the whole structure (d2i_CMS_ContentInfo, which
//   also bounds nesting), RSAES-OAEP decryption with the parameters of the
//   keyEncryptionAlgorithm, AES-256-CBC decryption, PKCS#7 padding, CEK length
//   (CMS_DEBUG_DECRYPT makes a wrong-sized CEK an error, not a random key).
// - We, through OpenSSL accessors on the parsed structure: content type
//   (CMS_get0_type, CMS_get0_eContentType), exactly one RecipientInfo and it
//   is a KeyTransRecipientInfo with a 32-byte subjectKeyIdentifier
//   (CMS_get0_RecipientInfos, CMS_RecipientInfo_type,
//   CMS_RecipientInfo_ktri_get0_signer_id), RSAES-OAEP with SHA-256, MGF1
//   SHA-256 and no pSourceAlgorithm (CMS_RecipientInfo_ktri_get0_algs,
//   X509_ALGOR_get0, d2i_RSA_OAEP_PARAMS), encryptedContent size
//   (CMS_get0_content).
// - By hand, because OpenSSL 3.0 neither enforces nor exposes them: the
//   input size cap (before parsing); on OpenSSL's DER re-encoding of what it
//   decoded (i2d_CMS_ContentInfo, headers read with ASN1_get_object): both
//   version numbers, no originatorInfo, no unprotectedAttrs, the
//   encryptedKey size, the contentEncryptionAlgorithm (aes256-CBC with a
//   16-byte IV and nothing else); and the input walked against that
//   re-encoding, because OpenSSL's BER decoder accepts non-minimal lengths,
//   a SET flagged primitive and segments of a constructed OCTET STRING with
//   any tag (cms_test shows each): the input must be that DER with only
//   BER's freedoms (indefinite lengths, one level of primitive OCTET STRING
//   segments), low tag numbers, minimal definite lengths and nesting <=
//   kMaxCmsDepth. Trailing bytes: d2i_CMS_ContentInfo must consume it all.
//
// The shared KMS vector (testdata/nitro/kms_ciphertext_for_recipient.ber) is
// parsed by this code, but cannot be decrypted: its RSA private key was never
// published. cms_test proves decryption of KMS's exact encoding by replacing
// only the encryptedKey and encryptedContent bytes of that vector with values
// made for a key the test holds.
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
inline constexpr int kMaxCmsDepth = 16;

// The fields of a parsed CiphertextForRecipient (a copy, for inspection).
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

// Parses `ber` as ParseCmsEnvelopedData does and opens it with the
// recipient's private key: RSA-OAEP (SHA-256) unwraps a 32-byte
// content-encryption key, AES-256-CBC decrypts and PKCS#7 padding is removed,
// all inside OpenSSL's CMS code. Every cryptographic failure (wrong key, bad
// padding, wrong CEK size) yields the same DataLoss error so no padding
// oracle is exposed; an encryptedKey whose size is not the key's modulus
// size is InvalidArgument. The plaintext is written to a secure-heap memory
// BIO (cleared when freed); OpenSSL clears the CEK.
absl::StatusOr<SecureBytes> OpenCiphertextForRecipient(
    absl::Span<const uint8_t> ber, const RecipientKey& key);

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_CMS_H_
