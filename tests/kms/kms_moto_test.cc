// Interop: our KmsClient (SigV4, JSON 1.1, error mapping) against moto's
// independent KMS emulator (python3 moto 5.2.1, `python3 -m moto.server`),
// started on a free loopback port for this test and stopped at the end.
// moto ignores Recipient and key policies, so only the plain forms are
// exercised here; the attested path is tested against tss-kms-local.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "node/kms/kms_client.h"
#include "node/kms/recipient_key.h"
#include "node/kms/sealed_share.h"

extern char** environ;

namespace nitro_tss::kms {
namespace {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool PortAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

class MotoKmsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("python3 -c 'import moto.server' >/dev/null 2>&1") != 0) {
      skip_reason_ = "python3 with moto is not installed";
      return;
    }
    port_ = FreeLoopbackPort();
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {"python3",   "-m", "moto.server", "-H",
                                     "127.0.0.1", "-p", port};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    int rc =
        posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      skip_reason_ = "cannot spawn python3";
      pid_ = -1;
      return;
    }
    for (int i = 0; i < 300 && !PortAccepts(port_); ++i) usleep(100 * 1000);
    if (!PortAccepts(port_)) {
      startup_error_ = "moto_server did not start within 30 s";
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(startup_error_.empty()) << startup_error_;
    KmsClientConfig config;
    config.region = "us-east-1";
    config.endpoint = absl::StrCat("http://127.0.0.1:", port_);
    absl::StatusOr<std::unique_ptr<KmsClient>> c = KmsClient::Create(
        config, AwsCredentials("AKIDMOTOTEST", "moto-secret", "moto-token"));
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }
  std::string CreateKey() {
    json::Value body = json::Value::MakeObject();
    body.Set("Description", json::Value::String("nitro-tss interop"));
    body.Set("KeyUsage", json::Value::String("ENCRYPT_DECRYPT"));
    absl::StatusOr<json::Value> r = client_->Call("CreateKey", body);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return "";
    const json::Value* meta = r->Find("KeyMetadata");
    EXPECT_NE(meta, nullptr);
    return meta ? *meta->StringField("KeyId") : "";
  }
  static std::string skip_reason_;
  static std::string startup_error_;
  static pid_t pid_;
  static int port_;
  std::unique_ptr<KmsClient> client_;
};
std::string MotoKmsTest::skip_reason_;
std::string MotoKmsTest::startup_error_;
pid_t MotoKmsTest::pid_ = -1;
int MotoKmsTest::port_ = 0;

TEST_F(MotoKmsTest, CreateAndDescribeKey) {
  std::string key_id = CreateKey();
  ASSERT_FALSE(key_id.empty());
  absl::StatusOr<DescribeKeyResponse> d = client_->DescribeKey({key_id});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->key_id, key_id);
  EXPECT_TRUE(d->enabled);
  EXPECT_EQ(d->key_state, "Enabled");
  EXPECT_EQ(d->key_usage, "ENCRYPT_DECRYPT");
  EXPECT_TRUE(absl::StrContains(d->arn, key_id)) << d->arn;
}

TEST_F(MotoKmsTest, EncryptDecryptRoundTripWithContext) {
  std::string key_id = CreateKey();
  EncryptRequest er;
  er.key_id = key_id;
  er.plaintext = {'s', 'e', 'c', 'r', 'e', 't', 0, 0xff};
  er.encryption_context = {{"purpose", "test"}};
  absl::StatusOr<EncryptResponse> e = client_->Encrypt(er);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FALSE(e->ciphertext_blob.empty());
  DecryptRequest dr;
  dr.ciphertext_blob = e->ciphertext_blob;
  dr.encryption_context = er.encryption_context;
  absl::StatusOr<DecryptResponse> d = client_->Decrypt(dr);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(std::vector<uint8_t>(d->plaintext.data(),
                                 d->plaintext.data() + d->plaintext.size()),
            er.plaintext);
  EXPECT_TRUE(absl::StrContains(d->key_id, key_id));
  // A different EncryptionContext does not decrypt.
  dr.encryption_context = {{"purpose", "other"}};
  absl::Status s = client_->Decrypt(dr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST_F(MotoKmsTest, GenerateDataKeyAndDecryptIt) {
  std::string key_id = CreateKey();
  GenerateDataKeyRequest g;
  g.key_id = key_id;
  absl::StatusOr<GenerateDataKeyResponse> r = client_->GenerateDataKey(g);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->plaintext.size(), 32u);
  DecryptRequest dr;
  dr.ciphertext_blob = r->ciphertext_blob;
  absl::StatusOr<DecryptResponse> d = client_->Decrypt(dr);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(
      std::vector<uint8_t>(d->plaintext.data(), d->plaintext.data() + 32),
      std::vector<uint8_t>(r->plaintext.data(), r->plaintext.data() + 32));
  g.key_spec = "";
  g.number_of_bytes = 64;
  r = client_->GenerateDataKey(g);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->plaintext.size(), 64u);
}

