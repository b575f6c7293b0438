// Test helper: a child process of a real binary, its stderr in a log file,
// readiness by a ready file it writes, and a stop that always happens
// (SIGTERM, then SIGKILL after a grace period) — also when the test fails.
#ifndef NITRO_TSS_TESTS_NODE_CLUSTER_CHILD_PROCESS_H_
#define NITRO_TSS_TESTS_NODE_CLUSTER_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/json.h"

namespace nitro_tss::testing {

class ChildProcess {
 public:
  // Starts `argv` (argv[0] is the binary path) with stderr and stdout to
  // `log_path`, and waits until `ready_file` holds a JSON object (the
  // process writes it atomically once serving) or `timeout` passes or the
  // process exits (then the error carries the log's tail).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::vector<std::string> argv, const std::string& log_path,
      const std::string& ready_file, absl::Duration timeout);
  ~ChildProcess();

  const json::Value& ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait (SIGKILL after `grace`); the exit code, or 128+signal.
  int Stop(absl::Duration grace = absl::Seconds(10));
  // SIGKILL now (a crash); waits for it.
  void Kill();
  bool running() const { return pid_ > 0; }
  std::string Log() const;

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  std::string log_path_;
  json::Value ready_;
};

// The directory of the build (NITRO_TSS_BINARY_DIR, set by CTest; "build"
// otherwise).
std::string BinaryDir();

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_NODE_CLUSTER_CHILD_PROCESS_H_
