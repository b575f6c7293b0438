#include "tests/coordinator/storage/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace nitro_tss::coordinator::storage::testing {
namespace {

constexpr auto kInitdbDeadline = std::chrono::seconds(120);
constexpr auto kReadyDeadline = std::chrono::seconds(60);
constexpr auto kStopDeadline = std::chrono::seconds(20);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

// The reaper: a shell (root, own session, survives the test process) that
// blocks on a pipe from the test process. Line 1 is the postmaster's pid
// (or "none"), line 2 "stopped" once the test process has stopped the
// server and removed the directory itself. If the pipe ends without
// "stopped" (the test process died: crash, SIGKILL by a timeout, SIGPIPE),
// it stops the server (which PR_SET_PDEATHSIG has usually stopped already)
// and removes the directory. $1 = the directory.
constexpr char kReaperScript[] = R"sh(
read -r pid <&3 || pid=none
read -r state <&3 || state=
[ "$state" = stopped ] && exit 0
case "$pid" in
  ''|*[!0-9]*) ;;
  *)
    kill -QUIT "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 200 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null
    ;;
esac
rm -rf -- "$1"
)sh";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool IsExecutable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

// Who runs initdb/postgres: the `postgres` user when we are root, else us.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<RunAs> ServerUser() {
  RunAs who;
  if (geteuid() != 0) return who;
  struct passwd pw;
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r("postgres", &pw, buf.data(), buf.size(), &result) != 0 ||
      result == nullptr) {
    return absl::FailedPreconditionError(
        "running as root and there is no `postgres` user to run initdb and "
        "the server as (initdb refuses root; install postgresql-15, which "
        "creates the user)");
  }
  if (pw.pw_uid == 0) {
    return absl::FailedPreconditionError("the `postgres` user is root");
  }
  who.switch_user = true;
  who.uid = pw.pw_uid;
  who.gid = pw.pw_gid;
  return who;
}

struct SpawnOptions {
  RunAs who;
  std::string log = "/dev/null";  // stdout + stderr, appended
  // SIGQUIT to the child when the calling thread exits.
  bool die_with_parent = false;
  // Passed to the child as fd 3 (every other fd above 2 is closed).
  int pass_fd = -1;
  bool new_session = false;  // setsid(): not hit by the terminal's signals
};

// Forks and execs argv. Everything the child needs is prepared before fork
// (only async-signal-safe calls after it). The child inherits no file
// descriptor but 0-2 (and pass_fd as 3): a held pipe end would keep another
// reader of this test waiting.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args,
                            const SpawnOptions& o) {
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  static char kPathEnv[] = "PATH=/usr/bin:/bin";
  static char kLcAll[] = "LC_ALL=C";
  static char kTz[] = "TZ=UTC";
  char* envp[] = {kPathEnv, kLcAll, kTz, nullptr};
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    if (o.new_session) setsid();
    if (o.who.switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(o.who.gid) != 0 ||
          setuid(o.who.uid) != 0) {
        _exit(126);
      }
    }
    // After the uid change (which would clear it).
    if (o.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (getppid() != parent) _exit(125);
    }
    const int fd = open(o.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) _exit(124);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      if (devnull > STDERR_FILENO) close(devnull);
    }
    int first_closed = 3;
    if (o.pass_fd >= 0) {
      if (o.pass_fd == 3) {
        fcntl(3, F_SETFD, 0);  // dup2 onto itself would keep FD_CLOEXEC
      } else if (dup2(o.pass_fd, 3) != 3) {
        _exit(123);
      }
      first_closed = 4;
    }
    if (close_range(first_closed, ~0U, 0) != 0) {
      for (int i = first_closed; i < 65536; ++i) close(i);
    }
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  return pid;
}

// initdb and postgres: as `who`, logging to `log`, stopped with the test.
SpawnOptions ServerProcess(const RunAs& who, const std::string& log) {
  SpawnOptions o;
  o.who = who;
  o.log = log;
  o.die_with_parent = true;
  return o;
}

