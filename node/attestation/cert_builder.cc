#include "node/attestation/cert_builder.h"

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"

namespace nitro_tss::attestation {
namespace {

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("certificate: ", what, " failed"));
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool AddUnknownCriticalExtension(X509* cert) {
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
  ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
  const unsigned char body[] = {0x05, 0x00};  // DER NULL
  bool ok = oid != nullptr && value != nullptr &&
            ASN1_OCTET_STRING_set(value, body, sizeof(body)) == 1;
  X509_EXTENSION* ext =
      ok ? X509_EXTENSION_create_by_OBJ(nullptr, oid, 1, value) : nullptr;
  ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  ASN1_OCTET_STRING_free(value);
  ASN1_OBJECT_free(oid);
  return ok;
}

}  // namespace

EvpPkeyPtr GenerateEcKey(const char* curve) {
  return EvpPkeyPtr(EVP_EC_gen(curve));
}

absl::StatusOr<X509Ptr> IssueCertificate(const CertificateSpec& spec) {
  if (spec.subject_key == nullptr) {
    return absl::InvalidArgumentError("certificate: no subject key");
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) {
    return OpenSslError("X509_new");
  }
  uint8_t serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) {
    return OpenSslError("RAND_bytes");
  }
  serial_bytes[0] = (serial_bytes[0] & 0x7f) | 0x01;
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  const bool serial_ok =
      serial != nullptr &&
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(serial);
  if (!serial_ok) return OpenSslError("serial number");
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& [field, value] : spec.subject) {
    if (X509_NAME_add_entry_by_txt(
            name, field.c_str(), MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
            0) != 1) {
      return OpenSslError("subject name");
    }
  }
  X509* issuer = spec.issuer_cert ? spec.issuer_cert : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                    static_cast<time_t>(spec.not_before_ms / 1000)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                    static_cast<time_t>(spec.not_after_ms / 1000)) == nullptr ||
      X509_set_pubkey(cert.get(), spec.subject_key) != 1) {
    return OpenSslError("certificate fields");
  }
  if (spec.basic_constraints) {
    std::string bc = spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.is_ca && spec.pathlen >= 0) {
      bc += absl::StrCat(",pathlen:", spec.pathlen);
    }
    if (!AddExtension(cert.get(), issuer, NID_basic_constraints, bc.c_str())) {
      return OpenSslError("basicConstraints");
    }
  }
  if (!spec.key_usage.empty() &&
      !AddExtension(cert.get(), issuer, NID_key_usage,
                    spec.key_usage.c_str())) {
    return OpenSslError("keyUsage");
  }
  if (spec.key_identifiers) {
    if (!AddExtension(cert.get(), issuer, NID_subject_key_identifier, "hash")) {
      return OpenSslError("subjectKeyIdentifier");
    }
    if (spec.issuer_cert != nullptr &&
        !AddExtension(cert.get(), issuer, NID_authority_key_identifier,
                      "keyid:always")) {
      return OpenSslError("authorityKeyIdentifier");
    }
  }
  if (spec.unknown_critical_extension &&
      !AddUnknownCriticalExtension(cert.get())) {
    return OpenSslError("unknown critical extension");
  }
  EVP_PKEY* signer = spec.issuer_key ? spec.issuer_key : spec.subject_key;
  if (X509_sign(cert.get(), signer, spec.digest ? spec.digest : EVP_sha384()) <=
      0) {
    return OpenSslError("X509_sign");
  }
  return cert;
}

}  // namespace nitro_tss::attestation
