// MtaRequestFromProto on arbitrary wire bytes: never crashes, and what it
// accepts round-trips through MtaRequestToProto unchanged.
#include "mpc/mta/mta.h"
#include "tests/fuzz/mpc/mta/mta_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nitro_tss::mpc;  // NOLINT
  return nitro_tss::fuzz::FuzzRoundTrip<v1::MtaRequest, mta::MtaRequest>(
      data, size,
      [](const v1::MtaRequest& p) { return mta::MtaRequestFromProto(p); },
      [](const mta::MtaRequest& v) { return mta::MtaRequestToProto(v); });
}
