#include "tools/kms-local/ciphertext_blob.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "tools/kms-local/errors.h"

namespace nitro_tss::kms_local {
namespace {

constexpr size_t kIvBytes = 12;
constexpr size_t kTagBytes = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

void AppendU32(uint32_t v, std::string* out) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}

std::string Aad(absl::string_view header, const EncryptionContext& context) {
  std::string aad(header);
  for (const auto& [k, v] : context) {  // std::map: sorted by key
    AppendU32(static_cast<uint32_t>(k.size()), &aad);
    aad.append(k);
    AppendU32(static_cast<uint32_t>(v.size()), &aad);
    aad.append(v);
  }
  return aad;
}

// Splits a blob; returns the header length.
absl::StatusOr<size_t> HeaderLength(absl::string_view blob) {
  if (blob.size() > kMaxCiphertextBlobBytes) {
    return InvalidCiphertext("ciphertext blob is too large");
  }
  if (blob.size() < 2 || static_cast<uint8_t>(blob[0]) != kBlobVersion) {
    return InvalidCiphertext("unknown ciphertext blob format");
  }
  const size_t id_len = static_cast<uint8_t>(blob[1]);
  if (id_len == 0 || blob.size() < 2 + id_len + kIvBytes + kTagBytes + 1) {
    return InvalidCiphertext("truncated ciphertext blob");
  }
  for (char c : blob.substr(2, id_len)) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidCiphertext("malformed key id in ciphertext blob");
    }
  }
  return 2 + id_len;
}

}  // namespace

absl::StatusOr<std::string> BlobKeyId(absl::string_view blob) {
  auto h = HeaderLength(blob);
  if (!h.ok()) return h.status();
  return std::string(blob.substr(2, *h - 2));
}

absl::StatusOr<std::string> SealBlob(const KeyRecord& key,
                                     absl::string_view plaintext,
                                     const EncryptionContext& context) {
  if (plaintext.empty() || plaintext.size() > kMaxPlaintextBytes) {
    return Validation("Plaintext must be 1..4096 bytes");
  }
  if (key.key_id.empty() || key.key_id.size() > 255 ||
      key.material.size() != kKeyMaterialBytes) {
    return absl::InternalError("invalid key record");
  }
  std::string blob;
  blob.push_back(static_cast<char>(kBlobVersion));
  blob.push_back(static_cast<char>(key.key_id.size()));
  blob.append(key.key_id);
  const std::string aad = Aad(blob, context);
  uint8_t iv[kIvBytes];
  randombytes_buf(iv, sizeof(iv));
  blob.append(reinterpret_cast<const char*>(iv), sizeof(iv));
  const size_t ct_off = blob.size();
  blob.resize(ct_off + plaintext.size() + kTagBytes);
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  uint8_t* ct = reinterpret_cast<uint8_t*>(blob.data()) + ct_off;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         key.material.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const uint8_t*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          ct + plaintext.size()) != 1) {
    return absl::InternalError("AES-GCM encryption failed");
  }
  return blob;
}

absl::StatusOr<SecretBytes> OpenBlob(const KeyRecord& key,
                                     absl::string_view blob,
                                     const EncryptionContext& context) {
  auto h = HeaderLength(blob);
  if (!h.ok()) return h.status();
  if (blob.substr(2, *h - 2) != key.key_id) {
    return InvalidCiphertext("ciphertext blob names another key");
  }
  const std::string aad = Aad(blob.substr(0, *h), context);
  const uint8_t* iv = reinterpret_cast<const uint8_t*>(blob.data()) + *h;
  const uint8_t* ct = iv + kIvBytes;
  const size_t ct_len = blob.size() - *h - kIvBytes - kTagBytes;
  std::string tag(blob.substr(blob.size() - kTagBytes));
  SecretBytes out(ct_len);
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         key.material.data(), iv) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct,
                        static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) != 1) {
    return InvalidCiphertext(
        "ciphertext blob does not authenticate (tampered, or wrong "
        "encryption context)");
  }
  return out;
}

}  // namespace nitro_tss::kms_local
