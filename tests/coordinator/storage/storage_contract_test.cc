// The Storage contract (coordinator/storage/storage.h), one suite run with
// the same assertions against both backends: SQLite (a file in a temporary
// directory) and PostgreSQL 15 (a real server this binary starts on a unix
// socket, tests/coordinator/storage/postgres_server.h; a fresh database per
// test). Two Storage instances on one database stand for two coordinator
// replicas in the concurrency tests; raw SQL from the test plays the
// attacker who edits the audit log.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "coordinator/storage/audit_hash.h"
#include "coordinator/storage/storage.h"
#include "tests/coordinator/storage/postgres_server.h"
#include "tests/coordinator/storage/sqlite_exec.h"

namespace nitro_tss::coordinator::storage {
namespace {

absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

#define ASSERT_OK(expr)                            \
  do {                                             \
    const absl::Status _st = StatusOf(expr);       \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st; \
  } while (false)

#define ST_CONCAT_INNER(a, b) a##b
#define ST_CONCAT(a, b) ST_CONCAT_INNER(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(ST_CONCAT(_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)         \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status(); \
  lhs = *std::move(tmp)

#define EXPECT_CODE(expr, want)                                            \
  do {                                                                     \
    const absl::Status _st = StatusOf(expr);                               \
    EXPECT_EQ(_st.code(), absl::StatusCode::want) << #expr << ": " << _st; \
  } while (false)

using testing::PostgresServer;
using testing::SharedPostgresServer;

absl::Time T(int64_t seconds) {
  return absl::FromUnixSeconds(1700000000 + seconds);
}

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

std::string Digest(char fill) { return std::string(kRequestDigestBytes, fill); }

// ---- Backends under test ----

class Backend {
 public:
  virtual ~Backend() = default;
  // A new Storage instance on this test's database (another replica).
  virtual absl::StatusOr<std::unique_ptr<Storage>> Open() = 0;
  // Raw SQL on the database, bypassing the Storage.
  virtual absl::Status RawExec(const std::string& sql) = 0;
  // Raw SQL that is allowed to modify the audit tables (the attacker with
  // database rights: triggers off).
  virtual absl::Status RawTamper(const std::string& sql) = 0;
  // An SQL literal for `bytes` as a blob.
  virtual std::string BlobLiteral(const std::string& bytes) const = 0;
  // Opening a database that cannot be reached.
  virtual absl::StatusOr<std::unique_ptr<Storage>> OpenUnreachable() = 0;
};

class SqliteBackend : public Backend {
 public:
  SqliteBackend() {
    std::string test =
        ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : test) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    dir_ = absl::StrCat(::testing::TempDir(), "/storage-contract-", getpid(),
                        "-", test);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = dir_ + "/coordinator.db";
  }
  ~SqliteBackend() override { std::filesystem::remove_all(dir_); }

  absl::StatusOr<std::unique_ptr<Storage>> Open() override {
    return OpenSqliteStorage(path_);
  }
  absl::Status RawExec(const std::string& sql) override {
    return ::nitro_tss::testing::SqliteExec(path_, sql);
  }
  absl::Status RawTamper(const std::string& sql) override {
    return RawExec(
        "DROP TRIGGER IF EXISTS audit_log_no_update;"
        "DROP TRIGGER IF EXISTS audit_log_no_delete;"
        "DROP TRIGGER IF EXISTS audit_head_forward;" +
        sql);
  }
  std::string BlobLiteral(const std::string& bytes) const override {
    return absl::StrCat("X'", absl::BytesToHexString(bytes), "'");
  }
  absl::StatusOr<std::unique_ptr<Storage>> OpenUnreachable() override {
    return OpenSqliteStorage(dir_ + "/no-such-directory/coordinator.db");
  }

 private:
  std::string dir_;
  std::string path_;
};

class PostgresBackend : public Backend {
 public:
  PostgresBackend(PostgresServer* server, std::string db)
      : server_(server), db_(std::move(db)) {}

  absl::StatusOr<std::unique_ptr<Storage>> Open() override {
    return OpenPostgresStorage(server_->ConnInfo(db_));
  }
  absl::Status RawExec(const std::string& sql) override {
    return server_->Exec(db_, sql);
  }
  absl::Status RawTamper(const std::string& sql) override {
    // A superuser can switch triggers off for its session.
    return server_->Exec(db_, "SET session_replication_role = replica;" + sql);
  }
  std::string BlobLiteral(const std::string& bytes) const override {
    return absl::StrCat("'\\x", absl::BytesToHexString(bytes), "'::bytea");
  }
  absl::StatusOr<std::unique_ptr<Storage>> OpenUnreachable() override {
    return OpenPostgresStorage(absl::StrCat(
        "host=", server_->socket_dir(),
        "/no-such-directory port=5432 dbname=x connect_timeout=2"));
  }

  PostgresServer* server() { return server_; }
  const std::string& db() const { return db_; }

