// End to end, attested: our KmsClient + SealShare/UnsealShare + ShareStore
// against the real tss-kms-local binary, with simulated-NSM attestation
// documents (tss-kms-local-testdocs) whose public_key is the recipient key.
// The key policy only lets the parent role decrypt/generate data keys for a
// Recipient whose PCR0 matches the good image.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "node/kms/cms.h"
#include "node/kms/kms_client.h"
#include "node/kms/recipient_key.h"
#include "node/kms/sealed_share.h"
#include "node/store/share_store.h"
#include "tests/tools/kms-local/local_kms_process.h"

namespace nitro_tss::kms {
namespace {

using kms_local::testing::AwsPrincipal;
using kms_local::testing::LocalKmsProcess;
using kms_local::testing::PolicyActions;
using kms_local::testing::PolicyCondition;
using kms_local::testing::PolicyStatement;

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

json::Value Str(const std::string& s) { return json::Value::String(s); }

class AttestedE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kms-client-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const char* bin_dir = std::getenv("NITRO_TSS_BINARY_DIR");
    const std::string tool = std::string(bin_dir ? bin_dir : "build") +
                             "/tests/tools/kms-local/tss-kms-local-testdocs";
    ASSERT_EQ(std::system((tool + " --out " + dir_ + " >/dev/null").c_str()),
              0);
    absl::StatusOr<std::unique_ptr<LocalKmsProcess>> server =
        LocalKmsProcess::Start({"--attestation-root", dir_ + "/root.pem"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    FILE* f = std::fopen((dir_ + "/recipient.key.pem").c_str(), "r");
    ASSERT_NE(f, nullptr);
    EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    absl::StatusOr<RecipientKey> key = RecipientKey::FromPkey(pkey);
    EVP_PKEY_free(pkey);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<RecipientKey>(*std::move(key));

    admin_ = Client("AKIDADMIN", "admin-secret");
    parent_ = Client("AKIDPARENT", "parent-secret");

    // The enclave-only key policy (as terraform would install it).
    const std::string pcr0 = ReadText(dir_ + "/pcr0.hex");
    const std::string parent_arn = "arn:aws:iam::111122223333:role/parent";
    json::Value statements = json::Value::MakeArray();
    statements.Append(PolicyStatement(
        "Admin", "Allow", AwsPrincipal("arn:aws:iam::111122223333:role/admin"),
        PolicyActions({"kms:*"})));
    statements.Append(PolicyStatement(
        "EnclaveUnseal", "Allow", AwsPrincipal(parent_arn),
        PolicyActions({"kms:Decrypt", "kms:GenerateDataKey"}),
        PolicyCondition("StringEqualsIgnoreCase",
                        "kms:RecipientAttestation:ImageSha384", pcr0)));
    statements.Append(PolicyStatement(
        "DenyUnattested", "Deny", Str("*"),
        PolicyActions({"kms:Decrypt", "kms:GenerateDataKey"}),
        PolicyCondition("StringNotEqualsIgnoreCase",
                        "kms:RecipientAttestation:PCR0", pcr0)));
    json::Value policy = json::Value::MakeObject();
    policy.Set("Version", Str("2012-10-17"));
    policy.Set("Statement", std::move(statements));
    json::Value body = json::Value::MakeObject();
    body.Set("Description", Str("nitro-tss share sealing key"));
    body.Set("Policy", Str(json::Serialize(policy)));
    absl::StatusOr<json::Value> created = admin_->Call("CreateKey", body);
    ASSERT_TRUE(created.ok()) << created.status();
    key_id_ = *created->Find("KeyMetadata")->StringField("KeyId");

    ctx_.kms_key_id = key_id_;
    ctx_.party_id = 1;
    ctx_.epoch = 1;
    ctx_.group_public_key.assign(33, 0x02);
    good_ = AttestedRecipient{key_.get(), ReadBytes(dir_ + "/good.cbor")};
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<KmsClient> Client(const std::string& akid,
                                    const std::string& secret,
                                    const std::string& token = "") {
    KmsClientConfig config;
    config.region = "us-east-1";
    config.endpoint = absl::StrCat("http://127.0.0.1:", server_->port());
    config.retry.max_attempts = 1;
    absl::StatusOr<std::unique_ptr<KmsClient>> c =
        KmsClient::Create(config, AwsCredentials(akid, secret, token));
    EXPECT_TRUE(c.ok()) << c.status();
    return *std::move(c);
  }

  std::string dir_;
  std::unique_ptr<LocalKmsProcess> server_;
  std::unique_ptr<RecipientKey> key_;
  std::unique_ptr<KmsClient> admin_, parent_;
  std::string key_id_;
  UnsealExpectation Expect() const {
    return UnsealExpectation{ctx_.kms_key_id, ctx_.party_id,
                             ctx_.group_public_key, ctx_.epoch};
  }
  ShareContext ctx_;
  AttestedRecipient good_;
  std::unique_ptr<mpc::round::PartyIdentityKey> identity_ =
      *mpc::round::PartyIdentityKey::Generate();
};

TEST_F(AttestedE2eTest, SealStoreReloadUnseal) {
  const std::vector<uint8_t> share(32, 0x77);
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(*parent_, ctx_, *identity_, share, good_);
  ASSERT_TRUE(env.ok()) << env.status() << "\n" << server_->Log();

  // The parent persists the envelope, "restarts", reloads it.
  const std::string root = dir_ + "/store";
  {
    auto store = *store::ShareStore::Open(root, "group-1", ctx_.party_id);
    ASSERT_TRUE(store->Stage(ctx_.epoch, *env).ok());
    ASSERT_TRUE(store->Confirm(ctx_.epoch).ok());
  }
  auto store = *store::ShareStore::Open(root, "group-1", ctx_.party_id);
  absl::StatusOr<store::StoredShare> loaded = store->LoadCurrent();
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  absl::StatusOr<UnsealedShare> plain =
      UnsealShare(*parent_, Expect(), loaded->bytes, good_);
  ASSERT_TRUE(plain.ok()) << plain.status() << "\n" << server_->Log();
  EXPECT_EQ(std::vector<uint8_t>(plain->share.data(),
                                 plain->share.data() + plain->share.size()),
            share);
  EXPECT_EQ(plain->identity->public_key(), identity_->public_key());
}

TEST_F(AttestedE2eTest, PolicyDeniesWithoutGoodAttestation) {
  const std::vector<uint8_t> share(32, 0x11);
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(*parent_, ctx_, *identity_, share, good_);
  ASSERT_TRUE(env.ok()) << env.status();
  // The parent itself (no Recipient) cannot unwrap the data key (SealShare /
  // UnsealShare always send a Recipient, so ask KMS directly).
  DecryptRequest direct;
  direct.ciphertext_blob = DecodeSealedShare(*env)->wrapped_data_key;
  direct.key_id = ctx_.kms_key_id;
  direct.encryption_context = ShareEncryptionContext(ctx_);
  absl::Status s = parent_->Decrypt(direct).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "AccessDeniedException")) << s;
  // Nor can another image, a debug-mode enclave or a tampered document.
  for (const char* doc : {"wrong_image.cbor", "debug.cbor", "tampered.cbor"}) {
    AttestedRecipient bad{key_.get(), ReadBytes(dir_ + "/" + doc)};
    s = UnsealShare(*parent_, Expect(), *env, bad).status();
    EXPECT_FALSE(s.ok()) << doc;
    EXPECT_TRUE(s.code() == absl::StatusCode::kPermissionDenied ||
                s.code() == absl::StatusCode::kInvalidArgument)
        << doc << ": " << s;
  }
  // Sealing without attestation is refused as well.
  GenerateDataKeyRequest generate;
  generate.key_id = ctx_.kms_key_id;
  generate.key_spec = "AES_256";
  generate.encryption_context = ShareEncryptionContext(ctx_);
  EXPECT_EQ(parent_->GenerateDataKey(generate).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// tss-kms-local's refusals reach the caller as the AWS error type (payload)
// and a code that says "fail, do not retry"; only an unreachable KMS says
// "retry later".
TEST_F(AttestedE2eTest, ErrorsCarryTheAwsTypeAndTellRetryFromFail) {
  KmsClientConfig config;
  config.region = "us-east-1";
  config.endpoint = absl::StrCat("http://127.0.0.1:", server_->port());
  config.retry.max_attempts = 3;
  config.sleep = [](absl::Duration) {};
  std::unique_ptr<KmsClient> parent =
      *KmsClient::Create(config, AwsCredentials("AKIDPARENT", "parent-secret"));

  GenerateDataKeyRequest generate;
  generate.key_id = key_id_;
  generate.key_spec = "AES_256";
  generate.recipient = Recipient{good_.attestation_document};
  absl::StatusOr<GenerateDataKeyResponse> data_key =
      parent->GenerateDataKey(generate);
  ASSERT_TRUE(data_key.ok()) << data_key.status() << "\n" << server_->Log();
  int attempts = parent->attempts();

  auto expect_fail = [&](const absl::Status& s, absl::StatusCode code,
                         const char* type, const char* what) {
    EXPECT_EQ(s.code(), code) << what << ": " << s;
    EXPECT_EQ(AwsErrorTypeOf(s), type) << what << ": " << s;
    EXPECT_FALSE(IsRetryableKmsError(s)) << what << ": " << s;
    EXPECT_EQ(parent->attempts(), ++attempts) << what << " was retried";
  };

  // Denied by the attestation policy: another image's valid document.
  DecryptRequest decrypt;
  decrypt.ciphertext_blob = data_key->ciphertext_blob;
  decrypt.key_id = key_id_;
  decrypt.recipient = Recipient{ReadBytes(dir_ + "/wrong_image.cbor")};
  expect_fail(parent->Decrypt(decrypt).status(),
              absl::StatusCode::kPermissionDenied, "AccessDeniedException",
              "wrong image");
  // A document that fails verification.
  decrypt.recipient = Recipient{ReadBytes(dir_ + "/tampered.cbor")};
  absl::Status s = parent->Decrypt(decrypt).status();
  expect_fail(s, absl::StatusCode::kPermissionDenied, "AccessDeniedException",
              "tampered document");
  EXPECT_TRUE(absl::StrContains(s.message(), "attestation")) << s;
  // A bad ciphertext, for the good enclave.
  decrypt.recipient = Recipient{good_.attestation_document};
  decrypt.ciphertext_blob.back() ^= 0x01;
  expect_fail(parent->Decrypt(decrypt).status(), absl::StatusCode::kDataLoss,
              "InvalidCiphertextException", "flipped ciphertext bit");
  // The right ciphertext under another encryption context.
  decrypt.ciphertext_blob = data_key->ciphertext_blob;
  decrypt.encryption_context = {{"party", "2"}};
  expect_fail(parent->Decrypt(decrypt).status(), absl::StatusCode::kDataLoss,
              "InvalidCiphertextException", "wrong encryption context");
  // A wrong secret.
  parent->SetCredentials(AwsCredentials("AKIDPARENT", "not-the-secret"));
  expect_fail(parent->GenerateRandom({16, {}}).status(),
              absl::StatusCode::kUnauthenticated, "InvalidSignatureException",
              "wrong secret");

  // KMS gone: retried, then reported as retryable, without an AWS type.
  ASSERT_EQ(server_->Stop(), 0);
  s = parent->GenerateRandom({16, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_FALSE(AwsErrorTypeOf(s).has_value()) << s;
  EXPECT_TRUE(IsRetryableKmsError(s)) << s;
  EXPECT_EQ(parent->attempts(), attempts + 3);
}

TEST_F(AttestedE2eTest, GenerateRandomForRecipient) {
  GenerateRandomRequest r;
  r.number_of_bytes = 48;
  r.recipient = Recipient{good_.attestation_document};
  absl::StatusOr<GenerateRandomResponse> resp = parent_->GenerateRandom(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  absl::StatusOr<SecureBytes> bytes =
      OpenCiphertextForRecipient(resp->ciphertext_for_recipient, *key_);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 48u);
}

TEST_F(AttestedE2eTest, TemporaryCredentialsAreVerified) {
  auto temp = Client("ASIATEMP", "temp-secret", "temp-session-token");
  absl::StatusOr<GenerateRandomResponse> r = temp->GenerateRandom({16, {}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->plaintext.size(), 16u);
  auto bad_token = Client("ASIATEMP", "temp-secret", "wrong-token");
  absl::Status s = bad_token->GenerateRandom({16, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  auto bad_secret = Client("AKIDPARENT", "not-the-secret");
  s = bad_secret->GenerateRandom({16, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
}

}  // namespace
}  // namespace nitro_tss::kms
