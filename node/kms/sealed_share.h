// Sealed key-share envelope: a key share encrypted under a fresh KMS data key
// with XChaCha20-Poly1305, plus the KMS-wrapped data key.
//
// Wire format v1 (big-endian integers, no padding, no trailing bytes):
//
//   magic            4   "NTSE"
//   version          1   0x01
//   aead             1   0x01 = XChaCha20-Poly1305-IETF (libsodium)
//   party_id         4
//   epoch            8
//   key_id_len       2   1..kMaxKeyIdBytes, then key_id (printable ASCII)
//   group_pk_len     1   1..kMaxGroupPublicKeyBytes, then group_public_key
//   wrapped_key_len  2   1..kMaxWrappedKeyBytes, then wrapped data key (the
//                        CiphertextBlob of GenerateDataKey)
//   nonce           24
//   ciphertext_len   4   16..kMaxShareBytes+16, then ciphertext||tag
//
// The AEAD associated data is every byte before ciphertext_len, so the key
// id, party id, epoch, group public key and wrapped key are all bound to the
// ciphertext. The same values (party, epoch, group key) are also sent to KMS
// as EncryptionContext, binding the data key itself.
#ifndef NITRO_TSS_NODE_KMS_SEALED_SHARE_H_
#define NITRO_TSS_NODE_KMS_SEALED_SHARE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/kms/kms_api.h"
#include "node/kms/recipient_key.h"
#include "node/kms/secure_bytes.h"

namespace nitro_tss::kms {

inline constexpr char kSealedShareMagic[4] = {'N', 'T', 'S', 'E'};
inline constexpr uint8_t kSealedShareVersion = 1;
inline constexpr uint8_t kAeadXChaCha20Poly1305 = 1;
inline constexpr size_t kMaxKeyIdBytes = 2048;
inline constexpr size_t kMaxGroupPublicKeyBytes = 65;
inline constexpr size_t kMaxWrappedKeyBytes = 6144;
inline constexpr size_t kMaxShareBytes = 64 * 1024;
inline constexpr size_t kSealedNonceBytes = 24;
inline constexpr size_t kSealedTagBytes = 16;
inline constexpr size_t kDataKeyBytes = 32;
inline constexpr size_t kMaxSealedShareBytes =
    4 + 1 + 1 + 4 + 8 + 2 + kMaxKeyIdBytes + 1 + kMaxGroupPublicKeyBytes + 2 +
    kMaxWrappedKeyBytes + kSealedNonceBytes + 4 + kMaxShareBytes +
    kSealedTagBytes;

// What a sealed share belongs to.
struct ShareContext {
  std::string kms_key_id;  // key id, ARN or alias used for GenerateDataKey
  uint32_t party_id = 0;
  uint64_t epoch = 0;
  std::vector<uint8_t> group_public_key;  // compressed secp256k1 (33 bytes)

  friend bool operator==(const ShareContext&, const ShareContext&) = default;
};

// A decoded envelope.
struct SealedShare {
  ShareContext context;
  std::vector<uint8_t> wrapped_data_key;
  std::array<uint8_t, kSealedNonceBytes> nonce{};
  std::vector<uint8_t> ciphertext;  // includes the 16-byte tag
};

// Strictly decodes an envelope (format above). InvalidArgument naming the
// field on truncation, bad magic, unknown version/AEAD, out-of-range lengths,
// non-printable key id, or trailing bytes.
absl::StatusOr<SealedShare> DecodeSealedShare(absl::Span<const uint8_t> bytes);

// Encodes `share`. InvalidArgument if a field violates the limits above.
absl::StatusOr<std::vector<uint8_t>> EncodeSealedShare(
    const SealedShare& share);

// The AEAD associated data of `share` (its encoding up to the nonce).
absl::StatusOr<std::vector<uint8_t>> SealedShareAssociatedData(
    const SealedShare& share);

// The EncryptionContext sent to KMS for `context`:
// {"nitro-tss:party-id", "nitro-tss:epoch", "nitro-tss:group-public-key"}.
EncryptionContext ShareEncryptionContext(const ShareContext& context);

// Encrypts `plaintext_share` with `data_key` (32 bytes) under a random nonce
// and returns the encoded envelope. InvalidArgument on bad sizes.
absl::StatusOr<std::vector<uint8_t>> SealWithDataKey(
    const ShareContext& context, absl::Span<const uint8_t> wrapped_data_key,
    const SecureBytes& data_key, absl::Span<const uint8_t> plaintext_share);

// Decrypts a decoded envelope with `data_key`. DataLoss if authentication
// fails (wrong key, any modified byte).
absl::StatusOr<SecureBytes> OpenWithDataKey(const SealedShare& share,
                                            const SecureBytes& data_key);

// FailedPrecondition naming the field unless the envelope's context equals
// `expected` (key id, party id, epoch, group public key).
absl::Status CheckShareContext(const SealedShare& share,
                               const ShareContext& expected);

// The enclave's KMS recipient: its RSA key and an attestation document whose
// public_key is that key.
struct AttestedRecipient {
  const RecipientKey* key = nullptr;
  std::vector<uint8_t> attestation_document;
};

// Seals a share through KMS: GenerateDataKey (AES_256, EncryptionContext of
// `context`, Recipient if `recipient` is non-null), opens the data key
// (CiphertextForRecipient with the recipient key, else the Plaintext field),
// encrypts, zeroizes the data key. With a recipient, a response that carries
// a plaintext data key or no CiphertextForRecipient is refused
// (FailedPrecondition). KMS errors are returned unchanged.
absl::StatusOr<std::vector<uint8_t>> SealShare(
    KmsInterface& kms, const ShareContext& context,
    absl::Span<const uint8_t> plaintext_share,
    const AttestedRecipient* recipient);

// Unseals an envelope: decodes it, checks it against `expected`, asks KMS to
// Decrypt the wrapped data key (same EncryptionContext and key id, Recipient
// if non-null), opens the data key and then the share. The data key is
// zeroized.
absl::StatusOr<SecureBytes> UnsealShare(KmsInterface& kms,
                                        const ShareContext& expected,
                                        absl::Span<const uint8_t> envelope,
                                        const AttestedRecipient* recipient);

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_SEALED_SHARE_H_
