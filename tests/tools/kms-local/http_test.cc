#include "tools/kms-local/http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace nitro_tss::kms_local {
namespace {

using Kind = HttpParseResult::Kind;

const char kGood[] =
    "POST /?a=b HTTP/1.1\r\n"
    "Host: 127.0.0.1:1\r\n"
    "X-Amz-Target:  TrentService.Decrypt \r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

TEST(HttpParse, CompleteRequest) {
  HttpParseResult r = ParseHttpRequest(kGood);
  ASSERT_EQ(r.kind, Kind::kComplete) << r.error;
  EXPECT_EQ(r.consumed, sizeof(kGood) - 1);
  EXPECT_EQ(r.request.method, "POST");
  EXPECT_EQ(r.request.path, "/");
  EXPECT_EQ(r.request.query, "a=b");
  EXPECT_EQ(r.request.body, "hello");
  ASSERT_NE(r.request.FindHeader("x-amz-target"), nullptr);
  EXPECT_EQ(*r.request.FindHeader("x-amz-target"), "TrentService.Decrypt");
  EXPECT_TRUE(r.request.keep_alive);
}

TEST(HttpParse, EveryPrefixIsIncomplete) {
  const std::string good = kGood;
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(ParseHttpRequest(good.substr(0, n)).kind, Kind::kIncomplete) << n;
  }
}

TEST(HttpParse, PipelinedRequestsConsumeOneAtATime) {
  const std::string two = std::string(kGood) + kGood;
  HttpParseResult r = ParseHttpRequest(two);
  ASSERT_EQ(r.kind, Kind::kComplete);
  EXPECT_EQ(r.consumed, two.size() / 2);
}

void ExpectError(const std::string& req, int status,
                 const HttpLimits& limits = HttpLimits()) {
  HttpParseResult r = ParseHttpRequest(req, limits);
  ASSERT_EQ(r.kind, Kind::kError) << req;
  EXPECT_EQ(r.error_status, status) << req << " -> " << r.error;
}

TEST(HttpParse, RejectsMalformedRequests) {
  const std::string h = "Host: x\r\n";
  ExpectError("POST / HTTP/1.1\n" + h + "\r\n", 400);               // bare LF
  ExpectError("POST / HTTP/1.1\r\nHost: x\n\r\n", 400);             // bare LF
  ExpectError("POST / HTTP/1.1\r\n" + h + " folded\r\n\r\n", 400);  // obs-fold
  ExpectError("POST / HTTP/1.1\r\nBad Name: x\r\n" + h + "\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nNoColon\r\n" + h + "\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nX: a\x01z\r\n" + h + "\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\n" + h +
                  "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
              400);
  ExpectError("POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\n" + h + "Content-Length: 1x\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\n\r\n", 400);               // no Host
  ExpectError("POST / HTTP/1.1\r\n" + h + h + "\r\n", 400);  // two Hosts
  ExpectError("POST http://x/ HTTP/1.1\r\n" + h + "\r\n", 400);
  ExpectError("POST  / HTTP/1.1\r\n" + h + "\r\n", 400);
  ExpectError("POST / HTTP/1.1 x\r\n" + h + "\r\n", 400);
  ExpectError("PO(T / HTTP/1.1\r\n" + h + "\r\n", 400);
  ExpectError("POST / HTTX/1.1\r\n" + h + "\r\n", 400);
  ExpectError("POST / HTTP/1.0\r\n" + h + "\r\n", 505);
  ExpectError(
      "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      501);
}

// What civetweb 1.15 served or answered differently (see http.h) is refused
// here with the status the header promises.
TEST(HttpParse, RefusesWhatCivetwebAccepted) {
  const std::string h = "Host: x\r\n";
  ExpectError("POST / HTTP/1.1\r\nHost : x\r\n\r\n", 400);  // space before :
  ExpectError("POST / HTTP/1.1\r\n" + h + "Content-Length: +1\r\n\r\nx", 400);
  ExpectError("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n",
              501);
  std::string many = "POST / HTTP/1.1\r\n" + h;
  for (int i = 0; i < 65; ++i) absl::StrAppend(&many, "A", i, ": v\r\n");
  ExpectError(many + "\r\n", 431);  // default limit: 64 headers
}

TEST(HttpParse, EnforcesLimits) {
  HttpLimits limits;
  limits.max_request_line_bytes = 32;
  limits.max_header_count = 3;
  limits.max_header_bytes = 100;
  limits.max_body_bytes = 10;
  const std::string h = "Host: x\r\n";
  ExpectError("POST /" + std::string(40, 'a') + " HTTP/1.1\r\n", 414, limits);
  // Even without the CRLF yet: too long already.
  ExpectError("POST /" + std::string(40, 'a'), 414, limits);
  ExpectError("POST / HTTP/1.1\r\n" + h + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431,
              limits);
  ExpectError(
      "POST / HTTP/1.1\r\n" + h + "A: " + std::string(120, 'v') + "\r\n\r\n",
      431, limits);
  ExpectError("POST / HTTP/1.1\r\n" + h + "A: " + std::string(120, 'v'), 431,
              limits);
  ExpectError("POST / HTTP/1.1\r\n" + h + "Content-Length: 11\r\n\r\n", 413,
              limits);
  EXPECT_EQ(ParseHttpRequest("POST / HTTP/1.1\r\n" + h +
                                 "Content-Length: 10\r\n\r\n0123456789",
                             limits)
                .kind,
            Kind::kComplete);
}

TEST(HttpParse, ConnectionClose) {
  HttpParseResult r = ParseHttpRequest(
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(r.kind, Kind::kComplete);
  EXPECT_FALSE(r.request.keep_alive);
  EXPECT_EQ(r.request.body, "");
}

int ConnectTcp(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// Everything the peer sends until it closes; then closes fd.
std::string ReadToEndAndClose(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, n);
  ::close(fd);
  return out;
}

std::string Exchange(uint16_t port, const std::string& request) {
  const int fd = ConnectTcp(port);
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  return ReadToEndAndClose(fd);
}

TEST(HttpServer, ServesKeepAliveAndRejectsOversizedBodies) {
  HttpServerOptions opts;
  opts.limits.max_body_bytes = 16;
  HttpServer server(opts, [](const HttpRequestMessage& r) {
    HttpResponseMessage resp;
    resp.body = "echo:" + r.body;
    return resp;
  });
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);
  const std::string req1 =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
  const std::string req2 =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: "
      "close\r\n\r\nyou";
  const std::string out = Exchange(server.port(), req1 + req2);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\necho:hi"
            "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
            "echo:you");
  const std::string big =
      Exchange(server.port(),
               "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n");
  EXPECT_EQ(big.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << big;
  server.Shutdown();
}

TEST(HttpServer, ShutdownClosesIdleConnections) {
  HttpServer server(HttpServerOptions(), [](const HttpRequestMessage&) {
    return HttpResponseMessage();
  });
  ASSERT_TRUE(server.Start().ok());
  const int fd = ConnectTcp(server.port());
  ASSERT_GE(fd, 0);
  ::send(fd, "POST / HT", 9, MSG_NOSIGNAL);  // a partial request, then idle
  ::usleep(100000);
  server.Shutdown();  // must not hang on the idle connection
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);
  ::close(fd);
}

