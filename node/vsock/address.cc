#include "node/vsock/address.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::vsock {
namespace {

absl::StatusOr<uint32_t> ParseU32(absl::string_view text,
                                  absl::string_view what) {
  if (text.empty() || text.size() > 10) {
    return absl::InvalidArgumentError(
        absl::StrCat("vsock address: ", what, " must be 1..10 digits"));
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("vsock address: ", what, " is not a decimal number"));
    }
  }
  if (text.size() > 1 && text[0] == '0') {
    return absl::InvalidArgumentError(
        absl::StrCat("vsock address: ", what, " has a leading zero"));
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v > 0xFFFFFFFFull) {
    return absl::InvalidArgumentError(
        absl::StrCat("vsock address: ", what, " does not fit 32 bits"));
  }
  return static_cast<uint32_t>(v);
}

}  // namespace

absl::StatusOr<SocketAddress> SocketAddress::Parse(absl::string_view text) {
  constexpr absl::string_view kVsockScheme = "vsock://";
  constexpr absl::string_view kUnixScheme = "unix://";
  if (absl::StartsWith(text, kVsockScheme)) {
    absl::string_view rest = text.substr(kVsockScheme.size());
    size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          "vsock address: expected vsock://CID:PORT");
    }
    SocketAddress a;
    a.kind = Kind::kVsock;
    auto cid = ParseU32(rest.substr(0, colon), "CID");
    if (!cid.ok()) return cid.status();
    auto port = ParseU32(rest.substr(colon + 1), "PORT");
    if (!port.ok()) return port.status();
    a.cid = *cid;
    a.port = *port;
    return a;
  }
  if (absl::StartsWith(text, kUnixScheme)) {
    absl::string_view path = text.substr(kUnixScheme.size());
    if (path.empty() || path.size() > kMaxUnixPathBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unix address: path must be 1..", kMaxUnixPathBytes, " bytes"));
    }
    if (path.find('\0') != absl::string_view::npos) {
      return absl::InvalidArgumentError("unix address: path contains NUL");
    }
    return Unix(std::string(path));
  }
  return absl::InvalidArgumentError(
      "socket address: expected vsock://CID:PORT or unix://PATH");
}

SocketAddress SocketAddress::Vsock(uint32_t cid, uint32_t port) {
  SocketAddress a;
  a.kind = Kind::kVsock;
  a.cid = cid;
  a.port = port;
  return a;
}

SocketAddress SocketAddress::Unix(std::string path) {
  SocketAddress a;
  a.kind = Kind::kUnix;
  a.path = std::move(path);
  return a;
}

std::string SocketAddress::ToString() const {
  if (kind == Kind::kVsock) return absl::StrCat("vsock://", cid, ":", port);
  return absl::StrCat("unix://", path);
}

}  // namespace nitro_tss::vsock
