// Test-only: runs SQL on a coordinator's SQLite database from outside the
// storage code (as an operator's tool would), e.g. to damage a record.
#ifndef NITRO_TSS_TESTS_COORDINATOR_STORAGE_SQLITE_EXEC_H_
#define NITRO_TSS_TESTS_COORDINATOR_STORAGE_SQLITE_EXEC_H_

#include <sqlite3.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::testing {

// Runs `sql` on the database at `path` (waiting up to 10 s for a lock); the
// first column of the last row returned, if any, goes to *value.
inline absl::Status SqliteExec(const std::string& path, const std::string& sql,
                               std::string* value = nullptr) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("open ", path));
  }
  sqlite3_busy_timeout(db, 10000);
  char* err = nullptr;
  auto row = [](void* out, int n, char** values, char**) {
    if (out != nullptr && n > 0 && values[0] != nullptr) {
      *static_cast<std::string*>(out) = values[0];
    }
    return 0;
  };
  const int rc = sqlite3_exec(db, sql.c_str(), row, value, &err);
  absl::Status s =
      rc == SQLITE_OK
          ? absl::OkStatus()
          : absl::InternalError(absl::StrCat(sql, ": ", err ? err : "failed"));
  sqlite3_free(err);
  sqlite3_close(db);
  return s;
}

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_COORDINATOR_STORAGE_SQLITE_EXEC_H_
