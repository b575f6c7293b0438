// Approver keys (raw, SPKI, PEM; invalid points, other curves/algorithms),
// policy validation, canonical order and digest, and the strict decoder.
#include "node/approval/policy.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/node/approval/approval_test_util.h"

namespace nitro_tss::approval {
namespace {

using testing::Bytes;
using testing::MakeEd25519Signer;
using testing::MakeP256Signer;
using testing::TestSigner;

std::vector<uint8_t> FromString(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

absl::StatusCode ParseCode(ApproverAlgorithm alg,
                           const std::vector<uint8_t>& bytes) {
  return ApproverKey::Parse(alg, bytes).status().code();
}

TEST(ApproverKeyTest, Ed25519FromRawSpkiAndPem) {
  std::unique_ptr<TestSigner> s = MakeEd25519Signer(1);
  const std::vector<uint8_t> raw = s->raw_public_key();
  for (const std::vector<uint8_t>& encoded :
       {raw, s->spki_der(), FromString(s->spki_pem()),
        FromString(s->spki_pem() + "\n\n")}) {
    absl::StatusOr<ApproverKey> k =
        ApproverKey::Parse(ApproverAlgorithm::kEd25519, encoded);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(k->public_key(), raw);
    EXPECT_EQ(k->id(), ComputeApproverId(ApproverAlgorithm::kEd25519, raw));
  }
  // The SPKI is the fixed RFC 8410 prefix + the key.
  EXPECT_EQ(testing::Hex(s->spki_der()),
            "302a300506032b6570032100" + testing::Hex(raw));
}

TEST(ApproverKeyTest, P256FromRawSpkiPemAndCompressedSpki) {
  std::unique_ptr<TestSigner> s = MakeP256Signer();
  const std::vector<uint8_t> raw = s->raw_public_key();
  ASSERT_EQ(raw.size(), 65u);
  ASSERT_EQ(raw[0], 0x04);
  // A compressed-point SPKI of the same key.
  EVP_PKEY* pkey = nullptr;
  {
    const std::vector<uint8_t> der = s->spki_der();
    const uint8_t* p = der.data();
    pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
    ASSERT_NE(pkey, nullptr);
    ASSERT_EQ(
        EVP_PKEY_set_utf8_string_param(pkey, "point-format", "compressed"), 1);
  }
  unsigned char* cder = nullptr;
  const int clen = i2d_PUBKEY(pkey, &cder);
  ASSERT_GT(clen, 0);
  std::vector<uint8_t> compressed(cder, cder + clen);
  OPENSSL_free(cder);
  EVP_PKEY_free(pkey);
  ASSERT_LT(compressed.size(), s->spki_der().size());  // really compressed

  for (const std::vector<uint8_t>& encoded :
       {raw, s->spki_der(), FromString(s->spki_pem()), compressed}) {
    absl::StatusOr<ApproverKey> k =
        ApproverKey::Parse(ApproverAlgorithm::kEcdsaP256Sha256, encoded);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(k->public_key(), raw);
  }
}

TEST(ApproverKeyTest, InvalidKeysAreRefused) {
  std::unique_ptr<TestSigner> ed = MakeEd25519Signer(1);
  std::unique_ptr<TestSigner> p256 = MakeP256Signer();
  const auto kEd = ApproverAlgorithm::kEd25519;
  const auto kP = ApproverAlgorithm::kEcdsaP256Sha256;
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  // Sizes.
  EXPECT_EQ(ParseCode(kEd, {}), kInvalid);
  EXPECT_EQ(ParseCode(kEd, std::vector<uint8_t>(31, 1)), kInvalid);
  EXPECT_EQ(ParseCode(kEd, std::vector<uint8_t>(1025, 0x30)), kInvalid);
  // Ed25519 small-order point (the identity) and a non-canonical encoding.
  std::vector<uint8_t> identity(32, 0);
  identity[0] = 1;
  EXPECT_EQ(ParseCode(kEd, identity), kInvalid);
  EXPECT_TRUE(absl::StrContains(
      ApproverKey::Parse(kEd, identity).status().message(), "small order"));
  EXPECT_EQ(ParseCode(kEd, std::vector<uint8_t>(32, 0xff)), kInvalid);
  // P-256 point off the curve, wrong prefix, compressed raw.
  std::vector<uint8_t> off = p256->raw_public_key();
  off[64] ^= 1;
  EXPECT_EQ(ParseCode(kP, off), kInvalid);
  EXPECT_TRUE(absl::StrContains(ApproverKey::Parse(kP, off).status().message(),
                                "not a point"));
  std::vector<uint8_t> prefix = p256->raw_public_key();
  prefix[0] = 0x05;
  EXPECT_EQ(ParseCode(kP, prefix), kInvalid);
  const std::vector<uint8_t> p256_raw = p256->raw_public_key();
  std::vector<uint8_t> compressed_raw(p256_raw.begin(), p256_raw.begin() + 33);
  compressed_raw[0] = 0x02;
  EXPECT_EQ(ParseCode(kP, compressed_raw), kInvalid);
  // The other algorithm's key.
  EXPECT_EQ(ParseCode(kEd, p256->spki_der()), kInvalid);
  EXPECT_EQ(ParseCode(kP, ed->spki_der()), kInvalid);
  EXPECT_EQ(ParseCode(kEd, p256->raw_public_key()), kInvalid);
  EXPECT_EQ(ParseCode(kP, ed->raw_public_key()), kInvalid);
  // P-384 SPKI.
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(p384, &der);
  std::vector<uint8_t> p384_spki(der, der + len);
  OPENSSL_free(der);
  EVP_PKEY_free(p384);
  EXPECT_EQ(ParseCode(kP, p384_spki), kInvalid);
  EXPECT_TRUE(absl::StrContains(
      ApproverKey::Parse(kP, p384_spki).status().message(), "P-256"));
  // Trailing bytes after the SPKI, and after the PEM block.
  std::vector<uint8_t> trailing = p256->spki_der();
  trailing.push_back(0);
  EXPECT_EQ(ParseCode(kP, trailing), kInvalid);
  EXPECT_EQ(ParseCode(kP, FromString(p256->spki_pem() + "x")), kInvalid);
  // A PEM block of another type.
  std::string other = p256->spki_pem();
  other.replace(other.find("PUBLIC KEY"), 10, "PUBLIC KEX");
  EXPECT_EQ(ParseCode(kP, FromString(other)), kInvalid);
  // An unknown algorithm.
  EXPECT_EQ(ParseCode(static_cast<ApproverAlgorithm>(3), ed->raw_public_key()),
            kInvalid);
}

TEST(ApproverKeyTest, MalformedSignaturesAreInvalidArgumentBadOnesDenied) {
  std::unique_ptr<TestSigner> ed = MakeEd25519Signer(1);
  std::unique_ptr<TestSigner> p256 = MakeP256Signer();
  const std::vector<uint8_t> msg = {1, 2, 3};
  EXPECT_TRUE(ed->key().Verify(msg, ed->Sign(msg)).ok());
  EXPECT_TRUE(p256->key().Verify(msg, p256->Sign(msg)).ok());
  EXPECT_EQ(ed->key().Verify(msg, std::vector<uint8_t>(63)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ed->key().Verify(msg, std::vector<uint8_t>(64)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ed->key().Verify({1, 2, 4}, ed->Sign(msg)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p256->key().Verify(msg, std::vector<uint8_t>(7, 0x30)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p256->key().Verify(msg, std::vector<uint8_t>(73, 0x30)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p256->key().Verify({1, 2, 4}, p256->Sign(msg)).code(),
            absl::StatusCode::kPermissionDenied);
  // r = 0 (well-formed DER, out of range): does not verify.
  EXPECT_EQ(p256->key().Verify(msg, Bytes("3006020100020101")).code(),
            absl::StatusCode::kPermissionDenied);
  // Another approver's valid signature.
  std::unique_ptr<TestSigner> other = MakeP256Signer();
  EXPECT_EQ(p256->key().Verify(msg, other->Sign(msg)).code(),
            absl::StatusCode::kPermissionDenied);
}

class ApprovalPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ed0_ = MakeEd25519Signer(1);
    ed1_ = MakeEd25519Signer(2);
    p0_ = MakeP256Signer();
    p1_ = MakeP256Signer();
  }
  std::vector<Approver> Approvers() {
    return {Approver{p0_->key(), "yubikey-carol"},
            Approver{ed0_->key(), "alice"}, Approver{p1_->key(), "hsm"},
            Approver{ed1_->key(), "bob"}};
  }
  std::unique_ptr<TestSigner> ed0_, ed1_, p0_, p1_;
};

TEST_F(ApprovalPolicyTest, CanonicalOrderEncodingAndDigest) {
  absl::StatusOr<ApprovalPolicy> policy =
      ApprovalPolicy::Create(Approvers(), Quorum{2, 3, 4, 4});
  ASSERT_TRUE(policy.ok()) << policy.status();
  // Ed25519 keys first, each algorithm by public key.
  const std::vector<Approver>& a = policy->approvers();
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].key.algorithm(), ApproverAlgorithm::kEd25519);
  EXPECT_EQ(a[1].key.algorithm(), ApproverAlgorithm::kEd25519);
  EXPECT_LT(a[0].key.public_key(), a[1].key.public_key());
  EXPECT_EQ(a[2].key.algorithm(), ApproverAlgorithm::kEcdsaP256Sha256);
  EXPECT_LT(a[2].key.public_key(), a[3].key.public_key());

  // The encoding, byte by byte per the header.
  std::vector<uint8_t> expected = {1, 4};
  for (const Approver& x : a) {
    expected.push_back(static_cast<uint8_t>(x.key.algorithm()));
    expected.insert(expected.end(), x.key.public_key().begin(),
                    x.key.public_key().end());
    expected.push_back(static_cast<uint8_t>(x.label.size()));
    expected.insert(expected.end(), x.label.begin(), x.label.end());
  }
  expected.insert(expected.end(), {2, 3, 4, 4});
  EXPECT_EQ(EncodePolicy(*policy), expected);

  // Digest = SHA-256(tag || 0 || encoding), checked with OpenSSL.
  std::vector<uint8_t> hashed(kPolicyDigestTag,
                              kPolicyDigestTag + sizeof(kPolicyDigestTag));
  ASSERT_EQ(hashed.back(), 0);  // the tag's NUL is the 0x00 separator
  hashed.insert(hashed.end(), expected.begin(), expected.end());
  Digest32 sha{};
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(hashed.data(), hashed.size(), sha.data(), &len,
                       EVP_sha256(), nullptr),
            1);
  EXPECT_EQ(PolicyDigest(*policy), sha);

  // Configuration order does not matter; labels, keys and quorums do.
  std::vector<Approver> reversed = Approvers();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(PolicyDigest(*ApprovalPolicy::Create(reversed, Quorum{2, 3, 4, 4})),
            PolicyDigest(*policy));
  std::vector<Approver> renamed = Approvers();
  renamed[1].label = "alice2";
  EXPECT_NE(PolicyDigest(*ApprovalPolicy::Create(renamed, Quorum{2, 3, 4, 4})),
            PolicyDigest(*policy));
  EXPECT_NE(
      PolicyDigest(*ApprovalPolicy::Create(Approvers(), Quorum{2, 3, 4, 3})),
      PolicyDigest(*policy));
  std::vector<Approver> fewer = Approvers();
  fewer.pop_back();
  EXPECT_NE(PolicyDigest(*ApprovalPolicy::Create(fewer, Quorum{2, 3, 3, 3})),
            PolicyDigest(*policy));

  // Round trip through the decoder.
  absl::StatusOr<ApprovalPolicy> decoded = DecodePolicy(expected);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->encoding(), expected);
  EXPECT_EQ(decoded->digest(), policy->digest());
  EXPECT_EQ(decoded->quorum(), (Quorum{2, 3, 4, 4}));
  // Find by id.
  for (const Approver& x : a) {
    ASSERT_NE(policy->Find(x.key.id()), nullptr);
    EXPECT_EQ(policy->Find(x.key.id())->label, x.label);
  }
  EXPECT_EQ(policy->Find(MakeEd25519Signer(99)->id()), nullptr);
}

TEST_F(ApprovalPolicyTest, CreateRefusesInvalidPolicies) {
  const auto code = [](std::vector<Approver> approvers, Quorum q) {
    return ApprovalPolicy::Create(std::move(approvers), q).status();
  };
  EXPECT_EQ(code({}, Quorum{1, 1, 1, 1}).code(),
            absl::StatusCode::kInvalidArgument);
  // Quorum 0 and m > k, for each operation.
  for (int op = 0; op < 4; ++op) {
    for (uint32_t bad : {0u, 5u}) {
      Quorum q{2, 2, 2, 2};
      (op == 0   ? q.sign
       : op == 1 ? q.refresh
       : op == 2 ? q.reshare
                 : q.export_key) = bad;
      const absl::Status s = code(Approvers(), q);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << op << bad;
      EXPECT_TRUE(absl::StrContains(s.message(), "must be 1..4")) << s;
    }
  }
  // The same key twice, also when given in two encodings.
  std::vector<Approver> dup = Approvers();
  dup.push_back(Approver{
      *ApproverKey::Parse(ApproverAlgorithm::kEcdsaP256Sha256, p0_->spki_der()),
      "carol-again"});
  const absl::Status s = code(dup, Quorum{1, 1, 1, 1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "'yubikey-carol'")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "'carol-again'")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "same key")) << s;
  // Labels: too long, non-printable.
  std::vector<Approver> long_label = Approvers();
  long_label[0].label.assign(65, 'x');
  EXPECT_EQ(code(long_label, Quorum{1, 1, 1, 1}).code(),
            absl::StatusCode::kInvalidArgument);
  long_label[0].label.assign(64, 'x');
  EXPECT_TRUE(code(long_label, Quorum{1, 1, 1, 1}).ok());
  std::vector<Approver> control = Approvers();
  control[0].label = "tab\there";
  EXPECT_EQ(code(control, Quorum{1, 1, 1, 1}).code(),
            absl::StatusCode::kInvalidArgument);
  control[0].label = "caf\xc3\xa9";
  EXPECT_EQ(code(control, Quorum{1, 1, 1, 1}).code(),
            absl::StatusCode::kInvalidArgument);
  // More than 32 approvers.
  std::vector<Approver> many;
  for (int i = 0; i < 33; ++i) {
    many.push_back(
        Approver{MakeEd25519Signer(static_cast<uint8_t>(i))->key(), ""});
  }
  EXPECT_EQ(code(many, Quorum{1, 1, 1, 1}).code(),
            absl::StatusCode::kInvalidArgument);
  many.pop_back();
  EXPECT_TRUE(code(many, Quorum{32, 32, 32, 32}).ok());
}

