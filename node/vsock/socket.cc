#include "node/vsock/socket.h"

#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::vsock {
namespace {

absl::Status Errno(absl::StatusCode code, absl::string_view what,
                   const SocketAddress& address, int err) {
  return absl::Status(code, absl::StrCat(what, " ", address.ToString(), ": ",
                                         std::strerror(err)));
}

struct Sockaddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = 0;
};

Sockaddr ToSockaddr(const SocketAddress& address) {
  Sockaddr s;
  if (address.kind == SocketAddress::Kind::kVsock) {
    auto* vm = reinterpret_cast<sockaddr_vm*>(&s.storage);
    vm->svm_family = AF_VSOCK;
    vm->svm_cid = address.cid;
    vm->svm_port = address.port;
    s.length = sizeof(sockaddr_vm);
    s.family = AF_VSOCK;
  } else {
    auto* un = reinterpret_cast<sockaddr_un*>(&s.storage);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, address.path.data(), address.path.size());
    s.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                      address.path.size() + 1);
    s.family = AF_UNIX;
  }
  return s;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

bool VsockAvailable() {
  int fd = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

absl::StatusOr<UniqueFd> Listen(const SocketAddress& address, int backlog) {
  if (address.kind == SocketAddress::Kind::kUnix) {
    if (address.path.empty() || address.path.size() > kMaxUnixPathBytes) {
      return absl::InvalidArgumentError("unix address: bad path length");
    }
    struct stat st {};
    if (::lstat(address.path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return absl::FailedPreconditionError(
            absl::StrCat("listen ", address.ToString(),
                         ": path exists and is not a socket"));
      }
      ::unlink(address.path.c_str());
    }
  }
  Sockaddr sa = ToSockaddr(address);
  UniqueFd fd(::socket(sa.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Errno(absl::StatusCode::kFailedPrecondition, "socket for", address,
                 errno);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa.storage), sa.length) !=
      0) {
    return Errno(absl::StatusCode::kFailedPrecondition, "bind", address, errno);
  }
  if (address.kind == SocketAddress::Kind::kUnix &&
      ::chmod(address.path.c_str(), 0600) != 0) {
    return Errno(absl::StatusCode::kFailedPrecondition, "chmod", address,
                 errno);
  }
  if (::listen(fd.get(), backlog) != 0) {
    return Errno(absl::StatusCode::kFailedPrecondition, "listen", address,
                 errno);
  }
  return fd;
}

absl::StatusOr<SocketAddress> BoundAddress(int listen_fd,
                                           const SocketAddress& requested) {
  if (requested.kind == SocketAddress::Kind::kUnix) return requested;
  sockaddr_vm vm{};
  socklen_t len = sizeof(vm);
  if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&vm), &len) != 0) {
    return Errno(absl::StatusCode::kInternal, "getsockname", requested, errno);
  }
  return SocketAddress::Vsock(requested.cid, vm.svm_port);
}

absl::StatusOr<UniqueFd> Connect(const SocketAddress& address,
                                 absl::Duration timeout) {
  if (address.kind == SocketAddress::Kind::kUnix &&
      (address.path.empty() || address.path.size() > kMaxUnixPathBytes)) {
    return absl::InvalidArgumentError("unix address: bad path length");
  }
  Sockaddr sa = ToSockaddr(address);
  UniqueFd fd(
      ::socket(sa.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return Errno(absl::StatusCode::kFailedPrecondition, "socket for", address,
                 errno);
  }
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa.storage),
                   sa.length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      return Errno(absl::StatusCode::kUnavailable, "connect", address, errno);
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int64_t ms = absl::ToInt64Milliseconds(timeout);
    int prc;
    do {
      prc = ::poll(&p, 1, ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms));
    } while (prc < 0 && errno == EINTR);
    if (prc == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("connect ", address.ToString(), ": timed out after ",
                       absl::FormatDuration(timeout)));
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (prc < 0 ||
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      return Errno(absl::StatusCode::kUnavailable, "connect", address, errno);
    }
    if (err != 0) {
      return Errno(absl::StatusCode::kUnavailable, "connect", address, err);
    }
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return Errno(absl::StatusCode::kInternal, "fcntl", address, errno);
  }
  return fd;
}

}  // namespace nitro_tss::vsock
