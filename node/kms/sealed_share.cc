#include "node/kms/sealed_share.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/kms/cms.h"

namespace nitro_tss::kms {
namespace {

absl::Status Invalid(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("sealed share: ", msg));
}

class Cursor {
 public:
  explicit Cursor(absl::Span<const uint8_t> in) : in_(in) {}
  bool Take(size_t n, absl::Span<const uint8_t>* out) {
    if (in_.size() - pos_ < n) return false;
    *out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool TakeInt(T* out) {
    absl::Span<const uint8_t> b;
    if (!Take(sizeof(T), &b)) return false;
    T v = 0;
    for (uint8_t x : b) v = static_cast<T>((v << 8) | x);
    *out = v;
    return true;
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  absl::Span<const uint8_t> in_;
  size_t pos_ = 0;
};

template <typename T>
void PutInt(std::vector<uint8_t>* out, T v) {
  for (int i = sizeof(T) - 1; i >= 0; --i) {
    out->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

bool IsPrintableAscii(absl::Span<const uint8_t> s) {
  for (uint8_t c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

absl::Status CheckLimits(const SealedShare& s) {
  const ShareContext& c = s.context;
  if (c.kms_key_id.empty() || c.kms_key_id.size() > kMaxKeyIdBytes ||
      !IsPrintableAscii(absl::MakeConstSpan(
          reinterpret_cast<const uint8_t*>(c.kms_key_id.data()),
          c.kms_key_id.size()))) {
    return Invalid("key id must be 1..2048 printable ASCII characters");
  }
  if (c.group_public_key.empty() ||
      c.group_public_key.size() > kMaxGroupPublicKeyBytes) {
    return Invalid("group public key must be 1..65 bytes");
  }
  if (s.wrapped_data_key.empty() ||
      s.wrapped_data_key.size() > kMaxWrappedKeyBytes) {
    return Invalid("wrapped data key must be 1..6144 bytes");
  }
  if (s.ciphertext.size() < kSealedTagBytes ||
      s.ciphertext.size() > kMaxShareBytes + kSealedTagBytes) {
    return Invalid("ciphertext size out of range");
  }
  return absl::OkStatus();
}

// Header up to and including the nonce.
std::vector<uint8_t> EncodeHeader(const SealedShare& s) {
  std::vector<uint8_t> out(kSealedShareMagic, kSealedShareMagic + 4);
  out.reserve(64 + s.context.kms_key_id.size() + s.wrapped_data_key.size());
  out.push_back(kSealedShareVersion);
  out.push_back(kAeadXChaCha20Poly1305);
  PutInt<uint32_t>(&out, s.context.party_id);
  PutInt<uint64_t>(&out, s.context.epoch);
  PutInt<uint16_t>(&out, static_cast<uint16_t>(s.context.kms_key_id.size()));
  out.insert(out.end(), s.context.kms_key_id.begin(),
             s.context.kms_key_id.end());
  out.push_back(static_cast<uint8_t>(s.context.group_public_key.size()));
  out.insert(out.end(), s.context.group_public_key.begin(),
             s.context.group_public_key.end());
  PutInt<uint16_t>(&out, static_cast<uint16_t>(s.wrapped_data_key.size()));
  out.insert(out.end(), s.wrapped_data_key.begin(), s.wrapped_data_key.end());
  out.insert(out.end(), s.nonce.begin(), s.nonce.end());
  return out;
}

// Opens the data key returned by KMS: from CiphertextForRecipient with the
// recipient key, else from the plaintext field.
absl::StatusOr<SecureBytes> ExtractDataKey(
    const AttestedRecipient* recipient, SecureBytes& plaintext,
    const std::vector<uint8_t>& ciphertext_for_recipient) {
  SecureBytes key;
  if (recipient != nullptr) {
    if (!plaintext.empty() || ciphertext_for_recipient.empty()) {
      return absl::FailedPreconditionError(
          "sealed share: KMS answered a Recipient request without "
          "CiphertextForRecipient (or with a plaintext key)");
    }
    absl::StatusOr<SecureBytes> opened =
        OpenCiphertextForRecipient(ciphertext_for_recipient, *recipient->key);
    if (!opened.ok()) return opened.status();
    key = *std::move(opened);
  } else {
    key = std::move(plaintext);
  }
  if (key.size() != kDataKeyBytes) {
    return absl::DataLossError(absl::StrCat("sealed share: data key is ",
                                            key.size(), " bytes, expected 32"));
  }
  return key;
}

}  // namespace

absl::StatusOr<SealedShare> DecodeSealedShare(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxSealedShareBytes) {
    return Invalid(absl::StrCat("envelope is ", bytes.size(), " bytes, limit ",
                                kMaxSealedShareBytes));
  }
  Cursor c(bytes);
  absl::Span<const uint8_t> magic;
  if (!c.Take(4, &magic)) return Invalid("truncated magic");
  if (std::memcmp(magic.data(), kSealedShareMagic, 4) != 0) {
    return Invalid("bad magic (not a nitro-tss sealed share)");
  }
  uint8_t version = 0, aead = 0;
  if (!c.TakeInt(&version)) return Invalid("truncated version");
  if (version != kSealedShareVersion) {
    return Invalid(absl::StrCat("unsupported version ", version));
  }
  if (!c.TakeInt(&aead)) return Invalid("truncated AEAD id");
  if (aead != kAeadXChaCha20Poly1305) {
    return Invalid(absl::StrCat("unsupported AEAD id ", aead));
  }
  SealedShare s;
  if (!c.TakeInt(&s.context.party_id)) return Invalid("truncated party id");
  if (!c.TakeInt(&s.context.epoch)) return Invalid("truncated epoch");
  uint16_t key_id_len = 0;
  absl::Span<const uint8_t> field;
  if (!c.TakeInt(&key_id_len)) return Invalid("truncated key id length");
  if (key_id_len == 0 || key_id_len > kMaxKeyIdBytes) {
    return Invalid(absl::StrCat("key id length ", key_id_len,
                                " out of range 1..", kMaxKeyIdBytes));
  }
  if (!c.Take(key_id_len, &field)) return Invalid("truncated key id");
  if (!IsPrintableAscii(field)) {
    return Invalid("key id is not printable ASCII");
  }
  s.context.kms_key_id.assign(field.begin(), field.end());
  uint8_t pk_len = 0;
  if (!c.TakeInt(&pk_len)) return Invalid("truncated group key length");
  if (pk_len == 0 || pk_len > kMaxGroupPublicKeyBytes) {
    return Invalid(absl::StrCat("group public key length ", pk_len,
                                " out of range 1..", kMaxGroupPublicKeyBytes));
  }
  if (!c.Take(pk_len, &field)) return Invalid("truncated group public key");
  s.context.group_public_key.assign(field.begin(), field.end());
  uint16_t wk_len = 0;
  if (!c.TakeInt(&wk_len)) return Invalid("truncated wrapped key length");
  if (wk_len == 0 || wk_len > kMaxWrappedKeyBytes) {
    return Invalid(absl::StrCat("wrapped key length ", wk_len,
                                " out of range 1..", kMaxWrappedKeyBytes));
  }
  if (!c.Take(wk_len, &field)) return Invalid("truncated wrapped data key");
  s.wrapped_data_key.assign(field.begin(), field.end());
  if (!c.Take(kSealedNonceBytes, &field)) return Invalid("truncated nonce");
  std::memcpy(s.nonce.data(), field.data(), kSealedNonceBytes);
  uint32_t ct_len = 0;
  if (!c.TakeInt(&ct_len)) return Invalid("truncated ciphertext length");
  if (ct_len < kSealedTagBytes || ct_len > kMaxShareBytes + kSealedTagBytes) {
    return Invalid(absl::StrCat("ciphertext length ", ct_len, " out of range"));
  }
  if (!c.Take(ct_len, &field)) return Invalid("truncated ciphertext");
  s.ciphertext.assign(field.begin(), field.end());
  if (c.remaining() != 0) {
    return Invalid(absl::StrCat(c.remaining(), " trailing bytes"));
  }
  return s;
}

absl::StatusOr<std::vector<uint8_t>> SealedShareAssociatedData(
    const SealedShare& share) {
  if (absl::Status s = CheckLimits(share); !s.ok()) return s;
  return EncodeHeader(share);
}

absl::StatusOr<std::vector<uint8_t>> EncodeSealedShare(
    const SealedShare& share) {
  if (absl::Status s = CheckLimits(share); !s.ok()) return s;
  std::vector<uint8_t> out = EncodeHeader(share);
  PutInt<uint32_t>(&out, static_cast<uint32_t>(share.ciphertext.size()));
  out.insert(out.end(), share.ciphertext.begin(), share.ciphertext.end());
  return out;
}

EncryptionContext ShareEncryptionContext(const ShareContext& context) {
  return {
      {"nitro-tss:party-id", absl::StrCat(context.party_id)},
      {"nitro-tss:epoch", absl::StrCat(context.epoch)},
      {"nitro-tss:group-public-key",
       absl::BytesToHexString(absl::string_view(
           reinterpret_cast<const char*>(context.group_public_key.data()),
           context.group_public_key.size()))},
  };
}

absl::StatusOr<std::vector<uint8_t>> SealWithDataKey(
    const ShareContext& context, absl::Span<const uint8_t> wrapped_data_key,
    const SecureBytes& data_key, absl::Span<const uint8_t> plaintext_share) {
  if (data_key.size() != kDataKeyBytes) {
    return Invalid("data key must be 32 bytes");
  }
  if (plaintext_share.empty() || plaintext_share.size() > kMaxShareBytes) {
    return Invalid("share must be 1..65536 bytes");
  }
  if (sodium_init() < 0) return absl::InternalError("sodium_init failed");
  SealedShare s;
  s.context = context;
  s.wrapped_data_key.assign(wrapped_data_key.begin(), wrapped_data_key.end());
  randombytes_buf(s.nonce.data(), s.nonce.size());
  s.ciphertext.resize(plaintext_share.size() + kSealedTagBytes);
  absl::StatusOr<std::vector<uint8_t>> ad = SealedShareAssociatedData(s);
  if (!ad.ok()) return ad.status();
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      s.ciphertext.data(), &ct_len, plaintext_share.data(),
      plaintext_share.size(), ad->data(), ad->size(), nullptr, s.nonce.data(),
      data_key.data());
  return EncodeSealedShare(s);
}

absl::StatusOr<SecureBytes> OpenWithDataKey(const SealedShare& share,
                                            const SecureBytes& data_key) {
  if (data_key.size() != kDataKeyBytes) {
    return Invalid("data key must be 32 bytes");
  }
  absl::StatusOr<std::vector<uint8_t>> ad = SealedShareAssociatedData(share);
  if (!ad.ok()) return ad.status();
  SecureBytes plain(share.ciphertext.size() - kSealedTagBytes);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &len, nullptr, share.ciphertext.data(),
          share.ciphertext.size(), ad->data(), ad->size(), share.nonce.data(),
          data_key.data()) != 0) {
    return absl::DataLossError(
        "sealed share: authentication failed (wrong key or modified "
        "envelope)");
  }
  return plain;
}

absl::Status CheckShareContext(const SealedShare& share,
                               const ShareContext& expected) {
  const ShareContext& got = share.context;
  if (got.kms_key_id != expected.kms_key_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("sealed share: KMS key id is '", got.kms_key_id,
                     "', expected '", expected.kms_key_id, "'"));
  }
  if (got.party_id != expected.party_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("sealed share: party id is ", got.party_id, ", expected ",
                     expected.party_id));
  }
  if (got.epoch != expected.epoch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sealed share: epoch is ", got.epoch, ", expected ", expected.epoch));
  }
  if (got.group_public_key != expected.group_public_key) {
    return absl::FailedPreconditionError(
        "sealed share: group public key differs from the expected one");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> SealShare(
    KmsInterface& kms, const ShareContext& context,
    absl::Span<const uint8_t> plaintext_share,
    const AttestedRecipient* recipient) {
  if (recipient != nullptr && recipient->key == nullptr) {
    return absl::InvalidArgumentError("sealed share: recipient without a key");
  }
  GenerateDataKeyRequest req;
  req.key_id = context.kms_key_id;
  req.key_spec = "AES_256";
  req.encryption_context = ShareEncryptionContext(context);
  if (recipient != nullptr) {
    req.recipient = Recipient{recipient->attestation_document};
  }
  absl::StatusOr<GenerateDataKeyResponse> resp = kms.GenerateDataKey(req);
  if (!resp.ok()) return resp.status();
  absl::StatusOr<SecureBytes> data_key = ExtractDataKey(
      recipient, resp->plaintext, resp->ciphertext_for_recipient);
  if (!data_key.ok()) return data_key.status();
  return SealWithDataKey(context, resp->ciphertext_blob, *data_key,
                         plaintext_share);
}

absl::StatusOr<SecureBytes> UnsealShare(KmsInterface& kms,
                                        const ShareContext& expected,
                                        absl::Span<const uint8_t> envelope,
                                        const AttestedRecipient* recipient) {
  if (recipient != nullptr && recipient->key == nullptr) {
    return absl::InvalidArgumentError("sealed share: recipient without a key");
  }
  absl::StatusOr<SealedShare> share = DecodeSealedShare(envelope);
  if (!share.ok()) return share.status();
  if (absl::Status s = CheckShareContext(*share, expected); !s.ok()) return s;
  DecryptRequest req;
  req.ciphertext_blob = share->wrapped_data_key;
  req.key_id = expected.kms_key_id;
  req.encryption_context = ShareEncryptionContext(expected);
  if (recipient != nullptr) {
    req.recipient = Recipient{recipient->attestation_document};
  }
  absl::StatusOr<DecryptResponse> resp = kms.Decrypt(req);
  if (!resp.ok()) return resp.status();
  absl::StatusOr<SecureBytes> data_key = ExtractDataKey(
      recipient, resp->plaintext, resp->ciphertext_for_recipient);
  if (!data_key.ok()) return data_key.status();
  return OpenWithDataKey(*share, *data_key);
}

}  // namespace nitro_tss::kms
