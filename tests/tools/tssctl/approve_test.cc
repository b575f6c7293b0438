// `tssctl approve` (tools/tssctl/approve_command.cc) and its library
// (tools/tssctl/approval_signer.h): approvals made by the real binary from
// openssl-generated key files are accepted by node/approval's
// CheckApprovals under the matching policy and refused for any other
// request, expired or replayed; their signatures verify with the openssl
// command line; their approval message equals the independent python
// encoding (tests/node/approval/approval_interop.py); every input is
// parsed strictly.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "node/approval/policy.h"
#include "node/approval/proto.h"
#include "node/approval/replay_cache.h"
#include "node/approval/request.h"
#include "node/approval/verifier.h"
#include "tests/tools/tssctl/tssctl_runner.h"
#include "tools/tssctl/approval_signer.h"

namespace nitro_tss::tssctl {
namespace {

using approval::ApprovalBundle;
using approval::ApprovalPolicy;
using approval::ApprovalRequest;
using approval::ApproverAlgorithm;
using testing::FromHex;
using testing::Hex;
using testing::JsonString;
using testing::OutJson;
using testing::ReadFile;
using testing::RunProgram;
using testing::RunResult;
using testing::ScratchDir;
using testing::Tssctl;
using testing::WriteFile;

const std::string kKeyId(64, 'a');
const std::string kDigest =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// PKCS#8 PEM of a fresh OpenSSL key ("ED25519", "ED448", "X25519", or an
// EC curve name, or "RSA").
std::string PrivatePem(const std::string& type) {
  EVP_PKEY* key = nullptr;
  if (type == "RSA") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  } else if (type == "ED25519" || type == "ED448" || type == "X25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, type.c_str());
  } else {
    key = EVP_EC_gen(type.c_str());
  }
  EXPECT_NE(key, nullptr) << type;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// ---- library ----

TEST(DerivationPathTest, Accepted) {
  struct Case {
    std::string text;
    std::vector<uint32_t> path;
  };
  for (const Case& c : std::vector<Case>{
           {"", {}},
           {"m", {}},
           {"m/0", {0}},
           {"0/1", {0, 1}},
           {"m/44'/60'/0'/0/7", {0x8000002c, 0x8000003c, 0x80000000, 0, 7}},
           {"m/1h", {0x80000001}},
           {"m/4294967295", {0xffffffff}},
           {"m/2147483647'", {0xffffffff}},
       }) {
    auto p = ParseDerivationPath(c.text);
    ASSERT_TRUE(p.ok()) << c.text << ": " << p.status();
    EXPECT_EQ(*p, c.path) << c.text;
    auto again = ParseDerivationPath(FormatDerivationPath(*p));
    ASSERT_TRUE(again.ok()) << FormatDerivationPath(*p);
    EXPECT_EQ(*again, c.path);
  }
  EXPECT_EQ(FormatDerivationPath({0x8000002c, 0, 5}), "m/44'/0/5");
  std::string deepest = "m";
  for (int i = 0; i < 32; ++i) deepest += "/1";
  EXPECT_TRUE(ParseDerivationPath(deepest).ok());
  EXPECT_FALSE(ParseDerivationPath(deepest + "/1").ok());
}

TEST(DerivationPathTest, Refused) {
  for (const std::string bad :
       {"m/",    "/",    "/1",           "m//1",          "m/1/",
        "m/01",  "m/+1", "m/-1",         "m/ 1",          "m/1 ",
        "M/1",   "mm/1", "m/4294967296", "m/99999999999", "m/2147483648'",
        "m/1''", "m/'",  "m/h",          "m/1H",          "m/a",
        "x",     "m1"}) {
    auto p = ParseDerivationPath(bad);
    EXPECT_FALSE(p.ok()) << "'" << bad << "'";
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(ApproverSigningKeyTest, Ed25519AndP256) {
  for (const auto& [type, algorithm] :
       std::vector<std::pair<std::string, ApproverAlgorithm>>{
           {"ED25519", ApproverAlgorithm::kEd25519},
           {"prime256v1", ApproverAlgorithm::kEcdsaP256Sha256}}) {
    auto key = ApproverSigningKey::FromPem(Bytes(PrivatePem(type)));
    ASSERT_TRUE(key.ok()) << type << ": " << key.status();
    EXPECT_EQ(key->algorithm(), algorithm);
    ApprovalRequest request;
    request.key_id.fill(1);
    request.operation = approval::Operation::kSign;
    request.hash_function = approval::HashFunction::kKeccak256;
    request.message_digest.fill(2);
    request.derivation_path = {1, 2};
    request.expiry_unix_ms = 1'800'000'000'000;
    request.nonce.assign(16, 3);
    auto a = key->Approve(request);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->approver_id, key->public_key().id());
    auto message = approval::ApprovalMessage(request);
    ASSERT_TRUE(message.ok());
    EXPECT_TRUE(key->public_key().Verify(*message, a->signature).ok());
    request.message_digest[0] ^= 1;
    auto other = approval::ApprovalMessage(request);
    EXPECT_EQ(key->public_key().Verify(*other, a->signature).code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST(ApproverSigningKeyTest, RefusedKeyFiles) {
  const std::string ed = PrivatePem("ED25519");
  // Encrypted PKCS#8 of the same kind of key.
  std::string encrypted;
  {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    BIO* bio = BIO_new(BIO_s_mem());
    char pass[] = "passphrase";
    PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), pass,
                                  sizeof(pass) - 1, nullptr, nullptr);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    encrypted.assign(data, static_cast<size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(key);
  }
  std::string sec1_label = ed;
  absl::StrReplaceAll({{"PRIVATE KEY", "EC PRIVATE KEY"}}, &sec1_label);
  std::string public_label = ed;
  absl::StrReplaceAll({{"PRIVATE KEY", "PUBLIC KEY"}}, &public_label);
  std::string broken = ed;
  broken[40] = broken[40] == 'A' ? 'B' : 'A';  // base64 of another DER
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"not PEM", "hello"},
      {"RSA", PrivatePem("RSA")},
      {"secp256k1", PrivatePem("secp256k1")},
      {"P-384", PrivatePem("secp384r1")},
      {"Ed448", PrivatePem("ED448")},
      {"X25519", PrivatePem("X25519")},
      {"encrypted", encrypted},
      {"SEC1 label", sec1_label},
      {"public key label", public_label},
      {"trailing bytes", ed + "x"},
      {"two blocks", ed + ed},
      {"corrupted", broken},
      {"too large", std::string(kMaxKeyFileBytes + 1, '\n') + ed},
  };
  for (const auto& [name, pem] : cases) {
    auto key = ApproverSigningKey::FromPem(Bytes(pem));
    EXPECT_FALSE(key.ok()) << name;
    if (!key.ok()) {
      EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument)
          << name << ": " << key.status();
    }
  }
  // Trailing whitespace is fine.
  EXPECT_TRUE(ApproverSigningKey::FromPem(Bytes(ed + "\n\n  \r\n")).ok());
}

TEST(BundleFileTest, RoundTripsAndRefusals) {
  ApprovalBundle bundle;
  bundle.expiry_unix_ms = 1'800'000'000'000;
  bundle.nonce.assign(20, 7);
  approval::Approval a;
  a.approver_id.fill(9);
  a.signature.assign(64, 5);
  bundle.approvals.push_back(a);
  for (BundleFormat f :
       {BundleFormat::kBinary, BundleFormat::kText, BundleFormat::kJson}) {
    auto parsed = ParseBundle(FormatBundle(bundle, f), f);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->expiry_unix_ms, bundle.expiry_unix_ms);
    EXPECT_EQ(parsed->nonce, bundle.nonce);
    ASSERT_EQ(parsed->approvals.size(), 1u);
    EXPECT_EQ(parsed->approvals[0], a);
  }
  const std::string text = FormatBundle(bundle, BundleFormat::kText);
  const std::string json = FormatBundle(bundle, BundleFormat::kJson);
  const std::string binary = FormatBundle(bundle, BundleFormat::kBinary);
  EXPECT_FALSE(ParseBundle(text, BundleFormat::kJson).ok());
  EXPECT_FALSE(ParseBundle(json, BundleFormat::kText).ok());
  EXPECT_FALSE(ParseBundle(binary + "\x50\x01", BundleFormat::kBinary).ok());
  EXPECT_FALSE(
      ParseBundle(text + "unknown_field: 1\n", BundleFormat::kText).ok());
  EXPECT_FALSE(ParseBundle(std::string(kMaxBundleTextBytes + 1, ' ') + text,
                           BundleFormat::kText)
                   .ok());
  std::string short_nonce = text;
  absl::StrReplaceAll({{"\\007\\007\\007\\007", ""}}, &short_nonce);
  EXPECT_FALSE(ParseBundle(short_nonce, BundleFormat::kText).ok())
      << short_nonce;
}

// ---- the binary, checked by the enclave's verifier ----

class TssctlApproveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ed_ = dir_.File("ed25519.pem");
    p256_ = dir_.File("p256.pem");
    ASSERT_EQ(
        RunProgram({"openssl", "genpkey", "-algorithm", "ed25519", "-out", ed_})
            .exit_code,
        0);
    ASSERT_EQ(RunProgram({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-out", p256_})
                  .exit_code,
              0);
    ::chmod(ed_.c_str(), 0600);
    ::chmod(p256_.c_str(), 0600);
    // The policy is built from the public keys as openssl exports them,
    // not through the code under test.
    std::vector<approval::Approver> approvers;
    for (const auto& [file, alg] :
         std::vector<std::pair<std::string, ApproverAlgorithm>>{
             {ed_, ApproverAlgorithm::kEd25519},
             {p256_, ApproverAlgorithm::kEcdsaP256Sha256}}) {
      const std::string pub = file + ".pub";
      ASSERT_EQ(
          RunProgram({"openssl", "pkey", "-in", file, "-pubout", "-out", pub})
              .exit_code,
          0);
      auto key = approval::ApproverKey::Parse(alg, Bytes(ReadFile(pub)));
      ASSERT_TRUE(key.ok()) << key.status();
      approvers.push_back(
          {*key, alg == ApproverAlgorithm::kEd25519 ? "alice" : "bob"});
    }
    auto both = ApprovalPolicy::Create(approvers, {2, 2, 2, 2});
    ASSERT_TRUE(both.ok()) << both.status();
    policy_2of2_ = std::make_unique<ApprovalPolicy>(*both);
    auto one = ApprovalPolicy::Create(approvers, {1, 2, 2, 2});
    ASSERT_TRUE(one.ok());
    policy_1of2_ = std::make_unique<ApprovalPolicy>(*one);
  }

  RunResult Approve(const std::string& key_file, const std::string& out,
                    std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "approve",   "--key-file", key_file, "--key-id", kKeyId,
        "--digest",  kDigest,      "--hash", "sha256",   "--derivation-path",
        "m/44'/0/3", "--out",      out};
    args.insert(args.end(), extra.begin(), extra.end());
    return Tssctl(args);
  }

