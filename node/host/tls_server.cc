#include "node/host/tls_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace nitro_tss::host {
namespace {

std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error" : out;
}

absl::Status FieldError(const std::string& field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                        const std::string& field) {
  if (path.empty()) return FieldError(field, "required");
  std::ifstream in(path, std::ios::binary);
  if (!in) return FieldError(field, absl::StrCat("cannot read ", path));
  std::string text(kMaxTlsPemFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxTlsPemFileBytes) {
    return FieldError(field, absl::StrCat(path, " is larger than ",
                                          kMaxTlsPemFileBytes, " bytes"));
  }
  return text;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Every certificate in `pem` (at least one), or an error naming `field`.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(
    const std::string& pem, const std::string& field) {
  if (pem.empty()) return FieldError(field, "empty");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return absl::InternalError("BIO_new_mem_buf");
  std::vector<X509Ptr> certs;
  ERR_clear_error();
  while (true) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (x == nullptr) break;
    certs.emplace_back(x);
    if (certs.size() > 16)
      return FieldError(field, "more than 16 certificates");
  }
  // The loop ends at the end of input (PEM_R_NO_START_LINE) or at a block
  // that does not parse: only the former is fine.
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
      ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
  } else if (e != 0) {
    return FieldError(
        field, absl::StrCat("bad PEM certificate (", OpenSslErrors(), ")"));
  }
  if (certs.empty()) return FieldError(field, "no PEM certificate");
  return certs;
}

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen,
               const unsigned char* in, unsigned int inlen, void*) {
  static const unsigned char kH2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kH2, sizeof(kH2), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsServer>> TlsServer::Create(
    const TlsServerPem& pem) {
  ASSIGN_OR_RETURN(
      std::vector<X509Ptr> chain,
      ParseCertificates(pem.certificate_chain, pem.certificate_field));
  ASSIGN_OR_RETURN(std::vector<X509Ptr> cas,
                   ParseCertificates(pem.client_ca, pem.client_ca_field));
  for (size_t i = 0; i < cas.size(); ++i) {
    if (X509_check_ca(cas[i].get()) == 0) {
      return FieldError(pem.client_ca_field,
                        absl::StrCat("certificate ", i, " is not a CA"));
    }
  }
  if (pem.private_key.empty()) {
    return FieldError(pem.private_key_field, "empty");
  }
  BioPtr key_bio(BIO_new_mem_buf(pem.private_key.data(),
                                 static_cast<int>(pem.private_key.size())));
  ERR_clear_error();
  PkeyPtr key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return FieldError(
        pem.private_key_field,
        absl::StrCat("no unencrypted PEM private key (", OpenSslErrors(), ")"));
  }

  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new");
  std::unique_ptr<TlsServer> server(new TlsServer(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  ERR_clear_error();
  if (SSL_CTX_use_certificate(ctx, chain[0].get()) != 1) {
    return FieldError(
        pem.certificate_field,
        absl::StrCat("unusable certificate (", OpenSslErrors(), ")"));
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) {
      return FieldError(pem.certificate_field,
                        absl::StrCat("unusable chain certificate ", i, " (",
                                     OpenSslErrors(), ")"));
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return FieldError(pem.private_key_field,
                      "does not match the server certificate");
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& ca : cas) {
    if (X509_STORE_add_cert(store, ca.get()) != 1 ||
        SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
      return FieldError(pem.client_ca_field,
                        absl::StrCat("unusable CA (", OpenSslErrors(), ")"));
    }
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  SSL_CTX_set_verify_depth(ctx, 4);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  return server;
}

absl::StatusOr<std::unique_ptr<TlsServer>> TlsServer::FromFiles(
    const TlsServerFiles& files) {
  TlsServerPem pem;
  ASSIGN_OR_RETURN(pem.certificate_chain, ReadPemFile(files.certificate_file,
                                                      files.certificate_field));
  ASSIGN_OR_RETURN(pem.private_key, ReadPemFile(files.private_key_file,
                                                files.private_key_field));
  ASSIGN_OR_RETURN(pem.client_ca,
                   ReadPemFile(files.client_ca_file, files.client_ca_field));
  pem.certificate_field = files.certificate_field;
  pem.private_key_field = files.private_key_field;
  pem.client_ca_field = files.client_ca_field;
  auto server = Create(pem);
  OPENSSL_cleanse(pem.private_key.data(), pem.private_key.size());
  return server;
}

TlsServer::~TlsServer() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::unique_ptr<TlsEndpoint>> TlsServer::Accept(
    vsock::UniqueFd fd, absl::Duration timeout, int stop_fd) const {
  if (!SetNonBlocking(fd.get())) {
    return absl::UnavailableError("TLS handshake: cannot set O_NONBLOCK");
  }
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return absl::InternalError("SSL_new");
  const int raw_fd = fd.get();
  std::unique_ptr<TlsEndpoint> endpoint(new TlsEndpoint(std::move(fd), ssl));
  if (SSL_set_fd(ssl, raw_fd) != 1) return absl::InternalError("SSL_set_fd");
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    ERR_clear_error();
    errno = 0;
    int rc = SSL_accept(ssl);
    if (rc == 1) break;
    int err = SSL_get_error(ssl, rc);
    short events = 0;
    if (err == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (err == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      long verify = SSL_get_verify_result(ssl);
      unsigned long e = ERR_peek_error();
      if (verify != X509_V_OK) {
        ERR_clear_error();
        return absl::UnauthenticatedError(
            absl::StrCat("TLS handshake: client certificate refused: ",
                         X509_verify_cert_error_string(verify)));
      }
      if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
          (ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
           ERR_GET_REASON(e) == SSL_R_NO_CERTIFICATES_RETURNED)) {
        ERR_clear_error();
        return absl::UnauthenticatedError(
            "TLS handshake: the client sent no certificate");
      }
      std::string why =
          err == SSL_ERROR_SYSCALL && e == 0
              ? (errno != 0 ? std::strerror(errno) : "connection closed")
              : OpenSslErrors();
      return absl::UnavailableError(absl::StrCat("TLS handshake: ", why));
    }
    while (true) {
      int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (ms <= 0) {
        return absl::DeadlineExceededError(absl::StrCat(
            "TLS handshake: not done within ", absl::FormatDuration(timeout)));
      }
      pollfd p[2] = {{raw_fd, events, 0}, {stop_fd, POLLIN, 0}};
      int prc = ::poll(p, stop_fd >= 0 ? 2 : 1,
                       ms > 60000 ? 60000 : static_cast<int>(ms));
      if (prc < 0 && errno == EINTR) continue;
      if (prc < 0) {
        return absl::UnavailableError(
            absl::StrCat("TLS handshake: poll: ", std::strerror(errno)));
      }
      if (stop_fd >= 0 && (p[1].revents & POLLIN) != 0) {
        return absl::CancelledError("TLS handshake: proxy stopping");
      }
      if (prc > 0) break;
    }
  }
  if (X509* peer = SSL_get0_peer_certificate(ssl); peer != nullptr) {
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(peer), buf, sizeof(buf));
    endpoint->peer_subject_ = buf;
  }
  endpoint->protocol_ = SSL_get_version(ssl);
  return endpoint;
}

TlsEndpoint::~TlsEndpoint() { SSL_free(ssl_); }

RelayEndpoint::Result TlsEndpoint::Read(uint8_t* buf, size_t n) {
  ERR_clear_error();
  errno = 0;
  size_t got = 0;
  if (SSL_read_ex(ssl_, buf, n, &got) == 1) return {Io::kOk, got};
  switch (SSL_get_error(ssl_, 0)) {
    case SSL_ERROR_WANT_READ:
      return {Io::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {Io::kWantWrite};
    case SSL_ERROR_ZERO_RETURN:
      return {Io::kEof};
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0 && errno == 0) return {Io::kEof};
      return {Io::kError, 0,
              absl::StrCat("TLS read: ", errno != 0 ? std::strerror(errno)
                                                    : OpenSslErrors())};
    default:
      return {Io::kError, 0, absl::StrCat("TLS read: ", OpenSslErrors())};
  }
}

RelayEndpoint::Result TlsEndpoint::Write(const uint8_t* buf, size_t n) {
  ERR_clear_error();
  errno = 0;
  size_t put = 0;
  if (SSL_write_ex(ssl_, buf, n, &put) == 1) return {Io::kOk, put};
  switch (SSL_get_error(ssl_, 0)) {
    case SSL_ERROR_WANT_READ:
      return {Io::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {Io::kWantWrite};
    case SSL_ERROR_SYSCALL:
      return {Io::kError, 0,
              absl::StrCat("TLS write: ", errno != 0 ? std::strerror(errno)
                                                     : OpenSslErrors())};
    default:
      return {Io::kError, 0, absl::StrCat("TLS write: ", OpenSslErrors())};
  }
}

void TlsEndpoint::ShutdownWrite() {
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace nitro_tss::host
