// CMS parser/opener: the real KMS-shaped vector, truncations, targeted
// mutations (one per check), and round trips through OpenSSL's CMS encoder.
#include "node/kms/cms.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "node/kms/ber.h"
#include "node/kms/recipient_key.h"
#include "tests/kms/cms_test_util.h"

namespace nitro_tss::kms {
namespace {

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

std::string Hex(absl::Span<const uint8_t> b) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

const char kVector[] =
    "../shared/testdata/nitro/kms_ciphertext_for_recipient.ber";

class KmsVectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ber_ = ReadBytes(kVector);
    ASSERT_EQ(ber_.size(), 493u) << "missing " << kVector;
  }
  // Applies `mutate` to a copy of the vector and expects InvalidArgument
  // whose message contains `expected`.
  void ExpectRejected(size_t offset, uint8_t value,
                      absl::string_view expected) {
    std::vector<uint8_t> m = ber_;
    ASSERT_LT(offset, m.size());
    m[offset] = value;
    absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(m);
    ASSERT_FALSE(r.ok()) << "offset " << offset;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status().message(), expected))
        << "offset " << offset << ": " << r.status();
  }
  std::vector<uint8_t> ber_;
};

TEST_F(KmsVectorTest, ParsesWithExpectedStructure) {
  absl::StatusOr<CmsEnvelopedData> cms = ParseCmsEnvelopedData(ber_);
  ASSERT_TRUE(cms.ok()) << cms.status();
  EXPECT_EQ(cms->subject_key_identifier.size(), 32u);
  EXPECT_EQ(cms->encrypted_key.size(), 256u);
  EXPECT_EQ(Hex(cms->encrypted_key).substr(0, 16), "a0614593a030ee33");
  EXPECT_EQ(Hex(cms->iv), "688c6d5f7f31b0fecedf09f2e7c99ac9");
  EXPECT_EQ(cms->encrypted_content.size(), 48u);
  EXPECT_EQ(Hex(cms->encrypted_content).substr(0, 16), "70e5caaffd49ad24");
}

TEST_F(KmsVectorTest, OpeningWithAnotherKeyIsDataLoss) {
  absl::StatusOr<RecipientKey> key = RecipientKey::Generate();
  ASSERT_TRUE(key.ok());
  absl::StatusOr<SecureBytes> r = OpenCiphertextForRecipient(ber_, *key);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
}

TEST_F(KmsVectorTest, EveryTruncationIsRejected) {
  for (size_t n = 0; n < ber_.size(); ++n) {
    absl::StatusOr<CmsEnvelopedData> r =
        ParseCmsEnvelopedData(absl::MakeConstSpan(ber_.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes accepted";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(KmsVectorTest, TrailingBytesAreRejected) {
  std::vector<uint8_t> m = ber_;
  m.push_back(0);
  absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(m);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "trailing"));
}

TEST_F(KmsVectorTest, OversizedInputIsRejected) {
  std::vector<uint8_t> big(kMaxCmsBytes + 1, 0x30);
  absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(big);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "limit"));
}

// One mutation per structural check (offsets from `openssl asn1parse`).
TEST_F(KmsVectorTest, MutationsAreRejectedWithSpecificErrors) {
  ExpectRejected(0, 0x31, "ContentInfo is not a SEQUENCE");
  ExpectRejected(12, 0x01, "id-envelopedData");
  ExpectRejected(13, 0xa1, "ContentInfo.content");
  ExpectRejected(19, 0x00, "EnvelopedData.version is 0");
  ExpectRejected(20, 0x30, "recipientInfos");
  ExpectRejected(30, 0x00, "KeyTransRecipientInfo.version is 0");
  ExpectRejected(31, 0x81, "subjectKeyIdentifier");
  ExpectRejected(77, 0x01, "must be RSAES-OAEP");
  ExpectRejected(80, 0xa2, "OAEP hashAlgorithm");
  ExpectRejected(94, 0x02, "OAEP hashAlgorithm must be SHA-256");
  ExpectRejected(95, 0x04, "OAEP hashAlgorithm");
  ExpectRejected(111, 0x09, "must be MGF1");
  ExpectRejected(124, 0x03, "MGF1 hash must be SHA-256");
  ExpectRejected(127, 0x03, "encryptedKey");
  ExpectRejected(399, 0x02, "must be id-data");
  ExpectRejected(412, 0x02, "must be AES-256-CBC");
  ExpectRejected(414, 0x0f, "");  // IV length shrunk: framing breaks
  ExpectRejected(433, 0x05, "encryptedContent");
  ExpectRejected(434, 0x2f, "");  // content length shrunk: framing breaks
  ExpectRejected(490, 0x01, "");  // broken end-of-contents
  ExpectRejected(1, 0x84, "length uses 4 bytes");
}

