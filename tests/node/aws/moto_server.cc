#include "tests/node/aws/moto_server.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace nitro_tss::aws::testing {
namespace {

constexpr size_t kLogTailBytes = 16 * 1024;

size_t Append(char* ptr, size_t size, size_t nmemb, void* out) {
  static_cast<std::string*>(out)->append(ptr, size * nmemb);
  return size * nmemb;
}

// Plain HTTP exchange with libcurl (no signing); returns the status.
absl::StatusOr<long> Http(const std::string& method, const std::string& url,
                          const std::vector<std::string>& headers,
                          const std::string& body, std::string* response) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init");
  curl_slist* list = nullptr;
  for (const std::string& h : headers)
    list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(url, ": ", curl_easy_strerror(rc)));
  }
  return status;
}

std::string Between(const std::string& s, const std::string& open,
                    const std::string& close) {
  const size_t a = s.find(open);
  if (a == std::string::npos) return "";
  const size_t b = s.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return s.substr(a + open.size(), b - a - open.size());
}

}  // namespace

std::string MissingMoto() {
  if (std::system("python3 -c 'import moto.server' >/dev/null 2>&1") != 0) {
    return "python3 cannot import moto.server (moto comes from the machine "
           "image's pip; Debian 12 has no python3-moto and PyPI is not "
           "reachable)";
  }
  return "";
}

absl::StatusOr<std::unique_ptr<MotoServer>> MotoServer::Start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
  const pid_t parent = getpid();
  std::vector<std::string> args = {
      "python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError("fork");
  }
  if (pid == 0) {
    // Die with the test process, whatever kills it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execvp("python3", argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::unique_ptr<MotoServer> server(new MotoServer());
  server->pid_ = pid;
  server->out_fd_ = fds[0];
  // Wait for werkzeug's " * Running on http://127.0.0.1:<port>" line
  // (printed after the socket listens).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::string out;
  const std::string marker = "Running on http://127.0.0.1:";
  while (true) {
    const size_t at = out.find(marker);
    if (at != std::string::npos) {
      const size_t eol = out.find('\n', at);
      if (eol != std::string::npos) {
        absl::string_view digits(out.data() + at + marker.size(),
                                 eol - at - marker.size());
        digits = absl::StripAsciiWhitespace(digits);
        if (!absl::SimpleAtoi(digits, &server->port_) || server->port_ <= 0) {
          return absl::InternalError(
              absl::StrCat("moto: cannot parse its port from: ", out));
        }
        break;
      }
    }
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("moto did not start within 60 s: ", out));
    }
    pollfd p{server->out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) < 0) continue;
    char buf[4096];
    const ssize_t n = read(server->out_fd_, buf, sizeof(buf));
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("moto exited before listening: ", out));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  {
    absl::MutexLock lock(&server->mu_);
    server->log_ = out;
  }
  server->drain_ = std::thread([s = server.get()] { s->Drain(); });
  // The socket listens; one request proves the application answers.
  std::string body;
  absl::StatusOr<long> status =
      Http("GET", absl::StrCat(server->endpoint(), "/moto-api/data.json"), {},
           "", &body);
  if (!status.ok()) return status.status();
  if (*status != 200) {
    return absl::InternalError(
        absl::StrCat("moto-api answered HTTP ", *status, ": ", body));
  }
  return server;
}

void MotoServer::Drain() {
  char buf[4096];
  while (true) {
    const ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) return;
    absl::MutexLock lock(&mu_);
    log_.append(buf, static_cast<size_t>(n));
    if (log_.size() > 2 * kLogTailBytes) {
      log_.erase(0, log_.size() - kLogTailBytes);
    }
  }
}

MotoServer::~MotoServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (drain_.joinable()) drain_.join();  // EOF once moto is gone
  if (out_fd_ >= 0) close(out_fd_);
}

std::string MotoServer::endpoint() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

std::string MotoServer::LogTail() {
  absl::MutexLock lock(&mu_);
  return log_.size() > kLogTailBytes ? log_.substr(log_.size() - kLogTailBytes)
                                     : log_;
}

