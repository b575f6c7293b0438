#include "node/host/proxy_address.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::host {
namespace {

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("host:port: ", what));
}

absl::StatusOr<uint16_t> ParsePort(absl::string_view text,
                                   bool allow_port_zero) {
  if (text.empty() || text.size() > 5) return Bad("port must be 1..5 digits");
  if (text.size() > 1 && text[0] == '0') return Bad("port has leading zeros");
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Bad("port must be decimal digits");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return Bad("port above 65535");
  if (v == 0 && !allow_port_zero) return Bad("port 0 is not allowed here");
  return static_cast<uint16_t>(v);
}

bool IsLdhLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status CheckDnsName(absl::string_view name) {
  if (name.empty() || name.size() > 253)
    return Bad("host must be 1..253 bytes");
  size_t start = 0;
  absl::string_view last;
  while (true) {
    size_t dot = name.find('.', start);
    absl::string_view label = name.substr(start, dot == absl::string_view::npos
                                                     ? absl::string_view::npos
                                                     : dot - start);
    if (!IsLdhLabel(label)) {
      return Bad(
          "host is not an IP literal nor a DNS name of letters, digits and "
          "'-' (labels of 1..63 bytes, no trailing dot)");
    }
    last = label;
    if (dot == absl::string_view::npos) break;
    start = dot + 1;
  }
  // "1.2.3" or "010.1.1.1" would be read as addresses by some resolvers.
  bool numeric = true;
  for (char c : last) numeric = numeric && absl::ascii_isdigit(c);
  if (numeric) return Bad("host is neither a valid IPv4 address nor a name");
  return absl::OkStatus();
}

}  // namespace

std::string HostPort::ToString() const {
  if (kind == Kind::kIpv6) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                       bool allow_port_zero) {
  if (text.empty() || text.size() > kMaxHostPortBytes) {
    return Bad(absl::StrCat("must be 1..", kMaxHostPortBytes, " bytes"));
  }
  HostPort out;
  absl::string_view host, port;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return Bad("expected [IPV6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    out.kind = HostPort::Kind::kIpv6;
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return Bad("expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != absl::string_view::npos) {
      return Bad("an IPv6 host must be written in brackets");
    }
    out.kind = HostPort::Kind::kDnsName;
  }
  auto p = ParsePort(port, allow_port_zero);
  if (!p.ok()) return p.status();
  out.port = *p;
  const std::string h(host);
  if (h.find('\0') != std::string::npos) return Bad("host contains NUL");
  if (out.kind == HostPort::Kind::kIpv6) {
    in6_addr a6{};
    char back[INET6_ADDRSTRLEN] = {};
    if (inet_pton(AF_INET6, h.c_str(), &a6) != 1 ||
        inet_ntop(AF_INET6, &a6, back, sizeof(back)) == nullptr) {
      return Bad("invalid IPv6 literal");
    }
    if (h != back) {
      return Bad(
          absl::StrCat("IPv6 literal not in canonical form (", back, ")"));
    }
    out.host = h;
    return out;
  }
  in_addr a4{};
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) {
    char back[INET_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET, &a4, back, sizeof(back)) == nullptr || h != back) {
      return Bad("IPv4 literal not in canonical form");
    }
    out.kind = HostPort::Kind::kIpv4;
    out.host = h;
    return out;
  }
  if (auto s = CheckDnsName(h); !s.ok()) return s;
  out.host = absl::AsciiStrToLower(h);
  return out;
}

absl::StatusOr<HostPort> ParseListenAddress(absl::string_view text) {
  auto hp = ParseHostPort(text, /*allow_port_zero=*/true);
  if (!hp.ok()) return hp.status();
  if (!hp->is_ip()) {
    return Bad("a listening address needs an IP literal host, not a name");
  }
  return hp;
}

}  // namespace nitro_tss::host
