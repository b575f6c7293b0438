// S3 client: strict response parsing and error mapping (unit), and the
// client against moto's S3 server with signature checking enabled (moto
// recomputes every signature with botocore), plus retries against a
// scripted server.
#include "node/aws/s3_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/kms/scripted_http_server.h"
#include "tests/node/aws/moto_server.h"

namespace nitro_tss::aws {
namespace {

using ::nitro_tss::aws::testing::MissingMoto;
using ::nitro_tss::aws::testing::MotoServer;

// ---- response headers ----

TEST(S3ResponseHeadersTest, ParsesTheFinalBlock) {
  int status = 0;
  absl::StatusOr<std::vector<HttpHeader>> h = ParseResponseHeaders(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nx-amz-version-id:  v1 \r\n"
      "Content-Length: 3\r\n\r\n",
      &status);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(status, 200);
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[1].name, "x-amz-version-id");
  EXPECT_EQ((*h)[1].value, "v1");
  h = ParseResponseHeaders("HTTP/2 404 \r\nserver: AmazonS3\r\n\r\n", &status);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(status, 404);
}

TEST(S3ResponseHeadersTest, RefusesMalformedBlocks) {
  const std::string many = [] {
    std::string s = "HTTP/1.1 200 OK\r\n";
    for (size_t i = 0; i <= kMaxS3ResponseHeaders; ++i) {
      absl::StrAppend(&s, "x-h", i, ": v\r\n");
    }
    return s + "\r\n";
  }();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/1.1 200 OK\nETag: x\r\n\r\n", "bare CR, LF"},
      {"HTTP/1.1 200 OK\r\nETag: x\r\n", "without an empty line"},
      {"HTTP/1.1 200 OK\r\nETag: x\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
       "data after"},
      {"HTTP/1.1 200 OK\r\nETag: x\r\n folded\r\n\r\n", "folding"},
      {"HTTP/1.1 200 OK\r\nE Tag: x\r\n\r\n", "header name"},
      {"HTTP/1.1 200 OK\r\nETag x\r\n\r\n", "without a name"},
      {"HTTP/1.1 200 OK\r\n: x\r\n\r\n", "without a name"},
      {"HTTP/1.1 200 OK\r\nETag: a\x01z\r\n\r\n", "control or non-ASCII"},
      {"HTTP/1.1 200 OK\r\nETag: caf\xc3\xa9\r\n\r\n", "control or non-ASCII"},
      {std::string("HTTP/1.1 200 OK\r\nETag: a\0b\r\n\r\n", 31), "NUL"},
      {"HTTP/1.1 100 Continue\r\n\r\n", "no final"},
      {"HTTP/1.1 20 OK\r\n\r\n", "status code"},
      {"HTTP/1.1 099 OK\r\n\r\n", "status code"},
      {"HTTP/1.1 200OK\r\n\r\n", "status code"},
      {"ICY 200 OK\r\n\r\n", "status line"},
      {many, "too many"},
      {"HTTP/1.1 200 OK\r\nx: " + std::string(kMaxS3ResponseHeaderBytes, 'a') +
           "\r\n\r\n",
       "too large"},
  };
  for (const auto& [raw, why] : cases) {
    int status = 0;
    absl::Status s = ParseResponseHeaders(raw, &status).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why;
    EXPECT_TRUE(absl::StrContains(s.message(), why)) << s << " / " << why;
  }
}

TEST(S3ResponseHeadersTest, UniqueHeaderRefusesDuplicates) {
  std::vector<HttpHeader> h = {{"ETag", "\"a\""}, {"etag", "\"b\""}};
  EXPECT_EQ(UniqueHeader(h, "ETAG").status().code(),
            absl::StatusCode::kInvalidArgument);
  h.pop_back();
  EXPECT_EQ(**UniqueHeader(h, "etag"), "\"a\"");
  EXPECT_EQ(*UniqueHeader(h, "x-amz-version-id"), nullptr);
}

