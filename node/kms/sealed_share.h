// Sealed key-share envelope: a key share and the party's long-term identity
// key, encrypted under a fresh KMS data key with XChaCha20-Poly1305, plus the
// KMS-wrapped data key.
//
// Wire format v2 (big-endian integers, no padding, no trailing bytes):
//
//   magic            4   "NTSE"
//   version          1   0x02 (v1 records, without an identity, are refused)
//   aead             1   0x01 = XChaCha20-Poly1305-IETF (libsodium)
//   party_id         4
//   epoch            8
//   key_id_len       2   1..kMaxKeyIdBytes, then key_id (printable ASCII)
//   group_pk_len     1   1..kMaxGroupPublicKeyBytes, then group_public_key
//   identity_pk     32   the party's identity public key (Ed25519, a valid
//                        point of large order)
//   wrapped_key_len  2   1..kMaxWrappedKeyBytes, then wrapped data key (the
//                        CiphertextBlob of GenerateDataKey)
//   nonce           24
//   ciphertext_len   4   32+1+16..32+kMaxShareBytes+16, then ciphertext||tag
//
// The plaintext is identity_seed(32) || share. The AEAD associated data is
// every byte before ciphertext_len, so the key id, party id, epoch, group
// public key, identity public key and wrapped key are all bound to the
// ciphertext; on opening, the identity key rebuilt from the seed must have
// the header's public key. The same values (party, epoch, group key) are
// also sent to KMS as EncryptionContext, binding the data key itself.
//
// The data key is only ever obtained as CiphertextForRecipient for the
// enclave's attested RSA key: a KMS answer carrying a plaintext data key, or
// no CiphertextForRecipient, is refused on both paths (issue 12, finding 3),
// so a share sealed or unsealed this way is never exposed to the parent.
//
// Rollback (issue 12, finding 5d): the store is on the untrusted parent, so
// it can serve an older record (an earlier epoch, before a refresh). The
// record's epoch is authenticated but only as good as the epoch the enclave
// trusts: UnsealShare takes that value (UnsealExpectation::min_epoch) and
// refuses older records. See /work/notes/node.md for what the enclave trusts
// (the key's current epoch as confirmed by its t+1 co-signers over the
// attested channel); until that is wired, the caller passes it.
#ifndef NITRO_TSS_NODE_KMS_SEALED_SHARE_H_
#define NITRO_TSS_NODE_KMS_SEALED_SHARE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/round/identity.h"
#include "node/kms/kms_api.h"
#include "node/kms/recipient_key.h"
#include "node/kms/secure_bytes.h"

namespace nitro_tss::kms {

inline constexpr char kSealedShareMagic[4] = {'N', 'T', 'S', 'E'};
inline constexpr uint8_t kSealedShareVersion = 2;
inline constexpr uint8_t kAeadXChaCha20Poly1305 = 1;
inline constexpr size_t kMaxKeyIdBytes = 2048;
inline constexpr size_t kMaxGroupPublicKeyBytes = 65;
inline constexpr size_t kMaxWrappedKeyBytes = 6144;
inline constexpr size_t kMaxShareBytes = 64 * 1024;
inline constexpr size_t kSealedNonceBytes = 24;
inline constexpr size_t kSealedTagBytes = 16;
inline constexpr size_t kDataKeyBytes = 32;
inline constexpr size_t kSealedIdentitySeedBytes =
    mpc::round::kIdentitySeedBytes;
inline constexpr size_t kMaxSealedShareBytes =
    4 + 1 + 1 + 4 + 8 + 2 + kMaxKeyIdBytes + 1 + kMaxGroupPublicKeyBytes +
    mpc::round::kIdentityPublicKeyBytes + 2 + kMaxWrappedKeyBytes +
    kSealedNonceBytes + 4 + kSealedIdentitySeedBytes + kMaxShareBytes +
    kSealedTagBytes;

// What a sealed share belongs to.
struct ShareContext {
  std::string kms_key_id;  // key id, ARN or alias used for GenerateDataKey
  uint32_t party_id = 0;
  uint64_t epoch = 0;
  std::vector<uint8_t> group_public_key;  // compressed secp256k1 (33 bytes)

