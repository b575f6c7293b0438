// Test helpers for tss-host's TLS paths: certificates made with OpenSSL's
// APIs (a CA, server and client certificates, P-256), a blocking TLS
// client, echo servers, and raw socket helpers.
#ifndef NITRO_TSS_TESTS_NODE_HOST_TLS_TEST_UTIL_H_
#define NITRO_TSS_TESTS_NODE_HOST_TLS_TEST_UTIL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node/vsock/socket.h"

namespace nitro_tss::testing {

struct KeyAndCert {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA (P-256, basicConstraints CA:TRUE) that issues leaves.
class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  const std::string& cert_pem() const { return ca_.cert_pem; }
  // A server certificate for DNS:localhost and IP:127.0.0.1.
  KeyAndCert IssueServer(const std::string& common_name) const;
  // A client certificate (extendedKeyUsage clientAuth).
  KeyAndCert IssueClient(const std::string& common_name) const;

 private:
  KeyAndCert Issue(const std::string& cn, bool server) const;
  KeyAndCert ca_;
  void* key_ = nullptr;   // EVP_PKEY*
  void* cert_ = nullptr;  // X509*
};

// A blocking TLS 1.2/1.3 client over TCP to 127.0.0.1:port that verifies
// the server against `ca_pem` and offers ALPN "h2".
class TlsTestClient {
 public:
  // `client` empty: no client certificate. Returns the handshake error.
  static absl::StatusOr<std::unique_ptr<TlsTestClient>> Connect(
      int port, const std::string& ca_pem, const KeyAndCert* client,
      absl::Duration timeout = absl::Seconds(5));
  ~TlsTestClient();
  absl::Status WriteAll(const std::string& bytes);
  // Exactly n bytes, or an error (EOF, alert, timeout).
  absl::StatusOr<std::string> ReadExactly(size_t n);
  // Waits for the connection to end; OK if it ended (EOF or error) within
  // `timeout`, DEADLINE_EXCEEDED if it stayed open, FAILED_PRECONDITION if
  // bytes arrived.
  absl::Status ExpectClosed(absl::Duration timeout);
  // Sends close_notify (no more bytes from this side).
  void CloseWrite();
  const std::string& alpn() const { return alpn_; }

 private:
  TlsTestClient() = default;
  int fd_ = -1;
  void* ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;  // SSL*
  std::string alpn_;
};

// Echoes every connection accepted on `listener` (one thread each) until
// the peer closes; counts connections.
class EchoServer {
 public:
  explicit EchoServer(vsock::UniqueFd listener);
  ~EchoServer();
  int accepted() const { return accepted_.load(); }

 private:
  void Run();
  vsock::UniqueFd listener_;
  vsock::UniqueFd stop_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> workers_;
  std::vector<int> conn_fds_;
};

// A TCP socket bound to 127.0.0.1:0 but not listening (connects to it are
// refused), and a way to start listening on it later.
struct ReservedPort {
  vsock::UniqueFd fd;
  int port = 0;
};
ReservedPort ReserveTcpPort();
absl::StatusOr<vsock::UniqueFd> ListenOn(ReservedPort& reserved);

// Blocking helpers on plain sockets (with a receive timeout).
absl::Status SendAll(int fd, const std::string& bytes);
absl::StatusOr<std::string> RecvExactly(int fd, size_t n,
                                        absl::Duration timeout);
// OK if the peer closed (EOF/reset) within `timeout`.
absl::Status ExpectPeerClosed(int fd, absl::Duration timeout);
absl::StatusOr<vsock::UniqueFd> ConnectTcp(int port);

std::string RandomBytes(size_t n);

// GET http://127.0.0.1:port/path; the body (status must be 200).
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_NODE_HOST_TLS_TEST_UTIL_H_
