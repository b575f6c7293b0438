#include "tools/kms-local/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_syntax.h"

namespace nitro_tss::kms_local {
namespace {

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!common::IsHttpTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

HttpParseResult Fail(int status, std::string why) {
  HttpParseResult r;
  r.kind = HttpParseResult::Kind::kError;
  r.error_status = status;
  r.error = std::move(why);
  return r;
}

// True if `s` holds a '\n' not preceded by '\r' (bare LF) or a '\r' not
// followed by '\n' (when the next byte is known).
bool HasBareLineEnding(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] != '\n') return true;
  }
  return false;
}

}  // namespace

const std::string* HttpRequestMessage::FindHeader(
    absl::string_view name) const {
  for (const auto& h : headers) {
    if (absl::EqualsIgnoreCase(h.first, name)) return &h.second;
  }
  return nullptr;
}

HttpParseResult ParseHttpRequest(absl::string_view buffer,
                                 const HttpLimits& limits) {
  HttpParseResult incomplete;
  // --- Request line.
  const size_t line_end = buffer.find("\r\n");
  if (line_end == absl::string_view::npos) {
    const absl::string_view seen =
        buffer.substr(0, limits.max_request_line_bytes + 1);
    if (HasBareLineEnding(seen)) return Fail(400, "bare CR or LF");
    if (buffer.size() > limits.max_request_line_bytes) {
      return Fail(414, "request line too long");
    }
    return incomplete;
  }
  if (line_end > limits.max_request_line_bytes) {
    return Fail(414, "request line too long");
  }
  const absl::string_view line = buffer.substr(0, line_end);
  if (HasBareLineEnding(line)) return Fail(400, "bare CR or LF");
  const size_t sp1 = line.find(' ');
  if (sp1 == absl::string_view::npos)
    return Fail(400, "malformed request line");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || line.find(' ', sp2 + 1) != line.npos) {
    return Fail(400, "malformed request line");
  }
  HttpParseResult out;
  HttpRequestMessage& req = out.request;
  const absl::string_view method = line.substr(0, sp1);
  const absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const absl::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "invalid method");
  if (target.empty() || target[0] != '/') {
    return Fail(400, "request target must be in origin form");
  }
  for (char c : target) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return Fail(400, "invalid request target");
  }
  if (version != "HTTP/1.1") {
    if (absl::StartsWith(version, "HTTP/") && version.size() == 8 &&
        absl::ascii_isdigit(version[5]) && version[6] == '.' &&
        absl::ascii_isdigit(version[7])) {
      return Fail(505, "only HTTP/1.1 is supported");
    }
    return Fail(400, "malformed HTTP version");
  }
  req.method = std::string(method);
  req.target = std::string(target);
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != absl::string_view::npos)
    req.query = std::string(target.substr(q + 1));

  // --- Header fields.
  size_t pos = line_end + 2;
  const size_t headers_start = pos;
  size_t header_end = 0;
  while (true) {
    const size_t eol = buffer.find("\r\n", pos);
    if (eol == absl::string_view::npos) {
      const absl::string_view rest = buffer.substr(pos);
      if (HasBareLineEnding(rest.substr(0, limits.max_header_bytes + 1))) {
        return Fail(400, "bare CR or LF");
      }
      if (buffer.size() - headers_start > limits.max_header_bytes) {
        return Fail(431, "header section too large");
      }
      return incomplete;
    }
    if (eol + 2 - headers_start > limits.max_header_bytes + 2) {
      return Fail(431, "header section too large");
    }
    const absl::string_view hline = buffer.substr(pos, eol - pos);
    pos = eol + 2;
    if (hline.empty()) {
      header_end = pos;
      break;
    }
    if (HasBareLineEnding(hline)) return Fail(400, "bare CR or LF");
    if (hline[0] == ' ' || hline[0] == '\t') {
      return Fail(400, "obsolete header line folding");
    }
    const size_t colon = hline.find(':');
    if (colon == absl::string_view::npos)
      return Fail(400, "header without ':'");
    const absl::string_view name = hline.substr(0, colon);
    if (!IsToken(name)) return Fail(400, "invalid header name");
    absl::string_view value = hline.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    for (char c : value) {
      const unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7f) {
        return Fail(400, "control character in header value");
      }
    }
    if (req.headers.size() >= limits.max_header_count) {
      return Fail(431, "too many header fields");
    }
    req.headers.emplace_back(std::string(name), std::string(value));
  }

  // --- Framing.
  size_t content_length = 0;
  int cl_count = 0;
  int host_count = 0;
  for (const auto& h : req.headers) {
    if (absl::EqualsIgnoreCase(h.first, "transfer-encoding")) {
      return Fail(501, "Transfer-Encoding is not supported");
    }
    if (absl::EqualsIgnoreCase(h.first, "host")) ++host_count;
    if (absl::EqualsIgnoreCase(h.first, "connection") &&
        absl::EqualsIgnoreCase(h.second, "close")) {
      req.keep_alive = false;
    }
    if (absl::EqualsIgnoreCase(h.first, "content-length")) {
      if (++cl_count > 1) return Fail(400, "repeated Content-Length");
      const std::string& v = h.second;
      if (v.empty() || v.size() > 18)
        return Fail(400, "invalid Content-Length");
      for (char c : v) {
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
          return Fail(400, "invalid Content-Length");
        }
      }
      content_length = std::stoull(v);
    }
  }
  if (host_count != 1) return Fail(400, "exactly one Host header is required");
  if (content_length > limits.max_body_bytes) {
    return Fail(413, "request body too large");
  }
  if (buffer.size() - header_end < content_length) return incomplete;
  req.body = std::string(buffer.substr(header_end, content_length));
  out.kind = HttpParseResult::Kind::kComplete;
  out.consumed = header_end + content_length;
  return out;
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 408:
      return "Request Timeout";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string SerializeHttpResponse(const HttpResponseMessage& response,
                                  bool keep_alive) {
  std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                 HttpReasonPhrase(response.status), "\r\n");
  for (const auto& h : response.headers) {
    absl::StrAppend(&out, h.first, ": ", h.second, "\r\n");
  }
  absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  out.append(response.body);
  return out;
}

