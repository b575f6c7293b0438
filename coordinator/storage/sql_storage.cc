#include "coordinator/storage/sql_storage.h"

#include <condition_variable>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/storage/audit_hash.h"
#include "coordinator/storage/page_token.h"
#include "coordinator/storage/validation.h"

namespace nitro_tss::coordinator::storage::internal {
namespace {

// ---- Connection pool ----

class ConnectionPool {
 public:
  ConnectionPool(SqlConnectionFactory factory, int max_connections)
      : factory_(std::move(factory)),
        max_connections_(max_connections < 1 ? 1 : max_connections) {}

  // A connection borrowed from the pool; returned (or dropped when
  // unhealthy) on destruction.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<SqlConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->Release(std::move(conn_));
    }
    SqlConnection* operator->() { return conn_.get(); }
    SqlConnection& operator*() { return *conn_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<SqlConnection> conn_;
  };

  // Adds an already open connection (the one Open migrated with).
  void Adopt(std::unique_ptr<SqlConnection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    ++open_;
    idle_.push_back(std::move(conn));
  }

  absl::StatusOr<Lease> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
    if (!idle_.empty()) {
      std::unique_ptr<SqlConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    absl::StatusOr<std::unique_ptr<SqlConnection>> conn = factory_();
    if (!conn.ok()) {
      lock.lock();
      --open_;
      cv_.notify_one();
      return conn.status();
    }
    return Lease(this, *std::move(conn));
  }

 private:
  void Release(std::unique_ptr<SqlConnection> conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->healthy()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    cv_.notify_one();
  }

  const SqlConnectionFactory factory_;
  const int max_connections_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  int open_ = 0;
};

// ---- Row decoding ----

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// Reads the columns of one row in order; the first type mismatch is kept as
// a DATA_LOSS status (a row written outside this API).
class RowReader {
 public:
  RowReader(const SqlRow& row, absl::string_view table)
      : row_(row), table_(table) {}

  int64_t Int() {
    const SqlValue* v = Next(SqlValue::Type::kInt);
    return v ? v->i : 0;
  }
  bool Bool() {
    const int64_t i = Int();
    if (i != 0 && i != 1) Fail("a flag that is neither 0 nor 1");
    return i == 1;
  }
  absl::Time Time() { return absl::FromUnixMicros(Int()); }
  std::string Text() {
    const SqlValue* v = Next(SqlValue::Type::kText);
    return v ? v->s : std::string();
  }
  std::string Blob() {
    const SqlValue* v = Next(SqlValue::Type::kBlob);
    return v ? v->s : std::string();
  }
  absl::Status status() const { return status_; }

 private:
  const SqlValue* Next(SqlValue::Type type) {
    const size_t i = next_++;
    if (i >= row_.size()) {
      Fail(absl::StrCat("column ", i, " missing"));
      return nullptr;
    }
    if (row_[i].type != type) {
      Fail(absl::StrCat("column ", i, " has an unexpected type"));
      return nullptr;
    }
    return &row_[i];
  }
  void Fail(absl::string_view why) {
    if (status_.ok()) {
      status_ = absl::DataLossError(
          absl::StrCat(table_, ": stored row does not decode: ", why));
    }
  }

