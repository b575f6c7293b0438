// PiPrmProofFromProto on arbitrary bytes: never crashes; what it accepts
// re-encodes canonically.
#include "mpc/zk/pi_prm.h"
#include "tests/fuzz/mpc/paillier/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzRoundTrip<nitro_tss::mpc::v1::PiPrmProof>(
      data, size,
      [](const nitro_tss::mpc::v1::PiPrmProof& p) {
        return nitro_tss::mpc::zk::PiPrmProofFromProto(p);
      },
      [](const nitro_tss::mpc::zk::PiPrmProof& proof) {
        return nitro_tss::mpc::zk::PiPrmProofToProto(proof);
      });
  return 0;
}