 private:
  PostgresServer* server_;
  std::string db_;
};

class StorageContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      backend_ = std::make_unique<SqliteBackend>();
    } else {
      if (std::string why = PostgresServer::UnavailableReason(); !why.empty()) {
        GTEST_SKIP() << "\n*** POSTGRESQL STORAGE TESTS SKIPPED: " << why
                     << " ***\n";
      }
      absl::StatusOr<PostgresServer*> server = SharedPostgresServer();
      ASSERT_TRUE(server.ok()) << server.status();
      absl::StatusOr<std::string> db = (*server)->CreateDatabase();
      ASSERT_TRUE(db.ok()) << db.status();
      backend_ = std::make_unique<PostgresBackend>(*server, *db);
    }
    absl::StatusOr<std::unique_ptr<Storage>> s = backend_->Open();
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = *std::move(s);
    EXPECT_EQ(storage_->backend(), GetParam());
  }

  std::unique_ptr<Storage> OpenAnother() {
    absl::StatusOr<std::unique_ptr<Storage>> s = backend_->Open();
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  static KeyRecord Key(const std::string& id, std::string data = "k") {
    KeyRecord k;
    k.name = "keys/" + id;
    k.state = "CREATING";
    k.data = std::move(data);
    k.create_time = T(1);
    return k;
  }
  static NodeRecord Node(const std::string& id, absl::Time t) {
    NodeRecord n;
    n.name = "nodes/" + id;
    n.data = "node " + id;
    n.update_time = t;
    return n;
  }
  static OperationRecord Op(const std::string& id, bool done = false) {
    OperationRecord op;
    op.name = "operations/" + id;
    op.done = done;
    op.data = "op " + id;
    op.create_time = T(2);
    return op;
  }
  static SignRequestRecord Sign(const std::string& id, char digest = 'd') {
    SignRequestRecord r;
    r.request_id = id;
    r.key = "keys/k1";
    r.request_digest = Digest(digest);
    r.data = "sign " + id;
    r.create_time = T(3);
    return r;
  }
  static AuditEvent Event(int i) {
    AuditEvent e;
    e.time = T(100 + i);
    e.actor = "CN=custody-app";
    e.action = "Sign";
    e.resource = "keys/k1";
    e.outcome = "OK";
    e.payload = absl::StrCat("payload ", i, std::string(1, '\0'), "end");
    return e;
  }
  // Event(i) as thread t of a concurrency test sends it.
  static AuditEvent ThreadEvent(int i, int t) {
    AuditEvent e = Event(i);
    e.actor = absl::StrCat("thread-", t);
    return e;
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Storage> storage_;
};

// ---- Keys ----

TEST_P(StorageContractTest, KeyCreateGetUpdate) {
  ASSERT_OK_AND_ASSIGN(KeyRecord created,
                       storage_->CreateKey(Key("k1", AllBytes())));
  EXPECT_EQ(created.name, "keys/k1");
  EXPECT_EQ(created.state, "CREATING");
  EXPECT_EQ(created.data, AllBytes());
  EXPECT_EQ(created.create_time, T(1));
  EXPECT_EQ(created.update_time, T(1));
  EXPECT_EQ(created.version, 1);

  ASSERT_OK_AND_ASSIGN(KeyRecord got, storage_->GetKey("keys/k1"));
  EXPECT_EQ(got.data, AllBytes());
  EXPECT_EQ(got.version, 1);

  KeyRecord update = got;
  update.state = "ACTIVE";
  update.data = "";
  update.update_time = T(50);
  update.create_time = T(999);  // ignored
  ASSERT_OK_AND_ASSIGN(KeyRecord updated, storage_->UpdateKey(update, 1));
  EXPECT_EQ(updated.state, "ACTIVE");
  EXPECT_EQ(updated.data, "");
  EXPECT_EQ(updated.create_time, T(1));
  EXPECT_EQ(updated.update_time, T(50));
  EXPECT_EQ(updated.version, 2);

  // A stale compare-and-set loses and changes nothing.
  update.state = "DISABLED";
  EXPECT_CODE(storage_->UpdateKey(update, 1), kAborted);
  ASSERT_OK_AND_ASSIGN(got, storage_->GetKey("keys/k1"));
  EXPECT_EQ(got.state, "ACTIVE");
  EXPECT_EQ(got.version, 2);

  EXPECT_CODE(storage_->CreateKey(Key("k1", "other")), kAlreadyExists);
  ASSERT_OK_AND_ASSIGN(got, storage_->GetKey("keys/k1"));
  EXPECT_EQ(got.data, "");

  EXPECT_CODE(storage_->GetKey("keys/absent"), kNotFound);
  EXPECT_CODE(storage_->UpdateKey(Key("absent"), 1), kNotFound);
  EXPECT_CODE(storage_->UpdateKey(update, 0), kInvalidArgument);
}

// ---- Nodes ----

TEST_P(StorageContractTest, NodeUpsertKeepsTheLatestView) {
  ASSERT_OK_AND_ASSIGN(NodeRecord n, storage_->UpsertNode(Node("n1", T(10))));
  EXPECT_EQ(n.data, "node n1");
  EXPECT_EQ(n.update_time, T(10));

  NodeRecord later = Node("n1", T(20));
  later.data = AllBytes();
  ASSERT_OK(storage_->UpsertNode(later));
  ASSERT_OK_AND_ASSIGN(n, storage_->GetNode("nodes/n1"));
  EXPECT_EQ(n.data, AllBytes());
  EXPECT_EQ(n.update_time, T(20));

  // An older view (another replica's slower health check) is refused.
  NodeRecord older = Node("n1", T(15));
  older.data = "stale";
  EXPECT_CODE(storage_->UpsertNode(older), kAborted);
  ASSERT_OK_AND_ASSIGN(n, storage_->GetNode("nodes/n1"));
  EXPECT_EQ(n.data, AllBytes());

  NodeRecord same_time = Node("n1", T(20));
  same_time.data = "same time";
  ASSERT_OK(storage_->UpsertNode(same_time));
  ASSERT_OK_AND_ASSIGN(n, storage_->GetNode("nodes/n1"));
  EXPECT_EQ(n.data, "same time");

  EXPECT_CODE(storage_->GetNode("nodes/absent"), kNotFound);
  ASSERT_OK(storage_->UpsertNode(Node("n0", T(1))));
  ASSERT_OK_AND_ASSIGN(Page<NodeRecord> page, storage_->ListNodes({}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].name, "nodes/n0");
  EXPECT_EQ(page.items[1].name, "nodes/n1");
  EXPECT_EQ(page.next_page_token, "");
}

// ---- Operations ----

TEST_P(StorageContractTest, OperationCompareAndSetAndDoneIsFinal) {
  ASSERT_OK_AND_ASSIGN(OperationRecord op, storage_->CreateOperation(Op("o1")));
  EXPECT_EQ(op.version, 1);
  EXPECT_FALSE(op.done);
  EXPECT_EQ(op.update_time, T(2));
  EXPECT_EQ(op.lease_owner, "");
  EXPECT_EQ(op.lease_until, absl::UnixEpoch());
  EXPECT_CODE(storage_->CreateOperation(Op("o1")), kAlreadyExists);

  op.data = "progress 50%";
  op.update_time = T(5);
  ASSERT_OK_AND_ASSIGN(OperationRecord v2, storage_->UpdateOperation(op, 1));
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.data, "progress 50%");
  EXPECT_EQ(v2.create_time, T(2));

  op.data = "lost";
  EXPECT_CODE(storage_->UpdateOperation(op, 1), kAborted);

  op.done = true;
  op.data = "result";
  ASSERT_OK_AND_ASSIGN(OperationRecord v3, storage_->UpdateOperation(op, 2));
  EXPECT_TRUE(v3.done);
  EXPECT_EQ(v3.version, 3);

  // Done is final, even for the holder of the current version.
  op.done = false;
  EXPECT_CODE(storage_->UpdateOperation(op, 3), kFailedPrecondition);
  EXPECT_CODE(storage_->UpdateOperation(op, 2), kAborted);
  ASSERT_OK_AND_ASSIGN(OperationRecord got,
                       storage_->GetOperation("operations/o1"));
  EXPECT_TRUE(got.done);
  EXPECT_EQ(got.data, "result");

  EXPECT_CODE(storage_->GetOperation("operations/absent"), kNotFound);
  EXPECT_CODE(storage_->UpdateOperation(Op("absent"), 1), kNotFound);
}

