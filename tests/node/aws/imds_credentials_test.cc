// IMDSv2 credential source against a real HTTP server on loopback (the
// scripted server of tests/kms: it answers each request with the next
// scripted response and records what it received), and its parser.
#include "node/aws/imds_credentials.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/kms/scripted_http_server.h"

namespace nitro_tss::aws {
namespace {

using kms::testing::ScriptedHttpServer;

constexpr char kRolePath[] = "/latest/meta-data/iam/security-credentials/";

std::string CredsJson(const std::string& expiration,
                      const std::string& key = "ASIAIMDSEXAMPLE00001",
                      const std::string& code = "Success") {
  return absl::StrCat(
      R"({"Code":")", code,
      R"(","LastUpdated":"2026-12-05T10:00:00Z","Type":"AWS-HMAC",)",
      R"("AccessKeyId":")", key,
      R"(","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",)",
      R"("Token":"IQoJb3JpZ2luX2VjEXAMPLETOKEN==","Expiration":")", expiration,
      R"("})");
}

class ImdsTest : public ::testing::Test {
 protected:
  std::unique_ptr<ImdsCredentialSource> Source(const std::string& role = "") {
    ImdsConfig c;
    c.endpoint = absl::StrCat("http://127.0.0.1:", server_.port());
    c.role = role;
    c.clock = [this] { return now_; };
    absl::StatusOr<std::unique_ptr<ImdsCredentialSource>> s =
        ImdsCredentialSource::Create(c);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  absl::Time now_ = absl::FromUnixSeconds(1796464800);  // 2026-12-05T10:00Z
  const std::string expiry_ = "2026-12-05T16:00:00Z";   // now + 6 h
  ScriptedHttpServer server_;
};

TEST_F(ImdsTest, TokenFlowDiscoversTheRoleAndCachesCredentials) {
  server_.Push(200, "AQAEAFakeToken1==");
  server_.Push(200, "node-role\n");
  server_.Push(200, CredsJson(expiry_));
  std::unique_ptr<ImdsCredentialSource> src = Source();
  absl::StatusOr<AwsCredentials> c = src->Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ASIAIMDSEXAMPLE00001");
  EXPECT_EQ(c->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(c->session_token, "IQoJb3JpZ2luX2VjEXAMPLETOKEN==");
  std::vector<HttpRequest> reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].path, "/latest/api/token");
  EXPECT_EQ(
      *FindHeader(reqs[0].headers, "X-aws-ec2-metadata-token-ttl-seconds"),
      "21600");
  EXPECT_EQ(FindHeader(reqs[0].headers, "X-aws-ec2-metadata-token"), nullptr);
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].path, kRolePath);
  EXPECT_EQ(reqs[2].path, absl::StrCat(kRolePath, "node-role"));
  for (int i : {1, 2}) {
    EXPECT_EQ(*FindHeader(reqs[i].headers, "X-aws-ec2-metadata-token"),
              "AQAEAFakeToken1==");
  }
  // Cached: no request until 5 minutes before expiry.
  now_ += absl::Hours(5) + absl::Minutes(54);
  EXPECT_EQ(src->Get()->access_key_id, "ASIAIMDSEXAMPLE00001");
  EXPECT_EQ(server_.requests().size(), 3u);
  // Inside the refresh window: one GET (token and role are still known).
  now_ += absl::Minutes(2);
  server_.Push(200, CredsJson("2026-12-05T22:00:00Z", "ASIAIMDSEXAMPLE00002"));
  EXPECT_EQ(src->Get()->access_key_id, "ASIAIMDSEXAMPLE00002");
  EXPECT_EQ(server_.requests().size(), 4u);
}

TEST_F(ImdsTest, ExpiredTokenIsRenewedOnce) {
  server_.Push(200, "token-one");
  server_.Push(401, "");  // token revoked when fetching the credentials
  server_.Push(200, "token-two");
  server_.Push(200, CredsJson(expiry_));
  std::unique_ptr<ImdsCredentialSource> src = Source("configured-role");
  absl::StatusOr<AwsCredentials> c = src->Get();
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<HttpRequest> reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 4u);  // no role listing: the role is configured
  EXPECT_EQ(reqs[1].path, absl::StrCat(kRolePath, "configured-role"));
  EXPECT_EQ(reqs[2].method, "PUT");
  EXPECT_EQ(*FindHeader(reqs[3].headers, "X-aws-ec2-metadata-token"),
            "token-two");
  // Twice 401: an error, not a loop (credentials and token expired by now).
  now_ += absl::Hours(7);
  server_.Push(200, "token-three");
  server_.Push(401, "");
  server_.Push(200, "token-four");
  server_.Push(401, "");
  absl::Status s = src->Get().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
}

