// Test support: a throwaway PostgreSQL 15 server, started by the test itself.
//
//   - initdb into a fresh temporary directory (/tmp/nitro-pg-XXXXXX), trust
//     authentication, C locale, no fsync;
//   - the server listens only on a unix socket in that directory
//     (listen_addresses = '', socket mode 0700): no network;
//   - initdb refuses to run as root, so when the test runs as root both
//     initdb and postgres run as the unprivileged `postgres` user that the
//     Debian package creates (the directory is chowned to it); otherwise they
//     run as the current user;
//   - Start() returns once the server accepts connections (polled with
//     PQping until a deadline, no fixed sleep) or with an error carrying the
//     server's log;
//   - Stop() / the destructor shut it down immediately (SIGQUIT, as
//     `pg_ctl stop -m immediate`; SIGKILL after a deadline) and remove the
//     directory. The server also gets SIGQUIT if the test process dies
//     (PR_SET_PDEATHSIG, set by the thread that called Start: call it from
//     the test's main thread), and a small reaper process then removes the
//     directory;
//   - the server and initdb inherit no file descriptor of the test process
//     but stdin/stdout/stderr (which go to /dev/null and a log file).
//
// Usage in a gtest:
//   if (std::string why = PostgresServer::UnavailableReason(); !why.empty())
//     GTEST_SKIP() << "POSTGRESQL TESTS SKIPPED: " << why;
//   absl::StatusOr<PostgresServer*> server = SharedPostgresServer();
//   ASSERT_TRUE(server.ok()) << server.status();   // a failed start fails
//   absl::StatusOr<std::string> db = (*server)->CreateDatabase();
//   ... OpenPostgresStorage((*server)->ConnInfo(*db)) ...
#ifndef NITRO_TSS_TESTS_COORDINATOR_STORAGE_POSTGRES_SERVER_H_
#define NITRO_TSS_TESTS_COORDINATOR_STORAGE_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::coordinator::storage::testing {

class PostgresServer {
 public:
  // Where the server binaries are looked for (initdb, postgres);
  // NITRO_TSS_PG_BIN_DIR overrides.
  static std::string BinDir();

  // Empty when a server can be started here; otherwise why not (the
  // binaries are missing, or the process is root and there is no
  // `postgres` user). Tests skip with this message; any other failure to
  // start is an error.
  static std::string UnavailableReason();

  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  // Immediate shutdown, waits for the server to exit. Idempotent.
  void Stop();
  bool running() const { return pid_ > 0; }

  const std::string& socket_dir() const { return dir_; }
  int port() const { return kPort; }

  // libpq connection string for `dbname` as `user` (trust authentication
  // on the socket; `postgres` is the superuser).
  std::string ConnInfo(absl::string_view dbname,
                       absl::string_view user = "postgres") const;

  // Creates an empty database with a fresh name and returns the name.
  absl::StatusOr<std::string> CreateDatabase();

  // Runs `sql` (one or more statements, no parameters) on `dbname` as
  // `user` in a new session, outside any Storage (tests use it to tamper
  // with rows).
  absl::Status Exec(absl::string_view dbname, absl::string_view sql,
                    absl::string_view user = "postgres");

  // The rows of one query, every value as text ("" for NULL).
  absl::StatusOr<std::vector<std::vector<std::string>>> Query(
      absl::string_view dbname, absl::string_view sql,
      absl::string_view user = "postgres");

  // The server's log so far.
  std::string Log() const;

 private:
  static constexpr int kPort = 5432;  // only names the socket file

  PostgresServer() = default;
  // Writes `line` to the reaper's pipe.
  void TellReaper(absl::string_view line);

  std::string dir_;
  pid_t pid_ = -1;
  int next_db_ = 0;
  // A process that removes dir_ if this process dies without the
  // destructor running (see postgres_server.cc).
  pid_t reaper_pid_ = -1;
  int reaper_fd_ = -1;
  bool told_reaper_pid_ = false;
};

// One server per test process: started on the first call (from the main
// thread), stopped and removed at process exit, also when tests fail. A
// failed start is returned on every call. Call UnavailableReason() first.
absl::StatusOr<PostgresServer*> SharedPostgresServer();

}  // namespace nitro_tss::coordinator::storage::testing

#endif  // NITRO_TSS_TESTS_COORDINATOR_STORAGE_POSTGRES_SERVER_H_
