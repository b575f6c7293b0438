// TCP endpoints of tss-host's proxies, as written in its configuration:
// "HOST:PORT" where HOST is a DNS name, an IPv4 dotted quad or a bracketed
// IPv6 literal ("[::1]:443"). Parsed strictly (this is where the outbound
// allowlist is compared, so two spellings of one destination must not both
// pass): DNS names are lower-cased LDH labels, IP literals must round-trip
// through inet_ntop, ports are decimal without sign or leading zeros.
#ifndef NITRO_TSS_NODE_HOST_PROXY_ADDRESS_H_
#define NITRO_TSS_NODE_HOST_PROXY_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::host {

// Longest "HOST:PORT" accepted (a 253-byte DNS name plus ":65535").
inline constexpr size_t kMaxHostPortBytes = 260;

struct HostPort {
  enum class Kind { kDnsName, kIpv4, kIpv6 };
  Kind kind = Kind::kDnsName;
  std::string host;  // lower case; IPv6 without brackets
  uint16_t port = 0;

  bool is_ip() const { return kind != Kind::kDnsName; }
  // The canonical form ParseHostPort accepts ("[v6]:port" for IPv6).
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

// Parses "HOST:PORT". Port 0 is refused unless `allow_port_zero` (a
// listener asking the kernel for a port). INVALID_ARGUMENT saying what is
// wrong otherwise.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text,
                                       bool allow_port_zero = false);

// A listening address: like ParseHostPort (port 0 allowed) but HOST must be
// an IP literal, so that what is bound never depends on name resolution.
absl::StatusOr<HostPort> ParseListenAddress(absl::string_view text);

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_PROXY_ADDRESS_H_
