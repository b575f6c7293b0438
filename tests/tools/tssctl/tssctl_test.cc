// Runs the tssctl binary on the real documents and checks exit codes and
// JSON output.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "node/attestation/dev_ca.h"
#include "common/json.h"
#include "tests/attestation/test_util.h"

namespace nitro_tss::attestation {
namespace {

constexpr char kPcr0[] =
    "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a2"
    "7aa94ae3949dd54e7c9fe86a";

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string TssctlPath() {
  const char* dir = std::getenv("NITRO_TSS_BINARY_DIR");
  return absl::StrCat(dir ? dir : "build", "/tools/tssctl/tssctl");
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

CliRun Tssctl(const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const auto& a : args) quoted.push_back(Quote(a));
  const std::string err_path =
      absl::StrCat(::testing::TempDir(), "/tssctl_err_", ::getpid());
  const std::string cmd =
      absl::StrCat(Quote(TssctlPath()), " ", absl::StrJoin(quoted, " "), " 2>",
                   Quote(err_path));
  CliRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0)
    run.out.append(buf, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  run.err.assign(std::istreambuf_iterator<char>(err),
                 std::istreambuf_iterator<char>());
  std::remove(err_path.c_str());
  return run;
}

json::Value ParseJson(const CliRun& run) {
  auto v = json::Parse(run.out);
  EXPECT_TRUE(v.ok()) << v.status() << "\n" << run.out;
  return v.ok() ? *v : json::Value();
}

std::string At(int64_t ms) { return absl::StrCat(ms); }

TEST(TssctlTest, ProductionDocumentValid) {
  CliRun run =
      Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
              "--at", At(testing::kProdTimestampMs), "--pcr",
              absl::StrCat("0=", kPcr0), "--nonce", std::string(2048, '0')});
  // The document's nonce is 1024 x 0x01, not zeros: invalid.
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(ParseJson(run).Find("error")->Find("code")->AsString(),
            "NONCE_MISMATCH");

  std::string nonce;
  for (int i = 0; i < 1024; ++i) nonce += "01";
  run = Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
                "--at", At(testing::kProdTimestampMs), "--pcr",
                absl::StrCat("0=", kPcr0), "--nonce", nonce, "--max-age-ms",
                "1000"});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  json::Value v = ParseJson(run);
  EXPECT_EQ(v.Find("verdict")->AsString(), "valid");
  EXPECT_TRUE(v.Find("error")->is_null());
  const json::Value* doc = v.Find("document");
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->Find("module_id")->AsString(),
            "i-0a22e5c5f24d22174-enc0191cceb4289903f");
  EXPECT_EQ(doc->Find("digest")->AsString(), "SHA384");
  EXPECT_EQ(doc->Find("timestamp_ms")->AsInt(), testing::kProdTimestampMs);
  EXPECT_EQ(doc->Find("timestamp")->AsString(), "2024-09-07T14:37:39.545Z");
  EXPECT_EQ(doc->Find("pcrs")->AsObject().size(), 16u);
  EXPECT_EQ(doc->Find("pcrs")->Find("0")->AsString(), kPcr0);
  EXPECT_EQ(doc->Find("cabundle")->AsArray().size(), 4u);
  EXPECT_EQ(doc->Find("cabundle")->AsArray()[0].Find("sha256")->AsString(),
            "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b");
  EXPECT_EQ(doc->Find("certificate")->Find("not_after")->AsString(),
            "2024-09-07T17:37:39Z");
  EXPECT_EQ(doc->Find("nonce")->AsString(), nonce);
  EXPECT_EQ(v.Find("verification")->Find("root_sha256")->AsString(),
            "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b");
}