TEST_F(KmsVectorTest, EveryBitFlipIsHandled) {
  // Each single-bit flip is either rejected, or parsed into a structure that
  // differs from the original (never a crash, never silently identical).
  absl::StatusOr<CmsEnvelopedData> orig = ParseCmsEnvelopedData(ber_);
  ASSERT_TRUE(orig.ok());
  size_t rejected = 0;
  for (size_t i = 0; i < ber_.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> m = ber_;
      m[i] ^= static_cast<uint8_t>(1 << bit);
      absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(m);
      if (!r.ok()) {
        ++rejected;
        continue;
      }
      EXPECT_TRUE(r->subject_key_identifier != orig->subject_key_identifier ||
                  r->encrypted_key != orig->encrypted_key ||
                  r->iv != orig->iv ||
                  r->encrypted_content != orig->encrypted_content)
          << "flip at byte " << i << " bit " << bit << " went unnoticed";
    }
  }
  // Only flips inside the SKI, key, IV and content bytes may parse.
  EXPECT_GT(rejected, 8u * 100);
}

TEST(BerTest, RejectsNonMinimalAndHugeLengths) {
  const std::vector<uint8_t> non_minimal = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5};
  EXPECT_FALSE(ber::ParseElement(non_minimal).ok());
  const std::vector<uint8_t> leading_zero = {0x04, 0x82, 0x00, 0x80};
  EXPECT_FALSE(ber::ParseElement(leading_zero).ok());
  const std::vector<uint8_t> huge = {0x04, 0x83, 0xff, 0xff, 0xff, 0};
  EXPECT_FALSE(ber::ParseElement(huge).ok());
  const std::vector<uint8_t> indefinite_primitive = {0x04, 0x80, 0, 0};
  EXPECT_FALSE(ber::ParseElement(indefinite_primitive).ok());
  const std::vector<uint8_t> high_tag = {0x1f, 0x81, 0x01, 0x00};
  EXPECT_FALSE(ber::ParseElement(high_tag).ok());
  std::vector<uint8_t> deep;
  for (int i = 0; i < 40; ++i) deep.insert(deep.end(), {0x30, 0x80});
  for (int i = 0; i < 40; ++i) deep.insert(deep.end(), {0x00, 0x00});
  absl::StatusOr<ber::Element> d = ber::ParseElement(deep);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(absl::StrContains(d.status().message(), "nesting"));
}

// --- Round trips through OpenSSL's CMS encoder with a key we hold. ---

class CmsRoundTripTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new RecipientKey(*RecipientKey::Generate());
  }
  static void TearDownTestSuite() { delete key_; }
  static RecipientKey* key_;
};
RecipientKey* CmsRoundTripTest::key_ = nullptr;

std::string Repeat(absl::string_view unit, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(unit.data(), unit.size());
  return out;
}

