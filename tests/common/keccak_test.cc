// common/keccak.h: known answers, the difference from SHA3-256, incremental
// hashing, and sensitivity to every input bit around the rate.
#include "common/keccak.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"

namespace nitro_tss::keccak {
namespace {

std::string Hex(absl::Span<const uint8_t> d) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

TEST(Keccak256Test, KnownAnswers) {
  EXPECT_EQ(Hex(Keccak256({})),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(Hex(Keccak256(Bytes("abc"))),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(
      Hex(Keccak256(Bytes("The quick brown fox jumps over the lazy dog"))),
      "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  // Solidity's function selector of ERC-20 transfer.
  EXPECT_EQ(Hex(Keccak256(Bytes("transfer(address,uint256)"))).substr(0, 8),
            "a9059cbb");
}

TEST(Keccak256Test, IsNotSha3) {
  // FIPS 202 SHA3-256 pads with 0x06: a different function. OpenSSL's
  // SHA3-256 of "" and "abc" must differ from ours.
  for (const std::string input : {"", "abc"}) {
    unsigned char sha3[32];
    unsigned int len = 0;
    ASSERT_EQ(EVP_Digest(input.data(), input.size(), sha3, &len, EVP_sha3_256(),
                         nullptr),
              1);
    ASSERT_EQ(len, 32u);
    EXPECT_NE(Hex(absl::MakeConstSpan(sha3, 32)), Hex(Keccak256(Bytes(input))))
        << input;
  }
  unsigned char sha3[32];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest("", 0, sha3, &len, EVP_sha3_256(), nullptr), 1);
  EXPECT_EQ(Hex(absl::MakeConstSpan(sha3, 32)),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

TEST(Keccak256Test, IncrementalEqualsOneShot) {
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  const Digest whole = Keccak256(Bytes(data));
  for (size_t split : {0, 1, 135, 136, 137, 500, 999, 1000}) {
    Keccak256Hasher h;
    h.Update(Bytes(data.substr(0, split)));
    h.Update(Bytes(data.substr(split)));
    EXPECT_EQ(h.Final(), whole) << split;
    // Final() restarts: the hasher is reusable.
    h.Update(Bytes("abc"));
    EXPECT_EQ(
        Hex(h.Final()),
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  }
  Keccak256Hasher empty;
  EXPECT_EQ(empty.Final(), Keccak256({}));
}

TEST(Keccak256Test, EveryBitOfTheInputMatters) {
  // Every length 0..700 (five 136-byte blocks and the boundaries between
  // them): flipping one bit changes the digest, and equal input gives the
  // equal digest.
  std::mt19937 rng(15);
  for (size_t n = 1; n <= 700; ++n) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    const Digest ours = Keccak256(data);
    EXPECT_EQ(Keccak256(data), ours) << "length " << n;
    data[n / 2] ^= 0x01;
    EXPECT_NE(Keccak256(data), ours) << "length " << n;
  }
}

}  // namespace
}  // namespace nitro_tss::keccak
