#include "mpc/round/identity.h"

#include <sodium.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc::round {

PartyIdentityKey::PartyIdentityKey() = default;

PartyIdentityKey::~PartyIdentityKey() {
  if (secret_ != nullptr) sodium_free(secret_);  // wipes before freeing
}

absl::StatusOr<std::unique_ptr<PartyIdentityKey>> PartyIdentityKey::Generate() {
  std::array<uint8_t, kIdentitySeedBytes> seed;
  if (sodium_init() < 0) return absl::InternalError("identity: sodium_init");
  randombytes_buf(seed.data(), seed.size());
  auto key = FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

absl::StatusOr<std::unique_ptr<PartyIdentityKey>> PartyIdentityKey::FromSeed(
    absl::Span<const uint8_t> seed) {
  if (sodium_init() < 0) return absl::InternalError("identity: sodium_init");
  if (seed.size() != kIdentitySeedBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("identity: seed of ", seed.size(), " bytes, want ",
                     kIdentitySeedBytes));
  }
  std::unique_ptr<PartyIdentityKey> key(new PartyIdentityKey());
  key->secret_ =
      static_cast<uint8_t*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (key->secret_ == nullptr) {
    return absl::ResourceExhaustedError("identity: sodium_malloc failed");
  }
  crypto_sign_seed_keypair(key->public_key_.data(), key->secret_, seed.data());
  sodium_mprotect_readonly(key->secret_);
  return key;
}

IdentitySignature PartyIdentityKey::Sign(
    absl::Span<const uint8_t> message) const {
  IdentitySignature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                       secret_);
  return sig;
}

void PartyIdentityKey::ExportSeedForSealing(absl::Span<uint8_t> out) const {
  if (out.size() != kIdentitySeedBytes) __builtin_trap();
  // libsodium's Ed25519 secret key is seed || public key.
  std::memcpy(out.data(), secret_, kIdentitySeedBytes);
}

bool VerifyIdentitySignature(const IdentityPublicKey& public_key,
                             absl::Span<const uint8_t> message,
                             absl::Span<const uint8_t> signature) {
  if (signature.size() != kIdentitySignatureBytes) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(),
                                     message.size(), public_key.data()) == 0;
}

absl::StatusOr<IdentityPublicKey> DecodeIdentityPublicKey(
    absl::Span<const uint8_t> bytes, const std::string& field) {
  if (bytes.size() != kIdentityPublicKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": identity key of ", bytes.size(),
                     " bytes, want ", kIdentityPublicKeyBytes));
  }
  if (sodium_init() < 0) return absl::InternalError("identity: sodium_init");
  // Canonical, on the curve, not of small order.
  if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid Ed25519 public key"));
  }
  IdentityPublicKey key;
  std::memcpy(key.data(), bytes.data(), key.size());
  return key;
}

}  // namespace nitro_tss::mpc::round
