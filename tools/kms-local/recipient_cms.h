// Builds KMS's CiphertextForRecipient: a CMS EnvelopedData (RFC 5652) for a
// recipient RSA public key taken from an attestation document.
//
// Shape (as AWS KMS produces, cf. ../shared/testdata/nitro/
// kms_ciphertext_for_recipient.ber): BER with indefinite lengths;
// EnvelopedData v2; one KeyTransRecipientInfo v2 whose rid is a 32-byte
// SubjectKeyIdentifier = SHA-256 of the recipient's DER SubjectPublicKeyInfo;
// key encryption RSAES-OAEP with SHA-256 and MGF1-SHA-256; content
// encryption AES-256-CBC with a random key and 16-byte IV.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_RECIPIENT_CMS_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_RECIPIENT_CMS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::kms_local {

inline constexpr int kMinRecipientRsaBits = 2048;
inline constexpr int kMaxRecipientRsaBits = 4096;

// Encrypts `plaintext` (1..4096 bytes) to the RSA key in `recipient_spki_der`
// (DER SubjectPublicKeyInfo, 2048..4096-bit modulus). Errors:
// InvalidArgument if the key is not a DER RSA SubjectPublicKeyInfo of an
// accepted size or the plaintext size is out of range; Internal on OpenSSL
// failures.
absl::StatusOr<std::string> BuildCiphertextForRecipient(
    absl::Span<const uint8_t> recipient_spki_der,
    absl::Span<const uint8_t> plaintext);

// The 32-byte subject key identifier used for `recipient_spki_der`.
std::string RecipientKeyIdentifier(
    absl::Span<const uint8_t> recipient_spki_der);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_RECIPIENT_CMS_H_
