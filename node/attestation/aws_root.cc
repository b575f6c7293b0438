#include "node/attestation/aws_root.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>

namespace nitro_tss::attestation {

const char kAwsNitroRootG1Pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL\n"
    "MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD\n"
    "VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4\n"
    "MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL\n"
    "DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG\n"
    "BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb\n"
    "48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE\n"
    "h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF\n"
    "R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC\n"
    "MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW\n"
    "rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N\n"
    "IwLz3/Y=\n"
    "-----END CERTIFICATE-----\n";

std::vector<uint8_t> AwsNitroRootG1Der() {
  static const std::vector<uint8_t>* const der = [] {
    BIO* bio = BIO_new_mem_buf(kAwsNitroRootG1Pem, -1);
    X509* cert =
        bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (cert == nullptr) std::abort();  // corrupted constant
    unsigned char* out = nullptr;
    const int len = i2d_X509(cert, &out);
    X509_free(cert);
    if (len <= 0) std::abort();
    auto* result = new std::vector<uint8_t>(out, out + len);
    OPENSSL_free(out);
    return result;
  }();
  return *der;
}

}  // namespace nitro_tss::attestation
