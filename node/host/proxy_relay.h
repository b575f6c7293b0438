// The byte pump of tss-host's proxies: copies a connection's two directions
// between two endpoints (plain sockets or a TLS session) until both ends
// are closed, one fails, nothing moves for the idle timeout, or the proxy
// stops. One thread per connection, non-blocking sockets, one poll(2) loop;
// a 16 KiB buffer per direction, filled only when empty (backpressure: a
// slow reader slows its writer, memory stays bounded). Bytes are never
// looked at: what passes is opaque to the host.
#ifndef NITRO_TSS_NODE_HOST_PROXY_RELAY_H_
#define NITRO_TSS_NODE_HOST_PROXY_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "node/vsock/socket.h"

namespace nitro_tss::host {

// One side of a relayed connection.
class RelayEndpoint {
 public:
  enum class Io {
    kOk,         // `bytes` moved
    kWantRead,   // retry once the fd is readable
    kWantWrite,  // retry once the fd is writable
    kEof,        // the peer finished sending (Read only)
    kError,      // the connection is broken; `error` says why
  };
  struct Result {
    Io io = Io::kError;
    size_t bytes = 0;
    std::string error = {};
  };

  virtual ~RelayEndpoint() = default;
  virtual int fd() const = 0;
  virtual Result Read(uint8_t* buf, size_t n) = 0;
  virtual Result Write(const uint8_t* buf, size_t n) = 0;
  // Tells the peer no more bytes follow (shutdown(SHUT_WR), TLS
  // close_notify); best effort.
  virtual void ShutdownWrite() = 0;
};

// A plain stream socket (TCP, unix, vsock). Makes the fd non-blocking.
class PlainEndpoint final : public RelayEndpoint {
 public:
  explicit PlainEndpoint(vsock::UniqueFd fd);
  int fd() const override { return fd_.get(); }
  Result Read(uint8_t* buf, size_t n) override;
  Result Write(const uint8_t* buf, size_t n) override;
  void ShutdownWrite() override;

 private:
  vsock::UniqueFd fd_;
};

// Makes `fd` non-blocking; false on failure.
bool SetNonBlocking(int fd);

struct RelayOptions {
  absl::Duration idle_timeout = absl::Minutes(5);
  // Readable once the proxy stops (an eventfd that is written and never
  // read); -1 for none.
  int stop_fd = -1;
  // Called with each chunk's size as it is written: (a_to_b, bytes).
  std::function<void(bool, size_t)> on_bytes = nullptr;
};

struct RelayResult {
  uint64_t a_to_b = 0;
  uint64_t b_to_a = 0;
  // "closed" (both directions finished), "idle_timeout", "stopped", or the
  // error of the side that failed ("a: ..."/"b: ...").
  std::string reason;
};

// Relays between `a` and `b` until the connection is over; see above.
RelayResult Relay(RelayEndpoint& a, RelayEndpoint& b,
                  const RelayOptions& options);

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_PROXY_RELAY_H_
