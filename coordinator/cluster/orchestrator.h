// Orchestration: what the coordinator does with the nodes' enclaves to make
// a key or a signature, through the relay (coordinator/relay).
//
//  - CreateKey: an attested DKG link among the key's nodes, one DKG run;
//    every enclave seals its share (KMS) and its host stores it before it
//    reports. All must report the same key.
//  - Sign: picks t+1 healthy nodes of the key, reuses (or establishes) an
//    attested link for that signer set, takes a ready presignature from the
//    set's pool or runs a presign, then the online signing run. Before the
//    runs it makes sure the signers still hold the link: a link lost in an
//    enclave restart is replaced first, since a signing run on it would
//    fail after the live signers had consumed the approvals (their replay
//    cache). It asks them (ProbeLinks) unless every signer's connection
//    stayed up since they last confirmed it (a restart ends the
//    connection: NodeSet::ConnectionEpoch). The result
//    is checked (every signer reported the same signature, and it verifies
//    under the key with libsecp256k1) before it is returned.
//    On an abort it excludes culprits by their code's action: `exclude` (a
//    bad proof, equivocation, ...) takes the node out of this key's signer
//    sets until an operator readmits it (Readmit; counts an alert);
//    `retry` (a silent party) avoids it for this request. A party whose
//    stream died during a run (its enclave crashed or became unreachable)
//    is named `silent` with action `retry` by the orchestrator itself: the
//    relay cancels the other streams at once instead of waiting for their
//    round deadline to say the same. Then it retries with another signer
//    set (at most `max_attempts` runs). Refused approvals
//    (PERMISSION_DENIED) are never retried. Approvals are single-use (each
//    enclave records their nonce in its replay cache when they pass its
//    check, at the start of the signing run): a failed signing run is
//    retried with the same approvals only when no signer's start got past
//    that check (each enclave's session end says so; an end that never
//    came counts as past it unless its code is a refusal before it); once
//    any signer got (or may have got) past it, or refused the approvals as
//    used before, the Sign ends ABORTED
//    and asks for fresh approvals, naming the run's failure and the
//    culprits (spent_approvals.h says how each session end is read). A
//    failed presign run or link never saw the approvals: retried.
//  - Exclusions are per key. The durable copy is the caller's (the service
//    keeps them in the key's record and hands them back in KeyPlan):
//    RegisterKey / Sign take the plan's list, plus the exclusions made here
//    that the caller has not yet confirmed stored (PendingExclusions,
//    ExclusionStored), so a concurrent Sign with an older plan cannot
//    readmit a node by accident.
//  - Presignature pools per (key, signer set): `RefillPools` tops every
//    pool up to its target, one presign run at a time and always for the
//    emptiest pool (refill_order.h: a pool drained by a burst comes before
//    another key's top-up), until `StopRefills`; a presignature is handed
//    to exactly one Sign.
//    The refill yields to signing: it starts no presign run for a pool
//    while a Sign is in flight, or ended less than 100 ms ago
//    (kRefillQuietTime: a client signing one request after another leaves
//    sub-millisecond gaps, which are no pause), and the pool still holds
//    more than a quarter of its target (the low-water mark). It never waits
//    for that: it moves on to the next pool and looks again at its next
//    call (tss-coordinator calls RefillPools every 500 ms), so a pool that
//    no Sign drains cannot hold back another key's. Why this is sound: a
//    presign run costs about as much CPU as 100 pool signatures, so during a
//    burst the refill cannot keep up anyway (it adds a few presignatures a
//    second while hundreds are taken) and only slows the Signs the pool exists
//    for; in a pause of the load it runs as before; and a load that keeps a
//    Sign in flight at every moment (hundreds a second) empties any pool within
//    seconds whatever the refill does, so the mark only decides when the refill
//    starts competing, and at or below it it runs regardless (no starvation).
//    The enclaves also run presign rounds at a lower CPU priority.
//    A pool whose enclave restarted loses its presignatures (the enclave
//    answers "no such presignature"): the pool is emptied and the Sign
//    falls back to presigning.
//
// Nothing here can sign: the coordinator only sees public keys, opaque
// envelopes and results.
#ifndef NITRO_TSS_COORDINATOR_CLUSTER_ORCHESTRATOR_H_
#define NITRO_TSS_COORDINATOR_CLUSTER_ORCHESTRATOR_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coordinator/cluster/nodes.h"
#include "coordinator/relay/relay.h"
#include "nitro_tss/approval/v1/approval.pb.h"
#include "nitro_tss/v1/custody.pb.h"

