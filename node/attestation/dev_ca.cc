#include "node/attestation/dev_ca.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "node/attestation/cert_builder.h"

namespace nitro_tss::attestation {

struct DevCa::Impl {
  std::string region;
  IssuedKeyPair root;
  IssuedKeyPair regional;
  IssuedKeyPair zonal;
};

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("dev CA: ", what, " failed"));
}

using Name = std::vector<std::pair<std::string, std::string>>;

constexpr char kCaKeyUsage[] = "critical,digitalSignature,keyCertSign,cRLSign";
constexpr char kLeafKeyUsage[] = "digitalSignature,nonRepudiation";

Name AwsStyleName(const std::string& cn) {
  return Name{{"C", "US"}, {"O", "Amazon"}, {"OU", "AWS"}, {"CN", cn}};
}

absl::StatusOr<IssuedKeyPair> IssueLevel(const CertificateSpec& base) {
  IssuedKeyPair out;
  out.key = GenerateEcKey("P-384");
  if (!out.key) return OpenSslError("P-384 key generation");
  CertificateSpec spec = base;
  spec.subject_key = out.key.get();
  spec.key_usage = spec.is_ca ? kCaKeyUsage : kLeafKeyUsage;
  auto cert = IssueCertificate(spec);
  if (!cert.ok()) return cert.status();
  out.cert = std::move(*cert);
  return out;
}

absl::Status WriteFile(const std::string& path, const std::string& data,
                       bool secret) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("dev CA: cannot write ", path));
  }
  if (secret) ::chmod(path.c_str(), 0600);
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  std::fclose(f);
  if (!ok)
    return absl::InternalError(absl::StrCat("dev CA: short write ", path));
  return absl::OkStatus();
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, data + (len > 0 ? len : 0));
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioToString(bio.get());
}

absl::StatusOr<IssuedKeyPair> LoadLevel(const std::string& dir,
                                        const std::string& level) {
  const std::string cert_path = absl::StrCat(dir, "/", level, ".cert.pem");
  const std::string key_path = absl::StrCat(dir, "/", level, ".key.pem");
  BioPtr cert_bio(BIO_new_file(cert_path.c_str(), "r"));
  BioPtr key_bio(BIO_new_file(key_path.c_str(), "r"));
  if (!cert_bio || !key_bio) {
    return absl::NotFoundError(
        absl::StrCat("dev CA: cannot open ", cert_path, " or ", key_path));
  }
  IssuedKeyPair out;
  out.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  out.key.reset(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!out.cert || !out.key) {
    return absl::InvalidArgumentError(
        absl::StrCat("dev CA: cannot parse ", level, " PEM files"));
  }
  if (!IsP384Key(out.key.get()) ||
      X509_check_private_key(out.cert.get(), out.key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dev CA: ", level, " key is not P-384 or does not match its cert"));
  }
  return out;
}

}  // namespace

absl::StatusOr<DevCa> DevCa::Generate(int64_t now_ms,
                                      const std::string& region) {
  auto impl = std::make_shared<Impl>();
  impl->region = region;
  const int64_t start = now_ms - 3600 * 1000;
  CertificateSpec root;
  root.subject = AwsStyleName("dev.nitro-enclaves");
  root.not_before_ms = start;
  root.not_after_ms = start + kDevRootValidityMs;
  root.is_ca = true;
  auto root_pair = IssueLevel(root);
  if (!root_pair.ok()) return root_pair.status();
  impl->root = std::move(*root_pair);

  CertificateSpec regional;
  regional.subject =
      AwsStyleName(absl::StrCat("regional.", region, ".dev.nitro-enclaves"));
  regional.issuer_cert = impl->root.cert.get();
  regional.issuer_key = impl->root.key.get();
  regional.not_before_ms = start;
  regional.not_after_ms = start + kDevIntermediateValidityMs;
  regional.is_ca = true;
  regional.pathlen = 2;
  auto regional_pair = IssueLevel(regional);
  if (!regional_pair.ok()) return regional_pair.status();
  impl->regional = std::move(*regional_pair);

  CertificateSpec zonal = regional;
  zonal.subject =
      AwsStyleName(absl::StrCat("zonal.", region, ".dev.nitro-enclaves"));
  zonal.issuer_cert = impl->regional.cert.get();
  zonal.issuer_key = impl->regional.key.get();
  zonal.pathlen = 1;
  auto zonal_pair = IssueLevel(zonal);
  if (!zonal_pair.ok()) return zonal_pair.status();
  impl->zonal = std::move(*zonal_pair);
  return DevCa(std::move(impl));
}

