// RingPedersenParams::FromProto on arbitrary bytes.
#include "mpc/ringpedersen/ring_pedersen.h"
#include "tests/fuzz/mpc/paillier/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::RingPedersenParams;
  FuzzRoundTrip<nitro_tss::mpc::v1::RingPedersenParams>(
      data, size,
      [](const nitro_tss::mpc::v1::RingPedersenParams& p) {
        return RingPedersenParams::FromProto(p);
      },
      [](const RingPedersenParams& r) { return r.ToProto(); });
  return 0;
}
