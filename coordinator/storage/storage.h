// The coordinator's durable state behind one interface, with two backends:
// SQLite (embedded, the default; WAL journal) and PostgreSQL 15 (libpq; for
// several coordinator replicas sharing one database).
//
// What is stored: keys, nodes, long-running operations, sign requests
// (idempotent by request id) and an append-only, hash-chained audit log.
// Resources are opaque bytes (`data`: the serialized API protobuf, which this
// library never parses) plus the few indexed columns the coordinator queries
// (name, state, done, times, versions, leases).
//
// Contract shared by every method (both backends behave identically; the
// same test suite, tests/coordinator/storage/storage_contract_test.cc, runs
// against both):
//   - Thread-safe: any method may be called from any thread concurrently.
//     Several Storage instances (threads, processes, coordinator replicas)
//     may share one database; the compare-and-set, claim, idempotency and
//     audit-chain guarantees below hold across them.
//   - Every argument is validated before any I/O (limits below);
//     INVALID_ARGUMENT names the field and never quotes its bytes.
//   - Names are "<collection>/<id>" with collection "keys", "nodes" or
//     "operations" as the method says; <id> is 1+ characters of
//     [A-Za-z0-9._~-] in '/'-separated non-empty segments; the whole name is
//     at most kMaxNameBytes. Other identifiers (state, lease owner, request
//     id, audit actor/action/resource/outcome) are printable ASCII
//     (0x20..0x7E) within their limits.
//   - Times are stored with microsecond precision (absl::ToUnixMicros, read
//     back with absl::FromUnixMicros) and must be finite.
//   - Error codes a caller acts on:
//       INVALID_ARGUMENT   a bad argument or page token; do not retry as is.
//       NOT_FOUND          the named record does not exist.
//       ALREADY_EXISTS     a create for a name/id that exists (for sign
//                          requests: the id is taken by a different request).
//       ABORTED            a lost compare-and-set, a claim held by another
//                          owner, or a concurrency conflict: re-read, retry.
//       FAILED_PRECONDITION the record is in a state that forbids the call
//                          (operation done, sign request completed), or the
//                          database's schema is newer than this code.
//       UNAVAILABLE        the database cannot be reached or is busy
//                          (connection failure, lock timeout): retry later;
//                          the next call reconnects.
//       DATA_LOSS          a stored row does not decode (corruption or
//                          tampering outside this API).
//       RESOURCE_EXHAUSTED the database is out of space or resources.
//       INTERNAL           anything else the database reports.
//   - Nothing is ever deleted through this API; the audit log additionally
//     refuses UPDATE/DELETE in the database itself (triggers).
#ifndef NITRO_TSS_COORDINATOR_STORAGE_STORAGE_H_
#define NITRO_TSS_COORDINATOR_STORAGE_STORAGE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nitro_tss::coordinator::storage {

// ---- Limits (bytes unless stated) ----
inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxDataBytes = 1 << 20;  // any `data` / result blob
inline constexpr size_t kMaxStateBytes = 64;
inline constexpr size_t kMaxLeaseOwnerBytes = 128;
inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kRequestDigestBytes = 32;   // SHA-256
inline constexpr size_t kMaxAuditFieldBytes = 256;  // actor/action/...
inline constexpr size_t kMaxAuditPayloadBytes = 256 * 1024;
inline constexpr size_t kAuditHashBytes = 32;  // SHA-256
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
// A page stops early (with a next_page_token) once its `data` bytes reach
// this, so a page fits a default 4 MiB gRPC message; it always holds at
// least one item.
inline constexpr size_t kMaxPageDataBytes = 3 << 20;

// ---- Records ----

// A key resource ("keys/<id>").
struct KeyRecord {
  std::string name;
  std::string state;  // 1..kMaxStateBytes of [A-Z0-9_], e.g. "ACTIVE"
  std::string data;   // serialized resource, 0..kMaxDataBytes
  absl::Time create_time = absl::UnixEpoch();
  absl::Time update_time = absl::UnixEpoch();
  int64_t version = 0;  // set by the storage: 1 at creation, +1 per update
};

// A node resource ("nodes/<id>"): the coordinator's view of one node.
struct NodeRecord {
  std::string name;
  std::string data;  // 0..kMaxDataBytes
  absl::Time update_time = absl::UnixEpoch();
};

// A long-running operation ("operations/<id>").
struct OperationRecord {
  std::string name;
  bool done = false;
  std::string data;  // serialized operation, 0..kMaxDataBytes
  absl::Time create_time = absl::UnixEpoch();
  absl::Time update_time = absl::UnixEpoch();
  // Set by the storage: 1 at creation, +1 per UpdateOperation and per
  // successful ClaimOperation (so a claim invalidates an older owner's
  // pending compare-and-set).
  int64_t version = 0;
  // The replica working on the operation ("" = never claimed) and until when
  // its claim holds. Changed only by ClaimOperation.
  std::string lease_owner;
  absl::Time lease_until = absl::UnixEpoch();
};

enum class OperationFilter { kAll, kDone, kNotDone };