TEST(S3ResponseHeadersTest, ETagAndVersionIdSyntax) {
  EXPECT_TRUE(ValidateETag("\"9b2cf535f27731c974343645a3985328\"").ok());
  EXPECT_TRUE(ValidateETag("\"9b2cf535f27731c974343645a3985328-12\"").ok());
  for (const char* bad :
       {"", "\"\"", "abc", "\"a\"b\"", "W/\"abc\"", "\"a b\"", "\"abc"}) {
    EXPECT_FALSE(ValidateETag(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateETag("\"" + std::string(255, 'a') + "\"").ok());
  EXPECT_TRUE(ValidateVersionId("3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY=").ok());
  EXPECT_TRUE(ValidateVersionId("null").ok());
  for (const char* bad : {"", "a b", "a\"b", "a?b", "a&b"}) {
    EXPECT_FALSE(ValidateVersionId(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateVersionId(std::string(1025, 'a')).ok());
}

// ---- error documents ----

TEST(S3ErrorBodyTest, ParsesAwsAndMotoShapes) {
  absl::StatusOr<S3Error> e = ParseS3ErrorBody(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</"
      "Code><Message>The specified key does not exist.</Message><Key>a/b</"
      "Key><RequestId>4442587FB7D0A2F9</RequestId><HostId/></Error>");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The specified key does not exist.");
  e = ParseS3ErrorBody(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n    "
      "<Code>PreconditionFailed</Code>\n    <Message>At least one of the "
      "pre-conditions you specified did not hold &amp; &#39;x&#x27; "
      "&lt;y&gt;</Message>\n    <Condition>If-Match</Condition>\n"
      "<RequestID>7a62c49f</RequestID>\n</Error>\n");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->code, "PreconditionFailed");
  EXPECT_TRUE(absl::EndsWith(e->message, "did not hold & 'x' <y>"))
      << e->message;
  // Control characters in the message are neutralized; long ones cut.
  e = ParseS3ErrorBody("<Error><Code>X</Code><Message>a&#7;b&#x263A;" +
                       std::string(2000, 'm') + "</Message></Error>");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(absl::StartsWith(e->message, "a?b?mmm")) << e->message;
  EXPECT_EQ(e->message.size(), kMaxS3ErrorMessageBytes);
}

TEST(S3ErrorBodyTest, RefusesAnythingElse) {
  const std::vector<std::string> bad = {
      "",
      "not xml",
      "<Error></Error>",                              // no Code
      "<Error><Code>A</Code><Code>B</Code></Error>",  // two codes
      "<Error><Code>A</Code><Message>x</Message><Message>y</Message></Error>",
      "<Error><Code>No Such</Code></Error>",  // code charset
      "<Error><Code></Code></Error>",         // empty code
      "<Error><Code>" + std::string(65, 'A') + "</Code></Error>",
      "<Error><Code>A</Code><Extra><Nested>x</Nested></Extra></Error>",
      "<Error><Code a=\"1\">A</Code></Error>",  // attribute
      "<Error><Code>A</Code></Error>trailing",
      "<Error><Code>A</Code>",                              // unterminated
      "<Error><Code>A</Cod></Error>",                       // mismatched close
      "<Error><Code>A</Code><!-- c --></Error>",            // comment
      "<Error><Code>A</Code><M><![CDATA[x]]></M></Error>",  // CDATA
      "<Error><Code>A</Code><M>&nbsp;</M></Error>",         // unknown entity
      "<Error><Code>A</Code><M>&#0;</M></Error>",           // NUL reference
      "<Error><Code>A</Code><M>&#x110000;</M></Error>",
      "<Error><Code>A</Code><M>&amp</M></Error>",   // unterminated
      "<Error><Code>A</Code><M>a\x01</M></Error>",  // control char
      "<?xml <Error><Code>A</Code></Error>",
      "<Errors><Error><Code>A</Code></Error></Errors>",
      "<Error><Code>A</Code></Error>" + std::string(kMaxS3ErrorBodyBytes, ' '),
  };
  for (const std::string& b : bad) {
    EXPECT_EQ(ParseS3ErrorBody(b).status().code(),
              absl::StatusCode::kInvalidArgument)
        << b.substr(0, 80);
  }
}

TEST(S3ErrorMappingTest, CodesMapToActionableStatuses) {
  auto body = [](const std::string& code) {
    return absl::StrCat("<Error><Code>", code, "</Code><Message>m</Message>",
                        "</Error>");
  };
  const std::vector<std::tuple<long, std::string, absl::StatusCode>> cases = {
      {404, body("NoSuchKey"), absl::StatusCode::kNotFound},
      {404, body("NoSuchBucket"), absl::StatusCode::kFailedPrecondition},
      {412, body("PreconditionFailed"), absl::StatusCode::kFailedPrecondition},
      {412, "", absl::StatusCode::kFailedPrecondition},
      {409, body("ConditionalRequestConflict"),
       absl::StatusCode::kFailedPrecondition},
      {301, body("PermanentRedirect"), absl::StatusCode::kFailedPrecondition},
      {403, body("AccessDenied"), absl::StatusCode::kPermissionDenied},
      {403, body("SignatureDoesNotMatch"), absl::StatusCode::kUnauthenticated},
      {403, body("InvalidAccessKeyId"), absl::StatusCode::kUnauthenticated},
      {400, body("ExpiredToken"), absl::StatusCode::kUnauthenticated},
      {403, body("RequestTimeTooSkewed"), absl::StatusCode::kUnauthenticated},
      {400, body("EntityTooLarge"), absl::StatusCode::kInvalidArgument},
      {503, body("SlowDown"), absl::StatusCode::kUnavailable},
      {500, body("InternalError"), absl::StatusCode::kUnavailable},
      {400, body("RequestTimeout"), absl::StatusCode::kUnavailable},
      {502, "<html>bad gateway</html>", absl::StatusCode::kUnavailable},
      {429, "", absl::StatusCode::kUnavailable},
      {404, "", absl::StatusCode::kUnknown},  // not NoSuchKey: never NotFound
      {400, body("SomethingNew"), absl::StatusCode::kUnknown},
  };
  for (const auto& [http, b, want] : cases) {
    absl::Status s = MapS3Error(http, b, "GET s3://b/k");
    EXPECT_EQ(s.code(), want) << http << " " << b;
    EXPECT_TRUE(absl::StartsWith(s.message(), "s3: GET s3://b/k: ")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("(HTTP ", http)))
        << s;
  }
  absl::Status s = MapS3Error(503, body("SlowDown"), "PUT s3://b/k");
  EXPECT_EQ(s.message(), "s3: PUT s3://b/k: SlowDown (HTTP 503): m");
}

// ---- client configuration ----

TEST(S3ClientConfigTest, RefusesBadBucketsEndpointsAndKeys) {
  auto creds = std::make_shared<StaticCredentialSource>(
      AwsCredentials("AKIAEXAMPLE0000001", "secret"));
  auto make = [&](const std::string& bucket, const std::string& endpoint,
                  bool path_style) {
    S3ClientConfig c;
    c.bucket = bucket;
    c.endpoint = endpoint;
    c.path_style = path_style;
    return S3Client::Create(c, creds).status();
  };
  EXPECT_TRUE(make("my-bucket", "", false).ok());
  for (const char* b : {"", "ab", "Upper", "-lead", "trail-", "a..b",
                        "under_score", "sp ace"}) {
    EXPECT_EQ(make(b, "", false).code(), absl::StatusCode::kInvalidArgument)
        << b;
  }
  EXPECT_EQ(make("dotted.bucket", "", false).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(make("dotted.bucket", "", true).ok());
  for (const char* e : {"ftp://x", "http://", "http://h:0", "http://h:99999",
                        "http://user@h", "http://h/path"}) {
    EXPECT_EQ(make("bucket", e, true).code(),
              absl::StatusCode::kInvalidArgument)
        << e;
  }
  S3ClientConfig c;
  c.bucket = "bucket";
  c.endpoint = "http://127.0.0.1:1";
  c.path_style = true;
  std::unique_ptr<S3Client> client = *S3Client::Create(c, creds);
  for (const char* k :
       {"/lead", "a//b", "a/../b", "./a", "a b", "a%20b", "a?b"}) {
    S3Request r;
    r.method = "GET";
    r.key = k;
    EXPECT_EQ(client->Send(r).status().code(),
              absl::StatusCode::kInvalidArgument)
        << k;
  }
  EXPECT_EQ(client->attempts(), 0);  // refused before any I/O
}

// ---- retries and transport ----

TEST(S3ClientRetryTest, ServerErrorsAreRetriedAndReportedWithTheS3Code) {
  kms::testing::ScriptedHttpServer server;
  for (int i = 0; i < 3; ++i) {
    server.Push(503,
                "<Error><Code>SlowDown</Code><Message>Please reduce your "
                "request rate.</Message></Error>");
  }
  S3ClientConfig c;
  c.bucket = "bucket";
  c.endpoint = absl::StrCat("http://127.0.0.1:", server.port());
  c.path_style = true;
  c.retry.max_attempts = 3;
  int sleeps = 0;
  c.sleep = [&sleeps](absl::Duration) { ++sleeps; };
  std::unique_ptr<S3Client> client = *S3Client::Create(
      c, std::make_shared<StaticCredentialSource>(
             AwsCredentials("AKIAEXAMPLE0000001", "secret", "token")));
  absl::Status s = client->GetObject("a/b.blob", 1024).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "SlowDown (HTTP 503)")) << s;
  EXPECT_EQ(client->attempts(), 3);
  EXPECT_EQ(sleeps, 2);
  // Every attempt was signed for s3 over the exact path and payload.
  std::vector<HttpRequest> reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const HttpRequest& r : reqs) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/bucket/a/b.blob");
    EXPECT_EQ(*FindHeader(r.headers, "x-amz-content-sha256"), HexSha256(""));
    EXPECT_EQ(*FindHeader(r.headers, "X-Amz-Security-Token"), "token");
    EXPECT_TRUE(VerifyRequestSignature(r, "secret", "us-east-1", "s3",
                                       absl::Now(), absl::Minutes(5),
                                       /*normalize_path=*/false)
                    .ok());
  }
}

