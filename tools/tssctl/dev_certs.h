// Development TLS certificates for a local nitro-tss cluster (`tssctl
// dev-certs`): a cluster CA, one server certificate per name (the
// coordinator, each node's tss-host) and one client certificate (tssctl and
// custody clients, the coordinator's client to the hosts). NOT for
// production: the CA key is written next to the certificates, unencrypted.
//
// Every key is ECDSA P-256 (a fresh key per certificate), every
// certificate X.509 v3 signed with ecdsa-with-SHA256 by the CA, valid from
// one hour before `now` for `validity_days`, with a random positive
// 128-bit serial and subject/authority key identifiers.
//   CA:      CN=<ca_name>, O=nitro-tss development; basicConstraints
//            critical CA:TRUE, pathlen:0; keyUsage critical keyCertSign,
//            cRLSign.
//   server:  CN=<name>; subjectAltName DNS:<name> (or IP:<name> for an
//            IPv4/IPv6 literal), DNS:localhost, IP:127.0.0.1, IP:::1;
//            basicConstraints critical CA:FALSE; keyUsage critical
//            digitalSignature; extendedKeyUsage serverAuth.
//   client:  CN=<client_name>; subjectAltName DNS:<client_name>;
//            basicConstraints critical CA:FALSE; keyUsage critical
//            digitalSignature; extendedKeyUsage clientAuth.
//
// Files in the directory (created 0700 if missing): ca.pem, ca.key,
// server-<name>.pem, server-<name>.key, client-<client_name>.pem,
// client-<client_name>.key. Certificates are PEM, keys unencrypted PKCS#8
// PEM created with mode 0600 (each file written to a temporary name and
// renamed). Existing files are refused unless `overwrite`.
//
// Names: a DNS name (1..253 characters; labels of 1..63 letters, digits
// and '-', not starting or ending with '-') or an IPv4/IPv6 address
// literal; distinct; at most kMaxServerNames servers.
#ifndef NITRO_TSS_TOOLS_TSSCTL_DEV_CERTS_H_
#define NITRO_TSS_TOOLS_TSSCTL_DEV_CERTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::tssctl {

inline constexpr size_t kMaxServerNames = 64;
inline constexpr int kMaxValidityDays = 3650;

struct DevCertsOptions {
  std::string directory;
  std::vector<std::string> server_names;  // 1..kMaxServerNames
  std::string client_name = "nitro-tss-client";
  std::string ca_name = "nitro-tss development cluster CA";
  int validity_days = 365;  // 1..kMaxValidityDays
  int64_t now_unix_s = 0;
  bool overwrite = false;
};

struct IssuedFiles {
  std::string name;         // server or client name ("" for the CA)
  std::string certificate;  // path
  std::string key;          // path
  std::string sha256;       // of the certificate's DER, hex
  std::vector<std::string> subject_alt_names;  // "DNS:x", "IP:1.2.3.4"
};

struct DevCerts {
  IssuedFiles ca;
  std::vector<IssuedFiles> servers;
  IssuedFiles client;
  int64_t not_before_unix_s = 0;
  int64_t not_after_unix_s = 0;
};

// Checks a server or client name (above). InvalidArgument naming it.
absl::Status ValidateCertificateName(absl::string_view name);

// Generates and writes everything (above). InvalidArgument for bad options
// (naming the option), AlreadyExists naming the first existing file
// (unless overwrite), Internal/Unavailable for OpenSSL or file errors.
absl::StatusOr<DevCerts> WriteDevCerts(const DevCertsOptions& options);

}  // namespace nitro_tss::tssctl

#endif  // NITRO_TSS_TOOLS_TSSCTL_DEV_CERTS_H_
