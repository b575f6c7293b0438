// The enclave's ephemeral RSA-2048 key pair that KMS encrypts responses to
// (KMS `Recipient`, KeyEncryptionAlgorithm RSAES_OAEP_SHA_256). The public
// half goes into the attestation document's `public_key` as DER
// SubjectPublicKeyInfo; the private half never leaves the enclave.
#ifndef NITRO_TSS_NODE_KMS_RECIPIENT_KEY_H_
#define NITRO_TSS_NODE_KMS_RECIPIENT_KEY_H_

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/kms/secure_bytes.h"

namespace nitro_tss::kms {

class RecipientKey {
 public:
  static constexpr int kModulusBits = 2048;

  // Generates a fresh RSA-2048 key (public exponent 65537) with OpenSSL's
  // default DRBG. Internal on OpenSSL failure.
  static absl::StatusOr<RecipientKey> Generate();

  // Wraps an existing RSA private key (takes one reference). For tests that
  // need a key created elsewhere. InvalidArgument if it is not RSA >= 2048.
  static absl::StatusOr<RecipientKey> FromPkey(EVP_PKEY* pkey);

  // DER SubjectPublicKeyInfo of the public key (294 bytes for RSA-2048).
  absl::StatusOr<std::vector<uint8_t>> PublicKeyDer() const;

  // RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) decryption of
  // `ciphertext`. DataLoss with a fixed message on any failure (no detail
  // that could serve as a padding oracle).
  absl::StatusOr<SecureBytes> DecryptOaepSha256(
      absl::Span<const uint8_t> ciphertext) const;

  // The underlying key (owned by this object).
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  struct PkeyDeleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  };
  explicit RecipientKey(EVP_PKEY* pkey) : pkey_(pkey) {}
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey_;
};

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_RECIPIENT_KEY_H_