  // The request the enclave builds for the operation it performs.
  ApprovalRequest EnclaveRequest(const ApprovalBundle& bundle,
                                 const std::string& digest = kDigest,
                                 const std::string& key_id = kKeyId) {
    approval::KeyId id{};
    const auto id_bytes = FromHex(key_id);
    std::copy(id_bytes.begin(), id_bytes.end(), id.begin());
    approval::Digest32 d{};
    const auto d_bytes = FromHex(digest);
    std::copy(d_bytes.begin(), d_bytes.end(), d.begin());
    return approval::RequestForOperation(id, approval::Operation::kSign,
                                         approval::HashFunction::kSha256, d,
                                         {0x8000002c, 0, 3}, bundle);
  }

  absl::Status Check(const ApprovalPolicy& policy,
                     const ApprovalRequest& request,
                     const ApprovalBundle& bundle, int64_t now) {
    approval::ReplayCache cache;
    return approval::CheckApprovals(policy, request, bundle.approvals,
                                    static_cast<uint64_t>(now), cache);
  }

  ApprovalBundle Load(const std::string& path,
                      BundleFormat format = BundleFormat::kBinary) {
    auto b = ParseBundle(ReadFile(path), format);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : ApprovalBundle{};
  }

  ScratchDir dir_;
  std::string ed_;
  std::string p256_;
  std::unique_ptr<ApprovalPolicy> policy_2of2_;
  std::unique_ptr<ApprovalPolicy> policy_1of2_;
};

