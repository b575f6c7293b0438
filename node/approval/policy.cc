#include "node/approval/policy.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "node/approval/pem.h"

namespace nitro_tss::approval {
namespace {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

constexpr char kPemPublicKeyHeader[] = "-----BEGIN PUBLIC KEY-----";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("approval policy: ", what));
}

absl::Status KeyError(absl::string_view what) {
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("approver key: ", what));
}

absl::Status EnsureSodium() {
  if (sodium_init() < 0) return absl::InternalError("sodium_init failed");
  return absl::OkStatus();
}

Digest32 Sha256Tagged(absl::string_view tag, absl::Span<const uint8_t> first,
                      absl::Span<const uint8_t> second) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(tag.data()),
                            tag.size());
  const uint8_t zero = 0;
  crypto_hash_sha256_update(&st, &zero, 1);
  crypto_hash_sha256_update(&st, first.data(), first.size());
  crypto_hash_sha256_update(&st, second.data(), second.size());
  Digest32 out{};
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

bool IsPrintableLabel(absl::string_view label) {
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// A P-256 EVP_PKEY from a 65-byte uncompressed point; null if the point is
// not on the curve (OpenSSL's point decoding checks that). `full_check`
// adds EVP_PKEY_public_check (a scalar multiplication by the order; done
// once when a key is parsed, not on every verification).
EvpPkeyPtr P256FromPoint(absl::Span<const uint8_t> point, bool full_check) {
  std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  char group[] = SN_X9_62_prime256v1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  EvpPkeyPtr pkey(raw);
  if (!full_check) return pkey;
  std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return nullptr;
  }
  return pkey;
}

// Parses a DER SubjectPublicKeyInfo that must span all of `der`.
absl::StatusOr<EvpPkeyPtr> ParseSpki(absl::Span<const uint8_t> der) {
  const uint8_t* p = der.data();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr) {
    return KeyError("not a DER SubjectPublicKeyInfo");
  }
  if (p != der.data() + der.size()) {
    return KeyError("trailing bytes after the SubjectPublicKeyInfo");
  }
  return pkey;
}

// PEM "PUBLIC KEY" -> DER; nothing but whitespace may follow the block.
absl::StatusOr<std::vector<uint8_t>> PemToDer(absl::Span<const uint8_t> pem) {
  absl::StatusOr<PemBlock> block = ReadSinglePemBlock(pem);
  if (!block.ok()) return KeyError(block.status().message());
  if (block->label != "PUBLIC KEY" || block->has_headers) {
    return KeyError("PEM block is not a plain PUBLIC KEY");
  }
  return std::move(block->der);
}

absl::StatusOr<std::vector<uint8_t>> Ed25519Raw(
    absl::Span<const uint8_t> encoded) {
  std::vector<uint8_t> raw;
  if (encoded.size() == kEd25519PublicKeyBytes) {
    raw.assign(encoded.begin(), encoded.end());
  } else if (encoded[0] != 0x30) {
    return KeyError(
        "Ed25519 public key must be 32 bytes or a SubjectPublicKeyInfo");
  } else {
    ASSIGN_OR_RETURN(EvpPkeyPtr pkey, ParseSpki(encoded));
    if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519) {
      return KeyError("SubjectPublicKeyInfo is not an Ed25519 key");
    }
    raw.resize(kEd25519PublicKeyBytes);
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), raw.data(), &len) != 1 ||
        len != kEd25519PublicKeyBytes) {
      return KeyError("cannot read the Ed25519 public key");
    }
  }
  if (crypto_core_ed25519_is_valid_point(raw.data()) != 1) {
    return KeyError(
        "Ed25519 public key is not a canonical point of the prime-order "
        "subgroup (small order or not on the curve)");
  }
  return raw;
}

