// Strictness of the minimal CBOR reader/writer used for attestation
// documents and NSM messages.
#include "node/attestation/cbor.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace nitro_tss::attestation::cbor {
namespace {

std::vector<uint8_t> H(const std::string& hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(b.begin(), b.end());
}

TEST(CborTest, WriterUsesShortestForms) {
  Writer w;
  w.AppendUnsigned(23);
  w.AppendUnsigned(24);
  w.AppendUnsigned(0x100);
  w.AppendUnsigned(0x10000);
  w.AppendUnsigned(0x100000000ULL);
  w.AppendInt(-35);
  w.AppendText("a");
  w.AppendBytes(std::vector<uint8_t>{1});
  w.AppendArrayHeader(0);
  w.AppendMapHeader(1);
  w.AppendTag(18);
  w.AppendNull();
  w.AppendBool(true);
  EXPECT_EQ(
      absl::BytesToHexString(std::string(w.bytes().begin(), w.bytes().end())),
      "171818190100"
      "1a00010000"
      "1b0000000100000000"
      "3822"
      "6161"
      "4101"
      "80"
      "a1"
      "d2"
      "f6"
      "f5");
}

TEST(CborTest, ReaderRoundTrip) {
  const auto input = H("1b0000000100000000382261614101a0f6f4");
  Reader r(input);  // the reader keeps a view: the bytes must outlive it
  EXPECT_EQ(*r.ReadUnsigned("u"), 0x100000000ULL);
  EXPECT_EQ(*r.ReadInt("i"), -35);
  EXPECT_EQ(*r.ReadText("t", 8), "a");
  EXPECT_EQ(r.ReadBytes("b", 8)->size(), 1u);
  EXPECT_EQ(*r.ReadMapHeader("m", 0), 0u);
  EXPECT_TRUE(r.ReadNull("n").ok());
  EXPECT_FALSE(*r.ReadBool("f"));
  EXPECT_TRUE(r.ExpectEnd("x").ok());
}

TEST(CborTest, RejectsNonCanonicalAndUnsupportedEncodings) {
  struct Case {
    const char* hex;
    const char* expected;  // substring of the error
  };
  const Case cases[] = {
      {"1817", "non-minimal"},        // 23 encoded in one extra byte
      {"190017", "non-minimal"},      // 23 in two bytes
      {"1a000000ff", "non-minimal"},  // 255 in four bytes
      {"1b00000000ffffffff", "non-minimal"},
      {"1c", "reserved"},
      {"1f", "indefinite"},
      {"", "truncated"},
      {"19ff", "truncated"},
  };
  for (const Case& c : cases) {
    const auto input = H(c.hex);
    Reader r(input);
    auto v = r.ReadUnsigned("value");
    ASSERT_FALSE(v.ok()) << c.hex;
    EXPECT_TRUE(absl::StrContains(v.status().message(), c.expected))
        << c.hex << ": " << v.status();
    EXPECT_TRUE(absl::StartsWith(v.status().message(), "cbor: value: "))
        << v.status();
  }
  // Indefinite-length strings, arrays and maps.
  EXPECT_FALSE(Reader(H("5f41014102ff")).ReadBytes("b", 10).ok());
  EXPECT_FALSE(Reader(H("7f6161ff")).ReadText("t", 10).ok());
  EXPECT_FALSE(Reader(H("9f01ff")).ReadArrayHeader("a", 10).ok());
  EXPECT_FALSE(Reader(H("bf0101ff")).ReadMapHeader("m", 10).ok());
  // Floats and other simple values are not booleans/nulls.
  EXPECT_FALSE(Reader(H("f93c00")).ReadBool("f").ok());
  EXPECT_FALSE(Reader(H("f7")).ReadNull("undefined").ok());
  // Type confusion.
  auto wrong = Reader(H("4161")).ReadText("t", 10);
  EXPECT_TRUE(absl::StrContains(wrong.status().message(),
                                "expected text string, got byte string"));
  // Integer beyond int64.
  EXPECT_FALSE(Reader(H("3bffffffffffffffff")).ReadInt("i").ok());
  EXPECT_FALSE(Reader(H("1b8000000000000000")).ReadInt("i").ok());
  EXPECT_EQ(*Reader(H("3b7fffffffffffffff")).ReadInt("i"), INT64_MIN);
}

TEST(CborTest, LimitsAndTruncation) {
  auto big = Reader(H("43010203")).ReadBytes("b", 2);
  EXPECT_TRUE(absl::StrContains(big.status().message(), "exceeds the limit"));
  auto cut = Reader(H("430102")).ReadBytes("b", 10);
  EXPECT_TRUE(absl::StrContains(cut.status().message(), "truncated"));
  // A count larger than the remaining input is truncation, not allocation.
  auto arr = Reader(H("9a7fffffff")).ReadArrayHeader("a", 0xffffffff);
  EXPECT_TRUE(absl::StrContains(arr.status().message(), "truncated"));
  auto map = Reader(H("a301020304")).ReadMapHeader("m", 10);
  EXPECT_TRUE(absl::StrContains(map.status().message(), "truncated"));
  const auto two_zeros = H("0000");
  Reader trailing(two_zeros);
  ASSERT_TRUE(trailing.ReadUnsigned("u").ok());
  EXPECT_EQ(trailing.ExpectEnd("item").message(),
            "cbor: 1 trailing bytes after item");
}

TEST(CborTest, RejectsInvalidUtf8) {
  for (const char* hex : {"62c0af",      // overlong '/'
                          "63eda080",    // surrogate U+D800
                          "64f4908080",  // above U+10FFFF
                          "61ff", "62e282"}) {
    auto t = Reader(H(hex)).ReadText("t", 10);
    EXPECT_FALSE(t.ok()) << hex;
  }
  EXPECT_EQ(*Reader(H("63e282ac")).ReadText("t", 10), "\xe2\x82\xac");
}

}  // namespace
}  // namespace nitro_tss::attestation::cbor
