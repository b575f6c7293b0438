// Unit tests of tss-kms-local's building blocks: key store, ciphertext
// blobs, request parsing, CiphertextForRecipient and SigV4 authentication.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/aws/sigv4.h"
#include "tools/kms-local/auth.h"
#include "tools/kms-local/ciphertext_blob.h"
#include "tools/kms-local/errors.h"
#include "tools/kms-local/keystore.h"
#include "tools/kms-local/kms_request.h"
#include "tools/kms-local/recipient_cms.h"

namespace nitro_tss::kms_local {
namespace {

using ::testing::HasSubstr;

SecretBytes Key(uint8_t fill) {
  SecretBytes k(32);
  for (size_t i = 0; i < 32; ++i) k.data()[i] = fill;
  return k;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          absl::StrCat("kms_local_", getpid(), "_", name))
      .string();
}

KeyRecord MakeKey(const std::string& id, uint8_t fill) {
  KeyRecord k;
  k.key_id = id;
  k.arn = "arn:aws:kms:us-east-1:111122223333:key/" + id;
  k.creation_unix = 1700000000;
  k.description = "d";
  k.policy = "{}";
  k.material = Key(fill);
  return k;
}

// The local KMS's errors carry the same typed payload as the ones our KMS
// client reads off the wire (node/kms/kms_api.h).
TEST(AwsErrors, CarryTheSharedAwsErrorTypePayload) {
  EXPECT_EQ(kms::AwsErrorTypeOf(InvalidCiphertext("x")),
            "InvalidCiphertextException");
  EXPECT_EQ(kms::AwsErrorTypeOf(AccessDenied("x")), "AccessDeniedException");
  absl::Status s = AwsError(absl::StatusCode::kUnimplemented,
                            "UnknownOperationException", "m");
  EXPECT_EQ(kms::AwsErrorTypeOf(s), "UnknownOperationException");
  EXPECT_EQ(AwsErrorType(s), "UnknownOperationException");
  EXPECT_EQ(s.message(), "m");
  // Without a payload the type follows from the code.
  EXPECT_FALSE(kms::AwsErrorTypeOf(absl::NotFoundError("m")).has_value());
  EXPECT_EQ(AwsErrorType(absl::NotFoundError("m")), "NotFoundException");
  EXPECT_EQ(AwsErrorType(absl::InternalError("m")), "KMSInternalException");
  // A malformed type is never attached (the code decides instead).
  s = AwsError(absl::StatusCode::kPermissionDenied, "Access Denied", "m");
  EXPECT_FALSE(kms::AwsErrorTypeOf(s).has_value());
  EXPECT_EQ(AwsErrorType(s), "AccessDeniedException");
}

TEST(KeyStore, RoundTripPersistenceAndSealing) {
  const std::string path = TempPath("ks.db");
  std::filesystem::remove(path);
  {
    auto ks = KeyStore::Open(path, Key(7));
    ASSERT_TRUE(ks.ok()) << ks.status();
    ASSERT_TRUE((*ks)->CreateKey(MakeKey("k1", 0xAB)).ok());
    EXPECT_EQ((*ks)->CreateKey(MakeKey("k1", 0xAB)).code(),
              absl::StatusCode::kAlreadyExists);
    ASSERT_TRUE((*ks)->CreateAlias("alias/a", "k1").ok());
    EXPECT_EQ((*ks)->CreateAlias("alias/a", "k1").code(),
              absl::StatusCode::kAlreadyExists);
    ASSERT_TRUE((*ks)->UpdatePolicy("k1", "{\"p\":1}").ok());
    EXPECT_EQ((*ks)->UpdatePolicy("nope", "{}").code(),
              absl::StatusCode::kNotFound);
  }
  // The material never reaches the file in clear.
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file.find(std::string(32, '\xAB')), std::string::npos);
  {
    auto ks = KeyStore::Open(path, Key(7));
    ASSERT_TRUE(ks.ok());
    auto k = (*ks)->GetKey("k1");
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(
        std::string(reinterpret_cast<const char*>(k->material.data()), 32),
        std::string(32, '\xAB'));
    EXPECT_EQ(k->policy, "{\"p\":1}");
    EXPECT_EQ(*(*ks)->ResolveAlias("alias/a"), "k1");
    EXPECT_EQ((*ks)->ResolveAlias("alias/b").status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ((*ks)->GetKey("k2").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ((*ks)->ListKeyIds()->size(), 1u);
    EXPECT_EQ((*ks)->ListAliases()->size(), 1u);
  }
  {
    // Another master key cannot unseal.
    auto ks = KeyStore::Open(path, Key(8));
    ASSERT_TRUE(ks.ok());
    EXPECT_EQ((*ks)->GetKey("k1").status().code(), absl::StatusCode::kDataLoss);
  }
  std::filesystem::remove(path);
}

TEST(KeyStore, RejectsBadMasterKeyAndSchemaVersion) {
  EXPECT_EQ(KeyStore::Open(":memory:", SecretBytes(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string path = TempPath("ver.db");
  std::filesystem::remove(path);
  {
    auto ks = KeyStore::Open(path, Key(1));
    ASSERT_TRUE(ks.ok());
  }
  // Bump the schema version behind the store's back.
  ASSERT_EQ(
      std::system(("python3 -c \"import sqlite3;c=sqlite3.connect('" + path +
                   "');c.execute('PRAGMA user_version=9');"
                   "c.commit()\"")
                      .c_str()),
      0);
  auto ks = KeyStore::Open(path, Key(1));
  EXPECT_EQ(ks.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(ks.status().message()),
              HasSubstr("schema version 9"));
  std::filesystem::remove(path);
  const std::string raw = TempPath("mk.raw");
  std::ofstream(raw, std::ios::binary) << std::string(32, '\x05');
  auto k1 = ReadMasterKeyFile(raw);
  ASSERT_TRUE(k1.ok()) << k1.status();
  EXPECT_EQ(k1->data()[31], 5);
  std::ofstream(raw, std::ios::binary) << std::string(64, 'f') << "\n";
  EXPECT_TRUE(ReadMasterKeyFile(raw).ok());
  std::ofstream(raw, std::ios::binary) << "short";
  EXPECT_THAT(std::string(ReadMasterKeyFile(raw).status().message()),
              HasSubstr("expected 32 raw bytes or 64 hex"));
  std::filesystem::remove(raw);
  EXPECT_EQ(ReadMasterKeyFile(raw).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(ParseMasterKeyHex(std::string(64, 'a')).ok());
  EXPECT_FALSE(ParseMasterKeyHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(ParseMasterKeyHex(std::string(64, 'g')).ok());
}

TEST(CiphertextBlob, RoundTripAndEveryTamperingRejected) {
  const KeyRecord key = MakeKey("11111111-2222-4333-8444-555555555555", 3);
  const EncryptionContext ctx = {{"a", "1"}, {"b", "2"}};
  auto blob = SealBlob(key, "secret data", ctx);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(*BlobKeyId(*blob), key.key_id);
  auto plain = OpenBlob(key, *blob, ctx);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(plain->data()), plain->size()),
      "secret data");
  for (size_t i = 0; i < blob->size(); ++i) {
    std::string t = *blob;
    t[i] ^= 0x01;
    auto r = OpenBlob(key, t, ctx);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(AwsErrorType(r.status()), "InvalidCiphertextException") << i;
  }
  EXPECT_FALSE(OpenBlob(key, *blob, {{"a", "1"}}).ok());
  EXPECT_FALSE(OpenBlob(key, *blob, {{"a", "1"}, {"b", "3"}}).ok());
  EXPECT_FALSE(OpenBlob(key, *blob, {}).ok());
  KeyRecord other = MakeKey(key.key_id, 4);
  EXPECT_FALSE(OpenBlob(other, *blob, ctx).ok());
  EXPECT_FALSE(OpenBlob(key, blob->substr(0, blob->size() - 1), ctx).ok());
  EXPECT_FALSE(BlobKeyId("").ok());
  std::string bad_id = *blob;
  bad_id[2] = '\x07';  // key id must be printable ASCII
  EXPECT_EQ(AwsErrorType(BlobKeyId(bad_id).status()),
            "InvalidCiphertextException");
  EXPECT_FALSE(
      BlobKeyId(std::string(kMaxCiphertextBlobBytes + 1, '\x01')).ok());
  std::string zero_len = *blob;
  zero_len[1] = '\0';
  EXPECT_FALSE(BlobKeyId(zero_len).ok());
  EXPECT_FALSE(BlobKeyId(std::string("\x02\x01k", 3)).ok());
  EXPECT_FALSE(SealBlob(key, "", ctx).ok());
  EXPECT_FALSE(SealBlob(key, std::string(4097, 'x'), ctx).ok());
}

TEST(KmsRequest, ParsesOperationsStrictly) {
  auto op = ParseTarget("TrentService.Decrypt");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(*op, KmsOperation::kDecrypt);
  EXPECT_EQ(AwsErrorType(ParseTarget("TrentService.Sign").status()),
            "UnknownOperationException");
  EXPECT_EQ(AwsErrorType(ParseTarget("Other.Decrypt").status()),
            "UnknownOperationException");

  auto r = ParseKmsRequest(
      KmsOperation::kDecrypt,
      R"({"CiphertextBlob":"AQID","EncryptionContext":{"k":"v"},)"
      R"("Recipient":{"AttestationDocument":"aGk=","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->ciphertext_blob, std::string("\x01\x02\x03", 3));
  EXPECT_EQ(r->encryption_context.at("k"), "v");
  EXPECT_EQ(r->recipient->attestation_document, "hi");

  const auto expect = [](KmsOperation o, const std::string& body,
                         const std::string& type, const std::string& what) {
    auto p = ParseKmsRequest(o, body);
    ASSERT_FALSE(p.ok()) << body;
    EXPECT_EQ(AwsErrorType(p.status()), type) << body << " " << p.status();
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(what)) << body;
  };
  expect(KmsOperation::kDecrypt, "{", "SerializationException", "malformed");
  expect(KmsOperation::kDecrypt, "[]", "SerializationException", "JSON object");
  expect(KmsOperation::kDecrypt,
         R"({"CiphertextBlob":"AQID","CiphertextBlob":"AQID"})",
         "SerializationException", "duplicate");
  expect(KmsOperation::kDecrypt, R"({"Plaintext":"AQID"})",
         "SerializationException", "unknown member 'Plaintext'");
  expect(KmsOperation::kDecrypt, R"({"CiphertextBlob":1})",
         "SerializationException", "base64");
  expect(KmsOperation::kDecrypt, R"({"CiphertextBlob":"AQI"})",
         "SerializationException", "base64");
  expect(KmsOperation::kDecrypt, R"({"CiphertextBlob":"AQ ID"})",
         "SerializationException", "base64");
  expect(KmsOperation::kDecrypt, R"({"EncryptionContext":{"k":1}})",
         "SerializationException", "strings");
  expect(
      KmsOperation::kDecrypt,
      R"({"Recipient":{"AttestationDocument":"aGk=","KeyEncryptionAlgorithm":"RSAES_PKCS1"}})",
      "ValidationException", "RSAES_OAEP_SHA_256");
  expect(KmsOperation::kDecrypt,
         R"({"Recipient":{"KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}})",
         "ValidationException", "AttestationDocument is required");
  expect(KmsOperation::kDecrypt,
         R"({"Recipient":{"AttestationDocument":"aGk=","X":1}})",
         "SerializationException", "unknown member Recipient.X");
  expect(KmsOperation::kGenerateRandom, R"({"NumberOfBytes":0})",
         "ValidationException", "between 1 and 1024");
  expect(KmsOperation::kGenerateRandom, R"({"NumberOfBytes":1025})",
         "ValidationException", "between 1 and 1024");
  expect(KmsOperation::kGenerateRandom, R"({"NumberOfBytes":1.5})",
         "SerializationException", "integer");
  expect(KmsOperation::kEncrypt,
         absl::StrCat(R"({"KeyId":"k","Plaintext":")",
                      Base64Encode(std::string(4097, 'x')), "\"}"),
         "ValidationException", "between 1 and 4096");
  expect(KmsOperation::kEncrypt, R"({"KeyId":"","Plaintext":"AQ=="})",
         "ValidationException", "between 1 and 2048");
  expect(KmsOperation::kCreateKey,
         R"({"BypassPolicyLockoutSafetyCheck":"yes"})",
         "SerializationException", "boolean");
  expect(KmsOperation::kEncrypt,
         R"({"EncryptionAlgorithm":"RSAES_OAEP_SHA_1"})", "ValidationException",
         "SYMMETRIC_DEFAULT");
}