TEST_P(StorageContractTest, OperationClaimAndLease) {
  ASSERT_OK(storage_->CreateOperation(Op("o1")));
  ASSERT_OK_AND_ASSIGN(
      OperationRecord a,
      storage_->ClaimOperation("operations/o1", "replica-a", T(10), T(40)));
  EXPECT_EQ(a.lease_owner, "replica-a");
  EXPECT_EQ(a.lease_until, T(40));
  EXPECT_EQ(a.version, 2);

  // Another owner while the lease is live: refused, nothing changes.
  EXPECT_CODE(
      storage_->ClaimOperation("operations/o1", "replica-b", T(39), T(70)),
      kAborted);
  // The owner renews.
  ASSERT_OK_AND_ASSIGN(
      a, storage_->ClaimOperation("operations/o1", "replica-a", T(30), T(60)));
  EXPECT_EQ(a.lease_until, T(60));
  EXPECT_EQ(a.version, 3);
  // Expired (lease_until <= now): another owner takes over, and the claim
  // invalidates the previous owner's pending compare-and-set.
  ASSERT_OK_AND_ASSIGN(
      OperationRecord b,
      storage_->ClaimOperation("operations/o1", "replica-b", T(60), T(90)));
  EXPECT_EQ(b.lease_owner, "replica-b");
  EXPECT_EQ(b.version, 4);
  OperationRecord finish = a;
  finish.done = true;
  EXPECT_CODE(storage_->UpdateOperation(finish, a.version), kAborted);
  ASSERT_OK(storage_->UpdateOperation(finish, b.version));

  EXPECT_CODE(
      storage_->ClaimOperation("operations/o1", "replica-c", T(1000), T(2000)),
      kFailedPrecondition);
  EXPECT_CODE(
      storage_->ClaimOperation("operations/absent", "replica-c", T(1), T(2)),
      kNotFound);
  EXPECT_CODE(storage_->ClaimOperation("operations/o1", "", T(1), T(2)),
              kInvalidArgument);
  EXPECT_CODE(
      storage_->ClaimOperation("operations/o1", "bad\nowner", T(1), T(2)),
      kInvalidArgument);
  EXPECT_CODE(storage_->ClaimOperation("operations/o1", "x", T(1),
                                       absl::InfiniteFuture()),
              kInvalidArgument);
}

TEST_P(StorageContractTest, ListOperationsByDoneWithPagination) {
  for (int i = 0; i < 9; ++i) {
    ASSERT_OK(storage_->CreateOperation(Op(absl::StrCat("o", i), i % 3 == 0)));
  }
  auto collect = [&](OperationFilter filter) {
    std::vector<std::string> names;
    PageRequest req;
    req.page_size = 2;
    for (int pages = 0; pages < 20; ++pages) {
      absl::StatusOr<Page<OperationRecord>> page =
          storage_->ListOperations(filter, req);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->items.size(), 2u);
      for (const auto& op : page->items) names.push_back(op.name);
      if (page->next_page_token.empty()) break;
      req.page_token = page->next_page_token;
    }
    return names;
  };
  EXPECT_EQ(collect(OperationFilter::kDone),
            (std::vector<std::string>{"operations/o0", "operations/o3",
                                      "operations/o6"}));
  EXPECT_EQ(collect(OperationFilter::kNotDone),
            (std::vector<std::string>{"operations/o1", "operations/o2",
                                      "operations/o4", "operations/o5",
                                      "operations/o7", "operations/o8"}));
  EXPECT_EQ(collect(OperationFilter::kAll).size(), 9u);

  // A token belongs to its filter.
  PageRequest req;
  req.page_size = 1;
  ASSERT_OK_AND_ASSIGN(Page<OperationRecord> done,
                       storage_->ListOperations(OperationFilter::kDone, req));
  ASSERT_FALSE(done.next_page_token.empty());
  req.page_token = done.next_page_token;
  EXPECT_CODE(storage_->ListOperations(OperationFilter::kNotDone, req),
              kInvalidArgument);
  EXPECT_CODE(storage_->ListOperations(OperationFilter::kAll, req),
              kInvalidArgument);
  EXPECT_CODE(storage_->ListKeys(req), kInvalidArgument);
  ASSERT_OK(storage_->ListOperations(OperationFilter::kDone, req));
}

// ---- Sign requests ----

