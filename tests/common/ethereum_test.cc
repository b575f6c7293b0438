// common/ethereum.h: addresses of known keys, the EIP-55 examples (all
// upper case, all lower case, mixed), and every refusal of ParseAddress and
// AddressFromUncompressedKey.
#include "common/ethereum.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::ethereum {
namespace {

std::vector<uint8_t> FromHex(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

Address AddressOfHex(absl::string_view hex40) {
  const std::vector<uint8_t> b = FromHex(hex40);
  Address a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

// The test cases of EIP-55 ("All caps", "All Lower", "Normal").
const std::vector<std::string>& Eip55Examples() {
  static const auto* v = new std::vector<std::string>{
      "0x52908400098527886E0F7030069857D2E4169EE7",
      "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
      "0xde709f2102306220921060314715629080e2fb77",
      "0x27b1fdb04752bbc536007a920d24acb045561c26",
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  };
  return *v;
}

TEST(EthereumTest, Eip55Examples) {
  for (const std::string& text : Eip55Examples()) {
    const Address a = AddressOfHex(absl::AsciiStrToLower(text.substr(2)));
    EXPECT_EQ(ChecksumAddress(a), text);
    auto parsed = ParseAddress(text, ChecksumPolicy::kRequire);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, a);
  }
}

TEST(EthereumTest, AddressesOfKnownKeys) {
  // Private key 1: G.
  auto a1 = AddressFromUncompressedKey(FromHex(
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
      "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"));
  ASSERT_TRUE(a1.ok()) << a1.status();
  EXPECT_EQ(ChecksumAddress(*a1), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  // Private key 2: 2G.
  auto a2 = AddressFromUncompressedKey(FromHex(
      "04c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
      "1ae168fea63dc339a3c58419466ceaeef7f632653266d0e1236431a950cfe52a"));
  ASSERT_TRUE(a2.ok()) << a2.status();
  EXPECT_EQ(ChecksumAddress(*a2), "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF");
}

TEST(EthereumTest, KeyEncodingRefusals) {
  std::vector<uint8_t> g = FromHex(
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
      "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
  // Compressed G, 64 bytes without prefix, 66 bytes, another prefix.
  EXPECT_FALSE(
      AddressFromUncompressedKey(
          FromHex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b"
                  "16f81798"))
          .ok());
  EXPECT_FALSE(
      AddressFromUncompressedKey(absl::MakeConstSpan(g).subspan(1)).ok());
  std::vector<uint8_t> longer = g;
  longer.push_back(0);
  EXPECT_FALSE(AddressFromUncompressedKey(longer).ok());
  g[0] = 0x06;  // SEC1 "hybrid" encoding: refused
  auto r = AddressFromUncompressedKey(g);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(AddressFromUncompressedKey({}).ok());
}

TEST(EthereumTest, UnchecksummedAddresses) {
  const std::string mixed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  const Address a = AddressOfHex(absl::AsciiStrToLower(mixed.substr(2)));
  for (const std::string& one_case :
       {"0x" + absl::AsciiStrToLower(mixed.substr(2)),
        "0x" + absl::AsciiStrToUpper(mixed.substr(2))}) {
    auto strict = ParseAddress(one_case, ChecksumPolicy::kRequire);
    ASSERT_FALSE(strict.ok()) << one_case;
    EXPECT_TRUE(absl::StrContains(strict.status().message(), "no EIP-55"))
        << strict.status();
    auto lenient = ParseAddress(one_case, ChecksumPolicy::kAllowUnchecksummed);
    ASSERT_TRUE(lenient.ok()) << lenient.status();
    EXPECT_EQ(*lenient, a);
  }
}

TEST(EthereumTest, ChecksumMismatchRefusedUnderBothPolicies) {
  // Flip the case of each letter of a checksummed address in turn: every
  // single flip must be caught.
  for (const std::string& text : Eip55Examples()) {
    for (size_t i = 2; i < text.size(); ++i) {
      if (!absl::ascii_isalpha(static_cast<unsigned char>(text[i]))) continue;
      std::string bad = text;
      bad[i] = absl::ascii_isupper(static_cast<unsigned char>(bad[i]))
                   ? absl::ascii_tolower(static_cast<unsigned char>(bad[i]))
                   : absl::ascii_toupper(static_cast<unsigned char>(bad[i]));
      const bool one_case =
          bad.substr(2) == absl::AsciiStrToLower(bad.substr(2)) ||
          bad.substr(2) == absl::AsciiStrToUpper(bad.substr(2));
      EXPECT_FALSE(ParseAddress(bad, ChecksumPolicy::kRequire).ok()) << bad;
      // A flip that makes the text all one case is "unchecksummed", which
      // the lenient policy accepts; any other flip is a mismatch.
      EXPECT_EQ(ParseAddress(bad, ChecksumPolicy::kAllowUnchecksummed).ok(),
                one_case)
          << bad;
    }
  }
}

TEST(EthereumTest, SyntaxRefusals) {
  const std::string good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  for (const std::string& bad : {
           std::string(""),
           std::string("0x"),
           good.substr(2),                         // no prefix
           absl::StrCat("0X", good.substr(2)),     // upper-case prefix
           good.substr(0, 41),                     // 39 digits
           absl::StrCat(good, "0"),                // 41 digits
           absl::StrCat(" ", good.substr(0, 41)),  // whitespace
           absl::StrCat(good.substr(0, 41), "g"),  // non-hex
           absl::StrCat(good.substr(0, 10), std::string(1, '\0'),
                        good.substr(11)),
       }) {
    for (auto policy :
         {ChecksumPolicy::kRequire, ChecksumPolicy::kAllowUnchecksummed}) {
      auto r = ParseAddress(bad, policy);
      EXPECT_FALSE(r.ok()) << bad;
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      }
    }
  }
  // Digits only: no letters, so the text is its own checksummed form.
  EXPECT_TRUE(ParseAddress(absl::StrCat("0x", std::string(40, '1')),
                           ChecksumPolicy::kRequire)
                  .ok());
}

}  // namespace
}  // namespace nitro_tss::ethereum