absl::StatusOr<std::string> SignedQueryPost(int port,
                                            const std::string& service,
                                            const std::string& form_body,
                                            const AwsCredentials& creds) {
  HttpRequest req{
      std::string("POST"),
      std::string("/"),
      std::string(),
      {{"Host", absl::StrCat("127.0.0.1:", port)},
       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
      form_body};
  SigningParams params;
  params.credentials = creds;
  params.region = "us-east-1";
  params.service = service;
  params.time = absl::Now();
  absl::StatusOr<SignatureParts> signed_parts = SignRequest(params, &req);
  if (!signed_parts.ok()) return signed_parts.status();
  std::vector<std::string> headers;
  for (const HttpHeader& h : req.headers) {
    if (h.name != "Host")
      headers.push_back(absl::StrCat(h.name, ": ", h.value));
  }
  std::string body;
  absl::StatusOr<long> status =
      Http("POST", absl::StrCat("http://127.0.0.1:", port, "/"), headers,
           form_body, &body);
  if (!status.ok()) return status.status();
  if (*status < 200 || *status >= 300) {
    return absl::InternalError(
        absl::StrCat(service, " answered HTTP ", *status, ": ", body));
  }
  return body;
}

absl::StatusOr<AwsCredentials> MotoServer::CreateUser(
    const std::string& name, const std::string& actions) {
  const AwsCredentials setup("AKIAMOTOSETUP0000000", "setup-secret");
  auto call = [&](const std::string& form) {
    return SignedQueryPost(port_, "iam",
                           absl::StrCat(form, "&Version=2010-05-08"), setup);
  };
  absl::StatusOr<std::string> r =
      call(absl::StrCat("Action=CreateUser&UserName=", name));
  if (!r.ok()) return r.status();
  r = call(absl::StrCat("Action=CreateAccessKey&UserName=", name));
  if (!r.ok()) return r.status();
  AwsCredentials creds(Between(*r, "<AccessKeyId>", "</AccessKeyId>"),
                       Between(*r, "<SecretAccessKey>", "</SecretAccessKey>"));
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return absl::InternalError(
        absl::StrCat("moto CreateAccessKey answer without keys: ", *r));
  }
  const std::string policy = absl::StrCat(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":")",
      actions, R"(","Resource":"*"}]})");
  r = call(absl::StrCat("Action=PutUserPolicy&UserName=", name,
                        "&PolicyName=blob-store&PolicyDocument=",
                        UriEncode(policy, /*keep_slash=*/false)));
  if (!r.ok()) return r.status();
  return creds;
}

absl::Status MotoServer::EnableAuth() {
  std::string body;
  absl::StatusOr<long> status =
      Http("POST", absl::StrCat(endpoint(), "/moto-api/reset-auth"),
           {"Content-Type: application/octet-stream"}, "0", &body);
  if (!status.ok()) return status.status();
  if (*status != 200) {
    return absl::InternalError(absl::StrCat("reset-auth: HTTP ", *status));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<S3Client>> MotoServer::Client(
    const std::string& bucket, const AwsCredentials& credentials,
    int max_attempts) const {
  S3ClientConfig config;
  config.region = "us-east-1";
  config.bucket = bucket;
  config.endpoint = endpoint();
  config.path_style = true;
  config.retry.max_attempts = max_attempts;
  config.sleep = [](absl::Duration) {};
  return S3Client::Create(
      config, std::make_shared<StaticCredentialSource>(credentials));
}

absl::Status MotoServer::CreateBucket(const std::string& bucket, bool versioned,
                                      const AwsCredentials& credentials) const {
  absl::StatusOr<std::unique_ptr<S3Client>> client =
      Client(bucket, credentials);
  if (!client.ok()) return client.status();
  S3Request create;
  create.method = "PUT";
  if (absl::Status s = (*client)->Send(create).status(); !s.ok()) return s;
  if (!versioned) return absl::OkStatus();
  S3Request versioning;
  versioning.method = "PUT";
  versioning.query = "versioning";
  versioning.headers = {{"Content-Type", "application/xml"}};
  versioning.body =
      "<VersioningConfiguration "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</"
      "Status></VersioningConfiguration>";
  return (*client)->Send(versioning).status();
}

}  // namespace nitro_tss::aws::testing
