// Verification of the two real AWS Nitro attestation documents in
// ../shared/testdata/nitro against the pinned AWS root.
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "node/attestation/aws_root.h"
#include "node/attestation/errors.h"
#include "node/attestation/verifier.h"
#include "node/attestation/x509_util.h"
#include "tests/attestation/test_util.h"

namespace nitro_tss::attestation {
namespace {

using testing::Hex;
using testing::ReadFileBytes;

constexpr char kPcr0[] =
    "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a2"
    "7aa94ae3949dd54e7c9fe86a";
constexpr char kPcr1[] =
    "0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf3217266962"
    "57d623e8805f3f605946b3d8b0c6aa";
constexpr char kPcr2[] =
    "d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c90906426691"
    "06a062a3e24ee2805a3024b9b75c";
constexpr char kPcr4[] =
    "45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a"
    "786ad1c10102b955799a9dc96b44";

VerifyOptions AwsOptions(int64_t now_ms) {
  return VerifyOptions{AwsNitroRootG1Der(), now_ms};
}

AttestationPolicy ProductionPolicy() {
  AttestationPolicy policy;
  policy.expected_pcrs = {
      {0, Hex(kPcr0)}, {1, Hex(kPcr1)}, {2, Hex(kPcr2)}, {4, Hex(kPcr4)}};
  return policy;
}

TEST(AwsRootTest, BuiltInRootMatchesFingerprintAndTestdata) {
  const std::vector<uint8_t> der = AwsNitroRootG1Der();
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(der.data(), der.size(), digest);
  EXPECT_EQ(absl::BytesToHexString(std::string(digest, digest + 32)),
            "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b");
  auto doc = ParseAttestationDocument(ReadFileBytes(testing::kProdDocPath));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->cabundle.at(0), der);
}

TEST(RealDocumentTest, ProductionDocumentVerifiesWithEveryFieldChecked) {
  const auto bytes = ReadFileBytes(testing::kProdDocPath);
  auto doc = VerifyAttestationDocument(
      bytes, AwsOptions(testing::kProdTimestampMs), ProductionPolicy());
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_FALSE(doc->cose.tagged);
  EXPECT_EQ(doc->cose.protected_header,
            std::vector<uint8_t>({0xa1, 0x01, 0x38, 0x22}));
  EXPECT_EQ(doc->cose.signature.size(), 96u);
  EXPECT_EQ(doc->module_id, "i-0a22e5c5f24d22174-enc0191cceb4289903f");
  EXPECT_EQ(doc->digest, "SHA384");
  EXPECT_EQ(doc->timestamp_ms, 1725719859545u);
  EXPECT_EQ(FormatUnixMs(doc->timestamp_ms), "2024-09-07T14:37:39.545Z");
  ASSERT_EQ(doc->pcrs.size(), 16u);
  for (const auto& [index, value] : doc->pcrs) {
    EXPECT_EQ(value.size(), 48u);
    if (index == 0) {
      EXPECT_EQ(value, Hex(kPcr0));
    } else if (index == 1) {
      EXPECT_EQ(value, Hex(kPcr1));
    } else if (index == 2) {
      EXPECT_EQ(value, Hex(kPcr2));
    } else if (index == 4) {
      EXPECT_EQ(value, Hex(kPcr4));
    } else {
      EXPECT_EQ(value, std::vector<uint8_t>(48, 0)) << "PCR" << index;
    }
  }
  // PCR4 = SHA384(0^48 || instance id).
  std::string pcr4_input(48, '\0');
  pcr4_input += "i-0a22e5c5f24d22174";
  uint8_t pcr4[SHA384_DIGEST_LENGTH];
  SHA384(reinterpret_cast<const uint8_t*>(pcr4_input.data()), pcr4_input.size(),
         pcr4);
  EXPECT_EQ(doc->pcrs.at(4), std::vector<uint8_t>(pcr4, pcr4 + 48));
  ASSERT_TRUE(doc->public_key && doc->user_data && doc->nonce);
  EXPECT_EQ(*doc->public_key, std::vector<uint8_t>(1024, 0x01));
  EXPECT_EQ(*doc->user_data, std::vector<uint8_t>(1024, 0x01));
  EXPECT_EQ(*doc->nonce, std::vector<uint8_t>(1024, 0x01));
  ASSERT_EQ(doc->cabundle.size(), 4u);
  EXPECT_EQ(doc->cabundle[0], ReadFileBytes(testing::kRootPemPath).empty()
                                  ? std::vector<uint8_t>()
                                  : AwsNitroRootG1Der());
  auto leaf = ParseDerCertificate(doc->certificate);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(*Asn1TimeToUnixMs(X509_get0_notBefore(leaf->get())),
            1725719856000);  // 2024-09-07T14:37:36Z
  EXPECT_EQ(*Asn1TimeToUnixMs(X509_get0_notAfter(leaf->get())),
            1725730659000);  // 2024-09-07T17:37:39Z
}

TEST(RealDocumentTest, DebugDocumentRejectedByProductionAcceptedByDebug) {
  const auto bytes = ReadFileBytes(testing::kDebugDocPath);
  AttestationPolicy production;  // no PCR pins: the debug check alone
  auto rejected = VerifyAttestationDocument(
      bytes, AwsOptions(testing::kDebugTimestampMs), production);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(GetVerifyError(rejected.status()), VerifyError::kDebugMode);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kPermissionDenied);

