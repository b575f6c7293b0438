#include "tests/kms/scripted_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nitro_tss::kms::testing {

ScriptedHttpServer::ScriptedHttpServer(std::string unix_path, SSL_CTX* tls)
    : tls_(tls), unix_path_(std::move(unix_path)) {
  // A client that refuses the server (a certificate for another host name)
  // closes before the scripted answer is written: that write must fail with
  // EPIPE, not kill the test with SIGPIPE (SSL_write uses write(2)).
  std::signal(SIGPIPE, SIG_IGN);
  if (unix_path_.empty()) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  } else {
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, unix_path_.c_str(), sizeof(addr.sun_path) - 1);
    unlink(unix_path_.c_str());
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  listen(listen_fd_, 16);
  thread_ = std::thread([this] { Serve(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
  close(listen_fd_);
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
}

void ScriptedHttpServer::Push(int status, std::string body) {
  Push(ScriptedResponse{status, std::move(body)});
}

void ScriptedHttpServer::Push(ScriptedResponse response) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(response));
}

std::vector<HttpRequest> ScriptedHttpServer::requests() {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void ScriptedHttpServer::Serve() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    SSL* ssl = nullptr;
    if (tls_ != nullptr) {
      ssl = SSL_new(tls_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        continue;
      }
    }
    auto do_read = [&](char* b, size_t n) -> ssize_t {
      return ssl != nullptr ? SSL_read(ssl, b, static_cast<int>(n))
                            : read(fd, b, n);
    };
    std::string data;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t content_length = 0;
    while (true) {
      ssize_t n = do_read(buf, sizeof(buf));
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          for (absl::string_view line :
               absl::StrSplit(data.substr(0, header_end), "\r\n")) {
            if (absl::StartsWithIgnoreCase(line, "content-length:")) {
              (void)absl::SimpleAtoi(
                  absl::StripAsciiWhitespace(line.substr(15)), &content_length);
            }
          }
        }
      }
      if (header_end != std::string::npos &&
          data.size() >= header_end + 4 + content_length) {
        break;
      }
    }
    HttpRequest req;
    if (header_end != std::string::npos) {
      std::vector<std::string> lines =
          absl::StrSplit(data.substr(0, header_end), "\r\n");
      std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
      req.method = first[0];
      req.path = first.size() > 1 ? first[1] : "";
      for (size_t i = 1; i < lines.size(); ++i) {
        size_t colon = lines[i].find(':');
        if (colon == std::string::npos) continue;
        req.headers.push_back(
            {lines[i].substr(0, colon),
             std::string(absl::StripAsciiWhitespace(
                 absl::string_view(lines[i]).substr(colon + 1)))});
      }
      req.body = data.substr(header_end + 4);
    }
    ScriptedResponse resp{500, R"({"__type":"NoScript","message":"none"})"};
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(req);
      if (!script_.empty()) {
        resp = script_.front();
        script_.pop_front();
      }
    }
    std::string out =
        absl::StrCat("HTTP/1.1 ", resp.status,
                     " X\r\nContent-Type: "
                     "application/x-amz-json-1.1\r\nContent-Length: ",
                     resp.body.size(), "\r\n", resp.extra_headers,
                     "Connection: close\r\n\r\n", resp.body);
    if (ssl != nullptr) {
      SSL_write(ssl, out.data(), static_cast<int>(out.size()));
      SSL_shutdown(ssl);
      SSL_free(ssl);
    } else {
      (void)!send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    }
    close(fd);
  }
}

}  // namespace nitro_tss::kms::testing
