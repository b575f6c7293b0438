// PiModProofFromProto on arbitrary bytes: never crashes; what it accepts
// re-encodes canonically.
#include "mpc/zk/pi_mod.h"
#include "tests/fuzz/mpc/paillier/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzRoundTrip<nitro_tss::mpc::v1::PiModProof>(
      data, size,
      [](const nitro_tss::mpc::v1::PiModProof& p) {
        return nitro_tss::mpc::zk::PiModProofFromProto(p);
      },
      [](const nitro_tss::mpc::zk::PiModProof& proof) {
        return nitro_tss::mpc::zk::PiModProofToProto(proof);
      });
  return 0;
}