TEST_P(StorageContractTest, SignRequestIsIdempotentByRequestId) {
  ASSERT_OK_AND_ASSIGN(PutSignRequestResult first,
                       storage_->PutSignRequestIfAbsent(Sign("req-1")));
  EXPECT_TRUE(first.inserted);
  EXPECT_EQ(first.record.request_id, "req-1");
  EXPECT_EQ(first.record.key, "keys/k1");
  EXPECT_EQ(first.record.request_digest, Digest('d'));
  EXPECT_FALSE(first.record.completed);
  EXPECT_EQ(first.record.result, "");

  // The retry gets the stored record, not a second one.
  SignRequestRecord retry = Sign("req-1");
  retry.data = "ignored on retry";
  retry.create_time = T(77);
  ASSERT_OK_AND_ASSIGN(PutSignRequestResult second,
                       storage_->PutSignRequestIfAbsent(retry));
  EXPECT_FALSE(second.inserted);
  EXPECT_EQ(second.record.data, "sign req-1");
  EXPECT_EQ(second.record.create_time, T(3));

  // The same id for a different request.
  EXPECT_CODE(storage_->PutSignRequestIfAbsent(Sign("req-1", 'x')),
              kAlreadyExists);
  SignRequestRecord other_key = Sign("req-1");
  other_key.key = "keys/k2";
  EXPECT_CODE(storage_->PutSignRequestIfAbsent(other_key), kAlreadyExists);

  ASSERT_OK_AND_ASSIGN(SignRequestRecord done, storage_->CompleteSignRequest(
                                                   "req-1", AllBytes(), T(9)));
  EXPECT_TRUE(done.completed);
  EXPECT_EQ(done.result, AllBytes());
  EXPECT_EQ(done.complete_time, T(9));
  EXPECT_CODE(storage_->CompleteSignRequest("req-1", "second", T(10)),
              kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(SignRequestRecord got,
                       storage_->GetSignRequest("req-1"));
  EXPECT_EQ(got.result, AllBytes());
  // A retry after completion returns the result.
  ASSERT_OK_AND_ASSIGN(second, storage_->PutSignRequestIfAbsent(Sign("req-1")));
  EXPECT_FALSE(second.inserted);
  EXPECT_TRUE(second.record.completed);
  EXPECT_EQ(second.record.result, AllBytes());

  EXPECT_CODE(storage_->GetSignRequest("req-absent"), kNotFound);
  EXPECT_CODE(storage_->CompleteSignRequest("req-absent", "r", T(1)),
              kNotFound);
  SignRequestRecord short_digest = Sign("req-2");
  short_digest.request_digest = std::string(31, 'd');
  EXPECT_CODE(storage_->PutSignRequestIfAbsent(short_digest), kInvalidArgument);
  EXPECT_CODE(storage_->PutSignRequestIfAbsent(Sign("bad id")),
              kInvalidArgument);
}

TEST_P(StorageContractTest, CompletionWithAuditStoresBothOrNeither) {
  ASSERT_OK(storage_->AppendAudit(Event(1)));
  ASSERT_OK(storage_->PutSignRequestIfAbsent(Sign("req-1")));
  ASSERT_OK_AND_ASSIGN(auto done, storage_->CompleteSignRequestWithAudit(
                                      "req-1", "sig", T(9), Event(2)));
  EXPECT_TRUE(done.first.completed);
  EXPECT_EQ(done.first.result, "sig");
  EXPECT_EQ(done.first.complete_time, T(9));
  EXPECT_EQ(done.second.seq, 2);
  EXPECT_EQ(done.second.payload, Event(2).payload);
  EXPECT_EQ(done.second.hash, ComputeAuditHash(done.second));

  // Completing again: refused after its audit entry was written in the
  // same write, which is rolled back with it.
  EXPECT_CODE(storage_->CompleteSignRequestWithAudit("req-1", "second", T(10),
                                                     Event(3)),
              kFailedPrecondition);
  EXPECT_CODE(storage_->CompleteSignRequestWithAudit("req-absent", "r", T(10),
                                                     Event(3)),
              kNotFound);
  ASSERT_OK_AND_ASSIGN(SignRequestRecord got,
                       storage_->GetSignRequest("req-1"));
  EXPECT_EQ(got.result, "sig");
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_TRUE(check.intact()) << check.problem;
  EXPECT_EQ(check.head_seq, 2);

  // An audit append that fails (the head tampered to an existing seq: the
  // INSERT collides) leaves the request uncompleted.
  ASSERT_OK(storage_->PutSignRequestIfAbsent(Sign("req-2")));
  ASSERT_OK(backend_->RawTamper("UPDATE audit_head SET seq = 1 WHERE id = 1"));
  EXPECT_FALSE(
      storage_->CompleteSignRequestWithAudit("req-2", "sig", T(11), Event(4))
          .ok());
  ASSERT_OK_AND_ASSIGN(got, storage_->GetSignRequest("req-2"));
  EXPECT_FALSE(got.completed);
  EXPECT_EQ(got.result, "");

  // Limits are checked before anything is written.
  AuditEvent no_actor = Event(5);
  no_actor.actor = "";
  EXPECT_CODE(
      storage_->CompleteSignRequestWithAudit("req-2", "sig", T(11), no_actor),
      kInvalidArgument);
  EXPECT_CODE(
      storage_->CompleteSignRequestWithAudit(
          "req-2", std::string(kMaxDataBytes + 1, 'x'), T(11), Event(5)),
      kInvalidArgument);
}

// Concurrent completions with audit entries (group-committed on SQLite: each
// write in its own savepoint of a shared transaction). Every other one
// completes a request that is already completed: its audit entry, written
// first, is rolled back alone; the others commit, and the chain has no gap.
TEST_P(StorageContractTest,
       ConcurrentCompletionsWithAuditRollBackOnlyTheFailed) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = absl::StrCat("req-", t, "-", i);
      ASSERT_OK(storage_->PutSignRequestIfAbsent(Sign(id)));
      if (t % 2 == 1) {
        ASSERT_OK(storage_->CompleteSignRequest(id, "earlier", T(5)));
      }
    }
  }
  std::latch start(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::set<int64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const AuditEvent e = ThreadEvent(i, t);
        auto r = storage_->CompleteSignRequestWithAudit(
            absl::StrCat("req-", t, "-", i), absl::StrCat("sig-", t), T(10), e);
        const bool expect_ok = t % 2 == 0;
        if (r.ok() != expect_ok ||
            (!r.ok() &&
             r.status().code() != absl::StatusCode::kFailedPrecondition)) {
          errors[t] = r.status().ToString();
          return;
        }
        if (r.ok()) seqs[t].insert(r->second.seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    all.insert(seqs[t].begin(), seqs[t].end());
  }
  constexpr int kCommitted = kThreads / 2 * kPerThread;
  ASSERT_EQ(all.size(), static_cast<size_t>(kCommitted));
  EXPECT_EQ(*all.rbegin(), kCommitted);
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_TRUE(check.intact())
      << check.first_broken_seq << ": " << check.problem;
  EXPECT_EQ(check.head_seq, kCommitted);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> entries,
                       storage_->ListAudit(1, kCommitted + 1));
  ASSERT_EQ(entries.size(), static_cast<size_t>(kCommitted));
  for (const AuditEntry& e : entries) {
    // Only the threads whose completions succeeded are in the log.
    int t = -1;
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripPrefix(e.actor, "thread-"), &t))
        << e.actor;
    EXPECT_EQ(t % 2, 0) << e.actor;
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_OK_AND_ASSIGN(
          SignRequestRecord rec,
          storage_->GetSignRequest(absl::StrCat("req-", t, "-", i)));
      EXPECT_EQ(rec.result, t % 2 == 0 ? absl::StrCat("sig-", t) : "earlier");
    }
  }
}

// ---- Audit log ----

TEST_P(StorageContractTest, AuditChainAppendListVerify) {
  ASSERT_OK_AND_ASSIGN(AuditChainCheck empty, storage_->VerifyAuditChain());
  EXPECT_TRUE(empty.intact());
  EXPECT_EQ(empty.head_seq, 0);

  std::string prev = AuditGenesisHash();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_OK_AND_ASSIGN(AuditEntry e, storage_->AppendAudit(Event(i)));
    EXPECT_EQ(e.seq, i);
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, ComputeAuditHash(e));
    EXPECT_EQ(e.payload, Event(i).payload);
    prev = e.hash;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> all, storage_->ListAudit(1, 0));
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].time, T(101 + i));
    EXPECT_EQ(all[i].hash, ComputeAuditHash(all[i]));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> mid, storage_->ListAudit(2, 2));
  ASSERT_EQ(mid.size(), 2u);
  EXPECT_EQ(mid[0].seq, 2);
  EXPECT_EQ(mid[1].seq, 3);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> none,
                       storage_->ListAudit(6, 10));
  EXPECT_TRUE(none.empty());
  EXPECT_CODE(storage_->ListAudit(0, 10), kInvalidArgument);
  EXPECT_CODE(storage_->ListAudit(1, -1), kInvalidArgument);

  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_TRUE(check.intact()) << check.problem;
  EXPECT_EQ(check.head_seq, 5);
  EXPECT_EQ(check.verified_through, 5);
}

