// The SQLite backend: one sqlite3 connection per pooled SqlConnection, WAL
// journal, synchronous=FULL, STRICT tables, prepared statements with bound
// parameters (cached per connection).
#include <sqlite3.h>

#include <string>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "coordinator/storage/sql_storage.h"
#include "coordinator/storage/storage.h"

namespace nitro_tss::coordinator::storage {
namespace {

using internal::SqlConnection;
using internal::SqlParam;
using internal::SqlRow;
using internal::SqlValue;

// Schema version 1. Names compare bytewise (BINARY collation), like the
// PostgreSQL schema's COLLATE "C", so both backends page in the same order.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE keys (
  name TEXT PRIMARY KEY NOT NULL,
  state TEXT NOT NULL,
  data BLOB NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
CREATE TABLE nodes (
  name TEXT PRIMARY KEY NOT NULL,
  data BLOB NOT NULL,
  update_time INTEGER NOT NULL
) STRICT;
CREATE TABLE operations (
  name TEXT PRIMARY KEY NOT NULL,
  done INTEGER NOT NULL CHECK (done IN (0, 1)),
  data BLOB NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  version INTEGER NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL
) STRICT;
CREATE INDEX operations_by_done ON operations (done, name);
CREATE TABLE sign_requests (
  request_id TEXT PRIMARY KEY NOT NULL,
  key_name TEXT NOT NULL,
  request_digest BLOB NOT NULL,
  data BLOB NOT NULL,
  create_time INTEGER NOT NULL,
  completed INTEGER NOT NULL CHECK (completed IN (0, 1)),
  result BLOB NOT NULL,
  complete_time INTEGER NOT NULL
) STRICT;
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY NOT NULL,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  outcome TEXT NOT NULL,
  payload BLOB NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
) STRICT;
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash BLOB NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward by one'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head is permanent'); END;
)sql";

// A non-null pointer for empty text/blob parameters (a null pointer would
// bind SQL NULL).
const char kEmpty[] = "";

absl::Status SqliteStatus(sqlite3* db, int rc, absl::string_view what) {
  const std::string msg =
      absl::StrCat("sqlite: ", what, ": ", sqlite3_errstr(rc),
                   db ? absl::StrCat(" (", sqlite3_errmsg(db), ")") : "");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::FailedPreconditionError(msg);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
          rc == SQLITE_CONSTRAINT_UNIQUE) {
        return absl::AlreadyExistsError(msg);
      }
      return absl::InternalError(msg);
    default:
      return absl::InternalError(msg);
  }
}

