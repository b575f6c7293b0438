// Sealed share envelope: codec strictness, AEAD binding of every header
// field, and Seal/Unseal through a KMS (with and without Recipient).
#include "node/kms/sealed_share.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "node/kms/recipient_key.h"
#include "tests/kms/fake_kms.h"

namespace nitro_tss::kms {
namespace {

const char kKeyId[] = "1234abcd-12ab-34cd-56ef-1234567890ab";

ShareContext Context(uint64_t epoch = 7) {
  ShareContext c;
  c.kms_key_id = kKeyId;
  c.party_id = 3;
  c.epoch = epoch;
  c.group_public_key.assign(33, 0x02);
  c.group_public_key[32] = 0x99;
  return c;
}

std::vector<uint8_t> Share() {
  std::vector<uint8_t> s(32);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(i + 1);
  return s;
}

std::vector<uint8_t> ToVec(const SecureBytes& b) {
  return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

class SealedShareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new RecipientKey(*RecipientKey::Generate());
  }
  static void TearDownTestSuite() { delete key_; }
  AttestedRecipient Recipient() {
    return AttestedRecipient{key_, *key_->PublicKeyDer()};
  }
  static RecipientKey* key_;
  testing::FakeKms kms_{kKeyId};
};
RecipientKey* SealedShareTest::key_ = nullptr;

TEST_F(SealedShareTest, SealUnsealWithRecipient) {
  AttestedRecipient r = Recipient();
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), Share(), &r);
  ASSERT_TRUE(env.ok()) << env.status();
  absl::StatusOr<SecureBytes> plain = UnsealShare(kms_, Context(), *env, &r);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(ToVec(*plain), Share());
}

TEST_F(SealedShareTest, SealUnsealWithoutRecipient) {
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), Share(), nullptr);
  ASSERT_TRUE(env.ok()) << env.status();
  absl::StatusOr<SecureBytes> plain =
      UnsealShare(kms_, Context(), *env, nullptr);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(ToVec(*plain), Share());
}

TEST_F(SealedShareTest, EnvelopeDoesNotContainThePlaintext) {
  std::vector<uint8_t> share(64, 0xAB);
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), share, nullptr);
  ASSERT_TRUE(env.ok());
  std::string e(env->begin(), env->end());
  EXPECT_FALSE(absl::StrContains(e, std::string(8, '\xAB')));
}

TEST_F(SealedShareTest, WrongKeyWithRecipientIsDataLoss) {
  AttestedRecipient r = Recipient();
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), Share(), &r);
  ASSERT_TRUE(env.ok());
  // A different enclave key (its attestation doc has its own public key, but
  // we pretend the attacker swapped only the private key).
  RecipientKey other = *RecipientKey::Generate();
  AttestedRecipient wrong{&other, r.attestation_document};
  EXPECT_EQ(UnsealShare(kms_, Context(), *env, &wrong).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(SealedShareTest, RefusesPlaintextKeyWhenRecipientWasRequested) {
  kms_.leak_plaintext_with_recipient = true;
  AttestedRecipient r = Recipient();
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), Share(), &r);
  EXPECT_EQ(env.status().code(), absl::StatusCode::kFailedPrecondition)
      << env.status();
}

TEST_F(SealedShareTest, ContextMismatchIsRejectedBeforeKms) {
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), Share(), nullptr);
  ASSERT_TRUE(env.ok());
  ShareContext c = Context(8);
  absl::Status s = UnsealShare(kms_, c, *env, nullptr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "epoch")) << s;
  c = Context();
  c.party_id = 4;
  s = UnsealShare(kms_, c, *env, nullptr).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "party id")) << s;
  c = Context();
  c.group_public_key[5] ^= 1;
  s = UnsealShare(kms_, c, *env, nullptr).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "group public key")) << s;
  c = Context();
  c.kms_key_id = "other";
  s = UnsealShare(kms_, c, *env, nullptr).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "KMS key id")) << s;
  EXPECT_EQ(kms_.decrypt_calls, 0);
}

