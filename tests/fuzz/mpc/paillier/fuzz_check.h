// Invariant check for the Paillier / modulus-proof fuzz targets.
#ifndef NITRO_TSS_TESTS_FUZZ_MPC_PAILLIER_FUZZ_CHECK_H_
#define NITRO_TSS_TESTS_FUZZ_MPC_PAILLIER_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

// Aborts (a crash libFuzzer reports) when an invariant fails.
#define PAILLIER_FUZZ_CHECK(cond)                                         \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, \
                   __LINE__);                                             \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

// Largest wire message the decoders are fuzzed with (a Πmod proof is about
// 67 KB).
inline constexpr size_t kPaillierFuzzMaxBytes = 1 << 17;

// Decodes `data` as Proto, runs `decode`; if accepted, re-encodes with
// `encode` and checks the encoding is canonical (identical bytes) and
// decodes again.
template <typename Proto, typename Decode, typename Encode>
void FuzzRoundTrip(const uint8_t* data, size_t size, Decode decode,
                   Encode encode) {
  if (size > kPaillierFuzzMaxBytes) return;
  Proto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return;
  // Unknown fields are ignored by the decoders; canonicality is about the
  // known ones.
  proto.DiscardUnknownFields();
  auto value = decode(proto);
  if (!value.ok()) {
    PAILLIER_FUZZ_CHECK(!value.status().message().empty());
    return;
  }
  Proto again = encode(*value);
  std::string wire = again.SerializeAsString();
  PAILLIER_FUZZ_CHECK(wire == proto.SerializeAsString());
  auto value2 = decode(again);
  PAILLIER_FUZZ_CHECK(value2.ok());
  PAILLIER_FUZZ_CHECK(encode(*value2).SerializeAsString() == wire);
}

#endif  // NITRO_TSS_TESTS_FUZZ_MPC_PAILLIER_FUZZ_CHECK_H_
