// The enclave's KMS credentials are refreshed from the host before they
// expire (node/enclave/kms_credentials.h), on the real KMS client against a
// scripted KMS endpoint: each request's SigV4 Authorization header shows
// which credentials signed it.
#include "node/enclave/kms_credentials.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/kms/kms_client.h"
#include "tests/kms/scripted_http_server.h"

namespace nitro_tss::enclave {
namespace {

using kms::testing::ScriptedHttpServer;

std::string RandomAnswer() {
  return absl::StrCat(R"({"Plaintext":")", absl::Base64Escape("abcd"), R"("})");
}

class KmsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kms::KmsClientConfig c;
    c.endpoint = absl::StrCat("http://127.0.0.1:", server_.port());
    c.retry.max_attempts = 1;
    client_ = *kms::KmsClient::Create(
        c, aws::AwsCredentials("AKIDFIRST", "first-secret", "t1"));
    CredentialRefresh refresh;
    refresh.fetch = [this]() -> absl::StatusOr<aws::ExpiringCredentials> {
      ++fetches_;
      if (!host_up_) return absl::UnavailableError("host: connection refused");
      aws::ExpiringCredentials e;
      e.credentials = aws::AwsCredentials(absl::StrCat("AKIDNEXT", fetches_),
                                          "next-secret", "t2");
      e.expiration = now_ + absl::Hours(1);
      return e;
    };
    kms::KmsClient* client = client_.get();
    refresh.install = [client](aws::AwsCredentials c) {
      client->SetCredentials(std::move(c));
    };
    refresh.clock = [this] { return now_; };
    kms_ = std::make_unique<RefreshingKms>(client, std::move(refresh),
                                           now_ + absl::Hours(1));
  }
  // The access key id that signed request i.
  std::string SignedBy(size_t i) {
    std::vector<aws::HttpRequest> reqs = server_.requests();
    if (i >= reqs.size()) return "(no request)";
    const std::string* auth = aws::FindHeader(reqs[i].headers, "Authorization");
    if (auth == nullptr) return "(unsigned)";
    const size_t at = auth->find("Credential=");
    return auth->substr(at + 11, auth->find('/', at) - at - 11);
  }
  absl::Status Call() {
    server_.Push(200, RandomAnswer());
    return kms_->GenerateRandom({4, {}}).status();
  }

  ScriptedHttpServer server_;
  std::unique_ptr<kms::KmsClient> client_;
  std::unique_ptr<RefreshingKms> kms_;
  absl::Time now_ = absl::FromUnixSeconds(1796464800);
  int fetches_ = 0;
  bool host_up_ = true;
};

TEST_F(KmsCredentialsTest, RefreshedFromTheHostBeforeTheyExpire) {
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(SignedBy(0), "AKIDFIRST");
  EXPECT_EQ(fetches_, 0);
  // 6 minutes before expiry: still the first ones.
  now_ += absl::Minutes(54);
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(SignedBy(1), "AKIDFIRST");
  EXPECT_EQ(fetches_, 0);
  // Inside the 5-minute window: new ones from the host, used at once.
  now_ += absl::Minutes(2);
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(SignedBy(2), "AKIDNEXT1");
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(SignedBy(3), "AKIDNEXT1");
}

TEST_F(KmsCredentialsTest, AHostThatCannotRefreshIsToleratedUntilExpiry) {
  host_up_ = false;
  now_ += absl::Minutes(58);  // in the window, still valid
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(SignedBy(0), "AKIDFIRST");
  // Expired and the host still down: refused before anything is sent.
  now_ += absl::Minutes(3);
  absl::Status s = kms_->GenerateRandom({4, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "connection refused")) << s;
  EXPECT_EQ(server_.requests().size(), 1u);
  // The host is back: the next call refreshes and goes through.
  host_up_ = true;
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(SignedBy(1), "AKIDNEXT3");
}

TEST_F(KmsCredentialsTest, KmsRefusingThemForcesOneRefreshAndRetry) {
  // Revoked early (or clocks differ): KMS says the token expired.
  server_.Push(400,
               R"({"__type":"ExpiredTokenException","message":"expired"})");
  ASSERT_TRUE(Call().ok());
  EXPECT_EQ(fetches_, 1);
  EXPECT_EQ(SignedBy(0), "AKIDFIRST");
  EXPECT_EQ(SignedBy(1), "AKIDNEXT1");
  // Refused again with the new ones: the error is returned (one retry).
  server_.Push(400,
               R"({"__type":"ExpiredTokenException","message":"expired"})");
  server_.Push(400,
               R"({"__type":"ExpiredTokenException","message":"expired"})");
  absl::Status s = kms_->GenerateRandom({4, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(fetches_, 2);
  EXPECT_EQ(server_.requests().size(), 4u);
}

}  // namespace
}  // namespace nitro_tss::enclave