TEST(HttpServer, SlowRequestsTimeOut) {
  HttpServerOptions opts;
  opts.request_timeout_ms = 1000;
  HttpServer server(
      opts, [](const HttpRequestMessage&) { return HttpResponseMessage(); });
  ASSERT_TRUE(server.Start().ok());
  const int fd = ConnectTcp(server.port());
  ASSERT_GE(fd, 0);
  // Trickle one byte every 100 ms (never idle for long, never complete), then
  // stop sending and wait: the request deadline, not the 30 s idle timeout,
  // closes the connection.
  const std::string req = "POST / HTTP/1.1\r\nHost: x\r\n";
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < 3; ++i) {
    ::send(fd, &req[i], 1, MSG_NOSIGNAL);
    ::usleep(100000);
  }
  const std::string out = ReadToEndAndClose(fd);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(out.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u) << out;
}

TEST(HttpServer, TheDeadlineCoversTheBody) {
  HttpServerOptions opts;
  opts.request_timeout_ms = 300;
  HttpServer server(
      opts, [](const HttpRequestMessage&) { return HttpResponseMessage(); });
  ASSERT_TRUE(server.Start().ok());
  const int fd = ConnectTcp(server.port());
  ASSERT_GE(fd, 0);
  // Complete headers at once, then two body bytes 100 ms apart and nothing
  // more: only the request deadline (not the 30 s idle timeout) can end it.
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  for (int i = 0; i < 2; ++i) {
    ::send(fd, "b", 1, MSG_NOSIGNAL);
    ::usleep(100000);
  }
  const std::string out = ReadToEndAndClose(fd);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(out.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u) << out;
}

TEST(HttpServer, ServesOnAUnixSocket) {
  HttpServerOptions opts;
  opts.unix_socket_path =
      absl::StrCat("/tmp/kms_local_http_test_", getpid(), ".sock");
  HttpServer server(opts, [](const HttpRequestMessage& r) {
    HttpResponseMessage resp;
    resp.body = "unix:" + r.body;
    return resp;
  });
  ASSERT_TRUE(server.Start().ok());
  struct stat st;
  ASSERT_EQ(::stat(opts.unix_socket_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, opts.unix_socket_path.data(),
              opts.unix_socket_path.size());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string req =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: "
      "close\r\n\r\nok";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  const std::string out = ReadToEndAndClose(fd);
  EXPECT_NE(out.find("\r\n\r\nunix:ok"), std::string::npos) << out;
  server.Shutdown();
  EXPECT_NE(::stat(opts.unix_socket_path.c_str(), &st), 0);  // removed
  HttpServerOptions too_long;
  too_long.unix_socket_path = "/tmp/" + std::string(200, 'x');
  HttpServer bad(too_long, [](const HttpRequestMessage&) {
    return HttpResponseMessage();
  });
  EXPECT_EQ(bad.Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpServer, LimitsConcurrentConnections) {
  HttpServerOptions opts;
  opts.max_connections = 1;
  HttpServer server(
      opts, [](const HttpRequestMessage&) { return HttpResponseMessage(); });
  ASSERT_TRUE(server.Start().ok());
  const int first = ConnectTcp(server.port());
  ::usleep(100000);
  // The second connection is closed without an answer.
  const int second = ConnectTcp(server.port());
  char c;
  EXPECT_EQ(::recv(second, &c, 1, 0), 0);
  ::close(second);
  // Once the first is gone, a new connection is served.
  ::close(first);
  // Retry until the first connection's thread has finished (load-tolerant).
  const std::string req =
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string out;
  for (int attempt = 0; attempt < 50 && out.empty(); ++attempt) {
    ::usleep(100000);
    const int fd = ConnectTcp(server.port());
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(req.size())) {
      out = ReadToEndAndClose(fd);
    } else {
      ::close(fd);
    }
  }
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
}

TEST(HttpServer, RejectsBadListenAddress) {
  HttpServerOptions opts;
  opts.host = "not-an-ip";
  HttpServer server(
      opts, [](const HttpRequestMessage&) { return HttpResponseMessage(); });
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nitro_tss::kms_local
