// A party's long-lived (per enclave boot) channel keys.
#ifndef NITRO_TSS_NODE_CHANNEL_IDENTITY_H_
#define NITRO_TSS_NODE_CHANNEL_IDENTITY_H_

#include <sodium.h>

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace nitro_tss::channel {

// An X25519 key-exchange key pair (libsodium crypto_kx) and an Ed25519
// signing key pair (crypto_sign), generated inside the enclave at boot. The
// public halves are what the enclave's attestation documents bind: the X25519
// key as the document's public_key, the Ed25519 key inside user_data. Secret
// keys never leave this object except as derived session keys; they are
// zeroized (sodium_memzero) on destruction. Not copyable or movable, so no
// stray copies of the secrets exist.
class ChannelIdentity {
 public:
  // Generates fresh key pairs from libsodium's CSPRNG. Fails only if
  // libsodium cannot be initialized.
  static absl::StatusOr<std::unique_ptr<ChannelIdentity>> Generate();

  ChannelIdentity(const ChannelIdentity&) = delete;
  ChannelIdentity& operator=(const ChannelIdentity&) = delete;
  ~ChannelIdentity();

  const std::array<uint8_t, crypto_kx_PUBLICKEYBYTES>& kx_public_key() const {
    return kx_public_key_;
  }
  const std::array<uint8_t, crypto_sign_PUBLICKEYBYTES>& signing_public_key()
      const {
    return signing_public_key_;
  }

 private:
  friend class Handshake;
  ChannelIdentity() = default;

  std::array<uint8_t, crypto_kx_PUBLICKEYBYTES> kx_public_key_{};
  std::array<uint8_t, crypto_kx_SECRETKEYBYTES> kx_secret_key_{};
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> signing_public_key_{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> signing_secret_key_{};
};

}  // namespace nitro_tss::channel

#endif  // NITRO_TSS_NODE_CHANNEL_IDENTITY_H_
