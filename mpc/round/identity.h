// Long-term party identity keys: Ed25519 (libsodium crypto_sign).
//
// Every party of a key has one identity key pair, generated inside its
// enclave. The public half is bound to the party id at DKG (it enters the
// DKG transcript and every party's KeyShare) and is carried in the enclave's
// attestation documents; the secret half is sealed with the party's share,
// so a restarted enclave proves the same identity. The round engine signs
// every outbound envelope with it, so that a party that received a bad direct
// message can show it to the others (verifiable complaints, round.h).
#ifndef NITRO_TSS_MPC_ROUND_IDENTITY_H_
#define NITRO_TSS_MPC_ROUND_IDENTITY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::mpc::round {

inline constexpr size_t kIdentityPublicKeyBytes = 32;  // Ed25519
inline constexpr size_t kIdentitySeedBytes = 32;
inline constexpr size_t kIdentitySignatureBytes = 64;

using IdentityPublicKey = std::array<uint8_t, kIdentityPublicKeyBytes>;
using IdentitySignature = std::array<uint8_t, kIdentitySignatureBytes>;

// An Ed25519 key pair whose secret lives in libsodium guarded memory
// (sodium_malloc: locked, guard pages, wiped on free). Not copyable; share it
// by reference or shared_ptr. Thread-safe (Sign does not mutate).
class PartyIdentityKey {
 public:
  // A fresh key pair from libsodium's CSPRNG.
  static absl::StatusOr<std::unique_ptr<PartyIdentityKey>> Generate();
  // The key pair of a 32-byte seed (e.g. unsealed with the share). The seed
  // is copied into guarded memory; the caller wipes its own copy.
  static absl::StatusOr<std::unique_ptr<PartyIdentityKey>> FromSeed(
      absl::Span<const uint8_t> seed);

  PartyIdentityKey(const PartyIdentityKey&) = delete;
  PartyIdentityKey& operator=(const PartyIdentityKey&) = delete;
  ~PartyIdentityKey();

  const IdentityPublicKey& public_key() const { return public_key_; }

  // Detached Ed25519 signature of `message`.
  IdentitySignature Sign(absl::Span<const uint8_t> message) const;

  // Writes the 32-byte seed into `out` (exactly kIdentitySeedBytes), for
  // sealing only: the caller must seal it at once and wipe `out`.
  void ExportSeedForSealing(absl::Span<uint8_t> out) const;

 private:
  PartyIdentityKey();
  IdentityPublicKey public_key_{};
  uint8_t* secret_ = nullptr;  // crypto_sign_SECRETKEYBYTES, sodium_malloc
};

// True iff `signature` is a valid Ed25519 signature of `message` under
// `public_key` (libsodium's strict verification: canonical encodings, no
// small-order keys).
bool VerifyIdentitySignature(const IdentityPublicKey& public_key,
                             absl::Span<const uint8_t> message,
                             absl::Span<const uint8_t> signature);

// Strict decoding of a public key from bytes: exactly 32 bytes, a canonical
// point of large order. Errors are InvalidArgument naming `field`.
absl::StatusOr<IdentityPublicKey> DecodeIdentityPublicKey(
    absl::Span<const uint8_t> bytes, const std::string& field);

}  // namespace nitro_tss::mpc::round

#endif  // NITRO_TSS_MPC_ROUND_IDENTITY_H_
