#include "node/kms/sealed_share.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/kms/cms.h"

namespace nitro_tss::kms {
namespace {

// Ciphertext = identity seed || share (>= 1 byte) || tag.
constexpr size_t kMinCiphertextBytes =
    kSealedIdentitySeedBytes + 1 + kSealedTagBytes;
constexpr size_t kMaxCiphertextBytes =
    kSealedIdentitySeedBytes + kMaxShareBytes + kSealedTagBytes;

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
  if (s.ciphertext.size() < kMinCiphertextBytes ||
      s.ciphertext.size() > kMaxCiphertextBytes) {
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
  out.insert(out.end(), s.identity_public_key.begin(),
             s.identity_public_key.end());
  PutInt<uint16_t>(&out, static_cast<uint16_t>(s.wrapped_data_key.size()));
  out.insert(out.end(), s.wrapped_data_key.begin(), s.wrapped_data_key.end());
  out.insert(out.end(), s.nonce.begin(), s.nonce.end());
  return out;
}

// Opens the data key returned by KMS for the attested recipient: only from
// CiphertextForRecipient with the recipient key. An answer with a plaintext
// data key (or without CiphertextForRecipient) was not produced for the
// attested recipient (e.g. KMS or a proxy ignored the Recipient, or a policy
// allowed the parent): refused, and the plaintext is wiped.
absl::StatusOr<SecureBytes> ExtractDataKey(
    const AttestedRecipient& recipient, SecureBytes& plaintext,
    const std::vector<uint8_t>& ciphertext_for_recipient,
    absl::string_view operation) {
  if (!plaintext.empty() || ciphertext_for_recipient.empty()) {
    const bool had_plaintext = !plaintext.empty();
    plaintext.Clear();
    return absl::FailedPreconditionError(absl::StrCat(
        "sealed share: the KMS ", operation,
        " answer was not for the attested recipient (",
        had_plaintext ? "it carries a plaintext data key" : "",
        had_plaintext && ciphertext_for_recipient.empty() ? " and " : "",
        ciphertext_for_recipient.empty() ? "no CiphertextForRecipient" : "",
        "); refusing it: the data key must only be readable by this enclave"));
  }
  absl::StatusOr<SecureBytes> key =
      OpenCiphertextForRecipient(ciphertext_for_recipient, *recipient.key);
  if (!key.ok()) return key.status();
  if (key->size() != kDataKeyBytes) {
    return absl::DataLossError(absl::StrCat(
        "sealed share: data key is ", key->size(), " bytes, expected 32"));
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
    return Invalid(absl::StrCat(
        "unsupported version ", version,
        version == 1 ? " (v1 records carry no party identity; reseal)" : ""));
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
  if (!c.Take(mpc::round::kIdentityPublicKeyBytes, &field)) {
    return Invalid("truncated identity public key");
  }
  absl::StatusOr<mpc::round::IdentityPublicKey> identity =
      mpc::round::DecodeIdentityPublicKey(field, "identity public key");
  if (!identity.ok()) {
    return Invalid(absl::StrCat("invalid identity public key (",
                                identity.status().message(), ")"));
  }
  s.identity_public_key = *identity;
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
  if (ct_len < kMinCiphertextBytes || ct_len > kMaxCiphertextBytes) {
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
    const SecureBytes& data_key, const mpc::round::PartyIdentityKey& identity,
    absl::Span<const uint8_t> plaintext_share) {
  if (data_key.size() != kDataKeyBytes) {
    return Invalid("data key must be 32 bytes");
  }
  if (plaintext_share.empty() || plaintext_share.size() > kMaxShareBytes) {
    return Invalid("share must be 1..65536 bytes");
  }
  if (sodium_init() < 0) return absl::InternalError("sodium_init failed");
  SealedShare s;
  s.context = context;
  s.identity_public_key = identity.public_key();
  s.wrapped_data_key.assign(wrapped_data_key.begin(), wrapped_data_key.end());
  randombytes_buf(s.nonce.data(), s.nonce.size());
  SecureBytes plain(kSealedIdentitySeedBytes + plaintext_share.size());
  identity.ExportSeedForSealing(
      plain.mutable_span().subspan(0, kSealedIdentitySeedBytes));
  std::memcpy(plain.data() + kSealedIdentitySeedBytes, plaintext_share.data(),
              plaintext_share.size());
  s.ciphertext.resize(plain.size() + kSealedTagBytes);
  absl::StatusOr<std::vector<uint8_t>> ad = SealedShareAssociatedData(s);
  if (!ad.ok()) return ad.status();
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      s.ciphertext.data(), &ct_len, plain.data(), plain.size(), ad->data(),
      ad->size(), nullptr, s.nonce.data(), data_key.data());
  return EncodeSealedShare(s);  // `plain` (seed and share) is wiped here
}

absl::StatusOr<UnsealedShare> OpenWithDataKey(const SealedShare& share,
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
  absl::StatusOr<std::unique_ptr<mpc::round::PartyIdentityKey>> identity =
      mpc::round::PartyIdentityKey::FromSeed(
          plain.span().subspan(0, kSealedIdentitySeedBytes));
  if (!identity.ok()) return identity.status();
  if (sodium_memcmp((*identity)->public_key().data(),
                    share.identity_public_key.data(),
                    share.identity_public_key.size()) != 0) {
    return absl::DataLossError(
        "sealed share: the sealed identity seed does not yield the identity "
        "public key of the header");
  }
  UnsealedShare out;
  out.context = share.context;
  out.identity = *std::move(identity);
  out.share = SecureBytes(plain.span().subspan(kSealedIdentitySeedBytes));
  return out;  // `plain` is wiped on return
}

absl::Status CheckShareContext(const SealedShare& share,
                               const UnsealExpectation& expected) {
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
  if (got.group_public_key != expected.group_public_key) {
    return absl::FailedPreconditionError(
        "sealed share: group public key differs from the expected one");
  }
  if (got.epoch < expected.min_epoch) {
    return absl::FailedPreconditionError(
        absl::StrCat("sealed share: sealed share epoch ", got.epoch,
                     " is older than the trusted epoch ", expected.min_epoch,
                     " (rolled back?)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> SealShare(
    KmsInterface& kms, const ShareContext& context,
    const mpc::round::PartyIdentityKey& identity,
    absl::Span<const uint8_t> plaintext_share,
    const AttestedRecipient& recipient) {
  if (recipient.key == nullptr || recipient.attestation_document.empty()) {
    return absl::InvalidArgumentError(
        "sealed share: the recipient needs a key and an attestation document");
  }
  GenerateDataKeyRequest req;
  req.key_id = context.kms_key_id;
  req.key_spec = "AES_256";
  req.encryption_context = ShareEncryptionContext(context);
  req.recipient = Recipient{recipient.attestation_document};
  absl::StatusOr<GenerateDataKeyResponse> resp = kms.GenerateDataKey(req);
  if (!resp.ok()) return resp.status();
  absl::StatusOr<SecureBytes> data_key =
      ExtractDataKey(recipient, resp->plaintext, resp->ciphertext_for_recipient,
                     "GenerateDataKey");
  if (!data_key.ok()) return data_key.status();
  return SealWithDataKey(context, resp->ciphertext_blob, *data_key, identity,
                         plaintext_share);
}

absl::StatusOr<UnsealedShare> UnsealShare(KmsInterface& kms,
                                          const UnsealExpectation& expected,
                                          absl::Span<const uint8_t> envelope,
                                          const AttestedRecipient& recipient) {
  if (recipient.key == nullptr || recipient.attestation_document.empty()) {
    return absl::InvalidArgumentError(
        "sealed share: the recipient needs a key and an attestation document");
  }
  absl::StatusOr<SealedShare> share = DecodeSealedShare(envelope);
  if (!share.ok()) return share.status();
  if (absl::Status s = CheckShareContext(*share, expected); !s.ok()) return s;
  DecryptRequest req;
  req.ciphertext_blob = share->wrapped_data_key;
  req.key_id = expected.kms_key_id;
  req.encryption_context = ShareEncryptionContext(share->context);
  req.recipient = Recipient{recipient.attestation_document};
  absl::StatusOr<DecryptResponse> resp = kms.Decrypt(req);
  if (!resp.ok()) return resp.status();
  absl::StatusOr<SecureBytes> data_key = ExtractDataKey(
      recipient, resp->plaintext, resp->ciphertext_for_recipient, "Decrypt");
  if (!data_key.ok()) return data_key.status();
  return OpenWithDataKey(*share, *data_key);
}

}  // namespace nitro_tss::kms
