// An in-process KMS test double with real cryptography: data keys are wrapped
// with XChaCha20-Poly1305 under a master key (AAD = key id + encryption
// context), and Recipient requests get a real CMS EnvelopedData built by
// OpenSSL for the RSA key in the "attestation document" (here simply the DER
// SubjectPublicKeyInfo; this double does not verify attestation).
#ifndef NITRO_TSS_TESTS_KMS_FAKE_KMS_H_
#define NITRO_TSS_TESTS_KMS_FAKE_KMS_H_

#include <string>

#include "node/kms/kms_api.h"

namespace nitro_tss::kms::testing {

class FakeKms : public KmsInterface {
 public:
  explicit FakeKms(std::string key_id);

  // Misbehaviours for negative tests.
  bool leak_plaintext_with_recipient = false;  // return Plaintext too
  // Answer Recipient requests of GenerateDataKey / Decrypt as if there were
  // no Recipient: Plaintext only, no CiphertextForRecipient (what a KMS or
  // proxy that ignores the Recipient, e.g. moto, does).
  bool ignore_recipient_on_generate = false;
  bool ignore_recipient_on_decrypt = false;
  int decrypt_calls = 0;

  absl::StatusOr<EncryptResponse> Encrypt(const EncryptRequest& r) override;
  absl::StatusOr<DecryptResponse> Decrypt(const DecryptRequest& r) override;
  absl::StatusOr<GenerateDataKeyResponse> GenerateDataKey(
      const GenerateDataKeyRequest& r) override;
  absl::StatusOr<GenerateRandomResponse> GenerateRandom(
      const GenerateRandomRequest& r) override;
  absl::StatusOr<DescribeKeyResponse> DescribeKey(
      const DescribeKeyRequest& r) override;

 private:
  std::string key_id_;
  unsigned char master_[32];
};

}  // namespace nitro_tss::kms::testing

#endif  // NITRO_TSS_TESTS_KMS_FAKE_KMS_H_
