// PiLogStarProofFromProto on arbitrary wire bytes: never crashes, and what it
// accepts round-trips through PiLogStarProofToProto unchanged.
#include "mpc/zk/pi_log_star.h"
#include "tests/fuzz/mpc/mta/mta_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nitro_tss::mpc;  // NOLINT
  return nitro_tss::fuzz::FuzzRoundTrip<v1::PiLogStarProof, zk::PiLogStarProof>(
      data, size,
      [](const v1::PiLogStarProof& p) {
        return zk::PiLogStarProofFromProto(p);
      },
      [](const zk::PiLogStarProof& v) { return zk::PiLogStarProofToProto(v); });
}
