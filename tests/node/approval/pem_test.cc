#include "node/approval/pem.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nitro_tss::approval {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// "hello" in base64 is aGVsbG8=.
const char kBlock[] =
    "-----BEGIN PUBLIC KEY-----\naGVsbG8=\n-----END PUBLIC KEY-----\n";

TEST(ReadSinglePemBlock, ReturnsLabelAndBody) {
  absl::StatusOr<PemBlock> block = ReadSinglePemBlock(Bytes(kBlock));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->label, "PUBLIC KEY");
  EXPECT_FALSE(block->has_headers);
  EXPECT_EQ(block->der, Bytes("hello"));
}

TEST(ReadSinglePemBlock, WhitespaceAfterTheBlockIsAccepted) {
  absl::StatusOr<PemBlock> block =
      ReadSinglePemBlock(Bytes(std::string(kBlock) + "\r\n \t\n"));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->der, Bytes("hello"));
}

TEST(ReadSinglePemBlock, HeadersAreReported) {
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
      "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n"
      "aGVsbG8=\n-----END PRIVATE KEY-----\n";
  absl::StatusOr<PemBlock> block = ReadSinglePemBlock(Bytes(pem));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->label, "PRIVATE KEY");
  EXPECT_TRUE(block->has_headers);
}

TEST(ReadSinglePemBlock, RefusesWhatIsNotExactlyOneBlock) {
  const std::string block = kBlock;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed PEM"},
      {"hello", "malformed PEM"},
      {"-----BEGIN PUBLIC KEY-----\naGVsbG8=\n", "malformed PEM"},
      {"-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n",
       "malformed PEM"},
      {"-----BEGIN PUBLIC KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n",
       "malformed PEM"},
      {block + "x", "bytes after the PEM block"},
      {block + block, "bytes after the PEM block"},
  };
  for (const auto& [pem, message] : cases) {
    absl::StatusOr<PemBlock> got = ReadSinglePemBlock(Bytes(pem));
    ASSERT_FALSE(got.ok()) << pem;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << pem;
    EXPECT_EQ(got.status().message(), message) << pem;
  }
}

}  // namespace
}  // namespace nitro_tss::approval
