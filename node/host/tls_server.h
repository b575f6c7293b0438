// The TLS server of tss-host's inbound path (coordinator -> enclave): OpenSSL
// 3, mutual TLS. The host presents its certificate and accepts only clients
// whose certificate chains to the configured client CA; a client without a
// certificate or with one from another CA fails the handshake and never
// reaches the enclave. TLS 1.2 or 1.3, ALPN "h2" required (the enclave
// speaks gRPC), no session resumption (every connection verifies the client
// certificate), no renegotiation. See node/README.md for why TLS ends here.
#ifndef NITRO_TSS_NODE_HOST_TLS_SERVER_H_
#define NITRO_TSS_NODE_HOST_TLS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node/host/proxy_relay.h"
#include "node/vsock/socket.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace nitro_tss::host {

// Largest PEM file read (certificate chain, key, client CA bundle).
inline constexpr size_t kMaxTlsPemFileBytes = 256 * 1024;

// PEM inputs of a TlsServer, with the configuration field each came from
// (errors name it).
struct TlsServerPem {
  std::string certificate_chain;  // leaf first, then intermediates
  std::string private_key;
  std::string client_ca;  // one or more CA certificates
  std::string certificate_field = "server_certificate";
  std::string private_key_field = "server_private_key";
  std::string client_ca_field = "client_ca";
};

// The same, as files.
struct TlsServerFiles {
  std::string certificate_file;
  std::string private_key_file;
  std::string client_ca_file;
  std::string certificate_field = "server_certificate_file";
  std::string private_key_field = "server_private_key_file";
  std::string client_ca_field = "client_ca_file";
};

// A TLS session on an accepted socket, after a successful handshake.
class TlsEndpoint final : public RelayEndpoint {
 public:
  ~TlsEndpoint() override;
  int fd() const override { return fd_.get(); }
  Result Read(uint8_t* buf, size_t n) override;
  Result Write(const uint8_t* buf, size_t n) override;
  void ShutdownWrite() override;
  // The verified client certificate's subject (for logs).
  const std::string& peer_subject() const { return peer_subject_; }
  const std::string& protocol() const { return protocol_; }

 private:
  friend class TlsServer;
  TlsEndpoint(vsock::UniqueFd fd, SSL* ssl) : fd_(std::move(fd)), ssl_(ssl) {}
  vsock::UniqueFd fd_;
  SSL* ssl_;
  std::string peer_subject_;
  std::string protocol_;
};

class TlsServer {
 public:
  // INVALID_ARGUMENT "<field>: <problem>" when a PEM input does not parse,
  // the key does not match the certificate, or a client CA is not a CA.
  static absl::StatusOr<std::unique_ptr<TlsServer>> Create(
      const TlsServerPem& pem);
  // Reads the three files (each at most kMaxTlsPemFileBytes) and Create()s;
  // errors name the *_field of `files`.
  static absl::StatusOr<std::unique_ptr<TlsServer>> FromFiles(
      const TlsServerFiles& files);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  // Runs the server handshake on an accepted socket within `timeout`
  // (returning early with CANCELLED when `stop_fd` becomes readable).
  // UNAUTHENTICATED when the client's certificate is missing or does not
  // verify, DEADLINE_EXCEEDED on timeout, UNAVAILABLE for other handshake
  // failures (the text carries OpenSSL's reason).
  absl::StatusOr<std::unique_ptr<TlsEndpoint>> Accept(vsock::UniqueFd fd,
                                                      absl::Duration timeout,
                                                      int stop_fd) const;

 private:
  explicit TlsServer(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_TLS_SERVER_H_
