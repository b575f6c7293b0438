// Shared helpers for the curve fuzz targets.
#ifndef NITRO_TSS_TESTS_FUZZ_MPC_CURVE_FUZZ_UTIL_H_
#define NITRO_TSS_TESTS_FUZZ_MPC_CURVE_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>

// Aborts (a crash libFuzzer reports) when an invariant fails.
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, \
                   __LINE__);                                                  \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

// Upper bound on the wire size a caller accepts for these messages.
inline constexpr size_t kMaxFuzzWireBytes = 1 << 14;

#endif  // NITRO_TSS_TESTS_FUZZ_MPC_CURVE_FUZZ_UTIL_H_