  AttestationPolicy debug;
  debug.allow_debug = true;
  debug.expected_pcrs = {{0, std::vector<uint8_t>(48, 0)},
                         {1, std::vector<uint8_t>(48, 0)},
                         {2, std::vector<uint8_t>(48, 0)},
                         {4, Hex(kPcr4)}};
  auto accepted = VerifyAttestationDocument(
      bytes, AwsOptions(testing::kDebugTimestampMs), debug);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->module_id, "i-0a22e5c5f24d22174-enc0191ccebaf8feaba");
  EXPECT_EQ(accepted->timestamp_ms, 1725719886508u);
  EXPECT_EQ(accepted->pcrs.size(), 16u);
  EXPECT_EQ(*accepted->nonce, std::vector<uint8_t>(1024, 0x01));
  EXPECT_EQ(*accepted->public_key, std::vector<uint8_t>(1024, 0x01));
  EXPECT_EQ(*accepted->user_data, std::vector<uint8_t>(1024, 0x01));
  // The production PCR pins reject it too, even in a debug policy.
  AttestationPolicy pinned = ProductionPolicy();
  pinned.allow_debug = true;
  auto mismatch = VerifyAttestationDocument(
      bytes, AwsOptions(testing::kDebugTimestampMs), pinned);
  EXPECT_EQ(GetVerifyError(mismatch.status()), VerifyError::kPcrMismatch);
  EXPECT_EQ(mismatch.status().message(), "attestation: PCR0 mismatch");
}

struct ValidityCase {
  const char* path;
  int64_t timestamp_ms;
  int64_t leaf_not_before_ms;
  int64_t leaf_not_after_ms;
  bool debug;
};

class ValidityTest : public ::testing::TestWithParam<ValidityCase> {};

TEST_P(ValidityTest, ExpiresOneSecondAfterNotAfterAndBeforeNotBefore) {
  const ValidityCase& c = GetParam();
  const auto bytes = ReadFileBytes(c.path);
  AttestationPolicy policy;
  policy.allow_debug = c.debug;
  // Valid at its own timestamp and at both edges of the leaf's validity.
  for (int64_t at :
       {c.timestamp_ms, c.leaf_not_before_ms, c.leaf_not_after_ms}) {
    auto ok = VerifyAttestationDocument(bytes, AwsOptions(at), policy);
    EXPECT_TRUE(ok.ok()) << FormatUnixMs(at) << ": " << ok.status();
  }
  auto expired = VerifyAttestationDocument(
      bytes, AwsOptions(c.leaf_not_after_ms + 1000), policy);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(GetVerifyError(expired.status()), VerifyError::kCertificateExpired);
  EXPECT_TRUE(absl::StartsWith(
      expired.status().message(),
      absl::StrCat("attestation: certificate chain: leaf expired at ",
                   FormatUnixMs(c.leaf_not_after_ms))))
      << expired.status();
  auto early = VerifyAttestationDocument(
      bytes, AwsOptions(c.leaf_not_before_ms - 1), policy);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(GetVerifyError(early.status()),
            VerifyError::kCertificateNotYetValid);
  EXPECT_TRUE(
      absl::StartsWith(early.status().message(),
                       "attestation: certificate chain: leaf not valid before"))
      << early.status();
}

INSTANTIATE_TEST_SUITE_P(
    RealDocuments, ValidityTest,
    ::testing::Values(ValidityCase{testing::kProdDocPath,
                                   testing::kProdTimestampMs, 1725719856000,
                                   1725730659000, false},
                      ValidityCase{testing::kDebugDocPath,
                                   testing::kDebugTimestampMs, 1725719883000,
                                   1725730686000, true}),
    [](const ::testing::TestParamInfo<ValidityCase>& info) {
      return std::string(info.param.debug ? "Debug" : "Production");
    });

TEST(RealDocumentTest, WrongRootRejected) {
  const auto bytes = ReadFileBytes(testing::kProdDocPath);
  auto doc = ParseAttestationDocument(bytes);
  ASSERT_TRUE(doc.ok());
  // Pinning the zonal intermediate instead of the root.
  VerifyOptions options{doc->cabundle[2], testing::kProdTimestampMs};
  auto result = VerifyAttestationDocument(bytes, options, AttestationPolicy{});
  EXPECT_EQ(GetVerifyError(result.status()), VerifyError::kUntrustedRoot);
}

}  // namespace
}  // namespace nitro_tss::attestation
