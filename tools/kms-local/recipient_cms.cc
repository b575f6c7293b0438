#include "tools/kms-local/recipient_cms.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace nitro_tss::kms_local {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo,
                               Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using OctetPtr =
    std::unique_ptr<ASN1_OCTET_STRING,
                    Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
void BioFree(BIO* b) { BIO_free(b); }
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BioFree>>;

absl::Status OpensslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("CiphertextForRecipient: ", what));
}

}  // namespace

std::string RecipientKeyIdentifier(absl::Span<const uint8_t> spki) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(spki.data(), spki.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof(md));
}

absl::StatusOr<std::string> BuildCiphertextForRecipient(
    absl::Span<const uint8_t> recipient_spki_der,
    absl::Span<const uint8_t> plaintext) {
  if (plaintext.empty() || plaintext.size() > 4096) {
    return absl::InvalidArgumentError(
        "CiphertextForRecipient: plaintext must be 1..4096 bytes");
  }
  const unsigned char* p = recipient_spki_der.data();
  PkeyPtr key(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(recipient_spki_der.size())));
  if (!key || p != recipient_spki_der.data() + recipient_spki_der.size()) {
    return absl::InvalidArgumentError(
        "recipient public key is not a DER SubjectPublicKeyInfo");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("recipient public key is not RSA");
  }
  const int bits = EVP_PKEY_get_bits(key.get());
  if (bits < kMinRecipientRsaBits || bits > kMaxRecipientRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("recipient RSA key has ", bits, " bits, expected ",
                     kMinRecipientRsaBits, "..", kMaxRecipientRsaBits));
  }
  // OpenSSL's CMS API addresses key-transport recipients through a
  // certificate; a throwaway certificate carries the public key and the
  // subject key identifier (it is never serialized or signed).
  X509Ptr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !X509_set_pubkey(cert.get(), key.get())) {
    return OpensslError("building recipient certificate");
  }
  const std::string ski = RecipientKeyIdentifier(recipient_spki_der);
  OctetPtr ski_os(ASN1_OCTET_STRING_new());
  if (!ski_os ||
      !ASN1_OCTET_STRING_set(ski_os.get(),
                             reinterpret_cast<const unsigned char*>(ski.data()),
                             static_cast<int>(ski.size())) ||
      X509_add1_ext_i2d(cert.get(), NID_subject_key_identifier, ski_os.get(), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return OpensslError("adding subject key identifier");
  }
  // OpenSSL only reads the identifier back from a complete, encodable
  // certificate: give it names, a validity period and a signature made with
  // an ephemeral key (nobody ever checks it).
  X509_NAME* name = X509_get_subject_name(cert.get());
  PkeyPtr signer(EVP_EC_gen("P-256"));
  if (!signer ||
      !X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>("kms-recipient"), -1, -1, 0) ||
      !X509_set_issuer_name(cert.get(), name) ||
      !ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) ||
      X509_sign(cert.get(), signer.get(), EVP_sha256()) <= 0) {
    return OpensslError("completing recipient certificate");
  }
  const unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
  CmsPtr cms(CMS_encrypt(nullptr, nullptr, EVP_aes_256_cbc(), flags));
  if (!cms) return OpensslError("CMS_encrypt");
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(
      cms.get(), cert.get(), CMS_USE_KEYID | CMS_KEY_PARAM);
  if (ri == nullptr) return OpensslError("CMS_add1_recipient_cert");
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (pctx == nullptr ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
    return OpensslError("configuring RSAES-OAEP SHA-256");
  }
  BioPtr in(
      BIO_new_mem_buf(plaintext.data(), static_cast<int>(plaintext.size())));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!in || !out ||
      i2d_CMS_bio_stream(out.get(), cms.get(), in.get(), flags) != 1) {
    return OpensslError("encoding EnvelopedData");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  if (len <= 0) return OpensslError("empty EnvelopedData");
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace nitro_tss::kms_local
