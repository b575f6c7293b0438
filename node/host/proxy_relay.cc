#include "node/host/proxy_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::host {

bool SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

PlainEndpoint::PlainEndpoint(vsock::UniqueFd fd) : fd_(std::move(fd)) {
  (void)SetNonBlocking(fd_.get());
}

RelayEndpoint::Result PlainEndpoint::Read(uint8_t* buf, size_t n) {
  while (true) {
    ssize_t r = ::recv(fd_.get(), buf, n, 0);
    if (r > 0) return {Io::kOk, static_cast<size_t>(r)};
    if (r == 0) return {Io::kEof};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {Io::kWantRead};
    return {Io::kError, 0, absl::StrCat("recv: ", std::strerror(errno))};
  }
}

RelayEndpoint::Result PlainEndpoint::Write(const uint8_t* buf, size_t n) {
  while (true) {
    ssize_t r = ::send(fd_.get(), buf, n, MSG_NOSIGNAL);
    if (r >= 0) return {Io::kOk, static_cast<size_t>(r)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {Io::kWantWrite};
    return {Io::kError, 0, absl::StrCat("send: ", std::strerror(errno))};
  }
}

void PlainEndpoint::ShutdownWrite() { (void)::shutdown(fd_.get(), SHUT_WR); }

namespace {

using Io = RelayEndpoint::Io;

constexpr size_t kRelayBufferBytes = 16 * 1024;

struct Direction {
  RelayEndpoint* src;
  RelayEndpoint* dst;
  bool a_to_b;
  std::array<uint8_t, kRelayBufferBytes> buf{};
  size_t start = 0;
  size_t end = 0;
  bool src_eof = false;
  bool dst_shut = false;
  Io read_wait = Io::kWantRead;
  Io write_wait = Io::kWantWrite;
  uint64_t total = 0;

  bool empty() const { return start == end; }
  bool wants_read() const { return !dst_shut && empty() && !src_eof; }
  bool wants_write() const { return !dst_shut && !empty(); }
};

void AddEvents(std::array<pollfd, 3>& p, int fd, short events) {
  for (pollfd& e : p) {
    if (e.fd == fd) {
      e.events |= events;
      return;
    }
  }
}

}  // namespace

RelayResult Relay(RelayEndpoint& a, RelayEndpoint& b,
                  const RelayOptions& options) {
  auto dirs = std::make_unique<std::array<Direction, 2>>();
  (*dirs)[0].src = &a;
  (*dirs)[0].dst = &b;
  (*dirs)[0].a_to_b = true;
  (*dirs)[1].src = &b;
  (*dirs)[1].dst = &a;
  (*dirs)[1].a_to_b = false;
  RelayResult result;
  auto finish = [&](std::string reason) {
    result.a_to_b = (*dirs)[0].total;
    result.b_to_a = (*dirs)[1].total;
    result.reason = std::move(reason);
    return result;
  };
  auto side = [&](const RelayEndpoint* e) { return e == &a ? "a: " : "b: "; };
  absl::Time idle_deadline = absl::Now() + options.idle_timeout;

  while (true) {
    bool progress = false;
    for (Direction& d : *dirs) {
      if (d.wants_read()) {
        RelayEndpoint::Result r = d.src->Read(d.buf.data(), d.buf.size());
        switch (r.io) {
          case Io::kOk:
            d.start = 0;
            d.end = r.bytes;
            progress = true;
            break;
          case Io::kEof:
            d.src_eof = true;
            progress = true;
            break;
          case Io::kWantRead:
          case Io::kWantWrite:
            d.read_wait = r.io;
            break;
          case Io::kError:
            return finish(absl::StrCat(side(d.src), r.error));
        }
      }
      if (d.wants_write()) {
        RelayEndpoint::Result w =
            d.dst->Write(d.buf.data() + d.start, d.end - d.start);
        switch (w.io) {
          case Io::kOk:
            d.start += w.bytes;
            d.total += w.bytes;
            if (options.on_bytes && w.bytes > 0) {
              options.on_bytes(d.a_to_b, w.bytes);
            }
            progress = true;
            break;
          case Io::kWantRead:
          case Io::kWantWrite:
            d.write_wait = w.io;
            break;
          case Io::kEof:
          case Io::kError:
            return finish(absl::StrCat(side(d.dst), w.error));
        }
      }
      if (d.src_eof && d.empty() && !d.dst_shut) {
        d.dst->ShutdownWrite();
        d.dst_shut = true;
        progress = true;
      }
    }
    if ((*dirs)[0].dst_shut && (*dirs)[1].dst_shut) return finish("closed");
    const absl::Time now = absl::Now();
    if (progress) {
      idle_deadline = now + options.idle_timeout;
      continue;
    }
    if (now >= idle_deadline) return finish("idle_timeout");

    // Only fds with something to wait for are polled (fd -1 is skipped),
    // so that a hung-up fd we do not use cannot spin this loop.
    std::array<pollfd, 3> p{};
    p[0] = {a.fd(), 0, 0};
    p[1] = {b.fd(), 0, 0};
    p[2] = {options.stop_fd, POLLIN, 0};
    for (const Direction& d : *dirs) {
      if (d.wants_read()) {
        AddEvents(p, d.src->fd(),
                  d.read_wait == Io::kWantWrite ? POLLOUT : POLLIN);
      }
      if (d.wants_write()) {
        AddEvents(p, d.dst->fd(),
                  d.write_wait == Io::kWantRead ? POLLIN : POLLOUT);
      }
    }
    for (pollfd& e : p) {
      if (e.events == 0) e.fd = -1;
    }
    int64_t ms = absl::ToInt64Milliseconds(idle_deadline - now) + 1;
    int rc =
        ::poll(p.data(), p.size(), ms > 60000 ? 60000 : static_cast<int>(ms));
    if (rc < 0 && errno != EINTR) {
      return finish(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (options.stop_fd >= 0 && rc > 0 && (p[2].revents & POLLIN) != 0) {
      return finish("stopped");
    }
  }
}

}  // namespace nitro_tss::host