namespace nitro_tss::coordinator {

struct OrchestratorOptions {
  absl::Duration round_deadline = absl::Seconds(30);
  // DKG rounds compute for long without sending (Paillier and ring-Pedersen
  // proofs): their own, longer, no-progress deadline.
  absl::Duration dkg_round_deadline = absl::Minutes(2);
  absl::Duration dkg_deadline = absl::Minutes(10);
  absl::Duration sign_deadline = absl::Minutes(2);
  absl::Duration link_rpc_timeout = absl::Seconds(60);
  int max_attempts = 3;
  // Presignatures kept ready per (key, signer set); 0: no pools.
  uint32_t pool_target = 0;
  RelayFilter filter;  // tests only (fault injection)
};

// A node taken out of a key's signer sets after a culprit with action
// `exclude` named it.
struct Exclusion {
  std::string key_id;  // hex
  std::string node_id;
  std::string code;    // the culprit code, e.g. "bad_proof"
  std::string reason;  // the reporting enclave's reason
  absl::Time time = absl::UnixEpoch();
};

// What the orchestrator needs to know of a key.
struct KeyPlan {
  std::string key_id;  // hex
  uint32_t threshold = 0;
  std::vector<std::string> node_ids;  // party order
  approval::v1::ApprovalPolicy policy;
  std::string public_key;  // compressed, 33 bytes
  // Nodes excluded from the key, as stored (never chosen to sign).
  std::vector<Exclusion> excluded = {};
};

// A culprit named by an abort, by node.
struct CulpritRecord {
  std::string node_id;
  std::string code;
  std::string action;
  std::string reason;
};

struct SignInput {
  std::string message;  // or
  std::string digest;   // 32 bytes
  v1::HashFunction hash = v1::HASH_FUNCTION_UNSPECIFIED;
  approval::v1::ApprovalBundle approvals;
};

struct SignOutcome {
  v1::Signature signature;
  std::vector<std::string> signers;  // node ids
  int runs = 0;                      // protocol runs it took
  bool from_pool = false;
  std::vector<CulpritRecord> culprits;  // of failed attempts
};

// Stage callback for CreateKey (LINKING, GENERATING).
using ProgressFn = std::function<void(v1::CreateKeyMetadata::Stage)>;

class Orchestrator {
 public:
  Orchestrator(NodeSet* nodes, OrchestratorOptions options);

  // Runs a DKG among `node_ids` (2..255 known nodes) with threshold `t`
  // (1 <= t < n). Returns the key every enclave reported. Errors:
  // InvalidArgument (bad plan), FailedPrecondition (a node unhealthy),
  // Aborted with the culprits in `culprits` (a DKG abort), Unavailable (a
  // node unreachable), Internal (enclaves disagree on the key).
  absl::StatusOr<enclave::v1::KeyInfo> CreateKey(
      const std::vector<std::string>& node_ids, uint32_t threshold,
      const approval::v1::ApprovalPolicy& policy, const ProgressFn& progress,
      std::vector<CulpritRecord>* culprits);

  // Signs `input` with `key` (see the file comment). Errors:
  // PermissionDenied (approvals refused, nothing signed), FailedPrecondition
  // (fewer than t+1 usable nodes), InvalidArgument (the enclaves refused
  // the request as malformed), Aborted (a signing run failed after a signer
  // had checked, and so consumed, the approvals, or the enclaves refused
  // them as already used: no retry with them can sign; the message says
  // fresh approvals are needed and names the run's failure and culprits),
  // Unavailable (every attempt failed before the approvals were checked;
  // culprits in the status message). `culprits` (optional) receives every
  // culprit the attempts named, also when the Sign fails.
  absl::StatusOr<SignOutcome> Sign(
      const KeyPlan& key, const SignInput& input,
      std::vector<CulpritRecord>* culprits = nullptr);

  // Tops up every known key's preferred signer set pool to the target
  // (keys are registered by Sign and by RegisterKey). Returns the number of
  // presignatures made.
  int RefillPools();
  // Ends refills for good (shutdown): a RefillPools running now returns
  // after the presign run it is in, later ones return 0 at once.
  void StopRefills();
  // Remembers `key` (for pools) and takes its exclusions (see above).
  void RegisterKey(const KeyPlan& key);
  // Ids of the keys registered (sorted).
  std::vector<std::string> KeyIds() const;
  // Ready presignatures for `key_id` over all its signer sets.
  size_t PoolSize(const std::string& key_id) const;

  // Nodes excluded from a key after a culprit with action `exclude`.
  std::set<std::string> Excluded(const std::string& key_id) const;
  // The same with why and when, by node id.
  std::map<std::string, Exclusion> Exclusions(const std::string& key_id) const;
  // Every key's exclusion of `node_id` (for GetNode), by key id.
  std::vector<Exclusion> ExclusionsOfNode(const std::string& node_id) const;
  // Exclusions made here that the caller has not yet stored, oldest first;
  // ExclusionStored(key, node) drops one once stored.
  std::vector<Exclusion> PendingExclusions() const;
  void ExclusionStored(const std::string& key_id, const std::string& node_id);
  // Takes `node_id` back into the key's signer sets. Returns whether it was
  // excluded here.
  bool Readmit(const std::string& key_id, const std::string& node_id);

