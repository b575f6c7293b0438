// Small OpenSSL helpers shared by the verifier and the development CA.
#ifndef NITRO_TSS_NODE_ATTESTATION_X509_UTIL_H_
#define NITRO_TSS_NODE_ATTESTATION_X509_UTIL_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace nitro_tss::attestation {

struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// Parses one DER certificate; fails unless `der` is exactly one certificate
// (no trailing bytes) and OpenSSL re-encodes it to the same bytes.
absl::StatusOr<X509Ptr> ParseDerCertificate(absl::Span<const uint8_t> der);

// DER encoding of `cert`.
std::vector<uint8_t> CertificateToDer(X509* cert);

// The DER of the first certificate in PEM text `pem` (at most 64 KiB).
// InvalidArgument if there is none.
absl::StatusOr<std::vector<uint8_t>> CertificatePemToDer(absl::string_view pem);

// True iff `key` is an EC key on P-384 (secp384r1).
bool IsP384Key(EVP_PKEY* key);

// Converts an ASN.1 UTCTime/GeneralizedTime to milliseconds since the epoch.
absl::StatusOr<int64_t> Asn1TimeToUnixMs(const ASN1_TIME* time);

// Formats epoch milliseconds as ISO 8601 UTC, e.g. "2024-09-07T17:37:39Z"
// (".545Z" suffix style when the milliseconds are non-zero).
std::string FormatUnixMs(int64_t ms);

// Converts a 96-byte P-384 r || s signature to DER ECDSA-Sig-Value. Returns
// false if the input has the wrong size or r/s are zero.
bool RawEcdsaSignatureToDer(absl::Span<const uint8_t> raw,
                            std::vector<uint8_t>* der);

// Converts a DER ECDSA-Sig-Value to 96-byte r || s (each left-padded to 48
// bytes). Returns false on malformed input or oversized values.
bool DerEcdsaSignatureToRaw(absl::Span<const uint8_t> der,
                            std::vector<uint8_t>* raw);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_X509_UTIL_H_
