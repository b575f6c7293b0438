#include "node/attestation/measurement.h"

#include <openssl/evp.h>

namespace nitro_tss::attestation {
namespace {

// Incremental SHA-384 over several pieces.
class Sha384Hasher {
 public:
  Sha384Hasher() : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(ctx_, EVP_sha384(), nullptr);
  }
  ~Sha384Hasher() { EVP_MD_CTX_free(ctx_); }
  Sha384Hasher(const Sha384Hasher&) = delete;
  Sha384Hasher& operator=(const Sha384Hasher&) = delete;
  void Update(absl::Span<const uint8_t> data) {
    if (!data.empty()) EVP_DigestUpdate(ctx_, data.data(), data.size());
  }
  std::vector<uint8_t> Final() {
    std::vector<uint8_t> out(kSha384Bytes);
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &len);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::vector<uint8_t> Sha384(absl::Span<const uint8_t> data) {
  Sha384Hasher h;
  h.Update(data);
  return h.Final();
}

std::vector<uint8_t> ExtendPcrValue(absl::Span<const uint8_t> old_value,
                                    absl::Span<const uint8_t> data) {
  Sha384Hasher h;
  h.Update(old_value);
  h.Update(data);
  return h.Final();
}

std::vector<uint8_t> MeasureRaw(absl::Span<const uint8_t> data) {
  const std::vector<uint8_t> zero(kSha384Bytes, 0);
  return ExtendPcrValue(zero, data);
}

std::vector<uint8_t> MeasureRaw(const std::string& data) {
  return MeasureRaw(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

BootMeasurements MeasureEnclaveImage(const EnclaveImageParts& image) {
  Sha384Hasher all, boot, app;
  all.Update(image.kernel);
  all.Update(image.cmdline);
  boot.Update(image.kernel);
  boot.Update(image.cmdline);
  for (size_t i = 0; i < image.ramdisks.size(); ++i) {
    all.Update(image.ramdisks[i]);
    if (i == 0) {
      boot.Update(image.ramdisks[i]);
    } else {
      app.Update(image.ramdisks[i]);
    }
  }
  BootMeasurements m;
  m.pcr0 = MeasureRaw(all.Final());
  m.pcr1 = MeasureRaw(boot.Final());
  m.pcr2 = MeasureRaw(app.Final());
  return m;
}

std::vector<uint8_t> MeasureSigningCertificate(
    absl::Span<const uint8_t> certificate_der) {
  return MeasureRaw(Sha384(certificate_der));
}

}  // namespace nitro_tss::attestation
