#include "tools/kms-local/attested_recipient.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "node/attestation/verifier.h"

namespace nitro_tss::kms_local {

RecipientVerifier MakeAttestationRecipientVerifier(
    RecipientVerifierOptions options) {
  return [options](
             absl::string_view document) -> absl::StatusOr<AttestedRecipient> {
    attestation::VerifyOptions vo;
    vo.root_der = options.root_der;
    vo.now_ms = absl::ToUnixMillis(options.clock());
    attestation::AttestationPolicy policy;
    policy.allow_debug = true;
    policy.max_age_ms = absl::ToInt64Milliseconds(options.max_age);
    auto doc = attestation::VerifyAttestationDocument(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(document.data()),
                            document.size()),
        vo, policy);
    if (!doc.ok()) return doc.status();
    if (!doc->public_key.has_value() || doc->public_key->empty()) {
      return absl::InvalidArgumentError(
          "attestation document has no public_key");
    }
    AttestedRecipient r;
    r.pcrs = doc->pcrs;
    r.public_key = *doc->public_key;
    return r;
  };
}

absl::StatusOr<std::vector<uint8_t>> ReadPemCertificateDer(
    const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  }
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' holds no PEM certificate"));
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  X509_free(cert);
  if (len <= 0) return absl::InternalError("i2d_X509 failed");
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace nitro_tss::kms_local
