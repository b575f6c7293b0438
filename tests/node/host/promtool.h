// Test helper: `promtool check metrics` (Debian package prometheus) on a
// Prometheus text exposition.
#ifndef NITRO_TSS_TESTS_NODE_HOST_PROMTOOL_H_
#define NITRO_TSS_TESTS_NODE_HOST_PROMTOOL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::testing {

inline bool HavePromtool() { return ::access("/usr/bin/promtool", X_OK) == 0; }

// Writes `exposition` to `dir`/promtool-input.txt and checks it; the
// linter's output in the error.
inline absl::Status PromtoolCheck(const std::string& dir,
                                  const std::string& exposition) {
  const std::string path = dir + "/promtool-input.txt";
  std::ofstream(path, std::ios::binary) << exposition;
  const std::string cmd =
      "/usr/bin/promtool check metrics < '" + path + "' 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return absl::InternalError("popen promtool");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int st = ::pclose(f);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("promtool: ", out));
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_NODE_HOST_PROMTOOL_H_