TEST_P(StorageContractTest, AuditLogRefusesUpdateAndDeleteInTheDatabase) {
  for (int i = 1; i <= 3; ++i) ASSERT_OK(storage_->AppendAudit(Event(i)));
  EXPECT_FALSE(
      backend_->RawExec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
          .ok());
  EXPECT_FALSE(backend_->RawExec("DELETE FROM audit_log WHERE seq = 3").ok());
  EXPECT_FALSE(
      backend_->RawExec("UPDATE audit_head SET seq = 2 WHERE id = 1").ok());
  EXPECT_FALSE(backend_->RawExec("DELETE FROM audit_head").ok());
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_TRUE(check.intact()) << check.problem;
  EXPECT_EQ(check.verified_through, 3);
}

TEST_P(StorageContractTest, AuditTamperingNamesTheFirstBrokenSeq) {
  for (int i = 1; i <= 5; ++i) ASSERT_OK(storage_->AppendAudit(Event(i)));

  // A changed field: the entry's own hash no longer matches.
  ASSERT_OK(backend_->RawTamper(
      "UPDATE audit_log SET actor = 'CN=mallory' WHERE seq = 3"));
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_EQ(check.first_broken_seq, 3);
  EXPECT_EQ(check.verified_through, 2);
  EXPECT_TRUE(absl::StrContains(check.problem, "hash")) << check.problem;
}

TEST_P(StorageContractTest, AuditRewriteWithRecomputedHashBreaksTheNextLink) {
  for (int i = 1; i <= 5; ++i) ASSERT_OK(storage_->AppendAudit(Event(i)));
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> all, storage_->ListAudit(1, 0));
  AuditEntry forged = all[1];  // seq 2
  forged.outcome = "PERMISSION_DENIED";
  forged.hash = ComputeAuditHash(forged);
  ASSERT_OK(backend_->RawTamper(absl::StrCat(
      "UPDATE audit_log SET outcome = 'PERMISSION_DENIED', hash = ",
      backend_->BlobLiteral(forged.hash), " WHERE seq = 2")));
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_EQ(check.first_broken_seq, 3);
  EXPECT_TRUE(absl::StrContains(check.problem, "prev_hash")) << check.problem;

  // Rewriting the last entry consistently is caught by the head.
  AuditEntry last = all[4];
  last.payload = "forged";
  last.hash = ComputeAuditHash(last);
  ASSERT_OK(backend_->RawTamper(absl::StrCat(
      "UPDATE audit_log SET outcome = 'OK', hash = ",
      backend_->BlobLiteral(all[1].hash), " WHERE seq = 2;",
      "UPDATE audit_log SET payload = ", backend_->BlobLiteral("forged"),
      ", hash = ", backend_->BlobLiteral(last.hash), " WHERE seq = 5")));
  ASSERT_OK_AND_ASSIGN(check, storage_->VerifyAuditChain());
  EXPECT_EQ(check.first_broken_seq, 5);
  EXPECT_EQ(check.verified_through, 5);
  EXPECT_TRUE(absl::StrContains(check.problem, "head")) << check.problem;
}

TEST_P(StorageContractTest, AuditDeletedEntriesAreMissing) {
  for (int i = 1; i <= 5; ++i) ASSERT_OK(storage_->AppendAudit(Event(i)));
  ASSERT_OK(backend_->RawTamper("DELETE FROM audit_log WHERE seq = 5"));
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_EQ(check.first_broken_seq, 5);
  EXPECT_TRUE(absl::StrContains(check.problem, "missing")) << check.problem;

  ASSERT_OK(backend_->RawTamper("DELETE FROM audit_log WHERE seq = 2"));
  ASSERT_OK_AND_ASSIGN(check, storage_->VerifyAuditChain());
  EXPECT_EQ(check.first_broken_seq, 2);
  EXPECT_EQ(check.verified_through, 1);
}

TEST_P(StorageContractTest, AuditEventLimits) {
  AuditEvent e = Event(1);
  e.actor = "";
  EXPECT_CODE(storage_->AppendAudit(e), kInvalidArgument);
  e = Event(1);
  e.action = std::string(kMaxAuditFieldBytes + 1, 'a');
  EXPECT_CODE(storage_->AppendAudit(e), kInvalidArgument);
  e = Event(1);
  e.outcome = "O\x01K";
  EXPECT_CODE(storage_->AppendAudit(e), kInvalidArgument);
  e = Event(1);
  e.payload = std::string(kMaxAuditPayloadBytes + 1, 'p');
  EXPECT_CODE(storage_->AppendAudit(e), kInvalidArgument);
  e = Event(1);
  e.time = absl::InfinitePast();
  EXPECT_CODE(storage_->AppendAudit(e), kInvalidArgument);
  // Nothing was appended by the refused calls; the limits themselves pass.
  e = Event(1);
  e.resource = "";
  e.actor = std::string(kMaxAuditFieldBytes, 'a');
  e.payload = std::string(kMaxAuditPayloadBytes, 'p');
  ASSERT_OK_AND_ASSIGN(AuditEntry entry, storage_->AppendAudit(e));
  EXPECT_EQ(entry.seq, 1);
}

// ---- Pagination ----

TEST_P(StorageContractTest, KeysPageInNameOrder) {
  std::vector<std::string> want;
  for (int i = 0; i < 23; ++i) {
    const std::string id = absl::StrCat("key-", (i * 7) % 23 + 10);
    ASSERT_OK(storage_->CreateKey(Key(id)));
    want.push_back("keys/" + id);
  }
  std::sort(want.begin(), want.end());

  std::vector<std::string> got;
  PageRequest req;
  req.page_size = 5;
  int pages = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(Page<KeyRecord> page, storage_->ListKeys(req));
    ++pages;
    ASSERT_LE(page.items.size(), 5u);
    for (const KeyRecord& k : page.items) got.push_back(k.name);
    if (page.next_page_token.empty()) break;
    req.page_token = page.next_page_token;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(got, want);

  // Default and capped sizes return everything at once.
  ASSERT_OK_AND_ASSIGN(Page<KeyRecord> all, storage_->ListKeys({}));
  EXPECT_EQ(all.items.size(), 23u);
  EXPECT_EQ(all.next_page_token, "");
  PageRequest huge;
  huge.page_size = 1 << 30;
  ASSERT_OK_AND_ASSIGN(all, storage_->ListKeys(huge));
  EXPECT_EQ(all.items.size(), 23u);

  // Exactly a page's worth: no token pointing at an empty page.
  PageRequest exact;
  exact.page_size = 23;
  ASSERT_OK_AND_ASSIGN(all, storage_->ListKeys(exact));
  EXPECT_EQ(all.items.size(), 23u);
  EXPECT_EQ(all.next_page_token, "");
}