TEST_F(SealedShareTest, KmsEncryptionContextBindsTheDataKey) {
  // An attacker relabels an epoch-7 envelope as epoch 8 (the header check
  // then passes). KMS refuses to unwrap the data key under the epoch-8
  // EncryptionContext, so the share is never exposed.
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(7), Share(), nullptr);
  ASSERT_TRUE(env.ok());
  SealedShare s = *DecodeSealedShare(*env);
  s.context.epoch = 8;
  std::vector<uint8_t> forged = *EncodeSealedShare(s);
  absl::Status st = UnsealShare(kms_, Context(8), forged, nullptr).status();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(absl::StrContains(st.message(), "InvalidCiphertext")) << st;
}

TEST(SealedShareCodec, RoundTripAndEveryTruncationRejected) {
  SecureBytes key(32);
  std::vector<uint8_t> env =
      *SealWithDataKey(Context(), std::vector<uint8_t>(100, 7), key, Share());
  absl::StatusOr<SealedShare> d = DecodeSealedShare(env);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->context, Context());
  EXPECT_EQ(*EncodeSealedShare(*d), env);
  EXPECT_EQ(ToVec(*OpenWithDataKey(*d, key)), Share());
  for (size_t n = 0; n < env.size(); ++n) {
    absl::StatusOr<SealedShare> t =
        DecodeSealedShare(absl::MakeConstSpan(env.data(), n));
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_TRUE(absl::StrContains(t.status().message(), "truncated"))
        << n << ": " << t.status();
  }
  env.push_back(0);
  EXPECT_TRUE(
      absl::StrContains(DecodeSealedShare(env).status().message(), "trailing"));
}

TEST(SealedShareCodec, FieldChecksRejectWithSpecificErrors) {
  SecureBytes key(32);
  const std::vector<uint8_t> env =
      *SealWithDataKey(Context(), std::vector<uint8_t>(100, 7), key, Share());
  // Offsets: magic 0, version 4, aead 5, party 6, epoch 10, key id len 18,
  // key id 20 (36 bytes), group key len 56, group key 57 (33 bytes),
  // wrapped len 90.
  auto expect = [&](size_t off, uint8_t v, absl::string_view msg) {
    std::vector<uint8_t> m = env;
    m[off] = v;
    absl::Status s = DecodeSealedShare(m).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << off;
    EXPECT_TRUE(absl::StrContains(s.message(), msg)) << off << ": " << s;
  };
  expect(0, 'X', "bad magic");
  expect(4, 2, "unsupported version 2");
  expect(5, 9, "unsupported AEAD id 9");
  expect(18, 0x10, "key id length");
  expect(20, 0x01, "not printable");
  expect(56, 0, "group public key length 0");
  expect(56, 66, "group public key length 66");
  expect(90, 0xff, "wrapped key length");
  // ciphertext length field follows wrapped key (100) and nonce (24).
  expect(92 + 100 + 24, 0xff, "ciphertext length");
  std::vector<uint8_t> huge(kMaxSealedShareBytes + 1, 0);
  EXPECT_TRUE(
      absl::StrContains(DecodeSealedShare(huge).status().message(), "limit"));
}

TEST(SealedShareCodec, EveryBitFlipFailsDecodeOrAuthentication) {
  SecureBytes key(32);
  randombytes_buf(key.data(), key.size());
  const std::vector<uint8_t> env =
      *SealWithDataKey(Context(), std::vector<uint8_t>(40, 7), key, Share());
  for (size_t i = 0; i < env.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> m = env;
      m[i] ^= static_cast<uint8_t>(1 << bit);
      absl::StatusOr<SealedShare> d = DecodeSealedShare(m);
      if (!d.ok()) continue;
      absl::StatusOr<SecureBytes> p = OpenWithDataKey(*d, key);
      ASSERT_FALSE(p.ok()) << "flip at " << i << "/" << bit << " accepted";
      EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(SealedShareCodec, EncodeRejectsOutOfRangeFields) {
  SecureBytes key(32);
  ShareContext c = Context();
  c.kms_key_id = "";
  EXPECT_FALSE(SealWithDataKey(c, {1}, key, Share()).ok());
  c = Context();
  c.group_public_key.assign(66, 1);
  EXPECT_FALSE(SealWithDataKey(c, {1}, key, Share()).ok());
  EXPECT_FALSE(SealWithDataKey(Context(), {}, key, Share()).ok());
  EXPECT_FALSE(SealWithDataKey(Context(), {1}, SecureBytes(16), Share()).ok());
  EXPECT_FALSE(SealWithDataKey(Context(), {1}, key, {}).ok());
}

}  // namespace
}  // namespace nitro_tss::kms