TEST_F(MotoKmsTest, GenerateRandom) {
  absl::StatusOr<GenerateRandomResponse> a = client_->GenerateRandom({64, {}});
  absl::StatusOr<GenerateRandomResponse> b = client_->GenerateRandom({64, {}});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->plaintext.size(), 64u);
  EXPECT_NE(
      std::vector<uint8_t>(a->plaintext.data(), a->plaintext.data() + 64),
      std::vector<uint8_t>(b->plaintext.data(), b->plaintext.data() + 64));
}

TEST_F(MotoKmsTest, DecryptOfGarbageIsInvalidCiphertext) {
  std::string key_id = CreateKey();
  absl::StatusOr<EncryptResponse> e =
      client_->Encrypt({key_id, {1, 2, 3, 4}, {}});
  ASSERT_TRUE(e.ok()) << e.status();
  std::vector<uint8_t> tampered = e->ciphertext_blob;
  tampered.back() ^= 1;
  const std::vector<std::vector<uint8_t>> garbage = {
      std::vector<uint8_t>(10, 0x41),   // too short for any header
      std::vector<uint8_t>(200, 0xff),  // not a ciphertext at all
      tampered,                         // authentic blob, one bit flipped
  };
  for (const std::vector<uint8_t>& g : garbage) {
    DecryptRequest dr;
    dr.ciphertext_blob = g;
    absl::Status s = client_->Decrypt(dr).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "InvalidCiphertextException"))
        << s;
  }
}

TEST_F(MotoKmsTest, UnknownKeyIsNotFound) {
  const std::string unknown = "11111111-2222-3333-4444-555555555555";
  absl::Status s = client_->DescribeKey({unknown}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "NotFoundException")) << s;
  s = client_->Encrypt({unknown, {1, 2, 3}, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

// moto ignores the Recipient parameter and answers with a plaintext data key
// (as a KMS or proxy that is not enforcing attestation would): SealShare
// and its KmsClient refuse that answer (issue 12, finding 3), so a share is
// never sealed under a data key the parent could read.
TEST_F(MotoKmsTest, SealShareRefusesMotosPlaintextAnswer) {
  ShareContext ctx;
  ctx.kms_key_id = CreateKey();
  ctx.party_id = 2;
  ctx.epoch = 1;
  ctx.group_public_key.assign(33, 0x03);
  std::vector<uint8_t> share(32, 0x5c);
  absl::StatusOr<RecipientKey> key = RecipientKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status();
  AttestedRecipient recipient{&*key, *key->PublicKeyDer()};
  std::unique_ptr<mpc::round::PartyIdentityKey> identity =
      *mpc::round::PartyIdentityKey::Generate();
  absl::StatusOr<std::vector<uint8_t>> env =
      SealShare(*client_, ctx, *identity, share, recipient);
  // KmsClient itself already refuses a Recipient answer without
  // CiphertextForRecipient; SealShare would refuse it too
  // (sealed_share_test).
  EXPECT_FALSE(env.ok());
  EXPECT_TRUE(
      absl::StrContains(env.status().message(), "CiphertextForRecipient"))
      << env.status();
}

}  // namespace
}  // namespace nitro_tss::kms