  const SqlRow& row_;
  absl::string_view table_;
  size_t next_ = 0;
  absl::Status status_;
};

constexpr char kKeyCols[] =
    "name, state, data, create_time, update_time, version";
constexpr char kNodeCols[] = "name, data, update_time";
constexpr char kOperationCols[] =
    "name, done, data, create_time, update_time, version, lease_owner, "
    "lease_until";
constexpr char kSignCols[] =
    "request_id, key_name, request_digest, data, create_time, completed, "
    "result, complete_time";
constexpr char kAuditCols[] =
    "seq, time, actor, action, resource, outcome, payload, prev_hash, hash";

absl::StatusOr<KeyRecord> DecodeKey(const SqlRow& row) {
  RowReader r(row, "keys");
  KeyRecord k;
  k.name = r.Text();
  k.state = r.Text();
  k.data = r.Blob();
  k.create_time = r.Time();
  k.update_time = r.Time();
  k.version = r.Int();
  RETURN_IF_ERROR(r.status());
  return k;
}

absl::StatusOr<NodeRecord> DecodeNode(const SqlRow& row) {
  RowReader r(row, "nodes");
  NodeRecord n;
  n.name = r.Text();
  n.data = r.Blob();
  n.update_time = r.Time();
  RETURN_IF_ERROR(r.status());
  return n;
}

absl::StatusOr<OperationRecord> DecodeOperation(const SqlRow& row) {
  RowReader r(row, "operations");
  OperationRecord op;
  op.name = r.Text();
  op.done = r.Bool();
  op.data = r.Blob();
  op.create_time = r.Time();
  op.update_time = r.Time();
  op.version = r.Int();
  op.lease_owner = r.Text();
  op.lease_until = r.Time();
  RETURN_IF_ERROR(r.status());
  return op;
}

absl::StatusOr<SignRequestRecord> DecodeSignRequest(const SqlRow& row) {
  RowReader r(row, "sign_requests");
  SignRequestRecord s;
  s.request_id = r.Text();
  s.key = r.Text();
  s.request_digest = r.Blob();
  s.data = r.Blob();
  s.create_time = r.Time();
  s.completed = r.Bool();
  s.result = r.Blob();
  s.complete_time = r.Time();
  RETURN_IF_ERROR(r.status());
  return s;
}

absl::StatusOr<AuditEntry> DecodeAudit(const SqlRow& row) {
  RowReader r(row, "audit_log");
  AuditEntry e;
  e.seq = r.Int();
  e.time = r.Time();
  e.actor = r.Text();
  e.action = r.Text();
  e.resource = r.Text();
  e.outcome = r.Text();
  e.payload = r.Blob();
  e.prev_hash = r.Blob();
  e.hash = r.Blob();
  RETURN_IF_ERROR(r.status());
  return e;
}

// The audit head: the last appended seq and hash.
struct AuditHead {
  int64_t seq = 0;
  std::string hash;
};

absl::StatusOr<AuditHead> DecodeAuditHead(const std::vector<SqlRow>& rows) {
  if (rows.size() != 1) {
    return absl::DataLossError("audit_head: the head row is missing");
  }
  RowReader r(rows[0], "audit_head");
  AuditHead head;
  head.seq = r.Int();
  head.hash = r.Blob();
  RETURN_IF_ERROR(r.status());
  if (head.seq < 0 || head.hash.size() != kAuditHashBytes) {
    return absl::DataLossError("audit_head: malformed head row");
  }
  return head;
}

// The entry an event becomes (seq and hashes are set when it is appended).
AuditEntry EntryOf(const AuditEvent& event) {
  AuditEntry entry;
  entry.time = event.time;
  entry.actor = event.actor;
  entry.action = event.action;
  entry.resource = event.resource;
  entry.outcome = event.outcome;
  entry.payload = event.payload;
  return entry;
}

// The event an entry was made from.
AuditEvent EventOf(const AuditEntry& entry) {
  AuditEvent event;
  event.time = entry.time;
  event.actor = entry.actor;
  event.action = entry.action;
  event.resource = entry.resource;
  event.outcome = entry.outcome;
  event.payload = entry.payload;
  return event;
}

// Checks one stored entry's fields (the limits AppendAudit enforced).
absl::Status CheckStoredAuditFields(const AuditEntry& e) {
  RETURN_IF_ERROR(ValidateAuditEvent(EventOf(e)));
  if (e.prev_hash.size() != kAuditHashBytes ||
      e.hash.size() != kAuditHashBytes) {
    return absl::InvalidArgumentError("a hash is not 32 bytes");
  }
  return absl::OkStatus();
}

// ---- The Storage ----

class SqlStorage final : public Storage {
 public:
  SqlStorage(SqlDialect dialect, SqlConnectionFactory factory,
             int max_connections)
      : dialect_(std::move(dialect)),
        pool_(std::move(factory), max_connections) {}

  absl::Status Init(std::unique_ptr<SqlConnection> conn) {
    RETURN_IF_ERROR(Migrate(*conn));
    pool_.Adopt(std::move(conn));
    return absl::OkStatus();
  }

  absl::string_view backend() const override { return dialect_.backend; }

  // ---- Keys ----

