// PiLogRpProofFromProto on arbitrary wire bytes: never crashes, and what it
// accepts round-trips through PiLogRpProofToProto unchanged.
#include "mpc/zk/pi_log_rp.h"
#include "tests/fuzz/mpc/mta/mta_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nitro_tss::mpc;  // NOLINT
  return nitro_tss::fuzz::FuzzRoundTrip<v1::PiLogRpProof, zk::PiLogRpProof>(
      data, size,
      [](const v1::PiLogRpProof& p) { return zk::PiLogRpProofFromProto(p); },
      [](const zk::PiLogRpProof& v) { return zk::PiLogRpProofToProto(v); });
}
