// Fuzz target: the HOST:PORT parser of tss-host's proxy configuration
// (node/host/proxy_address.h), where the outbound allowlist is compared.
// Invariants: an accepted address is within the size limits, its canonical
// form parses back to the same value, and a listening address is an IP
// literal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "node/host/proxy_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  using nitro_tss::host::HostPort;
  for (bool zero : {false, true}) {
    auto hp = nitro_tss::host::ParseHostPort(in, zero);
    if (!hp.ok()) continue;
    if (in.size() > nitro_tss::host::kMaxHostPortBytes) abort();
    if (!zero && hp->port == 0) abort();
    if (hp->host.empty() || hp->host.size() > 253) abort();
    auto again = nitro_tss::host::ParseHostPort(hp->ToString(), zero);
    if (!again.ok() || !(*again == *hp)) abort();
    // Canonical: the input differs from its canonical form only in case.
    const std::string canon = hp->ToString();
    if (canon.size() != in.size()) abort();
    for (size_t i = 0; i < in.size(); ++i) {
      char a = in[i], b = canon[i];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
      if (a != b) abort();
    }
  }
  auto listen = nitro_tss::host::ParseListenAddress(in);
  if (listen.ok() && !listen->is_ip()) abort();
  return 0;
}