class SqliteConnection final : public SqlConnection {
 public:
  static absl::StatusOr<std::unique_ptr<SqlConnection>> Open(
      const std::string& path, const SqliteOptions& options) {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        nullptr);
    if (rc != SQLITE_OK) {
      absl::Status s = absl::UnavailableError(absl::StrCat(
          "sqlite: cannot open the database: ", sqlite3_errstr(rc)));
      sqlite3_close(db);
      return s;
    }
    std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(
        db, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
    // Switching to WAL needs a lock another opener may hold: Query goes
    // through the busy handler.
    ASSIGN_OR_RETURN(std::vector<SqlRow> mode,
                     conn->Query("PRAGMA journal_mode=WAL", {}));
    if (mode.size() != 1 || mode[0].size() != 1 ||
        mode[0][0].type != SqlValue::Type::kText || mode[0][0].s != "wal") {
      return absl::FailedPreconditionError(
          "sqlite: the database cannot use the WAL journal");
    }
    RETURN_IF_ERROR(
        conn->ExecScript("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                         "PRAGMA trusted_schema=OFF"));
    return std::unique_ptr<SqlConnection>(std::move(conn));
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  absl::StatusOr<std::vector<SqlRow>> Query(
      absl::string_view sql, absl::Span<const SqlParam> params) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    // Leaves the statement reset and unbound whatever happens.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return absl::InternalError("sqlite: parameter count mismatch");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const SqlParam& p = params[i];
      const char* data = p.s.data() != nullptr ? p.s.data() : kEmpty;
      int rc = SQLITE_OK;
      switch (p.type) {
        case SqlParam::Type::kInt:
          rc = sqlite3_bind_int64(stmt, idx, p.i);
          break;
        case SqlParam::Type::kText:
          rc = sqlite3_bind_text64(stmt, idx, data, p.s.size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8);
          break;
        case SqlParam::Type::kBlob:
          rc = sqlite3_bind_blob64(stmt, idx, data, p.s.size(),
                                   SQLITE_TRANSIENT);
          break;
      }
      if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "bind");
    }
    std::vector<SqlRow> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Fail(rc, "step");
      const int cols = sqlite3_column_count(stmt);
      SqlRow row(cols);
      for (int c = 0; c < cols; ++c) {
        SqlValue& v = row[c];
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            v.type = SqlValue::Type::kInt;
            v.i = sqlite3_column_int64(stmt, c);
            break;
          case SQLITE_TEXT: {
            v.type = SqlValue::Type::kText;
            const auto* p = sqlite3_column_text(stmt, c);
            v.s.assign(reinterpret_cast<const char*>(p),
                       p ? sqlite3_column_bytes(stmt, c) : 0);
            break;
          }
          case SQLITE_BLOB: {
            v.type = SqlValue::Type::kBlob;
            const auto* p =
                static_cast<const char*>(sqlite3_column_blob(stmt, c));
            v.s.assign(p ? p : kEmpty, p ? sqlite3_column_bytes(stmt, c) : 0);
            break;
          }
          default:  // NULL, REAL: never written by this code
            v.type = SqlValue::Type::kNull;
            break;
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  absl::Status ExecScript(absl::string_view sql) override {
    char* err = nullptr;
    const std::string script(sql);
    const int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return Fail(rc, "exec");
    return absl::OkStatus();
  }

  absl::Status BeginWrite() override { return ExecScript("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return ExecScript("COMMIT"); }
  void Rollback() override {
    if (sqlite3_get_autocommit(db_)) return;  // nothing open
    if (!ExecScript("ROLLBACK").ok()) healthy_ = false;
  }
  bool healthy() const override {
    return healthy_ && sqlite3_get_autocommit(db_) != 0;
  }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  absl::Status Fail(int rc, absl::string_view what) {
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ||
        (rc & 0xff) == SQLITE_IOERR) {
      healthy_ = false;
    }
    return SqliteStatus(db_, rc, what);
  }

  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    // $N (PostgreSQL style, see sql_storage.h) is ?N here; no statement has
    // a '$' anywhere else.
    const std::string text = absl::StrReplaceAll(sql, {{"$", "?"}});
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Fail(rc, "prepare");
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  sqlite3* db_;
  bool healthy_ = true;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteStorage(
    const std::string& path, const SqliteOptions& options) {
  if (path.empty() || path == ":memory:" || path[0] == ':' ||
      path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "path: must name a database file (WAL needs a file)");
  }
  if (options.max_connections < 1 || options.max_connections > 64) {
    return absl::InvalidArgumentError("max_connections: must be 1..64");
  }
  if (options.busy_timeout < absl::ZeroDuration() ||
      options.busy_timeout > absl::Hours(1)) {
    return absl::InvalidArgumentError("busy_timeout: must be 0..1h");
  }
  internal::SqlDialect dialect;
  dialect.backend = "sqlite";
  dialect.for_update = "";
  dialect.schema_version_exists =
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
      "name = 'schema_version'";
  dialect.migrations = {kSchemaV1};
  dialect.group_commit = true;
  return internal::OpenSqlStorage(
      std::move(dialect),
      [path, options]() { return SqliteConnection::Open(path, options); },
      options.max_connections);
}

}  // namespace nitro_tss::coordinator::storage
