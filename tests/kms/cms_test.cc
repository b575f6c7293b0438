// CMS parser/opener: the real KMS-shaped vector, truncations, targeted
// mutations (one per check), and round trips through OpenSSL's CMS encoder.
#include "node/kms/cms.h"

#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
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
// Where OpenSSL's decoder (not our code) now refuses the input, only the
// error code is compared ("" below; the old message in the comment).
TEST_F(KmsVectorTest, MutationsAreRejectedWithSpecificErrors) {
  ExpectRejected(0, 0x31, "");   // was "ContentInfo is not a SEQUENCE"
  ExpectRejected(12, 0x01, "");  // was "id-envelopedData"
  ExpectRejected(13, 0xa1, "");  // was "ContentInfo.content"
  ExpectRejected(19, 0x00, "EnvelopedData.version is 0");
  ExpectRejected(20, 0x30, "recipientInfos");
  ExpectRejected(30, 0x00, "KeyTransRecipientInfo.version is 0");
  ExpectRejected(31, 0x81, "");  // was "subjectKeyIdentifier"
  ExpectRejected(77, 0x01, "must be RSAES-OAEP");
  ExpectRejected(80, 0xa2, "");  // was "OAEP hashAlgorithm"
  ExpectRejected(94, 0x02, "OAEP hashAlgorithm must be SHA-256");
  ExpectRejected(95, 0x04, "OAEP hashAlgorithm");
  ExpectRejected(111, 0x09, "must be MGF1");
  ExpectRejected(124, 0x03, "MGF1 hash must be SHA-256");
  ExpectRejected(127, 0x03, "encryptedKey");
  ExpectRejected(399, 0x02, "must be id-data");
  ExpectRejected(412, 0x02, "must be AES-256-CBC");
  ExpectRejected(414, 0x0f, "");  // IV length shrunk: framing breaks
  ExpectRejected(433, 0x05, "");  // was "encryptedContent"
  ExpectRejected(434, 0x2f, "");  // content length shrunk: framing breaks
  ExpectRejected(490, 0x01, "");  // broken end-of-contents
  ExpectRejected(1, 0x84, "");    // was "length uses 4 bytes"
}

// The vector's RSA private key was never published, so it cannot be opened
// as is. Everything KMS encoded is kept (indefinite lengths, NULL hash
// parameters, the segmented encryptedContent, SKI, IV) except the 256-byte
// encryptedKey (now RSAES-OAEP-SHA256 of a CEK to a key we hold) and the
// 48-byte content (AES-256-CBC of a 32-byte data key under that CEK and the
// vector's IV): OpenSSL's CMS code opens KMS's exact encoding.
TEST_F(KmsVectorTest, KmsEncodingOpensThroughOpenSsl) {
  constexpr size_t kKeyAt = 131, kIvAt = 415, kContentAt = 435;
  ASSERT_EQ(Hex(absl::MakeConstSpan(ber_).subspan(kKeyAt, 4)), "a0614593");
  ASSERT_EQ(Hex(absl::MakeConstSpan(ber_).subspan(kIvAt, 4)), "688c6d5f");
  ASSERT_EQ(Hex(absl::MakeConstSpan(ber_).subspan(kContentAt, 4)), "70e5caaf");
  absl::StatusOr<RecipientKey> key = RecipientKey::Generate();
  ASSERT_TRUE(key.ok());
  uint8_t cek[32], data_key[32];
  ASSERT_EQ(RAND_bytes(cek, sizeof cek), 1);
  ASSERT_EQ(RAND_bytes(data_key, sizeof data_key), 1);

  std::vector<uint8_t> m = ber_;
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new(key->pkey(), nullptr);
  size_t ek_len = 256;
  ASSERT_EQ(EVP_PKEY_encrypt_init(pctx), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
  ASSERT_EQ(EVP_PKEY_encrypt(pctx, m.data() + kKeyAt, &ek_len, cek, 32), 1);
  EVP_PKEY_CTX_free(pctx);
  ASSERT_EQ(ek_len, 256u);

  EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
  int n1 = 0, n2 = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, cek,
                               m.data() + kIvAt),
            1);
  ASSERT_EQ(EVP_EncryptUpdate(cctx, m.data() + kContentAt, &n1, data_key, 32),
            1);
  ASSERT_EQ(EVP_EncryptFinal_ex(cctx, m.data() + kContentAt + n1, &n2), 1);
  EVP_CIPHER_CTX_free(cctx);
  ASSERT_EQ(n1 + n2, 48);

  absl::StatusOr<SecureBytes> opened = OpenCiphertextForRecipient(m, *key);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Hex(opened->span()), Hex(data_key));
  absl::StatusOr<CmsEnvelopedData> parsed = ParseCmsEnvelopedData(m);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(Hex(parsed->iv), "688c6d5f7f31b0fecedf09f2e7c99ac9");
}

