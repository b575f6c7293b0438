// Stream sockets on SocketAddress: listen, accept, connect, for AF_VSOCK
// and AF_UNIX alike. Every function sets O_CLOEXEC; errors are absl
// statuses carrying the address and errno text (UNAVAILABLE for a peer
// that is not there or refused, DEADLINE_EXCEEDED for a connect that timed
// out, INVALID_ARGUMENT / FAILED_PRECONDITION for local problems).
#ifndef NITRO_TSS_NODE_VSOCK_SOCKET_H_
#define NITRO_TSS_NODE_VSOCK_SOCKET_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node/vsock/address.h"

namespace nitro_tss::vsock {

// Owns a file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.Release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership.
  int Release();

 private:
  int fd_ = -1;
};

// True if this kernel offers AF_VSOCK sockets at all (a socket can be
// created). Loopback between two processes of one machine additionally
// needs the vsock_loopback transport, which Listen/Connect report as
// errors when missing.
bool VsockAvailable();

// A listening socket. For unix://PATH an existing socket file at PATH is
// replaced (a stale one from a crashed process) and the new one gets mode
// 0600; other file types at PATH are refused (FAILED_PRECONDITION).
absl::StatusOr<UniqueFd> Listen(const SocketAddress& address, int backlog = 64);

// The address a listening socket is bound to (vsock: the port the kernel
// chose for port VMADDR_PORT_ANY).
absl::StatusOr<SocketAddress> BoundAddress(int listen_fd,
                                           const SocketAddress& requested);

// A connected socket, or an error after `timeout`.
absl::StatusOr<UniqueFd> Connect(const SocketAddress& address,
                                 absl::Duration timeout);

}  // namespace nitro_tss::vsock

#endif  // NITRO_TSS_NODE_VSOCK_SOCKET_H_
