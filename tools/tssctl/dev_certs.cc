#include "tools/tssctl/dev_certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace nitro_tss::tssctl {
namespace {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

absl::Status OpensslError(absl::string_view what) {
  const unsigned long code = ERR_get_error();
  char buf[256] = {0};
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return absl::InternalError(
      absl::StrCat("dev-certs: ", what, code != 0 ? ": " : "", buf));
}

bool IsIpLiteral(absl::string_view name, int* family) {
  const std::string s(name);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    *family = AF_INET6;
    return true;
  }
  return false;
}

struct Issued {
  EvpPkeyPtr key;
  X509Ptr cert;
};

absl::StatusOr<EvpPkeyPtr> NewKey() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpensslError("cannot generate a P-256 key");
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return OpensslError(
        absl::StrCat("extension ", OBJ_nid2sn(nid), " = ", value));
  }
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return OpensslError("X509_add_ext");
  return absl::OkStatus();
}

// A certificate for `key` named `common_name`, signed by `issuer_key`
// (self-signed when `issuer` is null), with `extensions` (nid, value) added
// after the key identifiers.
absl::StatusOr<X509Ptr> MakeCertificate(
    EVP_PKEY* key, const std::string& common_name, X509* issuer,
    EVP_PKEY* issuer_key, int64_t not_before, int64_t not_after,
    const std::vector<std::pair<int, std::string>>& extensions) {
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpensslError("X509_new");
  }
  // Random positive 128-bit serial (RFC 5280: at most 20 octets).
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (serial == nullptr ||
      BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) ==
          nullptr) {
    return OpensslError("serial number");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                    static_cast<time_t>(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                    static_cast<time_t>(not_after)) == nullptr) {
    return OpensslError("validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "O", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>("nitro-tss development"), -1,
          -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
          0) != 1) {
    return OpensslError("subject name");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpensslError("issuer / public key");
  }
  RETURN_IF_ERROR(
      AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_authority_key_identifier,
                               "keyid:always"));
  for (const auto& [nid, value] : extensions) {
    RETURN_IF_ERROR(AddExtension(cert.get(), signer, nid, value));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) {
    return OpensslError("signing the certificate");
  }
  return cert;
}

std::string CertificatePem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// PKCS#8 PEM of the private key (the caller wipes it).
absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpensslError("encoding a private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  return pem;
}

std::string Sha256Hex(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// Writes `content` to `path` with `mode` via a temporary file and rename.
absl::Status WriteFileAtomic(const std::string& path,
                             const std::string& content, mode_t mode) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = ::open(
      tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create '", tmp, "': ", std::strerror(errno)));
  }
  // The mode argument is masked by the umask; set it exactly.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot write '", path, "': ", std::strerror(saved)));
  }
  return absl::OkStatus();
}

absl::Status WritePair(const Issued& issued, IssuedFiles& files) {
  RETURN_IF_ERROR(WriteFileAtomic(files.certificate,
                                  CertificatePem(issued.cert.get()), 0644));
  ASSIGN_OR_RETURN(std::string pem, KeyPem(issued.key.get()));
  absl::Status written = WriteFileAtomic(files.key, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  RETURN_IF_ERROR(written);
  files.sha256 = Sha256Hex(issued.cert.get());
  return absl::OkStatus();
}

std::string SanOf(const std::string& name) {
  int family = 0;
  return IsIpLiteral(name, &family) ? absl::StrCat("IP:", name)
                                    : absl::StrCat("DNS:", name);
}

}  // namespace