TEST(S3ClientRetryTest, ConnectionRefusedIsUnavailableAfterRetries) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  // Bound but not listening: connections are refused.
  S3ClientConfig c;
  c.bucket = "bucket";
  c.endpoint = absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port));
  c.path_style = true;
  c.retry.max_attempts = 2;
  c.sleep = [](absl::Duration) {};
  std::unique_ptr<S3Client> client =
      *S3Client::Create(c, std::make_shared<StaticCredentialSource>(
                               AwsCredentials("AKIAEXAMPLE0000001", "secret")));
  absl::Status s = client->PutObject("k", "v", {}).status();
  close(fd);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "transport error")) << s;
  EXPECT_EQ(client->attempts(), 2);
}

// ---- against moto, signatures checked ----

class MotoS3ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = MissingMoto();
    if (!skip_.empty()) return;
    absl::StatusOr<std::unique_ptr<MotoServer>> m = MotoServer::Start();
    if (!m.ok()) {
      error_ = m.status().ToString();
      return;
    }
    moto_ = m->release();
    absl::StatusOr<AwsCredentials> full = moto_->CreateUser("writer", "s3:*");
    absl::StatusOr<AwsCredentials> ro =
        moto_->CreateUser("reader", "s3:GetObject");
    absl::Status s = full.ok() ? ro.status() : full.status();
    if (s.ok()) s = moto_->EnableAuth();
    if (s.ok()) s = moto_->CreateBucket("blobs", true, *full);
    if (!s.ok()) {
      error_ = absl::StrCat(s.ToString(), "\n", moto_->LogTail());
      return;
    }
    *creds_ = *full;
    *reader_ = *ro;
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(error_.empty()) << error_;
  }
  std::unique_ptr<S3Client> Client(const AwsCredentials& c) {
    absl::StatusOr<std::unique_ptr<S3Client>> client =
        moto_->Client("blobs", c);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
  static inline std::string skip_;
  static inline std::string error_;
  static inline MotoServer* moto_ = nullptr;
  static inline AwsCredentials* creds_ = new AwsCredentials();
  static inline AwsCredentials* reader_ = new AwsCredentials();
};

