#include "node/host/proxy.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "node/host/proxy_socket.h"

namespace nitro_tss::host {

using json::Value;
using vsock::UniqueFd;

namespace {

// Waits `d` or until `stop_fd` is readable; false if it is.
bool SleepUnlessStopped(int stop_fd, absl::Duration d) {
  const absl::Time until = absl::Now() + d;
  while (true) {
    int64_t ms = absl::ToInt64Milliseconds(until - absl::Now());
    if (ms <= 0) return true;
    pollfd p{stop_fd, POLLIN, 0};
    int rc = ::poll(&p, stop_fd >= 0 ? 1 : 0, static_cast<int>(ms));
    if (rc > 0) return false;
  }
}

absl::StatusOr<std::unique_ptr<RelayEndpoint>> ConnectWithRetries(
    const std::function<absl::StatusOr<UniqueFd>(absl::Duration)>& connect,
    const RetryPolicy& retry, int stop_fd, const std::string& what) {
  absl::Status last;
  absl::Duration backoff = retry.first_backoff;
  const uint32_t attempts = retry.attempts == 0 ? 1 : retry.attempts;
  for (uint32_t i = 0; i < attempts; ++i) {
    if (i > 0) {
      if (!SleepUnlessStopped(stop_fd, backoff)) {
        return absl::CancelledError(
            absl::StrCat("connect ", what, ": proxy stopping"));
      }
      backoff = std::min(backoff * 2, absl::Seconds(2));
    }
    absl::StatusOr<UniqueFd> fd = connect(retry.attempt_timeout);
    if (fd.ok()) return std::make_unique<PlainEndpoint>(*std::move(fd));
    last = fd.status();
  }
  return absl::Status(
      last.code(), absl::StrCat("connect ", what, ": ", attempts,
                                " attempt(s) failed, last: ", last.message()));
}

}  // namespace

const char* ProxyDirectionName(ProxyDirection d) {
  return d == ProxyDirection::kInbound ? "inbound" : "outbound";
}

ClientSetup PlainClient() {
  return [](UniqueFd fd, int,
            std::string*) -> absl::StatusOr<std::unique_ptr<RelayEndpoint>> {
    return std::make_unique<PlainEndpoint>(std::move(fd));
  };
}

ClientSetup TlsClient(std::shared_ptr<const TlsServer> tls,
                      absl::Duration handshake_timeout) {
  return [tls = std::move(tls), handshake_timeout](UniqueFd fd, int stop_fd,
                                                   std::string* identity)
             -> absl::StatusOr<std::unique_ptr<RelayEndpoint>> {
    auto endpoint = tls->Accept(std::move(fd), handshake_timeout, stop_fd);
    if (!endpoint.ok()) return endpoint.status();
    *identity =
        absl::StrCat((*endpoint)->protocol(), " ", (*endpoint)->peer_subject());
    return std::unique_ptr<RelayEndpoint>(*std::move(endpoint));
  };
}

UpstreamDial TcpUpstream(HostPort destination, RetryPolicy retry) {
  return [destination = std::move(destination), retry](int stop_fd) {
    return ConnectWithRetries(
        [&](absl::Duration timeout) {
          return TcpConnect(destination, timeout);
        },
        retry, stop_fd, destination.ToString());
  };
}

UpstreamDial SocketUpstream(vsock::SocketAddress address, RetryPolicy retry) {
  return [address = std::move(address), retry](int stop_fd) {
    return ConnectWithRetries(
        [&](absl::Duration timeout) {
          return vsock::Connect(address, timeout);
        },
        retry, stop_fd, address.ToString());
  };
}

absl::StatusOr<std::unique_ptr<Proxy>> Proxy::Start(
    ProxyOptions options, UniqueFd listener, ClientSetup client,
    UpstreamDial upstream, const process::Logger* log) {
  if (options.max_connections == 0) {
    return absl::InvalidArgumentError("proxy: max_connections must be >= 1");
  }
  // TLS sessions write with write(2): a peer that went away must be an
  // EPIPE error, not a SIGPIPE that kills the host.
  std::signal(SIGPIPE, SIG_IGN);
  if (!SetNonBlocking(listener.get())) {
    return absl::InternalError("proxy: cannot make the listener non-blocking");
  }
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop.valid()) {
    return absl::InternalError(
        absl::StrCat("proxy: eventfd: ", std::strerror(errno)));
  }
  std::unique_ptr<Proxy> proxy(
      new Proxy(std::move(options), std::move(listener), std::move(stop),
                std::move(client), std::move(upstream), log));
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->AcceptLoop(); });
  return proxy;
}

Proxy::Proxy(ProxyOptions options, UniqueFd listener, UniqueFd stop,
             ClientSetup client, UpstreamDial upstream,
             const process::Logger* log)
    : options_(std::move(options)),
      listener_(std::move(listener)),
      stop_(std::move(stop)),
      client_(std::move(client)),
      upstream_(std::move(upstream)),
      log_(log) {}

Proxy::~Proxy() { Stop(); }

void Proxy::Stop() {
  if (stopped_.exchange(true)) return;
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof(one));
  if (acceptor_.joinable()) acceptor_.join();
  ReapFinished(/*all=*/true);
  listener_ = UniqueFd();
}

