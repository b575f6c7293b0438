// Fuzzes the NSM CBOR codec: the response decoder (what /dev/nsm returns)
// and the request decoder (what the simulated NSM serves). Invariant: a
// decoded message re-encodes to exactly the input bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "node/attestation/nsm_codec.h"

using nitro_tss::attestation::DecodeNsmRequest;
using nitro_tss::attestation::DecodeNsmResponse;
using nitro_tss::attestation::EncodeNsmRequest;
using nitro_tss::attestation::EncodeNsmResponse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  const std::vector<uint8_t> bytes(data, data + size);
  auto response = DecodeNsmResponse(input);
  if (response.ok()) {
    // Field order is free on input, so compare after one normalization.
    auto normalized = EncodeNsmResponse(*response);
    auto again = DecodeNsmResponse(normalized);
    if (!again.ok() || EncodeNsmResponse(*again) != normalized) std::abort();
  }
  auto request = DecodeNsmRequest(input);
  if (request.ok()) {
    auto normalized = EncodeNsmRequest(*request);
    auto again = DecodeNsmRequest(normalized);
    if (!again.ok() || EncodeNsmRequest(*again) != normalized) std::abort();
  }
  return 0;
}