TEST_F(TssctlApproveTest, TwoApproversAcceptedByCheckApprovals) {
  const std::string b1 = dir_.File("b1.pb");
  const std::string b2 = dir_.File("b2.pb");
  RunResult r1 = Approve(ed_, b1, {"--expires-in", "600"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r1.err, "");  // no warning: the key file is 0600
  json::Value j1 = OutJson(r1);
  EXPECT_EQ(JsonString(j1, "approver.algorithm"), "ed25519");
  EXPECT_EQ(JsonString(j1, "request.derivation_path"), "m/44'/0/3");
  RunResult r2 = Approve(p256_, b2, {"--bundle-in", b1});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  json::Value j2 = OutJson(r2);
  EXPECT_EQ(JsonString(j2, "approver.algorithm"), "ecdsa-p256-sha256");
  // The second approver signed the first one's expiry and nonce.
  EXPECT_EQ(JsonString(j2, "request.nonce"), JsonString(j1, "request.nonce"));
  EXPECT_EQ(JsonString(j2, "approval_message"),
            JsonString(j1, "approval_message"));

  const ApprovalBundle one = Load(b1);
  const ApprovalBundle both = Load(b2);
  ASSERT_EQ(one.approvals.size(), 1u);
  ASSERT_EQ(both.approvals.size(), 2u);
  const int64_t now = NowMs();
  EXPECT_TRUE(Check(*policy_2of2_, EnclaveRequest(both), both, now).ok());
  // One approval: enough for 1-of-2, not for 2-of-2.
  EXPECT_TRUE(Check(*policy_1of2_, EnclaveRequest(one), one, now).ok());
  EXPECT_EQ(Check(*policy_2of2_, EnclaveRequest(one), one, now).code(),
            absl::StatusCode::kPermissionDenied);
  // Another digest or key id: the signatures do not cover it.
  std::string other_digest = kDigest;
  other_digest[0] = other_digest[0] == '2' ? '3' : '2';
  EXPECT_EQ(Check(*policy_2of2_, EnclaveRequest(both, other_digest), both, now)
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      Check(*policy_1of2_, EnclaveRequest(one, other_digest), one, now).code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      Check(*policy_2of2_, EnclaveRequest(both, kDigest, std::string(64, 'b')),
            both, now)
          .code(),
      absl::StatusCode::kPermissionDenied);
  // Another derivation path or hash function.
  ApprovalRequest other_path = EnclaveRequest(both);
  other_path.derivation_path = {0x8000002c, 0, 4};
  EXPECT_EQ(Check(*policy_2of2_, other_path, both, now).code(),
            absl::StatusCode::kPermissionDenied);
  ApprovalRequest keccak = EnclaveRequest(both);
  keccak.hash_function = approval::HashFunction::kKeccak256;
  EXPECT_EQ(Check(*policy_2of2_, keccak, both, now).code(),
            absl::StatusCode::kPermissionDenied);
  // Expired (now == expiry), and replayed.
  EXPECT_EQ(Check(*policy_2of2_, EnclaveRequest(both), both,
                  static_cast<int64_t>(both.expiry_unix_ms))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  approval::ReplayCache cache;
  EXPECT_TRUE(approval::CheckApprovals(*policy_2of2_, EnclaveRequest(both),
                                       both.approvals, now, cache)
                  .ok());
  EXPECT_EQ(approval::CheckApprovals(*policy_2of2_, EnclaveRequest(both),
                                     both.approvals, now, cache)
                .code(),
            absl::StatusCode::kAlreadyExists);
  // The same approver twice is refused by tssctl itself.
  RunResult again = Approve(p256_, dir_.File("b3.pb"), {"--bundle-in", b2});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(again.err, "already holds an approval"))
      << again.err;
}

TEST_F(TssctlApproveTest, TextAndJsonBundles) {
  for (const std::string format : {"text", "json"}) {
    const BundleFormat f =
        format == "text" ? BundleFormat::kText : BundleFormat::kJson;
    const std::string b1 = dir_.File("b1." + format);
    const std::string b2 = dir_.File("b2." + format);
    ASSERT_EQ(Approve(p256_, b1,
                      {"--expiry-unix-ms", absl::StrCat(NowMs() + 60'000),
                       "--nonce", std::string(40, 'c'), "--format", format})
                  .exit_code,
              0);
    RunResult r2 = Approve(ed_, b2, {"--bundle-in", b1, "--format", format});
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    const ApprovalBundle both = Load(b2, f);
    EXPECT_EQ(both.nonce, std::vector<uint8_t>(20, 0xcc));
    EXPECT_TRUE(Check(*policy_2of2_, EnclaveRequest(both), both, NowMs()).ok());
    // The binary reader refuses the text file.
    RunResult wrong = Approve(ed_, dir_.File("x"), {"--bundle-in", b1});
    EXPECT_EQ(wrong.exit_code, 2);
  }
}

TEST_F(TssctlApproveTest, OpensslVerifiesAndPythonAgreesOnTheMessage) {
  for (const std::string& key : {ed_, p256_}) {
    RunResult r = Approve(key, dir_.File("b.pb"), {"--expires-in", "60"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json::Value j = OutJson(r);
    const std::string msg = dir_.File("msg.bin");
    const std::string sig = dir_.File("sig.bin");
    WriteFile(msg, FromHex(JsonString(j, "approval_message")));
    WriteFile(sig, FromHex(JsonString(j, "signature")));
    const bool ed = key == ed_;
    auto verify = [&] {
      return ed ? RunProgram({"openssl", "pkeyutl", "-verify", "-pubin",
                              "-inkey", key + ".pub", "-rawin", "-in", msg,
                              "-sigfile", sig})
                : RunProgram({"openssl", "dgst", "-sha256", "-verify",
                              key + ".pub", "-signature", sig, msg});
    };
    RunResult ok = verify();
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_TRUE(absl::StrContains(ok.out, "Verified") ||
                absl::StrContains(ok.out, "Signature Verified Successfully"))
        << ok.out;
    std::vector<uint8_t> tampered = FromHex(JsonString(j, "approval_message"));
    tampered.back() ^= 1;
    WriteFile(msg, tampered);
    EXPECT_NE(verify().exit_code, 0);

    // python's independent encoding of the same request.
    const json::Value* req = j.Find("request");
    ASSERT_NE(req, nullptr);
    const std::string spec = absl::StrCat(
        R"({"approvers":[{"algorithm":"ed25519","label":"x"}],)",
        R"("quorum":{"sign":1,"refresh":1,"reshare":1,"export":1},)",
        R"("requests":[{"key_id":")", kKeyId,
        R"(","operation":1,"hash_function":1,"message_digest":")", kDigest,
        R"(","derivation_path":[2147483692,0,3],"expiry_unix_ms":)",
        req->Find("expiry_unix_ms")->AsInt(), R"(,"nonce":")",
        JsonString(*req, "nonce"), R"("}]})");
    RunResult py = RunProgram(
        {"python3", "tests/node/approval/approval_interop.py", spec});
    ASSERT_EQ(py.exit_code, 0) << py.err;
    json::Value pj = OutJson(py);
    ASSERT_EQ(pj.Find("requests")->AsArray().size(), 1u);
    EXPECT_EQ(JsonString(pj.Find("requests")->AsArray()[0], "message"),
              JsonString(j, "approval_message"));
  }
}

