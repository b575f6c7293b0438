// In-process tests of KmsService::Handle: routing errors, key resolution,
// operation-level errors and the Recipient path with a stub verifier (the
// real verifier runs in attested_test.cc).
#include "tools/kms-local/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "tools/kms-local/kms_request.h"

namespace nitro_tss::kms_local {
namespace {

using ::testing::HasSubstr;

constexpr char kParent[] = "arn:aws:iam::111122223333:role/parent";
const std::vector<uint8_t> kGoodPcr0(48, 0xAA);

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SecretBytes master(32);
    auto ks = KeyStore::Open(":memory:", master);
    ASSERT_TRUE(ks.ok());
    store_ = std::move(*ks);
    rsa_ = EVP_RSA_gen(2048);
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(rsa_, &der);
    spki_.assign(der, der + len);
    OPENSSL_free(der);
    KmsServiceOptions opts;
    // The caller is whoever the X-Test-Principal header names.
    opts.authenticator =
        [](const HttpRequestMessage& r) -> absl::StatusOr<CallerIdentity> {
      CallerIdentity id;
      const std::string* p = r.FindHeader("X-Test-Principal");
      id.principal_arn = p ? *p : kParent;
      return id;
    };
    opts.recipient_verifier =
        [this](absl::string_view doc) -> absl::StatusOr<AttestedRecipient> {
      if (doc == "bad") return absl::UnauthenticatedError("bad signature");
      AttestedRecipient r;
      r.pcrs[0] = doc == "good" ? kGoodPcr0 : std::vector<uint8_t>(48, 0);
      r.pcrs[1] = std::vector<uint8_t>(48, 0x11);
      r.public_key = spki_;
      return r;
    };
    opts.log = [this](const std::string& line) { log_ += line + "\n"; };
    service_ = std::make_unique<KmsService>(std::move(opts), store_.get());
  }
  void TearDown() override { EVP_PKEY_free(rsa_); }

  // Sends an operation; returns (status, parsed body).
  std::pair<int, json::Value> Call(const std::string& op,
                                   const std::string& body,
                                   const std::string& principal = kParent) {
    HttpRequestMessage r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "TrentService." + op},
                 {"X-Test-Principal", principal}};
    r.body = body;
    HttpResponseMessage resp = service_->Handle(r);
    auto v = json::Parse(resp.body);
    EXPECT_TRUE(v.ok()) << resp.body;
    return {resp.status, v.ok() ? *v : json::Value()};
  }

  std::string ErrorType(const std::pair<int, json::Value>& r) {
    auto t = r.second.StringField("__type");
    return t.ok() ? *t : "OK";
  }

  std::string CreateKey(const std::string& extra = "") {
    auto r = Call("CreateKey", "{" + extra + "}");
    EXPECT_EQ(r.first, 200) << json::Serialize(r.second);
    return r.second.Find("KeyMetadata")->StringField("KeyId").value_or("");
  }

  std::unique_ptr<KeyStore> store_;
  std::unique_ptr<KmsService> service_;
  EVP_PKEY* rsa_ = nullptr;
  std::vector<uint8_t> spki_;
  std::string log_;
};

TEST_F(ServiceTest, RoutingErrors) {
  HttpRequestMessage r;
  r.method = "GET";
  r.path = "/";
  EXPECT_THAT(service_->Handle(r).body, HasSubstr("UnknownOperationException"));
  r.method = "POST";
  r.headers = {{"X-Amz-Target", "TrentService.ListKeys"}};
  EXPECT_THAT(service_->Handle(r).body, HasSubstr("SerializationException"));
  r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  r.body = "{}";
  EXPECT_EQ(service_->Handle(r).status, 200);
  EXPECT_EQ(ErrorType(Call("Sign", "{}")), "UnknownOperationException");
  EXPECT_EQ(ErrorType(Call("ListKeys", "{\"Limit\":")),
            "SerializationException");
}

