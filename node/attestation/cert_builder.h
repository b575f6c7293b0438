// X.509 certificate issuance for the development CA and for tests that need
// deliberately broken chains. Development/test use only.
#ifndef NITRO_TSS_NODE_ATTESTATION_CERT_BUILDER_H_
#define NITRO_TSS_NODE_ATTESTATION_CERT_BUILDER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "node/attestation/x509_util.h"

namespace nitro_tss::attestation {

struct CertificateSpec {
  // Subject RDNs in order, e.g. {{"C","US"},{"CN","x"}}.
  std::vector<std::pair<std::string, std::string>> subject;
  // Issuer certificate and key; both nullptr for a self-signed certificate.
  X509* issuer_cert = nullptr;
  EVP_PKEY* issuer_key = nullptr;
  // Subject public key (the certificate is signed with issuer_key, or with
  // this key's private half when self-signed).
  EVP_PKEY* subject_key = nullptr;
  // Validity in ms since the epoch (truncated to seconds).
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
  // basicConstraints (critical) unless !basic_constraints.
  bool basic_constraints = true;
  bool is_ca = false;
  int pathlen = -1;  // -1: no pathLenConstraint
  // keyUsage value in OpenSSL config syntax, "" for none.
  std::string key_usage;
  // subjectKeyIdentifier + authorityKeyIdentifier (when issued).
  bool key_identifiers = true;
  // Adds a critical extension with an unknown OID (tests).
  bool unknown_critical_extension = false;
  // Signature digest; EVP_sha384() unless overridden (tests).
  const EVP_MD* digest = nullptr;
};

// Builds and signs a certificate per `spec`.
absl::StatusOr<X509Ptr> IssueCertificate(const CertificateSpec& spec);

// Generates an EC key on the named curve ("P-384", "P-256", ...).
EvpPkeyPtr GenerateEcKey(const char* curve);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_CERT_BUILDER_H_
