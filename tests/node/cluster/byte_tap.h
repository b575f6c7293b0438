// Test harness only: a recording relay between two unix sockets, and a
// search over what it recorded.
//
// A ByteTap listens on a unix socket and relays every connection, byte for
// byte and unmodified, to an upstream unix socket, keeping a copy of every
// byte in each direction. The cluster harness (cluster.h, ClusterOptions::
// tap) puts one on each path that crosses a node's host: the host's inbound
// path to its enclave's service (after TLS ends at the host: the bytes the
// host relays in clear), the host service the enclave calls (sealed blobs,
// credentials, metrics), and the outbound proxy to KMS. Nothing in the
// production processes knows about it: they are only configured with the
// tap's socket instead of their peer's.
//
// A byte is recorded before it is forwarded, so once the receiving side has
// it, the record has it too.
#ifndef NITRO_TSS_TESTS_NODE_CLUSTER_BYTE_TAP_H_
#define NITRO_TSS_TESTS_NODE_CLUSTER_BYTE_TAP_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "node/vsock/socket.h"

namespace nitro_tss::testing {

class ByteTap {
 public:
  // One direction of one relayed connection.
  struct Stream {
    std::string tap;     // the tap's name
    int connection = 0;  // 1, 2, ... in accept order
    bool from_client = false;
    std::string bytes;
  };

  // Listens on `listen_path` (unix socket) and relays to `upstream_path`.
  static absl::StatusOr<std::unique_ptr<ByteTap>> Start(
      std::string name, const std::string& listen_path,
      std::string upstream_path);
  ~ByteTap();
  ByteTap(const ByteTap&) = delete;
  ByteTap& operator=(const ByteTap&) = delete;

  const std::string& name() const { return name_; }
  // A copy of everything recorded so far.
  std::vector<Stream> Streams() const;
  uint64_t total_bytes() const { return total_.load(); }
  int connections() const;

 private:
  struct Connection;
  ByteTap() = default;
  void AcceptLoop();
  void Pump(Connection* c, bool from_client);

  std::string name_;
  std::string upstream_path_;
  vsock::UniqueFd listener_;
  vsock::UniqueFd stop_;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::atomic<uint64_t> total_{0};
};

// Where a needle was found: "<tap> #N client->upstream <view>".
struct TapHit {
  std::string where;
  size_t offset = 0;
};

// What a reader of the recorded bytes could look at, computed once: for
// each stream its raw bytes; for HTTP/2 (gRPC) streams the DATA frame
// payloads of each HTTP/2 stream concatenated (so a value split by a frame
// header is still found); and every run of base64 characters decoded (the
// KMS API's JSON bodies carry binary values in base64).
class TapCorpus {
 public:
  explicit TapCorpus(const std::vector<ByteTap::Stream>& streams);
  // Every place `needle` (non-empty) occurs.
  std::vector<TapHit> Find(const std::string& needle) const;
  // Bytes recorded per tap name (raw, both directions).
  uint64_t BytesOf(const std::string& tap) const;
  size_t views() const { return views_.size(); }

 private:
  struct View {
    std::string tap;
    std::string where;
    std::string bytes;
  };
  std::vector<View> views_;
};

// The HTTP/2 DATA payloads of `bytes` (one direction of a connection) by
// stream id; empty if `bytes` is not HTTP/2 frames.
std::vector<std::pair<uint32_t, std::string>> Http2Data(
    const std::string& bytes, bool from_client);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_NODE_CLUSTER_BYTE_TAP_H_
