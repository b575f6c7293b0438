#include "tools/tssctl/approval_signer.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/proto_config.h"
#include "common/status_macros.h"
#include "node/approval/pem.h"

namespace nitro_tss::tssctl {
namespace {

struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct Pkcs8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};

absl::Status KeyError(absl::string_view what) {
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("approver key file: ", what));
}

// The DER of the one PEM block of `pem`, which must be labelled "PRIVATE
// KEY"; wiped by the caller.
absl::StatusOr<std::vector<uint8_t>> PemPrivateKeyToDer(
    absl::Span<const uint8_t> pem) {
  absl::StatusOr<approval::PemBlock> block = approval::ReadSinglePemBlock(pem);
  if (!block.ok()) return KeyError(block.status().message());
  if (block->label != "PRIVATE KEY" || block->has_headers) {
    OPENSSL_cleanse(block->der.data(), block->der.size());
    const std::string& label = block->label;
    if (label == "ENCRYPTED PRIVATE KEY") {
      return KeyError(
          "encrypted PKCS#8 is not supported; decrypt it with `openssl pkcs8 "
          "-in KEY -out PLAIN -nocrypt` into a file only you can read");
    }
    if (label == "EC PRIVATE KEY") {
      return KeyError(
          "a SEC1 \"EC PRIVATE KEY\"; convert it to PKCS#8 with `openssl "
          "pkcs8 -topk8 -nocrypt`");
    }
    return KeyError(absl::StrCat("the PEM block is \"", label.substr(0, 40),
                                 "\", not an unencrypted PKCS#8 \"PRIVATE "
                                 "KEY\""));
  }
  return std::move(block->der);
}

}  // namespace

struct ApproverSigningKey::Key {
  ~Key() { EVP_PKEY_free(pkey); }
  EVP_PKEY* pkey = nullptr;  // freeing clears the private key
};

absl::StatusOr<ApproverSigningKey> ApproverSigningKey::FromPem(
    absl::Span<const uint8_t> pem) {
  if (pem.empty() || pem.size() > kMaxKeyFileBytes) {
    return KeyError(absl::StrCat("must be 1..", kMaxKeyFileBytes,
                                 " bytes, got ", pem.size()));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> der, PemPrivateKeyToDer(pem));
  const uint8_t* p = der.data();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Free> info(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  const bool consumed = p == der.data() + der.size();
  OPENSSL_cleanse(der.data(), der.size());
  if (info == nullptr) return KeyError("not a PKCS#8 PrivateKeyInfo");
  if (!consumed) return KeyError("bytes after the PrivateKeyInfo");
  auto key = std::make_shared<Key>();
  key->pkey = EVP_PKCS82PKEY(info.get());
  if (key->pkey == nullptr) {
    return KeyError("the PrivateKeyInfo does not hold a usable key");
  }
  approval::ApproverAlgorithm algorithm;
  switch (EVP_PKEY_get_base_id(key->pkey)) {
    case EVP_PKEY_ED25519:
      algorithm = approval::ApproverAlgorithm::kEd25519;
      break;
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t group_len = 0;
      if (EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                         group, sizeof(group),
                                         &group_len) != 1 ||
          std::strcmp(group, SN_X9_62_prime256v1) != 0) {
        return KeyError(
            absl::StrCat("an EC key on curve '", group,
                         "'; approvers use P-256 (prime256v1) or Ed25519"));
      }
      algorithm = approval::ApproverAlgorithm::kEcdsaP256Sha256;
      break;
    }
    default:
      return KeyError(
          "not an Ed25519 or ECDSA P-256 key (the approval policy's "
          "algorithms)");
  }
  // The public key as node/approval parses it (checks the point).
  unsigned char* spki = nullptr;
  const int spki_len = i2d_PUBKEY(key->pkey, &spki);
  if (spki_len <= 0) return KeyError("cannot derive the public key");
  auto public_key = approval::ApproverKey::Parse(
      algorithm, absl::MakeConstSpan(spki, static_cast<size_t>(spki_len)));
  OPENSSL_free(spki);
  if (!public_key.ok()) return KeyError(public_key.status().message());
  ApproverSigningKey out(
      std::move(key),
      std::make_shared<const approval::ApproverKey>(std::move(*public_key)));
  // A key whose private and public parts disagree (a corrupted file) must
  // not produce approvals: sign and verify once.
  static constexpr uint8_t kProbe[] = "nitro-tss/tssctl/approve/key-check";
  ASSIGN_OR_RETURN(std::vector<uint8_t> probe, out.Sign(kProbe));
  if (!out.public_key().Verify(kProbe, probe).ok()) {
    return KeyError("the private key does not match its public key");
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> ApproverSigningKey::Sign(
    absl::Span<const uint8_t> message) const {
  std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree> md(EVP_MD_CTX_new());
  if (md == nullptr) return absl::InternalError("EVP_MD_CTX_new failed");
  // Ed25519: no digest (pure); P-256: SHA-256.
  const char* digest =
      algorithm() == approval::ApproverAlgorithm::kEd25519 ? nullptr : "SHA256";
  if (EVP_DigestSignInit_ex(md.get(), nullptr, digest, nullptr, nullptr,
                            key_->pkey, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("cannot set up signing");
  }
  size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) !=
      1) {
    ERR_clear_error();
    return absl::InternalError("cannot size the signature");
  }
  std::vector<uint8_t> signature(len);
  if (EVP_DigestSign(md.get(), signature.data(), &len, message.data(),
                     message.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("signing failed");
  }
  signature.resize(len);
  return signature;
}

absl::StatusOr<approval::Approval> ApproverSigningKey::Approve(
    const approval::ApprovalRequest& request) const {
  ASSIGN_OR_RETURN(std::vector<uint8_t> message,
                   approval::ApprovalMessage(request));
  approval::Approval out;
  out.approver_id = public_key_->id();
  ASSIGN_OR_RETURN(out.signature, Sign(message));
  if (absl::Status ok = public_key_->Verify(message, out.signature); !ok.ok()) {
    return absl::InternalError(
        absl::StrCat("the approval does not verify: ", ok.message()));
  }
  return out;
}

absl::StatusOr<std::vector<uint32_t>> ParseDerivationPath(
    absl::string_view path) {
  std::vector<uint32_t> out;
  if (path.empty() || path == "m") return out;
  absl::string_view rest = path;
  if (absl::StartsWith(rest, "m/")) rest.remove_prefix(2);
  int level = 0;
  for (absl::string_view part : absl::StrSplit(rest, '/')) {
    ++level;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat("derivation path: level ", level, ": ", what));
    };
    if (out.size() == approval::kMaxDerivationDepth) {
      return error(
          absl::StrCat("more than ", approval::kMaxDerivationDepth, " levels"));
    }
    bool hardened = false;
    if (!part.empty() && (part.back() == '\'' || part.back() == 'h')) {
      hardened = true;
      part.remove_suffix(1);
    }
    if (part.empty() || part.size() > 10 ||
        !std::all_of(part.begin(), part.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return error("not a decimal index");
    }
    if (part.size() > 1 && part[0] == '0') return error("leading zero");
    uint64_t value = 0;
    for (char c : part) value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > 0xffffffffULL) return error("index above 2^32 - 1");
    if (hardened) {
      if (value >= 0x80000000ULL) {
        return error("a hardened index must be below 2^31");
      }
      value += 0x80000000ULL;
    }
    out.push_back(static_cast<uint32_t>(value));
  }
  return out;
}

