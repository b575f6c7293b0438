// EnclaveCore: what tss-enclave does, without gRPC (service.h adapts it).
//
// State, all in enclave memory:
//   * a per-boot channel identity (X25519 + Ed25519, node/channel) and a
//     per-boot KMS recipient key (RSA-2048, node/kms);
//   * links: attested peer links (node/channel handshake), one per (key or
//     DKG, peer set), established once and reused; every protocol run
//     derives its own session from its link (SecureSession::Derive), so its
//     protocol session id is fresh per link and bound to the link's nonce;
//   * keys: key shares unsealed or generated, each with the party identity
//     key bound to its party id at DKG, in locked memory: the share's
//     secrets in the locked arena (locked_share.h, mpc/math/locked_memory.h;
//     the process initializes it at start), the identity key in its own
//     sodium_malloc'd block (PartyIdentityKey);
//   * presignatures: single-use, never persisted, bound to key, signer set
//     and derivation; taken out of the table before their share is made, so
//     two requests can never both use one.
//
// Keys are sealed through attested KMS (node/kms SealShare: a data key only
// this enclave's attested recipient key can open) and stored through the
// host (BlobHost); a key not in memory is fetched and unsealed on first use.
//
// Thread-safe: sessions run concurrently on different links and on one link.
#ifndef NITRO_TSS_NODE_ENCLAVE_CORE_H_
#define NITRO_TSS_NODE_ENCLAVE_CORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mpc/gg20/keygen.h"
#include "mpc/gg20/presign.h"
#include "mpc/math/random.h"
#include "mpc/round/round.h"
#include "nitro_tss/enclave/v1/enclave.pb.h"
#include "node/approval/policy.h"
#include "node/approval/replay_cache.h"
#include "node/attestation/nsm.h"
#include "node/channel/handshake.h"
#include "node/kms/kms_api.h"
#include "node/kms/recipient_key.h"

namespace nitro_tss::enclave {

// The enclave's only storage: sealed records kept by its host.
class BlobHost {
 public:
  virtual ~BlobHost() = default;
  // Stores `blob` (a sealed record of `epoch`) for (key id hex, party).
  virtual absl::Status Put(const std::string& key_id_hex, uint32_t party,
                           uint64_t epoch,
                           const std::vector<uint8_t>& blob) = 0;
  // The stored record; NOT_FOUND if none.
  virtual absl::StatusOr<std::vector<uint8_t>> Get(
      const std::string& key_id_hex, uint32_t party) = 0;
};

// Paillier / ring-Pedersen material for a DKG, waiting at most until
// `deadline` (DEADLINE_EXCEEDED); tss-enclave's ends its waits when the
// process shuts down (UNAVAILABLE, MaterialPool::EndTakes).
using MaterialSource =
    std::function<absl::StatusOr<mpc::gg20::KeygenMaterial>(absl::Time)>;

struct EnclaveLimits {
  size_t max_links = 256;
  size_t max_sessions = 64;
  size_t max_sessions_per_link = 100000;
  size_t max_presignatures = 4096;
  // Threads per presign run (PresignConfig::threads; presign.threads in the
  // enclave configuration).
  int presign_threads = 2;
  // Approvals: remembered nonces (refused beyond, see ReplayCache) and the
  // longest validity of a request (which bounds replay after a restart).
  size_t replay_cache_capacity = approval::ReplayCache::kDefaultCapacity;
  uint64_t max_approval_validity_ms = 24ull * 60 * 60 * 1000;
  absl::Duration round_deadline = absl::Seconds(60);
  // How long an established link takes new sessions (re-attestation, see
  // attestation.link_max_age_ms in the enclave configuration).
  absl::Duration link_max_age = absl::Hours(1);
};

// How the enclave makes the round-engine session of a DKG or presign run.
// Empty members mean the production constructors (gg20::NewKeygenSession,
// gg20::NewPresignSession), which is what tss-enclave always uses. The
// test-only cheating enclave (tests/node/cheating_enclave) sets them to play
// a compromised enclave through this very process; the rounds themselves
// carry no test option or hook.
struct SessionFactories {
  std::function<absl::StatusOr<std::unique_ptr<mpc::round::Session>>(
      const mpc::gg20::KeygenConfig&, mpc::RandomSource&)>
      keygen;
  std::function<absl::StatusOr<std::unique_ptr<mpc::round::Session>>(
      const mpc::gg20::PresignConfig&, mpc::RandomSource&)>
      presign;
};

struct EnclaveDeps {
  attestation::Nsm* nsm = nullptr;         // required, outlives the core
  channel::VerifyFunction verify;          // peers' documents (allowlist)
  kms::KmsInterface* kms = nullptr;        // required, outlives the core
  std::string kms_key_id;                  // wraps share data keys
  BlobHost* host = nullptr;                // required, outlives the core
  MaterialSource material;                 // required for DKG
  std::function<size_t()> material_ready;  // sets ready now (GetInfo)
  EnclaveLimits limits;
  std::string version;
  SessionFactories sessions;  // empty: the production constructors
};

class SessionRunner;

class EnclaveCore {
 public:
  static absl::StatusOr<std::unique_ptr<EnclaveCore>> Create(EnclaveDeps deps);
  ~EnclaveCore();