// An RSA key pair for recipient tests.
struct RsaPair {
  EVP_PKEY* key = nullptr;
  std::vector<uint8_t> spki;
  explicit RsaPair(int bits) {
    key = EVP_RSA_gen(bits);
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key, &der);
    spki.assign(der, der + len);
    OPENSSL_free(der);
  }
  ~RsaPair() { EVP_PKEY_free(key); }
};

TEST(RecipientCms, OpensWithTheRecipientKeyAndHasTheAwsShape) {
  RsaPair rsa(2048);
  const std::string secret = "the data key 0123456789abcdef!!";
  auto cms_bytes = BuildCiphertextForRecipient(
      rsa.spki,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()),
                          secret.size()));
  ASSERT_TRUE(cms_bytes.ok()) << cms_bytes.status();
  // BER with indefinite lengths, like AWS: 30 80 06 09 <envelopedData OID>.
  ASSERT_GT(cms_bytes->size(), 300u);
  EXPECT_EQ(static_cast<uint8_t>((*cms_bytes)[0]), 0x30);
  EXPECT_EQ(static_cast<uint8_t>((*cms_bytes)[1]), 0x80);
  // The 32-byte SubjectKeyIdentifier (SHA-256 of the SPKI) is the rid.
  const std::string ski = RecipientKeyIdentifier(rsa.spki);
  EXPECT_NE(cms_bytes->find(std::string("\x80\x20", 2) + ski),
            std::string::npos);
  // OpenSSL opens it with the private key.
  BIO* in = BIO_new_mem_buf(cms_bytes->data(), cms_bytes->size());
  CMS_ContentInfo* cms = d2i_CMS_bio(in, nullptr);
  ASSERT_NE(cms, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  ASSERT_EQ(CMS_decrypt(cms, rsa.key, nullptr, nullptr, out, CMS_BINARY), 1);
  char* data;
  const long len = BIO_get_mem_data(out, &data);
  EXPECT_EQ(std::string(data, len), secret);
  // RSAES-OAEP with SHA-256 and AES-256-CBC.
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  ASSERT_EQ(sk_CMS_RecipientInfo_num(ris), 1);
  X509_ALGOR* alg = nullptr;
  ASSERT_EQ(CMS_RecipientInfo_ktri_get0_algs(sk_CMS_RecipientInfo_value(ris, 0),
                                             nullptr, nullptr, &alg),
            1);
  EXPECT_EQ(OBJ_obj2nid(alg->algorithm), NID_rsaesOaep);
  BIO_free(in);
  BIO_free(out);
  CMS_ContentInfo_free(cms);

  // A different key cannot open it.
  RsaPair other(2048);
  in = BIO_new_mem_buf(cms_bytes->data(), cms_bytes->size());
  cms = d2i_CMS_bio(in, nullptr);
  out = BIO_new(BIO_s_mem());
  EXPECT_NE(CMS_decrypt(cms, other.key, nullptr, nullptr, out, CMS_BINARY), 1);
  BIO_free(in);
  BIO_free(out);
  CMS_ContentInfo_free(cms);
}

