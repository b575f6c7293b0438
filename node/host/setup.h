// From a HostConfig to the host's parts: the blob store backend, the
// credential source, the inbound TLS server and the proxies' settings.
#ifndef NITRO_TSS_NODE_HOST_SETUP_H_
#define NITRO_TSS_NODE_HOST_SETUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nitro_tss/host/config/v1/config.pb.h"
#include "node/aws/credentials.h"
#include "node/host/blob_store.h"
#include "node/host/proxy.h"
#include "node/host/tls_server.h"

namespace nitro_tss::host {

using config::v1::HostConfig;

// INVALID_ARGUMENT "<field path>: <problem>" for the first problem found
// (e.g. "outbound_proxies[0].destination: kms.evil:443 is not in
// outbound_allowlist"). Reads no file.
absl::Status ValidateHostConfig(const HostConfig& config);

// Limits of the proxies (and their defaults).
inline constexpr uint32_t kDefaultProxyMaxConnections = 64;
inline constexpr uint32_t kMaxProxyMaxConnections = 4096;
inline constexpr size_t kMaxOutboundProxies = 16;
inline constexpr size_t kMaxOutboundAllowlist = 64;

// A proxy's effective settings (defaults applied) from a valid config.
struct ProxySettings {
  uint32_t max_connections = kDefaultProxyMaxConnections;
  absl::Duration idle_timeout = absl::Minutes(5);
  absl::Duration handshake_timeout = absl::Seconds(10);
  RetryPolicy retry = {};
};
ProxySettings InboundSettings(const config::v1::Inbound& inbound);
ProxySettings OutboundSettings(const config::v1::OutboundProxy& proxy);

// The inbound TLS server from the files `inbound` names; nullptr when the
// config has no inbound. INVALID_ARGUMENT naming the field
// ("inbound.client_ca_file: ...") for a file that is missing, too large or
// does not parse.
absl::StatusOr<std::shared_ptr<const TlsServer>> LoadInboundTls(
    const HostConfig& config);

// The running proxies of a host and their bound addresses.
struct HostProxies {
  std::unique_ptr<Proxy> inbound;
  std::string inbound_address;  // "IP:PORT" as bound
  std::vector<std::unique_ptr<Proxy>> outbound;
  std::vector<std::string> outbound_addresses;  // as bound, in config order
  void Stop();
};

// Binds and starts the inbound proxy (if configured; `tls` from
// LoadInboundTls) and every outbound proxy of a valid config.
absl::StatusOr<HostProxies> StartProxies(const HostConfig& config,
                                         std::shared_ptr<const TlsServer> tls,
                                         const process::Logger* log);

// Credentials from a JSON file {"access_key_id", "secret_access_key",
// "session_token"?}, read at every Get (so it can be rotated); strict
// (unknown members, wrong types refused; at most 16 KiB).
class FileCredentialSource : public aws::CredentialSource {
 public:
  explicit FileCredentialSource(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<aws::AwsCredentials> Get() override;
  std::string Name() const override { return "file:" + path_; }

 private:
  std::string path_;
};

struct HostParts {
  std::shared_ptr<aws::CredentialSource> credentials;
  std::unique_ptr<BlobStore> store;
};

absl::StatusOr<HostParts> BuildHost(const HostConfig& config);

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_SETUP_H_
