// PiAffGPairSecondFromProto (a Πaff-g pair's second part, without A and w)
// on arbitrary wire bytes: never crashes, and what it accepts round-trips
// through PiAffGPairSecondToProto unchanged.
#include "mpc/zk/pi_aff_g.h"
#include "tests/fuzz/mpc/mta/mta_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nitro_tss::mpc;  // NOLINT
  return nitro_tss::fuzz::FuzzRoundTrip<v1::PiAffGProof, zk::PiAffGProof>(
      data, size,
      [](const v1::PiAffGProof& p) { return zk::PiAffGPairSecondFromProto(p); },
      [](const zk::PiAffGProof& v) { return zk::PiAffGPairSecondToProto(v); });
}
