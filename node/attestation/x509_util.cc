#include "node/attestation/x509_util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <cstring>
#include <ctime>

#include "absl/strings/str_format.h"

namespace nitro_tss::attestation {

absl::StatusOr<X509Ptr> ParseDerCertificate(absl::Span<const uint8_t> der) {
  if (der.empty()) return absl::InvalidArgumentError("empty certificate");
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return absl::InvalidArgumentError("certificate is not valid DER");
  if (p != der.data() + der.size()) {
    return absl::InvalidArgumentError("trailing bytes after certificate");
  }
  // Reject non-canonical encodings: the signature covers the TBS bytes as
  // received, but every consumer should see one unique encoding.
  if (CertificateToDer(cert.get()) !=
      std::vector<uint8_t>(der.begin(), der.end())) {
    return absl::InvalidArgumentError("certificate is not canonical DER");
  }
  return cert;
}

absl::StatusOr<std::vector<uint8_t>> CertificatePemToDer(
    absl::string_view pem) {
  if (pem.size() > 64 * 1024) {
    return absl::InvalidArgumentError("certificate PEM larger than 64 KiB");
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert =
      bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (cert == nullptr) {
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  X509Ptr owned(cert);
  return CertificateToDer(cert);
}

std::vector<uint8_t> CertificateToDer(X509* cert) {
  unsigned char* out = nullptr;
  const int len = i2d_X509(cert, &out);
  if (len <= 0) return {};
  std::vector<uint8_t> der(out, out + len);
  OPENSSL_free(out);
  return der;
}

bool IsP384Key(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof(group), &len) != 1) {
    return false;
  }
  return std::strcmp(group, SN_secp384r1) == 0;
}

absl::StatusOr<int64_t> Asn1TimeToUnixMs(const ASN1_TIME* time) {
  struct tm tm;
  std::memset(&tm, 0, sizeof(tm));
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return absl::InvalidArgumentError("unreadable ASN.1 time");
  }
  const time_t seconds = timegm(&tm);
  return static_cast<int64_t>(seconds) * 1000;
}

std::string FormatUnixMs(int64_t ms) {
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return absl::StrFormat("%dms", ms);
  std::string out = absl::StrFormat(
      "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis != 0) out += absl::StrFormat(".%03d", millis);
  return out + "Z";
}

bool RawEcdsaSignatureToDer(absl::Span<const uint8_t> raw,
                            std::vector<uint8_t>* der) {
  if (raw.size() != 96) return false;
  BIGNUM* r = BN_bin2bn(raw.data(), 48, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + 48, 48, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || sig == nullptr || BN_is_zero(r) ||
      BN_is_zero(s) || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);  // frees r and s
  if (len <= 0) return false;
  der->assign(out, out + len);
  OPENSSL_free(out);
  return true;
}

bool DerEcdsaSignatureToRaw(absl::Span<const uint8_t> der,
                            std::vector<uint8_t>* raw) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return false;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  raw->assign(96, 0);
  const bool ok = p == der.data() + der.size() &&
                  BN_bn2binpad(r, raw->data(), 48) == 48 &&
                  BN_bn2binpad(s, raw->data() + 48, 48) == 48;
  ECDSA_SIG_free(sig);
  return ok;
}

}  // namespace nitro_tss::attestation
