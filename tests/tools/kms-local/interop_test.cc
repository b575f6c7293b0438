// Drives the real tss-kms-local binary with independent KMS clients: boto3
// (python3, botocore 1.43) and Debian's AWS CLI v2, plus raw SigV4 failure
// cases. The python drivers check every answer and exit non-zero on any
// deviation; the last test shows they do fail against a misbehaving server.
#include <gtest/gtest.h>

#include <string>

#include "tools/kms-local/http.h"
#include "tests/tools/kms-local/local_kms_process.h"

namespace nitro_tss::kms_local {
namespace {

using testing::LocalKmsProcess;
using testing::MissingBoto3;
using testing::RunPythonDriver;

#define SKIP_WITHOUT_BOTO3()                                 \
  if (std::string why = MissingBoto3(false); !why.empty()) { \
    GTEST_SKIP() << why;                                     \
  }

TEST(KmsLocalInterop, Boto3AllOperations) {
  SKIP_WITHOUT_BOTO3();
  auto server = LocalKmsProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::string out;
  EXPECT_EQ(RunPythonDriver("boto3_ops.py", (*server)->port(), "", &out), 0)
      << out << "\nserver log:\n"
      << (*server)->Log();
  EXPECT_EQ((*server)->Stop(), 0);
  // Logs are JSON lines and never contain the plaintexts or data keys.
  const std::string log = (*server)->Log();
  EXPECT_NE(log.find("\"event\":\"request\""), std::string::npos);
  // boto3_ops.py encrypts bytes(range(256)) * 4; base64 starts like this.
  EXPECT_EQ(log.find("AAECAwQFBgcICQoL"), std::string::npos);
  EXPECT_EQ(log.find("\"Plaintext\":"), std::string::npos);
}

TEST(KmsLocalInterop, SigV4FailuresHaveAwsErrorTypes) {
  SKIP_WITHOUT_BOTO3();
  auto server = LocalKmsProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::string out;
  EXPECT_EQ(RunPythonDriver("sigv4_negative.py", (*server)->port(), "", &out),
            0)
      << out << "\nserver log:\n"
      << (*server)->Log();
}

TEST(KmsLocalInterop, AwsCliAllOperations) {
  // The driver shares kms_test_common.py (which imports boto3) with the
  // boto3 drivers.
  SKIP_WITHOUT_BOTO3();
  auto server = LocalKmsProcess::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::string out;
  EXPECT_EQ(RunPythonDriver("awscli_ops.py", (*server)->port(), "", &out), 0)
      << out << "\nserver log:\n"
      << (*server)->Log();
}

TEST(KmsLocalInterop, DriversFailAgainstAMisbehavingServer) {
  SKIP_WITHOUT_BOTO3();
  // A server that answers every request with an empty JSON object.
  HttpServer fake(HttpServerOptions(), [](const HttpRequestMessage&) {
    HttpResponseMessage r;
    r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    r.body = "{}";
    return r;
  });
  ASSERT_TRUE(fake.Start().ok());
  std::string out;
  EXPECT_NE(RunPythonDriver("boto3_ops.py", fake.port(), "", &out), 0) << out;
  EXPECT_NE(RunPythonDriver("sigv4_negative.py", fake.port(), "", &out), 0)
      << out;
  fake.Shutdown();
}

TEST(KmsLocalBinary, HelpUsageAndStartupFailures) {
  const char* bin_dir = std::getenv("NITRO_TSS_BINARY_DIR");
  const std::string bin = std::string(bin_dir ? bin_dir : "build") +
                          "/tools/kms-local/tss-kms-local";
  const auto run = [&](const std::string& args) {
    const int s = std::system((bin + " " + args + " >/dev/null 2>&1").c_str());
    return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  };
  EXPECT_EQ(run("--help"), 0);
  EXPECT_EQ(run(""), 2);
  EXPECT_EQ(run("--bogus 1"), 2);
  EXPECT_EQ(run("--listen nope --db x --credentials y"), 2);
  // Issue 13 (common/cli.h on CLI11): --version, --output, value checks.
  EXPECT_EQ(run("--version"), 0);
  EXPECT_EQ(run("--listen 127.0.0.1:0 --db x --credentials y --output xml"), 2);
  EXPECT_EQ(run("--listen 127.0.0.1:0 --db x --credentials y "
                "--max-skew-seconds 0"),
            2);
  EXPECT_EQ(run("--listen 127.0.0.1:0 --db x --credentials y "
                "--max-skew-seconds abc"),
            2);
  // Missing master key / credentials file: startup failure.
  EXPECT_EQ(run("--listen 127.0.0.1:0 --db /tmp/x.db --credentials "
                "/nonexistent.json --master-key-file /nonexistent.key"),
            1);
  auto started = LocalKmsProcess::Start({"--attestation-root", "/nonexistent"});
  EXPECT_FALSE(started.ok());
}

}  // namespace
}  // namespace nitro_tss::kms_local
