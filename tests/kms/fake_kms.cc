#include "tests/kms/fake_kms.h"

#include <openssl/x509.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "tests/kms/cms_test_util.h"

namespace nitro_tss::kms::testing {
namespace {

std::string Aad(const std::string& key_id, const EncryptionContext& ctx) {
  std::string aad = key_id;
  for (const auto& [k, v] : ctx) absl::StrAppend(&aad, "\n", k, "=", v);
  return aad;
}

absl::StatusOr<std::vector<uint8_t>> ForRecipient(const Recipient& r,
                                                  const SecureBytes& plain) {
  const unsigned char* p = r.attestation_document.data();
  EVP_PKEY* pkey =
      d2i_PUBKEY(nullptr, &p, static_cast<long>(r.attestation_document.size()));
  if (pkey == nullptr) {
    return absl::InvalidArgumentError("fake kms: bad recipient public key");
  }
  std::vector<uint8_t> cms =
      BuildCms(pkey, std::string(plain.data(), plain.data() + plain.size()));
  EVP_PKEY_free(pkey);
  return cms;
}

}  // namespace

FakeKms::FakeKms(std::string key_id) : key_id_(std::move(key_id)) {
  if (sodium_init() < 0) abort();
  randombytes_buf(master_, sizeof(master_));
}

absl::StatusOr<EncryptResponse> FakeKms::Encrypt(const EncryptRequest& r) {
  if (r.key_id != key_id_) return absl::NotFoundError("fake kms: no such key");
  EncryptResponse out;
  out.key_id = key_id_;
  std::string aad = Aad(key_id_, r.encryption_context);
  out.ciphertext_blob.resize(24 + r.plaintext.size() + 16);
  randombytes_buf(out.ciphertext_blob.data(), 24);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.ciphertext_blob.data() + 24, &len, r.plaintext.data(),
      r.plaintext.size(), reinterpret_cast<const unsigned char*>(aad.data()),
      aad.size(), nullptr, out.ciphertext_blob.data(), master_);
  return out;
}

absl::StatusOr<DecryptResponse> FakeKms::Decrypt(const DecryptRequest& r) {
  ++decrypt_calls;
  if (!r.key_id.empty() && r.key_id != key_id_) {
    return absl::NotFoundError("fake kms: no such key");
  }
  const std::vector<uint8_t>& blob = r.ciphertext_blob;
  if (blob.size() < 24 + 16) {
    return absl::InvalidArgumentError("InvalidCiphertextException: short");
  }
  std::string aad = Aad(key_id_, r.encryption_context);
  SecureBytes plain(blob.size() - 40);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &len, nullptr, blob.data() + 24, blob.size() - 24,
          reinterpret_cast<const unsigned char*>(aad.data()), aad.size(),
          blob.data(), master_) != 0) {
    return absl::InvalidArgumentError("InvalidCiphertextException");
  }
  DecryptResponse out;
  out.key_id = key_id_;
  if (r.recipient && !ignore_recipient_on_decrypt) {
    absl::StatusOr<std::vector<uint8_t>> cms =
        ForRecipient(*r.recipient, plain);
    if (!cms.ok()) return cms.status();
    out.ciphertext_for_recipient = *cms;
    if (leak_plaintext_with_recipient) out.plaintext = std::move(plain);
  } else {
    out.plaintext = std::move(plain);
  }
  return out;
}

absl::StatusOr<GenerateDataKeyResponse> FakeKms::GenerateDataKey(
    const GenerateDataKeyRequest& r) {
  SecureBytes key(32);
  randombytes_buf(key.data(), key.size());
  EncryptRequest er{r.key_id,
                    std::vector<uint8_t>(key.data(), key.data() + key.size()),
                    r.encryption_context};
  absl::StatusOr<EncryptResponse> enc = Encrypt(er);
  sodium_memzero(er.plaintext.data(), er.plaintext.size());
  if (!enc.ok()) return enc.status();
  GenerateDataKeyResponse out;
  out.key_id = key_id_;
  out.ciphertext_blob = enc->ciphertext_blob;
  if (r.recipient && !ignore_recipient_on_generate) {
    absl::StatusOr<std::vector<uint8_t>> cms = ForRecipient(*r.recipient, key);
    if (!cms.ok()) return cms.status();
    out.ciphertext_for_recipient = *cms;
    if (leak_plaintext_with_recipient) out.plaintext = std::move(key);
  } else {
    out.plaintext = std::move(key);
  }
  return out;
}

absl::StatusOr<GenerateRandomResponse> FakeKms::GenerateRandom(
    const GenerateRandomRequest& r) {
  SecureBytes bytes(static_cast<size_t>(r.number_of_bytes));
  randombytes_buf(bytes.data(), bytes.size());
  GenerateRandomResponse out;
  if (r.recipient) {
    absl::StatusOr<std::vector<uint8_t>> cms =
        ForRecipient(*r.recipient, bytes);
    if (!cms.ok()) return cms.status();
    out.ciphertext_for_recipient = *cms;
  } else {
    out.plaintext = std::move(bytes);
  }
  return out;
}

absl::StatusOr<DescribeKeyResponse> FakeKms::DescribeKey(
    const DescribeKeyRequest& r) {
  if (r.key_id != key_id_) return absl::NotFoundError("fake kms: no such key");
  DescribeKeyResponse out;
  out.key_id = key_id_;
  out.arn = absl::StrCat("arn:aws:kms:local:000000000000:key/", key_id_);
  out.key_state = "Enabled";
  out.enabled = true;
  return out;
}

}  // namespace nitro_tss::kms::testing
