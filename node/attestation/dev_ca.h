// A development certificate authority shaped like AWS's Nitro PKI, for local
// mode: P-384 root -> regional intermediate -> zonal intermediate ->
// per-boot instance CA (pathlen 0) -> per-document enclave leaf, all
// ecdsa-with-SHA384 with the same extensions as the real certificates.
//
// NOT for production: the root key lives in process memory and SaveTo writes
// the private keys unencrypted (mode 0600). Local services pin RootDer().
#ifndef NITRO_TSS_NODE_ATTESTATION_DEV_CA_H_
#define NITRO_TSS_NODE_ATTESTATION_DEV_CA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "node/attestation/x509_util.h"

namespace nitro_tss::attestation {

// A certificate with its private key. Move-only.
struct IssuedKeyPair {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// Validity of the generated levels (the leaf mirrors AWS: 3 s before the
// document time to 3 hours after; the others are long-lived for dev).
inline constexpr int64_t kDevRootValidityMs = 30LL * 365 * 86400 * 1000;
inline constexpr int64_t kDevIntermediateValidityMs = 10LL * 365 * 86400 * 1000;
inline constexpr int64_t kDevInstanceCaValidityMs = 365LL * 86400 * 1000;
inline constexpr int64_t kDevLeafBackdateMs = 3000;
inline constexpr int64_t kDevLeafValidityMs = 3LL * 3600 * 1000;

class DevCa {
 public:
  // Generates fresh keys and certificates valid from one hour before now_ms.
  // `region` is used in subject names (e.g. "us-east-1").
  static absl::StatusOr<DevCa> Generate(
      int64_t now_ms, const std::string& region = "dev-local-1");

  // Loads a CA written by SaveToDirectory; checks that each key matches its
  // certificate and that the three certificates chain.
  static absl::StatusOr<DevCa> LoadFromDirectory(const std::string& dir);

  // Writes {root,regional,zonal}.cert.pem and {root,regional,zonal}.key.pem
  // into `dir` (which must exist); key files get mode 0600.
  absl::Status SaveToDirectory(const std::string& dir) const;

  // DER / PEM of the root certificate (what verifiers pin).
  std::vector<uint8_t> RootDer() const;
  std::string RootPem() const;

  // [root, regional, zonal] DER: the first entries of every cabundle.
  std::vector<std::vector<uint8_t>> CabundlePrefix() const;

  const std::string& region() const;

  // Issues a per-boot instance CA (basicConstraints CA:TRUE, pathlen:0,
  // keyCertSign) for an EC2 instance id, signed by the zonal key, valid from
  // now_ms - 1 h for kDevInstanceCaValidityMs.
  absl::StatusOr<IssuedKeyPair> IssueInstanceCa(const std::string& instance_id,
                                                int64_t now_ms) const;

  // Issues an enclave leaf (CA:FALSE, digitalSignature + nonRepudiation) for
  // `module_id`, signed by `instance_ca`, valid [now - 3 s, now + 3 h] at
  // second granularity, with a fresh P-384 key.
  static absl::StatusOr<IssuedKeyPair> IssueEnclaveLeaf(
      const IssuedKeyPair& instance_ca, const std::string& module_id,
      const std::string& region, int64_t now_ms);

 private:
  struct Impl;
  explicit DevCa(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_DEV_CA_H_