TEST_F(CmsRoundTripTest, DefiniteLengthDerRoundTrips) {
  const std::string plain(32, '\x42');
  std::vector<uint8_t> der = testing::BuildCms(key_->pkey(), plain);
  ASSERT_FALSE(der.empty());
  absl::StatusOr<CmsEnvelopedData> cms = ParseCmsEnvelopedData(der);
  ASSERT_TRUE(cms.ok()) << cms.status();
  EXPECT_EQ(Hex(cms->subject_key_identifier), Repeat("5a", 32));
  EXPECT_EQ(cms->encrypted_key.size(), 256u);
  EXPECT_EQ(cms->encrypted_content.size(), 48u);  // 32 bytes + full pad block
  absl::StatusOr<SecureBytes> opened = OpenCmsEnvelopedData(*cms, *key_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(std::string(opened->data(), opened->data() + opened->size()),
            plain);
}

TEST_F(CmsRoundTripTest, IndefiniteLengthBerRoundTripsForManySizes) {
  for (size_t n : {0, 1, 15, 16, 17, 100, 1024, 4096}) {
    std::string plain(n, '\0');
    for (size_t i = 0; i < n; ++i) plain[i] = static_cast<char>(i * 7 + 1);
    testing::CmsBuildOptions opts;
    opts.stream_ber = true;
    std::vector<uint8_t> ber_bytes =
        testing::BuildCms(key_->pkey(), plain, opts);
    ASSERT_FALSE(ber_bytes.empty());
    ASSERT_EQ(ber_bytes[1], 0x80) << "expected indefinite-length BER";
    absl::StatusOr<SecureBytes> opened =
        OpenCiphertextForRecipient(ber_bytes, *key_);
    ASSERT_TRUE(opened.ok()) << n << ": " << opened.status();
    EXPECT_EQ(std::string(opened->data(), opened->data() + opened->size()),
              plain);
  }
}

TEST_F(CmsRoundTripTest, WrongKeyAndTamperedContentAreDataLoss) {
  std::vector<uint8_t> der = testing::BuildCms(key_->pkey(), "secret data");
  absl::StatusOr<RecipientKey> other = RecipientKey::Generate();
  ASSERT_TRUE(other.ok());
  absl::StatusOr<SecureBytes> r = OpenCiphertextForRecipient(der, *other);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  // Flip a bit in the last ciphertext block: the padding check fails (or, with
  // probability ~1/256, yields garbage); the error is the same generic one.
  absl::StatusOr<CmsEnvelopedData> cms = ParseCmsEnvelopedData(der);
  ASSERT_TRUE(cms.ok());
  CmsEnvelopedData broken = *cms;
  broken.encrypted_key[10] ^= 1;
  r = OpenCmsEnvelopedData(broken, *key_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "cms: cannot open CiphertextForRecipient");
}

TEST_F(CmsRoundTripTest, WrongAlgorithmsAreRejected) {
  struct Case {
    testing::CmsBuildOptions opts;
    const char* expected;
  };
  std::vector<Case> cases(5);
  cases[0].opts.oaep = false;
  cases[0].expected = "must be RSAES-OAEP";
  cases[1].opts.oaep_md = EVP_sha1();
  cases[1].expected = "OAEP hashAlgorithm";
  cases[2].opts.cipher = EVP_aes_128_cbc();
  cases[2].expected = "must be AES-256-CBC";
  cases[3].opts.use_key_id = false;
  cases[3].expected = "EnvelopedData.version is 0";
  cases[4].opts.ski_size = 20;
  cases[4].expected = "subjectKeyIdentifier is 20 bytes";
  for (const Case& c : cases) {
    std::vector<uint8_t> der = testing::BuildCms(key_->pkey(), "x", c.opts);
    ASSERT_FALSE(der.empty()) << c.expected;
    absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(der);
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_TRUE(absl::StrContains(r.status().message(), c.expected))
        << r.status();
  }
}

TEST(RecipientKeyTest, PublicKeyIsRsa2048Spki) {
  absl::StatusOr<RecipientKey> key = RecipientKey::Generate();
  ASSERT_TRUE(key.ok());
  absl::StatusOr<std::vector<uint8_t>> der = key->PublicKeyDer();
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(der->size(), 294u);
  const unsigned char* p = der->data();
  EVP_PKEY* parsed = d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size()));
  ASSERT_NE(parsed, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(parsed), 2048);
  EXPECT_EQ(EVP_PKEY_eq(parsed, key->pkey()), 1);
  EVP_PKEY_free(parsed);
}

TEST(RecipientKeyTest, RejectsWrongSizedCiphertextAndSmallKeys) {
  absl::StatusOr<RecipientKey> key = RecipientKey::Generate();
  ASSERT_TRUE(key.ok());
  std::vector<uint8_t> short_ct(255, 1);
  EXPECT_EQ(key->DecryptOaepSha256(short_ct).status().code(),
            absl::StatusCode::kInvalidArgument);
  EVP_PKEY* small = EVP_RSA_gen(1024);
  EXPECT_EQ(RecipientKey::FromPkey(small).status().code(),
            absl::StatusCode::kInvalidArgument);
  EVP_PKEY_free(small);
}

}  // namespace
}  // namespace nitro_tss::kms
