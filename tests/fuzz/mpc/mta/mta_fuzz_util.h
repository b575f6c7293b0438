// Shared driver of the MtA decoder fuzz targets: parse arbitrary bytes as the
// protobuf message, run the strict decoder, and check that whatever it
// accepts re-encodes to a message that decodes again to the same value
// (same canonical wire bytes). Any violation aborts (libFuzzer reports it).
#ifndef NITRO_TSS_TESTS_FUZZ_MPC_MTA_MTA_FUZZ_UTIL_H_
#define NITRO_TSS_TESTS_FUZZ_MPC_MTA_MTA_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"

namespace nitro_tss::fuzz {

// Larger inputs cannot hold a valid message (the biggest, MtaResponse, is
// under 8 KiB) and only slow the fuzzer down.
inline constexpr size_t kMaxMtaFuzzInputBytes = 64 * 1024;

template <typename Proto, typename Value, typename Decode, typename Encode>
int FuzzRoundTrip(const uint8_t* data, size_t size, Decode decode,
                  Encode encode) {
  if (size > kMaxMtaFuzzInputBytes) return 0;
  Proto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<Value> value = decode(proto);
  if (!value.ok()) return 0;
  std::string wire = encode(*value).SerializeAsString();
  Proto again;
  if (!again.ParseFromString(wire)) std::abort();
  absl::StatusOr<Value> value2 = decode(again);
  if (!value2.ok()) std::abort();
  if (encode(*value2).SerializeAsString() != wire) std::abort();
  return 0;
}

}  // namespace nitro_tss::fuzz

#endif  // NITRO_TSS_TESTS_FUZZ_MPC_MTA_MTA_FUZZ_UTIL_H_