void Proxy::ReapFinished(bool all) {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (all || (*it)->done.load()) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Proxy::LogRefusal(const char* reason, const std::string& peer,
                       const absl::Status& status) {
  // At most one line per second per proxy: a flood of strangers must not
  // become a flood of log lines.
  uint64_t suppressed = 0;
  {
    absl::MutexLock lock(&log_mu_);
    const absl::Time now = absl::Now();
    if (now - last_refusal_log_ < absl::Seconds(1)) {
      ++refusals_unlogged_;
      return;
    }
    last_refusal_log_ = now;
    suppressed = refusals_unlogged_;
    refusals_unlogged_ = 0;
  }
  log_->Warn(
      "proxy_refused",
      {{"proxy", Value::String(options_.name)},
       {"direction", Value::String(ProxyDirectionName(options_.direction))},
       {"reason", Value::String(reason)},
       {"peer", Value::String(peer)},
       {"error", Value::String(status.ToString())},
       {"suppressed_before", Value::Int(static_cast<int64_t>(suppressed))}});
}

void Proxy::AcceptLoop() {
  uint64_t seq = 0;
  while (true) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    int rc = ::poll(p, 2, 1000);
    ReapFinished(/*all=*/false);
    if (rc < 0 && errno != EINTR) {
      log_->Error("proxy_poll_failed",
                  {{"proxy", Value::String(options_.name)},
                   {"error", Value::String(std::strerror(errno))}});
      SleepUnlessStopped(stop_.get(), absl::Milliseconds(100));
    }
    if ((p[1].revents & POLLIN) != 0) return;
    if (rc <= 0 || (p[0].revents & POLLIN) == 0) continue;
    int raw = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (raw < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        LogRefusal("resources", "?",
                   absl::ResourceExhaustedError(std::strerror(errno)));
        SleepUnlessStopped(stop_.get(), absl::Milliseconds(100));
      }
      continue;
    }
    UniqueFd fd(raw);
    SetNoDelay(fd.get());
    std::string peer = PeerName(fd.get());
    if (counters_->active.load() >=
        static_cast<int64_t>(options_.max_connections)) {
      counters_->refused_limit.fetch_add(1);
      LogRefusal("limit", peer,
                 absl::ResourceExhaustedError(
                     absl::StrCat(options_.max_connections,
                                  " connections open (max_connections)")));
      continue;  // closed here: the client sees the connection end at once
    }
    counters_->active.fetch_add(1);
    auto c = std::make_unique<Connection>();
    Connection* conn = c.get();
    const uint64_t id = ++seq;
    conn->thread = std::thread(
        [this, conn, id, fd = std::move(fd), peer = std::move(peer)]() mutable {
          Serve(id, std::move(fd), std::move(peer));
          counters_->active.fetch_sub(1);
          conn->done.store(true);
        });
    connections_.push_back(std::move(c));
  }
}

void Proxy::Serve(uint64_t id, UniqueFd fd, std::string peer) {
  const absl::Time start = absl::Now();
  const int stop_fd = stop_.get();
  std::string identity;
  auto client = client_(std::move(fd), stop_fd, &identity);
  if (!client.ok()) {
    if (!absl::IsCancelled(client.status())) {
      counters_->refused_client.fetch_add(1);
      LogRefusal("handshake", peer, client.status());
    }
    return;
  }
  auto upstream = upstream_(stop_fd);
  if (!upstream.ok()) {
    if (!absl::IsCancelled(upstream.status())) {
      counters_->refused_upstream.fetch_add(1);
      LogRefusal("upstream", peer, upstream.status());
    }
    return;
  }
  counters_->opened.fetch_add(1);
  const bool inbound = options_.direction == ProxyDirection::kInbound;
  const std::string dir = ProxyDirectionName(options_.direction);
  log_->Info("proxy_connection_opened",
             {{"proxy", Value::String(options_.name)},
              {"direction", Value::String(dir)},
              {"connection", Value::Int(static_cast<int64_t>(id))},
              {"peer", Value::String(peer)},
              {"client", Value::String(identity)},
              {"upstream", Value::String(options_.upstream)}});
  RelayOptions ro;
  ro.idle_timeout = options_.idle_timeout;
  ro.stop_fd = stop_fd;
  ProxyCounters* counters = counters_.get();
  ro.on_bytes = [counters, inbound](bool client_to_upstream, size_t n) {
    // Inbound: the client is the coordinator, the upstream the enclave.
    // Outbound: the client is the enclave.
    if (client_to_upstream == inbound) {
      counters->bytes_toward_enclave.fetch_add(n, std::memory_order_relaxed);
    } else {
      counters->bytes_from_enclave.fetch_add(n, std::memory_order_relaxed);
    }
  };
  RelayResult r = Relay(**client, **upstream, ro);
  log_->Info("proxy_connection_closed",
             {{"proxy", Value::String(options_.name)},
              {"direction", Value::String(dir)},
              {"connection", Value::Int(static_cast<int64_t>(id))},
              {"bytes_from_client", Value::Int(static_cast<int64_t>(r.a_to_b))},
              {"bytes_to_client", Value::Int(static_cast<int64_t>(r.b_to_a))},
              {"reason", Value::String(r.reason)},
              {"duration_ms",
               Value::Int(absl::ToInt64Milliseconds(absl::Now() - start))}});
}

}  // namespace nitro_tss::host
