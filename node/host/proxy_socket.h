// TCP sockets of tss-host's proxies (the vsock/unix side is node/vsock).
// Errors are absl statuses naming the address: UNAVAILABLE for a peer that
// is not there or refused, DEADLINE_EXCEEDED for a connect that timed out,
// FAILED_PRECONDITION for local problems (bind).
#ifndef NITRO_TSS_NODE_HOST_PROXY_SOCKET_H_
#define NITRO_TSS_NODE_HOST_PROXY_SOCKET_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node/host/proxy_address.h"
#include "node/vsock/socket.h"

namespace nitro_tss::host {

// A listening TCP socket on an IP literal (SO_REUSEADDR, O_CLOEXEC); port 0
// lets the kernel choose (see TcpBoundAddress).
absl::StatusOr<vsock::UniqueFd> TcpListen(const HostPort& address,
                                          int backlog = 128);

// The address a listening TCP socket is bound to.
absl::StatusOr<HostPort> TcpBoundAddress(int listen_fd,
                                         const HostPort& requested);

// Resolves `destination` (getaddrinfo; only this host and port) and
// connects to its addresses in order until one accepts, all within
// `timeout`. The socket is non-blocking, O_CLOEXEC, TCP_NODELAY.
absl::StatusOr<vsock::UniqueFd> TcpConnect(const HostPort& destination,
                                           absl::Duration timeout);

// "ADDRESS:PORT" of the other end of a connected socket, or "?" (for logs).
std::string PeerName(int fd);

// TCP_NODELAY on a TCP socket (no-op for other families).
void SetNoDelay(int fd);

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_PROXY_SOCKET_H_
