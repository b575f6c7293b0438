#include "node/kms/socket_bridge.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::kms {
namespace {

constexpr size_t kMaxPairs = 32;
constexpr size_t kRelayChunk = 16 * 1024;

struct Pair {
  int client = -1;
  int upstream = -1;
  bool client_eof = false;    // client -> upstream direction finished
  bool upstream_eof = false;  // upstream -> client direction finished
};

bool WriteAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// Moves one chunk from `from` to `to`. Returns false at EOF or error.
bool Relay(int from, int to) {
  char buf[kRelayChunk];
  ssize_t n;
  do {
    n = recv(from, buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  return WriteAll(to, buf, static_cast<size_t>(n));
}

}  // namespace

struct SocketBridge::Counters {
  std::atomic<int> upstream{0};
};

absl::StatusOr<std::unique_ptr<SocketBridge>> SocketBridge::Start(
    std::function<int()> connect) {
  if (!connect) return absl::InvalidArgumentError("bridge: no connect hook");
  absl::BitGen rng;
  std::string name = absl::StrCat("nitro-tss-kms-bridge-", getpid(), "-",
                                  absl::Uniform<uint64_t>(rng));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("bridge: socket: ", std::strerror(errno)));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  addr.sun_path[0] = '\0';
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const socklen_t len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(fd, 16) != 0) {
    int e = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("bridge: bind/listen: ", std::strerror(e)));
  }
  int wake = eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    close(fd);
    return absl::InternalError("bridge: eventfd failed");
  }
  return std::unique_ptr<SocketBridge>(
      new SocketBridge(fd, wake, std::move(name), std::move(connect)));
}

SocketBridge::SocketBridge(int listen_fd, int wake_fd, std::string name,
                           std::function<int()> connect)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      name_(std::move(name)),
      connect_(std::move(connect)),
      counters_(std::make_unique<Counters>()) {
  thread_ = std::thread([this] { Run(); });
}

SocketBridge::~SocketBridge() {
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(listen_fd_);
  close(wake_fd_);
}

int SocketBridge::upstream_connections() const {
  return counters_->upstream.load();
}

void SocketBridge::Run() {
  std::vector<Pair> pairs;
  while (true) {
    std::vector<pollfd> fds = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const Pair& p : pairs) {
      fds.push_back({p.client_eof ? -1 : p.client, POLLIN, 0});
      fds.push_back({p.upstream_eof ? -1 : p.upstream, POLLIN, 0});
    }
    int rc = poll(fds.data(), fds.size(), -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (fds[0].revents & POLLIN)) break;
    for (size_t i = 0; i < pairs.size(); ++i) {
      Pair& p = pairs[i];
      const short crev = fds[2 + 2 * i].revents;
      const short urev = fds[3 + 2 * i].revents;
      if (!p.client_eof && (crev & (POLLIN | POLLHUP | POLLERR))) {
        if (!Relay(p.client, p.upstream)) {
          p.client_eof = true;
          shutdown(p.upstream, SHUT_WR);
        }
      }
      if (!p.upstream_eof && (urev & (POLLIN | POLLHUP | POLLERR))) {
        if (!Relay(p.upstream, p.client)) {
          p.upstream_eof = true;
          shutdown(p.client, SHUT_WR);
        }
      }
    }
    // Drop finished pairs (both directions done, or upstream gone).
    std::vector<Pair> live;
    for (Pair& p : pairs) {
      if (p.upstream_eof) {
        close(p.client);
        close(p.upstream);
      } else {
        live.push_back(p);
      }
    }
    pairs.swap(live);
    if (fds[1].revents & POLLIN) {
      int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        int upstream = pairs.size() < kMaxPairs ? connect_() : -1;
        if (upstream < 0) {
          close(client);  // the HTTP client sees a closed connection
        } else {
          counters_->upstream.fetch_add(1);
          pairs.push_back({client, upstream});
        }
      }
    }
  }
  for (Pair& p : pairs) {
    close(p.client);
    close(p.upstream);
  }
}

}  // namespace nitro_tss::kms
