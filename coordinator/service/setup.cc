#include "coordinator/service/setup.h"

#include <grpcpp/security/server_credentials.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file.h"
#include "common/proto_config.h"
#include "common/status_macros.h"
#include "node/attestation/x509_util.h"

namespace nitro_tss::coordinator {

namespace {

using ::nitro_tss::config::FieldError;

bool IsUnix(const std::string& address) {
  return absl::StartsWith(address, "unix:///");
}

absl::Status CheckHostPort(const std::string& address,
                           const std::string& field) {
  const size_t colon = address.rfind(':');
  if (address.empty() || colon == std::string::npos || colon == 0 ||
      colon + 1 == address.size() || address.find("://") != std::string::npos) {
    return FieldError(field, "\"HOST:PORT\" or \"unix:///PATH\" required");
  }
  for (size_t i = colon + 1; i < address.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(address[i]))) {
      return FieldError(field, "the port must be a number");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCoordinatorConfig(const CoordinatorConfig& config) {
  if (config.listen().empty()) return FieldError("listen", "required");
  if (!IsUnix(config.listen())) {
    RETURN_IF_ERROR(CheckHostPort(config.listen(), "listen"));
    if (!config.has_tls()) {
      return FieldError("tls",
                        "required when `listen` is HOST:PORT (clients "
                        "authenticate with certificates)");
    }
  }
  if (config.has_tls()) {
    if (config.tls().cert_file().empty()) {
      return FieldError("tls.cert_file", "required");
    }
    if (config.tls().key_file().empty()) {
      return FieldError("tls.key_file", "required");
    }
    if (config.tls().client_ca_file().empty()) {
      return FieldError("tls.client_ca_file", "required");
    }
  }
  if (config.nodes_size() < 2 || config.nodes_size() > 255) {
    return FieldError("nodes", "2..255 nodes required");
  }
  std::set<std::string> ids;
  std::set<uint32_t> parties;
  bool any_tcp = false;
  for (int i = 0; i < config.nodes_size(); ++i) {
    const auto& n = config.nodes(i);
    const std::string f = absl::StrCat("nodes[", i, "]");
    if (n.id().empty() || n.id().size() > 63) {
      return FieldError(f + ".id", "1..63 characters of [a-z0-9-]");
    }
    for (char c : n.id()) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return FieldError(f + ".id", "1..63 characters of [a-z0-9-]");
      }
    }
    if (!ids.insert(n.id()).second) {
      return FieldError(f + ".id", absl::StrCat("\"", n.id(), "\" used twice"));
    }
    if (n.party_id() < 1 || n.party_id() > 255 ||
        !parties.insert(n.party_id()).second) {
      return FieldError(f + ".party_id", "1..255 and distinct across nodes");
    }
    if (!IsUnix(n.address())) {
      RETURN_IF_ERROR(CheckHostPort(n.address(), f + ".address"));
      any_tcp = true;
    }
  }
  if (any_tcp) {
    if (config.node_tls().ca_file().empty()) {
      return FieldError("node_tls.ca_file",
                        "required (a node is reached over TCP)");
    }
    if (config.node_tls().cert_file().empty()) {
      return FieldError("node_tls.cert_file",
                        "required (the hosts require a client certificate)");
    }
    if (config.node_tls().key_file().empty()) {
      return FieldError("node_tls.key_file", "required");
    }
  }
  if (config.storage().has_sqlite() &&
      config.storage().sqlite().path().empty()) {
    return FieldError("storage.sqlite.path", "required");
  }
  if (config.storage().has_postgres() &&
      config.storage().postgres().conninfo().empty()) {
    return FieldError("storage.postgres.conninfo", "required");
  }
  if (!config.storage().has_sqlite() && !config.storage().has_postgres()) {
    return FieldError("storage", "sqlite { path } or postgres { conninfo }");
  }
  if (!config.metrics_listen().empty()) {
    RETURN_IF_ERROR(CheckHostPort(config.metrics_listen(), "metrics_listen"));
  }
  const auto& d = config.deadlines();
  if (d.round_ms() != 0 && d.round_ms() < 100) {
    return FieldError("deadlines.round_ms", "at least 100 (or 0: default)");
  }
  if (config.replica_id().size() > 64) {
    return FieldError("replica_id", "at most 64 characters");
  }
  for (char c : config.replica_id()) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
          c == '_' || c == '-')) {
      return FieldError("replica_id", "only A-Z a-z 0-9 . _ -");
    }
  }
  if (config.pools().target() > 1000) {
    return FieldError("pools.target", "at most 1000");
  }
  return absl::OkStatus();
}

