// Socket addresses of the node's processes: `vsock://CID:PORT` (AF_VSOCK,
// the only way into and out of a Nitro Enclave) and `unix://PATH` (local
// mode, standing for a (CID, port) pair on machines without vsock
// loopback). Everything above the socket is the same code for both.
#ifndef NITRO_TSS_NODE_VSOCK_ADDRESS_H_
#define NITRO_TSS_NODE_VSOCK_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::vsock {

// Longest unix socket path (sockaddr_un::sun_path holds 108 bytes with the
// terminating NUL).
inline constexpr size_t kMaxUnixPathBytes = 107;

struct SocketAddress {
  enum class Kind { kVsock, kUnix };
  Kind kind = Kind::kUnix;
  uint32_t cid = 0;   // kVsock
  uint32_t port = 0;  // kVsock
  std::string path;   // kUnix: absolute or relative filesystem path

  // Parses "vsock://CID:PORT" (decimal, CID and PORT < 2^32, no sign, no
  // leading zeros except "0") or "unix://PATH" (1..kMaxUnixPathBytes bytes,
  // no NUL). InvalidArgument naming what is wrong otherwise.
  static absl::StatusOr<SocketAddress> Parse(absl::string_view text);

  static SocketAddress Vsock(uint32_t cid, uint32_t port);
  static SocketAddress Unix(std::string path);

  // The form Parse accepts.
  std::string ToString() const;

  bool operator==(const SocketAddress&) const = default;
};

// Well-known vsock CIDs (linux/vm_sockets.h).
inline constexpr uint32_t kVsockCidAny = 0xFFFFFFFFu;
inline constexpr uint32_t kVsockCidHost = 2;    // the hypervisor's host
inline constexpr uint32_t kVsockCidParent = 3;  // a Nitro Enclave's parent

}  // namespace nitro_tss::vsock

#endif  // NITRO_TSS_NODE_VSOCK_ADDRESS_H_
