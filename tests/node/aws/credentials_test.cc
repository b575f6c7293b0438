// Credential sources: static, environment (injected getenv), validation.
#include "node/aws/credentials.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/match.h"

namespace nitro_tss::aws {
namespace {

EnvCredentialSource::GetEnv FakeEnv(std::map<std::string, std::string> env) {
  return [env = std::move(env)](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

TEST(CredentialsTest, EnvironmentSourceReadsTheStandardVariables) {
  EnvCredentialSource src(FakeEnv({{"AWS_ACCESS_KEY_ID", "ASIAEXAMPLE0000001"},
                                   {"AWS_SECRET_ACCESS_KEY", "s3cr3t/+x"},
                                   {"AWS_SESSION_TOKEN", "tok=="}}));
  absl::StatusOr<AwsCredentials> c = src.Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ASIAEXAMPLE0000001");
  EXPECT_EQ(c->secret_access_key, "s3cr3t/+x");
  EXPECT_EQ(c->session_token, "tok==");
  // Without a token: long-term credentials.
  EnvCredentialSource no_token(
      FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000001"},
               {"AWS_SECRET_ACCESS_KEY", "secret"}}));
  c = no_token.Get();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->session_token, "");
}

TEST(CredentialsTest, EnvironmentSourceRefusesMissingOrMalformedValues) {
  for (const auto& env : std::vector<std::map<std::string, std::string>>{
           {},
           {{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000001"}},
           {{"AWS_SECRET_ACCESS_KEY", "secret"}},
           {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", "secret"}}}) {
    absl::Status s = EnvCredentialSource(FakeEnv(env)).Get().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "AWS_ACCESS_KEY_ID")) << s;
  }
  const std::vector<std::map<std::string, std::string>> bad = {
      {{"AWS_ACCESS_KEY_ID", "akia-lower-case-id"},
       {"AWS_SECRET_ACCESS_KEY", "secret"}},
      {{"AWS_ACCESS_KEY_ID", "AKI"}, {"AWS_SECRET_ACCESS_KEY", "secret"}},
      {{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000001"},
       {"AWS_SECRET_ACCESS_KEY", "has space"}},
      {{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000001"},
       {"AWS_SECRET_ACCESS_KEY", "secret"},
       {"AWS_SESSION_TOKEN", "line\nbreak"}},
      {{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000001"},
       {"AWS_SECRET_ACCESS_KEY", std::string(129, 'x')}},
  };
  for (const auto& env : bad) {
    absl::Status s = EnvCredentialSource(FakeEnv(env)).Get().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(absl::StartsWith(s.message(), "environment: aws credentials"))
        << s;
  }
}

TEST(CredentialsTest, StaticSourceRotatesAndRefusesEmpty) {
  StaticCredentialSource src(AwsCredentials("AKIAFIRST0000000001", "one"));
  EXPECT_EQ(src.Get()->secret_access_key, "one");
  src.Set(AwsCredentials("AKIASECOND000000001", "two", "token"));
  EXPECT_EQ(src.Get()->access_key_id, "AKIASECOND000000001");
  EXPECT_EQ(src.Get()->session_token, "token");
  src.Set(AwsCredentials());
  EXPECT_EQ(src.Get().status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace nitro_tss::aws