struct HttpServer::Impl {
  int listen_fd = -1;
  int wake_pipe[2] = {-1, -1};
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::mutex mu;
  struct Conn {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Conn> conns;

  void ReapFinished() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = conns.begin(); it != conns.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }
};

namespace {

void Wipe(std::string* s) {
  if (!s->empty()) sodium_memzero(s->data(), s->size());
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void ServeConnection(int fd, int wake_fd, const std::atomic<bool>& stopping,
                     const HttpServerOptions& options,
                     const HttpHandler& handler) {
  std::string buffer;
  char chunk[16384];
  using Clock = std::chrono::steady_clock;
  Clock::time_point request_start = Clock::now();
  while (!stopping.load()) {
    HttpParseResult r = ParseHttpRequest(buffer, options.limits);
    if (r.kind == HttpParseResult::Kind::kComplete) {
      HttpResponseMessage resp = handler(r.request);
      const bool keep = r.request.keep_alive && !stopping.load();
      std::string wire = SerializeHttpResponse(resp, keep);
      const bool sent = SendAll(fd, wire);
      // Requests and responses may carry plaintexts: wipe our copies.
      Wipe(&wire);
      Wipe(&resp.body);
      Wipe(&r.request.body);
      sodium_memzero(buffer.data(), r.consumed);
      buffer.erase(0, r.consumed);
      if (!sent || !keep) break;
      request_start = Clock::now();
      continue;
    }
    if (r.kind == HttpParseResult::Kind::kError) {
      HttpResponseMessage resp;
      resp.status = r.error_status;
      resp.headers.emplace_back("Content-Type", "text/plain");
      resp.body = r.error + "\n";
      SendAll(fd, SerializeHttpResponse(resp, /*keep_alive=*/false));
      break;
    }
    int wait_ms = options.idle_timeout_ms;
    if (!buffer.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          request_start +
          std::chrono::milliseconds(options.request_timeout_ms) - Clock::now());
      if (left.count() <= 0) {
        HttpResponseMessage resp;
        resp.status = 408;
        resp.headers.emplace_back("Content-Type", "text/plain");
        resp.body = "request not received in time\n";
        SendAll(fd, SerializeHttpResponse(resp, /*keep_alive=*/false));
        break;
      }
      wait_ms = std::min<int>(wait_ms, static_cast<int>(left.count()));
    }
    pollfd pfds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int pr = ::poll(pfds, 2, wait_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) break;
    if (pr == 0) {
      if (buffer.empty()) break;  // idle timeout between requests
      continue;                   // re-check the request deadline
    }
    if (pfds[1].revents != 0) break;  // shutting down
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (buffer.empty()) request_start = Clock::now();
    buffer.append(chunk, static_cast<size_t>(n));
  }
  Wipe(&buffer);
  sodium_memzero(chunk, sizeof(chunk));
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() { Shutdown(); }

absl::Status HttpServer::Start() {
  int fd = -1;
  if (!options_.unix_socket_path.empty()) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (options_.unix_socket_path.size() >= sizeof(addr.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unix socket path '", options_.unix_socket_path, "' is too long"));
    }
    std::memcpy(addr.sun_path, options_.unix_socket_path.data(),
                options_.unix_socket_path.size());
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("socket: ", std::strerror(errno)));
    }
    struct stat st;
    if (::lstat(options_.unix_socket_path.c_str(), &st) == 0 &&
        S_ISSOCK(st.st_mode)) {
      ::unlink(options_.unix_socket_path.c_str());
    }
    const mode_t old_mask = ::umask(0177);
    const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::umask(old_mask);
    if (rc != 0 || ::listen(fd, 64) != 0) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("bind/listen on unix:", options_.unix_socket_path, ": ",
                       std::strerror(err)));
    }
    port_ = 0;
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(options_.port);
    if (::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid IPv4 listen address '", options_.host, "'"));
    }
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("socket: ", std::strerror(errno)));
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, 64) != 0) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("bind/listen on ", options_.host, ":", options_.port,
                       ": ", std::strerror(err)));
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  if (::pipe2(impl_->wake_pipe, O_CLOEXEC) != 0) {
    ::close(fd);
    return absl::UnavailableError("pipe2 failed");
  }
  impl_->listen_fd = fd;
  Impl* impl = impl_.get();
  impl->accept_thread = std::thread([this, impl] {
    while (!impl->stopping.load()) {
      pollfd pfds[2] = {{impl->listen_fd, POLLIN, 0},
                        {impl->wake_pipe[0], POLLIN, 0}};
      const int pr = ::poll(pfds, 2, 1000);
      impl->ReapFinished();
      if (pr <= 0 || pfds[1].revents != 0) continue;
      const int cfd =
          ::accept4(impl->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (cfd < 0) continue;
      std::lock_guard<std::mutex> lock(impl->mu);
      if (impl->conns.size() >= options_.max_connections) {
        ::close(cfd);
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      impl->conns.push_back({std::thread([this, impl, cfd, done] {
                               ServeConnection(cfd, impl->wake_pipe[0],
                                               impl->stopping, options_,
                                               handler_);
                               done->store(true);
                             }),
                             done});
    }
  });
  return absl::OkStatus();
}

void HttpServer::Shutdown() {
  if (impl_->listen_fd < 0) return;
  impl_->stopping.store(true);
  const char b = 1;
  if (::write(impl_->wake_pipe[1], &b, 1) < 0) {
    // The pipe cannot be full (one byte ever written); nothing to do.
  }
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& c : impl_->conns) c.thread.join();
    impl_->conns.clear();
  }
  ::close(impl_->listen_fd);
  ::close(impl_->wake_pipe[0]);
  ::close(impl_->wake_pipe[1]);
  impl_->listen_fd = -1;
  if (!options_.unix_socket_path.empty()) {
    ::unlink(options_.unix_socket_path.c_str());
  }
}

}  // namespace nitro_tss::kms_local