TEST(RecipientCms, RejectsUnsuitableKeys) {
  const uint8_t one = 1;
  RsaPair small(1024);
  EXPECT_THAT(std::string(BuildCiphertextForRecipient(small.spki, {&one, 1})
                              .status()
                              .message()),
              HasSubstr("1024 bits"));
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(ec, &der);
  std::vector<uint8_t> ec_spki(der, der + len);
  OPENSSL_free(der);
  EVP_PKEY_free(ec);
  EXPECT_THAT(
      std::string(
          BuildCiphertextForRecipient(ec_spki, {&one, 1}).status().message()),
      HasSubstr("not RSA"));
  RsaPair rsa(2048);
  std::vector<uint8_t> trailing = rsa.spki;
  trailing.push_back(0);
  EXPECT_FALSE(BuildCiphertextForRecipient(trailing, {&one, 1}).ok());
  EXPECT_FALSE(BuildCiphertextForRecipient({&one, 1}, {&one, 1}).ok());
  EXPECT_FALSE(BuildCiphertextForRecipient(rsa.spki, {}).ok());
}

// --- SigV4 authentication.

constexpr char kCredsJson[] = R"({"credentials":[
  {"access_key_id":"AKIDPARENT","secret_access_key":"parent-secret",
   "principal_arn":"arn:aws:iam::111122223333:role/parent"},
  {"access_key_id":"ASIATEMP","secret_access_key":"temp-secret",
   "session_token":"the-token","principal_arn":"arn:aws:iam::111122223333:role/enclave"}]})";

