// Counting the exponentiations a piece of code makes (issue 12 finding 4):
// constant-time (BigInt::PowModConstTime, and so PowModSecret) versus
// variable-time (BigInt::PowMod) calls on this thread.
#ifndef NITRO_TSS_TESTS_MPC_POW_MOD_COUNTS_H_
#define NITRO_TSS_TESTS_MPC_POW_MOD_COUNTS_H_

#include "mpc/math/bigint.h"

namespace nitro_tss::mpc::pow_mod_counts {

// The calls fn() made on this thread.
template <typename Fn>
internal::PowModCallCounts CountPowMod(Fn&& fn) {
  const internal::PowModCallCounts before = internal::PowModCalls();
  fn();
  const internal::PowModCallCounts after = internal::PowModCalls();
  return {after.const_time - before.const_time,
          after.variable_time - before.variable_time};
}

}  // namespace nitro_tss::mpc::pow_mod_counts

#endif  // NITRO_TSS_TESTS_MPC_POW_MOD_COUNTS_H_