TEST_F(ImdsTest, FailuresHaveActionableCodes) {
  struct Case {
    std::vector<std::pair<int, std::string>> script;
    absl::StatusCode code;
    std::string why;
  };
  const std::vector<Case> cases = {
      {{{403, ""}}, absl::StatusCode::kPermissionDenied, "IMDS disabled"},
      {{{503, ""}}, absl::StatusCode::kUnavailable, "token request"},
      {{{200, "bad token!"}}, absl::StatusCode::kInvalidArgument, "token"},
      {{{200, "t"}, {404, ""}}, absl::StatusCode::kNotFound, "role"},
      {{{200, "t"}, {200, "\n"}}, absl::StatusCode::kNotFound, "no instance"},
      {{{200, "t"}, {200, "one\ntwo\n"}},
       absl::StatusCode::kFailedPrecondition,
       "several roles"},
      {{{200, "t"}, {200, "bad role!"}},
       absl::StatusCode::kInvalidArgument,
       "role name"},
      {{{200, "t"}, {200, "r"}, {200, CredsJson(expiry_, "x", "Failure")}},
       absl::StatusCode::kUnauthenticated,
       "Code Failure"},
      {{{200, "t"}, {200, "r"}, {200, CredsJson("2026-12-05T09:59:59Z")}},
       absl::StatusCode::kUnauthenticated,
       "already expired"},
      {{{200, "t"}, {200, "r"}, {200, "{"}},
       absl::StatusCode::kInvalidArgument,
       "json"},
      {{{200, "t"}, {200, "r"}, {500, ""}},
       absl::StatusCode::kUnavailable,
       "HTTP 500"},
  };
  for (const Case& c : cases) {
    ScriptedHttpServer server;
    for (const auto& [status, body] : c.script) server.Push(status, body);
    ImdsConfig config;
    config.endpoint = absl::StrCat("http://127.0.0.1:", server.port());
    config.clock = [this] { return now_; };
    absl::Status s = (*ImdsCredentialSource::Create(config))->Get().status();
    EXPECT_EQ(s.code(), c.code) << s << " / " << c.why;
    EXPECT_TRUE(absl::StrContains(s.message(), c.why)) << s << " / " << c.why;
  }
}

TEST(ImdsParseTest, StrictCredentialsDocument) {
  absl::StatusOr<ImdsCredentials> ok = ParseImdsCredentials(
      R"({"AccessKeyId":"ASIAIMDSEXAMPLE00001","SecretAccessKey":"s",)"
      R"("Token":"t","Expiration":"2026-12-05T16:00:00Z","Extra":"x"})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->expiration, absl::FromUnixSeconds(1796486400));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[]", "not a JSON object"},
      {R"({"SecretAccessKey":"s","Token":"t","Expiration":"2026-12-05T16:00:00Z"})",
       "AccessKeyId"},
      {R"({"AccessKeyId":1,"SecretAccessKey":"s","Token":"t","Expiration":"2026-12-05T16:00:00Z"})",
       "AccessKeyId"},
      {R"({"AccessKeyId":"ASIAIMDSEXAMPLE00001","SecretAccessKey":"s","Token":"","Expiration":"2026-12-05T16:00:00Z"})",
       "Token"},
      {R"({"AccessKeyId":"lower","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-05T16:00:00Z"})",
       "access key id"},
      {R"({"AccessKeyId":"ASIAIMDSEXAMPLE00001","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-05 16:00:00"})",
       "Expiration"},
      {R"({"AccessKeyId":"ASIAIMDSEXAMPLE00001","SecretAccessKey":"s","Token":"t","Expiration":"2026-13-05T16:00:00Z"})",
       "Expiration"},
      {R"({"Type":"Other","AccessKeyId":"ASIAIMDSEXAMPLE00001","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-05T16:00:00Z"})",
       "Type"},
      {R"({"AccessKeyId":"ASIAIMDSEXAMPLE00001","AccessKeyId":"ASIAIMDSEXAMPLE00002","SecretAccessKey":"s","Token":"t","Expiration":"2026-12-05T16:00:00Z"})",
       "json"},
      {R"({"a":{"nested":1}})", "json"},
  };
  for (const auto& [doc, why] : bad) {
    absl::Status s = ParseImdsCredentials(doc).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << doc;
    EXPECT_TRUE(absl::StrContains(s.message(), why)) << s << " / " << why;
  }
}

TEST(ImdsConfigTest, RefusesBadConfiguration) {
  for (const char* e : {"https://169.254.169.254", "169.254.169.254",
                        "http://h/path", "http://"}) {
    ImdsConfig c;
    c.endpoint = e;
    EXPECT_EQ(ImdsCredentialSource::Create(c).status().code(),
              absl::StatusCode::kInvalidArgument)
        << e;
  }
  ImdsConfig c;
  c.role = "no/slash";
  EXPECT_FALSE(ImdsCredentialSource::Create(c).ok());
  c.role = "";
  c.token_ttl = absl::Hours(7);
  EXPECT_FALSE(ImdsCredentialSource::Create(c).ok());
}

}  // namespace
}  // namespace nitro_tss::aws
