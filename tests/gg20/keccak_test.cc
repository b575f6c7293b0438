#include "mpc/gg20/keccak.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"

namespace nitro_tss::mpc::gg20 {
namespace {

std::string Hex(const std::array<uint8_t, 32>& d) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::array<uint8_t, 32> K(const std::string& s) {
  return Keccak256(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

TEST(Keccak256, KnownAnswers) {
  EXPECT_EQ(Hex(K("")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(Hex(K("abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // Ethereum's function selector source:
  // keccak256("transfer(address,uint256)").
  EXPECT_EQ(Hex(K("transfer(address,uint256)")).substr(0, 8), "a9059cbb");
  EXPECT_EQ(Hex(K("The quick brown fox jumps over the lazy dog")),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(Keccak256, BlockBoundaries) {
  // 135, 136 and 137 bytes straddle the 136-byte rate: padding in the same
  // block, a full extra padding block, and a second partial block.
  // Reference values from an independent implementation whose permutation
  // was checked against SHA3-256 (same permutation, 0x06 padding).
  std::string a135(135, 'a'), a136(136, 'a'), a137(137, 'a');
  EXPECT_EQ(Hex(K(a135)),
            "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
  EXPECT_EQ(Hex(K(a136)),
            "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
  EXPECT_EQ(Hex(K(a137)),
            "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
  EXPECT_EQ(Hex(K(std::string(200, '\xa3'))),
            "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
}

TEST(Sha256, KnownAnswer) {
  std::string abc = "abc";
  EXPECT_EQ(Hex(Sha256(absl::Span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(abc.data()), abc.size()))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace nitro_tss::mpc::gg20
