// PiFacProofFromProto on arbitrary bytes: never crashes; what it accepts
// re-encodes canonically.
#include "mpc/zk/pi_fac.h"
#include "tests/fuzz/mpc/paillier/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzRoundTrip<nitro_tss::mpc::v1::PiFacProof>(
      data, size,
      [](const nitro_tss::mpc::v1::PiFacProof& p) {
        return nitro_tss::mpc::zk::PiFacProofFromProto(p);
      },
      [](const nitro_tss::mpc::zk::PiFacProof& proof) {
        return nitro_tss::mpc::zk::PiFacProofToProto(proof);
      });
  return 0;
}
