// The enclave's memory of approved request nonces. Pure code, no I/O;
// thread-safe (one cache serves every concurrent session of an enclave).
//
// Bound: a nonce is remembered until its request's expiry, and only nonces
// of requests whose approvals verified are recorded (CheckApprovals records
// after the quorum is verified), so nobody but the approvers can fill it.
// Capacity is fixed at construction. When the cache holds `capacity`
// unexpired nonces, a new request is refused with RESOURCE_EXHAUSTED; no
// unexpired nonce is ever evicted. Evicting would be the unsafe choice:
// the evicted request, still within its expiry, would be accepted again (a
// replay), and whoever can get requests approved could force that eviction
// on purpose. Refusing only delays new requests until the oldest expire,
// fails closed, and says so. Size it as at least the peak number of
// approved requests per max-validity window (VerifierOptions), e.g.
// the default 262144 is 3 requests per second sustained with 24 h
// approvals; an entry takes at most about 150 bytes (40 MB at the default).
//
// Time: the cache never lets its clock go back. It keeps the highest
// now_unix_ms it was given; expired entries are dropped against that
// high-water mark, and a request whose expiry is at or before it is refused
// (FAILED_PRECONDITION), so setting the enclave's clock back cannot revive
// a request whose nonce was dropped.
//
// Restart: the cache lives in enclave memory only and is empty after the
// enclave restarts. The issue leaves two options: persist it through the
// host as a sealed, monotonic record, or bound the replay window by
// expiry. This library takes "bounded by expiry": a request is accepted
// only while now < expiry <= now + max_validity (VerifierOptions, default
// 24 h), so after a restart a request already used can be replayed at most
// until its expiry, i.e. within max_validity of its first use, and never
// after. A sealed record would not close that window either: the host
// stores it and can hand back an older copy (the same rollback problem as
// sealed shares, issue 12 finding 5d), so it only helps with a monotonic
// counter the host cannot roll back, which a Nitro Enclave does not have
// (it would need a quorum of peer enclaves or an external service to
// confirm it); and writing it before every signature would put a host round
// trip on the signing hot path. The cost of the window is bounded: what can
// be replayed is an operation its approvers approved (the same key, digest,
// derivation path), once more. Deployments that want a shorter window lower
// max_validity (minutes are typical for signing).
//
// Nonces are compared as whole byte strings (length included) and are not
// secret, so a hash set is used; its hash is Abseil's per-process seeded
// hash, and only approved nonces are inserted.
#ifndef NITRO_TSS_NODE_APPROVAL_REPLAY_CACHE_H_
#define NITRO_TSS_NODE_APPROVAL_REPLAY_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "node/approval/request.h"

namespace nitro_tss::approval {

class ReplayCache {
 public:
  static constexpr size_t kDefaultCapacity = 262144;

  // `capacity` >= 1 (0 is taken as 1).
  explicit ReplayCache(size_t capacity = kDefaultCapacity);

  ReplayCache(const ReplayCache&) = delete;
  ReplayCache& operator=(const ReplayCache&) = delete;

  // Whether a request with `nonce` and `expiry_unix_ms` could be recorded
  // now, without recording it (the verifier calls this before the costly
  // signature checks, and Record after them): InvalidArgument if the nonce
  // is not 16..32 bytes; FailedPrecondition if expiry_unix_ms is at or
  // before the cache's clock; AlreadyExists if the nonce is remembered;
  // ResourceExhausted if the cache is full of unexpired nonces.
  absl::Status Check(absl::Span<const uint8_t> nonce, uint64_t expiry_unix_ms,
                     uint64_t now_unix_ms);

  // The same checks, then remembers `nonce` until `expiry_unix_ms`. Of two
  // concurrent calls with the same nonce exactly one succeeds.
  absl::Status Record(absl::Span<const uint8_t> nonce, uint64_t expiry_unix_ms,
                      uint64_t now_unix_ms);

  size_t capacity() const { return capacity_; }
  // Unexpired entries as of the last call (expired ones are dropped lazily).
  size_t size() const;

 private:
  // Length byte, then the nonce, zero-padded.
  using Key = std::array<uint8_t, 1 + kMaxNonceBytes>;
  using Entry = std::pair<uint64_t, Key>;  // (expiry, nonce)

  absl::Status CheckLocked(const Key& key, uint64_t expiry_unix_ms,
                           uint64_t now_unix_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<Key> nonces_ ABSL_GUARDED_BY(mu_);
  // Min-heap by expiry; exactly one entry per element of nonces_.
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> by_expiry_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace nitro_tss::approval

#endif  // NITRO_TSS_NODE_APPROVAL_REPLAY_CACHE_H_