TEST_F(MotoS3ClientTest, SignedRequestsWorkAndBadCredentialsAreRefused) {
  std::unique_ptr<S3Client> client = Client(*creds_);
  PutObjectOptions opts;
  opts.headers = {{"x-amz-meta-nitro-test", "42"}};
  absl::StatusOr<PutObjectResult> put =
      client->PutObject("dir/obj", std::string("\0\x01payload", 9), opts);
  ASSERT_TRUE(put.ok()) << put.status() << moto_->LogTail();
  EXPECT_TRUE(ValidateETag(put->etag).ok());
  EXPECT_FALSE(put->version_id.empty());
  absl::StatusOr<S3Object> got = client->GetObject("dir/obj", 1024);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body, std::string("\0\x01payload", 9));
  EXPECT_EQ(got->etag, put->etag);
  EXPECT_EQ(got->version_id, put->version_id);
  EXPECT_EQ(**UniqueHeader(got->headers, "x-amz-meta-nitro-test"), "42");

  // Wrong secret: moto recomputes the signature and refuses it.
  AwsCredentials wrong = *creds_;
  wrong.secret_access_key = "not-the-secret";
  absl::Status s = Client(wrong)->GetObject("dir/obj", 1024).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_TRUE(
      absl::StrContains(s.message(), "SignatureDoesNotMatch (HTTP 403)"))
      << s;
  // Unknown access key.
  s = Client(AwsCredentials("AKIAUNKNOWN000000001", "x"))
          ->PutObject("dir/obj", "x", {})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "InvalidAccessKeyId")) << s;
  // A known user whose policy does not allow PutObject.
  std::unique_ptr<S3Client> reader = Client(*reader_);
  EXPECT_TRUE(reader->GetObject("dir/obj", 1024).ok());
  s = reader->PutObject("dir/obj", "x", {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "AccessDenied")) << s;
  // Nothing was overwritten by the refused requests.
  EXPECT_EQ(client->GetObject("dir/obj", 1024)->version_id, put->version_id);
}