absl::StatusOr<CoordinatorParts> BuildCoordinator(
    const CoordinatorConfig& config) {
  RETURN_IF_ERROR(ValidateCoordinatorConfig(config));
  CoordinatorParts parts;
  if (config.has_tls()) {
    ASSIGN_OR_RETURN(std::string cert, file::ReadConfiguredFile(
                                           config.tls().cert_file(),
                                           kMaxPemFileBytes, "tls.cert_file"));
    ASSIGN_OR_RETURN(std::string key, file::ReadConfiguredFile(
                                          config.tls().key_file(),
                                          kMaxPemFileBytes, "tls.key_file"));
    ASSIGN_OR_RETURN(
        std::string ca,
        file::ReadConfiguredFile(config.tls().client_ca_file(),
                                 kMaxPemFileBytes, "tls.client_ca_file"));
    grpc::SslServerCredentialsOptions o(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    o.pem_root_certs = ca;
    o.pem_key_cert_pairs.push_back({key, cert});
    parts.server_credentials = grpc::SslServerCredentials(o);
  } else {
    // A unix socket: its file permissions are the access control.
    parts.server_credentials = grpc::InsecureServerCredentials();
  }
  std::vector<uint8_t> root;
  if (!config.attestation_root_pem_file().empty()) {
    ASSIGN_OR_RETURN(std::string pem,
                     file::ReadConfiguredFile(
                         config.attestation_root_pem_file(), kMaxPemFileBytes,
                         "attestation_root_pem_file"));
    auto der = attestation::CertificatePemToDer(pem);
    if (!der.ok()) {
      return FieldError("attestation_root_pem_file", der.status().message());
    }
    root = *std::move(der);
  }
  NodeTlsMaterial tls;
  const bool have_tls = !config.node_tls().ca_file().empty();
  if (have_tls) {
    ASSIGN_OR_RETURN(tls.ca_pem, file::ReadConfiguredFile(
                                     config.node_tls().ca_file(),
                                     kMaxPemFileBytes, "node_tls.ca_file"));
    ASSIGN_OR_RETURN(tls.cert_pem, file::ReadConfiguredFile(
                                       config.node_tls().cert_file(),
                                       kMaxPemFileBytes, "node_tls.cert_file"));
    ASSIGN_OR_RETURN(tls.key_pem, file::ReadConfiguredFile(
                                      config.node_tls().key_file(),
                                      kMaxPemFileBytes, "node_tls.key_file"));
  }
  std::vector<NodeSpec> specs;
  for (const auto& n : config.nodes()) {
    specs.push_back({n.id(), n.party_id(), n.address(), n.tls_server_name()});
  }
  ASSIGN_OR_RETURN(parts.nodes,
                   NodeSet::Create(std::move(specs), have_tls ? &tls : nullptr,
                                   std::move(root)));
  if (config.storage().has_sqlite()) {
    ASSIGN_OR_RETURN(parts.storage, storage::OpenSqliteStorage(
                                        config.storage().sqlite().path()));
  } else {
    ASSIGN_OR_RETURN(
        parts.storage,
        storage::OpenPostgresStorage(config.storage().postgres().conninfo()));
  }
  const auto& d = config.deadlines();
  if (d.round_ms() != 0) {
    parts.orchestrator.round_deadline = absl::Milliseconds(d.round_ms());
  }
  if (d.dkg_ms() != 0) {
    parts.orchestrator.dkg_deadline = absl::Milliseconds(d.dkg_ms());
  }
  if (d.sign_ms() != 0) {
    parts.orchestrator.sign_deadline = absl::Milliseconds(d.sign_ms());
  }
  if (d.link_rpc_ms() != 0) {
    parts.orchestrator.link_rpc_timeout = absl::Milliseconds(d.link_rpc_ms());
  }
  parts.orchestrator.pool_target = config.pools().target();
  if (config.health_interval_ms() != 0) {
    parts.health_interval = absl::Milliseconds(config.health_interval_ms());
  }
  return parts;
}

}  // namespace nitro_tss::coordinator