  absl::StatusOr<v1::GetInfoResponse> GetInfo(const v1::GetInfoRequest& req);
  absl::StatusOr<v1::OpenLinkResponse> OpenLink(const v1::OpenLinkRequest& req);
  absl::StatusOr<v1::AttestLinkResponse> AttestLink(
      const v1::AttestLinkRequest& req);
  absl::StatusOr<v1::FinishLinkResponse> FinishLink(
      const v1::FinishLinkRequest& req);
  absl::Status CloseLink(const v1::CloseLinkRequest& req);
  // The subset of req.link_ids established here and younger than
  // limits.link_max_age (older links are dropped). INVALID_ARGUMENT for
  // more than 255 ids or an id outside 1..64 bytes.
  absl::StatusOr<v1::ProbeLinksResponse> ProbeLinks(
      const v1::ProbeLinksRequest& req);

  // A protocol run (see SessionRunner). Errors: NOT_FOUND (link, key or
  // presignature), FAILED_PRECONDITION (link not established, older than
  // limits.link_max_age (it is dropped: re-link), or of the wrong
  // purpose), ALREADY_EXISTS (session id reused on the link),
  // RESOURCE_EXHAUSTED (max_sessions), INVALID_ARGUMENT. A sign's approvals
  // are checked last, after its parameters, its presignature's presence,
  // a free session slot and a session id still unused on the link (so
  // RESOURCE_EXHAUSTED and a reused session id leave them unused); only the
  // presignature itself (taken by a racing start, or made for another key
  // or signer set) is checked after them. `approvals_consumed` (optional) is
  // set to true once they passed their check and their nonce is in the replay
  // cache (then also when the start fails after that), and left alone
  // otherwise. The slot is held while the approvals' signatures are checked
  // (a start with bad approvals occupies it that long), and released on
  // every refusal.
  absl::StatusOr<std::unique_ptr<SessionRunner>> StartSession(
      const v1::StartSession& start, bool* approvals_consumed = nullptr);

  const EnclaveLimits& limits() const { return deps_.limits; }

  // Number of presignatures held (for tests and metrics).
  size_t presignature_count() const;

 private:
  friend class SessionRunner;
  struct Link;
  struct LoadedKey;
  struct HeldPresignature;

  explicit EnclaveCore(EnclaveDeps deps);
  absl::StatusOr<std::shared_ptr<Link>> FindLink(const std::string& id) const;
  // Whether `link` was established longer than limits.link_max_age ago.
  bool Expired(const Link& link) const;
  // Drops expired links, remembering their ids (mu_ held).
  void DropExpiredLinksLocked();
  absl::Status ExpiredLinkError() const;
  // The key in memory, or fetched from the host and unsealed.
  absl::StatusOr<std::shared_ptr<LoadedKey>> LoadKey(const std::string& key_id,
                                                     uint32_t party);
  absl::StatusOr<std::vector<uint8_t>> Seal(
      const mpc::gg20::KeyShare& share,
      const mpc::round::PartyIdentityKey& identity, uint64_t epoch);
  // A fresh document whose public_key is the recipient key (KMS Recipient).
  absl::StatusOr<std::vector<uint8_t>> RecipientDocument();
  // Called by runners.
  absl::StatusOr<v1::KeyInfo> AdoptKey(
      std::shared_ptr<const mpc::gg20::KeyShare> share,
      std::shared_ptr<const mpc::round::PartyIdentityKey> identity);
  void AddPresignature(const std::string& link_id,
                       std::shared_ptr<mpc::gg20::Presignature> p);
  std::shared_ptr<mpc::gg20::Presignature> TakePresignature(
      const std::string& id);
  void SessionEnded();

  EnclaveDeps deps_;
  std::unique_ptr<channel::ChannelIdentity> channel_identity_;
  std::unique_ptr<kms::RecipientKey> recipient_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Link>> links_;
  // Ids of links dropped for their age (the last 256), so that a session
  // started on one is told why (FAILED_PRECONDITION) rather than NOT_FOUND.
  std::set<std::string> expired_ids_;
  std::deque<std::string> expired_order_;
  std::map<std::string, std::shared_ptr<LoadedKey>> keys_;  // by key id hex
  std::map<std::string, std::shared_ptr<mpc::gg20::Presignature>>
      presignatures_;  // by id hex
  size_t sessions_ = 0;
  std::mutex load_mu_;  // one unseal at a time
  std::unique_ptr<approval::ReplayCache> replay_cache_;
};

// One protocol run on a link. Not thread-safe (one stream drives it). Every
// call returns the outputs to send, in order; after a result or abort,
// finished() is true. The runner keeps judging complaints after a result
// until it is destroyed: a presign run whose result is later overturned by
// a valid complaint drops its presignature and reports an abort.
class SessionRunner {
 public:
  virtual ~SessionRunner();
  // Starts the run (first messages).
  virtual absl::StatusOr<std::vector<v1::SessionOutput>> Start() = 0;
  // A peer's envelope. A non-OK status means the envelope was refused
  // (wrong session, bad tag, replay, ...) and changed nothing.
  virtual absl::StatusOr<std::vector<v1::SessionOutput>> Receive(
      const std::string& envelope) = 0;
  // The coordinator's (or the default) deadline for the current round
  // passed: aborts naming the silent parties.
  virtual absl::StatusOr<std::vector<v1::SessionOutput>> ExpireRound() = 0;
  virtual bool finished() const = 0;
  virtual uint32_t current_round() const = 0;

 protected:
  explicit SessionRunner(EnclaveCore* core) : core_(core) {}
  EnclaveCore* core_;
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_CORE_H_
