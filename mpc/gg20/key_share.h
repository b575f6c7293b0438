// The output of GG20 key generation: one party's key share.
//
// A KeyShare holds public data identical at every party (threshold, group
// public key, each party's public share, Paillier modulus and ring-Pedersen
// parameters) and the party's secrets (its Shamir share x_i, its Paillier
// factorization and ring-Pedersen trapdoor). The key id is a hash of the
// public data, so two parties with the same key id agree on all of it.
//
// Serialization: ToRecordBytes() (or ToRecord()) contains the secrets and
// exists only to be sealed (KMS envelope) by the node; PublicToProto() is the
// shareable part.
// FromRecord() re-validates everything (sizes, consistency of the secrets
// with the public values, the key id).
#ifndef NITRO_TSS_MPC_GG20_KEY_SHARE_H_
#define NITRO_TSS_MPC_GG20_KEY_SHARE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/secure_bytes.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/round/identity.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20 {

// 2: every party's identity key is part of the public data (and key id).
inline constexpr uint32_t kKeyShareVersion = 2;
inline constexpr size_t kMaxParties = 16;
inline constexpr size_t kMaxKeyShareRecordBytes = 64 << 10;

using KeyId = std::array<uint8_t, 32>;

struct PartyPublicInfo {
  uint32_t id = 0;
  Point public_share;  // X_j = x_j * G
  PaillierPublicKey paillier;
  RingPedersenParams ring_pedersen;
  // The party's long-term identity key, bound to `id` at DKG (enters the
  // DKG's configuration digest and the key id).
  round::IdentityPublicKey identity_key{};
};

struct KeyShare {
  KeyId key_id{};
  uint32_t self = 0;
  uint32_t threshold = 0;
  Point public_key;                      // Y
  std::vector<PartyPublicInfo> parties;  // sorted by id
  Scalar secret_share;                   // x_self
  // Empty, or 32 bytes bound at DKG (KeygenConfig::policy_digest): the
  // digest of the key's approval policy. Part of the key id.
  std::vector<uint8_t> policy_digest;
  std::shared_ptr<const PaillierPrivateKey> paillier;
  std::shared_ptr<const RingPedersenSecret> ring_pedersen;

  // Loaded state, not part of the record: per other party, a
  // zk::RingPedersenTable for that party's ring-Pedersen parameters (the
  // prover's commitments in Πenc / Πaff-g / Πlog-rp towards that party).
  // Presigning always uses them: PeerTable() builds a missing one on first
  // use (about 4 baseline units of CPU and 6 MB per party, once per loaded
  // key; the values are identical, only faster). Thread-safe; a copy of the
  // KeyShare starts with the tables built so far (shared, immutable).
  //
  // The table for party `id`, built now if needed; null if `id` is self or
  // not a party of the key.
  std::shared_ptr<const zk::RingPedersenTable> PeerTable(uint32_t id) const;
  // Builds every other party's table now (call when the key is loaded, so
  // that no signature pays for them).
  void BuildPeerTables() const;
  // Ids of the parties whose table is built (sorted).
  std::vector<uint32_t> BuiltPeerTables() const;
  // Drops every table (they are rebuilt on demand).
  void ClearPeerTables() const;

  // The entry of party `id`, or null.
  const PartyPublicInfo* Party(uint32_t id) const;
  std::vector<uint32_t> PartyIds() const;

  // The shareable part (no secrets).
  v1::KeySharePublic PublicToProto() const;
  // Everything including secrets: for sealing only. The record's strings
  // are not wiped when it is destroyed: call WipeSecrets(record) first, or
  // use ToRecordBytes().
  v1::KeyShareRecord ToRecord() const;
  // The serialized record (what gets sealed), in a buffer wiped when freed;
  // the intermediate record's secrets are wiped before it is destroyed.
  SecureBytes ToRecordBytes() const;
  // Zeroes every secret field of `record` in place (the sizes are kept, so a
  // wiped record no longer decodes).
  static void WipeSecrets(v1::KeyShareRecord& record);
  // Strict decoding and full re-validation. Errors start "key_share: ".
  static absl::StatusOr<KeyShare> FromRecord(const v1::KeyShareRecord& record);
  // The parsed copy of the secrets is wiped; `bytes` stays the caller's.
  static absl::StatusOr<KeyShare> FromRecordBytes(
      absl::Span<const uint8_t> bytes);

 private:
  struct PeerTableCache {
    PeerTableCache() = default;
    PeerTableCache(const PeerTableCache& other);
    PeerTableCache& operator=(const PeerTableCache& other);
    mutable std::mutex mu;
    std::map<uint32_t, std::shared_ptr<const zk::RingPedersenTable>> tables;
  };
  mutable PeerTableCache peer_table_cache_;
};

// Hash of the public data (threshold, public key, every party's id, public
// share, Paillier N and ring-Pedersen parameters), domain-separated.
// A non-empty `policy_digest` (32 bytes) is bound too.
KeyId ComputeKeyId(uint32_t threshold, const Point& public_key,
                   absl::Span<const PartyPublicInfo> parties,
                   absl::Span<const uint8_t> policy_digest = {});

// Validates a public record: version, 1 <= t < n <= kMaxParties, ids
// non-zero/distinct/sorted, points valid, moduli exactly 2048 bits, Y equal
// to the interpolation of the public shares of any t+1 parties and every
// public share on the same degree-t polynomial. Errors start "key_share: ".
absl::StatusOr<std::vector<PartyPublicInfo>> DecodePublicParties(
    const v1::KeySharePublic& proto, uint32_t* threshold, Point* public_key);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_KEY_SHARE_H_
