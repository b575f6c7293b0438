// SigV4 against the public AWS signing test suite (../shared/testdata/sigv4/v4)
// plus negative tests of the server-side verifier.
#include "node/aws/sigv4.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"

namespace nitro_tss::aws {
namespace {

namespace fs = std::filesystem;

const char kSuiteDir[] = "../shared/testdata/sigv4/v4";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fields of the suite's context.json (read with the project's JSON parser).
std::string JsonString(const std::string& text, const std::string& key) {
  absl::StatusOr<json::Value> doc = json::Parse(text);
  if (!doc.ok()) return "";
  const json::Value* v = doc->Find(key);
  if (v == nullptr)
    v = doc->Find("credentials") ? doc->Find("credentials")->Find(key)
                                 : nullptr;
  return v != nullptr && v->is_string() ? v->AsString() : "";
}
bool JsonBool(const std::string& text, const std::string& key, bool dflt) {
  absl::StatusOr<json::Value> doc = json::Parse(text);
  if (!doc.ok()) return dflt;
  const json::Value* v = doc->Find(key);
  return v != nullptr && v->is_bool() ? v->AsBool() : dflt;
}

// Parses the suite's raw request.txt: request line, headers (continuation
// lines starting with whitespace are kept as obsolete line folding), blank
// line, body.
HttpRequest ParseRequestTxt(const std::string& text) {
  HttpRequest req;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  size_t i = 0;
  std::string line = lines[i++];
  size_t sp = line.find(' ');
  size_t http = line.rfind(" HTTP/");
  req.method = line.substr(0, sp);
  std::string target = line.substr(sp + 1, http - sp - 1);
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  for (; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty()) {
      ++i;
      break;
    }
    if (l[0] == ' ' || l[0] == '\t') {
      req.headers.back().value += "\n" + l;
      continue;
    }
    size_t colon = l.find(':');
    req.headers.push_back({l.substr(0, colon), l.substr(colon + 1)});
  }
  std::vector<std::string> body(lines.begin() + std::min(i, lines.size()),
                                lines.end());
  req.body = absl::StrJoin(body, "\n");
  return req;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct SuiteCase {
  std::string name;
  fs::path dir;
};

std::vector<SuiteCase> ListCases() {
  std::vector<SuiteCase> out;
  if (!fs::exists(kSuiteDir)) return out;
  for (const auto& e : fs::directory_iterator(kSuiteDir)) {
    if (e.is_directory()) out.push_back({e.path().filename().string(), e});
  }
  std::sort(out.begin(), out.end(), [](const SuiteCase& a, const SuiteCase& b) {
    return a.name < b.name;
  });
  return out;
}

void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.name; }

class SigV4SuiteTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteTest, HeaderSigningMatchesSuite) {
  const fs::path dir = GetParam().dir;
  const std::string ctx = ReadFile(dir / "context.json");
  HttpRequest req = ParseRequestTxt(ReadFile(dir / "request.txt"));

  SigningParams params;
  params.credentials = AwsCredentials(JsonString(ctx, "access_key_id"),
                                      JsonString(ctx, "secret_access_key"),
                                      JsonString(ctx, "token"));
  params.region = JsonString(ctx, "region");
  params.service = JsonString(ctx, "service");
  absl::Time t;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, JsonString(ctx, "timestamp"),
                              &t, &err))
      << err;
  params.time = t;
  params.options.normalize_path = JsonBool(ctx, "normalize", true);
  params.options.omit_session_token =
      JsonBool(ctx, "omit_session_token", false);
  params.options.add_content_sha256_header = JsonBool(ctx, "sign_body", false);

  absl::StatusOr<SignatureParts> parts = SignRequest(params, &req);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->canonical_request,
            Trimmed(ReadFile(dir / "header-canonical-request.txt")));
  EXPECT_EQ(parts->string_to_sign,
            Trimmed(ReadFile(dir / "header-string-to-sign.txt")));
  EXPECT_EQ(parts->signature, Trimmed(ReadFile(dir / "header-signature.txt")));

  // The Authorization header of the expected signed request matches ours.
  HttpRequest expected_signed =
      ParseRequestTxt(ReadFile(dir / "header-signed-request.txt"));
  const std::string* expected_auth =
      FindHeader(expected_signed.headers, "Authorization");
  ASSERT_NE(expected_auth, nullptr);
  EXPECT_EQ(*FindHeader(req.headers, "Authorization"), *expected_auth);
  const std::string* expected_token =
      FindHeader(expected_signed.headers, kSecurityTokenHeader);
  const std::string* our_token = FindHeader(req.headers, kSecurityTokenHeader);
  ASSERT_EQ(expected_token == nullptr, our_token == nullptr);
  if (our_token != nullptr) {
    EXPECT_EQ(*our_token, *expected_token);
  }

  // The server-side verifier accepts what we signed.
  absl::Status verified = VerifyRequestSignature(
      req, params.credentials.secret_access_key, params.region, params.service,
      t, absl::Minutes(5), params.options.normalize_path);
  EXPECT_TRUE(verified.ok()) << verified;
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest,
                         ::testing::ValuesIn(ListCases()),
                         [](const ::testing::TestParamInfo<SuiteCase>& info) {
                           std::string n = info.param.name;
                           for (char& c : n) {
                             if (!absl::ascii_isalnum(c)) c = '_';
                           }
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4SuiteTest);