  friend bool operator==(const ShareContext&, const ShareContext&) = default;
};

// What the enclave expects of a record it unseals.
struct UnsealExpectation {
  std::string kms_key_id;
  uint32_t party_id = 0;
  std::vector<uint8_t> group_public_key;
  // The lowest epoch the enclave trusts (the monotonic value of finding 5d):
  // a record with an older epoch is refused as a rollback.
  uint64_t min_epoch = 0;
};

// A decoded envelope.
struct SealedShare {
  ShareContext context;
  mpc::round::IdentityPublicKey identity_public_key{};
  std::vector<uint8_t> wrapped_data_key;
  std::array<uint8_t, kSealedNonceBytes> nonce{};
  std::vector<uint8_t> ciphertext;  // includes the 16-byte tag
};

// An opened envelope: the party's identity key (rebuilt from the sealed
// seed; its public key equals the header's) and the share.
struct UnsealedShare {
  ShareContext context;  // as sealed (context.epoch >= min_epoch)
  std::unique_ptr<mpc::round::PartyIdentityKey> identity;
  SecureBytes share;
};

// Strictly decodes an envelope (format above). InvalidArgument naming the
// field on truncation, bad magic, unknown version/AEAD, out-of-range lengths,
// non-printable key id, an invalid identity public key, or trailing bytes.
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

// Encrypts identity seed || `plaintext_share` with `data_key` (32 bytes)
// under a random nonce and returns the encoded envelope (the header carries
// identity.public_key()). The seed copy is wiped. InvalidArgument on bad
// sizes.
absl::StatusOr<std::vector<uint8_t>> SealWithDataKey(
    const ShareContext& context, absl::Span<const uint8_t> wrapped_data_key,
    const SecureBytes& data_key, const mpc::round::PartyIdentityKey& identity,
    absl::Span<const uint8_t> plaintext_share);

// Decrypts a decoded envelope with `data_key` and rebuilds the identity key.
// DataLoss if authentication fails (wrong key, any modified byte) or the
// sealed seed does not yield the header's identity public key.
absl::StatusOr<UnsealedShare> OpenWithDataKey(const SealedShare& share,
                                              const SecureBytes& data_key);

// FailedPrecondition naming the field unless the envelope matches
// `expected`: same key id, party id and group public key, and an epoch not
// older than expected.min_epoch ("sealed share epoch E is older than the
// trusted epoch M (rolled back?)").
absl::Status CheckShareContext(const SealedShare& share,
                               const UnsealExpectation& expected);

// The enclave's KMS recipient: its RSA key and an attestation document whose
// public_key is that key.
struct AttestedRecipient {
  const RecipientKey* key = nullptr;
  std::vector<uint8_t> attestation_document;
};

// Seals a share and the party's identity key through KMS: GenerateDataKey
// (AES_256, EncryptionContext of `context`, Recipient = `recipient`), opens
// the data key from CiphertextForRecipient with the recipient key, encrypts,
// zeroizes the data key. A response that carries a plaintext data key or no
// CiphertextForRecipient is refused (FailedPrecondition: not an answer for
// the attested recipient). KMS errors are returned unchanged.
absl::StatusOr<std::vector<uint8_t>> SealShare(
    KmsInterface& kms, const ShareContext& context,
    const mpc::round::PartyIdentityKey& identity,
    absl::Span<const uint8_t> plaintext_share,
    const AttestedRecipient& recipient);

// Unseals an envelope: decodes it, checks it against `expected` (including
// the rollback check against expected.min_epoch) before calling KMS, asks
// KMS to Decrypt the wrapped data key (the record's EncryptionContext and
// key id, Recipient = `recipient`), opens the data key (CiphertextForRecipient
// only, as SealShare) and then the share and identity. The data key is
// zeroized.
absl::StatusOr<UnsealedShare> UnsealShare(KmsInterface& kms,
                                          const UnsealExpectation& expected,
                                          absl::Span<const uint8_t> envelope,
                                          const AttestedRecipient& recipient);

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_SEALED_SHARE_H_