TEST_F(TssctlApproveTest, UsageErrorsExitTwo) {
  const std::string out = dir_.File("never.pb");
  WriteFile(dir_.File("rsa.pem"), PrivatePem("RSA"));
  WriteFile(dir_.File("k1.pem"), PrivatePem("secp256k1"));
  WriteFile(dir_.File("garbage.pb"), std::string("\x08\x01\x08\x01", 4));
  WriteFile(dir_.File("big.pem"), std::string(kMaxKeyFileBytes + 1, '\n'));
  ASSERT_EQ(Approve(ed_, dir_.File("b1.pb"), {"--expires-in", "60"}).exit_code,
            0);
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  auto base = [&](const std::string& key) {
    return std::vector<std::string>{"--key-file", key,     "--key-id", kKeyId,
                                    "--digest",   kDigest, "--hash",   "sha256",
                                    "--out",      out};
  };
  auto with = [&](std::vector<std::string> extra, const std::string& key = "") {
    std::vector<std::string> a = base(key.empty() ? ed_ : key);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto replace = [&](const std::string& flag, const std::string& value,
                     std::vector<std::string> extra) {
    std::vector<std::string> a = with(std::move(extra));
    for (size_t i = 0; i + 1 < a.size(); ++i) {
      if (a[i] == flag) a[i + 1] = value;
    }
    return a;
  };
  const std::vector<Case> cases = {
      {with({}), "--expires-in"},
      {with({"--expires-in", "60", "--expiry-unix-ms", "99999999999999"}),
       "--expires-in"},
      {with({"--expires-in", "0"}), "--expires-in"},
      {with({"--expires-in", "86401"}), "--expires-in"},
      {with({"--expiry-unix-ms", "1000"}), "expired"},
      {with({"--expiry-unix-ms", "-5"}), "--expiry-unix-ms"},
      {replace("--key-id", "aa", {"--expires-in", "60"}), "--key-id"},
      {replace("--key-id", kKeyId + "zz", {"--expires-in", "60"}), "--key-id"},
      {replace("--digest", kDigest.substr(1), {"--expires-in", "60"}),
       "--digest"},
      {replace("--hash", "sha3-256", {"--expires-in", "60"}), "--hash"},
      {with({"--expires-in", "60", "--operation", "destroy"}), "--operation"},
      {with({"--expires-in", "60", "--derivation-path", "m/01"}),
       "--derivation-path"},
      {with({"--expires-in", "60", "--nonce", std::string(30, 'a')}),
       "--nonce"},
      {with({"--expires-in", "60", "--nonce", std::string(66, 'a')}),
       "--nonce"},
      {with({"--expires-in", "60", "--nonce", std::string(32, 'g')}),
       "--nonce"},
      {with({"--bundle-in", dir_.File("b1.pb"), "--expires-in", "60"}),
       "--bundle-in"},
      {with({"--bundle-in", dir_.File("b1.pb"), "--nonce",
             std::string(32, 'a')}),
       "--bundle-in"},
      {with({"--bundle-in", dir_.File("garbage.pb")}), "--bundle-in"},
      {with({"--bundle-in", dir_.File("missing.pb")}), "--bundle-in"},
      {with({"--expires-in", "60"}, dir_.File("missing.pem")), "--key-file"},
      {with({"--expires-in", "60"}, dir_.File("rsa.pem")), "--key-file"},
      {with({"--expires-in", "60"}, dir_.File("k1.pem")), "--key-file"},
      {with({"--expires-in", "60"}, dir_.File("big.pem")), "--key-file"},
      {with({"--expires-in", "60"}, ed_ + ".pub"), "--key-file"},
      {with({"--expires-in", "60", "--format", "yaml"}), "--format"},
      {replace("--out", dir_.File("no/such/dir/b.pb"), {"--expires-in", "60"}),
       "--out"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"approve"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunResult run = Tssctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << run.out;
    EXPECT_TRUE(absl::StrContains(run.err, c.names))
        << absl::StrJoin(args, " ") << "\nstderr: " << run.err;
    EXPECT_EQ(run.out, "") << absl::StrJoin(args, " ");
  }
  // Nothing was written by a refused command.
  EXPECT_EQ(ReadFile(out), "");
  // A group-readable key file works but is warned about.
  ::chmod(ed_.c_str(), 0644);
  RunResult warned = Approve(ed_, dir_.File("w.pb"), {"--expires-in", "60"});
  EXPECT_EQ(warned.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(warned.err, "readable by other users"))
      << warned.err;
  RunResult help = Tssctl({"approve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "PKCS#11")) << help.out;
}

}  // namespace
}  // namespace nitro_tss::tssctl
