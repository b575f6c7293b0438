// CPU time of another process (all its threads), from /proc/<pid>/stat, for
// the benchmarks that drive real processes (bench/node/cluster,
// bench/coordinator). Resolution: one clock tick (10 ms on Linux).
#ifndef NITRO_TSS_BENCH_COMMON_PROCESS_CPU_H_
#define NITRO_TSS_BENCH_COMMON_PROCESS_CPU_H_

#include <sys/types.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace nitro_tss::bench {

struct ProcessCpuTime {
  double user_ms = 0;
  double system_ms = 0;
  double total() const { return user_ms + system_ms; }
  ProcessCpuTime& operator+=(const ProcessCpuTime& o) {
    user_ms += o.user_ms;
    system_ms += o.system_ms;
    return *this;
  }
};

// The CPU `pid` has used so far; false when it is gone.
inline bool ReadProcessCpu(pid_t pid, ProcessCpuTime* out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  // Fields after the command name (which ends with ')'): 14 utime, 15 stime.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 > line.size()) return false;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  out->user_ms = 1000.0 * static_cast<double>(utime) / tick;
  out->system_ms = 1000.0 * static_cast<double>(stime) / tick;
  return true;
}

}  // namespace nitro_tss::bench

#endif  // NITRO_TSS_BENCH_COMMON_PROCESS_CPU_H_
