// The PostgreSQL backend (libpq): every statement goes through
// PQexecParams with typed, binary parameters and binary results; the only
// SQL sent as plain text is the constant schema DDL and transaction control.
#include <libpq-fe.h>

#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "coordinator/storage/sql_storage.h"
#include "coordinator/storage/storage.h"

namespace nitro_tss::coordinator::storage {
namespace {

using internal::SqlConnection;
using internal::SqlParam;
using internal::SqlRow;
using internal::SqlValue;

// Type OIDs (src/include/catalog/pg_type.h; stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kVarcharOid = 1043;

constexpr int kMinServerVersion = 150000;

// Serialises schema creation/migration across replicas (any constant that
// no other application on the database uses; "nitrotss" in ASCII).
constexpr char kMigrationLock[] =
    "SELECT pg_advisory_xact_lock(7956018251571688307)";

// Schema version 1. Names use COLLATE "C" (bytewise, like SQLite), so
// paging order does not depend on the database's locale.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE keys (
  name TEXT COLLATE "C" PRIMARY KEY,
  state TEXT NOT NULL,
  data BYTEA NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE TABLE nodes (
  name TEXT COLLATE "C" PRIMARY KEY,
  data BYTEA NOT NULL,
  update_time BIGINT NOT NULL
);
CREATE TABLE operations (
  name TEXT COLLATE "C" PRIMARY KEY,
  done BIGINT NOT NULL CHECK (done IN (0, 1)),
  data BYTEA NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  version BIGINT NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until BIGINT NOT NULL
);
CREATE INDEX operations_by_done ON operations (done, name);
CREATE TABLE sign_requests (
  request_id TEXT COLLATE "C" PRIMARY KEY,
  key_name TEXT NOT NULL,
  request_digest BYTEA NOT NULL,
  data BYTEA NOT NULL,
  create_time BIGINT NOT NULL,
  completed BIGINT NOT NULL CHECK (completed IN (0, 1)),
  result BYTEA NOT NULL,
  complete_time BIGINT NOT NULL
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  outcome TEXT NOT NULL,
  payload BYTEA NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, decode(repeat('00', 32), 'hex'));
CREATE FUNCTION nitro_audit_append_only() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION nitro_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION nitro_audit_append_only();
CREATE FUNCTION nitro_audit_head_forward() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'audit_head is permanent';
  END IF;
  IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit_head only moves forward by one';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION nitro_audit_head_forward();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION nitro_audit_append_only();
)sql";

// A non-null pointer for empty parameters (a null pointer is SQL NULL).
const char kEmpty[] = "";

void IgnoreNotice(void*, const char*) {}

absl::StatusCode CodeForSqlState(absl::string_view state) {
  if (absl::StartsWith(state, "08")) {
    return absl::StatusCode::kUnavailable;  // connection exception
  }
  if (state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "55P03" || state == "25006" || state == "57014") {
    // admin/crash shutdown, cannot connect now, lock not available,
    // read-only transaction (a standby), statement timeout.
    return absl::StatusCode::kUnavailable;
  }
  if (state == "40001" || state == "40P01") {
    return absl::StatusCode::kAborted;  // serialization failure, deadlock
  }
  if (absl::StartsWith(state, "53")) {
    return absl::StatusCode::kResourceExhausted;  // insufficient resources
  }
  if (state == "23505") return absl::StatusCode::kAlreadyExists;
  if (absl::StartsWith(state, "42501")) {
    return absl::StatusCode::kFailedPrecondition;  // insufficient privilege
  }
  return absl::StatusCode::kInternal;
}

uint64_t LoadBigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

class PgConnection final : public SqlConnection {
 public:
  static absl::StatusOr<std::unique_ptr<SqlConnection>> Open(
      const std::string& conninfo) {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (conn == nullptr) {
      return absl::ResourceExhaustedError("postgres: out of memory");
    }
    std::unique_ptr<PgConnection> c(new PgConnection(conn));
    if (PQstatus(conn) != CONNECTION_OK) {
      // PQerrorMessage names the server and the reason, never a password.
      return absl::UnavailableError(absl::StrCat(
          "postgres: cannot connect: ",
          absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn))));
    }
    PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
    if (PQserverVersion(conn) < kMinServerVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("postgres: server version ", PQserverVersion(conn),
                       " is older than 15"));
    }
    return std::unique_ptr<SqlConnection>(std::move(c));
  }

  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<std::vector<SqlRow>> Query(
      absl::string_view sql, absl::Span<const SqlParam> params) override {
    const size_t n = params.size();
    std::vector<Oid> types(n);
    std::vector<const char*> values(n);
    std::vector<int> lengths(n);
    std::vector<int> formats(n, 1);  // binary
    std::vector<std::array<char, 8>> ints(n);
    for (size_t i = 0; i < n; ++i) {
      const SqlParam& p = params[i];
      switch (p.type) {
        case SqlParam::Type::kInt: {
          const uint64_t v = static_cast<uint64_t>(p.i);
          for (int b = 0; b < 8; ++b) {
            ints[i][b] = static_cast<char>((v >> (56 - 8 * b)) & 0xff);
          }
          types[i] = kInt8Oid;
          values[i] = ints[i].data();
          lengths[i] = 8;
          break;
        }
        case SqlParam::Type::kText:
        case SqlParam::Type::kBlob:
          types[i] = p.type == SqlParam::Type::kText ? kTextOid : kByteaOid;
          values[i] = p.s.data() != nullptr ? p.s.data() : kEmpty;
          lengths[i] = static_cast<int>(p.s.size());
          break;
      }
    }
    const std::string text(sql);
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(n),
                                 types.data(), values.data(), lengths.data(),
                                 formats.data(), /*resultFormat=*/1);
    Result guard{res};
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      return Error(res, "query");
    }
    std::vector<SqlRow> rows;
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    rows.reserve(nrows);
    for (int r = 0; r < nrows; ++r) {
      SqlRow row(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) continue;  // kNull
        SqlValue& v = row[c];
        const char* p = PQgetvalue(res, r, c);
        const int len = PQgetlength(res, r, c);
        switch (PQftype(res, c)) {
          case kInt8Oid:
          case kInt4Oid:
          case kInt2Oid: {
            if (len != 8 && len != 4 && len != 2) {
              return absl::DataLossError("postgres: bad integer length");
            }
            uint64_t u = LoadBigEndian(p, len);
            // Sign-extend 2- and 4-byte integers.
            if (len < 8 && (u >> (8 * len - 1)) != 0) {
              u |= ~uint64_t{0} << (8 * len);
            }
            v.type = SqlValue::Type::kInt;
            v.i = static_cast<int64_t>(u);
            break;
          }
          case kBoolOid:
            if (len != 1) return absl::DataLossError("postgres: bad bool");
            v.type = SqlValue::Type::kInt;
            v.i = p[0] != 0;
            break;
          case kTextOid:
          case kVarcharOid:
            v.type = SqlValue::Type::kText;
            v.s.assign(p, len);
            break;
          case kByteaOid:
            v.type = SqlValue::Type::kBlob;
            v.s.assign(p, len);
            break;
          default:
            // Stays kNull: the row decoder reports the column.
            break;
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  absl::Status ExecScript(absl::string_view sql) override {
    const std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    Result guard{res};
    if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) {
      return Error(res, "exec");
    }
    return absl::OkStatus();
  }

  absl::Status BeginWrite() override { return ExecScript("BEGIN"); }

  absl::Status Commit() override {
    PGresult* res = PQexec(conn_, "COMMIT");
    Result guard{res};
    if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) {
      return Error(res, "commit");
    }
    // COMMIT of a failed transaction "succeeds" as a ROLLBACK.
    if (std::strcmp(PQcmdStatus(res), "COMMIT") != 0) {
      return absl::AbortedError("postgres: the transaction was rolled back");
    }
    return absl::OkStatus();
  }

  void Rollback() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    PGresult* res = PQexec(conn_, "ROLLBACK");
    Result guard{res};
    if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) {
      healthy_ = false;
    }
  }

  bool healthy() const override {
    return healthy_ && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

 private:
  struct Result {
    PGresult* r;
    ~Result() { PQclear(r); }
  };

  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  absl::Status Error(PGresult* res, absl::string_view what) {
    const char* state =
        res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const char* msg =
        res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    const std::string text = absl::StrCat(
        "postgres: ", what, ": ",
        absl::StripTrailingAsciiWhitespace(msg != nullptr ? msg : ""),
        state != nullptr ? absl::StrCat(" [SQLSTATE ", state, "]") : "");
    if (PQstatus(conn_) != CONNECTION_OK) {
      healthy_ = false;
      return absl::UnavailableError(text);
    }
    if (state == nullptr) {
      // No server error: the connection itself failed.
      healthy_ = false;
      return absl::UnavailableError(text);
    }
    const absl::StatusCode code = CodeForSqlState(state);
    if (code == absl::StatusCode::kUnavailable) healthy_ = false;
    return absl::Status(code, text);
  }

  PGconn* conn_;
  bool healthy_ = true;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenPostgresStorage(
    const std::string& conninfo, const PostgresOptions& options) {
  if (options.max_connections < 1 || options.max_connections > 64) {
    return absl::InvalidArgumentError("max_connections: must be 1..64");
  }
  if (!PQisthreadsafe()) {
    return absl::FailedPreconditionError(
        "postgres: libpq was built without thread safety");
  }
  internal::SqlDialect dialect;
  dialect.backend = "postgres";
  dialect.for_update = " FOR UPDATE";
  dialect.migration_lock = kMigrationLock;
  // The table as the search_path resolves it (where the schema is created).
  dialect.schema_version_exists =
      "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE 1 "
      "END";
  dialect.migrations = {kSchemaV1};
  return internal::OpenSqlStorage(
      std::move(dialect), [conninfo]() { return PgConnection::Open(conninfo); },
      options.max_connections);
}

}  // namespace nitro_tss::coordinator::storage
