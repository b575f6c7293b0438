// tss-host's credential sources as a real process: IMDSv2 against a small
// instance-metadata server (tests/node/host/fake_imds.py, python3's
// http.server, on an ephemeral loopback port) that enforces the session
// token, and the environment source; the enclave's view is the host
// service's GetCredentials over its unix socket. Configuration errors name
// their field.
#include <curl/curl.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/json.h"
#include "common/proto_config.h"
#include "nitro_tss/host/v1/host.grpc.pb.h"
#include "node/host/setup.h"
#include "node/vsock/grpc_fd.h"
#include "tests/node/cluster/child_process.h"

namespace nitro_tss::testing {
namespace {

namespace hv1 = ::nitro_tss::host::v1;

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

size_t Append(char* ptr, size_t size, size_t nmemb, void* out) {
  static_cast<std::string*>(out)->append(ptr, size * nmemb);
  return size * nmemb;
}

// One plain HTTP request; the status (0 on a transport error).
long Http(const std::string& method, const std::string& url,
          const std::string& body, std::string* response) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(curl);
  return status;
}

std::string SourceDir() {
  const char* d = std::getenv("NITRO_TSS_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

// tests/node/host/fake_imds.py on an ephemeral port (it prints the port once
// it listens), killed by the destructor or, should the test die first, by
// PR_SET_PDEATHSIG.
class FakeImds {
 public:
  static absl::StatusOr<std::unique_ptr<FakeImds>> Start() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
    const std::string script = SourceDir() + "/tests/node/host/fake_imds.py";
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(fds[1], 1);
      execlp("python3", "python3", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::unique_ptr<FakeImds> imds(new FakeImds());
    imds->pid_ = pid;
    std::string out;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (out.find('\n') == std::string::npos) {
      const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
      pollfd p{fds[0], POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[256];
      const ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    if (!absl::StartsWith(out, "listening on ") ||
        !absl::SimpleAtoi(absl::StripSuffix(out.substr(13), "\n"),
                          &imds->port_)) {
      return absl::InternalError(
          absl::StrCat("fake IMDS did not start: '", out, "'"));
    }
    return imds;
  }
  ~FakeImds() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::string endpoint() const {
    return absl::StrCat("http://127.0.0.1:", port_);
  }
  void Configure(const std::string& mode, int expires_in = 21600) {
    std::string out;
    ASSERT_EQ(Http("POST", endpoint() + "/_test/config",
                   absl::StrCat(R"({"mode":")", mode, R"(","expires_in":)",
                                expires_in, "}"),
                   &out),
              200);
  }
  // {"token_puts", "credential_gets", "unauthorized"}.
  int64_t Stat(const std::string& name) const {
    std::string out;
    if (Http("GET", endpoint() + "/_test/stats", "", &out) != 200) return -1;
    auto doc = json::Parse(out);
    if (!doc.ok() || doc->Find(name) == nullptr) return -1;
    return doc->Find(name)->AsInt();
  }

 private:
  FakeImds() = default;
  pid_t pid_ = -1;
  int port_ = 0;
};

class TssHostCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto imds = FakeImds::Start();
    ASSERT_TRUE(imds.ok()) << imds.status();
    imds_ = *std::move(imds);
  }
  void TearDown() override {
    if (host_ && HasFailure()) {
      std::cerr << "tss-host log:\n" << host_->Log() << "\n";
    }
    StopHost();
  }
  // Closes the client first: an open channel holds the server's graceful
  // shutdown until its deadline.
  void StopHost() {
    stub_.reset();
    if (host_) host_->Stop(absl::Seconds(5));
    host_.reset();
  }
  std::string Path(const std::string& name) const {
    return dir_.path() + "/" + name;
  }
  std::string Config(const std::string& credentials) const {
    return absl::StrCat(
        "enclave_service_listen: ", Quote("unix://" + Path("host.sock")),
        "\nblob_store { local { dir: ", Quote(Path("disk")),
        " } }\ncredentials { ", credentials, " }\n");
  }
  std::string ImdsConfig(const std::string& extra = "") const {
    return Config(absl::StrCat("imds { endpoint: ", Quote(imds_->endpoint()),
                               " ", extra, " }"));
  }
  void StartHost(const std::string& config) {
    WriteFile(Path("host.conf"), config);
    auto p = ChildProcess::Start(
        {BinaryDir() + "/node/host/tss-host", "--config", Path("host.conf"),
         "--ready-file", Path("host.ready")},
        Path("host.log"), Path("host.ready"), absl::Seconds(30));
    ASSERT_TRUE(p.ok()) << p.status();
    host_ = *std::move(p);
    auto channel = vsock::DialGrpc(
        vsock::SocketAddress::Unix(Path("host.sock")), absl::Seconds(5));
    ASSERT_TRUE(channel.ok()) << channel.status();
    stub_ = hv1::Host::NewStub(*channel);
  }
  // What the enclave asks its host for.
  grpc::Status GetCredentials(hv1::GetCredentialsResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(20));
    return stub_->GetCredentials(&ctx, hv1::GetCredentialsRequest(), resp);
  }
  std::string KeyId() {
    hv1::GetCredentialsResponse resp;
    grpc::Status s = GetCredentials(&resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.access_key_id();
  }

  TempDir dir_;
  std::unique_ptr<FakeImds> imds_;
  std::unique_ptr<ChildProcess> host_;
  std::unique_ptr<hv1::Host::Stub> stub_;
};

TEST_F(TssHostCredentialsTest, ImdsTokenFlowThenCachedCredentials) {
  // The fake enforces IMDSv2: no session token, no credentials.
  std::string out;
  EXPECT_EQ(
      Http("GET",
           imds_->endpoint() + "/latest/meta-data/iam/security-credentials/",
           "", &out),
      401);
  ASSERT_NO_FATAL_FAILURE(StartHost(ImdsConfig()));
  // Asked once at start (logged), with a token: PUT, then the role, then
  // the document.
  EXPECT_TRUE(absl::StrContains(host_->Log(), R"("event":"credentials")"));
  EXPECT_TRUE(absl::StrContains(host_->Log(), R"("source":"imds")"));
  EXPECT_EQ(imds_->Stat("token_puts"), 1);
  EXPECT_EQ(imds_->Stat("credential_gets"), 1);
  hv1::GetCredentialsResponse resp;
  grpc::Status s = GetCredentials(&resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.access_key_id(), "ASIAFAKEIMDS00000001");
  EXPECT_EQ(resp.secret_access_key(), "fake/imds/secret/00000001");
  EXPECT_EQ(resp.session_token(), "FakeImdsSessionToken00000001==");
  // The expiry travels to the enclave (6 h from now, to the second).
  const int64_t in_6h = absl::ToUnixMillis(absl::Now() + absl::Hours(6));
  EXPECT_NEAR(static_cast<double>(resp.expiration_unix_ms()),
              static_cast<double>(in_6h), 120000.0);
  // Cached: IMDS is not asked again.
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000001");
  EXPECT_EQ(imds_->Stat("credential_gets"), 1);
  EXPECT_EQ(imds_->Stat("token_puts"), 1);
  EXPECT_EQ(imds_->Stat("unauthorized"), 1);  // only the probe above
}

TEST_F(TssHostCredentialsTest, ImdsCredentialsAreRefreshedBeforeTheyExpire) {
  // Valid for 120 s: inside the 300 s refresh window from the start, so
  // every request refreshes them (with the same session token).
  imds_->Configure("ok", 120);
  ASSERT_NO_FATAL_FAILURE(StartHost(ImdsConfig()));
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000002");
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000003");
  EXPECT_EQ(imds_->Stat("token_puts"), 1);
  // Longer-lived ones are kept until their own refresh window.
  imds_->Configure("ok", 3600);
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000004");
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000004");
  EXPECT_EQ(imds_->Stat("credential_gets"), 4);
  // With the window configured shorter than their life, 120 s ones are
  // cached too.
  StopHost();
  imds_->Configure("ok", 120);
  ASSERT_NO_FATAL_FAILURE(StartHost(ImdsConfig("refresh_before_expiry_s: 60")));
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000005");
  EXPECT_EQ(KeyId(), "ASIAFAKEIMDS00000005");
}

TEST_F(TssHostCredentialsTest, ImdsFailuresReachTheEnclaveWithActionableCodes) {
  struct Case {
    std::string mode;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"deny_token", grpc::StatusCode::PERMISSION_DENIED,
       "token request refused"},
      {"bad_json", grpc::StatusCode::INVALID_ARGUMENT, "imds"},
      {"expired", grpc::StatusCode::UNAUTHENTICATED, "already expired"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    imds_->Configure(c.mode);
    ASSERT_NO_FATAL_FAILURE(StartHost(ImdsConfig()));
    // Not fatal at start: a warning naming the source, and the host serves.
    EXPECT_TRUE(absl::StrContains(host_->Log(),
                                  R"("level":"warn","event":"credentials")"))
        << host_->Log();
    hv1::GetCredentialsResponse resp;
    grpc::Status s = GetCredentials(&resp);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), c.message))
        << s.error_message();
    EXPECT_TRUE(resp.access_key_id().empty());
    // IMDS recovers: the next request succeeds without a restart.
    imds_->Configure("ok");
    EXPECT_TRUE(absl::StartsWith(KeyId(), "ASIAFAKEIMDS"));
    StopHost();
  }
}