TEST_F(ApprovalPolicyTest, DecoderRefusesEveryDeviation) {
  const ApprovalPolicy policy =
      *ApprovalPolicy::Create(Approvers(), Quorum{2, 3, 4, 4});
  const std::vector<uint8_t> good = policy.encoding();
  const auto refused = [](const std::vector<uint8_t>& bytes,
                          absl::string_view why) {
    const absl::Status s = DecodePolicy(bytes).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_TRUE(absl::StrContains(s.message(), why)) << s;
  };
  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n) {
    const absl::Status s =
        DecodePolicy(absl::MakeConstSpan(good.data(), n)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
  }
  std::vector<uint8_t> b = good;
  b.push_back(0);
  refused(b, "trailing bytes");
  b = good;
  b[0] = 2;
  refused(b, "unsupported version 2");
  b = good;
  b[1] = 0;
  refused(b, "approver_count must be 1..32");
  b = good;
  b[1] = 33;
  refused(b, "approver_count must be 1..32");
  b = good;
  b[2] = 3;  // first approver's algorithm
  refused(b, "approver 0: unknown algorithm 3");
  // Invalid Ed25519 key (identity point) in place of the first key.
  b = good;
  std::fill(b.begin() + 3, b.begin() + 35, 0);
  b[3] = 1;
  refused(b, "approver 0");
  // Labels: length beyond 64, non-printable byte.
  const size_t label0 = 3 + 32;  // label_len of approver 0
  b = good;
  b[label0] = 65;
  refused(b, "label_len must be 0..64");
  b = good;
  b[label0 + 1] = 0x07;
  refused(b, "label is not printable");
  // Quorum out of range.
  b = good;
  b[b.size() - 1] = 0;
  refused(b, "quorum for export must be 1..4");
  b = good;
  b[b.size() - 4] = 5;
  refused(b, "quorum for sign must be 1..4");
  // Approvers out of order (swap the two Ed25519 entries) and repeated.
  const size_t e0 = 2;
  const size_t e0_len = 1 + 32 + 1 + policy.approvers()[0].label.size();
  const size_t e1_len = 1 + 32 + 1 + policy.approvers()[1].label.size();
  b.assign(good.begin(), good.begin() + e0);
  b.insert(b.end(), good.begin() + e0 + e0_len,
           good.begin() + e0 + e0_len + e1_len);
  b.insert(b.end(), good.begin() + e0, good.begin() + e0 + e0_len);
  b.insert(b.end(), good.begin() + e0 + e0_len + e1_len, good.end());
  ASSERT_EQ(b.size(), good.size());
  refused(b, "not in strictly ascending");
  b.assign(good.begin(), good.begin() + e0);
  b.insert(b.end(), good.begin() + e0, good.begin() + e0 + e0_len);
  b.insert(b.end(), good.begin() + e0, good.begin() + e0 + e0_len);
  b.insert(b.end(), good.begin() + e0 + e0_len + e1_len, good.end());
  refused(b, "not in strictly ascending");
  // A P-256 key not in uncompressed form.
  b = good;
  const size_t p0 = e0 + e0_len + e1_len;
  ASSERT_EQ(b[p0], 2);
  b[p0 + 1] = 0x02;
  refused(b, "uncompressed point");
  // Off-curve P-256 point.
  b = good;
  b[p0 + 65] ^= 1;
  refused(b, "not a point on the curve");
  // Oversize input.
  refused(std::vector<uint8_t>(kMaxPolicyBytes + 1, 1), "exceeds the limit");
}

TEST(ApprovalPolicyFuzzSeeds, DecodeAsIntended) {
  auto read = [](const std::string& name) {
    std::ifstream in(
        "tests/fuzz/node/approval/corpus/approval_policy_fuzz/" + name,
        std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  };
  const std::vector<uint8_t> canonical = read("canonical_policy.bin");
  ASSERT_FALSE(canonical.empty());
  EXPECT_TRUE(DecodePolicy(canonical).ok()) << DecodePolicy(canonical).status();
  EXPECT_EQ(DecodePolicy(read("bad_quorum.bin")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nitro_tss::approval
