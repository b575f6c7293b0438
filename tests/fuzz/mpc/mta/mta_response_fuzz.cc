// MtaResponseFromProto on arbitrary wire bytes: never crashes, and what it
// accepts round-trips through MtaResponseToProto unchanged.
#include "mpc/mta/mta.h"
#include "tests/fuzz/mpc/mta/mta_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nitro_tss::mpc;  // NOLINT
  return nitro_tss::fuzz::FuzzRoundTrip<v1::MtaResponse, mta::MtaResponse>(
      data, size,
      [](const v1::MtaResponse& p) { return mta::MtaResponseFromProto(p); },
      [](const mta::MtaResponse& v) { return mta::MtaResponseToProto(v); });
}
