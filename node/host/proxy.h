// tss-host's proxies: a listener whose connections are relayed, byte for
// byte, to one upstream.
//
//  - inbound: TCP with mutual TLS from the coordinator, ending at the host,
//    to the enclave's service address (vsock://CID:PORT, unix:// locally);
//  - outbound: the enclave's vsock (unix) connections to ONE allowlisted
//    TCP destination each (KMS), like AWS's vsock-proxy.
//
// At most `max_connections` at once (more are accepted and closed at once,
// so a client fails fast instead of waiting in the backlog); each
// connection has its own thread, a handshake step (TLS), an upstream
// connect with retries and timeouts, and an idle timeout. A failed connect
// ends that connection only: the proxy keeps serving. Stop() closes the
// listener and every connection and joins all threads.
#ifndef NITRO_TSS_NODE_HOST_PROXY_H_
#define NITRO_TSS_NODE_HOST_PROXY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/process.h"
#include "node/host/proxy_address.h"
#include "node/host/proxy_relay.h"
#include "node/host/tls_server.h"
#include "node/vsock/address.h"
#include "node/vsock/socket.h"

namespace nitro_tss::host {

enum class ProxyDirection { kInbound, kOutbound };
const char* ProxyDirectionName(ProxyDirection d);

// Live counters of one proxy (read by the metrics endpoint). "Toward the
// enclave" is client->upstream for inbound and upstream->client for
// outbound.
struct ProxyCounters {
  std::atomic<int64_t> active{0};             // accepted, not yet closed
  std::atomic<uint64_t> opened{0};            // relayed to the upstream
  std::atomic<uint64_t> refused_limit{0};     // over max_connections
  std::atomic<uint64_t> refused_client{0};    // handshake failed
  std::atomic<uint64_t> refused_upstream{0};  // upstream unreachable
  std::atomic<uint64_t> bytes_toward_enclave{0};
  std::atomic<uint64_t> bytes_from_enclave{0};
};

// Turns an accepted socket into the client endpoint (e.g. the TLS
// handshake). `identity` receives what to log about the client.
using ClientSetup =
    std::function<absl::StatusOr<std::unique_ptr<RelayEndpoint>>(
        vsock::UniqueFd fd, int stop_fd, std::string* identity)>;
// Connects to the upstream.
using UpstreamDial =
    std::function<absl::StatusOr<std::unique_ptr<RelayEndpoint>>(int stop_fd)>;

// The client as it is (outbound: the enclave's socket).
ClientSetup PlainClient();
// The server side of mutual TLS (inbound).
ClientSetup TlsClient(std::shared_ptr<const TlsServer> tls,
                      absl::Duration handshake_timeout);

struct RetryPolicy {
  uint32_t attempts = 3;  // >= 1
  absl::Duration attempt_timeout = absl::Seconds(5);
  absl::Duration first_backoff = absl::Milliseconds(100);  // doubled, <= 2 s
};
// The upstream is a TCP destination (resolved at every attempt; only its
// own addresses are ever connected to).
UpstreamDial TcpUpstream(HostPort destination, RetryPolicy retry);
// The upstream is a vsock or unix socket (the enclave's service).
UpstreamDial SocketUpstream(vsock::SocketAddress address, RetryPolicy retry);

struct ProxyOptions {
  std::string name;  // in logs and metrics ("coordinator", "kms")
  ProxyDirection direction = ProxyDirection::kOutbound;
  uint32_t max_connections = 64;
  absl::Duration idle_timeout = absl::Minutes(5);
  std::string upstream;  // for logs
};

class Proxy {
 public:
  // Serves `listener` (a listening socket) until Stop(). `log` must outlive
  // the proxy.
  static absl::StatusOr<std::unique_ptr<Proxy>> Start(
      ProxyOptions options, vsock::UniqueFd listener, ClientSetup client,
      UpstreamDial upstream, const process::Logger* log);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Closes the listener and every connection, joins all threads.
  // Idempotent.
  void Stop();

  const ProxyOptions& options() const { return options_; }
  std::shared_ptr<const ProxyCounters> counters() const { return counters_; }

 private:
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  Proxy(ProxyOptions options, vsock::UniqueFd listener, vsock::UniqueFd stop,
        ClientSetup client, UpstreamDial upstream, const process::Logger* log);
  void AcceptLoop();
  void Serve(uint64_t id, vsock::UniqueFd fd, std::string peer);
  void ReapFinished(bool all);
  void LogRefusal(const char* reason, const std::string& peer,
                  const absl::Status& status);

  const ProxyOptions options_;
  vsock::UniqueFd listener_;
  vsock::UniqueFd stop_;  // eventfd: written once by Stop(), never read
  ClientSetup client_;
  UpstreamDial upstream_;
  const process::Logger* log_;
  std::shared_ptr<ProxyCounters> counters_ = std::make_shared<ProxyCounters>();
  std::list<std::unique_ptr<Connection>> connections_;  // accept thread only
  std::thread acceptor_;
  std::atomic<bool> stopped_{false};
  absl::Mutex log_mu_;
  absl::Time last_refusal_log_ ABSL_GUARDED_BY(log_mu_) = absl::InfinitePast();
  uint64_t refusals_unlogged_ ABSL_GUARDED_BY(log_mu_) = 0;
};

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_PROXY_H_
