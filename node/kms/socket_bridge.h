// Relays connections made to a private abstract AF_UNIX socket to sockets
// produced by a caller-supplied connect function (e.g. AF_VSOCK to the
// parent's vsock proxy).
//
// Why: libcurl 7.88 (Debian 12) ignores CURL_SOCKOPT_ALREADY_CONNECTED
// (curl issue #10626, fixed in 8.0), so a pre-connected socket cannot be
// handed to curl; and curl cannot connect() an AF_VSOCK address itself.
// KmsClient therefore points curl at this bridge's abstract unix socket.
// Bytes are relayed unmodified: with an https endpoint TLS still runs end to
// end between curl and KMS, so the bridge (like the parent's proxy) only
// ever sees ciphertext.
#ifndef NITRO_TSS_NODE_KMS_SOCKET_BRIDGE_H_
#define NITRO_TSS_NODE_KMS_SOCKET_BRIDGE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace nitro_tss::kms {

class SocketBridge {
 public:
  // `connect` returns a connected stream socket fd (the bridge takes
  // ownership) or -1. Starts the relay thread. Internal on socket errors.
  static absl::StatusOr<std::unique_ptr<SocketBridge>> Start(
      std::function<int()> connect);

  // Stops the relay thread and closes every socket.
  ~SocketBridge();

  // The abstract socket name (without the leading NUL byte), for
  // CURLOPT_ABSTRACT_UNIX_SOCKET.
  const std::string& abstract_name() const { return name_; }

  // Number of upstream connections made so far.
  int upstream_connections() const;

 private:
  SocketBridge(int listen_fd, int wake_fd, std::string name,
               std::function<int()> connect);
  void Run();

  const int listen_fd_;
  const int wake_fd_;  // eventfd: written by the destructor to stop Run()
  const std::string name_;
  std::function<int()> connect_;
  std::thread thread_;
  struct Counters;
  std::unique_ptr<Counters> counters_;
};

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_SOCKET_BRIDGE_H_