absl::StatusOr<DevCa> DevCa::LoadFromDirectory(const std::string& dir) {
  auto impl = std::make_shared<Impl>();
  auto root = LoadLevel(dir, "root");
  if (!root.ok()) return root.status();
  auto regional = LoadLevel(dir, "regional");
  if (!regional.ok()) return regional.status();
  auto zonal = LoadLevel(dir, "zonal");
  if (!zonal.ok()) return zonal.status();
  if (X509_check_issued(root->cert.get(), root->cert.get()) != X509_V_OK ||
      X509_check_issued(root->cert.get(), regional->cert.get()) != X509_V_OK ||
      X509_check_issued(regional->cert.get(), zonal->cert.get()) != X509_V_OK ||
      X509_verify(regional->cert.get(), root->key.get()) != 1 ||
      X509_verify(zonal->cert.get(), regional->key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("dev CA: certificates in ", dir, " do not chain"));
  }
  // Recover the region from the zonal CN "zonal.<region>.dev.nitro-enclaves".
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(zonal->cert.get()),
                            NID_commonName, cn, sizeof(cn));
  std::string region(cn);
  const std::string prefix = "zonal.", suffix = ".dev.nitro-enclaves";
  if (region.size() > prefix.size() + suffix.size() &&
      region.compare(0, prefix.size(), prefix) == 0) {
    region = region.substr(prefix.size(),
                           region.size() - prefix.size() - suffix.size());
  }
  impl->region = region;
  impl->root = std::move(*root);
  impl->regional = std::move(*regional);
  impl->zonal = std::move(*zonal);
  return DevCa(std::move(impl));
}

absl::Status DevCa::SaveToDirectory(const std::string& dir) const {
  const std::pair<const char*, const IssuedKeyPair*> levels[] = {
      {"root", &impl_->root},
      {"regional", &impl_->regional},
      {"zonal", &impl_->zonal}};
  for (const auto& [name, pair] : levels) {
    auto status = WriteFile(absl::StrCat(dir, "/", name, ".cert.pem"),
                            CertPem(pair->cert.get()), false);
    if (!status.ok()) return status;
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), pair->key.get(), nullptr,
                                         nullptr, 0, nullptr, nullptr) != 1) {
      return OpenSslError("PEM_write_bio_PrivateKey");
    }
    std::string pem = BioToString(bio.get());
    status = WriteFile(absl::StrCat(dir, "/", name, ".key.pem"), pem, true);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::vector<uint8_t> DevCa::RootDer() const {
  return CertificateToDer(impl_->root.cert.get());
}

std::string DevCa::RootPem() const { return CertPem(impl_->root.cert.get()); }

std::vector<std::vector<uint8_t>> DevCa::CabundlePrefix() const {
  return {CertificateToDer(impl_->root.cert.get()),
          CertificateToDer(impl_->regional.cert.get()),
          CertificateToDer(impl_->zonal.cert.get())};
}

const std::string& DevCa::region() const { return impl_->region; }

absl::StatusOr<IssuedKeyPair> DevCa::IssueInstanceCa(
    const std::string& instance_id, int64_t now_ms) const {
  CertificateSpec spec;
  spec.subject = Name{{"C", "US"},
                      {"ST", "Washington"},
                      {"L", "Seattle"},
                      {"O", "Amazon"},
                      {"OU", "AWS"},
                      {"CN", absl::StrCat(instance_id, ".", impl_->region,
                                          ".dev.nitro-enclaves")}};
  spec.issuer_cert = impl_->zonal.cert.get();
  spec.issuer_key = impl_->zonal.key.get();
  spec.not_before_ms = now_ms - 3600 * 1000;
  spec.not_after_ms = now_ms + kDevInstanceCaValidityMs;
  spec.is_ca = true;
  spec.pathlen = 0;
  return IssueLevel(spec);
}

absl::StatusOr<IssuedKeyPair> DevCa::IssueEnclaveLeaf(
    const IssuedKeyPair& instance_ca, const std::string& module_id,
    const std::string& region, int64_t now_ms) {
  CertificateSpec spec;
  spec.subject = Name{
      {"C", "US"},      {"ST", "Washington"},
      {"L", "Seattle"}, {"O", "Amazon"},
      {"OU", "AWS"},    {"CN", absl::StrCat(module_id, ".", region, ".dev")}};
  spec.issuer_cert = instance_ca.cert.get();
  spec.issuer_key = instance_ca.key.get();
  const int64_t now_s_ms = (now_ms / 1000) * 1000;
  spec.not_before_ms = now_s_ms - kDevLeafBackdateMs;
  spec.not_after_ms = now_s_ms + kDevLeafValidityMs;
  spec.is_ca = false;
  spec.key_identifiers = false;  // like AWS's leaf: no SKID/AKID
  return IssueLevel(spec);
}

}  // namespace nitro_tss::attestation
