// KmsClient against a scripted local HTTP server: request shape and SigV4
// (checked with the server-side verifier), retries with backoff, error
// mapping, strict response parsing, unix-socket and connect-hook transports.
#include "node/kms/kms_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "node/kms/cms.h"
#include "node/kms/recipient_key.h"
#include "tests/kms/cms_test_util.h"
#include "tests/kms/scripted_http_server.h"

namespace nitro_tss::kms {
namespace {

using testing::ScriptedHttpServer;
using testing::ScriptedResponse;

const char kSecret[] = "test-secret-key";

std::string B64(absl::string_view s) { return absl::Base64Escape(s); }

class KmsClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<KmsClient> MakeClient(KmsClientConfig config = {}) {
    if (config.endpoint.empty()) {
      config.endpoint = absl::StrCat("http://127.0.0.1:", server_.port());
    }
    config.region = "eu-west-1";
    config.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
    absl::StatusOr<std::unique_ptr<KmsClient>> c = KmsClient::Create(
        config, AwsCredentials("AKIDTEST", kSecret, "session-token-1"));
    EXPECT_TRUE(c.ok()) << c.status();
    return *std::move(c);
  }
  ScriptedHttpServer server_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(KmsClientTest, RequestShapeAndSignatureVerify) {
  server_.Push(
      200, R"({"KeyMetadata":{"KeyId":"k1","Arn":"arn:k1",)"
           R"("KeyState":"Enabled","Enabled":true,)"
           R"("KeyUsage":"ENCRYPT_DECRYPT","KeySpec":"SYMMETRIC_DEFAULT"}})");
  auto client = MakeClient();
  absl::StatusOr<DescribeKeyResponse> r = client->DescribeKey({"k1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->arn, "arn:k1");
  EXPECT_TRUE(r->enabled);
  EXPECT_EQ(r->key_state, "Enabled");
  std::vector<HttpRequest> reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const HttpRequest& req = reqs[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/");
  EXPECT_EQ(*FindHeader(req.headers, "X-Amz-Target"),
            "TrentService.DescribeKey");
  EXPECT_EQ(*FindHeader(req.headers, "Content-Type"),
            "application/x-amz-json-1.1");
  EXPECT_EQ(*FindHeader(req.headers, "X-Amz-Security-Token"),
            "session-token-1");
  EXPECT_EQ(req.body, R"({"KeyId":"k1"})");
  EXPECT_TRUE(absl::StrContains(*FindHeader(req.headers, "Authorization"),
                                "/eu-west-1/kms/aws4_request"));
  // The server-side verifier (same code the local KMS uses) accepts it.
  absl::Status v = VerifyRequestSignature(req, kSecret, "eu-west-1", "kms",
                                          absl::Now(), absl::Minutes(5));
  EXPECT_TRUE(v.ok()) << v;
}

TEST_F(KmsClientTest, RecipientIsSentAndResponseShapeEnforced) {
  RecipientKey key = *RecipientKey::Generate();
  std::vector<uint8_t> cms =
      testing::BuildCms(key.pkey(), std::string(32, 'k'));
  std::string cms_b64 = B64(std::string(cms.begin(), cms.end()));
  server_.Push(
      200, absl::StrCat(R"({"KeyId":"k1","CiphertextBlob":")", B64("blob"),
                        R"(","CiphertextForRecipient":")", cms_b64, R"("})"));
  auto client = MakeClient();
  GenerateDataKeyRequest req;
  req.key_id = "k1";
  req.encryption_context = {{"a", "b"}};
  req.recipient = Recipient{{1, 2, 3}};
  absl::StatusOr<GenerateDataKeyResponse> r = client->GenerateDataKey(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->plaintext.empty());
  absl::StatusOr<SecureBytes> dk =
      OpenCiphertextForRecipient(r->ciphertext_for_recipient, key);
  ASSERT_TRUE(dk.ok()) << dk.status();
  EXPECT_EQ(std::string(dk->data(), dk->data() + dk->size()),
            std::string(32, 'k'));
  absl::StatusOr<json::Value> sent = json::Parse(server_.requests()[0].body);
  ASSERT_TRUE(sent.ok());
  const json::Value* rec = sent->Find("Recipient");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(*rec->StringField("KeyEncryptionAlgorithm"), "RSAES_OAEP_SHA_256");
  EXPECT_EQ(*rec->StringField("AttestationDocument"), "AQID");
  EXPECT_EQ(*sent->StringField("KeySpec"), "AES_256");
  EXPECT_EQ(*sent->Find("EncryptionContext")->StringField("a"), "b");

  // A response with a plaintext key despite the Recipient is refused.
  server_.Push(
      200, absl::StrCat(R"({"KeyId":"k1","CiphertextBlob":")", B64("blob"),
                        R"(","Plaintext":")", B64(std::string(32, 'p')),
                        R"(","CiphertextForRecipient":")", cms_b64, R"("})"));
  r = client->GenerateDataKey(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "despite a Recipient"));

  // A Recipient request answered without CiphertextForRecipient is refused.
  server_.Push(200, absl::StrCat(R"({"KeyId":"k1","CiphertextBlob":")",
                                 B64("blob"), R"("})"));
  r = client->GenerateDataKey(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "GenerateDataKey response lacks "
                                "CiphertextForRecipient"))
      << r.status();
}

