#include "node/vsock/grpc_fd.h"

#include <fcntl.h>
#include <grpcpp/create_channel_posix.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::vsock {
namespace {

bool SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcFdAcceptor>> GrpcFdAcceptor::Start(
    grpc::Server* server, UniqueFd listener) {
  if (server == nullptr || !listener.valid()) {
    return absl::InvalidArgumentError(
        "grpc acceptor: needs a server and a listening socket");
  }
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) {
    return absl::InternalError(
        absl::StrCat("grpc acceptor: eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<GrpcFdAcceptor> a(
      new GrpcFdAcceptor(server, std::move(listener), std::move(wake)));
  a->thread_ = std::thread([p = a.get()] { p->Run(); });
  return a;
}

GrpcFdAcceptor::GrpcFdAcceptor(grpc::Server* server, UniqueFd listener,
                               UniqueFd wake)
    : server_(server), listener_(std::move(listener)), wake_(std::move(wake)) {}

GrpcFdAcceptor::~GrpcFdAcceptor() { Stop(); }

void GrpcFdAcceptor::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
  thread_.join();
}

void GrpcFdAcceptor::Run() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: keep serving
    if (!SetNonBlocking(fd)) {
      ::close(fd);
      continue;
    }
    grpc::AddInsecureChannelFromFd(server_, fd);  // the server owns fd now
    accepted_.fetch_add(1);
  }
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialGrpc(
    const SocketAddress& address, absl::Duration timeout) {
  auto fd = Connect(address, timeout);
  if (!fd.ok()) return fd.status();
  if (!SetNonBlocking(fd->get())) {
    return absl::InternalError(absl::StrCat("dial ", address.ToString(),
                                            ": fcntl: ", std::strerror(errno)));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomInsecureChannelFromFd(address.ToString(),
                                                 fd->Release(), args);
}

}  // namespace nitro_tss::vsock
