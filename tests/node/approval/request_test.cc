// The canonical request encoding: a known-answer vector written from the
// header's table, the approval message, validation and the strict decoder.
#include "node/approval/request.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/node/approval/approval_test_util.h"

namespace nitro_tss::approval {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::MakeRequest;

// MakeRequest(0x0000018bcfe56800, 0x01), field by field.
const char kExpectedHex[] =
    "01"                                                                // v
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"  // key
    "01"                                                                // op
    "01"                                                                // hash
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"  // dgst
    "05"                                                                // d
    "0000002c0000003c000000000000000000000007"                          // path
    "0000018bcfe56800"                                                  // exp
    "18"                                                                // n
    "4e0101010101010101010101010101010101010101010101";                 // nonce

TEST(ApprovalRequestTest, EncodingMatchesTheDocumentedLayout) {
  const ApprovalRequest r = MakeRequest(0x0000018bcfe56800ull);
  absl::StatusOr<std::vector<uint8_t>> encoded = EncodeRequest(r);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(Hex(*encoded), kExpectedHex);
  absl::StatusOr<std::vector<uint8_t>> message = ApprovalMessage(r);
  ASSERT_TRUE(message.ok());
  // "nitro-tss/approval/v1/request" in ASCII, 0x00, the encoding.
  EXPECT_EQ(
      Hex(*message),
      absl::StrCat("6e6974726f2d7473732f617070726f76616c2f76312f7265717565"
                   "7374",
                   "00", kExpectedHex));
  absl::StatusOr<ApprovalRequest> decoded = DecodeRequest(*encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, r);
}

TEST(ApprovalRequestTest, EdgeSizesRoundTrip) {
  ApprovalRequest r = MakeRequest(~0ull);
  r.derivation_path.clear();
  r.nonce.assign(kMinNonceBytes, 7);
  r.operation = Operation::kExport;
  r.hash_function = HashFunction::kKeccak256;
  std::vector<uint8_t> e = *EncodeRequest(r);
  EXPECT_EQ(e.size(), kMinRequestBytes);
  EXPECT_EQ(*DecodeRequest(e), r);
  r.derivation_path.assign(kMaxDerivationDepth, 0xffffffffu);
  r.nonce.assign(kMaxNonceBytes, 9);
  e = *EncodeRequest(r);
  EXPECT_EQ(e.size(), kMaxRequestBytes);
  EXPECT_EQ(*DecodeRequest(e), r);
}

TEST(ApprovalRequestTest, ValidateRefusesEachBadField) {
  const auto refused = [](const ApprovalRequest& r, absl::string_view why) {
    const absl::Status s = ValidateRequest(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_TRUE(absl::StrContains(s.message(), why)) << s;
    EXPECT_EQ(EncodeRequest(r).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ApprovalMessage(r).status().code(),
              absl::StatusCode::kInvalidArgument);
  };
  ApprovalRequest r = MakeRequest(1);
  ASSERT_TRUE(ValidateRequest(r).ok());
  r.operation = Operation{};
  refused(r, "unknown operation 0");
  r = MakeRequest(1);
  r.operation = static_cast<Operation>(5);
  refused(r, "unknown operation 5");
  r = MakeRequest(1);
  r.hash_function = HashFunction{};
  refused(r, "unknown hash function 0");
  r = MakeRequest(1);
  r.hash_function = static_cast<HashFunction>(3);
  refused(r, "unknown hash function 3");
  r = MakeRequest(1);
  r.derivation_path.assign(kMaxDerivationDepth + 1, 0);
  refused(r, "derivation path of 33 elements");
  r = MakeRequest(0);
  refused(r, "expiry_unix_ms is 0");
  r = MakeRequest(1);
  r.nonce.resize(kMinNonceBytes - 1);
  refused(r, "nonce must be 16..32 bytes");
  r.nonce.resize(kMaxNonceBytes + 1);
  refused(r, "nonce must be 16..32 bytes");
}

TEST(ApprovalRequestTest, DecoderRefusesEveryDeviation) {
  const std::vector<uint8_t> good = Bytes(kExpectedHex);
  const auto refused = [](const std::vector<uint8_t>& bytes,
                          absl::string_view why) {
    const absl::Status s = DecodeRequest(bytes).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_TRUE(absl::StrContains(s.message(), why)) << s;
  };
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(
        DecodeRequest(absl::MakeConstSpan(good.data(), n)).status().code(),
        absl::StatusCode::kInvalidArgument)
        << n;
  }
  std::vector<uint8_t> b = good;
  b.push_back(0);
  refused(b, "trailing bytes");
  b = good;
  b[0] = 2;
  refused(b, "unsupported version 2");
  b = good;
  b[33] = 0;
  refused(b, "unknown operation 0");
  b[33] = 5;
  refused(b, "unknown operation 5");
  b = good;
  b[34] = 3;
  refused(b, "unknown hash function 3");
  b = good;
  b[67] = 33;  // path_len
  refused(b, "path_len must be 0..32");
  b = good;
  b[67] = 6;  // one more element than present: the rest shifts
  refused(b, "");
  b = good;
  std::fill(b.begin() + 88, b.begin() + 96, 0);  // expiry
  refused(b, "expiry_unix_ms is 0");
  b = good;
  b[96] = 15;
  refused(b, "nonce_len must be 16..32");
  b[96] = 33;
  refused(b, "nonce_len must be 16..32");
  refused(std::vector<uint8_t>(kMaxRequestBytes + 1, 1), "exceeds the limit");
}

TEST(ApprovalRequestFuzzSeeds, DecodeAsIntended) {
  std::ifstream in(
      "tests/fuzz/node/approval/corpus/approval_request_fuzz/"
      "canonical_request.bin",
      std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  EXPECT_TRUE(DecodeRequest(bytes).ok()) << DecodeRequest(bytes).status();
}

}  // namespace
}  // namespace nitro_tss::approval