absl::StatusOr<std::vector<uint8_t>> P256Raw(
    absl::Span<const uint8_t> encoded) {
  if (encoded.size() == kP256PublicKeyBytes && encoded[0] == 0x04) {
    if (P256FromPoint(encoded, /*full_check=*/true) == nullptr) {
      return KeyError("P-256 public key is not a point on the curve");
    }
    return std::vector<uint8_t>(encoded.begin(), encoded.end());
  }
  if (encoded.empty() || encoded[0] != 0x30) {
    return KeyError(
        "P-256 public key must be a 65-byte uncompressed point (04 || X || "
        "Y) or a SubjectPublicKeyInfo");
  }
  ASSIGN_OR_RETURN(EvpPkeyPtr pkey, ParseSpki(encoded));
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC) {
    return KeyError("SubjectPublicKeyInfo is not an EC key");
  }
  char group[64] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                     group, sizeof(group), &group_len) != 1 ||
      std::strcmp(group, SN_X9_62_prime256v1) != 0) {
    return KeyError("SubjectPublicKeyInfo is not on the P-256 curve");
  }
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  const int got_x =
      EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
  const int got_y =
      EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
  std::unique_ptr<BIGNUM, BnFree> x(x_raw), y(y_raw);
  if (got_x != 1 || got_y != 1) {
    return KeyError("cannot read the P-256 point");
  }
  std::vector<uint8_t> raw(kP256PublicKeyBytes);
  raw[0] = 0x04;
  if (BN_bn2binpad(x.get(), raw.data() + 1, 32) != 32 ||
      BN_bn2binpad(y.get(), raw.data() + 33, 32) != 32) {
    return KeyError("P-256 coordinate out of range");
  }
  if (P256FromPoint(raw, /*full_check=*/true) == nullptr) {
    return KeyError("P-256 public key is not a point on the curve");
  }
  return raw;
}

absl::Status VerifyEd25519(absl::Span<const uint8_t> public_key,
                           absl::Span<const uint8_t> message,
                           absl::Span<const uint8_t> signature) {
  if (signature.size() != kEd25519SignatureBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 signature must be ", kEd25519SignatureBytes,
                     " bytes, got ", signature.size()));
  }
  if (crypto_sign_verify_detached(signature.data(), message.data(),
                                  message.size(), public_key.data()) != 0) {
    return absl::PermissionDeniedError("Ed25519 signature does not verify");
  }
  return absl::OkStatus();
}

absl::Status VerifyP256(absl::Span<const uint8_t> public_key,
                        absl::Span<const uint8_t> message,
                        absl::Span<const uint8_t> signature) {
  if (signature.size() < kMinP256SignatureBytes ||
      signature.size() > kMaxP256SignatureBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ECDSA signature must be DER of ", kMinP256SignatureBytes, "..",
        kMaxP256SignatureBytes, " bytes, got ", signature.size()));
  }
  // Strict DER: decodes, spans the input, and re-encodes to the same bytes.
  const uint8_t* p = signature.data();
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
  bool strict = sig != nullptr && p == signature.data() + signature.size();
  if (strict) {
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    strict = der_len == static_cast<int>(signature.size()) &&
             std::memcmp(der, signature.data(), signature.size()) == 0;
    OPENSSL_free(der);
  }
  if (!strict) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "ECDSA signature is not a strict DER Ecdsa-Sig-Value",
        signature.size() == 64 ? " (raw r||s is not accepted)" : ""));
  }
  EvpPkeyPtr pkey = P256FromPoint(public_key, /*full_check=*/false);
  std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree> md(EVP_MD_CTX_new());
  if (pkey == nullptr || md == nullptr) {
    ERR_clear_error();
    return absl::InternalError("cannot set up P-256 verification");
  }
  if (EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr,
                              pkey.get(), nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot set up P-256 verification");
  }
  const int ok = EVP_DigestVerify(md.get(), signature.data(), signature.size(),
                                  message.data(), message.size());
  ERR_clear_error();
  if (ok != 1) {
    return absl::PermissionDeniedError(
        "ECDSA P-256/SHA-256 signature does not verify");
  }
  return absl::OkStatus();
}

bool KeyLess(const Approver& a, const Approver& b) {
  if (a.key.algorithm() != b.key.algorithm()) {
    return a.key.algorithm() < b.key.algorithm();
  }
  return a.key.public_key() < b.key.public_key();
}