TEST_F(ServiceTest, KeyResolutionAndOperationErrors) {
  const std::string id = CreateKey();
  EXPECT_EQ(ErrorType(Call("DescribeKey", R"({"KeyId":"not-a-key"})")),
            "NotFoundException");
  EXPECT_EQ(
      ErrorType(Call(
          "DescribeKey",
          absl::StrCat(R"({"KeyId":"arn:aws:kms:us-east-1:999999999999:key/)",
                       id, "\"}"))),
      "NotFoundException");
  EXPECT_EQ(ErrorType(Call("DescribeKey",
                           absl::StrCat(R"({"KeyId":"arn:aws:kms:us-east-1:)",
                                        R"(111122223333:bucket/)", id, "\"}"))),
            "InvalidArnException");
  EXPECT_EQ(ErrorType(Call("CreateAlias",
                           absl::StrCat(R"({"AliasName":"alias/aws/x",)",
                                        R"("TargetKeyId":")", id, "\"}"))),
            "NotAuthorizedException");
  ASSERT_EQ(
      Call("CreateAlias",
           absl::StrCat(R"({"AliasName":"alias/a","TargetKeyId":")", id, "\"}"))
          .first,
      200);
  EXPECT_EQ(
      ErrorType(Call("CreateAlias",
                     R"({"AliasName":"alias/b","TargetKeyId":"alias/a"})")),
      "ValidationException");
  EXPECT_EQ(
      ErrorType(Call("GetKeyPolicy", absl::StrCat(R"({"KeyId":")", id,
                                                  R"(","PolicyName":"x"})"))),
      "NotFoundException");
  EXPECT_EQ(ErrorType(Call("CreateKey", R"({"KeyUsage":"SIGN_VERIFY"})")),
            "UnsupportedOperationException");
  EXPECT_EQ(ErrorType(Call("CreateKey", R"({"Policy":"{\"Statement\":[]}"})")),
            "MalformedPolicyDocumentException");

  // Lockout safety check: only for caller-supplied policies.
  const std::string stranger = "arn:aws:iam::999999999999:role/x";
  EXPECT_EQ(Call("CreateKey", "{}", stranger).first, 200);
  const std::string admin_only =
      R"({"Policy":"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":)"
      R"({\"AWS\":\"arn:aws:iam::111122223333:role/admin\"},\"Action\":\"kms:*\"}}")";
  EXPECT_EQ(ErrorType(Call("CreateKey", admin_only + "}")),
            "MalformedPolicyDocumentException");
  EXPECT_EQ(Call("CreateKey",
                 admin_only + R"(,"BypassPolicyLockoutSafetyCheck":true})")
                .first,
            200);

  // A blob naming a key that does not exist.
  auto enc = Call("Encrypt", absl::StrCat(R"({"KeyId":")", id,
                                          R"(","Plaintext":"c2VjcmV0"})"));
  ASSERT_EQ(enc.first, 200);
  auto blob = Base64Decode(*enc.second.StringField("CiphertextBlob"));
  ASSERT_TRUE(blob.ok());
  std::string forged = *blob;
  forged[2] = forged[2] == 'a' ? 'b' : 'a';  // first key id character
  EXPECT_EQ(
      ErrorType(Call("Decrypt", absl::StrCat(R"({"CiphertextBlob":")",
                                             Base64Encode(forged), "\"}"))),
      "InvalidCiphertextException");
  EXPECT_EQ(ErrorType(Call("Decrypt", R"({"CiphertextBlob":"AQID"})")),
            "InvalidCiphertextException");
  // Logs: one JSON line per request, no plaintext.
  EXPECT_THAT(log_, HasSubstr("\"operation\":\"Decrypt\""));
  EXPECT_EQ(log_.find("c2VjcmV0"), std::string::npos);
}

std::string Open(EVP_PKEY* key, const std::string& b64) {
  auto der = Base64Decode(b64);
  if (!der.ok()) return "<bad base64>";
  BIO* in = BIO_new_mem_buf(der->data(), static_cast<int>(der->size()));
  CMS_ContentInfo* cms = d2i_CMS_bio(in, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  std::string result = "<cannot open>";
  if (cms != nullptr &&
      CMS_decrypt(cms, key, nullptr, nullptr, out, CMS_BINARY) == 1) {
    char* p;
    const long n = BIO_get_mem_data(out, &p);
    result.assign(p, n);
  }
  CMS_ContentInfo_free(cms);
  BIO_free(in);
  BIO_free(out);
  return result;
}

TEST_F(ServiceTest, RecipientPcrsAreConditionKeys) {
  const std::string pcr0 = std::string(96, 'a');
  const std::string policy = absl::StrCat(
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*",)",
      R"("Condition":{"StringEqualsIgnoreCase":{)",
      R"("kms:RecipientAttestation:ImageSha384":")", pcr0,
      R"(","kms:RecipientAttestation:PCR1":")", std::string(96, '1'),
      R"("}}}, {"Effect":"Allow","Principal":"*","Action":["kms:Encrypt","kms:PutKeyPolicy"]}]})");
  json::Value create;
  create.Set("Policy", json::Value::String(policy));
  const std::string id = CreateKey(
      json::Serialize(create).substr(1, json::Serialize(create).size() - 2));
  auto enc = Call("Encrypt", absl::StrCat(R"({"KeyId":")", id,
                                          R"(","Plaintext":"c2VjcmV0"})"));
  ASSERT_EQ(enc.first, 200);
  const std::string blob = *enc.second.StringField("CiphertextBlob");
  const auto decrypt = [&](const std::string& doc) {
    return Call("Decrypt",
                absl::StrCat(R"({"CiphertextBlob":")", blob,
                             R"(","Recipient":{"AttestationDocument":")",
                             Base64Encode(doc), "\"}}"));
  };
  auto good = decrypt("good");
  ASSERT_EQ(good.first, 200) << json::Serialize(good.second);
  EXPECT_EQ(good.second.Find("Plaintext"), nullptr);
  EXPECT_EQ(Open(rsa_, *good.second.StringField("CiphertextForRecipient")),
            "secret");
  EXPECT_EQ(ErrorType(decrypt("debug")), "AccessDeniedException");
  auto bad = decrypt("bad");
  EXPECT_EQ(ErrorType(bad), "AccessDeniedException");
  EXPECT_THAT(*bad.second.StringField("message"),
              HasSubstr("attestation document was rejected: bad signature"));
  EXPECT_EQ(ErrorType(Call("Decrypt", absl::StrCat(R"({"CiphertextBlob":")",
                                                   blob, "\"}"))),
            "AccessDeniedException");
  // GenerateRandom with a Recipient needs no key policy.
  auto rnd = Call("GenerateRandom",
                  absl::StrCat(R"({"NumberOfBytes":20,"Recipient":{)",
                               R"("AttestationDocument":")",
                               Base64Encode("debug"), "\"}}"));
  ASSERT_EQ(rnd.first, 200);
  EXPECT_EQ(
      Open(rsa_, *rnd.second.StringField("CiphertextForRecipient")).size(),
      20u);
}

}  // namespace
}  // namespace nitro_tss::kms_local
