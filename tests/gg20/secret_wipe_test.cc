// Issue 12, finding 5c: serialized payloads and key-share records are held
// in buffers that are zeroed before they are freed.
#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "mpc/gg20/codec.h"
#include "mpc/gg20/key_share.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"
#include "tests/gg20/gg20_test_util.h"
#include "tests/mpc/freed_blocks.h"

namespace nitro_tss::mpc::gg20::testing {
namespace {

using ::nitro_tss::mpc::testing::FreedBlocks;

bool AllZero(const std::string& s) {
  return s.find_first_not_of('\0') == std::string::npos;
}

TEST(SecretWipe, SerializePayloadBufferIsWiped) {
  v1::KeygenShare share;
  share.set_share(std::string(32, '\x5a'));
  FreedBlocks freed;
  const void* p = nullptr;
  size_t n = 0;
  {
    auto bytes = SerializePayload(share);
    static_assert(std::is_same_v<decltype(bytes), SecureBytes>);
    const std::string expected = share.SerializeAsString();
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), expected);
    p = bytes.data();
    n = bytes.size();
  }
  EXPECT_TRUE(freed.WipedBlockAt(p, n));
}

TEST(SecretWipe, KeyShareRecordBytesAreWiped) {
  const auto& ks = CachedKeygen(1, 3);
  FreedBlocks freed;
  const void* p = nullptr;
  size_t n = 0;
  {
    SecureBytes bytes = ks[1]->ToRecordBytes();
    v1::KeyShareRecord rec = ks[1]->ToRecord();
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), rec.SerializeAsString());
    KeyShare::WipeSecrets(rec);
    absl::StatusOr<KeyShare> back = KeyShare::FromRecordBytes(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->key_id, ks[1]->key_id);
    EXPECT_TRUE(back->secret_share == ks[1]->secret_share);
    p = bytes.data();
    n = bytes.size();
  }
  EXPECT_TRUE(freed.WipedBlockAt(p, n));
}

TEST(SecretWipe, WipeSecretsZeroesEverySecretField) {
  const auto& ks = CachedKeygen(1, 3);
  v1::KeyShareRecord rec = ks[1]->ToRecord();
  const std::string pub = rec.public_().SerializeAsString();
  const std::string key_id = rec.key_id();
  KeyShare::WipeSecrets(rec);
  for (const std::string* s :
       {&rec.secret_share(), &rec.paillier_p(), &rec.paillier_q(), &rec.rp_p(),
        &rec.rp_q(), &rec.rp_tau(), &rec.rp_lambda()}) {
    EXPECT_FALSE(s->empty());
    EXPECT_TRUE(AllZero(*s));
  }
  // Public data is untouched.
  EXPECT_EQ(rec.public_().SerializeAsString(), pub);
  EXPECT_EQ(rec.key_id(), key_id);
  EXPECT_FALSE(KeyShare::FromRecord(rec).ok());
}

}  // namespace
}  // namespace nitro_tss::mpc::gg20::testing
