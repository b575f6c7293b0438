// Sealed share envelope: codec strictness, AEAD binding of every header
// field, the sealed party identity, Seal/Unseal through a KMS (Recipient
// answers only), and the rollback check against the trusted epoch.
#include "node/kms/sealed_share.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <iterator>
#include <memory>
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

UnsealExpectation Expect(uint64_t min_epoch = 7) {
  const ShareContext c = Context();
  return UnsealExpectation{c.kms_key_id, c.party_id, c.group_public_key,
                           min_epoch};
}

std::unique_ptr<mpc::round::PartyIdentityKey> NewIdentity() {
  return *mpc::round::PartyIdentityKey::Generate();
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
  absl::StatusOr<std::vector<uint8_t>> Seal(uint64_t epoch = 7) {
    ShareContext c = Context(epoch);
    return SealShare(kms_, c, *identity_, Share(), Recipient());
  }
  static RecipientKey* key_;
  testing::FakeKms kms_{kKeyId};
  std::unique_ptr<mpc::round::PartyIdentityKey> identity_ = NewIdentity();
};
RecipientKey* SealedShareTest::key_ = nullptr;

TEST_F(SealedShareTest, SealUnsealReturnsTheShareAndTheSameIdentity) {
  absl::StatusOr<std::vector<uint8_t>> env = Seal();
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(DecodeSealedShare(*env)->identity_public_key,
            identity_->public_key());
  // A restarted enclave: a new process unseals the record.
  absl::StatusOr<UnsealedShare> opened =
      UnsealShare(kms_, Expect(), *env, Recipient());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(ToVec(opened->share), Share());
  EXPECT_EQ(opened->context, Context());
  ASSERT_NE(opened->identity, nullptr);
  EXPECT_EQ(opened->identity->public_key(), identity_->public_key());
  // It proves the same identity: its signatures verify under the old key.
  const std::vector<uint8_t> msg = {1, 2, 3};
  EXPECT_TRUE(mpc::round::VerifyIdentitySignature(identity_->public_key(), msg,
                                                  opened->identity->Sign(msg)));
}

// Issue 12, finding 3: a plaintext data key, or an answer without
// CiphertextForRecipient, is refused on both paths (the parent could read
// such a data key).
TEST_F(SealedShareTest,
       AnswerWithPlaintextKeyAndNoCiphertextForRecipientIsRefused) {
  kms_.ignore_recipient_on_generate = true;
  absl::Status s = Seal().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(),
                                "GenerateDataKey answer was not "
                                "for the attested recipient"))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "plaintext data key")) << s;
  kms_.ignore_recipient_on_generate = false;
  absl::StatusOr<std::vector<uint8_t>> env = Seal();
  ASSERT_TRUE(env.ok()) << env.status();
  kms_.ignore_recipient_on_decrypt = true;
  s = UnsealShare(kms_, Expect(), *env, Recipient()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(
      s.message(), "Decrypt answer was not for the attested recipient"))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "no CiphertextForRecipient")) << s;
}

TEST_F(SealedShareTest, RefusesPlaintextKeyWhenRecipientWasRequested) {
  kms_.leak_plaintext_with_recipient = true;
  EXPECT_EQ(Seal().status().code(), absl::StatusCode::kFailedPrecondition)
      << Seal().status();
  kms_.leak_plaintext_with_recipient = false;
  absl::StatusOr<std::vector<uint8_t>> env = Seal();
  ASSERT_TRUE(env.ok());
  kms_.leak_plaintext_with_recipient = true;
  EXPECT_EQ(UnsealShare(kms_, Expect(), *env, Recipient()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SealedShareTest, RecipientWithoutKeyOrDocumentIsRefused) {
  AttestedRecipient none{nullptr, {1}};
  EXPECT_EQ(
      SealShare(kms_, Context(), *identity_, Share(), none).status().code(),
      absl::StatusCode::kInvalidArgument);
  AttestedRecipient no_doc{key_, {}};
  EXPECT_EQ(
      SealShare(kms_, Context(), *identity_, Share(), no_doc).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(SealedShareTest, EnvelopeContainsNeitherThePlaintextNorTheSeed) {
  std::vector<uint8_t> share(64, 0xAB);
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(kms_, Context(), *identity_, share, Recipient());
  ASSERT_TRUE(env.ok());
  std::string e(env->begin(), env->end());
  EXPECT_FALSE(absl::StrContains(e, std::string(8, '\xAB')));
  std::vector<uint8_t> seed(32);
  identity_->ExportSeedForSealing(absl::MakeSpan(seed));
  EXPECT_FALSE(absl::StrContains(e, std::string(seed.begin(), seed.end())));
  sodium_memzero(seed.data(), seed.size());
}

TEST_F(SealedShareTest, WrongKeyWithRecipientIsDataLoss) {
  AttestedRecipient r = Recipient();
  absl::StatusOr<std::vector<uint8_t>> env = Seal();
  ASSERT_TRUE(env.ok());
  // A different enclave key (its attestation doc has its own public key, but
  // we pretend the attacker swapped only the private key).
  RecipientKey other = *RecipientKey::Generate();
  AttestedRecipient wrong{&other, r.attestation_document};
  EXPECT_EQ(UnsealShare(kms_, Expect(), *env, wrong).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(SealedShareTest, ContextMismatchIsRejectedBeforeKms) {
  absl::StatusOr<std::vector<uint8_t>> env = Seal();
  ASSERT_TRUE(env.ok());
  UnsealExpectation c = Expect();
  c.party_id = 4;
  absl::Status s = UnsealShare(kms_, c, *env, Recipient()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "party id")) << s;
  c = Expect();
  c.group_public_key[5] ^= 1;
  s = UnsealShare(kms_, c, *env, Recipient()).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "group public key")) << s;
  c = Expect();
  c.kms_key_id = "other";
  s = UnsealShare(kms_, c, *env, Recipient()).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "KMS key id")) << s;
  EXPECT_EQ(kms_.decrypt_calls, 0);
}

// Issue 12, finding 5d: the untrusted store serves an older record; the
// enclave trusts epoch 8 and refuses it before asking KMS.
TEST_F(SealedShareTest, RecordOlderThanTheTrustedEpochIsRefused) {
  absl::StatusOr<std::vector<uint8_t>> epoch7 = Seal(7);
  absl::StatusOr<std::vector<uint8_t>> epoch9 = Seal(9);
  ASSERT_TRUE(epoch7.ok() && epoch9.ok());
  absl::Status s = UnsealShare(kms_, Expect(8), *epoch7, Recipient()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(),
                                "sealed share epoch 7 is older than the "
                                "trusted epoch 8 (rolled back?)"))
      << s;
  EXPECT_EQ(kms_.decrypt_calls, 0);
  // Not older: accepted, and the caller learns the record's epoch.
  absl::StatusOr<UnsealedShare> newer =
      UnsealShare(kms_, Expect(8), *epoch9, Recipient());
  ASSERT_TRUE(newer.ok()) << newer.status();
  EXPECT_EQ(newer->context.epoch, 9u);
  EXPECT_TRUE(UnsealShare(kms_, Expect(7), *epoch7, Recipient()).ok());
}