TEST_F(TssHostCredentialsTest, EnvironmentSource) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0001", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  setenv("AWS_SESSION_TOKEN", "env-token", 1);
  ASSERT_NO_FATAL_FAILURE(StartHost(Config("environment {}")));
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  hv1::GetCredentialsResponse resp;
  grpc::Status s = GetCredentials(&resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.access_key_id(), "AKIAENVIRONMENT0001");
  EXPECT_EQ(resp.session_token(), "env-token");
  EXPECT_EQ(resp.expiration_unix_ms(), 0);  // not known: does not expire
}

TEST(HostCredentialsConfig, ErrorsNameTheField) {
  auto parse = [](const std::string& credentials) {
    host::HostConfig c;
    absl::Status s = ::nitro_tss::config::ParseProtoConfig(
        absl::StrCat("enclave_service_listen: \"unix:///tmp/h.sock\"\n",
                     "blob_store { local { dir: \"/tmp/d\" } }\n", credentials),
        "test", &c);
    EXPECT_TRUE(s.ok()) << s;
    return host::ValidateHostConfig(c);
  };
  struct Case {
    std::string credentials;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"", "credentials"},
      {"credentials { file: \"\" }", "credentials.file"},
      {"credentials { imds { endpoint: \"https://169.254.169.254\" } }",
       "credentials.imds.endpoint"},
      {"credentials { imds { endpoint: \"http://169.254.169.254/latest\" } }",
       "credentials.imds.endpoint"},
      {"credentials { imds { role: \"no spaces allowed\" } }",
       "credentials.imds.role"},
      {"credentials { imds { refresh_before_expiry_s: 5 } }",
       "credentials.imds.refresh_before_expiry_s"},
      {"credentials { imds { timeout_ms: 70000 } }",
       "credentials.imds.timeout_ms"},
      {"credentials { imds { token_ttl_s: 21601 } }",
       "credentials.imds.token_ttl_s"},
  };
  for (const Case& c : cases) {
    absl::Status s = parse(c.credentials);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.credentials;
    EXPECT_TRUE(absl::StartsWith(s.message(), c.field + ": "))
        << c.credentials << " -> " << s;
  }
  for (const char* good :
       {"credentials { imds {} }", "credentials { environment {} }",
        "credentials { imds { endpoint: \"http://169.254.169.254\" role: "
        "\"parent\" refresh_before_expiry_s: 900 timeout_ms: 1000 "
        "token_ttl_s: 3600 } }"}) {
    absl::Status s = parse(good);
    EXPECT_TRUE(s.ok()) << good << " -> " << s;
  }
}

}  // namespace
}  // namespace nitro_tss::testing
