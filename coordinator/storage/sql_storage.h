// Internal to coordinator/storage: the one implementation of Storage, over a
// minimal SQL connection interface that each backend (sqlite_storage.cc,
// postgres_storage.cc) implements. All semantics (validation, compare-and-
// set, claims, idempotency, the audit chain, pagination) live here, so the
// backends differ only in the SQL dialect, the connection and the mapping of
// database errors to status codes.
//
// Statements use PostgreSQL's numbered placeholders ($1, $2, ...); the
// SQLite connection binds them as ?1, ?2, ... Values always travel as bound
// parameters, never inside the SQL text.
#ifndef NITRO_TSS_COORDINATOR_STORAGE_SQL_STORAGE_H_
#define NITRO_TSS_COORDINATOR_STORAGE_SQL_STORAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "coordinator/storage/storage.h"

namespace nitro_tss::coordinator::storage::internal {

// A bound parameter. Text and blob parameters reference the caller's bytes
// (valid for the duration of the Query call).
struct SqlParam {
  enum class Type { kInt, kText, kBlob };
  static SqlParam Int(int64_t v) { return {Type::kInt, v, {}}; }
  static SqlParam Text(absl::string_view s) { return {Type::kText, 0, s}; }
  static SqlParam Blob(absl::string_view b) { return {Type::kBlob, 0, b}; }
  Type type = Type::kInt;
  int64_t i = 0;
  absl::string_view s;
};

// A result column value.
struct SqlValue {
  enum class Type { kNull, kInt, kText, kBlob };
  Type type = Type::kNull;
  int64_t i = 0;
  std::string s;
};
using SqlRow = std::vector<SqlValue>;

// One database connection, used by one thread at a time.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs one statement with bound parameters; returns its rows.
  virtual absl::StatusOr<std::vector<SqlRow>> Query(
      absl::string_view sql, absl::Span<const SqlParam> params) = 0;
  // Runs parameterless statements (schema DDL), separated by ';'.
  virtual absl::Status ExecScript(absl::string_view sql) = 0;
  // Starts a transaction that will write (SQLite: BEGIN IMMEDIATE, taking
  // the write lock up front; PostgreSQL: BEGIN, read committed).
  virtual absl::Status BeginWrite() = 0;
  virtual absl::Status Commit() = 0;
  // Best effort; a failure marks the connection unhealthy.
  virtual void Rollback() = 0;
  // False once the connection is unusable; the pool then drops it.
  virtual bool healthy() const = 0;
};

using SqlConnectionFactory =
    std::function<absl::StatusOr<std::unique_ptr<SqlConnection>>()>;

struct SqlDialect {
  absl::string_view backend;  // "sqlite" / "postgres"
  // Appended to a SELECT that reads a row the transaction will update
  // (" FOR UPDATE" in PostgreSQL; SQLite's BEGIN IMMEDIATE already holds
  // the database's write lock).
  absl::string_view for_update;
  // Run first inside the migration transaction (PostgreSQL: an advisory
  // transaction lock, so replicas opening concurrently migrate one at a
  // time).
  std::string migration_lock;
  // A query returning one row with one integer: 1 if the schema_version
  // table exists, else 0 (checked before creating it, so that a role
  // without CREATE rights can open an existing database).
  std::string schema_version_exists;
  // migrations[v] takes the schema from version v to v + 1 (a script for
  // ExecScript); size() == kSchemaVersion.
  std::vector<std::string> migrations;
  // Group commit: writes from concurrent callers share one transaction and
  // one COMMIT (one fsync), each in its own savepoint, so a failing write
  // changes nothing and fails alone. For SQLite, which runs one writer at
  // a time anyway.
  bool group_commit = false;
};

// Opens one connection, creates or migrates the schema, and returns the
// Storage (which opens up to max_connections connections on demand).
absl::StatusOr<std::unique_ptr<Storage>> OpenSqlStorage(
    SqlDialect dialect, SqlConnectionFactory factory, int max_connections);

}  // namespace nitro_tss::coordinator::storage::internal

#endif  // NITRO_TSS_COORDINATOR_STORAGE_SQL_STORAGE_H_
