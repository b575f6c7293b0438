#include "tests/node/approval/approval_test_util.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"

namespace nitro_tss::approval::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "approval_test_util: %s failed\n", what);
  std::abort();
}

std::vector<uint8_t> SpkiDer(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) Die("i2d_PUBKEY");
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string SpkiPem(EVP_PKEY* pkey) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio, pkey) != 1) Die("PEM");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, data + len);
  BIO_free(bio);
  return out;
}

class Ed25519Signer : public TestSigner {
 public:
  explicit Ed25519Signer(uint8_t seed_byte) {
    if (sodium_init() < 0) Die("sodium_init");
    uint8_t seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof(seed); ++i) {
      seed[i] = static_cast<uint8_t>(seed_byte + 7 * i);
    }
    crypto_sign_seed_keypair(pk_, sk_, seed);
    pkey_ = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk_,
                                        sizeof(pk_));
    if (pkey_ == nullptr) Die("EVP_PKEY_new_raw_public_key");
  }
  ~Ed25519Signer() override { EVP_PKEY_free(pkey_); }
  ApproverAlgorithm algorithm() const override {
    return ApproverAlgorithm::kEd25519;
  }
  std::vector<uint8_t> raw_public_key() const override {
    return std::vector<uint8_t>(pk_, pk_ + sizeof(pk_));
  }
  std::vector<uint8_t> spki_der() const override { return SpkiDer(pkey_); }
  std::string spki_pem() const override { return SpkiPem(pkey_); }
  std::vector<uint8_t> Sign(absl::Span<const uint8_t> message) const override {
    std::vector<uint8_t> sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(),
                         sk_);
    return sig;
  }

 private:
  uint8_t pk_[crypto_sign_PUBLICKEYBYTES];
  uint8_t sk_[crypto_sign_SECRETKEYBYTES];
  EVP_PKEY* pkey_ = nullptr;
};

class P256Signer : public TestSigner {
 public:
  P256Signer() {
    pkey_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (pkey_ == nullptr) Die("EVP_PKEY_Q_keygen");
  }
  ~P256Signer() override { EVP_PKEY_free(pkey_); }
  ApproverAlgorithm algorithm() const override {
    return ApproverAlgorithm::kEcdsaP256Sha256;
  }
  std::vector<uint8_t> raw_public_key() const override {
    std::vector<uint8_t> out(65);
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey_,
                                        OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                        out.data(), out.size(), &len) != 1 ||
        len != 65) {
      Die("encoded public key");
    }
    return out;
  }
  std::vector<uint8_t> spki_der() const override { return SpkiDer(pkey_); }
  std::string spki_pem() const override { return SpkiPem(pkey_); }
  std::vector<uint8_t> Sign(absl::Span<const uint8_t> message) const override {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    if (md == nullptr || EVP_DigestSignInit_ex(md, nullptr, "SHA256", nullptr,
                                               nullptr, pkey_, nullptr) != 1) {
      Die("EVP_DigestSignInit_ex");
    }
    size_t len = 0;
    if (EVP_DigestSign(md, nullptr, &len, message.data(), message.size()) !=
        1) {
      Die("EVP_DigestSign size");
    }
    std::vector<uint8_t> sig(len);
    if (EVP_DigestSign(md, sig.data(), &len, message.data(), message.size()) !=
        1) {
      Die("EVP_DigestSign");
    }
    sig.resize(len);
    EVP_MD_CTX_free(md);
    return sig;
  }

 private:
  EVP_PKEY* pkey_ = nullptr;
};

}  // namespace

ApproverKey TestSigner::key() const {
  absl::StatusOr<ApproverKey> key =
      ApproverKey::Parse(algorithm(), raw_public_key());
  if (!key.ok()) Die("ApproverKey::Parse of a test key");
  return *key;
}

Approval TestSigner::Approve(const ApprovalRequest& request) const {
  absl::StatusOr<std::vector<uint8_t>> message = ApprovalMessage(request);
  if (!message.ok()) Die("ApprovalMessage");
  return Approval{id(), Sign(*message)};
}

std::unique_ptr<TestSigner> MakeEd25519Signer(uint8_t seed_byte) {
  return std::make_unique<Ed25519Signer>(seed_byte);
}

std::unique_ptr<TestSigner> MakeP256Signer() {
  return std::make_unique<P256Signer>();
}

std::vector<uint8_t> DerToRawRs(absl::Span<const uint8_t> der) {
  const uint8_t* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) Die("d2i_ECDSA_SIG");
  std::vector<uint8_t> out(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

std::vector<uint8_t> HighSTwin(absl::Span<const uint8_t> der) {
  const uint8_t* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) Die("d2i_ECDSA_SIG");
  BIGNUM* n = nullptr;
  BN_hex2bn(&n,
            "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
  BIGNUM* r = BN_dup(ECDSA_SIG_get0_r(sig));
  BIGNUM* s = BN_new();
  BN_sub(s, n, ECDSA_SIG_get0_s(sig));
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &out);
  std::vector<uint8_t> result(out, out + len);
  OPENSSL_free(out);
  ECDSA_SIG_free(sig);
  BN_free(n);
  return result;
}

ApprovalPolicy MakePolicy(const std::vector<const TestSigner*>& signers,
                          uint32_t m) {
  return MakePolicy(signers, Quorum{m, m, m, m});
}

ApprovalPolicy MakePolicy(const std::vector<const TestSigner*>& signers,
                          const Quorum& quorum) {
  std::vector<Approver> approvers;
  for (size_t i = 0; i < signers.size(); ++i) {
    approvers.push_back(
        Approver{signers[i]->key(), "approver-" + std::to_string(i)});
  }
  absl::StatusOr<ApprovalPolicy> policy =
      ApprovalPolicy::Create(std::move(approvers), quorum);
  if (!policy.ok()) Die("ApprovalPolicy::Create");
  return *policy;
}

ApprovalRequest MakeRequest(uint64_t expiry_unix_ms, uint8_t nonce_byte) {
  ApprovalRequest r;
  for (size_t i = 0; i < r.key_id.size(); ++i) {
    r.key_id[i] = static_cast<uint8_t>(0xA0 + i);
  }
  r.operation = Operation::kSign;
  r.hash_function = HashFunction::kSha256;
  for (size_t i = 0; i < r.message_digest.size(); ++i) {
    r.message_digest[i] = static_cast<uint8_t>(0x10 + i);
  }
  r.derivation_path = {44, 60, 0, 0, 7};
  r.expiry_unix_ms = expiry_unix_ms;
  r.nonce.assign(24, nonce_byte);
  r.nonce[0] = 0x4E;
  return r;
}

std::vector<uint8_t> Bytes(absl::string_view hex) {
  const std::string raw = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(raw.begin(), raw.end());
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace nitro_tss::approval::testing