TEST_F(MotoS3ClientTest, ConditionalWritesAndVersions) {
  std::unique_ptr<S3Client> client = Client(*creds_);
  PutObjectOptions create;
  create.if_none_match_any = true;
  absl::StatusOr<PutObjectResult> v1 = client->PutObject("cond", "one", create);
  ASSERT_TRUE(v1.ok()) << v1.status();
  // A second create fails: the object exists.
  absl::Status s = client->PutObject("cond", "two", create).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "PreconditionFailed (HTTP 412)"))
      << s;
  PutObjectOptions update;
  update.if_match = v1->etag;
  absl::StatusOr<PutObjectResult> v2 = client->PutObject("cond", "two", update);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_NE(v2->version_id, v1->version_id);
  // The ETag of version 1 is stale now.
  s = client->PutObject("cond", "three", update).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(client->GetObject("cond", 64)->body, "two");
  // Old versions stay readable; deleting the newest one reverts the object.
  EXPECT_EQ(client->GetObject("cond", 64, v1->version_id)->body, "one");
  ASSERT_TRUE(client->DeleteObject("cond", v2->version_id).ok());
  absl::StatusOr<S3Object> now = client->GetObject("cond", 64);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->body, "one");
  EXPECT_EQ(now->version_id, v1->version_id);
}

TEST_F(MotoS3ClientTest, MissingObjectsBucketsAndOversizedBodies) {
  std::unique_ptr<S3Client> client = Client(*creds_);
  absl::Status s = client->GetObject("nothing/here", 64).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "NoSuchKey (HTTP 404)")) << s;
  absl::StatusOr<std::unique_ptr<S3Client>> other =
      moto_->Client("no-such-bucket", *creds_);
  ASSERT_TRUE(other.ok());
  s = (*other)->GetObject("k", 64).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "NoSuchBucket")) << s;
  ASSERT_TRUE(client->PutObject("big", std::string(4096, 'b'), {}).ok());
  s = client->GetObject("big", 4095).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  EXPECT_EQ(client->GetObject("big", 4096)->body.size(), 4096u);
}

}  // namespace
}  // namespace nitro_tss::aws