TEST_P(StorageContractTest, PageTokensAreStrict) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(storage_->CreateKey(Key(absl::StrCat("k", i))));
    ASSERT_OK(storage_->UpsertNode(Node(absl::StrCat("n", i), T(1))));
  }
  PageRequest req;
  req.page_size = 1;
  ASSERT_OK_AND_ASSIGN(Page<KeyRecord> keys, storage_->ListKeys(req));
  ASSERT_OK_AND_ASSIGN(Page<NodeRecord> nodes, storage_->ListNodes(req));
  ASSERT_FALSE(keys.next_page_token.empty());

  PageRequest bad = req;
  for (const std::string& token :
       {std::string("not a token!"), std::string("AQ=="), std::string("x"),
        keys.next_page_token + "=", keys.next_page_token + "A",
        keys.next_page_token.substr(1), std::string(600, 'A')}) {
    SCOPED_TRACE(token);
    bad.page_token = token;
    EXPECT_CODE(storage_->ListKeys(bad), kInvalidArgument);
  }
  // A token of another list.
  bad.page_token = nodes.next_page_token;
  EXPECT_CODE(storage_->ListKeys(bad), kInvalidArgument);
  bad.page_token = keys.next_page_token;
  EXPECT_CODE(storage_->ListNodes(bad), kInvalidArgument);
  // Negative sizes.
  bad.page_size = -1;
  EXPECT_CODE(storage_->ListKeys(bad), kInvalidArgument);

  req.page_token = keys.next_page_token;
  ASSERT_OK_AND_ASSIGN(Page<KeyRecord> second, storage_->ListKeys(req));
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].name, "keys/k1");
}

TEST_P(StorageContractTest, PagesStopAtTheByteBudget) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(storage_->CreateKey(
        Key(absl::StrCat("big-", i), std::string(kMaxDataBytes, 'a' + i))));
  }
  PageRequest req;
  req.page_size = 10;
  ASSERT_OK_AND_ASSIGN(Page<KeyRecord> first, storage_->ListKeys(req));
  EXPECT_EQ(first.items.size(), kMaxPageDataBytes / kMaxDataBytes);
  ASSERT_FALSE(first.next_page_token.empty());
  req.page_token = first.next_page_token;
  ASSERT_OK_AND_ASSIGN(Page<KeyRecord> second, storage_->ListKeys(req));
  EXPECT_EQ(first.items.size() + second.items.size(), 5u);
  EXPECT_EQ(second.next_page_token, "");
  EXPECT_EQ(second.items.back().data, std::string(kMaxDataBytes, 'e'));
}

// ---- Limits ----

TEST_P(StorageContractTest, ArgumentLimits) {
  // Names.
  const std::string longest = "keys/" + std::string(kMaxNameBytes - 5, 'n');
  ASSERT_OK(storage_->CreateKey(Key(longest.substr(5))));
  EXPECT_CODE(storage_->CreateKey(Key(longest.substr(5) + "n")),
              kInvalidArgument);
  ASSERT_OK(storage_->CreateKey(Key("nested/versions/1")));
  for (const std::string& id :
       {std::string(""), std::string("a//b"), std::string("a/"),
        std::string("/a"), std::string("sp ace"), std::string("nul\0x", 5),
        std::string("\xc3\xa9")}) {
    SCOPED_TRACE(id);
    EXPECT_CODE(storage_->CreateKey(Key(id)), kInvalidArgument);
  }
  KeyRecord wrong_collection = Key("x");
  wrong_collection.name = "nodes/x";
  EXPECT_CODE(storage_->CreateKey(wrong_collection), kInvalidArgument);
  EXPECT_CODE(storage_->GetKey("nodes/x"), kInvalidArgument);
  EXPECT_CODE(storage_->GetNode("keys/x"), kInvalidArgument);
  EXPECT_CODE(storage_->GetOperation("operations"), kInvalidArgument);

  // Blobs.
  ASSERT_OK(
      storage_->CreateKey(Key("max-data", std::string(kMaxDataBytes, 'x'))));
  EXPECT_CODE(
      storage_->CreateKey(Key("too-big", std::string(kMaxDataBytes + 1, 'x'))),
      kInvalidArgument);
  NodeRecord node = Node("n", T(1));
  node.data = std::string(kMaxDataBytes + 1, 'x');
  EXPECT_CODE(storage_->UpsertNode(node), kInvalidArgument);
  OperationRecord op = Op("o");
  op.data = std::string(kMaxDataBytes + 1, 'x');
  EXPECT_CODE(storage_->CreateOperation(op), kInvalidArgument);
  ASSERT_OK(storage_->PutSignRequestIfAbsent(Sign("r")));
  EXPECT_CODE(storage_->CompleteSignRequest(
                  "r", std::string(kMaxDataBytes + 1, 'x'), T(1)),
              kInvalidArgument);
  EXPECT_CODE(
      storage_->GetSignRequest(std::string(kMaxRequestIdBytes + 1, 'r')),
      kInvalidArgument);

  // States and times.
  KeyRecord k = Key("state");
  k.state = "active";
  EXPECT_CODE(storage_->CreateKey(k), kInvalidArgument);
  k.state = std::string(kMaxStateBytes + 1, 'A');
  EXPECT_CODE(storage_->CreateKey(k), kInvalidArgument);
  k = Key("time");
  k.create_time = absl::InfiniteFuture();
  EXPECT_CODE(storage_->CreateKey(k), kInvalidArgument);

  // An error names the field, never the bytes.
  absl::Status s = storage_->CreateKey(Key("SECRETVALUE bad")).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "key.name")) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), "SECRETVALUE")) << s;

  // Refused calls stored nothing.
  ASSERT_OK_AND_ASSIGN(Page<KeyRecord> keys, storage_->ListKeys({}));
  EXPECT_EQ(keys.items.size(), 3u);
}