// Encodings OpenSSL's decoder accepts but the hand-written checks refuse.
TEST_F(KmsVectorTest, OpenSslLeniencyIsRefusedByHand) {
  std::vector<std::vector<uint8_t>> cases;
  // The IV's length in non-minimal long form (04 81 10), parent adjusted.
  std::vector<uint8_t> iv_len = ber_;
  ASSERT_EQ(iv_len[401], 0x1d);
  iv_len[401] = 0x1e;
  iv_len.insert(iv_len.begin() + 414, 0x81);
  cases.push_back(iv_len);
  // recipientInfos SET flagged primitive (0x31 -> 0x11).
  cases.push_back(ber_);
  cases.back()[20] = 0x11;
  // A segment of the encryptedContent tagged NULL instead of OCTET STRING.
  cases.push_back(ber_);
  cases.back()[433] = 0x05;
  for (const std::vector<uint8_t>& m : cases) {
    const unsigned char* p = m.data();
    CMS_ContentInfo* cms =
        d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(m.size()));
    EXPECT_NE(cms, nullptr) << "OpenSSL got stricter: drop the hand check";
    CMS_ContentInfo_free(cms);
    absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
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

// The BER framing checks kept by hand (OpenSSL's decoder is more lenient):
// formerly unit tests of ber::ParseElement, now of the production entry point.
TEST(CmsBerTest, RejectsNonMinimalAndHugeLengths) {
  const std::vector<uint8_t> non_minimal = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5};
  EXPECT_FALSE(ParseCmsEnvelopedData(non_minimal).ok());
  const std::vector<uint8_t> leading_zero = {0x04, 0x82, 0x00, 0x80};
  EXPECT_FALSE(ParseCmsEnvelopedData(leading_zero).ok());
  const std::vector<uint8_t> huge = {0x04, 0x83, 0xff, 0xff, 0xff, 0};
  EXPECT_FALSE(ParseCmsEnvelopedData(huge).ok());
  const std::vector<uint8_t> indefinite_primitive = {0x04, 0x80, 0, 0};
  EXPECT_FALSE(ParseCmsEnvelopedData(indefinite_primitive).ok());
  const std::vector<uint8_t> high_tag = {0x1f, 0x81, 0x01, 0x00};
  EXPECT_FALSE(ParseCmsEnvelopedData(high_tag).ok());
  std::vector<uint8_t> deep;
  for (int i = 0; i < 40; ++i) deep.insert(deep.end(), {0x30, 0x80});
  for (int i = 0; i < 40; ++i) deep.insert(deep.end(), {0x00, 0x00});
  absl::StatusOr<CmsEnvelopedData> d = ParseCmsEnvelopedData(deep);
  ASSERT_FALSE(d.ok());
  // Was: message contains "nesting"; now OpenSSL's decoder refuses it first.
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument)
      << d.status();
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
  bool empty_originator_info = false;    // well-formed: a0 00
  bool well_formed_unprotected = false;  // one attribute
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
  Bytes env = Seq(
      {Tlv(0x02, s.env_version),
       s.originator_info ? Tlv(0xa0, Seq({})) : Bytes(),
       s.empty_originator_info ? Tlv(0xa0, {}) : Bytes(), recipients, eci,
       s.unprotected_attrs ? Tlv(0xa1, Seq({})) : Bytes(),
       s.well_formed_unprotected ? Tlv(0xa1, Seq({Oid({0x55, 0x04, 0x03}),
                                                  Tlv(0x31, Tlv(0x0c, {'x'}))}))
                                 : Bytes()});
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
    // false: OpenSSL's decoder refuses it; only the error code is compared.
    bool message = true;
  };
  const std::vector<Case> cases = {
      {"EnvelopedData.version is 0", [](Shape& s) { s.env_version = {0}; }},
      {"EnvelopedData.version is negative",
       [](Shape& s) { s.env_version = {0xff}; }},
      {"not minimally encoded",
       [](Shape& s) {
         s.env_version = {0, 2};
       },
       false},
      {"KeyTransRecipientInfo.version is 3",
       [](Shape& s) { s.ktri_version = {3}; }},
      {"subjectKeyIdentifier is 20 bytes", [](Shape& s) { s.ski = 20; }},
      {"encryptedKey is 128 bytes", [](Shape& s) { s.encrypted_key = 128; }},
      {"encryptedKey exceeds 512", [](Shape& s) { s.encrypted_key = 600; }},
      {"AES-CBC IV is 15 bytes", [](Shape& s) { s.iv = 15; }},
      {"encryptedContent is 47 bytes", [](Shape& s) { s.content = 47; }},
      {"encryptedContent is 0 bytes", [](Shape& s) { s.content = 0; }},
      {"encryptedContent exceeds", [](Shape& s) { s.content = 8192 + 16; }},
      {"non-empty NULL", [](Shape& s) { s.hash_null_content = {0}; }, false},
      {"no pSourceAlgorithm allowed", [](Shape& s) { s.p_source = true; },
       false},
      {"exactly one RecipientInfo", [](Shape& s) { s.two_recipients = true; }},
      {"originatorInfo is not allowed",
       [](Shape& s) { s.originator_info = true; }, false},
      {"unprotectedAttrs are not allowed",
       [](Shape& s) { s.unprotected_attrs = true; }, false},
      {"trailing element(s) in contentEncryptionAlgorithm",
       [](Shape& s) { s.aes_extra_param = true; }, false},
      {"trailing element(s) in KeyTransRecipientInfo",
       [](Shape& s) { s.ktri_extra = true; }, false},
      {"must be id-data", [](Shape& s) { s.content_type = kEnvelopedOid; }},
      {"originatorInfo is not allowed",
       [](Shape& s) { s.empty_originator_info = true; }},
      {"unprotectedAttrs are not allowed",
       [](Shape& s) { s.well_formed_unprotected = true; }},
  };
  for (const Case& c : cases) {
    Shape shape;
    c.mutate(shape);
    absl::StatusOr<CmsEnvelopedData> r = ParseCmsEnvelopedData(Build(shape));
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    if (c.message) {
      EXPECT_TRUE(absl::StrContains(r.status().message(), c.expected))
          << c.expected << " -> " << r.status();
    }
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
  absl::StatusOr<SecureBytes> opened = OpenCiphertextForRecipient(der, *key_);
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
  // Flip a bit of the encrypted key (in the encoding: OpenSSL decrypts its
  // own parse of the input): OAEP fails; the error is the same generic one.
  absl::StatusOr<CmsEnvelopedData> cms = ParseCmsEnvelopedData(der);
  ASSERT_TRUE(cms.ok());
  auto at = std::search(der.begin(), der.end(), cms->encrypted_key.begin(),
                        cms->encrypted_key.end());
  ASSERT_NE(at, der.end());
  std::vector<uint8_t> broken = der;
  broken[(at - der.begin()) + 10] ^= 1;
  r = OpenCiphertextForRecipient(broken, *key_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(), "cms: cannot open CiphertextForRecipient");
}

// OpenSSL's MMA countermeasure (a random CEK when key transport fails) would
// let ~1/256 wrong-key openings "succeed" with garbage; with
// CMS_DEBUG_DECRYPT every one is DataLoss.
TEST_F(CmsRoundTripTest, WrongKeyIsAlwaysDataLoss) {
  absl::StatusOr<RecipientKey> other = RecipientKey::Generate();
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 600; ++i) {
    std::vector<uint8_t> der = testing::BuildCms(key_->pkey(), "data key");
    absl::StatusOr<SecureBytes> r = OpenCiphertextForRecipient(der, *other);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << i;
    ASSERT_EQ(r.status().message(), "cms: cannot open CiphertextForRecipient");
  }
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