TEST_F(KmsClientTest, RetriesThrottlingAnd5xxWithBackoffThenSucceeds) {
  server_.Push(400, R"({"__type":"ThrottlingException","message":"slow"})");
  server_.Push(429, "");
  server_.Push(503, "oops");
  server_.Push(200, absl::StrCat(R"({"Plaintext":")", B64(std::string(16, 'r')),
                                 R"("})"));
  KmsClientConfig config;
  config.retry.max_attempts = 4;
  config.retry.initial_backoff = absl::Milliseconds(100);
  config.retry.max_backoff = absl::Milliseconds(250);
  auto client = MakeClient(config);
  absl::StatusOr<GenerateRandomResponse> r = client->GenerateRandom({16, {}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->plaintext.size(), 16u);
  EXPECT_EQ(client->attempts(), 4);
  ASSERT_EQ(sleeps_.size(), 3u);
  // Full jitter within the exponential cap: 100ms, 200ms, 250ms (capped).
  EXPECT_LE(sleeps_[0], absl::Milliseconds(100));
  EXPECT_LE(sleeps_[1], absl::Milliseconds(200));
  EXPECT_LE(sleeps_[2], absl::Milliseconds(250));
  // Each attempt was signed afresh and verifies.
  for (const HttpRequest& req : server_.requests()) {
    EXPECT_TRUE(VerifyRequestSignature(req, kSecret, "eu-west-1", "kms",
                                       absl::Now(), absl::Minutes(5))
                    .ok());
  }
}

