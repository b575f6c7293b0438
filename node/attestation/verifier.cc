#include "node/attestation/verifier.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/attestation/errors.h"
#include "node/attestation/x509_util.h"

namespace nitro_tss::attestation {
namespace {

absl::Status ChainError(VerifyError error, absl::string_view message) {
  const absl::StatusCode code = (error == VerifyError::kCertificateExpired ||
                                 error == VerifyError::kCertificateNotYetValid)
                                    ? absl::StatusCode::kFailedPrecondition
                                    : absl::StatusCode::kUnauthenticated;
  return MakeVerifyError(code, error,
                         absl::StrCat("certificate chain: ", message));
}

absl::Status PolicyError(VerifyError error, absl::string_view message) {
  return MakeVerifyError(absl::StatusCode::kPermissionDenied, error, message);
}

bool ConstantTimeEqual(const std::vector<uint8_t>& a,
                       const std::vector<uint8_t>& b) {
  return a.size() == b.size() &&
         (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

// Structural checks of one certificate. `role` is "root", "cabundle[i]" or
// "leaf"; `is_ca` selects CA or leaf requirements.
absl::Status CheckCertificateShape(X509* cert, const std::string& role,
                                   bool is_ca) {
  if (X509_get_signature_nid(cert) != NID_ecdsa_with_SHA384) {
    return ChainError(
        VerifyError::kCertificateInvalid,
        absl::StrCat(role, " is not signed with ecdsa-with-SHA384"));
  }
  if (!IsP384Key(X509_get0_pubkey(cert))) {
    return ChainError(VerifyError::kCertificateInvalid,
                      absl::StrCat(role, " key is not EC P-384"));
  }
  const uint32_t flags = X509_get_extension_flags(cert);
  if (flags & EXFLAG_INVALID) {
    return ChainError(VerifyError::kCertificateInvalid,
                      absl::StrCat(role, " has invalid extensions"));
  }
  if (flags & EXFLAG_CRITICAL) {
    return ChainError(VerifyError::kCertificateInvalid,
                      absl::StrCat(role, " has an unknown critical extension"));
  }
  const bool has_ku = (flags & EXFLAG_KUSAGE) != 0;
  const uint32_t ku = X509_get_key_usage(cert);
  if (is_ca) {
    if (!(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA)) {
      return ChainError(VerifyError::kCertificateInvalid,
                        absl::StrCat(role, " is not a CA (basicConstraints)"));
    }
    if (!has_ku || !(ku & KU_KEY_CERT_SIGN)) {
      return ChainError(VerifyError::kCertificateInvalid,
                        absl::StrCat(role, " lacks keyCertSign"));
    }
  } else {
    if (flags & EXFLAG_CA) {
      return ChainError(VerifyError::kCertificateInvalid,
                        "leaf is a CA certificate");
    }
    if (!has_ku || !(ku & KU_DIGITAL_SIGNATURE)) {
      return ChainError(VerifyError::kCertificateInvalid,
                        "leaf lacks digitalSignature key usage");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckValidity(X509* cert, const std::string& role,
                           int64_t now_ms) {
  auto not_before = Asn1TimeToUnixMs(X509_get0_notBefore(cert));
  auto not_after = Asn1TimeToUnixMs(X509_get0_notAfter(cert));
  if (!not_before.ok() || !not_after.ok()) {
    return ChainError(VerifyError::kCertificateInvalid,
                      absl::StrCat(role, " has an unreadable validity period"));
  }
  if (now_ms < *not_before) {
    return ChainError(
        VerifyError::kCertificateNotYetValid,
        absl::StrCat(role, " not valid before ", FormatUnixMs(*not_before),
                     " (now ", FormatUnixMs(now_ms), ")"));
  }
  if (now_ms > *not_after) {
    return ChainError(
        VerifyError::kCertificateExpired,
        absl::StrCat(role, " expired at ", FormatUnixMs(*not_after), " (now ",
                     FormatUnixMs(now_ms), ")"));
  }
  return absl::OkStatus();
}

absl::Status VerifyCoseSignature(const ParsedCoseSign1& cose, EVP_PKEY* key) {
  std::vector<uint8_t> der_sig;
  if (!RawEcdsaSignatureToDer(cose.signature, &der_sig)) {
    return MakeVerifyError(absl::StatusCode::kUnauthenticated,
                           VerifyError::kBadSignature,
                           "COSE signature is not a valid r || s pair");
  }
  const std::vector<uint8_t> tbs = cose.SigStructure();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha384(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, der_sig.data(), der_sig.size(), tbs.data(),
                       tbs.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    return MakeVerifyError(absl::StatusCode::kUnauthenticated,
                           VerifyError::kBadSignature,
                           "COSE ES384 signature does not verify with the "
                           "leaf certificate key");
  }
  return absl::OkStatus();
}

std::string PcrName(int index) { return absl::StrCat("PCR", index); }

}  // namespace

absl::Status VerifyDocumentSignatureAndChain(const AttestationDocument& doc,
                                             const VerifyOptions& options) {
  auto leaf = ParseDerCertificate(doc.certificate);
  if (!leaf.ok()) {
    return ChainError(VerifyError::kCertificateInvalid,
                      absl::StrCat("leaf: ", leaf.status().message()));
  }
  if (!IsP384Key(X509_get0_pubkey(leaf->get()))) {
    return ChainError(VerifyError::kCertificateInvalid,
                      "leaf key is not EC P-384");
  }
  // The signature first: it covers the whole payload (chain included), so
  // any tampering is rejected with one ECDSA verification.
  auto sig = VerifyCoseSignature(doc.cose, X509_get0_pubkey(leaf->get()));
  if (!sig.ok()) return sig;

  if (doc.cabundle.empty()) {
    return ChainError(VerifyError::kUntrustedRoot, "cabundle is empty");
  }
  if (!ConstantTimeEqual(doc.cabundle[0], options.root_der)) {
    return ChainError(VerifyError::kUntrustedRoot,
                      "cabundle[0] is not the pinned root certificate");
  }
  // chain[0] = root, chain[1..n-1] = intermediates, chain[n] = leaf.
  std::vector<X509Ptr> chain;
  for (size_t i = 0; i < doc.cabundle.size(); ++i) {
    auto cert = ParseDerCertificate(doc.cabundle[i]);
    if (!cert.ok()) {
      return ChainError(
          VerifyError::kCertificateInvalid,
          absl::StrCat("cabundle[", i, "]: ", cert.status().message()));
    }
    chain.push_back(std::move(*cert));
  }
  chain.push_back(std::move(*leaf));
  const size_t n = chain.size();
  auto role = [n](size_t i) -> std::string {
    if (i == 0) return "root";
    if (i == n - 1) return "leaf";
    return absl::StrCat("cabundle[", i, "]");
  };
  for (size_t i = 0; i < n; ++i) {
    const bool is_ca = i + 1 < n;
    auto shape = CheckCertificateShape(chain[i].get(), role(i), is_ca);
    if (!shape.ok()) return shape;
    if (is_ca) {
      // Intermediates strictly below chain[i], excluding the leaf.
      const long below = static_cast<long>(n - 2 - i);
      const long pathlen = X509_get_pathlen(chain[i].get());
      if (pathlen >= 0 && below > pathlen) {
        return ChainError(
            VerifyError::kCertificateInvalid,
            absl::StrCat(role(i), " path length ", pathlen, " exceeded by ",
                         below, " intermediate certificates"));
      }
    }
  }
  if (X509_check_issued(chain[0].get(), chain[0].get()) != X509_V_OK) {
    return ChainError(VerifyError::kCertificateInvalid,
                      "root is not self-issued");
  }
  for (size_t i = 1; i < n; ++i) {
    const int issued = X509_check_issued(chain[i - 1].get(), chain[i].get());
    if (issued != X509_V_OK) {
      return ChainError(
          VerifyError::kChainBroken,
          absl::StrCat(role(i), " was not issued by ", role(i - 1), ": ",
                       X509_verify_cert_error_string(issued)));
    }
    if (X509_verify(chain[i].get(), X509_get0_pubkey(chain[i - 1].get())) !=
        1) {
      return ChainError(
          VerifyError::kChainBroken,
          absl::StrCat(role(i), " signature does not verify with ", role(i - 1),
                       " key"));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    auto valid = CheckValidity(chain[i].get(), role(i), options.now_ms);
    if (!valid.ok()) return valid;
  }
  return absl::OkStatus();
}

absl::Status CheckPolicyPinsImage(const AttestationPolicy& policy) {
  for (const auto& [index, value] : policy.expected_pcrs) {
    if (index < 0 || index > kMaxPcrIndex || value.size() != kPcrBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "attestation: policy: expected PCR", index,
          " must have an index in 0..31 and 48 bytes, got ", value.size()));
    }
  }
  for (int index : {0, 2, 8}) {
    if (policy.expected_pcrs.count(index) != 0) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "attestation: policy pins no image (expected PCR0, PCR2 or PCR8): it "
      "would accept any non-debug enclave image");
}

absl::Status CheckAttestationPolicy(const AttestationDocument& doc,
                                    const AttestationPolicy& policy,
                                    int64_t now_ms) {
  auto pcr0 = doc.pcrs.find(0);
  if (pcr0 == doc.pcrs.end()) {
    return PolicyError(VerifyError::kPcrMismatch, "PCR0 missing");
  }
  bool pcr0_zero = true;
  for (uint8_t b : pcr0->second) pcr0_zero &= (b == 0);
  if (pcr0_zero && !policy.allow_debug) {
    return PolicyError(VerifyError::kDebugMode,
                       "debug-mode enclave (PCR0 is all zero) rejected by "
                       "policy");
  }
  for (const auto& [index, expected] : policy.expected_pcrs) {
    auto it = doc.pcrs.find(index);
    if (it == doc.pcrs.end()) {
      return PolicyError(VerifyError::kPcrMismatch,
                         absl::StrCat(PcrName(index), " missing"));
    }
    if (!ConstantTimeEqual(it->second, expected)) {
      return PolicyError(VerifyError::kPcrMismatch,
                         absl::StrCat(PcrName(index), " mismatch"));
    }
  }
  if (policy.max_age_ms.has_value()) {
    const int64_t ts = static_cast<int64_t>(doc.timestamp_ms);
    if (now_ms - ts > *policy.max_age_ms) {
      return PolicyError(
          VerifyError::kDocumentTooOld,
          absl::StrCat("document too old: timestamp ", FormatUnixMs(ts),
                       " is more than ", *policy.max_age_ms, " ms before ",
                       FormatUnixMs(now_ms)));
    }
    if (ts - now_ms > kMaxFutureSkewMs) {
      return PolicyError(VerifyError::kDocumentFromFuture,
                         absl::StrCat("document timestamp ", FormatUnixMs(ts),
                                      " is in the future"));
    }
  }
  struct Binding {
    const std::optional<std::vector<uint8_t>>& expected;
    const std::optional<std::vector<uint8_t>>& actual;
    VerifyError error;
    const char* name;
  };
  const Binding bindings[] = {
      {policy.expected_nonce, doc.nonce, VerifyError::kNonceMismatch, "nonce"},
      {policy.expected_public_key, doc.public_key,
       VerifyError::kPublicKeyMismatch, "public_key"},
      {policy.expected_user_data, doc.user_data, VerifyError::kUserDataMismatch,
       "user_data"},
  };
  for (const Binding& b : bindings) {
    if (!b.expected.has_value()) continue;
    if (!b.actual.has_value()) {
      return PolicyError(b.error, absl::StrCat(b.name, " missing"));
    }
    if (!ConstantTimeEqual(*b.actual, *b.expected)) {
      return PolicyError(b.error, absl::StrCat(b.name, " mismatch"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AttestationDocument> VerifyAttestationDocument(
    absl::Span<const uint8_t> document, const VerifyOptions& options,
    const AttestationPolicy& policy) {
  auto doc = ParseAttestationDocument(document);
  if (!doc.ok()) return doc.status();
  auto chain = VerifyDocumentSignatureAndChain(*doc, options);
  if (!chain.ok()) return chain;
  auto verdict = CheckAttestationPolicy(*doc, policy, options.now_ms);
  if (!verdict.ok()) return verdict;
  return doc;
}

}  // namespace nitro_tss::attestation
