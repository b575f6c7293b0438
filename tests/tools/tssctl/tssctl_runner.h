// Test helper: runs a program (the real tssctl binary, python3, openssl) to
// its exit without a shell, with stdout and stderr captured separately, and
// fresh temporary directories. Test-only (target tssctl_test_runner).
#ifndef NITRO_TSS_TESTS_TOOLS_TSSCTL_TSSCTL_RUNNER_H_
#define NITRO_TSS_TESTS_TOOLS_TSSCTL_TSSCTL_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"

namespace nitro_tss::testing {

struct RunResult {
  int exit_code = -1;  // -1: did not start or ended by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is looked up in PATH when it has no '/') with stdin
// from /dev/null and waits for it.
RunResult RunProgram(const std::vector<std::string>& argv);

// $NITRO_TSS_BINARY_DIR/tools/tssctl/tssctl ("build/..." without it).
std::string TssctlPath();
// Runs tssctl with `args`.
RunResult Tssctl(const std::vector<std::string>& args);

// stdout parsed as JSON; a test failure (and null) if it is not JSON.
json::Value OutJson(const RunResult& run);
// The string at `path` ("a.b.c") of an object, "" (and a test failure) if
// absent or not a string.
std::string JsonString(const json::Value& v, const std::string& path);

// A fresh directory under the test's temp dir, removed on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& content);
void WriteFile(const std::string& path, const std::vector<uint8_t>& content);
std::string ReadFile(const std::string& path);

std::string Hex(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> FromHex(const std::string& hex);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_TOOLS_TSSCTL_TSSCTL_RUNNER_H_
