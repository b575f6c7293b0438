// The RecipientVerifier of tss-kms-local: verifies a Recipient's Nitro
// attestation document with node/attestation against a pinned root (the
// simulated NSM's development root in local runs, the AWS Nitro root in
// principle), checks its age, requires an RSA public key, and exposes the
// PCRs. Debug-mode documents are *not* rejected here (neither does AWS KMS):
// key policies decide through kms:RecipientAttestation:* condition keys.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_ATTESTED_RECIPIENT_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_ATTESTED_RECIPIENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/kms-local/service.h"

namespace nitro_tss::kms_local {

struct RecipientVerifierOptions {
  std::vector<uint8_t> root_der;  // pinned root certificate
  absl::Duration max_age = absl::Minutes(5);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// Errors returned by the verifier: the attestation library's status
// (signature, chain, age...), or InvalidArgument "attestation document has
// no public_key".
RecipientVerifier MakeAttestationRecipientVerifier(
    RecipientVerifierOptions options);

// Reads one PEM certificate and returns its DER. Errors name the file.
absl::StatusOr<std::vector<uint8_t>> ReadPemCertificateDer(
    const std::string& path);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_ATTESTED_RECIPIENT_H_
