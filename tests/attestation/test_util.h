// Helpers shared by the attestation tests.
#ifndef NITRO_TSS_TESTS_ATTESTATION_TEST_UTIL_H_
#define NITRO_TSS_TESTS_ATTESTATION_TEST_UTIL_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace nitro_tss::attestation::testing {

inline constexpr char kProdDocPath[] =
    "../shared/testdata/nitro/nitro_attestation_2024-09-07.cbor";
inline constexpr char kDebugDocPath[] =
    "../shared/testdata/nitro/nitro_attestation_debug_2024-09-07.cbor";
inline constexpr char kRootPemPath[] =
    "../shared/testdata/nitro/aws_nitro_enclaves_root_g1.pem";

inline constexpr int64_t kProdTimestampMs = 1725719859545;
inline constexpr int64_t kDebugTimestampMs = 1725719886508;

inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

inline std::vector<uint8_t> Hex(const std::string& hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace nitro_tss::attestation::testing

#endif  // NITRO_TSS_TESTS_ATTESTATION_TEST_UTIL_H_
