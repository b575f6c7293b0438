// Fuzz target: tss-host's configuration, as read at start (text format or
// JSON into nitro_tss.host.config.v1.HostConfig, then ValidateHostConfig).
// Invariant: in a configuration that validates, every outbound proxy's
// destination parses and is on the allowlist, and the effective limits are
// within their documented bounds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/proto_config.h"
#include "node/host/proxy_address.h"
#include "node/host/setup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  nitro_tss::host::HostConfig config;
  if (!nitro_tss::config::ParseProtoConfig(in, "fuzz", &config).ok()) return 0;
  if (!nitro_tss::host::ValidateHostConfig(config).ok()) return 0;
  std::vector<nitro_tss::host::HostPort> allowed;
  for (const std::string& a : config.outbound_allowlist()) {
    auto hp = nitro_tss::host::ParseHostPort(a);
    if (!hp.ok()) abort();
    allowed.push_back(*hp);
  }
  for (const auto& p : config.outbound_proxies()) {
    auto dest = nitro_tss::host::ParseHostPort(p.destination());
    if (!dest.ok()) abort();
    if (std::find(allowed.begin(), allowed.end(), *dest) == allowed.end()) {
      abort();
    }
    auto s = nitro_tss::host::OutboundSettings(p);
    if (s.max_connections < 1 ||
        s.max_connections > nitro_tss::host::kMaxProxyMaxConnections ||
        s.retry.attempts < 1 || s.retry.attempts > 10) {
      abort();
    }
  }
  if (config.has_inbound()) {
    auto s = nitro_tss::host::InboundSettings(config.inbound());
    if (s.max_connections < 1 ||
        s.max_connections > nitro_tss::host::kMaxProxyMaxConnections ||
        s.idle_timeout < absl::Milliseconds(100)) {
      abort();
    }
  }
  return 0;
}
