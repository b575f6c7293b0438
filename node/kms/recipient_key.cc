#include "node/kms/recipient_key.h"

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace nitro_tss::kms {
namespace {

struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

}  // namespace

absl::StatusOr<RecipientKey> RecipientKey::Generate() {
  EVP_PKEY* pkey = EVP_RSA_gen(kModulusBits);
  if (pkey == nullptr) {
    return absl::InternalError("recipient key: RSA-2048 generation failed");
  }
  return RecipientKey(pkey);
}

absl::StatusOr<RecipientKey> RecipientKey::FromPkey(EVP_PKEY* pkey) {
  if (pkey == nullptr || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA ||
      EVP_PKEY_get_bits(pkey) < kModulusBits) {
    return absl::InvalidArgumentError(
        "recipient key: need an RSA key of at least 2048 bits");
  }
  if (EVP_PKEY_up_ref(pkey) != 1) {
    return absl::InternalError("recipient key: EVP_PKEY_up_ref failed");
  }
  return RecipientKey(pkey);
}

absl::StatusOr<std::vector<uint8_t>> RecipientKey::PublicKeyDer() const {
  int len = i2d_PUBKEY(pkey_.get(), nullptr);
  if (len <= 0) {
    return absl::InternalError("recipient key: i2d_PUBKEY failed");
  }
  std::vector<uint8_t> der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_PUBKEY(pkey_.get(), &p) != len) {
    return absl::InternalError("recipient key: i2d_PUBKEY failed");
  }
  return der;
}

absl::StatusOr<SecureBytes> RecipientKey::DecryptOaepSha256(
    absl::Span<const uint8_t> ciphertext) const {
  const absl::Status failure =
      absl::DataLossError("recipient key: RSA-OAEP decryption failed");
  const size_t modulus_bytes =
      static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()));
  if (ciphertext.size() != modulus_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("recipient key: encrypted key is ", ciphertext.size(),
                     " bytes, expected ", modulus_bytes));
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new(pkey_.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return absl::InternalError("recipient key: cannot set up RSA-OAEP");
  }
  SecureBytes out(modulus_bytes);
  size_t out_len = out.size();
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &out_len, ciphertext.data(),
                       ciphertext.size()) != 1) {
    return failure;
  }
  out.Truncate(out_len);
  return out;
}

}  // namespace nitro_tss::kms
