#include "node/channel/identity.h"

#include "node/channel/errors.h"

namespace nitro_tss::channel {

absl::StatusOr<std::unique_ptr<ChannelIdentity>> ChannelIdentity::Generate() {
  if (sodium_init() < 0) {
    return MakeChannelError(absl::StatusCode::kInternal,
                            ChannelError::kInternal,
                            "libsodium failed to initialize");
  }
  std::unique_ptr<ChannelIdentity> id(new ChannelIdentity());
  if (crypto_kx_keypair(id->kx_public_key_.data(), id->kx_secret_key_.data()) !=
          0 ||
      crypto_sign_keypair(id->signing_public_key_.data(),
                          id->signing_secret_key_.data()) != 0) {
    return MakeChannelError(absl::StatusCode::kInternal,
                            ChannelError::kInternal,
                            "key pair generation failed");
  }
  return id;
}

ChannelIdentity::~ChannelIdentity() {
  sodium_memzero(kx_secret_key_.data(), kx_secret_key_.size());
  sodium_memzero(signing_secret_key_.data(), signing_secret_key_.size());
}

}  // namespace nitro_tss::channel