std::string FormatDerivationPath(absl::Span<const uint32_t> path) {
  std::string out = "m";
  for (uint32_t i : path) {
    if (i >= 0x80000000u) {
      absl::StrAppend(&out, "/", i - 0x80000000u, "'");
    } else {
      absl::StrAppend(&out, "/", i);
    }
  }
  return out;
}

absl::StatusOr<approval::HashFunction> ParseHashFunction(
    absl::string_view name) {
  if (name == "sha256") return approval::HashFunction::kSha256;
  if (name == "keccak256") return approval::HashFunction::kKeccak256;
  return absl::InvalidArgumentError(
      "hash function must be sha256 or keccak256");
}

absl::StatusOr<approval::Operation> ParseOperation(absl::string_view name) {
  for (approval::Operation op :
       {approval::Operation::kSign, approval::Operation::kRefresh,
        approval::Operation::kReshare, approval::Operation::kExport}) {
    if (name == approval::OperationName(op)) return op;
  }
  return absl::InvalidArgumentError(
      "operation must be sign, refresh, reshare or export");
}

std::string FormatBundle(const approval::ApprovalBundle& bundle,
                         BundleFormat format) {
  const approval::v1::ApprovalBundle proto = approval::BundleToProto(bundle);
  switch (format) {
    case BundleFormat::kBinary:
      return approval::EncodeMessage(proto);
    case BundleFormat::kText: {
      std::string text;
      google::protobuf::TextFormat::PrintToString(proto, &text);
      return text;
    }
    case BundleFormat::kJson: {
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = true;
      options.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(proto, &json, options);
      return json;
    }
  }
  return "";
}

absl::StatusOr<approval::ApprovalBundle> ParseBundle(absl::string_view bytes,
                                                     BundleFormat format) {
  if (format == BundleFormat::kBinary) {
    return approval::DecodeBundleMessage(bytes);
  }
  if (bytes.size() > kMaxBundleTextBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ApprovalBundle: larger than ", kMaxBundleTextBytes, " bytes"));
  }
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  const bool looks_json =
      first != absl::string_view::npos && bytes[first] == '{';
  if (looks_json != (format == BundleFormat::kJson)) {
    return absl::InvalidArgumentError(
        format == BundleFormat::kJson
            ? "ApprovalBundle: not JSON (it must start with '{')"
            : "ApprovalBundle: JSON where text format was expected");
  }
  approval::v1::ApprovalBundle proto;
  RETURN_IF_ERROR(config::ParseProtoConfig(bytes, "ApprovalBundle", &proto));
  return approval::BundleFromProto(proto);
}

}  // namespace nitro_tss::tssctl