// ---- Durability and schema ----

TEST_P(StorageContractTest, ReopenKeepsEverything) {
  ASSERT_OK(storage_->CreateKey(Key("k1", AllBytes())));
  ASSERT_OK(storage_->UpsertNode(Node("n1", T(5))));
  ASSERT_OK(storage_->CreateOperation(Op("o1")));
  ASSERT_OK(storage_->ClaimOperation("operations/o1", "replica-a", T(1), T(9)));
  ASSERT_OK(storage_->PutSignRequestIfAbsent(Sign("req-1")));
  ASSERT_OK(storage_->CompleteSignRequest("req-1", "signature", T(4)));
  for (int i = 1; i <= 3; ++i) ASSERT_OK(storage_->AppendAudit(Event(i)));
  storage_.reset();

  storage_ = OpenAnother();
  ASSERT_NE(storage_, nullptr);
  ASSERT_OK_AND_ASSIGN(KeyRecord k, storage_->GetKey("keys/k1"));
  EXPECT_EQ(k.data, AllBytes());
  EXPECT_EQ(k.version, 1);
  ASSERT_OK_AND_ASSIGN(NodeRecord n, storage_->GetNode("nodes/n1"));
  EXPECT_EQ(n.update_time, T(5));
  ASSERT_OK_AND_ASSIGN(OperationRecord op,
                       storage_->GetOperation("operations/o1"));
  EXPECT_EQ(op.lease_owner, "replica-a");
  EXPECT_EQ(op.lease_until, T(9));
  EXPECT_EQ(op.version, 2);
  ASSERT_OK_AND_ASSIGN(SignRequestRecord r, storage_->GetSignRequest("req-1"));
  EXPECT_TRUE(r.completed);
  EXPECT_EQ(r.result, "signature");
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage_->VerifyAuditChain());
  EXPECT_TRUE(check.intact()) << check.problem;
  EXPECT_EQ(check.head_seq, 3);
  ASSERT_OK_AND_ASSIGN(AuditEntry next, storage_->AppendAudit(Event(4)));
  EXPECT_EQ(next.seq, 4);
}

TEST_P(StorageContractTest, NewerSchemaIsRefused) {
  storage_.reset();
  ASSERT_OK(backend_->RawExec("UPDATE schema_version SET version = 99"));
  EXPECT_CODE(backend_->Open(), kFailedPrecondition);
  ASSERT_OK(backend_->RawExec("UPDATE schema_version SET version = 1"));
  ASSERT_OK(backend_->Open());
}

TEST_P(StorageContractTest, UnreachableDatabaseIsUnavailable) {
  EXPECT_CODE(backend_->OpenUnreachable(), kUnavailable);
}

// ---- Concurrency: two instances (replicas) on one database ----

// Runs fn(0) and fn(1) on two threads released together.
template <typename Fn>
void Race(Fn fn) {
  std::latch start(2);
  std::thread a([&] {
    start.arrive_and_wait();
    fn(0);
  });
  std::thread b([&] {
    start.arrive_and_wait();
    fn(1);
  });
  a.join();
  b.join();
}

TEST_P(StorageContractTest, ConcurrentCompareAndSetHasOneWinner) {
  std::unique_ptr<Storage> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  Storage* replicas[2] = {storage_.get(), other.get()};
  constexpr int kRounds = 15;
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_OK(storage_->CreateOperation(Op(absl::StrCat("cas-", i))));
  }
  for (int i = 0; i < kRounds; ++i) {
    // Progress updates from the same version (done stays false): the
    // version alone decides. Then both race to finish from version 2.
    for (const bool done : {false, true}) {
      const int64_t from = done ? 2 : 1;
      absl::Status results[2];
      Race([&](int r) {
        OperationRecord op = Op(absl::StrCat("cas-", i));
        op.done = done;
        op.data = absl::StrCat(done ? "finished" : "progress", " by ", r);
        results[r] = replicas[r]->UpdateOperation(op, from).status();
      });
      const int winners = results[0].ok() + results[1].ok();
      ASSERT_EQ(winners, 1) << results[0] << " / " << results[1];
      const int loser = results[0].ok() ? 1 : 0;
      EXPECT_EQ(results[loser].code(), absl::StatusCode::kAborted)
          << results[loser];
      ASSERT_OK_AND_ASSIGN(
          OperationRecord op,
          storage_->GetOperation(absl::StrCat("operations/cas-", i)));
      EXPECT_EQ(op.data, absl::StrCat(done ? "finished" : "progress", " by ",
                                      1 - loser));
      EXPECT_EQ(op.version, from + 1);
      EXPECT_EQ(op.done, done);
    }
  }
}

TEST_P(StorageContractTest, ConcurrentClaimsHaveOneOwner) {
  std::unique_ptr<Storage> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  Storage* replicas[2] = {storage_.get(), other.get()};
  constexpr int kRounds = 15;
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_OK(storage_->CreateOperation(Op(absl::StrCat("claim-", i))));
  }
  for (int i = 0; i < kRounds; ++i) {
    absl::Status results[2];
    Race([&](int r) {
      results[r] =
          replicas[r]
              ->ClaimOperation(absl::StrCat("operations/claim-", i),
                               absl::StrCat("replica-", r), T(0), T(60))
              .status();
    });
    ASSERT_EQ(results[0].ok() + results[1].ok(), 1)
        << results[0] << " / " << results[1];
    const int winner = results[0].ok() ? 0 : 1;
    EXPECT_EQ(results[1 - winner].code(), absl::StatusCode::kAborted);
    ASSERT_OK_AND_ASSIGN(OperationRecord op, other->GetOperation(absl::StrCat(
                                                 "operations/claim-", i)));
    EXPECT_EQ(op.lease_owner, absl::StrCat("replica-", winner));
  }
}

TEST_P(StorageContractTest, ConcurrentSignRequestsInsertAndCompleteOnce) {
  std::unique_ptr<Storage> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  Storage* replicas[2] = {storage_.get(), other.get()};
  constexpr int kRounds = 15;
  for (int i = 0; i < kRounds; ++i) {
    const std::string id = absl::StrCat("req-", i);
    absl::StatusOr<PutSignRequestResult> puts[2];
    Race([&](int r) {
      puts[r] = replicas[r]->PutSignRequestIfAbsent(Sign(id));
    });
    ASSERT_TRUE(puts[0].ok()) << puts[0].status();
    ASSERT_TRUE(puts[1].ok()) << puts[1].status();
    EXPECT_EQ(puts[0]->inserted + puts[1]->inserted, 1);
    EXPECT_EQ(puts[0]->record.data, puts[1]->record.data);

    absl::Status completes[2];
    Race([&](int r) {
      completes[r] =
          replicas[r]
              ->CompleteSignRequest(id, absl::StrCat("sig-", r), T(10))
              .status();
    });
    ASSERT_EQ(completes[0].ok() + completes[1].ok(), 1)
        << completes[0] << " / " << completes[1];
    const int winner = completes[0].ok() ? 0 : 1;
    EXPECT_EQ(completes[1 - winner].code(),
              absl::StatusCode::kFailedPrecondition);
    ASSERT_OK_AND_ASSIGN(SignRequestRecord rec, storage_->GetSignRequest(id));
    EXPECT_EQ(rec.result, absl::StrCat("sig-", winner));
  }
}

