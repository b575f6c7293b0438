#include "tests/node/host/tls_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace nitro_tss::testing {
namespace {

std::string Errors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += buf;
    out += "; ";
  }
  return out;
}

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(absl::StrCat(what, ": ", Errors()));
}

std::string PemOf(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(b, x) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

std::string PemOf(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr) ==
            1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(b);
  return out;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

X509* NewCert(const std::string& cn, EVP_PKEY* key) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  uint8_t serial[8];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_pubkey(x, key);
  return x;
}

}  // namespace

TestCa::TestCa(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "EVP_EC_gen");
  X509* x = NewCert(common_name, key);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  AddExt(x, x, NID_basic_constraints, "critical,CA:TRUE");
  AddExt(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(x, x, NID_subject_key_identifier, "hash");
  Check(X509_sign(x, key, EVP_sha256()) > 0, "X509_sign");
  ca_ = {PemOf(x), PemOf(key)};
  key_ = key;
  cert_ = x;
}

TestCa::~TestCa() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  X509_free(static_cast<X509*>(cert_));
}

KeyAndCert TestCa::Issue(const std::string& cn, bool server) const {
  auto* ca_cert = static_cast<X509*>(cert_);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "EVP_EC_gen");
  X509* x = NewCert(cn, key);
  X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
  AddExt(x, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  AddExt(x, ca_cert, NID_key_usage, "critical,digitalSignature");
  AddExt(x, ca_cert, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
  AddExt(x, ca_cert, NID_authority_key_identifier, "keyid:always");
  if (server) {
    AddExt(x, ca_cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  Check(X509_sign(x, static_cast<EVP_PKEY*>(key_), EVP_sha256()) > 0,
        "X509_sign");
  KeyAndCert out{PemOf(x), PemOf(key)};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

KeyAndCert TestCa::IssueServer(const std::string& cn) const {
  return Issue(cn, true);
}
KeyAndCert TestCa::IssueClient(const std::string& cn) const {
  return Issue(cn, false);
}

absl::StatusOr<vsock::UniqueFd> ConnectTcp(int port) {
  vsock::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  return fd;
}

namespace {

void SetRecvTimeout(int fd, absl::Duration d) {
  timeval tv = absl::ToTimeval(d);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsTestClient>> TlsTestClient::Connect(
    int port, const std::string& ca_pem, const KeyAndCert* client,
    absl::Duration timeout) {
  auto fd = ConnectTcp(port);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<TlsTestClient> c(new TlsTestClient());
  c->fd_ = fd->Release();
  SetRecvTimeout(c->fd_, timeout);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  c->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BIO* b = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  X509_free(ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (client != nullptr) {
    BIO* cb = BIO_new_mem_buf(client->cert_pem.data(),
                              static_cast<int>(client->cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(client->key_pem.data(),
                              static_cast<int>(client->key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof(kAlpn));
  SSL* ssl = SSL_new(ctx);
  c->ssl_ = ssl;
  SSL_set_fd(ssl, c->fd_);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  ERR_clear_error();
  if (SSL_connect(ssl) != 1) {
    return absl::UnauthenticatedError(
        absl::StrCat("TLS handshake failed: ", Errors()));
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  c->alpn_.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  return c;
}

TlsTestClient::~TlsTestClient() {
  SSL_free(static_cast<SSL*>(ssl_));
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  if (fd_ >= 0) ::close(fd_);
}

absl::Status TlsTestClient::WriteAll(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    size_t n = 0;
    ERR_clear_error();
    if (SSL_write_ex(static_cast<SSL*>(ssl_), bytes.data() + off,
                     bytes.size() - off, &n) != 1) {
      return absl::UnavailableError(absl::StrCat("TLS write: ", Errors()));
    }
    off += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TlsTestClient::ReadExactly(size_t n) {
  std::string out(n, '\0');
  size_t off = 0;
  while (off < n) {
    size_t got = 0;
    ERR_clear_error();
    if (SSL_read_ex(static_cast<SSL*>(ssl_), out.data() + off, n - off, &got) !=
        1) {
      int err = SSL_get_error(static_cast<SSL*>(ssl_), 0);
      return absl::UnavailableError(absl::StrCat(
          "TLS read after ", off, " bytes: SSL error ", err, " ", Errors()));
    }
    off += got;
  }
  return out;
}

absl::Status TlsTestClient::ExpectClosed(absl::Duration timeout) {
  SetRecvTimeout(fd_, timeout);
  char c;
  size_t got = 0;
  ERR_clear_error();
  if (SSL_read_ex(static_cast<SSL*>(ssl_), &c, 1, &got) == 1) {
    return absl::FailedPreconditionError("bytes arrived");
  }
  int err = SSL_get_error(static_cast<SSL*>(ssl_), 0);
  ERR_clear_error();
  if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return absl::DeadlineExceededError("still open");
  }
  if (err == SSL_ERROR_WANT_READ) {
    return absl::DeadlineExceededError("still open");
  }
  return absl::OkStatus();
}

void TlsTestClient::CloseWrite() {
  (void)SSL_shutdown(static_cast<SSL*>(ssl_));
  ERR_clear_error();
}

EchoServer::EchoServer(vsock::UniqueFd listener)
    : listener_(std::move(listener)),
      stop_(::eventfd(0, EFD_CLOEXEC)),
      thread_([this] { Run(); }) {}

EchoServer::~EchoServer() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof(one));
  thread_.join();
  for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  for (auto& t : workers_) t.join();
}

void EchoServer::Run() {
  while (true) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents & POLLIN) return;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    accepted_.fetch_add(1);
    conn_fds_.push_back(fd);
    workers_.emplace_back([fd] {
      char buf[65536];
      while (true) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        if (!SendAll(fd, std::string(buf, static_cast<size_t>(n))).ok()) break;
      }
      ::shutdown(fd, SHUT_WR);
    });
  }
}

ReservedPort ReserveTcpPort() {
  ReservedPort r;
  r.fd = vsock::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(r.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(r.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    throw std::runtime_error("bind 127.0.0.1:0");
  }
  socklen_t len = sizeof(a);
  ::getsockname(r.fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  r.port = ntohs(a.sin_port);
  return r;
}

absl::StatusOr<vsock::UniqueFd> ListenOn(ReservedPort& reserved) {
  if (::listen(reserved.fd.get(), 16) != 0) {
    return absl::InternalError(absl::StrCat("listen: ", std::strerror(errno)));
  }
  return std::move(reserved.fd);
}

absl::Status SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n =
        ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          absl::StrCat("send: ", std::strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RecvExactly(int fd, size_t n,
                                        absl::Duration timeout) {
  SetRecvTimeout(fd, timeout);
  std::string out(n, '\0');
  size_t off = 0;
  while (off < n) {
    ssize_t got = ::recv(fd, out.data() + off, n - off, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) {
      return absl::UnavailableError(absl::StrCat("EOF after ", off, " bytes"));
    }
    if (got < 0) {
      return absl::UnavailableError(
          absl::StrCat("recv after ", off, " bytes: ", std::strerror(errno)));
    }
    off += static_cast<size_t>(got);
  }
  return out;
}

absl::Status ExpectPeerClosed(int fd, absl::Duration timeout) {
  SetRecvTimeout(fd, timeout);
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  if (n == 0) return absl::OkStatus();
  if (n > 0) return absl::FailedPreconditionError("bytes arrived");
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    return absl::DeadlineExceededError("still open");
  }
  return absl::OkStatus();  // reset
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  auto fd = ConnectTcp(port);
  if (!fd.ok()) return fd.status();
  auto s = SendAll(fd->get(), absl::StrCat("GET ", path,
                                           " HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n\r\n"));
  if (!s.ok()) return s;
  SetRecvTimeout(fd->get(), absl::Seconds(10));
  std::string resp;
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(fd->get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError("recv");
    if (n == 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  size_t split = resp.find("\r\n\r\n");
  if (split == std::string::npos) {
    return absl::UnavailableError("no HTTP header end");
  }
  if (resp.rfind("HTTP/1.1 200", 0) != 0 &&
      resp.rfind("HTTP/1.0 200", 0) != 0) {
    return absl::UnavailableError(
        absl::StrCat("HTTP status: ", resp.substr(0, resp.find("\r\n"))));
  }
  return resp.substr(split + 4);
}

}  // namespace nitro_tss::testing
