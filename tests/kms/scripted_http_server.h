// Test helper: a tiny HTTP/1.1 server on a loopback TCP port or a unix
// socket that answers each request with the next scripted response and
// records the requests it received (parsed into kms::HttpRequest).
#ifndef NITRO_TSS_TESTS_KMS_SCRIPTED_HTTP_SERVER_H_
#define NITRO_TSS_TESTS_KMS_SCRIPTED_HTTP_SERVER_H_

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "node/aws/sigv4.h"

struct ssl_ctx_st;

namespace nitro_tss::kms::testing {

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::string extra_headers = {};  // "Name: value\r\n" lines, may be empty
};

class ScriptedHttpServer {
 public:
  // Listens on 127.0.0.1:<ephemeral> (unix_path empty) or on unix_path.
  // With `tls` (not owned; must outlive the server), speaks HTTPS.
  explicit ScriptedHttpServer(std::string unix_path = "",
                              ssl_ctx_st* tls = nullptr);
  ~ScriptedHttpServer();

  void Push(int status, std::string body);
  void Push(ScriptedResponse response);
  int port() const { return port_; }
  std::vector<HttpRequest> requests();

 private:
  void Serve();
  ssl_ctx_st* tls_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string unix_path_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<ScriptedResponse> script_ ABSL_GUARDED_BY(mu_);
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace nitro_tss::kms::testing

#endif  // NITRO_TSS_TESTS_KMS_SCRIPTED_HTTP_SERVER_H_