  absl::StatusOr<KeyRecord> CreateKey(const KeyRecord& key) override {
    RETURN_IF_ERROR(ValidateKey(key));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(absl::StrCat("INSERT INTO keys (", kKeyCols,
                              ") VALUES ($1, $2, $3, $4, $4, 1) "
                              "ON CONFLICT (name) DO NOTHING RETURNING ",
                              kKeyCols),
                 {SqlParam::Text(key.name), SqlParam::Text(key.state),
                  SqlParam::Blob(key.data),
                  SqlParam::Int(Micros(key.create_time))}));
    if (rows.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("key ", key.name, " already exists"));
    }
    return DecodeKey(rows[0]);
  }

  absl::StatusOr<KeyRecord> UpdateKey(const KeyRecord& key,
                                      int64_t expected_version) override {
    RETURN_IF_ERROR(ValidateKey(key));
    RETURN_IF_ERROR(CheckExpectedVersion(expected_version));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(
            absl::StrCat("UPDATE keys SET state = $2, data = $3, "
                         "update_time = $4, version = version + 1 "
                         "WHERE name = $1 AND version = $5 RETURNING ",
                         kKeyCols),
            {SqlParam::Text(key.name), SqlParam::Text(key.state),
             SqlParam::Blob(key.data), SqlParam::Int(Micros(key.update_time)),
             SqlParam::Int(expected_version)}));
    if (!rows.empty()) return DecodeKey(rows[0]);
    ASSIGN_OR_RETURN(KeyRecord current, GetKey(key.name));
    return absl::AbortedError(absl::StrCat("key ", key.name, " is at version ",
                                           current.version, ", not ",
                                           expected_version));
  }

  absl::StatusOr<KeyRecord> GetKey(absl::string_view name) override {
    RETURN_IF_ERROR(ValidateName("name", name, "keys"));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        Run(absl::StrCat("SELECT ", kKeyCols, " FROM keys WHERE name = $1"),
            {SqlParam::Text(name)}));
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("key ", name, " not found"));
    }
    return DecodeKey(rows[0]);
  }

  absl::StatusOr<Page<KeyRecord>> ListKeys(const PageRequest& page) override {
    return ListPage<KeyRecord>(
        PageTokenScope::kKeys, page,
        absl::StrCat("SELECT ", kKeyCols,
                     " FROM keys WHERE name > $1 ORDER BY name LIMIT $2"),
        std::nullopt, DecodeKey);
  }

  // ---- Nodes ----

  absl::StatusOr<NodeRecord> UpsertNode(const NodeRecord& node) override {
    RETURN_IF_ERROR(ValidateNode(node));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(
            absl::StrCat(
                "INSERT INTO nodes (", kNodeCols,
                ") VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
                "data = excluded.data, update_time = excluded.update_time "
                "WHERE excluded.update_time >= nodes.update_time RETURNING ",
                kNodeCols),
            {SqlParam::Text(node.name), SqlParam::Blob(node.data),
             SqlParam::Int(Micros(node.update_time))}));
    if (rows.empty()) {
      return absl::AbortedError(absl::StrCat(
          "node ", node.name, " has a record with a later update_time"));
    }
    return DecodeNode(rows[0]);
  }

  absl::StatusOr<NodeRecord> GetNode(absl::string_view name) override {
    RETURN_IF_ERROR(ValidateName("name", name, "nodes"));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        Run(absl::StrCat("SELECT ", kNodeCols, " FROM nodes WHERE name = $1"),
            {SqlParam::Text(name)}));
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("node ", name, " not found"));
    }
    return DecodeNode(rows[0]);
  }

  absl::StatusOr<Page<NodeRecord>> ListNodes(const PageRequest& page) override {
    return ListPage<NodeRecord>(
        PageTokenScope::kNodes, page,
        absl::StrCat("SELECT ", kNodeCols,
                     " FROM nodes WHERE name > $1 ORDER BY name LIMIT $2"),
        std::nullopt, DecodeNode);
  }

  // ---- Operations ----

  absl::StatusOr<OperationRecord> CreateOperation(
      const OperationRecord& op) override {
    RETURN_IF_ERROR(ValidateOperation(op));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(absl::StrCat("INSERT INTO operations (", kOperationCols,
                              ") VALUES ($1, $2, $3, $4, $4, 1, $5, 0) "
                              "ON CONFLICT (name) DO NOTHING RETURNING ",
                              kOperationCols),
                 {SqlParam::Text(op.name), SqlParam::Int(op.done ? 1 : 0),
                  SqlParam::Blob(op.data),
                  SqlParam::Int(Micros(op.create_time)), SqlParam::Text("")}));
    if (rows.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("operation ", op.name, " already exists"));
    }
    return DecodeOperation(rows[0]);
  }

  absl::StatusOr<OperationRecord> GetOperation(
      absl::string_view name) override {
    RETURN_IF_ERROR(ValidateName("name", name, "operations"));
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                     Run(absl::StrCat("SELECT ", kOperationCols,
                                      " FROM operations WHERE name = $1"),
                         {SqlParam::Text(name)}));
    if (rows.empty()) {
      return absl::NotFoundError(
          absl::StrCat("operation ", name, " not found"));
    }
    return DecodeOperation(rows[0]);
  }

  absl::StatusOr<Page<OperationRecord>> ListOperations(
      OperationFilter filter, const PageRequest& page) override {
    const std::string base = absl::StrCat("SELECT ", kOperationCols,
                                          " FROM operations WHERE name > $1");
    switch (filter) {
      case OperationFilter::kAll:
        return ListPage<OperationRecord>(
            PageTokenScope::kOperationsAll, page,
            absl::StrCat(base, " ORDER BY name LIMIT $2"), std::nullopt,
            DecodeOperation);
      case OperationFilter::kDone:
      case OperationFilter::kNotDone: {
        const bool done = filter == OperationFilter::kDone;
        return ListPage<OperationRecord>(
            done ? PageTokenScope::kOperationsDone
                 : PageTokenScope::kOperationsNotDone,
            page, absl::StrCat(base, " AND done = $3 ORDER BY name LIMIT $2"),
            SqlParam::Int(done ? 1 : 0), DecodeOperation);
      }
    }
    return absl::InvalidArgumentError("filter: unknown value");
  }

  absl::StatusOr<OperationRecord> UpdateOperation(
      const OperationRecord& op, int64_t expected_version) override {
    RETURN_IF_ERROR(ValidateOperation(op));
    RETURN_IF_ERROR(CheckExpectedVersion(expected_version));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(
            absl::StrCat("UPDATE operations SET done = $2, data = $3, "
                         "update_time = $4, version = version + 1 "
                         "WHERE name = $1 AND version = $5 AND done = 0 "
                         "RETURNING ",
                         kOperationCols),
            {SqlParam::Text(op.name), SqlParam::Int(op.done ? 1 : 0),
             SqlParam::Blob(op.data), SqlParam::Int(Micros(op.update_time)),
             SqlParam::Int(expected_version)}));
    if (!rows.empty()) return DecodeOperation(rows[0]);
    // Rows are never deleted: what is stored now explains the refusal.
    ASSIGN_OR_RETURN(OperationRecord current, GetOperation(op.name));
    if (current.version != expected_version) {
      return absl::AbortedError(absl::StrCat("operation ", op.name,
                                             " is at version ", current.version,
                                             ", not ", expected_version));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("operation ", op.name, " is already done"));
  }

  absl::StatusOr<OperationRecord> ClaimOperation(
      absl::string_view name, absl::string_view owner, absl::Time now,
      absl::Time lease_until) override {
    RETURN_IF_ERROR(ValidateName("name", name, "operations"));
    RETURN_IF_ERROR(ValidatePrintable("owner", owner, 1, kMaxLeaseOwnerBytes));
    RETURN_IF_ERROR(ValidateTime("now", now));
    RETURN_IF_ERROR(ValidateTime("lease_until", lease_until));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(absl::StrCat("UPDATE operations SET lease_owner = $2, "
                              "lease_until = $3, version = version + 1 "
                              "WHERE name = $1 AND done = 0 AND (lease_owner = "
                              "$5 OR lease_owner = $2 OR lease_until <= $4) "
                              "RETURNING ",
                              kOperationCols),
                 {SqlParam::Text(name), SqlParam::Text(owner),
                  SqlParam::Int(Micros(lease_until)),
                  SqlParam::Int(Micros(now)), SqlParam::Text("")}));
    if (!rows.empty()) return DecodeOperation(rows[0]);
    ASSIGN_OR_RETURN(OperationRecord current, GetOperation(name));
    if (current.done) {
      return absl::FailedPreconditionError(
          absl::StrCat("operation ", name, " is already done"));
    }
    return absl::AbortedError(absl::StrCat(
        "operation ", name, " is claimed by ", current.lease_owner, " until ",
        absl::FormatTime(current.lease_until, absl::UTCTimeZone())));
  }

  // ---- Sign requests ----

  absl::StatusOr<PutSignRequestResult> PutSignRequestIfAbsent(
      const SignRequestRecord& request) override {
    RETURN_IF_ERROR(ValidateSignRequest(request));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        RunWrite(
            absl::StrCat("INSERT INTO sign_requests (", kSignCols,
                         ") VALUES ($1, $2, $3, $4, $5, 0, $6, 0) "
                         "ON CONFLICT (request_id) DO NOTHING RETURNING ",
                         kSignCols),
            {SqlParam::Text(request.request_id), SqlParam::Text(request.key),
             SqlParam::Blob(request.request_digest),
             SqlParam::Blob(request.data),
             SqlParam::Int(Micros(request.create_time)), SqlParam::Blob("")}));
    PutSignRequestResult result;
    if (!rows.empty()) {
      ASSIGN_OR_RETURN(result.record, DecodeSignRequest(rows[0]));
      result.inserted = true;
      return result;
    }
    ASSIGN_OR_RETURN(result.record, GetSignRequest(request.request_id));
    if (result.record.key != request.key ||
        result.record.request_digest != request.request_digest) {
      return absl::AlreadyExistsError(
          absl::StrCat("request id ", request.request_id,
                       " was used for a different request"));
    }
    return result;
  }

  absl::StatusOr<SignRequestRecord> GetSignRequest(
      absl::string_view request_id) override {
    RETURN_IF_ERROR(ValidateId("request_id", request_id, kMaxRequestIdBytes));
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                     Run(SelectSignRequestSql(), {SqlParam::Text(request_id)}));
    if (rows.empty()) return SignRequestNotFound(request_id);
    return DecodeSignRequest(rows[0]);
  }

  absl::StatusOr<SignRequestRecord> CompleteSignRequest(
      absl::string_view request_id, absl::string_view result,
      absl::Time complete_time) override {
    RETURN_IF_ERROR(ValidateCompletion(request_id, result, complete_time));
    SignRequestRecord out;
    RETURN_IF_ERROR(Write([&](SqlConnection& c) -> absl::Status {
      ASSIGN_OR_RETURN(out, CompleteOn(c, request_id, result, complete_time));
      return absl::OkStatus();
    }));
    return out;
  }

  absl::StatusOr<std::pair<SignRequestRecord, AuditEntry>>
  CompleteSignRequestWithAudit(absl::string_view request_id,
                               absl::string_view result,
                               absl::Time complete_time,
                               const AuditEvent& audit) override {
    RETURN_IF_ERROR(ValidateCompletion(request_id, result, complete_time));
    RETURN_IF_ERROR(ValidateAuditEvent(audit));
    std::pair<SignRequestRecord, AuditEntry> out;
    RETURN_IF_ERROR(Write([&](SqlConnection& c) -> absl::Status {
      // The audit entry first: a completion refused below rolls it back
      // with the rest of this write (its savepoint under group commit).
      out.second = EntryOf(audit);
      RETURN_IF_ERROR(AppendAuditOn(c, out.second));
      ASSIGN_OR_RETURN(out.first,
                       CompleteOn(c, request_id, result, complete_time));
      return absl::OkStatus();
    }));
    return out;
  }

  // ---- Audit log ----

  absl::StatusOr<AuditEntry> AppendAudit(const AuditEvent& event) override {
    RETURN_IF_ERROR(ValidateAuditEvent(event));
    AuditEntry entry = EntryOf(event);
    RETURN_IF_ERROR(Write([&](SqlConnection& c) -> absl::Status {
      return AppendAuditOn(c, entry);
    }));
    return entry;
  }

  absl::StatusOr<std::vector<AuditEntry>> ListAudit(int64_t from_seq,
                                                    int limit) override {
    if (from_seq < 1) {
      return absl::InvalidArgumentError("from_seq: must be at least 1");
    }
    ASSIGN_OR_RETURN(const int n, EffectivePageSize("limit", limit));
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        Run(absl::StrCat("SELECT ", kAuditCols,
                         " FROM audit_log WHERE seq >= $1 ORDER BY seq "
                         "LIMIT $2"),
            {SqlParam::Int(from_seq), SqlParam::Int(n)}));
    std::vector<AuditEntry> entries;
    entries.reserve(rows.size());
    for (const SqlRow& row : rows) {
      ASSIGN_OR_RETURN(AuditEntry e, DecodeAudit(row));
      entries.push_back(std::move(e));
    }
    return entries;
  }

  absl::StatusOr<AuditChainCheck> VerifyAuditChain() override {
    AuditChainCheck check;
    ASSIGN_OR_RETURN(std::vector<SqlRow> head_rows,
                     Run("SELECT seq, hash FROM audit_head WHERE id = 1", {}));
    ASSIGN_OR_RETURN(AuditHead head, DecodeAuditHead(head_rows));
    check.head_seq = head.seq;
    auto broken = [&](int64_t seq, std::string problem) {
      check.first_broken_seq = seq;
      check.problem = std::move(problem);
      return check;
    };
    constexpr int64_t kBatch = 256;
    int64_t expected = 1;
    std::string prev = AuditGenesisHash();
    while (expected <= head.seq) {
      ASSIGN_OR_RETURN(
          std::vector<SqlRow> rows,
          Run(absl::StrCat("SELECT ", kAuditCols,
                           " FROM audit_log WHERE seq >= $1 AND seq <= $2 "
                           "ORDER BY seq LIMIT $3"),
              {SqlParam::Int(expected), SqlParam::Int(head.seq),
               SqlParam::Int(kBatch)}));
      if (rows.empty()) {
        return broken(expected,
                      absl::StrCat("entry ", expected,
                                   " is missing (head is at ", head.seq, ")"));
      }
      for (const SqlRow& row : rows) {
        absl::StatusOr<AuditEntry> e = DecodeAudit(row);
        if (!e.ok()) return broken(expected, std::string(e.status().message()));
        if (e->seq != expected) {
          return broken(expected,
                        absl::StrCat("entry ", expected, " is missing"));
        }
        if (absl::Status s = CheckStoredAuditFields(*e); !s.ok()) {
          return broken(e->seq, absl::StrCat("malformed entry: ", s.message()));
        }
        if (e->prev_hash != prev) {
          return broken(e->seq, "prev_hash is not the previous entry's hash");
        }
        if (ComputeAuditHash(*e) != e->hash) {
          return broken(e->seq, "hash does not match the entry");
        }
        prev = e->hash;
        check.verified_through = e->seq;
        ++expected;
      }
    }
    if (prev != head.hash) {
      return broken(head.seq, "the head's hash is not the last entry's hash");
    }
    return check;
  }

 private:
  static absl::Status CheckExpectedVersion(int64_t v) {
    if (v < 1) {
      return absl::InvalidArgumentError("expected_version: must be >= 1");
    }
    return absl::OkStatus();
  }

  static absl::Status ValidateCompletion(absl::string_view request_id,
                                         absl::string_view result,
                                         absl::Time complete_time) {
    RETURN_IF_ERROR(ValidateId("request_id", request_id, kMaxRequestIdBytes));
    RETURN_IF_ERROR(ValidateBlob("result", result, kMaxDataBytes));
    return ValidateTime("complete_time", complete_time);
  }
  static std::string SelectSignRequestSql() {
    return absl::StrCat("SELECT ", kSignCols,
                        " FROM sign_requests WHERE request_id = $1");
  }
  static absl::Status SignRequestNotFound(absl::string_view request_id) {
    return absl::NotFoundError(
        absl::StrCat("sign request ", request_id, " not found"));
  }

  // Records the result of an open request inside the write on `c`:
  // NOT_FOUND, or FAILED_PRECONDITION when it is already completed.
  absl::StatusOr<SignRequestRecord> CompleteOn(SqlConnection& c,
                                               absl::string_view request_id,
                                               absl::string_view result,
                                               absl::Time complete_time) {
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        c.Query(absl::StrCat("UPDATE sign_requests SET completed = 1, "
                             "result = $2, complete_time = $3 "
                             "WHERE request_id = $1 AND completed = 0 "
                             "RETURNING ",
                             kSignCols),
                {SqlParam::Text(request_id), SqlParam::Blob(result),
                 SqlParam::Int(Micros(complete_time))}));
    if (!rows.empty()) return DecodeSignRequest(rows[0]);
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> existing,
        c.Query(SelectSignRequestSql(), {SqlParam::Text(request_id)}));
    if (existing.empty()) return SignRequestNotFound(request_id);
    return absl::FailedPreconditionError(
        absl::StrCat("sign request ", request_id, " is already completed"));
  }

  // Appends `entry` (time..payload set) inside the write on `c`: sets seq,
  // prev_hash and hash.
  absl::Status AppendAuditOn(SqlConnection& c, AuditEntry& entry) {
    // The head row is the lock that serialises appenders.
    ASSIGN_OR_RETURN(
        std::vector<SqlRow> head_rows,
        c.Query(absl::StrCat("SELECT seq, hash FROM audit_head WHERE id = 1",
                             dialect_.for_update),
                {}));
    ASSIGN_OR_RETURN(AuditHead head, DecodeAuditHead(head_rows));
    entry.seq = head.seq + 1;
    entry.prev_hash = head.hash;
    entry.hash = ComputeAuditHash(entry);
    RETURN_IF_ERROR(
        c.Query(absl::StrCat("INSERT INTO audit_log (", kAuditCols,
                             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
                {SqlParam::Int(entry.seq), SqlParam::Int(Micros(entry.time)),
                 SqlParam::Text(entry.actor), SqlParam::Text(entry.action),
                 SqlParam::Text(entry.resource), SqlParam::Text(entry.outcome),
                 SqlParam::Blob(entry.payload), SqlParam::Blob(entry.prev_hash),
                 SqlParam::Blob(entry.hash)})
            .status());
    return c
        .Query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
               {SqlParam::Int(entry.seq), SqlParam::Blob(entry.hash)})
        .status();
  }

  // One statement on a pooled connection (autocommit).
  absl::StatusOr<std::vector<SqlRow>> Run(
      absl::string_view sql, std::initializer_list<SqlParam> params) {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return conn->Query(
        sql, absl::Span<const SqlParam>(params.begin(), params.size()));
  }

  // One statement that writes: as Run, or through Write with group commit.
  absl::StatusOr<std::vector<SqlRow>> RunWrite(
      absl::string_view sql, std::initializer_list<SqlParam> params) {
    if (!dialect_.group_commit) return Run(sql, params);
    std::vector<SqlRow> rows;
    RETURN_IF_ERROR(Write([&](SqlConnection& c) -> absl::Status {
      ASSIGN_OR_RETURN(rows, c.Query(sql, absl::Span<const SqlParam>(
                                              params.begin(), params.size())));
      return absl::OkStatus();
    }));
    return rows;
  }

  using WriteBody = std::function<absl::Status(SqlConnection&)>;

  // Runs `body` as one atomic write, committed (durable) when this returns.
  // With group commit, writes that arrive while a commit is under way wait
  // and go together into the next transaction: each in its own savepoint
  // (a body that fails is rolled back alone, and only it fails), one
  // COMMIT for all of them. If that COMMIT fails, every write of the batch
  // fails with its error.
  absl::Status Write(const WriteBody& body) {
    if (!dialect_.group_commit) {
      ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
      return InTransaction(*conn, body);
    }
    PendingWrite mine{&body};
    std::unique_lock<std::mutex> lock(batch_mu_);
    batch_queue_.push_back(&mine);
    while (!mine.done) {
      if (batch_leader_) {
        batch_cv_.wait(lock);
        continue;
      }
      // No commit under way: this thread commits every queued write.
      batch_leader_ = true;
      std::vector<PendingWrite*> batch;
      batch.swap(batch_queue_);
      lock.unlock();
      CommitBatch(batch);
      lock.lock();
      for (PendingWrite* w : batch) w->done = true;
      batch_leader_ = false;
      batch_cv_.notify_all();
    }
    return mine.status;
  }

  struct PendingWrite {
    const WriteBody* body;
    absl::Status status = absl::OkStatus();
    bool done = false;  // guarded by batch_mu_
  };

  void CommitBatch(const std::vector<PendingWrite*>& batch) {
    auto conn = pool_.Acquire();
    if (!conn.ok()) {
      for (PendingWrite* w : batch) w->status = conn.status();
      return;
    }
    SqlConnection& c = **conn;
    if (batch.size() == 1) {
      batch[0]->status = InTransaction(c, *batch[0]->body);
      return;
    }
    if (absl::Status begun = c.BeginWrite(); !begun.ok()) {
      for (PendingWrite* w : batch) w->status = begun;
      return;
    }
    absl::Status broken = absl::OkStatus();  // the transaction is lost
    for (PendingWrite* w : batch) {
      if (!broken.ok()) {
        w->status = broken;
        continue;
      }
      absl::Status s = c.ExecScript("SAVEPOINT batched_write");
      if (!s.ok()) {
        broken = s;
        w->status = s;
        continue;
      }
      w->status = (*w->body)(c);
      if (!w->status.ok()) {
        s = c.ExecScript("ROLLBACK TO SAVEPOINT batched_write");
        if (!s.ok()) broken = s;
      }
      if (broken.ok()) {
        s = c.ExecScript("RELEASE SAVEPOINT batched_write");
        if (!s.ok()) broken = s;
      }
    }
    absl::Status committed = broken.ok() ? c.Commit() : broken;
    if (!committed.ok()) {
      c.Rollback();
      for (PendingWrite* w : batch) {
        if (w->status.ok()) w->status = committed;
      }
    }
  }

  // Runs `body` in a write transaction on `conn`; rolls back on error.
  template <typename Body>
  static absl::Status InTransaction(SqlConnection& conn, Body body) {
    RETURN_IF_ERROR(conn.BeginWrite());
    absl::Status s = body(conn);
    if (!s.ok()) {
      conn.Rollback();
      return s;
    }
    s = conn.Commit();
    if (!s.ok()) conn.Rollback();
    return s;
  }

  // Keyset pagination by name. `sql` takes $1 = the last name of the
  // previous page ("" for the first), $2 = the row limit, and `extra` as $3.
  template <typename T, typename Decode>
  absl::StatusOr<Page<T>> ListPage(PageTokenScope scope,
                                   const PageRequest& page,
                                   const std::string& sql,
                                   std::optional<SqlParam> extra,
                                   Decode decode) {
    ASSIGN_OR_RETURN(const int size,
                     EffectivePageSize("page_size", page.page_size));
    std::string after;
    if (!page.page_token.empty()) {
      ASSIGN_OR_RETURN(after, DecodePageToken(page.page_token, scope));
    }
    std::vector<SqlParam> params = {SqlParam::Text(after),
                                    SqlParam::Int(size + 1)};
    if (extra.has_value()) params.push_back(*extra);
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, conn->Query(sql, params));
    Page<T> out;
    size_t bytes = 0;
    bool more = false;
    for (const SqlRow& row : rows) {
      ASSIGN_OR_RETURN(T item, decode(row));
      if (static_cast<int>(out.items.size()) == size ||
          (!out.items.empty() &&
           bytes + item.data.size() > kMaxPageDataBytes)) {
        more = true;
        break;
      }
      bytes += item.data.size();
      out.items.push_back(std::move(item));
    }
    if (more) {
      out.next_page_token = EncodePageToken(scope, out.items.back().name);
    }
    return out;
  }

  absl::Status Migrate(SqlConnection& conn) {
    if (dialect_.migrations.size() != static_cast<size_t>(kSchemaVersion)) {
      return absl::InternalError("storage: migrations do not match version");
    }
    return InTransaction(conn, [&](SqlConnection& c) -> absl::Status {
      if (!dialect_.migration_lock.empty()) {
        RETURN_IF_ERROR(c.Query(dialect_.migration_lock, {}).status());
      }
      ASSIGN_OR_RETURN(std::vector<SqlRow> exists,
                       c.Query(dialect_.schema_version_exists, {}));
      if (exists.size() != 1) {
        return absl::InternalError("storage: schema_version probe failed");
      }
      RowReader probe(exists[0], "schema_version probe");
      const bool table_exists = probe.Bool();
      RETURN_IF_ERROR(probe.status());
      if (!table_exists) {
        RETURN_IF_ERROR(
            c.ExecScript("CREATE TABLE schema_version (id INTEGER PRIMARY KEY "
                         "CHECK (id = 1), version BIGINT NOT NULL)"));
      }
      ASSIGN_OR_RETURN(
          std::vector<SqlRow> rows,
          c.Query("SELECT version FROM schema_version WHERE id = 1", {}));
      int64_t version = 0;
      if (!rows.empty()) {
        RowReader r(rows[0], "schema_version");
        version = r.Int();
        RETURN_IF_ERROR(r.status());
      }
      if (version > kSchemaVersion) {
        return absl::FailedPreconditionError(
            absl::StrCat("storage: the database has schema version ", version,
                         ", newer than this coordinator's ", kSchemaVersion));
      }
      if (version < 0) {
        return absl::DataLossError("storage: negative schema version");
      }
      if (version == kSchemaVersion) return absl::OkStatus();
      for (int64_t v = version; v < kSchemaVersion; ++v) {
        RETURN_IF_ERROR(c.ExecScript(dialect_.migrations[v]));
      }
      return c
          .Query(rows.empty() ? "INSERT INTO schema_version (id, version) "
                                "VALUES (1, $1)"
                              : "UPDATE schema_version SET version = $1 "
                                "WHERE id = 1",
                 {SqlParam::Int(kSchemaVersion)})
          .status();
    });
  }

  const SqlDialect dialect_;
  ConnectionPool pool_;
  // Group commit (dialect_.group_commit): the writes waiting for the next
  // transaction, and whether a thread is committing one.
  std::mutex batch_mu_;
  std::condition_variable batch_cv_;
  std::vector<PendingWrite*> batch_queue_;
  bool batch_leader_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenSqlStorage(
    SqlDialect dialect, SqlConnectionFactory factory, int max_connections) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> first, factory());
  auto storage = std::make_unique<SqlStorage>(
      std::move(dialect), std::move(factory), max_connections);
  RETURN_IF_ERROR(storage->Init(std::move(first)));
  return storage;
}

}  // namespace nitro_tss::coordinator::storage::internal
