// Attested Decrypt/GenerateDataKey/GenerateRandom through the real HTTP
// path: documents from the simulated NSM (tss-kms-local-testdocs), requests
// from boto3 (attested_ops.py), answers opened with the project's own CMS
// parser (node/kms/cms.h) and the recipient's private key.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "node/kms/cms.h"
#include "node/kms/recipient_key.h"
#include "tests/tools/kms-local/local_kms_process.h"

namespace nitro_tss::kms_local {
namespace {

using testing::LocalKmsProcess;
using testing::RunPythonDriver;

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

class AttestedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tss-kms-local-docs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const char* bin_dir = std::getenv("NITRO_TSS_BINARY_DIR");
    const std::string tool = std::string(bin_dir ? bin_dir : "build") +
                             "/tests/tools/kms-local/tss-kms-local-testdocs";
    ASSERT_EQ(std::system((tool + " --out " + dir_).c_str()), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  kms::RecipientKey LoadRecipientKey() {
    FILE* f = std::fopen((dir_ + "/recipient.key.pem").c_str(), "r");
    EXPECT_NE(f, nullptr);
    EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    auto key = kms::RecipientKey::FromPkey(pkey);
    EVP_PKEY_free(pkey);
    EXPECT_TRUE(key.ok()) << key.status();
    return std::move(*key);
  }

  std::vector<uint8_t> Open(const kms::RecipientKey& key,
                            const std::string& name) {
    auto plain =
        kms::OpenCiphertextForRecipient(ReadBytes(dir_ + "/" + name), key);
    EXPECT_TRUE(plain.ok()) << name << ": " << plain.status();
    if (!plain.ok()) return {};
    return std::vector<uint8_t>(plain->data(), plain->data() + plain->size());
  }

  std::string dir_;
};

TEST_F(AttestedTest, Boto3AttestedUnsealAndPolicyDenials) {
  if (std::string why = testing::MissingBoto3(true); !why.empty()) {
    GTEST_SKIP() << why;
  }
  auto server =
      LocalKmsProcess::Start({"--attestation-root", dir_ + "/root.pem"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::string out;
  ASSERT_EQ(RunPythonDriver("attested_ops.py", (*server)->port(),
                            "--docs " + dir_, &out),
            0)
      << out << "\nserver log:\n"
      << (*server)->Log();
  std::cout << out;

  const kms::RecipientKey key = LoadRecipientKey();
  // Decrypt: the CiphertextForRecipient opens to the encrypted secret.
  const std::vector<uint8_t> secret = Open(key, "cfr_decrypt.ber");
  EXPECT_EQ(secret, ReadBytes(dir_ + "/expected_decrypt.bin"));
  // GenerateDataKey: the data key delivered to the enclave equals what a
  // later attested Decrypt of its CiphertextBlob returns.
  const std::vector<uint8_t> data_key = Open(key, "cfr_gdk.ber");
  EXPECT_EQ(data_key.size(), 32u);
  EXPECT_EQ(data_key, Open(key, "cfr_gdk_decrypt.ber"));
  // GenerateRandom: 32 bytes.
  EXPECT_EQ(Open(key, "cfr_random.ber").size(), 32u);

  // Another key cannot open the answers.
  auto stranger = kms::RecipientKey::Generate();
  ASSERT_TRUE(stranger.ok());
  EXPECT_FALSE(kms::OpenCiphertextForRecipient(
                   ReadBytes(dir_ + "/cfr_decrypt.ber"), *stranger)
                   .ok());

  // The server says why the documents were refused.
  const std::string log = (*server)->Log();
  EXPECT_NE(log.find("Recipient attestation document was rejected"),
            std::string::npos);
  EXPECT_NE(log.find("with an explicit deny"), std::string::npos);
  EXPECT_EQ((*server)->Stop(), 0);
}

}  // namespace
}  // namespace nitro_tss::kms_local
