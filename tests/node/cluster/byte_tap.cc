#include "tests/node/cluster/byte_tap.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/vsock/address.h"

namespace nitro_tss::testing {

struct ByteTap::Connection {
  int id = 0;
  vsock::UniqueFd client;
  vsock::UniqueFd upstream;
  std::string from_client;  // guarded by ByteTap::mu_
  std::string to_client;
  std::thread up, down;
};

absl::StatusOr<std::unique_ptr<ByteTap>> ByteTap::Start(
    std::string name, const std::string& listen_path,
    std::string upstream_path) {
  std::unique_ptr<ByteTap> tap(new ByteTap());
  tap->name_ = std::move(name);
  tap->upstream_path_ = std::move(upstream_path);
  auto listener = vsock::Listen(vsock::SocketAddress::Unix(listen_path));
  if (!listener.ok()) return listener.status();
  tap->listener_ = *std::move(listener);
  tap->stop_ = vsock::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!tap->stop_.valid()) return absl::InternalError("tap: eventfd");
  tap->acceptor_ = std::thread([t = tap.get()] { t->AcceptLoop(); });
  return tap;
}

ByteTap::~ByteTap() {
  uint64_t one = 1;
  (void)!::write(stop_.get(), &one, sizeof(one));
  if (acceptor_.joinable()) acceptor_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : connections_) {
      // Unblocks both pumps' reads and writes.
      ::shutdown(c->client.get(), SHUT_RDWR);
      ::shutdown(c->upstream.get(), SHUT_RDWR);
    }
    connections.swap(connections_);
  }
  for (auto& c : connections) {
    if (c->up.joinable()) c->up.join();
    if (c->down.joinable()) c->down.join();
  }
}

void ByteTap::AcceptLoop() {
  int next_id = 0;
  while (true) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    int rc = ::poll(p, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (p[1].revents & POLLIN) != 0) return;
    if ((p[0].revents & POLLIN) == 0) continue;
    int raw = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (raw < 0) continue;
    vsock::UniqueFd client(raw);
    auto upstream = vsock::Connect(vsock::SocketAddress::Unix(upstream_path_),
                                   absl::Seconds(5));
    if (!upstream.ok()) continue;  // the client sees its connection end
    auto c = std::make_unique<Connection>();
    c->id = ++next_id;
    c->client = std::move(client);
    c->upstream = *std::move(upstream);
    Connection* conn = c.get();
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(std::move(c));
    conn->up = std::thread([this, conn] { Pump(conn, true); });
    conn->down = std::thread([this, conn] { Pump(conn, false); });
  }
}

void ByteTap::Pump(Connection* c, bool from_client) {
  const int src = from_client ? c->client.get() : c->upstream.get();
  const int dst = from_client ? c->upstream.get() : c->client.get();
  std::string* record = from_client ? &c->from_client : &c->to_client;
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(src, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    {
      // Recorded before it is forwarded.
      std::lock_guard<std::mutex> lock(mu_);
      record->append(buf, static_cast<size_t>(n));
    }
    total_.fetch_add(static_cast<uint64_t>(n));
    ssize_t off = 0;
    while (off < n) {
      ssize_t w =
          ::send(dst, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ::shutdown(src, SHUT_RD);
        return;
      }
      off += w;
    }
  }
  ::shutdown(dst, SHUT_WR);
}

std::vector<ByteTap::Stream> ByteTap::Streams() const {
  std::vector<Stream> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : connections_) {
    out.push_back({name_, c->id, true, c->from_client});
    out.push_back({name_, c->id, false, c->to_client});
  }
  return out;
}

int ByteTap::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(connections_.size());
}

std::vector<std::pair<uint32_t, std::string>> Http2Data(
    const std::string& bytes, bool from_client) {
  static constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  size_t at = 0;
  if (from_client) {
    if (bytes.compare(0, sizeof(kPreface) - 1, kPreface) != 0) return {};
    at = sizeof(kPreface) - 1;
  }
  std::map<uint32_t, std::string> data;
  while (at + 9 <= bytes.size()) {
    const auto* h = reinterpret_cast<const uint8_t*>(bytes.data() + at);
    const size_t len = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
    const uint8_t type = h[3], flags = h[4];
    const uint32_t stream = ((uint32_t{h[5]} & 0x7f) << 24) |
                            (uint32_t{h[6]} << 16) | (uint32_t{h[7]} << 8) |
                            h[8];
    if (type > 9 || len > (1u << 24)) return {};  // not HTTP/2
    // A frame cut off at the end of the recording: what arrived of it.
    const size_t have = std::min(len, bytes.size() - at - 9);
    if (type == 0) {  // DATA
      size_t begin = at + 9, end = at + 9 + have;
      if ((flags & 0x8) != 0 && have > 0) {  // PADDED
        const size_t pad = static_cast<uint8_t>(bytes[begin]);
        ++begin;
        if (have == len) end = pad <= len - 1 ? at + 9 + len - pad : begin;
      }
      data[stream].append(bytes, begin, end - begin);
    }
    at += 9 + len;
  }
  return {data.begin(), data.end()};
}

namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Every run of at least 24 base64 characters, decoded.
std::string DecodedBase64Runs(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    if (!IsBase64Char(bytes[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < bytes.size() && IsBase64Char(bytes[j])) ++j;
    if (j - i >= 24) {
      std::string run = bytes.substr(i, j - i);
      std::string decoded;
      // Unpadded (the '=' ends the run), or cut to whole quanta.
      bool ok = absl::Base64Unescape(run, &decoded);
      if (!ok) {
        run.resize(run.size() - run.size() % 4);
        ok = absl::Base64Unescape(run, &decoded);
      }
      if (ok) {
        out += decoded;
        out += std::string(8, '\0');  // no needle spans two runs
      }
    }
    i = j;
  }
  return out;
}

}  // namespace

TapCorpus::TapCorpus(const std::vector<ByteTap::Stream>& streams) {
  for (const ByteTap::Stream& s : streams) {
    const std::string where =
        absl::StrCat(s.tap, " #", s.connection,
                     s.from_client ? " client->upstream" : " upstream->client");
    views_.push_back({s.tap, where + " raw", s.bytes});
    for (auto& [id, data] : Http2Data(s.bytes, s.from_client)) {
      views_.push_back(
          {s.tap, absl::StrCat(where, " http2-stream-", id, " DATA"), data});
    }
    std::string b64 = DecodedBase64Runs(s.bytes);
    if (!b64.empty()) {
      views_.push_back({s.tap, where + " base64-decoded", std::move(b64)});
    }
  }
}

std::vector<TapHit> TapCorpus::Find(const std::string& needle) const {
  std::vector<TapHit> hits;
  if (needle.empty()) return hits;
  for (const View& v : views_) {
    for (size_t at = v.bytes.find(needle); at != std::string::npos;
         at = v.bytes.find(needle, at + 1)) {
      hits.push_back({v.where, at});
    }
  }
  return hits;
}

uint64_t TapCorpus::BytesOf(const std::string& tap) const {
  uint64_t n = 0;
  for (const View& v : views_) {
    if (v.tap == tap && v.where.size() > 4 &&
        v.where.compare(v.where.size() - 4, 4, " raw") == 0) {
      n += v.bytes.size();
    }
  }
  return n;
}

}  // namespace nitro_tss::testing