absl::Status ValidateCertificateName(absl::string_view name) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name '", absl::CHexEscape(name.substr(0, 64)), "': ", why));
  };
  int family = 0;
  if (IsIpLiteral(name, &family)) return absl::OkStatus();
  if (name.empty() || name.size() > 253) {
    return bad("a DNS name has 1..253 characters");
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) {
      return bad("each DNS label has 1..63 characters");
    }
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-';
      if (!ok) return bad("DNS names use letters, digits, '-' and '.'");
    }
    if (label.front() == '-' || label.back() == '-') {
      return bad("a DNS label cannot start or end with '-'");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DevCerts> WriteDevCerts(const DevCertsOptions& options) {
  if (options.directory.empty()) {
    return absl::InvalidArgumentError("--dir: empty");
  }
  if (options.server_names.empty() ||
      options.server_names.size() > kMaxServerNames) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server: give 1..", kMaxServerNames, " names"));
  }
  if (options.validity_days < 1 || options.validity_days > kMaxValidityDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("--days must be 1..", kMaxValidityDays));
  }
  std::set<std::string> seen;
  for (const std::string& name : options.server_names) {
    if (absl::Status s = ValidateCertificateName(name); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--server: ", s.message()));
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--server: '", name, "' given twice"));
    }
  }
  if (absl::Status s = ValidateCertificateName(options.client_name); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--client: ", s.message()));
  }
  if (options.ca_name.empty() || options.ca_name.size() > 64) {
    return absl::InvalidArgumentError("--ca-name: 1..64 characters");
  }

  DevCerts out;
  const std::string& dir = options.directory;
  out.ca = {"", dir + "/ca.pem", dir + "/ca.key", "", {}};
  for (const std::string& name : options.server_names) {
    out.servers.push_back(
        {name,
         absl::StrCat(dir, "/server-", name, ".pem"),
         absl::StrCat(dir, "/server-", name, ".key"),
         "",
         {SanOf(name), "DNS:localhost", "IP:127.0.0.1", "IP:::1"}});
    // A server named "localhost" or "127.0.0.1" would repeat a SAN.
    auto& sans = out.servers.back().subject_alt_names;
    std::set<std::string> unique;
    std::vector<std::string> kept;
    for (const auto& s : sans) {
      if (unique.insert(s).second) kept.push_back(s);
    }
    sans = kept;
  }
  out.client = {options.client_name,
                absl::StrCat(dir, "/client-", options.client_name, ".pem"),
                absl::StrCat(dir, "/client-", options.client_name, ".key"),
                "",
                {SanOf(options.client_name)}};

  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--dir: cannot create '", dir, "': ", ec.message()));
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dir: '", dir, "' is not a directory"));
  }
  if (!options.overwrite) {
    std::vector<const IssuedFiles*> all = {&out.ca, &out.client};
    for (const auto& s : out.servers) all.push_back(&s);
    for (const IssuedFiles* f : all) {
      for (const std::string* path : {&f->certificate, &f->key}) {
        if (std::filesystem::exists(*path, ec)) {
          return absl::AlreadyExistsError(absl::StrCat(
              "'", *path, "' exists (give --force to replace the files)"));
        }
      }
    }
  }

  out.not_before_unix_s = options.now_unix_s - 3600;
  out.not_after_unix_s =
      options.now_unix_s + int64_t{options.validity_days} * 86400;

  Issued ca;
  ASSIGN_OR_RETURN(ca.key, NewKey());
  ASSIGN_OR_RETURN(
      ca.cert,
      MakeCertificate(ca.key.get(), options.ca_name, nullptr, ca.key.get(),
                      out.not_before_unix_s, out.not_after_unix_s,
                      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign"}}));
  RETURN_IF_ERROR(WritePair(ca, out.ca));

  auto issue = [&](IssuedFiles& files, const char* eku) -> absl::Status {
    Issued leaf;
    ASSIGN_OR_RETURN(leaf.key, NewKey());
    ASSIGN_OR_RETURN(
        leaf.cert,
        MakeCertificate(leaf.key.get(), files.name, ca.cert.get(), ca.key.get(),
                        out.not_before_unix_s, out.not_after_unix_s,
                        {{NID_subject_alt_name,
                          absl::StrJoin(files.subject_alt_names, ",")},
                         {NID_basic_constraints, "critical,CA:FALSE"},
                         {NID_key_usage, "critical,digitalSignature"},
                         {NID_ext_key_usage, eku}}));
    return WritePair(leaf, files);
  };
  for (IssuedFiles& server : out.servers) {
    RETURN_IF_ERROR(issue(server, "serverAuth"));
  }
  RETURN_IF_ERROR(issue(out.client, "clientAuth"));
  return out;
}

}  // namespace nitro_tss::tssctl
