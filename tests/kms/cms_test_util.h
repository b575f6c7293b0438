// Test helper: builds KMS-shaped CMS EnvelopedData with OpenSSL's CMS API
// (independent of our parser) for a recipient key we hold.
#ifndef NITRO_TSS_TESTS_KMS_CMS_TEST_UTIL_H_
#define NITRO_TSS_TESTS_KMS_CMS_TEST_UTIL_H_

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nitro_tss::kms::testing {

struct CmsBuildOptions {
  bool oaep = true;                    // false: PKCS#1 v1.5 key transport
  const EVP_MD* oaep_md = nullptr;     // default SHA-256
  const EVP_CIPHER* cipher = nullptr;  // default AES-256-CBC
  bool use_key_id = true;              // false: issuerAndSerialNumber
  bool stream_ber = false;             // true: indefinite-length BER
  size_t ski_size = 32;
};

// Returns the encoded ContentInfo, or an empty vector on OpenSSL failure.
std::vector<uint8_t> BuildCms(EVP_PKEY* recipient, const std::string& plain,
                              const CmsBuildOptions& options = {});

}  // namespace nitro_tss::kms::testing

#endif  // NITRO_TSS_TESTS_KMS_CMS_TEST_UTIL_H_
