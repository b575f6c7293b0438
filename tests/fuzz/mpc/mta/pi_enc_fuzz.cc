// PiEncProofFromProto on arbitrary wire bytes: never crashes, and what it
// accepts round-trips through PiEncProofToProto unchanged.
#include "mpc/zk/pi_enc.h"
#include "tests/fuzz/mpc/mta/mta_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nitro_tss::mpc;  // NOLINT
  return nitro_tss::fuzz::FuzzRoundTrip<v1::PiEncProof, zk::PiEncProof>(
      data, size,
      [](const v1::PiEncProof& p) { return zk::PiEncProofFromProto(p); },
      [](const zk::PiEncProof& v) { return zk::PiEncProofToProto(v); });
}