// Waits for `pid` until `deadline`; the exit status, or nullopt if still
// running at the deadline.
std::optional<int> WaitUntil(pid_t pid,
                             std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string Tail(const std::string& s, size_t n = 4000) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

std::string PostgresServer::BinDir() {
  const char* env = std::getenv("NITRO_TSS_PG_BIN_DIR");
  return env != nullptr && *env != '\0' ? env : "/usr/lib/postgresql/15/bin";
}

std::string PostgresServer::UnavailableReason() {
  const std::string bin = BinDir();
  for (const char* tool : {"initdb", "postgres"}) {
    if (!IsExecutable(absl::StrCat(bin, "/", tool))) {
      return absl::StrCat("no executable ", bin, "/", tool,
                          " (scripts/install-deps.sh installs postgresql-15)");
    }
  }
  absl::StatusOr<RunAs> who = ServerUser();
  if (!who.ok()) return std::string(who.status().message());
  return "";
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  if (std::string why = UnavailableReason(); !why.empty()) {
    return absl::FailedPreconditionError(why);
  }
  absl::StatusOr<RunAs> who = ServerUser();
  if (!who.ok()) return who.status();
  char tmpl[] = "/tmp/nitro-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->dir_ = tmpl;
  if (who->switch_user && chown(tmpl, who->uid, who->gid) != 0) {
    return absl::InternalError("cannot chown the server directory");
  }
  if (chmod(tmpl, 0700) != 0) {
    return absl::InternalError("cannot chmod the server directory");
  }
  int reaper_pipe[2];
  if (pipe2(reaper_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe2 failed");
  }
  SpawnOptions reaper_options;
  reaper_options.pass_fd = reaper_pipe[0];
  reaper_options.new_session = true;
  absl::StatusOr<pid_t> reaper =
      Spawn({"/bin/sh", "-c", kReaperScript, "nitro-pg-reaper", server->dir_},
            reaper_options);
  close(reaper_pipe[0]);
  if (!reaper.ok()) {
    close(reaper_pipe[1]);
    return reaper.status();
  }
  server->reaper_pid_ = *reaper;
  server->reaper_fd_ = reaper_pipe[1];
  const std::string bin = BinDir();
  const std::string data = server->dir_ + "/data";
  const std::string initdb_log = server->dir_ + "/initdb.log";

  absl::StatusOr<pid_t> initdb =
      Spawn({bin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E",
             "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            ServerProcess(*who, initdb_log));
  if (!initdb.ok()) return initdb.status();
  const std::optional<int> initdb_status =
      WaitUntil(*initdb, std::chrono::steady_clock::now() + kInitdbDeadline);
  if (!initdb_status.has_value()) {
    kill(*initdb, SIGKILL);
    waitpid(*initdb, nullptr, 0);
    return absl::DeadlineExceededError("initdb did not finish");
  }
  if (!WIFEXITED(*initdb_status) || WEXITSTATUS(*initdb_status) != 0) {
    return absl::InternalError(absl::StrCat("initdb failed (status ",
                                            *initdb_status,
                                            "): ", Tail(ReadFile(initdb_log))));
  }

  absl::StatusOr<pid_t> postgres =
      Spawn({bin + "/postgres",
             "-D",
             data,
             "-p",
             absl::StrCat(kPort),
             "-k",
             server->dir_,
             "-c",
             "listen_addresses=",
             "-c",
             "unix_socket_permissions=0700",
             "-c",
             "fsync=off",
             "-c",
             "synchronous_commit=off",
             "-c",
             "full_page_writes=off",
             "-c",
             "max_connections=100",
             "-c",
             "dynamic_shared_memory_type=mmap",
             "-c",
             "logging_collector=off",
             "-c",
             "log_min_messages=warning"},
            ServerProcess(*who, server->dir_ + "/postgres.log"));
  if (!postgres.ok()) return postgres.status();
  server->pid_ = *postgres;
  server->TellReaper(absl::StrCat(server->pid_, "\n"));

  const std::string ping = server->ConnInfo("postgres");
  const auto deadline = std::chrono::steady_clock::now() + kReadyDeadline;
  for (;;) {
    if (PQping(ping.c_str()) == PQPING_OK) return server;
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("postgres exited before accepting connections (status ",
                       status, "): ", Tail(server->Log())));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("postgres did not accept connections within 60 s: ",
                       Tail(server->Log())));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PostgresServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGQUIT);  // immediate shutdown
  if (!WaitUntil(pid_, std::chrono::steady_clock::now() + kStopDeadline)
           .has_value()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

PostgresServer::~PostgresServer() {
  Stop();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (reaper_fd_ >= 0) {
    if (!told_reaper_pid_) TellReaper("none\n");
    TellReaper("stopped\n");
    close(reaper_fd_);
    waitpid(reaper_pid_, nullptr, 0);
  }
}

void PostgresServer::TellReaper(absl::string_view line) {
  told_reaper_pid_ = true;
  while (!line.empty()) {
    const ssize_t n = write(reaper_fd_, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line.remove_prefix(static_cast<size_t>(n));
  }
}

std::string PostgresServer::ConnInfo(absl::string_view dbname,
                                     absl::string_view user) const {
  return absl::StrCat("host=", dir_, " port=", kPort, " user=", user,
                      " dbname=", dbname, " connect_timeout=10");
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  const std::string name = absl::StrCat("test_", next_db_++);
  absl::Status s = Exec("postgres", absl::StrCat("CREATE DATABASE ", name));
  if (!s.ok()) return s;
  return name;
}

absl::Status PostgresServer::Exec(absl::string_view dbname,
                                  absl::string_view sql,
                                  absl::string_view user) {
  return Query(dbname, sql, user).status();
}

absl::StatusOr<std::vector<std::vector<std::string>>> PostgresServer::Query(
    absl::string_view dbname, absl::string_view sql, absl::string_view user) {
  PGconn* conn = PQconnectdb(ConnInfo(dbname, user).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status s =
        absl::UnavailableError(absl::StrCat("connect: ", PQerrorMessage(conn)));
    PQfinish(conn);
    return s;
  }
  const std::string text(sql);
  PGresult* res = PQexec(conn, text.c_str());
  const ExecStatusType st = PQresultStatus(res);
  absl::StatusOr<std::vector<std::vector<std::string>>> out;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    out = absl::InternalError(absl::StrCat(
        "exec: ",
        absl::StripTrailingAsciiWhitespace(PQresultErrorMessage(res))));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (int r = 0; r < PQntuples(res); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(res); ++c) {
        row.emplace_back(PQgetvalue(res, r, c), PQgetlength(res, r, c));
      }
      rows.push_back(std::move(row));
    }
    out = std::move(rows);
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

std::string PostgresServer::Log() const {
  return ReadFile(dir_ + "/postgres.log");
}

absl::StatusOr<PostgresServer*> SharedPostgresServer() {
  static std::mutex mu;
  // Destroyed at exit (server stopped, directory removed).
  static std::unique_ptr<PostgresServer> server;
  static absl::Status start_error;
  std::lock_guard<std::mutex> lock(mu);
  if (server != nullptr) return server.get();
  if (!start_error.ok()) return start_error;
  absl::StatusOr<std::unique_ptr<PostgresServer>> started =
      PostgresServer::Start();
  if (!started.ok()) {
    start_error = started.status();
    return start_error;
  }
  server = *std::move(started);
  return server.get();
}

}  // namespace nitro_tss::coordinator::storage::testing
