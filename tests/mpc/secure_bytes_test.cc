// Issue 12, finding 5c: buffers that carry secrets are zeroed before their
// memory is freed (SecureBytes, and the round payloads built on it).
#include "mpc/math/secure_bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "mpc/round/round.h"
#include "tests/mpc/freed_blocks.h"

namespace nitro_tss::mpc {
namespace {

using testing::FreedBlocks;

SecureBytes Secret(size_t n) { return SecureBytes(n, 0xa5); }

TEST(SecureBytes, FreedBufferIsWiped) {
  FreedBlocks freed;
  const void* p = nullptr;
  size_t n = 0;
  {
    SecureBytes s = Secret(64);
    p = s.data();
    n = s.capacity();
  }
  EXPECT_TRUE(freed.WipedBlockAt(p, n));
}

TEST(SecureBytes, GrowingLeavesNoCopyBehind) {
  FreedBlocks freed;
  {
    SecureBytes s;
    for (int i = 0; i < 1000; ++i) s.push_back(0x5a);
  }
  // Every outgrown buffer and the final one: several blocks, all zeroed.
  EXPECT_GE(freed.blocks().size(), 5u);
  EXPECT_TRUE(freed.AllWiped());
}

TEST(SecureBytes, CopyAndWipeClearsTheSource) {
  std::vector<uint8_t> plain(40, 0x77);
  SecureBytes s = CopyAndWipe(plain);
  EXPECT_EQ(s, SecureBytes(40, 0x77));
  EXPECT_EQ(plain, std::vector<uint8_t>(40, 0));
}

TEST(SecureBytes, MessagePayloadAndItsCopiesAreWiped) {
  FreedBlocks freed;
  const void* original = nullptr;
  const void* copy = nullptr;
  {
    round::Message m = round::Message::Direct(2, Secret(100));
    round::Message evidence = m;  // as the engine stores or reports it
    original = m.payload.data();
    copy = evidence.payload.data();
    ASSERT_NE(original, copy);
  }
  EXPECT_TRUE(freed.WipedBlockAt(original, 100));
  EXPECT_TRUE(freed.WipedBlockAt(copy, 100));
}

TEST(SecureBytes, DecodedDirectPayloadIsWiped) {
  round::Message m = round::Message::Direct(2, Secret(100));
  m.session_id = std::vector<uint8_t>(16, 1);
  m.protocol = "toy/v1";
  m.round = 1;
  m.from = 1;
  std::vector<uint8_t> wire = round::EncodeMessage(m);
  FreedBlocks freed;
  const void* p = nullptr;
  {
    absl::StatusOr<round::Message> back = round::DecodeMessage(wire);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, m);
    p = back->payload.data();
  }
  EXPECT_TRUE(freed.WipedBlockAt(p, 100));
}

}  // namespace
}  // namespace nitro_tss::mpc
