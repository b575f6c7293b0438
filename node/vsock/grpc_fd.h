// gRPC over already-connected stream sockets, so that the enclave and host
// services speak gRPC over AF_VSOCK (Debian's gRPC 1.51 has no vsock URIs)
// and over unix sockets in local mode through the same code:
// grpc::AddInsecureChannelFromFd / grpc::CreateInsecureChannelFromFd.
//
// No TLS at this layer: vsock is a point-to-point link between one enclave
// and its own parent, and everything secret that crosses it is protected
// end to end above gRPC (attested channel envelopes, sealed blobs,
// CiphertextForRecipient). Where a link leaves the instance (coordinator to
// host) TLS is added by the host (node/host).
#ifndef NITRO_TSS_NODE_VSOCK_GRPC_FD_H_
#define NITRO_TSS_NODE_VSOCK_GRPC_FD_H_

#include <grpcpp/channel.h>
#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node/vsock/address.h"
#include "node/vsock/socket.h"

namespace nitro_tss::vsock {

// Accepts connections on a listening socket and hands each to a running
// grpc::Server (built with ServerBuilder and no listening port). One accept
// thread; Stop() (or the destructor) stops accepting and joins it. The
// server must outlive the acceptor; connections already handed over belong
// to the server (grpc::Server::Shutdown ends them).
class GrpcFdAcceptor {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcFdAcceptor>> Start(
      grpc::Server* server, UniqueFd listener);
  ~GrpcFdAcceptor();
  GrpcFdAcceptor(const GrpcFdAcceptor&) = delete;
  GrpcFdAcceptor& operator=(const GrpcFdAcceptor&) = delete;

  void Stop();
  // Connections handed to the server so far.
  uint64_t accepted() const { return accepted_.load(); }

 private:
  GrpcFdAcceptor(grpc::Server* server, UniqueFd listener, UniqueFd wake);
  void Run();

  grpc::Server* server_;
  UniqueFd listener_;
  UniqueFd wake_;  // eventfd written by Stop()
  std::atomic<uint64_t> accepted_{0};
  std::thread thread_;
};

// A client channel over one new connection to `address` (connect bounded
// by `timeout`). The channel dies with the connection: callers re-dial on
// UNAVAILABLE.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialGrpc(
    const SocketAddress& address, absl::Duration timeout);

}  // namespace nitro_tss::vsock

#endif  // NITRO_TSS_NODE_VSOCK_GRPC_FD_H_
