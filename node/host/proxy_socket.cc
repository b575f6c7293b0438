#include "node/host/proxy_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::host {
namespace {

using vsock::UniqueFd;

absl::Status Errno(absl::StatusCode code, absl::string_view what,
                   const HostPort& address, int err) {
  return absl::Status(code, absl::StrCat(what, " ", address.ToString(), ": ",
                                         std::strerror(err)));
}

// A sockaddr for an IP literal (validated by ParseHostPort).
bool ToSockaddr(const HostPort& a, sockaddr_storage* ss, socklen_t* len) {
  *ss = {};
  if (a.kind == HostPort::Kind::kIpv4) {
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(a.port);
    if (inet_pton(AF_INET, a.host.c_str(), &in->sin_addr) != 1) return false;
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (a.kind == HostPort::Kind::kIpv6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(a.port);
    if (inet_pton(AF_INET6, a.host.c_str(), &in6->sin6_addr) != 1) {
      return false;
    }
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// One non-blocking connect to `sa`, waiting at most until `deadline`.
absl::StatusOr<UniqueFd> ConnectOne(const sockaddr* sa, socklen_t len,
                                    const HostPort& dest, absl::Time deadline) {
  UniqueFd fd(
      ::socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return Errno(absl::StatusCode::kFailedPrecondition, "socket for", dest,
                 errno);
  }
  int rc;
  do {
    rc = ::connect(fd.get(), sa, len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno != EINPROGRESS) {
      return Errno(absl::StatusCode::kUnavailable, "connect", dest, errno);
    }
    while (true) {
      int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
      if (ms <= 0) {
        return absl::DeadlineExceededError(
            absl::StrCat("connect ", dest.ToString(), ": timed out"));
      }
      pollfd p{fd.get(), POLLOUT, 0};
      int prc = ::poll(&p, 1, ms > 60000 ? 60000 : static_cast<int>(ms));
      if (prc < 0 && errno == EINTR) continue;
      if (prc < 0) {
        return Errno(absl::StatusCode::kUnavailable, "poll", dest, errno);
      }
      if (prc > 0) break;
    }
    int err = 0;
    socklen_t elen = sizeof(err);
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
      err = errno;
    }
    if (err != 0) {
      return Errno(absl::StatusCode::kUnavailable, "connect", dest, err);
    }
  }
  SetNoDelay(fd.get());
  return fd;
}

}  // namespace

void SetNoDelay(int fd) {
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

absl::StatusOr<UniqueFd> TcpListen(const HostPort& address, int backlog) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!ToSockaddr(address, &ss, &len)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen ", address.ToString(), ": not an IP literal address"));
  }
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Errno(absl::StatusCode::kFailedPrecondition, "socket for", address,
                 errno);
  }
  int one = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (address.kind == HostPort::Kind::kIpv6) {
    (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return Errno(absl::StatusCode::kFailedPrecondition, "bind", address, errno);
  }
  if (::listen(fd.get(), backlog) != 0) {
    return Errno(absl::StatusCode::kFailedPrecondition, "listen", address,
                 errno);
  }
  return fd;
}

absl::StatusOr<HostPort> TcpBoundAddress(int listen_fd,
                                         const HostPort& requested) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Errno(absl::StatusCode::kInternal, "getsockname", requested, errno);
  }
  HostPort out = requested;
  if (ss.ss_family == AF_INET) {
    out.port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    out.port = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  return out;
}

absl::StatusOr<UniqueFd> TcpConnect(const HostPort& destination,
                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  sockaddr_storage ss;
  socklen_t len = 0;
  if (ToSockaddr(destination, &ss, &len)) {
    return ConnectOne(reinterpret_cast<sockaddr*>(&ss), len, destination,
                      deadline);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(destination.port);
  int rc = ::getaddrinfo(destination.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "resolve ", destination.ToString(), ": ", ::gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError(
      absl::StrCat("resolve ", destination.ToString(), ": no address"));
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    auto fd = ConnectOne(ai->ai_addr, ai->ai_addrlen, destination, deadline);
    if (fd.ok()) {
      ::freeaddrinfo(list);
      return fd;
    }
    last = fd.status();
    if (absl::IsDeadlineExceeded(last)) break;
  }
  ::freeaddrinfo(list);
  return last;
}

std::string PeerName(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "?";
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    return absl::StrCat(buf, ":", ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", ntohs(in6->sin6_port));
  }
  if (ss.ss_family == AF_UNIX) return "unix";
  if (ss.ss_family == AF_VSOCK) {
    auto* vm = reinterpret_cast<sockaddr_vm*>(&ss);
    return absl::StrCat("vsock://", vm->svm_cid, ":", vm->svm_port);
  }
  return "?";
}

}  // namespace nitro_tss::host