TEST_F(KmsClientTest, GivesUpAfterMaxAttempts) {
  for (int i = 0; i < 3; ++i) {
    server_.Push(500, R"({"__type":"KMSInternalException","message":"x"})");
  }
  KmsClientConfig config;
  config.retry.max_attempts = 3;
  auto client = MakeClient(config);
  absl::Status s = client->GenerateRandom({8, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(s.message(), "KMSInternalException")) << s;
  EXPECT_EQ(client->attempts(), 3);
}

TEST_F(KmsClientTest, DoesNotRetryClientErrors) {
  server_.Push(400, R"({"__type":"AccessDeniedException",)"
                    R"("message":"not allowed by key policy"})");
  auto client = MakeClient();
  absl::Status s = client->DescribeKey({"k"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(s.message(), "not allowed by key policy"));
  EXPECT_EQ(client->attempts(), 1);
}

TEST(KmsErrorMapping, MapsAwsErrorTypes) {
  struct Case {
    long http;
    const char* body;
    absl::StatusCode code;
  } cases[] = {
      {400, R"({"__type":"AccessDeniedException","message":"m"})",
       absl::StatusCode::kPermissionDenied},
      {400, R"({"__type":"com.amazonaws.kms#NotFoundException","Message":"m"})",
       absl::StatusCode::kNotFound},
      {400, R"({"__type":"InvalidCiphertextException"})",
       absl::StatusCode::kDataLoss},
      {400, R"({"__type":"IncorrectKeyException"})",
       absl::StatusCode::kDataLoss},
      {400, R"({"__type":"ValidationException"})",
       absl::StatusCode::kInvalidArgument},
      {400, R"({"__type":"DisabledException"})",
       absl::StatusCode::kFailedPrecondition},
      {400, R"({"__type":"KMSInvalidStateException"})",
       absl::StatusCode::kFailedPrecondition},
      {400, R"({"__type":"ThrottlingException"})",
       absl::StatusCode::kResourceExhausted},
      {400, R"({"__type":"UnrecognizedClientException"})",
       absl::StatusCode::kUnauthenticated},
      {403, R"({"__type":"InvalidSignatureException"})",
       absl::StatusCode::kUnauthenticated},
      {500, R"({"__type":"KMSInternalException"})",
       absl::StatusCode::kUnavailable},
      {429, "", absl::StatusCode::kResourceExhausted},
      {502, "<html>", absl::StatusCode::kUnavailable},
      {418, "{}", absl::StatusCode::kUnknown},
  };
  for (const Case& c : cases) {
    absl::Status s = MapKmsError(c.http, c.body);
    EXPECT_EQ(s.code(), c.code) << c.body << " -> " << s;
  }
  absl::Status s = MapKmsError(
      400,
      R"({"__type":"NotFoundException","message":"Key 'x' does not exist"})");
  EXPECT_TRUE(absl::StrContains(s.message(), "Key 'x' does not exist")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "NotFoundException")) << s;
}

TEST(KmsErrorBody, ParsesAwsErrorShapes) {
  struct Case {
    const char* body;
    const char* type;
    const char* message;
  } cases[] = {
      {R"({"__type":"AccessDeniedException","message":"m"})",
       "AccessDeniedException", "m"},
      {R"({"__type":"com.amazonaws.kms#NotFoundException","Message":"M"})",
       "NotFoundException", "M"},
      {R"({"__type":"NotFoundException:http://internal.amazon.com/x/"})",
       "NotFoundException", ""},
      {R"({"__type":"a.b-c_d#X1:s","extra":[1,{"k":null}],"message":"x"})",
       "X1", "x"},
      {R"({"__type":"E","message":"a\nb\u0000c\u007f"})", "E", "a?b?c?"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KmsErrorBody> e = ParseKmsErrorBody(c.body);
    ASSERT_TRUE(e.ok()) << c.body << " -> " << e.status();
    EXPECT_EQ(e->type, c.type) << c.body;
    EXPECT_EQ(e->message, c.message) << c.body;
  }
  // The kept message is bounded.
  absl::StatusOr<KmsErrorBody> e = ParseKmsErrorBody(absl::StrCat(
      R"({"__type":"E","message":")", std::string(5000, 'm'), R"("})"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->message.size(), kMaxKmsErrorMessageBytes);
}

TEST(KmsErrorBody, RejectsEveryMalformedAnswer) {
  const std::string long_name(129, 'A');
  const std::string long_type =
      absl::StrCat("ns#E:", std::string(kMaxKmsErrorTypeBytes, 's'));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "error answer"},
      {"<html>503</html>", "error answer"},
      {"[]", "not a JSON object"},
      {"{}", "no __type"},
      {R"({"message":"m"})", "no __type"},
      {R"({"__type":5})", "not a string"},
      {R"({"__type":null})", "not a string"},
      {R"({"__type":""})", "empty or too long"},
      {absl::StrCat(R"({"__type":")", long_type, R"("})"), "empty or too long"},
      {absl::StrCat(R"({"__type":")", long_name, R"("})"), "1..128"},
      {R"({"__type":"ns#"})", "1..128"},
      {R"({"__type":":suffix"})", "1..128"},
      {R"({"__type":"1Exception"})", "start with a letter"},
      {R"({"__type":"Access Denied"})", "not alphanumeric"},
      {R"({"__type":"Access\u00e9Denied"})", "not alphanumeric"},
      {R"({"__type":"a#b#C"})", "not alphanumeric"},
      {R"({"__type":"n s#C"})", "namespace"},
      {R"({"__type":"C:a b"})", "not printable"},
      {R"({"__type":"C:a\u0001"})", "not printable"},
      {R"({"__type":"E","message":1})", "message is not a string"},
      {R"({"__type":"E","Message":["m"]})", "message is not a string"},
      {R"({"__type":"E","message":"a","Message":"b"})", "both"},
      {R"({"__type":"E","__type":"F"})", "duplicate"},
      {R"({"__type":"E","x":[[[[1]]]]})", "nesting deeper"},
      {absl::StrCat(R"({"__type":"E","message":")",
                    std::string(kMaxKmsErrorBodyBytes, 'm'), R"("})"),
       "error answer"},
  };
  for (const auto& [body, expected] : bad) {
    absl::Status s = ParseKmsErrorBody(body).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_TRUE(absl::StrContains(s.message(), expected))
        << body.substr(0, 80) << " -> " << s;
  }
}

TEST(KmsErrorMapping, CarriesTheAwsTypeAndTellsRetryFromFail) {
  struct Case {
    long http;
    std::string body;
    absl::StatusCode code;
    std::optional<std::string> type;
    bool retryable;
  } cases[] = {
      {400, R"({"__type":"AccessDeniedException","message":"m"})",
       absl::StatusCode::kPermissionDenied, "AccessDeniedException", false},
      {400, R"({"__type":"com.amazonaws.kms#InvalidCiphertextException"})",
       absl::StatusCode::kDataLoss, "InvalidCiphertextException", false},
      {400, R"({"__type":"ThrottlingException","message":"slow down"})",
       absl::StatusCode::kResourceExhausted, "ThrottlingException", true},
      {500, R"({"__type":"KMSInternalException"})",
       absl::StatusCode::kUnavailable, "KMSInternalException", true},
      {400, R"({"__type":"KeyUnavailableException"})",
       absl::StatusCode::kUnavailable, "KeyUnavailableException", true},
      {400, R"({"__type":"AlreadyExistsException"})",
       absl::StatusCode::kAlreadyExists, "AlreadyExistsException", false},
      {400, R"({"__type":"UnknownOperationException"})",
       absl::StatusCode::kUnimplemented, "UnknownOperationException", false},
      {400, R"({"__type":"MalformedPolicyDocumentException"})",
       absl::StatusCode::kInvalidArgument, "MalformedPolicyDocumentException",
       false},
      // A type we do not know keeps its payload; the HTTP status decides.
      {400, R"({"__type":"NewFangledException"})", absl::StatusCode::kUnknown,
       "NewFangledException", false},
      {503, R"({"__type":"NewFangledException"})",
       absl::StatusCode::kUnavailable, "NewFangledException", true},
      // No well-formed error body: no payload; the HTTP status decides.
      {429, "", absl::StatusCode::kResourceExhausted, std::nullopt, true},
      {502, "<html>", absl::StatusCode::kUnavailable, std::nullopt, true},
      {400, R"({"__type":"Access Denied"})", absl::StatusCode::kUnknown,
       std::nullopt, false},
      {400, R"({"__type":"AccessDeniedException","message":7})",
       absl::StatusCode::kUnknown, std::nullopt, false},
  };
  for (const Case& c : cases) {
    absl::Status s = MapKmsError(c.http, c.body);
    EXPECT_EQ(s.code(), c.code) << c.body << " -> " << s;
    EXPECT_EQ(AwsErrorTypeOf(s), c.type) << c.body << " -> " << s;
    EXPECT_EQ(IsRetryableKmsError(s), c.retryable) << c.body << " -> " << s;
  }
  EXPECT_FALSE(IsRetryableKmsError(absl::OkStatus()));
}

TEST_F(KmsClientTest, ErrorsKeepTheAwsTypeThroughRetries) {
  for (int i = 0; i < 2; ++i) {
    server_.Push(400, R"({"__type":"ThrottlingException","message":"slow"})");
  }
  KmsClientConfig config;
  config.retry.max_attempts = 2;
  auto client = MakeClient(config);
  absl::Status s = client->GenerateRandom({8, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(AwsErrorTypeOf(s), "ThrottlingException") << s;
  EXPECT_TRUE(IsRetryableKmsError(s));
  EXPECT_TRUE(absl::StartsWith(s.message(), "GenerateRandom: kms: ")) << s;
  EXPECT_EQ(client->attempts(), 2);

  server_.Push(400, R"({"__type":"InvalidCiphertextException"})");
  s = client->Decrypt({{1, 2, 3}, "", {}, std::nullopt}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_EQ(AwsErrorTypeOf(s), "InvalidCiphertextException") << s;
  EXPECT_FALSE(IsRetryableKmsError(s));
  EXPECT_EQ(client->attempts(), 3);
}

TEST(KmsClientTransport, ConnectionRefusedIsRetryableWithoutAwsType) {
  // A loopback port that was free a moment ago: nothing listens on it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  KmsClientConfig c;
  c.endpoint = absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port));
  c.retry.max_attempts = 2;
  c.sleep = [](absl::Duration) {};
  auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
  absl::Status s = client->GenerateRandom({4, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_FALSE(AwsErrorTypeOf(s).has_value()) << s;
  EXPECT_TRUE(IsRetryableKmsError(s));
  EXPECT_EQ(client->attempts(), 2);
}

TEST(StrictBase64, RejectsEveryDeviation) {
  EXPECT_EQ(*StrictBase64Decode("AQID", "f", 1, 10),
            std::vector<uint8_t>({1, 2, 3}));
  EXPECT_EQ(*StrictBase64Decode("AQI=", "f", 1, 10),
            std::vector<uint8_t>({1, 2}));
  for (const char* bad : {"AQI", "AQ=D", "AQ I", "AQ\nI",
                          "A===", "AQJ=", "AQ==AQ==", "AQ-_", "****"}) {
    absl::Status s = StrictBase64Decode(bad, "f", 0, 10).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StrContains(s.message(), "'f'")) << s;
  }
  EXPECT_FALSE(StrictBase64Decode("AQID", "f", 4, 10).ok());
  EXPECT_FALSE(StrictBase64Decode("AQIDBA==", "f", 1, 3).ok());
}

TEST_F(KmsClientTest, MalformedSuccessResponsesAreRejected) {
  auto client = MakeClient();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "response"},
      {"[]", "not a JSON object"},
      {R"({"Plaintext":42})", "must be a string"},
      {R"({"Plaintext":"AQI"})", "multiple of 4"},
      {R"({"Plaintext":"AQID"})", "GenerateRandom returned 3 bytes"},
      {R"({"Plaintext":"AQIDBA==","Plaintext":"AQIDBA=="})", "duplicate"},
      {"{}", "lacks Plaintext"},
  };
  for (const auto& [body, expected] : bad) {
    server_.Push(200, body);
    absl::Status s = client->GenerateRandom({4, {}}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_TRUE(absl::StrContains(s.message(), expected))
        << body << " -> " << s;
  }
  // Oversized response body.
  server_.Push(200, std::string(kMaxKmsResponseBytes + 10, ' '));
  absl::Status s = client->GenerateRandom({4, {}}).status();
  EXPECT_TRUE(absl::StrContains(s.message(), "exceeds")) << s;
}

TEST_F(KmsClientTest, ValidatesRequestsLocally) {
  auto client = MakeClient();
  EXPECT_EQ(client->GenerateRandom({0, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->GenerateRandom({1025, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  GenerateDataKeyRequest g;
  g.key_id = "k";
  g.number_of_bytes = 32;  // together with the default KeySpec
  EXPECT_EQ(client->GenerateDataKey(g).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Decrypt({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Encrypt({"k", {}, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->attempts(), 0);
}

TEST(KmsClientConfigTest, EndpointValidationAndDefaults) {
  AwsCredentials creds("a", "b");
  KmsClientConfig c;
  c.region = "ap-south-1";
  auto client = KmsClient::Create(c, creds);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->url(), "https://kms.ap-south-1.amazonaws.com/");
  c.endpoint = "http://localhost:8080/";
  EXPECT_EQ((*KmsClient::Create(c, creds))->host(), "localhost:8080");
  c.endpoint = "https://kms.local:443";
  EXPECT_EQ((*KmsClient::Create(c, creds))->host(), "kms.local");
  for (const char* bad : {"ftp://x", "http://", "http://a/b", "http://u@h",
                          "http://h:0", "http://h:99999", "kms.local"}) {
    c.endpoint = bad;
    EXPECT_EQ(KmsClient::Create(c, creds).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  c.endpoint = "";
  c.region = "";
  EXPECT_FALSE(KmsClient::Create(c, creds).ok());
}

TEST(KmsClientTransport, UnixSocket) {
  std::string path =
      absl::StrCat(::testing::TempDir(), "/kms-", getpid(), ".sock");
  ScriptedHttpServer server(path);
  server.Push(200, absl::StrCat(R"({"Plaintext":")", B64("abcd"), R"("})"));
  KmsClientConfig c;
  c.endpoint = "http://kms.local";
  c.unix_socket_path = path;
  auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
  absl::StatusOr<GenerateRandomResponse> r = client->GenerateRandom({4, {}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*FindHeader(server.requests()[0].headers, "Host"), "kms.local");
}

TEST(KmsClientTransport, ConnectHookIsUsedForEveryConnection) {
  ScriptedHttpServer server;
  server.Push(503, "");
  server.Push(200, absl::StrCat(R"({"Plaintext":")", B64("abcd"), R"("})"));
  std::atomic<int> hook_calls{0};
  const int port = server.port();
  KmsClientConfig c;
  // The URL names a port nothing listens on: only the hook reaches the
  // server (as AF_VSOCK would reach the parent's proxy).
  c.endpoint = "http://kms.us-east-1.amazonaws.com:1";
  c.sleep = [](absl::Duration) {};
  c.connect_hook = [&hook_calls, port]() {
    ++hook_calls;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  };
  auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
  absl::StatusOr<GenerateRandomResponse> r = client->GenerateRandom({4, {}});
  ASSERT_TRUE(r.ok()) << r.status() << " hook=" << hook_calls
                      << " reqs=" << server.requests().size();
  EXPECT_EQ(hook_calls.load(), 2);
  EXPECT_EQ(*FindHeader(server.requests()[0].headers, "Host"),
            "kms.us-east-1.amazonaws.com:1");
}

TEST(KmsClientTransport, FailingHookIsUnavailable) {
  KmsClientConfig c;
  c.endpoint = "https://kms.us-east-1.amazonaws.com";
  c.retry.max_attempts = 2;
  c.sleep = [](absl::Duration) {};
  c.connect_hook = [] { return ConnectVsock(3, 8000); };  // no vsock here
  auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
  absl::Status s = client->GenerateRandom({4, {}}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(client->attempts(), 2);
}

}  // namespace
}  // namespace nitro_tss::kms

namespace nitro_tss::kms {
namespace {

// A self-signed server certificate for `dns_name` and its key, as an SSL_CTX;
// the certificate PEM is written to `ca_path` for the client to trust.
SSL_CTX* MakeTlsServer(const std::string& dns_name,
                       const std::string& ca_path) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, pkey);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  const std::string san = "DNS:" + dns_name;
  X509_EXTENSION* ext =
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_basic_constraints, "CA:TRUE");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(cert, pkey, EVP_sha256());
  FILE* f = std::fopen(ca_path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, pkey);
  X509_free(cert);
  EVP_PKEY_free(pkey);
  return ctx;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(KmsClientTransport, HttpsThroughConnectHookVerifiesTheServer) {
  const std::string dir = ::testing::TempDir();
  const std::string ca = absl::StrCat(dir, "/kms-tls-ca-", getpid(), ".pem");
  const std::string other_ca =
      absl::StrCat(dir, "/kms-tls-other-", getpid(), ".pem");
  SSL_CTX* tls = MakeTlsServer("kms.enclave.test", ca);
  SSL_CTX* unused = MakeTlsServer("kms.enclave.test", other_ca);
  {
    ScriptedHttpServer server("", tls);
    const int port = server.port();
    server.Push(200, absl::StrCat(R"({"Plaintext":")", B64("abcd"), R"("})"));
    KmsClientConfig c;
    // Name only resolvable through the hook (no DNS inside an enclave).
    c.endpoint = absl::StrCat("https://kms.enclave.test:", port);
    c.ca_file = ca;
    c.retry.max_attempts = 1;
    c.connect_hook = [port] { return ConnectLoopback(port); };
    auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
    absl::StatusOr<GenerateRandomResponse> r = client->GenerateRandom({4, {}});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->plaintext.size(), 4u);
    ASSERT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(*FindHeader(server.requests()[0].headers, "Host"),
              absl::StrCat("kms.enclave.test:", port));

    // A client that trusts another CA refuses the server (TLS ends in the
    // client: the relay cannot impersonate KMS).
    c.ca_file = other_ca;
    auto distrusting = *KmsClient::Create(c, AwsCredentials("a", "b"));
    absl::Status s = distrusting->GenerateRandom({4, {}}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "certificate")) << s;
  }
  SSL_CTX_free(tls);
  SSL_CTX_free(unused);
  std::remove(ca.c_str());
  std::remove(other_ca.c_str());
}

// R10 (docs/AUDIT.md): the enclave's KMS destination is pinned. TLS ends in
// the client and checks the endpoint's host name, so a relay (the parent's
// proxy) that sends the connection elsewhere is refused even when the other
// server's certificate chains to a trusted CA.
TEST(KmsClientTransport, HttpsRefusesACertificateForAnotherHostName) {
  const std::string dir = ::testing::TempDir();
  const std::string ca = absl::StrCat(dir, "/kms-tls-name-", getpid(), ".pem");
  // A certificate the client trusts, but for another name.
  SSL_CTX* tls = MakeTlsServer("kms.attacker.example", ca);
  {
    ScriptedHttpServer server("", tls);
    const int port = server.port();
    for (int i = 0; i < 2; ++i) {
      server.Push(200, absl::StrCat(R"({"Plaintext":")", B64("abcd"), R"("})"));
    }
    KmsClientConfig c;
    c.endpoint = "https://kms.us-east-1.amazonaws.com";
    c.ca_file = ca;
    c.retry.max_attempts = 1;
    c.connect_hook = [port] { return ConnectLoopback(port); };
    auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
    absl::Status s = client->GenerateRandom({4, {}}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "kms.us-east-1.amazonaws.com"))
        << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "name")) << s;

    // The same server under its own name is accepted: only the name
    // differed.
    c.endpoint = absl::StrCat("https://kms.attacker.example:", port);
    auto named = *KmsClient::Create(c, AwsCredentials("a", "b"));
    absl::Status ok = named->GenerateRandom({4, {}}).status();
    EXPECT_TRUE(ok.ok()) << ok;
  }
  SSL_CTX_free(tls);
  std::remove(ca.c_str());
}

TEST(KmsClientTransport, ARedirectIsNeverFollowed) {
  ScriptedHttpServer elsewhere;
  elsewhere.Push(200, absl::StrCat(R"({"Plaintext":")", B64("abcd"), R"("})"));
  ScriptedHttpServer server;
  for (int status : {301, 302, 307, 308}) {
    server.Push(ScriptedResponse{status, "",
                                 absl::StrCat("Location: http://127.0.0.1:",
                                              elsewhere.port(), "/\r\n")});
  }
  KmsClientConfig c;
  c.endpoint = absl::StrCat("http://127.0.0.1:", server.port());
  c.retry.max_attempts = 3;
  c.sleep = [](absl::Duration) {};
  auto client = *KmsClient::Create(c, AwsCredentials("a", "b"));
  for (int status : {301, 302, 307, 308}) {
    absl::Status s = client->GenerateRandom({4, {}}).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  absl::StrCat("HTTP ", status, " redirect")))
        << s;
  }
  // One attempt each (not retried), and nothing went elsewhere.
  EXPECT_EQ(client->attempts(), 4);
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_TRUE(elsewhere.requests().empty());
}

}  // namespace
}  // namespace nitro_tss::kms