TEST(TssctlTest, DebugDocumentNeedsAllowDebug) {
  CliRun run =
      Tssctl({"attestation", "verify", "--document", testing::kDebugDocPath,
              "--at", At(testing::kDebugTimestampMs), "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 1);
  json::Value v = ParseJson(run);
  EXPECT_EQ(v.Find("verdict")->AsString(), "invalid");
  EXPECT_EQ(v.Find("error")->Find("code")->AsString(), "DEBUG_MODE");
  // The (unverified) content is still shown.
  EXPECT_EQ(v.Find("document")->Find("module_id")->AsString(),
            "i-0a22e5c5f24d22174-enc0191ccebaf8feaba");
  run = Tssctl({"attestation", "verify", "--document", testing::kDebugDocPath,
                "--at", At(testing::kDebugTimestampMs), "--allow-debug",
                "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseJson(run).Find("verdict")->AsString(), "valid");
}

TEST(TssctlTest, FailuresExitOne) {
  // Expired (1 s after the leaf's notAfter).
  CliRun run =
      Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
              "--at", At(1725730659000 + 1000), "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(ParseJson(run).Find("error")->Find("code")->AsString(),
            "CERTIFICATE_EXPIRED");
  // Wrong PCR.
  run = Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
                "--at", At(testing::kProdTimestampMs), "--pcr",
                absl::StrCat("1=", kPcr0), "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 1);
  json::Value v = ParseJson(run);
  EXPECT_EQ(v.Find("error")->Find("code")->AsString(), "PCR_MISMATCH");
  EXPECT_EQ(v.Find("error")->Find("message")->AsString(),
            "attestation: PCR1 mismatch");
  // Another pinned root (a development CA).
  auto ca = DevCa::Generate(testing::kProdTimestampMs);
  ASSERT_TRUE(ca.ok());
  const std::string root_path =
      absl::StrCat(::testing::TempDir(), "/dev_root_", ::getpid(), ".pem");
  std::ofstream(root_path) << ca->RootPem();
  run = Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
                "--at", At(testing::kProdTimestampMs), "--root", root_path,
                "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(ParseJson(run).Find("error")->Find("code")->AsString(),
            "UNTRUSTED_ROOT");
  std::remove(root_path.c_str());
  // The AWS root given explicitly works like the built-in one.
  run = Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
                "--at", At(testing::kProdTimestampMs), "--root",
                testing::kRootPemPath, "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // A corrupted document: parse failure, document null.
  const std::string bad_path =
      absl::StrCat(::testing::TempDir(), "/bad_doc_", ::getpid());
  std::ofstream(bad_path) << "not cbor";
  run = Tssctl(
      {"attestation", "verify", "--document", bad_path, "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 1);
  v = ParseJson(run);
  EXPECT_TRUE(v.Find("document")->is_null());
  EXPECT_EQ(v.Find("error")->Find("code")->AsString(), "MALFORMED");
  std::remove(bad_path.c_str());
}

TEST(TssctlTest, DevCaSimulateVerifyRoundTrip) {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/tssctl_devca_", ::getpid());
  CliRun run = Tssctl({"attestation", "dev-ca", "--out", dir});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string root = ParseJson(run).Find("root_certificate")->AsString();
  const std::string doc = dir + "/doc.cbor";
  const std::string pcr0(96, 'c');
  run = Tssctl({"attestation", "simulate", "--ca-dir", dir, "--out", doc,
                "--nonce", "a1b2", "--pcr0", pcr0, "--instance-id",
                "i-0fedcba9876543210"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json::Value sim = ParseJson(run);
  EXPECT_EQ(sim.Find("pcrs")->Find("0")->AsString(), pcr0);
  run = Tssctl({"attestation", "verify", "--document", doc, "--root", root,
                "--nonce", "a1b2", "--pcr", "0=" + pcr0, "--max-age-ms",
                "600000"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  json::Value v = ParseJson(run);
  EXPECT_EQ(v.Find("document")->Find("module_id")->AsString(),
            sim.Find("module_id")->AsString());
  // Not under the built-in AWS root.
  run = Tssctl(
      {"attestation", "verify", "--document", doc, "--pcr", "0=" + pcr0});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(ParseJson(run).Find("error")->Find("code")->AsString(),
            "UNTRUSTED_ROOT");
  // Debug-mode simulation is rejected without --allow-debug.
  run = Tssctl(
      {"attestation", "simulate", "--ca-dir", dir, "--out", doc, "--debug"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  run = Tssctl({"attestation", "verify", "--document", doc, "--root", root,
                "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(ParseJson(run).Find("error")->Find("code")->AsString(),
            "DEBUG_MODE");
  // Usage errors.
  EXPECT_EQ(Tssctl({"attestation", "simulate", "--ca-dir", dir}).exit_code, 2);
  EXPECT_EQ(Tssctl({"attestation", "simulate", "--ca-dir", "/nonexistent",
                    "--out", doc})
                .exit_code,
            2);
  EXPECT_EQ(Tssctl({"attestation", "dev-ca"}).exit_code, 2);
  EXPECT_EQ(Tssctl({"attestation", "dev-ca", "--help"}).exit_code, 0);
  std::filesystem::remove_all(dir);
}

// Issue 12, finding 5a: without an image PCR the policy would call any
// non-debug image valid; that needs an explicit --allow-any-image.
TEST(TssctlTest, VerifyWithoutAnImagePcrNeedsAllowAnyImage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"attestation", "verify", "--document", testing::kProdDocPath,
            "--at", At(testing::kProdTimestampMs)},
           {"attestation", "verify", "--document", testing::kProdDocPath,
            "--at", At(testing::kProdTimestampMs), "--pcr",
            absl::StrCat("1=", kPcr0), "--pcr", absl::StrCat("4=", kPcr0)}}) {
    CliRun run = Tssctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ");
    EXPECT_TRUE(run.out.empty());
    EXPECT_NE(run.err.find("pins no image"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("--allow-any-image"), std::string::npos) << run.err;
  }
  CliRun run =
      Tssctl({"attestation", "verify", "--document", testing::kProdDocPath,
              "--at", At(testing::kProdTimestampMs), "--allow-any-image"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(ParseJson(run).Find("verification")->Find("any_image")->AsBool());
}

TEST(TssctlTest, UsageErrorsExitTwoAndHelpExitsZero) {
  const std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"nosuchgroup"},
      {"attestation"},
      {"attestation", "nosuchcommand"},
      {"attestation", "verify"},
      {"attestation", "verify", "--document"},
      {"attestation", "verify", "--document", "/nonexistent/doc"},
      {"attestation", "verify", "--document", testing::kProdDocPath, "--bogus"},
      {"attestation", "verify", "--document", testing::kProdDocPath, "--pcr",
       "0=zz"},
      {"attestation", "verify", "--document", testing::kProdDocPath, "--pcr",
       "40=00"},
      {"attestation", "verify", "--document", testing::kProdDocPath, "--at",
       "yesterday"},
      {"attestation", "verify", "--document", testing::kProdDocPath, "--nonce",
       "abc"},
      {"attestation", "verify", "--document", testing::kProdDocPath,
       "--allow-debug=yes"},
      {"attestation", "verify", "--document", testing::kProdDocPath, "--root",
       testing::kProdDocPath},
  };
  for (const auto& args : usage_errors) {
    CliRun run = Tssctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ");
    EXPECT_TRUE(run.out.empty()) << absl::StrJoin(args, " ");
    EXPECT_FALSE(run.err.empty()) << absl::StrJoin(args, " ");
  }
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"--help"},
           {"attestation", "--help"},
           {"attestation", "verify", "--help"}}) {
    CliRun run = Tssctl(args);
    EXPECT_EQ(run.exit_code, 0) << absl::StrJoin(args, " ");
    EXPECT_NE(run.out.find("Usage: tssctl"), std::string::npos);
  }
}

// Issue 13: the CLI convention of common/cli.h on CLI11.
TEST(TssctlTest, VersionOutputFormatsAndErrorsNamingTheFlag) {
  CliRun version = Tssctl({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("tssctl "), std::string::npos) << version.out;

  const std::vector<std::string> verify = {
      "attestation",         "verify", "--document",
      testing::kProdDocPath, "--at",   At(testing::kProdTimestampMs),
      "--allow-any-image"};
  std::vector<std::string> text = verify;
  text.insert(text.end(), {"--output", "text"});
  CliRun run = Tssctl(text);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("verdict: valid\n"), std::string::npos) << run.out;
  std::vector<std::string> as_json = verify;
  as_json.insert(as_json.end(), {"--output", "json"});
  run = Tssctl(as_json);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ParseJson(run).Find("verdict")->AsString(), "valid");

  std::vector<std::string> bad = verify;
  bad.insert(bad.end(), {"--output", "xml"});
  run = Tssctl(bad);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--output"), std::string::npos) << run.err;

  for (const auto& [args, named] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"nosuchgroup"}, "nosuchgroup"},
           {{"attestation", "nosuchcommand"}, "nosuchcommand"},
           {{"attestation", "verify"}, "--document"},
           {{"attestation", "verify", "--document", testing::kProdDocPath,
             "--bogus"},
            "--bogus"},
           {{"attestation", "verify", "--document", testing::kProdDocPath,
             "--at", "yesterday"},
            "--at"},
           {{"attestation", "verify", "--document", "/nonexistent/doc",
             "--allow-any-image"},
            "--document"}}) {
    run = Tssctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ");
    EXPECT_NE(run.err.find(named), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace nitro_tss::attestation