std::vector<uint8_t> Encode(const std::vector<Approver>& approvers,
                            const Quorum& quorum) {
  std::vector<uint8_t> out;
  out.push_back(kPolicyVersion);
  out.push_back(static_cast<uint8_t>(approvers.size()));
  for (const Approver& a : approvers) {
    out.push_back(static_cast<uint8_t>(a.key.algorithm()));
    out.insert(out.end(), a.key.public_key().begin(), a.key.public_key().end());
    out.push_back(static_cast<uint8_t>(a.label.size()));
    out.insert(out.end(), a.label.begin(), a.label.end());
  }
  out.push_back(static_cast<uint8_t>(quorum.sign));
  out.push_back(static_cast<uint8_t>(quorum.refresh));
  out.push_back(static_cast<uint8_t>(quorum.reshare));
  out.push_back(static_cast<uint8_t>(quorum.export_key));
  return out;
}

// Cursor over canonical policy bytes.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> bytes) : bytes_(bytes) {}
  absl::StatusOr<uint8_t> Byte(absl::string_view field) {
    if (pos_ >= bytes_.size()) return Truncated(field);
    return bytes_[pos_++];
  }
  absl::StatusOr<absl::Span<const uint8_t>> Bytes(size_t n,
                                                  absl::string_view field) {
    if (bytes_.size() - pos_ < n) return Truncated(field);
    absl::Span<const uint8_t> out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  absl::Status Truncated(absl::string_view field) const {
    return Invalid(absl::StrCat("truncated at ", field, " (byte ", pos_, ")"));
  }
  absl::Span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string OperationName(Operation operation) {
  switch (operation) {
    case Operation::kSign:
      return "sign";
    case Operation::kRefresh:
      return "refresh";
    case Operation::kReshare:
      return "reshare";
    case Operation::kExport:
      return "export";
  }
  return absl::StrCat("operation ", static_cast<int>(operation));
}

std::string AlgorithmName(ApproverAlgorithm algorithm) {
  switch (algorithm) {
    case ApproverAlgorithm::kEd25519:
      return "ed25519";
    case ApproverAlgorithm::kEcdsaP256Sha256:
      return "ecdsa-p256-sha256";
  }
  return absl::StrCat("algorithm ", static_cast<int>(algorithm));
}

bool IsKnownOperation(uint8_t value) { return value >= 1 && value <= 4; }

ApproverId ComputeApproverId(ApproverAlgorithm algorithm,
                             absl::Span<const uint8_t> raw_public_key) {
  const uint8_t alg = static_cast<uint8_t>(algorithm);
  return Sha256Tagged(kApproverIdTag, absl::MakeConstSpan(&alg, 1),
                      raw_public_key);
}

ApproverKey::ApproverKey(ApproverAlgorithm algorithm,
                         std::vector<uint8_t> public_key)
    : algorithm_(algorithm),
      public_key_(std::move(public_key)),
      id_(ComputeApproverId(algorithm_, public_key_)) {}

absl::StatusOr<ApproverKey> ApproverKey::Parse(
    ApproverAlgorithm algorithm, absl::Span<const uint8_t> encoded) {
  RETURN_IF_ERROR(EnsureSodium());
  if (encoded.empty() || encoded.size() > kMaxEncodedPublicKeyBytes) {
    return KeyError(absl::StrCat("encoded key must be 1..",
                                 kMaxEncodedPublicKeyBytes, " bytes, got ",
                                 encoded.size()));
  }
  std::vector<uint8_t> der;
  const absl::string_view pem_header(kPemPublicKeyHeader);
  if (encoded.size() >= pem_header.size() &&
      std::memcmp(encoded.data(), pem_header.data(), pem_header.size()) == 0) {
    ASSIGN_OR_RETURN(der, PemToDer(encoded));
    encoded = der;
    if (encoded.empty() || encoded[0] != 0x30) {
      return KeyError("PEM does not hold a SubjectPublicKeyInfo");
    }
  }
  switch (algorithm) {
    case ApproverAlgorithm::kEd25519: {
      ASSIGN_OR_RETURN(std::vector<uint8_t> raw, Ed25519Raw(encoded));
      return ApproverKey(algorithm, std::move(raw));
    }
    case ApproverAlgorithm::kEcdsaP256Sha256: {
      ASSIGN_OR_RETURN(std::vector<uint8_t> raw, P256Raw(encoded));
      return ApproverKey(algorithm, std::move(raw));
    }
  }
  return KeyError(
      absl::StrCat("unknown algorithm ", static_cast<int>(algorithm)));
}

absl::Status ApproverKey::Verify(absl::Span<const uint8_t> message,
                                 absl::Span<const uint8_t> signature) const {
  switch (algorithm_) {
    case ApproverAlgorithm::kEd25519:
      return VerifyEd25519(public_key_, message, signature);
    case ApproverAlgorithm::kEcdsaP256Sha256:
      return VerifyP256(public_key_, message, signature);
  }
  return absl::InternalError("unknown approver algorithm");
}

std::string DescribeApprover(const Approver& approver) {
  const std::string id = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(approver.key.id().data()), 8));
  if (approver.label.empty()) {
    return absl::StrCat("approver (", AlgorithmName(approver.key.algorithm()),
                        ", id ", id, ")");
  }
  return absl::StrCat("approver '", approver.label, "' (",
                      AlgorithmName(approver.key.algorithm()), ", id ", id,
                      ")");
}

