#include "tests/kms/cms_test_util.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace nitro_tss::kms::testing {

std::vector<uint8_t> BuildCms(EVP_PKEY* recipient, const std::string& plain,
                              const CmsBuildOptions& options) {
  std::vector<uint8_t> out;
  // A self-signed certificate carrying the recipient's public key and a
  // subject key identifier of the requested size.
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, recipient);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("recip"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  std::vector<uint8_t> ski(options.ski_size, 0x5a);
  ASN1_OCTET_STRING* ski_os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(ski_os, ski.data(), static_cast<int>(ski.size()));
  X509_add1_ext_i2d(cert, NID_subject_key_identifier, ski_os, 0, 0);
  ASN1_OCTET_STRING_free(ski_os);
  X509_sign(cert, recipient, EVP_sha256());

  const EVP_CIPHER* cipher =
      options.cipher != nullptr ? options.cipher : EVP_aes_256_cbc();
  unsigned int flags = CMS_PARTIAL | CMS_BINARY;
  if (options.stream_ber) flags |= CMS_STREAM;
  CMS_ContentInfo* cms = CMS_encrypt(nullptr, nullptr, cipher, flags);
  unsigned int rflags = CMS_KEY_PARAM;
  if (options.use_key_id) rflags |= CMS_USE_KEYID;
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms, cert, rflags);
  bool ok = ri != nullptr;
  if (ok && options.oaep) {
    const EVP_MD* md =
        options.oaep_md != nullptr ? options.oaep_md : EVP_sha256();
    EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
    ok = pctx != nullptr &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
  }
  BIO* in = BIO_new_mem_buf(plain.data(), static_cast<int>(plain.size()));
  BIO* mem = BIO_new(BIO_s_mem());
  if (ok) {
    if (options.stream_ber) {
      ok = i2d_CMS_bio_stream(mem, cms, in, flags) == 1;
    } else {
      ok =
          CMS_final(cms, in, nullptr, flags) == 1 && i2d_CMS_bio(mem, cms) == 1;
    }
  }
  if (ok) {
    char* p = nullptr;
    long n = BIO_get_mem_data(mem, &p);
    out.assign(p, p + n);
  }
  BIO_free(in);
  BIO_free(mem);
  CMS_ContentInfo_free(cms);
  X509_free(cert);
  return out;
}

}  // namespace nitro_tss::kms::testing
