// Single-bit flips of the real AWS documents must all be rejected.
//
// Default (CTest) mode, per document: every bit of the COSE header (array
// head + protected header + unprotected map, first 7 bytes), every bit of
// the first 256 and last 256 bytes (which include the whole 96-byte
// signature and its header), plus a deterministic pseudo-random sample of
// 6000 other (byte, bit) positions (std::mt19937_64 seeded with 20240907).
// Exhaustive mode (all 8 * size flips of both documents, ~120k
// verifications, a few minutes on a loaded 2-core machine) runs when the
// environment variable NITRO_TSS_EXHAUSTIVE_BITFLIP=1 is set.
#include <chrono>
#include <cstdlib>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "node/attestation/aws_root.h"
#include "node/attestation/errors.h"
#include "node/attestation/verifier.h"
#include "tests/attestation/test_util.h"

namespace nitro_tss::attestation {
namespace {

constexpr size_t kEdgeBytes = 256;
constexpr size_t kSampleFlips = 6000;

struct FlipCase {
  const char* path;
  int64_t timestamp_ms;
  bool debug;
};

// Flips each (byte, bit) in `positions` (bit index = byte * 8 + bit) and
// expects a classified rejection; prints a histogram of the reasons.
void ExpectAllFlipsRejected(const FlipCase& c,
                            const std::vector<size_t>& positions) {
  std::vector<uint8_t> doc = testing::ReadFileBytes(c.path);
  ASSERT_FALSE(doc.empty());
  const VerifyOptions options{AwsNitroRootG1Der(), c.timestamp_ms};
  AttestationPolicy policy;
  policy.allow_debug = c.debug;
  ASSERT_TRUE(VerifyAttestationDocument(doc, options, policy).ok());
  std::map<VerifyError, size_t> histogram;
  const auto start = std::chrono::steady_clock::now();
  size_t accepted = 0;
  for (size_t position : positions) {
    const size_t byte = position / 8;
    const uint8_t mask = static_cast<uint8_t>(1u << (position % 8));
    doc[byte] ^= mask;
    auto result = VerifyAttestationDocument(doc, options, policy);
    doc[byte] ^= mask;
    if (result.ok()) {
      ++accepted;
      ADD_FAILURE() << "flip of bit " << position % 8 << " of byte " << byte
                    << " accepted";
      continue;
    }
    ++histogram[GetVerifyError(result.status())];
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(accepted, 0u);
  EXPECT_EQ(histogram.count(VerifyError::kNone), 0u);
  for (const auto& [error, count] : histogram) {
    std::printf("  %-26s %zu\n", VerifyErrorName(error), count);
  }
  std::printf("  %zu of %zu possible flips of %s rejected in %.1f s\n",
              positions.size(), doc.size() * 8, c.path, seconds);
}

class BitFlipTest : public ::testing::TestWithParam<FlipCase> {};

// Default: every bit of the first and last kEdgeBytes plus a seeded random
// sample of the middle. With NITRO_TSS_EXHAUSTIVE_BITFLIP=1: every bit of
// the document (kept out of the default suite for time).
TEST_P(BitFlipTest, FlipsAreRejected) {
  const FlipCase& c = GetParam();
  const size_t size = testing::ReadFileBytes(c.path).size();
  const char* env = std::getenv("NITRO_TSS_EXHAUSTIVE_BITFLIP");
  if (env != nullptr && std::string(env) == "1") {
    std::vector<size_t> all(size * 8);
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    ExpectAllFlipsRejected(c, all);
    return;
  }
  ASSERT_GT(size, 2 * kEdgeBytes);
  std::set<size_t> positions;
  for (size_t byte = 0; byte < kEdgeBytes; ++byte) {  // includes header
    for (size_t bit = 0; bit < 8; ++bit) positions.insert(byte * 8 + bit);
  }
  for (size_t byte = size - kEdgeBytes; byte < size; ++byte) {  // signature
    for (size_t bit = 0; bit < 8; ++bit) positions.insert(byte * 8 + bit);
  }
  std::mt19937_64 rng(20240907);
  std::uniform_int_distribution<size_t> middle(kEdgeBytes * 8,
                                               (size - kEdgeBytes) * 8 - 1);
  const size_t target = positions.size() + kSampleFlips;
  while (positions.size() < target) positions.insert(middle(rng));
  ExpectAllFlipsRejected(
      c, std::vector<size_t>(positions.begin(), positions.end()));
}

INSTANTIATE_TEST_SUITE_P(
    RealDocuments, BitFlipTest,
    ::testing::Values(
        FlipCase{testing::kProdDocPath, testing::kProdTimestampMs, false},
        FlipCase{testing::kDebugDocPath, testing::kDebugTimestampMs, true}),
    [](const ::testing::TestParamInfo<FlipCase>& info) {
      return std::string(info.param.debug ? "Debug" : "Production");
    });

}  // namespace
}  // namespace nitro_tss::attestation
