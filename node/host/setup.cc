#include "node/host/setup.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/proto_config.h"
#include "common/status_macros.h"
#include "node/aws/imds_credentials.h"
#include "node/host/local_blob_store.h"
#include "node/host/proxy_address.h"
#include "node/host/proxy_socket.h"
#include "node/host/s3_blob_store.h"
#include "node/vsock/address.h"

namespace nitro_tss::host {

using ::nitro_tss::config::FieldError;

namespace {

absl::Status CheckRange(const std::string& field, uint32_t value, uint32_t lo,
                        uint32_t hi) {
  if (value != 0 && (value < lo || value > hi)) {
    return FieldError(field,
                      absl::StrCat("must be ", lo, "..", hi,
                                   " (or 0 for the default), not ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckSocketAddress(const std::string& field,
                                const std::string& value) {
  if (value.empty()) return FieldError(field, "required");
  if (auto a = vsock::SocketAddress::Parse(value); !a.ok()) {
    return FieldError(field, a.status().message());
  }
  return absl::OkStatus();
}

absl::Status ValidateInbound(const config::v1::Inbound& in) {
  if (in.listen().empty()) return FieldError("inbound.listen", "required");
  if (auto a = ParseListenAddress(in.listen()); !a.ok()) {
    return FieldError("inbound.listen", a.status().message());
  }
  RETURN_IF_ERROR(
      CheckSocketAddress("inbound.enclave_service", in.enclave_service()));
  if (in.server_certificate_file().empty()) {
    return FieldError("inbound.server_certificate_file", "required");
  }
  if (in.server_private_key_file().empty()) {
    return FieldError("inbound.server_private_key_file", "required");
  }
  if (in.client_ca_file().empty()) {
    return FieldError("inbound.client_ca_file", "required");
  }
  RETURN_IF_ERROR(CheckRange("inbound.max_connections", in.max_connections(), 1,
                             kMaxProxyMaxConnections));
  RETURN_IF_ERROR(CheckRange("inbound.idle_timeout_ms", in.idle_timeout_ms(),
                             100, 86400000));
  RETURN_IF_ERROR(CheckRange("inbound.handshake_timeout_ms",
                             in.handshake_timeout_ms(), 100, 60000));
  RETURN_IF_ERROR(CheckRange("inbound.connect_timeout_ms",
                             in.connect_timeout_ms(), 10, 60000));
  RETURN_IF_ERROR(
      CheckRange("inbound.connect_attempts", in.connect_attempts(), 1, 10));
  return absl::OkStatus();
}

bool ValidProxyName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

absl::Status ValidateOutbound(const HostConfig& config) {
  if (config.outbound_allowlist_size() >
      static_cast<int>(kMaxOutboundAllowlist)) {
    return FieldError(
        "outbound_allowlist",
        absl::StrCat("at most ", kMaxOutboundAllowlist, " entries"));
  }
  std::vector<HostPort> allowed;
  for (int i = 0; i < config.outbound_allowlist_size(); ++i) {
    const std::string field = absl::StrCat("outbound_allowlist[", i, "]");
    auto hp = ParseHostPort(config.outbound_allowlist(i));
    if (!hp.ok()) return FieldError(field, hp.status().message());
    allowed.push_back(*hp);
  }
  if (config.outbound_proxies_size() > static_cast<int>(kMaxOutboundProxies)) {
    return FieldError(
        "outbound_proxies",
        absl::StrCat("at most ", kMaxOutboundProxies, " proxies"));
  }
  std::vector<std::string> names, listens = {config.enclave_service_listen()};
  for (int i = 0; i < config.outbound_proxies_size(); ++i) {
    const config::v1::OutboundProxy& p = config.outbound_proxies(i);
    const std::string f = absl::StrCat("outbound_proxies[", i, "]");
    if (!ValidProxyName(p.name())) {
      return FieldError(f + ".name", "must be 1..32 of [a-z0-9_-]");
    }
    if (std::find(names.begin(), names.end(), p.name()) != names.end()) {
      return FieldError(f + ".name", absl::StrCat("duplicate name ", p.name()));
    }
    names.push_back(p.name());
    RETURN_IF_ERROR(CheckSocketAddress(f + ".listen", p.listen()));
    if (std::find(listens.begin(), listens.end(), p.listen()) !=
        listens.end()) {
      return FieldError(f + ".listen",
                        absl::StrCat(p.listen(), " is already used"));
    }
    listens.push_back(p.listen());
    if (p.destination().empty()) {
      return FieldError(f + ".destination", "required");
    }
    auto dest = ParseHostPort(p.destination());
    if (!dest.ok()) {
      return FieldError(f + ".destination", dest.status().message());
    }
    if (std::find(allowed.begin(), allowed.end(), *dest) == allowed.end()) {
      return FieldError(
          f + ".destination",
          absl::StrCat(dest->ToString(), " is not in outbound_allowlist"));
    }
    RETURN_IF_ERROR(CheckRange(f + ".max_connections", p.max_connections(), 1,
                               kMaxProxyMaxConnections));
    RETURN_IF_ERROR(
        CheckRange(f + ".idle_timeout_ms", p.idle_timeout_ms(), 100, 86400000));
    RETURN_IF_ERROR(CheckRange(f + ".connect_timeout_ms",
                               p.connect_timeout_ms(), 10, 60000));
    RETURN_IF_ERROR(
        CheckRange(f + ".connect_attempts", p.connect_attempts(), 1, 10));
  }
  return absl::OkStatus();
}

// The IMDS source's settings from a config (defaults applied).
aws::ImdsConfig ImdsSettings(const config::v1::ImdsCredentials& c) {
  aws::ImdsConfig out;
  if (!c.endpoint().empty()) out.endpoint = c.endpoint();
  out.role = c.role();
  if (c.refresh_before_expiry_s() != 0) {
    out.refresh_before_expiry = absl::Seconds(c.refresh_before_expiry_s());
  }
  if (c.timeout_ms() != 0) out.timeout = absl::Milliseconds(c.timeout_ms());
  if (c.token_ttl_s() != 0) out.token_ttl = absl::Seconds(c.token_ttl_s());
  return out;
}

absl::Status ValidateImds(const config::v1::ImdsCredentials& c) {
  const std::string f = "credentials.imds";
  RETURN_IF_ERROR(CheckRange(f + ".refresh_before_expiry_s",
                             c.refresh_before_expiry_s(), 10, 3600));
  RETURN_IF_ERROR(CheckRange(f + ".timeout_ms", c.timeout_ms(), 100, 60000));
  RETURN_IF_ERROR(CheckRange(f + ".token_ttl_s", c.token_ttl_s(), 60, 21600));
  // The source's own rules (it reads nothing when created), field by field.
  aws::ImdsConfig endpoint_only;
  if (!c.endpoint().empty()) endpoint_only.endpoint = c.endpoint();
  if (auto s = aws::ImdsCredentialSource::Create(endpoint_only); !s.ok()) {
    return FieldError(f + ".endpoint", s.status().message());
  }
  aws::ImdsConfig role_only;
  role_only.role = c.role();
  if (auto s = aws::ImdsCredentialSource::Create(role_only); !s.ok()) {
    return FieldError(f + ".role", s.status().message());
  }
  return absl::OkStatus();
}

template <typename T>
ProxySettings SettingsOf(const T& c) {
  ProxySettings s;
  if (c.max_connections() != 0) s.max_connections = c.max_connections();
  if (c.idle_timeout_ms() != 0) {
    s.idle_timeout = absl::Milliseconds(c.idle_timeout_ms());
  }
  if (c.connect_timeout_ms() != 0) {
    s.retry.attempt_timeout = absl::Milliseconds(c.connect_timeout_ms());
  }
  if (c.connect_attempts() != 0) s.retry.attempts = c.connect_attempts();
  return s;
}

}  // namespace

ProxySettings InboundSettings(const config::v1::Inbound& inbound) {
  ProxySettings s = SettingsOf(inbound);
  if (inbound.handshake_timeout_ms() != 0) {
    s.handshake_timeout = absl::Milliseconds(inbound.handshake_timeout_ms());
  }
  return s;
}

ProxySettings OutboundSettings(const config::v1::OutboundProxy& proxy) {
  return SettingsOf(proxy);
}

absl::Status ValidateHostConfig(const HostConfig& config) {
  if (config.enclave_service_listen().empty()) {
    return FieldError("enclave_service_listen", "required");
  }
  if (auto a = vsock::SocketAddress::Parse(config.enclave_service_listen());
      !a.ok()) {
    return FieldError("enclave_service_listen", a.status().message());
  }
  switch (config.blob_store().backend_case()) {
    case config::v1::BlobStore::kLocal:
      if (config.blob_store().local().dir().empty()) {
        return FieldError("blob_store.local.dir", "required");
      }
      break;
    case config::v1::BlobStore::kS3:
      if (config.blob_store().s3().bucket().empty()) {
        return FieldError("blob_store.s3.bucket", "required");
      }
      if (config.blob_store().s3().region().empty()) {
        return FieldError("blob_store.s3.region", "required");
      }
      break;
    default:
      return FieldError("blob_store", "local or s3 is required");
  }
  switch (config.credentials().source_case()) {
    case config::v1::Credentials::kFile:
      if (config.credentials().file().empty()) {
        return FieldError("credentials.file", "must name a file");
      }
      break;
    case config::v1::Credentials::kImds:
      RETURN_IF_ERROR(ValidateImds(config.credentials().imds()));
      break;
    case config::v1::Credentials::kEnvironment:
      break;
    default:
      return FieldError("credentials", "file, imds or environment is required");
  }
  if (config.has_inbound()) RETURN_IF_ERROR(ValidateInbound(config.inbound()));
  RETURN_IF_ERROR(ValidateOutbound(config));
  if (!config.metrics_listen().empty()) {
    if (auto a = ParseListenAddress(config.metrics_listen()); !a.ok()) {
      return FieldError("metrics_listen", a.status().message());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const TlsServer>> LoadInboundTls(
    const HostConfig& config) {
  if (!config.has_inbound()) return std::shared_ptr<const TlsServer>();
  TlsServerFiles files;
  files.certificate_file = config.inbound().server_certificate_file();
  files.private_key_file = config.inbound().server_private_key_file();
  files.client_ca_file = config.inbound().client_ca_file();
  files.certificate_field = "inbound.server_certificate_file";
  files.private_key_field = "inbound.server_private_key_file";
  files.client_ca_field = "inbound.client_ca_file";
  ASSIGN_OR_RETURN(std::unique_ptr<TlsServer> tls, TlsServer::FromFiles(files));
  return std::shared_ptr<const TlsServer>(std::move(tls));
}

void HostProxies::Stop() {
  if (inbound) inbound->Stop();
  for (auto& p : outbound) p->Stop();
}

absl::StatusOr<HostProxies> StartProxies(const HostConfig& config,
                                         std::shared_ptr<const TlsServer> tls,
                                         const process::Logger* log) {
  HostProxies out;
  if (config.has_inbound()) {
    if (tls == nullptr) {
      return absl::FailedPreconditionError("inbound: no TLS server loaded");
    }
    const config::v1::Inbound& in = config.inbound();
    ASSIGN_OR_RETURN(HostPort listen, ParseListenAddress(in.listen()));
    ASSIGN_OR_RETURN(auto enclave,
                     vsock::SocketAddress::Parse(in.enclave_service()));
    ASSIGN_OR_RETURN(vsock::UniqueFd fd, TcpListen(listen));
    ASSIGN_OR_RETURN(HostPort bound, TcpBoundAddress(fd.get(), listen));
    const ProxySettings s = InboundSettings(in);
    ProxyOptions o;
    o.name = "coordinator";
    o.direction = ProxyDirection::kInbound;
    o.max_connections = s.max_connections;
    o.idle_timeout = s.idle_timeout;
    o.upstream = enclave.ToString();
    ASSIGN_OR_RETURN(
        out.inbound,
        Proxy::Start(o, std::move(fd),
                     TlsClient(std::move(tls), s.handshake_timeout),
                     SocketUpstream(enclave, s.retry), log));
    out.inbound_address = bound.ToString();
  }
  for (const config::v1::OutboundProxy& p : config.outbound_proxies()) {
    ASSIGN_OR_RETURN(auto listen, vsock::SocketAddress::Parse(p.listen()));
    ASSIGN_OR_RETURN(HostPort dest, ParseHostPort(p.destination()));
    ASSIGN_OR_RETURN(vsock::UniqueFd fd, vsock::Listen(listen));
    ASSIGN_OR_RETURN(auto bound, vsock::BoundAddress(fd.get(), listen));
    const ProxySettings s = OutboundSettings(p);
    ProxyOptions o;
    o.name = p.name();
    o.direction = ProxyDirection::kOutbound;
    o.max_connections = s.max_connections;
    o.idle_timeout = s.idle_timeout;
    o.upstream = dest.ToString();
    ASSIGN_OR_RETURN(auto proxy, Proxy::Start(o, std::move(fd), PlainClient(),
                                              TcpUpstream(dest, s.retry), log));
    out.outbound.push_back(std::move(proxy));
    out.outbound_addresses.push_back(bound.ToString());
  }
  return out;
}

absl::StatusOr<aws::AwsCredentials> FileCredentialSource::Get() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return absl::UnauthenticatedError(
        absl::StrCat("credentials file ", path_, ": cannot read"));
  }
  std::string text(16 * 1024 + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > 16 * 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("credentials file ", path_, ": larger than 16 KiB"));
  }
  auto doc = json::Parse(text);
  if (!doc.ok() || !doc->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credentials file ", path_, ": not a JSON object",
        doc.ok() ? "" : absl::StrCat(" (", doc.status().message(), ")")));
  }
  for (const auto& [k, v] : doc->AsObject()) {
    if (k != "access_key_id" && k != "secret_access_key" &&
        k != "session_token") {
      return absl::InvalidArgumentError(
          absl::StrCat("credentials file ", path_, ": unknown member ", k));
    }
  }
  aws::AwsCredentials c;
  ASSIGN_OR_RETURN(c.access_key_id, doc->StringField("access_key_id"));
  ASSIGN_OR_RETURN(c.secret_access_key, doc->StringField("secret_access_key"));
  if (doc->Find("session_token") != nullptr) {
    ASSIGN_OR_RETURN(c.session_token, doc->StringField("session_token"));
  }
  RETURN_IF_ERROR(aws::ValidateCredentials(c));
  return c;
}

absl::StatusOr<HostParts> BuildHost(const HostConfig& config) {
  HostParts parts;
  switch (config.credentials().source_case()) {
    case config::v1::Credentials::kImds: {
      ASSIGN_OR_RETURN(std::unique_ptr<aws::ImdsCredentialSource> imds,
                       aws::ImdsCredentialSource::Create(
                           ImdsSettings(config.credentials().imds())));
      parts.credentials = std::move(imds);
      break;
    }
    case config::v1::Credentials::kEnvironment:
      parts.credentials = std::make_shared<aws::EnvCredentialSource>();
      break;
    default:
      parts.credentials =
          std::make_shared<FileCredentialSource>(config.credentials().file());
      break;
  }
  if (config.blob_store().has_local()) {
    LocalBlobStoreConfig lc;
    lc.root = config.blob_store().local().dir();
    ASSIGN_OR_RETURN(parts.store, LocalBlobStore::Open(lc));
  } else {
    S3BlobStoreConfig sc;
    sc.s3.bucket = config.blob_store().s3().bucket();
    sc.s3.region = config.blob_store().s3().region();
    sc.s3.endpoint = config.blob_store().s3().endpoint();
    sc.s3.path_style = config.blob_store().s3().path_style();
    sc.prefix = config.blob_store().s3().prefix();
    ASSIGN_OR_RETURN(parts.store, S3BlobStore::Create(sc, parts.credentials));
  }
  return parts;
}

}  // namespace nitro_tss::host