const absl::Time kNow = absl::FromUnixSeconds(1764000000);

HttpRequestMessage Signed(const std::string& akid, const std::string& secret,
                          const std::string& token, absl::Time when,
                          const std::string& region = "us-east-1") {
  kms::HttpRequest req;
  req.method = "POST";
  req.path = "/";
  req.headers = {{"Host", "127.0.0.1:4000"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "TrentService.ListKeys"}};
  req.body = "{}";
  kms::SigningParams params;
  params.credentials = kms::AwsCredentials(akid, secret, token);
  params.region = region;
  params.service = "kms";
  params.time = when;
  EXPECT_TRUE(kms::SignRequest(params, &req).ok());
  HttpRequestMessage http;
  http.method = req.method;
  http.path = req.path;
  http.target = "/";
  for (const auto& h : req.headers) http.headers.emplace_back(h.name, h.value);
  http.body = req.body;
  return http;
}

void SetHeader(HttpRequestMessage* m, const std::string& name,
               const std::string& value) {
  for (auto& h : m->headers) {
    if (h.first == name) h.second = value;
  }
}

TEST(SigV4Auth, AcceptsValidAndMapsEveryFailureToItsAwsType) {
  auto table = CredentialTable::Parse(kCredsJson);
  ASSERT_TRUE(table.ok()) << table.status();
  SigV4AuthOptions opts;
  opts.region = "us-east-1";
  opts.clock = [] { return kNow; };
  Authenticator auth = MakeSigV4Authenticator(
      std::make_shared<const CredentialTable>(std::move(*table)), opts);
  const auto type = [&](const HttpRequestMessage& m) {
    auto r = auth(m);
    return r.ok() ? std::string("OK") : AwsErrorType(r.status());
  };

  auto id = auth(Signed("AKIDPARENT", "parent-secret", "", kNow));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->principal_arn, "arn:aws:iam::111122223333:role/parent");
  auto tid = auth(Signed("ASIATEMP", "temp-secret", "the-token", kNow));
  ASSERT_TRUE(tid.ok()) << tid.status();
  EXPECT_EQ(tid->principal_arn, "arn:aws:iam::111122223333:role/enclave");

  EXPECT_EQ(type(Signed("AKIDPARENT", "wrong", "", kNow)),
            "InvalidSignatureException");
  EXPECT_EQ(
      type(Signed("AKIDPARENT", "parent-secret", "", kNow - absl::Minutes(6))),
      "InvalidSignatureException");
  EXPECT_EQ(
      type(Signed("AKIDPARENT", "parent-secret", "", kNow + absl::Minutes(6))),
      "InvalidSignatureException");
  EXPECT_EQ(type(Signed("AKIDPARENT", "parent-secret", "", kNow, "eu-west-1")),
            "InvalidSignatureException");
  EXPECT_EQ(type(Signed("AKIDNOBODY", "x", "", kNow)),
            "UnrecognizedClientException");
  EXPECT_EQ(type(Signed("ASIATEMP", "temp-secret", "", kNow)),
            "UnrecognizedClientException");
  EXPECT_EQ(type(Signed("ASIATEMP", "temp-secret", "other-token", kNow)),
            "UnrecognizedClientException");
  EXPECT_EQ(type(Signed("AKIDPARENT", "parent-secret", "unexpected", kNow)),
            "UnrecognizedClientException");

  HttpRequestMessage body = Signed("AKIDPARENT", "parent-secret", "", kNow);
  body.body = "{ }";
  EXPECT_EQ(type(body), "InvalidSignatureException");
  HttpRequestMessage header = Signed("AKIDPARENT", "parent-secret", "", kNow);
  SetHeader(&header, "X-Amz-Target", "TrentService.Decrypt");
  EXPECT_EQ(type(header), "InvalidSignatureException");
  HttpRequestMessage none = Signed("AKIDPARENT", "parent-secret", "", kNow);
  std::erase_if(none.headers,
                [](const auto& h) { return h.first == "Authorization"; });
  EXPECT_EQ(type(none), "MissingAuthenticationTokenException");
  // A session token sent but not signed.
  HttpRequestMessage unsigned_token =
      Signed("ASIATEMP", "temp-secret", "", kNow);
  unsigned_token.headers.emplace_back("X-Amz-Security-Token", "the-token");
  EXPECT_EQ(type(unsigned_token), "IncompleteSignatureException");
  // Scoped to another service.
  {
    kms::HttpRequest req;
    req.method = "POST";
    req.path = "/";
    req.headers = {{"Host", "127.0.0.1:4000"}};
    req.body = "{}";
    kms::SigningParams params;
    params.credentials = kms::AwsCredentials("AKIDPARENT", "parent-secret");
    params.region = "us-east-1";
    params.service = "s3";
    params.time = kNow;
    ASSERT_TRUE(kms::SignRequest(params, &req).ok());
    HttpRequestMessage m;
    m.method = "POST";
    m.path = "/";
    for (const auto& h : req.headers) m.headers.emplace_back(h.name, h.value);
    m.body = req.body;
    EXPECT_EQ(type(m), "InvalidSignatureException");
  }
  // No X-Amz-Date.
  HttpRequestMessage no_date = Signed("AKIDPARENT", "parent-secret", "", kNow);
  std::erase_if(no_date.headers,
                [](const auto& h) { return h.first == "X-Amz-Date"; });
  EXPECT_EQ(type(no_date), "IncompleteSignatureException");
  HttpRequestMessage garbled = Signed("AKIDPARENT", "parent-secret", "", kNow);
  SetHeader(&garbled, "Authorization", "AWS4-HMAC-SHA256 nonsense");
  EXPECT_EQ(type(garbled), "IncompleteSignatureException");
}

TEST(SigV4Auth, CredentialFileIsParsedStrictly) {
  EXPECT_FALSE(CredentialTable::Parse("{}").ok());
  EXPECT_FALSE(CredentialTable::Parse(R"({"credentials":[]})").ok());
  EXPECT_FALSE(
      CredentialTable::Parse(
          R"({"credentials":[{"access_key_id":"A","secret_access_key":"s"}]})")
          .ok());
  EXPECT_FALSE(
      CredentialTable::Parse(
          R"({"credentials":[{"access_key_id":"A","secret_access_key":"s","principal_arn":"bob"}]})")
          .ok());
  EXPECT_FALSE(
      CredentialTable::Parse(
          R"({"credentials":[{"access_key_id":"A","secret_access_key":"s","principal_arn":"arn:aws:iam::1:role/x","x":1}]})")
          .ok());
  EXPECT_FALSE(
      CredentialTable::Parse(
          R"({"credentials":[{"access_key_id":"A","secret_access_key":"s","principal_arn":"arn:aws:iam::1:role/x"},)"
          R"({"access_key_id":"A","secret_access_key":"t","principal_arn":"arn:aws:iam::1:role/y"}]})")
          .ok());
}

}  // namespace
}  // namespace nitro_tss::kms_local