uint32_t Quorum::For(Operation operation) const {
  switch (operation) {
    case Operation::kSign:
      return sign;
    case Operation::kRefresh:
      return refresh;
    case Operation::kReshare:
      return reshare;
    case Operation::kExport:
      return export_key;
  }
  return 0;
}

absl::StatusOr<ApprovalPolicy> ApprovalPolicy::Create(
    std::vector<Approver> approvers, const Quorum& quorum) {
  RETURN_IF_ERROR(EnsureSodium());
  if (approvers.empty() || approvers.size() > kMaxApprovers) {
    return Invalid(absl::StrCat("must have 1..", kMaxApprovers,
                                " approvers, got ", approvers.size()));
  }
  for (size_t i = 0; i < approvers.size(); ++i) {
    const std::string& label = approvers[i].label;
    if (label.size() > kMaxLabelBytes || !IsPrintableLabel(label)) {
      return Invalid(absl::StrCat("approver ", i, ": label must be 0..",
                                  kMaxLabelBytes,
                                  " printable ASCII characters"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (approvers[j].key == approvers[i].key) {
        return Invalid(absl::StrCat(
            "approvers ", j, " and ", i, " (", DescribeApprover(approvers[j]),
            ", ", DescribeApprover(approvers[i]), ") have the same key"));
      }
    }
  }
  const size_t k = approvers.size();
  for (Operation op : {Operation::kSign, Operation::kRefresh,
                       Operation::kReshare, Operation::kExport}) {
    const uint32_t m = quorum.For(op);
    if (m < 1 || m > k) {
      return Invalid(absl::StrCat("quorum for ", OperationName(op),
                                  " must be 1..", k,
                                  " (the number of "
                                  "approvers), got ",
                                  m));
    }
  }
  std::sort(approvers.begin(), approvers.end(), KeyLess);
  ApprovalPolicy policy;
  policy.encoding_ = Encode(approvers, quorum);
  policy.digest_ = Sha256Tagged(kPolicyDigestTag, policy.encoding_, {});
  policy.approvers_ = std::move(approvers);
  policy.quorum_ = quorum;
  return policy;
}

const Approver* ApprovalPolicy::Find(const ApproverId& id) const {
  const Approver* found = nullptr;
  for (const Approver& a : approvers_) {
    if (CRYPTO_memcmp(a.key.id().data(), id.data(), id.size()) == 0) {
      found = &a;
    }
  }
  return found;
}

std::vector<uint8_t> EncodePolicy(const ApprovalPolicy& policy) {
  return policy.encoding();
}

Digest32 PolicyDigest(const ApprovalPolicy& policy) { return policy.digest(); }

absl::StatusOr<ApprovalPolicy> DecodePolicy(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxPolicyBytes) {
    return Invalid(absl::StrCat("encoding of ", bytes.size(),
                                " bytes exceeds the limit of ",
                                kMaxPolicyBytes));
  }
  Reader r(bytes);
  ASSIGN_OR_RETURN(uint8_t version, r.Byte("version"));
  if (version != kPolicyVersion) {
    return Invalid(absl::StrCat("unsupported version ", version));
  }
  ASSIGN_OR_RETURN(uint8_t count, r.Byte("approver_count"));
  if (count < 1 || count > kMaxApprovers) {
    return Invalid(absl::StrCat("approver_count must be 1..", kMaxApprovers,
                                ", got ", count));
  }
  std::vector<Approver> approvers;
  approvers.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const std::string field = absl::StrCat("approver ", i);
    ASSIGN_OR_RETURN(uint8_t alg, r.Byte(field + " algorithm"));
    size_t key_bytes = 0;
    if (alg == static_cast<uint8_t>(ApproverAlgorithm::kEd25519)) {
      key_bytes = kEd25519PublicKeyBytes;
    } else if (alg ==
               static_cast<uint8_t>(ApproverAlgorithm::kEcdsaP256Sha256)) {
      key_bytes = kP256PublicKeyBytes;
    } else {
      return Invalid(absl::StrCat(field, ": unknown algorithm ", alg));
    }
    ASSIGN_OR_RETURN(absl::Span<const uint8_t> key,
                     r.Bytes(key_bytes, field + " public_key"));
    if (alg == static_cast<uint8_t>(ApproverAlgorithm::kEcdsaP256Sha256) &&
        key[0] != 0x04) {
      return Invalid(
          absl::StrCat(field, ": P-256 key must be an uncompressed point"));
    }
    absl::StatusOr<ApproverKey> parsed =
        ApproverKey::Parse(static_cast<ApproverAlgorithm>(alg), key);
    if (!parsed.ok()) {
      return Invalid(absl::StrCat(field, ": ", parsed.status().message()));
    }
    ASSIGN_OR_RETURN(uint8_t label_len, r.Byte(field + " label_len"));
    if (label_len > kMaxLabelBytes) {
      return Invalid(absl::StrCat(field, ": label_len must be 0..",
                                  kMaxLabelBytes, ", got ", label_len));
    }
    ASSIGN_OR_RETURN(absl::Span<const uint8_t> label,
                     r.Bytes(label_len, field + " label"));
    Approver approver{*std::move(parsed),
                      std::string(label.begin(), label.end())};
    if (!IsPrintableLabel(approver.label)) {
      return Invalid(absl::StrCat(field, ": label is not printable ASCII"));
    }
    if (!approvers.empty() && !KeyLess(approvers.back(), approver)) {
      return Invalid(
          absl::StrCat(field,
                       ": approvers are not in strictly ascending (algorithm, "
                       "public_key) order (out of order or repeated)"));
    }
    approvers.push_back(std::move(approver));
  }
  Quorum quorum;
  ASSIGN_OR_RETURN(uint8_t q_sign, r.Byte("quorum_sign"));
  ASSIGN_OR_RETURN(uint8_t q_refresh, r.Byte("quorum_refresh"));
  ASSIGN_OR_RETURN(uint8_t q_reshare, r.Byte("quorum_reshare"));
  ASSIGN_OR_RETURN(uint8_t q_export, r.Byte("quorum_export"));
  quorum.sign = q_sign;
  quorum.refresh = q_refresh;
  quorum.reshare = q_reshare;
  quorum.export_key = q_export;
  if (!r.AtEnd()) return Invalid("trailing bytes after quorum_export");
  ASSIGN_OR_RETURN(ApprovalPolicy policy,
                   ApprovalPolicy::Create(std::move(approvers), quorum));
  if (policy.encoding() != std::vector<uint8_t>(bytes.begin(), bytes.end())) {
    return absl::InternalError("approval policy: re-encoding differs");
  }
  return policy;
}

}  // namespace nitro_tss::approval
