// Test helper: what the kernel says about locked memory, from /proc/self:
// VmLck of the process and the Rss / Locked sizes of the mapping that holds
// an address (smaps).
#ifndef NITRO_TSS_TESTS_MPC_LOCKED_PAGES_H_
#define NITRO_TSS_TESTS_MPC_LOCKED_PAGES_H_

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace nitro_tss::mpc::testing {

// VmLck of /proc/self/status in kB (-1 if absent).
inline int64_t VmLckKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmLck:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

struct MappingPages {
  bool found = false;
  int64_t rss_kb = 0;
  int64_t locked_kb = 0;
  uintptr_t begin = 0, end = 0;
};

// The /proc/self/smaps entry of the mapping containing `p`.
inline MappingPages PagesOf(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  MappingPages out;
  bool inside = false;
  while (std::getline(in, line)) {
    unsigned long long b = 0, e = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx ", &b, &e) == 2 &&
        line.find(':') > line.find(' ')) {
      if (inside) break;  // the next mapping
      inside = a >= b && a < e;
      if (inside) {
        out.found = true;
        out.begin = static_cast<uintptr_t>(b);
        out.end = static_cast<uintptr_t>(e);
      }
      continue;
    }
    if (!inside) continue;
    std::istringstream fields(line);
    std::string name;
    int64_t kb = 0;
    fields >> name >> kb;
    if (name == "Rss:") out.rss_kb = kb;
    if (name == "Locked:") out.locked_kb = kb;
  }
  return out;
}

}  // namespace nitro_tss::mpc::testing

#endif  // NITRO_TSS_TESTS_MPC_LOCKED_PAGES_H_