// A sign request, recorded before any signing so a retry with the same
// request id returns the first request's outcome instead of a second
// signature.
struct SignRequestRecord {
  std::string request_id;      // 1..kMaxRequestIdBytes of [A-Za-z0-9._~-]
  std::string key;             // the key's name ("keys/<id>")
  std::string request_digest;  // kRequestDigestBytes: hash of the request
  std::string data;            // serialized request, 0..kMaxDataBytes
  absl::Time create_time = absl::UnixEpoch();
  // Set only by CompleteSignRequest.
  bool completed = false;
  std::string result;  // serialized result, 0..kMaxDataBytes
  absl::Time complete_time = absl::UnixEpoch();
};

struct PutSignRequestResult {
  SignRequestRecord record;  // as stored (the existing one when !inserted)
  bool inserted = false;     // true: this call created it
};

// What AppendAudit is given.
struct AuditEvent {
  absl::Time time = absl::UnixEpoch();
  std::string actor;     // who asked, 1..kMaxAuditFieldBytes
  std::string action;    // e.g. "Sign", 1..kMaxAuditFieldBytes
  std::string resource;  // e.g. "keys/abc", 0..kMaxAuditFieldBytes
  std::string outcome;   // e.g. "OK", "PERMISSION_DENIED", 1..limit
  std::string payload;   // details (approvals, culprits...), 0..limit
};

// One entry of the audit log. hash = ComputeAuditHash(entry)
// (coordinator/storage/audit_hash.h); prev_hash = the previous entry's hash
// (32 zero bytes for seq 1).
struct AuditEntry {
  int64_t seq = 0;  // 1, 2, 3, ... without gaps
  absl::Time time = absl::UnixEpoch();
  std::string actor;
  std::string action;
  std::string resource;
  std::string outcome;
  std::string payload;
  std::string prev_hash;
  std::string hash;
};

// Result of VerifyAuditChain.
struct AuditChainCheck {
  int64_t head_seq = 0;          // the head's seq when the check started
  int64_t verified_through = 0;  // last seq whose link verified
  int64_t first_broken_seq = 0;  // 0 when the chain is intact
  std::string problem;           // why first_broken_seq is broken
  bool intact() const { return first_broken_seq == 0; }
};

// page_size: 0 = kDefaultPageSize, above kMaxPageSize = kMaxPageSize,
// negative = INVALID_ARGUMENT. page_token: "" for the first page, else the
// next_page_token of the previous page of the same List call with the same
// filter (anything else is INVALID_ARGUMENT).
struct PageRequest {
  int page_size = 0;
  std::string page_token;
};

template <typename T>
struct Page {
  std::vector<T> items;         // in ascending name order
  std::string next_page_token;  // "" on the last page
};

class Storage {
 public:
  virtual ~Storage() = default;

  // "sqlite" or "postgres".
  virtual absl::string_view backend() const = 0;

  // ---- Keys ----

  // Stores a new key. Uses name, state, data, create_time; sets
  // update_time = create_time and version = 1 and returns the stored record.
  // ALREADY_EXISTS if the name exists.
  virtual absl::StatusOr<KeyRecord> CreateKey(const KeyRecord& key) = 0;
  // Replaces state, data and update_time of key.name if its version is
  // `expected_version`; returns the stored record (version + 1). NOT_FOUND,
  // ABORTED when the version differs.
  virtual absl::StatusOr<KeyRecord> UpdateKey(const KeyRecord& key,
                                              int64_t expected_version) = 0;
  // NOT_FOUND if absent.
  virtual absl::StatusOr<KeyRecord> GetKey(absl::string_view name) = 0;
  virtual absl::StatusOr<Page<KeyRecord>> ListKeys(const PageRequest& page) = 0;

  // ---- Nodes ----

  // Inserts or replaces node.name unless the stored record has a later
  // update_time (then ABORTED: a newer view exists; re-read). Returns the
  // stored record.
  virtual absl::StatusOr<NodeRecord> UpsertNode(const NodeRecord& node) = 0;
  virtual absl::StatusOr<NodeRecord> GetNode(absl::string_view name) = 0;
  virtual absl::StatusOr<Page<NodeRecord>> ListNodes(
      const PageRequest& page) = 0;

  // ---- Operations ----