TEST_P(StorageContractTest, ConcurrentCreatesHaveOneWinner) {
  std::unique_ptr<Storage> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  Storage* replicas[2] = {storage_.get(), other.get()};
  for (int i = 0; i < 10; ++i) {
    absl::Status results[2];
    Race([&](int r) {
      results[r] =
          replicas[r]
              ->CreateKey(Key(absl::StrCat("race-", i), absl::StrCat(r)))
              .status();
    });
    ASSERT_EQ(results[0].ok() + results[1].ok(), 1)
        << results[0] << " / " << results[1];
    EXPECT_EQ(results[results[0].ok() ? 1 : 0].code(),
              absl::StatusCode::kAlreadyExists);
  }
}

TEST_P(StorageContractTest, ConcurrentAppendersMakeOneChain) {
  std::unique_ptr<Storage> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  Storage* replicas[2] = {storage_.get(), other.get()};
  constexpr int kThreads = 4;  // two per replica
  constexpr int kPerThread = 20;
  std::latch start(kThreads);
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const AuditEvent e = ThreadEvent(i, t);
        absl::StatusOr<AuditEntry> entry = replicas[t % 2]->AppendAudit(e);
        if (!entry.ok()) {
          errors[t] = entry.status().ToString();
          return;
        }
        seqs[t].push_back(entry->seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_TRUE(std::is_sorted(seqs[t].begin(), seqs[t].end()));
    all.insert(seqs[t].begin(), seqs[t].end());
  }
  constexpr int kTotal = kThreads * kPerThread;
  ASSERT_EQ(all.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kTotal);
  for (Storage* s : replicas) {
    ASSERT_OK_AND_ASSIGN(AuditChainCheck check, s->VerifyAuditChain());
    EXPECT_TRUE(check.intact())
        << check.first_broken_seq << ": " << check.problem;
    EXPECT_EQ(check.head_seq, kTotal);
    EXPECT_EQ(check.verified_through, kTotal);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageContractTest,
                         ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---- PostgreSQL only: losing the connection ----

TEST(PostgresStorageTest, LostConnectionIsUnavailableThenReconnects) {
  if (std::string why = PostgresServer::UnavailableReason(); !why.empty()) {
    GTEST_SKIP() << "\n*** POSTGRESQL STORAGE TESTS SKIPPED: " << why
                 << " ***\n";
  }
  ASSERT_OK_AND_ASSIGN(PostgresServer * server, SharedPostgresServer());
  ASSERT_OK_AND_ASSIGN(std::string db, server->CreateDatabase());
  PostgresOptions options;
  options.max_connections = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Storage> storage,
                       OpenPostgresStorage(server->ConnInfo(db), options));
  KeyRecord k;
  k.name = "keys/k1";
  k.state = "ACTIVE";
  ASSERT_OK(storage->CreateKey(k));
  // The server ends the session (as on a failover or restart).
  ASSERT_OK(server->Exec(
      "postgres",
      absl::StrCat(
          "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
          "WHERE datname = '",
          db, "' AND pid <> pg_backend_pid()")));
  EXPECT_CODE(storage->GetKey("keys/k1"), kUnavailable);
  // The broken connection was dropped; the next call reconnects.
  ASSERT_OK_AND_ASSIGN(KeyRecord got, storage->GetKey("keys/k1"));
  EXPECT_EQ(got.state, "ACTIVE");
}

// The hardening README.md recommends: the schema is created by its owner,
// the coordinator connects as a role with SELECT/INSERT/UPDATE only. That
// role can open the existing database and work, but can neither edit the
// audit log (trigger) nor switch the triggers off (not owner/superuser).
TEST(PostgresStorageTest, NonOwnerRoleCannotBypassTheAuditTriggers) {
  if (std::string why = PostgresServer::UnavailableReason(); !why.empty()) {
    GTEST_SKIP() << "\n*** POSTGRESQL STORAGE TESTS SKIPPED: " << why
                 << " ***\n";
  }
  ASSERT_OK_AND_ASSIGN(PostgresServer * server, SharedPostgresServer());
  ASSERT_OK_AND_ASSIGN(std::string db, server->CreateDatabase());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Storage> owner,
                         OpenPostgresStorage(server->ConnInfo(db)));
  }
  const std::string role = absl::StrCat("coordinator_", db);
  ASSERT_OK(server->Exec(
      db, absl::StrCat("CREATE ROLE ", role, " LOGIN;",
                       "GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "
                       "public TO ",
                       role)));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Storage> storage,
                       OpenPostgresStorage(server->ConnInfo(db, role)));
  AuditEvent e;
  e.time = T(1);
  e.actor = "CN=custody-app";
  e.action = "Sign";
  e.outcome = "OK";
  for (int i = 0; i < 3; ++i) ASSERT_OK(storage->AppendAudit(e));

  EXPECT_FALSE(server->Exec(db, "UPDATE audit_log SET actor = 'x'", role).ok());
  EXPECT_FALSE(server->Exec(db, "DELETE FROM audit_log", role).ok());
  EXPECT_FALSE(server->Exec(db, "TRUNCATE audit_log", role).ok());
  EXPECT_FALSE(server
                   ->Exec(db,
                          "SET session_replication_role = replica;"
                          "UPDATE audit_log SET actor = 'x'",
                          role)
                   .ok());
  EXPECT_FALSE(
      server->Exec(db, "ALTER TABLE audit_log DISABLE TRIGGER USER", role)
          .ok());
  EXPECT_FALSE(server->Exec(db, "DROP TABLE audit_log", role).ok());
  ASSERT_OK_AND_ASSIGN(AuditChainCheck check, storage->VerifyAuditChain());
  EXPECT_TRUE(check.intact()) << check.problem;
  EXPECT_EQ(check.head_seq, 3);
}

}  // namespace
}  // namespace nitro_tss::coordinator::storage