TEST(SigV4Suite, AllThirtyEightCasesPresent) {
  // No case of the suite is skipped: every one applies to header signing.
  EXPECT_EQ(ListCases().size(), 38u);
}

TEST(SigV4, DerivedKeyMatchesAwsDocumentationExample) {
  // Example from the AWS SigV4 documentation ("Examples of how to derive a
  // signing key"): secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
  // 20120215/us-east-1/iam.
  std::array<uint8_t, 32> key =
      DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                       "us-east-1", "iam");
  EXPECT_EQ(absl::BytesToHexString(absl::string_view(
                reinterpret_cast<const char*>(key.data()), key.size())),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, CanonicalQueryRejectsMalformedEscape) {
  EXPECT_EQ(CanonicalQueryString("a=%4").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalQueryString("a=%zz").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*CanonicalQueryString("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
}

TEST(SigV4, CanonicalUriRejectsRelativePath) {
  EXPECT_EQ(CanonicalUri("example", true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalUri("", true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*CanonicalUri("/a%2Fb", false), "/a%252Fb");
}

TEST(SigV4, HeaderCanonicalizationRejectsBadInput) {
  EXPECT_EQ(CanonicalizeHeaders({{"", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CanonicalizeHeaders({{"a b", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CanonicalizeHeaders({{"a", std::string("x\0y", 3)}}).status().code(),
      absl::StatusCode::kInvalidArgument);
  std::vector<HttpHeader> many;
  for (int i = 0; i < 100; ++i) many.push_back({absl::StrCat("h", i), "v"});
  EXPECT_EQ(CanonicalizeHeaders(many).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SigV4, ParseAmzDateIsStrict) {
  EXPECT_TRUE(ParseAmzDate("20150830T123600Z").ok());
  EXPECT_FALSE(ParseAmzDate("20150830T123600").ok());
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z").ok());
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z").ok());
  EXPECT_FALSE(ParseAmzDate("2015083OT123600Z").ok());
}

// --- Server-side verification: one negative test per check. ---

class SigV4VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = absl::FromUnixSeconds(1700000000);
    req_.method = "POST";
    req_.path = "/";
    req_.headers = {{"Host", "kms.us-east-1.amazonaws.com"},
                    {"Content-Type", "application/x-amz-json-1.1"},
                    {"X-Amz-Target", "TrentService.Decrypt"}};
    req_.body = R"({"CiphertextBlob":"AAAA"})";
    SigningParams p;
    p.credentials = AwsCredentials("AKIDEXAMPLE", kSecret, "session-token");
    p.region = "us-east-1";
    p.service = "kms";
    p.time = now_;
    ASSERT_TRUE(SignRequest(p, &req_).ok());
  }
  absl::Status Verify(const HttpRequest& r) {
    return VerifyRequestSignature(r, kSecret, "us-east-1", "kms", now_,
                                  absl::Minutes(5));
  }
  std::string* Header(HttpRequest& r, absl::string_view name) {
    for (auto& h : r.headers) {
      if (absl::EqualsIgnoreCase(h.name, name)) return &h.value;
    }
    return nullptr;
  }
  static constexpr char kSecret[] = "secret-key-for-tests";
  absl::Time now_;
  HttpRequest req_;
};

TEST_F(SigV4VerifyTest, AcceptsOwnSignature) { EXPECT_TRUE(Verify(req_).ok()); }

TEST_F(SigV4VerifyTest, SessionTokenIsSigned) {
  EXPECT_NE(Header(req_, "Authorization")->find("x-amz-security-token"),
            std::string::npos);
  *Header(req_, "X-Amz-Security-Token") = "other-token";
  EXPECT_EQ(Verify(req_).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(SigV4VerifyTest, RejectsTamperedBody) {
  req_.body = R"({"CiphertextBlob":"AAAB"})";
  absl::Status s = Verify(req_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), "SignatureDoesNotMatch")) << s;
}

TEST_F(SigV4VerifyTest, RejectsTamperedSignedHeader) {
  *Header(req_, "X-Amz-Target") = "TrentService.Encrypt";
  EXPECT_EQ(Verify(req_).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(SigV4VerifyTest, RejectsWrongSecret) {
  EXPECT_EQ(VerifyRequestSignature(req_, "wrong", "us-east-1", "kms", now_,
                                   absl::Minutes(5))
                .code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(SigV4VerifyTest, RejectsMissingAuthorization) {
  HttpRequest r = req_;
  r.headers.pop_back();  // Authorization is appended last
  absl::Status s = Verify(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), "missing Authorization")) << s;
}

TEST_F(SigV4VerifyTest, RejectsMissingSignedHeader) {
  HttpRequest r = req_;
  r.headers.erase(r.headers.begin() + 2);  // X-Amz-Target, still listed
  absl::Status s = Verify(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), "x-amz-target")) << s;
}

TEST_F(SigV4VerifyTest, RejectsClockSkew) {
  absl::Status s =
      VerifyRequestSignature(req_, kSecret, "us-east-1", "kms",
                             now_ + absl::Minutes(6), absl::Minutes(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST_F(SigV4VerifyTest, RejectsWrongRegionOrService) {
  EXPECT_EQ(VerifyRequestSignature(req_, kSecret, "eu-west-1", "kms", now_,
                                   absl::Minutes(5))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyRequestSignature(req_, kSecret, "us-east-1", "s3", now_,
                                   absl::Minutes(5))
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SigV4VerifyTest, RejectsScopeDateMismatch) {
  *Header(req_, "X-Amz-Date") = FormatAmzDate(now_ + absl::Hours(24));
  absl::Status s =
      VerifyRequestSignature(req_, kSecret, "us-east-1", "kms",
                             now_ + absl::Hours(24), absl::Minutes(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "scope date")) << s;
}

TEST_F(SigV4VerifyTest, RejectsMalformedAuthorization) {
  const std::string good = *Header(req_, "Authorization");
  const std::vector<std::string> bad = {
      absl::StrCat("AWS4-HMAC-SHA1 ", absl::string_view(good).substr(17)),
      absl::StrCat(good, ", Signature=", std::string(64, 'a')),
      absl::StrReplaceAll(good, {{"aws4_request", "aws5_request"}}),
      absl::StrReplaceAll(good, {{"SignedHeaders=content-type;host",
                                  "SignedHeaders=host;content-type"}}),
      absl::StrReplaceAll(good, {{"content-type;host;", ""}}),
      good.substr(0, good.size() - 1),
      absl::StrCat(absl::string_view(good).substr(0, good.size() - 1), "G"),
  };
  for (const std::string& b : bad) {
    *Header(req_, "Authorization") = b;
    EXPECT_EQ(Verify(req_).code(), absl::StatusCode::kUnauthenticated) << b;
  }
}

TEST_F(SigV4VerifyTest, RejectsUnsignedDate) {
  std::string* auth = Header(req_, "Authorization");
  *auth = absl::StrReplaceAll(*auth, {{";x-amz-date", ""}});
  EXPECT_EQ(Verify(req_).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SigV4Sign, RejectsIncompleteInputs) {
  HttpRequest r{"POST", "/", "", {{"Host", "h"}}, ""};
  SigningParams p;
  p.region = "us-east-1";
  p.service = "kms";
  EXPECT_EQ(SignRequest(p, &r).status().code(),
            absl::StatusCode::kInvalidArgument);
  p.credentials = AwsCredentials("a", "b");
  ASSERT_TRUE(SignRequest(p, &r).ok());
  // Signing twice is refused.
  EXPECT_EQ(SignRequest(p, &r).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nitro_tss::aws