  // Stores a new operation from name, done, data, create_time; sets
  // update_time = create_time, version = 1, no lease. ALREADY_EXISTS.
  virtual absl::StatusOr<OperationRecord> CreateOperation(
      const OperationRecord& op) = 0;
  virtual absl::StatusOr<OperationRecord> GetOperation(
      absl::string_view name) = 0;
  virtual absl::StatusOr<Page<OperationRecord>> ListOperations(
      OperationFilter filter, const PageRequest& page) = 0;
  // Compare-and-set: replaces done, data and update_time of op.name if its
  // stored version is `expected_version`, returns the stored record (version
  // + 1). NOT_FOUND; ABORTED when the version differs (another writer or a
  // claim came first: re-read); FAILED_PRECONDITION when the version matches
  // but the operation is already done (done is final, so of two replicas
  // racing to finish an operation exactly one succeeds).
  virtual absl::StatusOr<OperationRecord> UpdateOperation(
      const OperationRecord& op, int64_t expected_version) = 0;
  // Takes (or renews) the lease on an operation that is not done: succeeds
  // when it is unclaimed, already held by `owner`, or its lease_until <=
  // `now`; sets lease_owner = owner, lease_until = lease_until, version + 1
  // and returns the stored record. `now` is the caller's clock (replicas
  // should keep theirs in sync and leave margin). NOT_FOUND;
  // FAILED_PRECONDITION when done; ABORTED when another owner's lease is
  // still live. Renewing with lease_until <= now releases the lease.
  virtual absl::StatusOr<OperationRecord> ClaimOperation(
      absl::string_view name, absl::string_view owner, absl::Time now,
      absl::Time lease_until) = 0;

  // ---- Sign requests ----

  // Stores `request` (request_id, key, request_digest, data, create_time;
  // completed/result ignored) unless its request_id exists. If it exists
  // with the same key and request_digest, returns the stored record with
  // inserted = false (a retry: its result, once completed, is the answer);
  // with a different key or digest, ALREADY_EXISTS (the id belongs to
  // another request). Of concurrent calls with one id exactly one inserts.
  virtual absl::StatusOr<PutSignRequestResult> PutSignRequestIfAbsent(
      const SignRequestRecord& request) = 0;
  virtual absl::StatusOr<SignRequestRecord> GetSignRequest(
      absl::string_view request_id) = 0;
  // Records the result once: NOT_FOUND; FAILED_PRECONDITION when already
  // completed (of concurrent calls exactly one succeeds). Returns the stored
  // record.
  virtual absl::StatusOr<SignRequestRecord> CompleteSignRequest(
      absl::string_view request_id, absl::string_view result,
      absl::Time complete_time) = 0;
  // CompleteSignRequest and AppendAudit(`audit`) as one atomic write: both
  // are stored or neither (one commit, one fsync, instead of two). Errors:
  // those of either; on any error nothing is stored. Returns the completed
  // record and the appended entry.
  virtual absl::StatusOr<std::pair<SignRequestRecord, AuditEntry>>
  CompleteSignRequestWithAudit(absl::string_view request_id,
                               absl::string_view result,
                               absl::Time complete_time,
                               const AuditEvent& audit) = 0;

  // ---- Audit log ----

  // Appends one entry: seq = last seq + 1, prev_hash = last hash, hash =
  // ComputeAuditHash. Appends are serialised across all Storage instances
  // on the database (one chain, no gaps, no forks). Returns the entry.
  virtual absl::StatusOr<AuditEntry> AppendAudit(const AuditEvent& event) = 0;
  // Entries with seq >= from_seq (>= 1) in seq order, at most `limit`
  // (0 = kDefaultPageSize, capped at kMaxPageSize; negative is
  // INVALID_ARGUMENT), as stored (not verified: see VerifyAuditChain).
  virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit(int64_t from_seq,
                                                            int limit) = 0;
  // Recomputes the chain from seq 1 up to the head (the last appended seq
  // and hash, kept in a separate row) read at the start: every seq present
  // once in order, every field within its limits, prev_hash linking to the
  // previous hash, hash matching the recomputation, the head matching the
  // last entry. An error status only when the database cannot be read; a
  // broken chain is reported in the result (first_broken_seq, problem).
  virtual absl::StatusOr<AuditChainCheck> VerifyAuditChain() = 0;
};

struct SqliteOptions {
  // How long a write waits for another connection's write lock before the
  // call fails with UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(10);
  // Connections this Storage keeps (1 serialises all calls of this
  // instance; SQLite serialises writers anyway).
  int max_connections = 1;
};

// Opens (creating if needed) the SQLite database at `path` (a file; its
// directory must exist) in WAL mode with synchronous=FULL, and creates or
// migrates the schema. UNAVAILABLE when the file cannot be opened;
// FAILED_PRECONDITION when its schema is newer than this code.
absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteStorage(
    const std::string& path, const SqliteOptions& options = {});

struct PostgresOptions {
  // Connections this Storage opens at most (more callers wait for one).
  int max_connections = 4;
};

// Connects to PostgreSQL (>= 15) with the libpq connection string
// `conninfo` (e.g. "host=/run/postgresql dbname=tss connect_timeout=5";
// put connect_timeout there) and creates or migrates the schema (serialised
// by an advisory lock, so replicas may open concurrently). UNAVAILABLE when
// the server cannot be reached; FAILED_PRECONDITION when the schema is newer.
absl::StatusOr<std::unique_ptr<Storage>> OpenPostgresStorage(
    const std::string& conninfo, const PostgresOptions& options = {});

// The schema version this code creates and reads.
inline constexpr int64_t kSchemaVersion = 1;

}  // namespace nitro_tss::coordinator::storage

#endif  // NITRO_TSS_COORDINATOR_STORAGE_STORAGE_H_
