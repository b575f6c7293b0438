// CMS parser/opener: the real KMS-shaped vector, truncations, targeted
// mutations (one per check), and round trips through OpenSSL's CMS encoder.
#include "node/kms/cms.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fstream>
#include <functional>
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

// --- Structures built field by field: each variant breaks exactly one check.

using Bytes = std::vector<uint8_t>;

Bytes Tlv(uint8_t tag, const Bytes& content) {
  Bytes out = {tag};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(),
               {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes Seq(std::initializer_list<Bytes> parts) { return Tlv(0x30, Cat(parts)); }
Bytes Oid(const Bytes& body) { return Tlv(0x06, body); }

const Bytes kEnvelopedOid = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                             0x0d, 0x01, 0x07, 0x03};
const Bytes kDataOid = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
const Bytes kOaepOid = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07};
const Bytes kMgf1Oid = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
const Bytes kSha256Oid = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
const Bytes kAesOid = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a};

// Knobs of a KMS-shaped EnvelopedData; the defaults give a valid one.
struct Shape {
  Bytes env_version = {2};
  Bytes ktri_version = {2};
  size_t ski = 32;
  size_t encrypted_key = 256;
  size_t iv = 16;
  size_t content = 48;
  bool hash_null = true;
  Bytes hash_null_content = {};
  bool p_source = false;
  bool two_recipients = false;
  bool originator_info = false;
  bool unprotected_attrs = false;
  bool aes_extra_param = false;
  bool ktri_extra = false;
  bool segmented_content = false;
  Bytes content_type = kDataOid;
};

Bytes Build(const Shape& s) {
  Bytes sha = s.hash_null
                  ? Seq({Oid(kSha256Oid), Tlv(0x05, s.hash_null_content)})
                  : Seq({Oid(kSha256Oid)});
  Bytes oaep_params =
      Cat({Tlv(0xa0, sha), Tlv(0xa1, Seq({Oid(kMgf1Oid), sha}))});
  if (s.p_source) oaep_params = Cat({oaep_params, Tlv(0xa2, Seq({}))});
  Bytes ktri = Seq({Tlv(0x02, s.ktri_version), Tlv(0x80, Bytes(s.ski, 0x33)),
                    Seq({Oid(kOaepOid), Tlv(0x30, oaep_params)}),
                    Tlv(0x04, Bytes(s.encrypted_key, 0x44)),
                    s.ktri_extra ? Tlv(0x05, {}) : Bytes()});
  Bytes recipients = Tlv(0x31, s.two_recipients ? Cat({ktri, ktri}) : ktri);
  Bytes aes = Seq({Oid(kAesOid), Tlv(0x04, Bytes(s.iv, 0x11)),
                   s.aes_extra_param ? Tlv(0x05, {}) : Bytes()});
  Bytes content_bytes(s.content, 0x55);
  Bytes enc_content;
  if (s.segmented_content) {
    Bytes half(content_bytes.begin(), content_bytes.begin() + s.content / 2);
    Bytes rest(content_bytes.begin() + s.content / 2, content_bytes.end());
    enc_content = Tlv(0xa0, Cat({Tlv(0x04, half), Tlv(0x04, rest)}));
  } else {
    enc_content = Tlv(0x80, content_bytes);
  }
  Bytes eci = Seq({Oid(s.content_type), aes, enc_content});
  Bytes env = Seq({Tlv(0x02, s.env_version),
                   s.originator_info ? Tlv(0xa0, Seq({})) : Bytes(), recipients,
                   eci, s.unprotected_attrs ? Tlv(0xa1, Seq({})) : Bytes()});
  return Seq({Oid(kEnvelopedOid), Tlv(0xa0, env)});
}

TEST(CmsShapeTest, ValidShapesParse) {
  absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(Build({}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->encrypted_content.size(), 48u);
  Shape absent_null;  // RFC 4055: hash parameters may be absent
  absent_null.hash_null = false;
  EXPECT_TRUE(ParseCmsEnvelopedData(Build(absent_null)).ok());
  Shape segmented;  // BER streaming splits the content into segments
  segmented.segmented_content = true;
  r = ParseCmsEnvelopedData(Build(segmented));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->encrypted_content, Bytes(48, 0x55));
}

TEST(CmsShapeTest, EachCheckRejectsItsViolation) {
  struct Case {
    const char* expected;
    std::function<void(Shape&)> mutate;
  };
  const std::vector<Case> cases = {
      {"EnvelopedData.version is 0", [](Shape& s) { s.env_version = {0}; }},
      {"EnvelopedData.version is negative",
       [](Shape& s) { s.env_version = {0xff}; }},
      {"not minimally encoded",
       [](Shape& s) {
         s.env_version = {0, 2};
       }},
      {"KeyTransRecipientInfo.version is 3",
       [](Shape& s) { s.ktri_version = {3}; }},
      {"subjectKeyIdentifier is 20 bytes", [](Shape& s) { s.ski = 20; }},
      {"encryptedKey is 128 bytes", [](Shape& s) { s.encrypted_key = 128; }},
      {"encryptedKey exceeds 512", [](Shape& s) { s.encrypted_key = 600; }},
      {"AES-CBC IV is 15 bytes", [](Shape& s) { s.iv = 15; }},
      {"encryptedContent is 47 bytes", [](Shape& s) { s.content = 47; }},
      {"encryptedContent is 0 bytes", [](Shape& s) { s.content = 0; }},
      {"encryptedContent exceeds", [](Shape& s) { s.content = 8192 + 16; }},
      {"non-empty NULL", [](Shape& s) { s.hash_null_content = {0}; }},
      {"no pSourceAlgorithm allowed", [](Shape& s) { s.p_source = true; }},
      {"exactly one RecipientInfo", [](Shape& s) { s.two_recipients = true; }},
      {"originatorInfo is not allowed",
       [](Shape& s) { s.originator_info = true; }},
      {"unprotectedAttrs are not allowed",
       [](Shape& s) { s.unprotected_attrs = true; }},
      {"trailing element(s) in contentEncryptionAlgorithm",
       [](Shape& s) { s.aes_extra_param = true; }},
      {"trailing element(s) in KeyTransRecipientInfo",
       [](Shape& s) { s.ktri_extra = true; }},
      {"must be id-data", [](Shape& s) { s.content_type = kEnvelopedOid; }},
  };
  for (const Case& c : cases) {
    Shape shape;
    c.mutate(shape);
    absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(Build(shape));
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status().message(), c.expected))
        << c.expected << " -> " << r.status();
  }
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