TEST_F(SealedShareTest, KmsEncryptionContextBindsTheDataKey) {
  // An attacker relabels an epoch-7 envelope as epoch 8 to pass the rollback
  // check (the header check then passes). KMS refuses to unwrap the data key
  // under the epoch-8 EncryptionContext, so the share is never exposed.
  absl::StatusOr<std::vector<uint8_t>> env = Seal(7);
  ASSERT_TRUE(env.ok());
  SealedShare s = *DecodeSealedShare(*env);
  s.context.epoch = 8;
  std::vector<uint8_t> forged = *EncodeSealedShare(s);
  absl::Status st = UnsealShare(kms_, Expect(8), forged, Recipient()).status();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(absl::StrContains(st.message(), "InvalidCiphertext")) << st;
}

// A record whose sealed seed is not the header's identity (only a holder of
// the data key can make one, e.g. a buggy sealer) is refused on opening.
TEST(SealedShareCodec, SealedSeedMustYieldTheHeaderIdentity) {
  SecureBytes key(32);
  randombytes_buf(key.data(), key.size());
  std::unique_ptr<mpc::round::PartyIdentityKey> a = NewIdentity(),
                                                b = NewIdentity();
  SealedShare s;
  s.context = Context();
  s.identity_public_key = b->public_key();  // header: b
  s.wrapped_data_key.assign(10, 1);
  randombytes_buf(s.nonce.data(), s.nonce.size());
  std::vector<uint8_t> plain(32);
  a->ExportSeedForSealing(absl::MakeSpan(plain));  // seed: a
  const std::vector<uint8_t> share = Share();
  plain.insert(plain.end(), share.begin(), share.end());
  s.ciphertext.resize(plain.size() + 16);
  std::vector<uint8_t> ad = *SealedShareAssociatedData(s);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      s.ciphertext.data(), &len, plain.data(), plain.size(), ad.data(),
      ad.size(), nullptr, s.nonce.data(), key.data());
  sodium_memzero(plain.data(), plain.size());
  absl::Status st = OpenWithDataKey(s, key).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "does not yield")) << st;
  // The consistent record opens.
  s.identity_public_key = a->public_key();
  ad = *SealedShareAssociatedData(s);
  std::vector<uint8_t> plain2(32);
  a->ExportSeedForSealing(absl::MakeSpan(plain2));
  plain2.insert(plain2.end(), share.begin(), share.end());
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      s.ciphertext.data(), &len, plain2.data(), plain2.size(), ad.data(),
      ad.size(), nullptr, s.nonce.data(), key.data());
  sodium_memzero(plain2.data(), plain2.size());
  absl::StatusOr<UnsealedShare> ok = OpenWithDataKey(s, key);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->identity->public_key(), a->public_key());
}