  struct Counters {
    std::atomic<uint64_t> runs{0};
    std::atomic<uint64_t> aborts{0};
    std::atomic<uint64_t> presign_runs{0};
    std::atomic<uint64_t> pool_hits{0};
    std::atomic<uint64_t> pool_misses{0};
    std::atomic<uint64_t> links{0};
    std::atomic<uint64_t> exclusions{0};
    std::atomic<uint64_t> link_probes{0};
    // Times a refill left a pool for its next call because Signs were in
    // flight (YieldsToSigns).
    std::atomic<uint64_t> refill_deferrals{0};
  };
  const Counters& counters() const { return counters_; }
  // Aborts by (culprit node, code), for metrics.
  std::map<std::pair<std::string, std::string>, uint64_t> CulpritCounts() const;

 private:
  struct Link {
    std::string id;
    std::deque<std::string> presignatures;  // ready, on this link
    // The signers' connection epochs (NodeSet::ConnectionEpoch) when every
    // signer was last seen holding the link; empty: never confirmed.
    std::map<std::string, uint64_t> epochs;
    // An enclave refused a session on it for the link's session limit
    // (limits.max_sessions_per_link): EnsureLink replaces it, keeping the
    // presignatures (bound to the key and signer set, not to the link).
    bool exhausted = false;
  };
  // key id -> signer set (sorted node ids) -> link
  using SignerSet = std::vector<std::string>;

  absl::StatusOr<SignOutcome> SignAttempts(const KeyPlan& key,
                                           const SignInput& input,
                                           SignOutcome& outcome);
  absl::StatusOr<std::vector<std::string>> ChooseSigners(
      const KeyPlan& key, const std::set<std::string>& avoid) const;
  absl::StatusOr<std::string> EnsureLink(const KeyPlan& key,
                                         const SignerSet& signers);
  void DropLink(const std::string& key_id, const SignerSet& signers);
  // Marks `link_id` (if still the signers' link) exhausted.
  void RetireLink(const std::string& key_id, const SignerSet& signers,
                  const std::string& link_id);
  // Forgets or retires the signers' link as a run's failure `s` asks:
  // dropped for an unknown link, retired for an exhausted one.
  void OnLinkFailure(const std::string& key_id, const SignerSet& signers,
                     const std::string& link_id, const absl::Status& s);
  // Whether every signer still holds `link_id` (ProbeLinks; an RPC failure
  // counts as no).
  bool LinkEstablishedAtAll(const SignerSet& signers,
                            const std::string& link_id);
  // Whether the signers still hold the link: without asking when every
  // signer's connection stayed up since they were last seen holding it (a
  // restarted enclave lost its links, and its connection with them),
  // else by ProbeLinks.
  bool LinkStillHeld(const std::string& key_id, const SignerSet& signers,
                     const std::string& link_id);
  EnclaveSet EnclavesFor(const SignerSet& signers);
  std::string NewId(absl::string_view prefix) const;
  // Presign on a link; returns the presignature id.
  absl::StatusOr<std::string> Presign(const KeyPlan& key,
                                      const SignerSet& signers,
                                      const std::string& link,
                                      std::vector<CulpritRecord>* culprits,
                                      std::set<std::string>* avoid);
  void RecordCulprits(const std::string& key_id,
                      const std::map<uint32_t, SessionOutcome>& outcomes,
                      std::vector<CulpritRecord>* culprits,
                      std::set<std::string>* avoid);
  RunOptions Run(absl::Duration deadline, absl::Duration round) const;
  // Before a refill's presign run for (key, signers): true (and counted in
  // refill_deferrals) when a Sign is in flight or ended less than
  // kRefillQuietTime ago and that pool holds more than a quarter of its
  // target (see the file comment). Never blocks.
  bool YieldsToSigns(const std::string& key_id, const SignerSet& signers);

  NodeSet* nodes_;
  OrchestratorOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<SignerSet, Link>> links_;
  std::map<std::string, KeyPlan> keys_;
  // key id -> node id -> why
  std::map<std::string, std::map<std::string, Exclusion>> excluded_;
  std::vector<Exclusion> pending_exclusions_;  // not yet stored by the caller
  std::map<std::pair<std::string, std::string>, uint64_t> culprit_counts_;
  Counters counters_;
  std::atomic<bool> refills_stopped_{false};
  // Sign calls in flight and when the last one ended (a monotonic clock), for
  // YieldsToSigns. Never held together with mu_.
  std::mutex signing_mu_;
  int signs_in_flight_ = 0;  // guarded by signing_mu_
  std::chrono::steady_clock::time_point last_sign_end_ = {};  // signing_mu_
  // How long no Sign must have been in flight before a refill's presign
  // run starts above the mark: sequential Signs leave gaps of well under a
  // millisecond between them, which are no pause in the load.
  static constexpr std::chrono::milliseconds kRefillQuietTime{100};
};

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_CLUSTER_ORCHESTRATOR_H_