TEST(SealedShareCodec, RoundTripAndEveryTruncationRejected) {
  SecureBytes key(32);
  std::unique_ptr<mpc::round::PartyIdentityKey> id = NewIdentity();
  std::vector<uint8_t> env = *SealWithDataKey(
      Context(), std::vector<uint8_t>(100, 7), key, *id, Share());
  absl::StatusOr<SealedShare> d = DecodeSealedShare(env);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->context, Context());
  EXPECT_EQ(d->identity_public_key, id->public_key());
  EXPECT_EQ(*EncodeSealedShare(*d), env);
  absl::StatusOr<UnsealedShare> opened = OpenWithDataKey(*d, key);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(ToVec(opened->share), Share());
  EXPECT_EQ(opened->identity->public_key(), id->public_key());
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
  const std::vector<uint8_t> env = *SealWithDataKey(
      Context(), std::vector<uint8_t>(100, 7), key, *NewIdentity(), Share());
  // Offsets: magic 0, version 4, aead 5, party 6, epoch 10, key id len 18,
  // key id 20 (36 bytes), group key len 56, group key 57 (33 bytes),
  // identity key 90 (32 bytes), wrapped len 122.
  auto expect = [&](size_t off, uint8_t v, absl::string_view msg) {
    std::vector<uint8_t> m = env;
    m[off] = v;
    absl::Status s = DecodeSealedShare(m).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << off;
    EXPECT_TRUE(absl::StrContains(s.message(), msg)) << off << ": " << s;
  };
  expect(0, 'X', "bad magic");
  expect(4, 1, "unsupported version 1 (v1 records carry no party identity");
  expect(4, 3, "unsupported version 3");
  expect(5, 9, "unsupported AEAD id 9");
  expect(18, 0x10, "key id length");
  expect(20, 0x01, "not printable");
  expect(56, 0, "group public key length 0");
  expect(56, 66, "group public key length 66");
  expect(122, 0xff, "wrapped key length");
  // ciphertext length field follows wrapped key (100) and nonce (24).
  expect(124 + 100 + 24, 0xff, "ciphertext length");
  // An identity key that is not a valid Ed25519 point (all zero: small
  // order).
  std::vector<uint8_t> m = env;
  std::fill(m.begin() + 90, m.begin() + 122, 0);
  absl::Status s = DecodeSealedShare(m).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "invalid identity public key"))
      << s;
  // The ciphertext must hold at least the seed, one share byte and the tag.
  m = env;
  m[124 + 100 + 24 + 3] = 32 + 16;
  m[124 + 100 + 24 + 2] = 0;
  EXPECT_TRUE(absl::StrContains(DecodeSealedShare(m).status().message(),
                                "ciphertext length 48 out of range"));
  std::vector<uint8_t> huge(kMaxSealedShareBytes + 1, 0);
  EXPECT_TRUE(
      absl::StrContains(DecodeSealedShare(huge).status().message(), "limit"));
}

TEST(SealedShareCodec, EveryBitFlipFailsDecodeOrAuthentication) {
  SecureBytes key(32);
  randombytes_buf(key.data(), key.size());
  const std::vector<uint8_t> env = *SealWithDataKey(
      Context(), std::vector<uint8_t>(40, 7), key, *NewIdentity(), Share());
  for (size_t i = 0; i < env.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> m = env;
      m[i] ^= static_cast<uint8_t>(1 << bit);
      absl::StatusOr<SealedShare> d = DecodeSealedShare(m);
      if (!d.ok()) continue;
      absl::StatusOr<UnsealedShare> p = OpenWithDataKey(*d, key);
      ASSERT_FALSE(p.ok()) << "flip at " << i << "/" << bit << " accepted";
      EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

// The fuzzer's seeds follow the current format (tests run from the source
// root).
TEST(SealedShareCodec, FuzzSeedsDecodeAsIntended) {
  auto read = [](const std::string& name) {
    std::ifstream in("tests/fuzz/kms/corpus/sealed_share_fuzz/" + name,
                     std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  };
  EXPECT_TRUE(DecodeSealedShare(read("valid_shape.bin")).ok())
      << DecodeSealedShare(read("valid_shape.bin")).status();
  EXPECT_TRUE(DecodeSealedShare(read("alias_key.bin")).ok())
      << DecodeSealedShare(read("alias_key.bin")).status();
  EXPECT_TRUE(absl::StrContains(
      DecodeSealedShare(read("bad_version.bin")).status().message(),
      "unsupported version 3"));
}

TEST(SealedShareCodec, EncodeRejectsOutOfRangeFields) {
  SecureBytes key(32);
  std::unique_ptr<mpc::round::PartyIdentityKey> id = NewIdentity();
  ShareContext c = Context();
  c.kms_key_id = "";
  EXPECT_FALSE(SealWithDataKey(c, {1}, key, *id, Share()).ok());
  c = Context();
  c.group_public_key.assign(66, 1);
  EXPECT_FALSE(SealWithDataKey(c, {1}, key, *id, Share()).ok());
  EXPECT_FALSE(SealWithDataKey(Context(), {}, key, *id, Share()).ok());
  EXPECT_FALSE(
      SealWithDataKey(Context(), {1}, SecureBytes(16), *id, Share()).ok());
  EXPECT_FALSE(SealWithDataKey(Context(), {1}, key, *id, {}).ok());
}

}  // namespace
}  // namespace nitro_tss::kms
