#include "tools/tssctl/secp256k1_verify.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <secp256k1.h>

#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "node/approval/pem.h"

namespace nitro_tss::tssctl {
namespace {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

constexpr char kPemBegin[] = "-----BEGIN ";

absl::Status KeyError(absl::string_view what) {
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("public key: ", what));
}

absl::Status SignatureError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("signature: ", what));
}

// PEM "PUBLIC KEY" -> DER: one block, no headers, only whitespace after it.
absl::StatusOr<std::vector<uint8_t>> PemPublicKeyToDer(
    absl::Span<const uint8_t> pem) {
  absl::StatusOr<approval::PemBlock> block = approval::ReadSinglePemBlock(pem);
  if (!block.ok()) return KeyError(block.status().message());
  if (block->label != "PUBLIC KEY" || block->has_headers) {
    return KeyError(
        "the PEM block is not a plain \"PUBLIC KEY\" (SubjectPublicKeyInfo)");
  }
  return std::move(block->der);
}

std::array<uint8_t, 64> Compact(const mpc::Scalar& r, const mpc::Scalar& s) {
  std::array<uint8_t, 64> out{};
  std::memcpy(out.data(), r.bytes().data(), 32);
  std::memcpy(out.data() + 32, s.bytes().data(), 32);
  return out;
}

absl::StatusOr<std::pair<mpc::Scalar, mpc::Scalar>> ScalarsFromCompact(
    absl::Span<const uint8_t> rs) {
  auto r = mpc::Scalar::FromBytes(rs.subspan(0, 32));
  if (!r.ok()) return SignatureError("r is not below the group order n");
  auto s = mpc::Scalar::FromBytes(rs.subspan(32, 32));
  if (!s.ok()) return SignatureError("s is not below the group order n");
  if (r->IsZero()) return SignatureError("r is zero");
  if (s->IsZero()) return SignatureError("s is zero");
  return std::make_pair(std::move(*r), std::move(*s));
}

absl::StatusOr<ParsedSignature> ParseDer(absl::Span<const uint8_t> der) {
  if (der.size() < kMinDerSignatureBytes ||
      der.size() > kMaxDerSignatureBytes) {
    return SignatureError(absl::StrCat(
        der.size(), " bytes: DER signatures are ", kMinDerSignatureBytes, "..",
        kMaxDerSignatureBytes, " bytes, compact ones 64 or 65"));
  }
  const secp256k1_context* ctx = mpc::Secp256k1Context();
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_der(ctx, &sig, der.data(), der.size()) !=
      1) {
    return SignatureError("not a DER ECDSA-Sig-Value");
  }
  // Strict: the canonical re-encoding must be the input (refuses non-minimal
  // lengths and integers, negative integers, and r or s >= n, which the
  // parser maps to zero).
  std::array<uint8_t, kMaxDerSignatureBytes> again{};
  size_t again_len = again.size();
  if (secp256k1_ecdsa_signature_serialize_der(ctx, again.data(), &again_len,
                                              &sig) != 1 ||
      again_len != der.size() ||
      std::memcmp(again.data(), der.data(), der.size()) != 0) {
    return SignatureError(
        "not strict DER (non-minimal encoding, negative integer, or r or s "
        "not below the group order n)");
  }
  std::array<uint8_t, 64> rs{};
  secp256k1_ecdsa_signature_serialize_compact(ctx, rs.data(), &sig);
  ASSIGN_OR_RETURN(auto scalars, ScalarsFromCompact(rs));
  ParsedSignature out;
  out.format = SignatureFormat::kDer;
  out.r = std::move(scalars.first);
  out.s = std::move(scalars.second);
  return out;
}

}  // namespace

absl::StatusOr<PublicKey> PublicKeyFromPoint(const mpc::Point& point) {
  if (point.IsIdentity()) return KeyError("the point at infinity");
  PublicKey key;
  key.point = point;
  size_t len = key.compressed.size();
  secp256k1_ec_pubkey_serialize(mpc::Secp256k1Context(), key.compressed.data(),
                                &len, &point.pubkey(), SECP256K1_EC_COMPRESSED);
  len = key.uncompressed.size();
  secp256k1_ec_pubkey_serialize(mpc::Secp256k1Context(),
                                key.uncompressed.data(), &len, &point.pubkey(),
                                SECP256K1_EC_UNCOMPRESSED);
  return key;
}

absl::StatusOr<PublicKey> ParsePublicKey(absl::Span<const uint8_t> sec1) {
  if (sec1.size() == 33) {
    if (sec1[0] != 0x02 && sec1[0] != 0x03) {
      return KeyError("a 33-byte key must start with 02 or 03 (compressed)");
    }
  } else if (sec1.size() == 65) {
    if (sec1[0] != 0x04) {
      return KeyError(
          "a 65-byte key must start with 04 (uncompressed; the hybrid forms "
          "06/07 are refused)");
    }
  } else {
    return KeyError(
        absl::StrCat("a SEC1 key is 33 (compressed) or 65 "
                     "(uncompressed) bytes, got ",
                     sec1.size()));
  }
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(mpc::Secp256k1Context(), &pk, sec1.data(),
                                sec1.size()) != 1) {
    return KeyError("not a point on secp256k1");
  }
  std::array<uint8_t, 33> compressed{};
  size_t len = compressed.size();
  secp256k1_ec_pubkey_serialize(mpc::Secp256k1Context(), compressed.data(),
                                &len, &pk, SECP256K1_EC_COMPRESSED);
  auto point = mpc::Point::Decode(compressed);
  if (!point.ok()) return KeyError(point.status().message());
  return PublicKeyFromPoint(*point);
}

absl::StatusOr<PublicKey> ParsePublicKeySpki(absl::Span<const uint8_t> bytes) {
  if (bytes.empty() || bytes.size() > kMaxSpkiBytes) {
    return KeyError(absl::StrCat("a SubjectPublicKeyInfo must be 1..",
                                 kMaxSpkiBytes, " bytes, got ", bytes.size()));
  }
  std::vector<uint8_t> der;
  const size_t begin_len = std::strlen(kPemBegin);
  if (bytes.size() >= begin_len &&
      std::memcmp(bytes.data(), kPemBegin, begin_len) == 0) {
    ASSIGN_OR_RETURN(der, PemPublicKeyToDer(bytes));
  } else {
    der.assign(bytes.begin(), bytes.end());
  }
  const uint8_t* p = der.data();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (pkey == nullptr) {
    return KeyError("not a PEM or DER SubjectPublicKeyInfo");
  }
  if (p != der.data() + der.size()) {
    return KeyError("bytes after the SubjectPublicKeyInfo");
  }
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC) {
    return KeyError("the SubjectPublicKeyInfo is not an EC key");
  }
  char group[64] = {0};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                     group, sizeof(group), &group_len) != 1 ||
      std::strcmp(group, "secp256k1") != 0) {
    return KeyError(absl::StrCat(
        "the SubjectPublicKeyInfo is not on secp256k1 (curve '", group, "')"));
  }
  std::array<uint8_t, 65> point{};
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(
          pkey.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
          point.size(), &point_len) != 1) {
    return KeyError("cannot read the point of the SubjectPublicKeyInfo");
  }
  ERR_clear_error();
  return ParsePublicKey(absl::MakeConstSpan(point.data(), point_len));
}

ethereum::Address AddressOf(const PublicKey& key) {
  // 65 bytes starting with 04 by construction.
  return *ethereum::AddressFromUncompressedKey(key.uncompressed);
}

std::string SignatureFormatName(SignatureFormat format) {
  switch (format) {
    case SignatureFormat::kDer:
      return "der";
    case SignatureFormat::kCompact:
      return "compact";
    case SignatureFormat::kCompactRecoverable:
      return "compact-recoverable";
  }
  return "unknown";
}

absl::StatusOr<int> RecoveryIdFromV(uint8_t v) {
  if (v <= 3) return v;
  if (v >= 27 && v <= 30) return v - 27;
  return SignatureError(absl::StrCat(
      "v = ", v, " is neither a recovery id (0..3) nor 27 + recovery id"));
}

absl::StatusOr<ParsedSignature> ParseSignature(absl::Span<const uint8_t> bytes,
                                               SignatureEncoding encoding) {
  const bool compact_size = bytes.size() == kCompactSignatureBytes ||
                            bytes.size() == kRecoverableSignatureBytes;
  if (encoding == SignatureEncoding::kDer ||
      (encoding == SignatureEncoding::kAuto && !compact_size)) {
    return ParseDer(bytes);
  }
  if (!compact_size) {
    return SignatureError(absl::StrCat(
        "a compact signature is 64 (r || s) or 65 (r || s || v) bytes, got ",
        bytes.size()));
  }
  ASSIGN_OR_RETURN(auto scalars, ScalarsFromCompact(bytes.subspan(0, 64)));
  ParsedSignature out;
  out.format = SignatureFormat::kCompact;
  out.r = std::move(scalars.first);
  out.s = std::move(scalars.second);
  if (bytes.size() == kRecoverableSignatureBytes) {
    ASSIGN_OR_RETURN(int id, RecoveryIdFromV(bytes[64]));
    out.format = SignatureFormat::kCompactRecoverable;
    out.recovery_id = id;
    out.v = bytes[64];
  }
  return out;
}

std::vector<uint8_t> SignatureDer(const mpc::Scalar& r, const mpc::Scalar& s) {
  const secp256k1_context* ctx = mpc::Secp256k1Context();
  const std::array<uint8_t, 64> rs = Compact(r, s);
  secp256k1_ecdsa_signature sig;
  std::vector<uint8_t> der(kMaxDerSignatureBytes);
  size_t len = der.size();
  if (secp256k1_ecdsa_signature_parse_compact(ctx, &sig, rs.data()) != 1 ||
      secp256k1_ecdsa_signature_serialize_der(ctx, der.data(), &len, &sig) !=
          1) {
    return {};
  }
  der.resize(len);
  return der;
}

std::string VerifyCodeName(VerifyCode code) {
  switch (code) {
    case VerifyCode::kOk:
      return "OK";
    case VerifyCode::kBadSignature:
      return "BAD_SIGNATURE";
    case VerifyCode::kHighS:
      return "HIGH_S";
    case VerifyCode::kRecoveryFailed:
      return "RECOVERY_FAILED";
    case VerifyCode::kRecoveryMismatch:
      return "RECOVERY_MISMATCH";
    case VerifyCode::kAddressMismatch:
      return "ADDRESS_MISMATCH";
  }
  return "UNKNOWN";
}

absl::StatusOr<VerifyResult> VerifySignature(const VerifyRequest& request) {
  if (request.public_key.has_value() == request.address.has_value()) {
    return absl::InvalidArgumentError(
        "verify: give exactly one of a public key and an Ethereum address");
  }
  std::optional<int> recovery_id = request.recovery_id.has_value()
                                       ? request.recovery_id
                                       : request.signature.recovery_id;
  if (recovery_id.has_value() && (*recovery_id < 0 || *recovery_id > 3)) {
    return absl::InvalidArgumentError(
        absl::StrCat("verify: recovery id ", *recovery_id, " is not 0..3"));
  }
  if (request.address.has_value() && !recovery_id.has_value()) {
    return absl::InvalidArgumentError(
        "verify: checking against an Ethereum address needs a recovery id "
        "(a 65-byte signature r || s || v, or --recovery-id)");
  }
  const ParsedSignature& sig = request.signature;
  VerifyResult result;
  result.low_s = mpc::IsLowS(sig.s);
  result.recovery_id = recovery_id;
  result.key = request.public_key;
  if (!result.low_s && !request.allow_high_s) {
    result.code = VerifyCode::kHighS;
    result.message =
        "s is above n/2 (high-S): refused by default, as Bitcoin (BIP 62/146) "
        "and Ethereum (EIP-2) refuse it and nitro-tss never produces it; "
        "--allow-high-s accepts it";
    return result;
  }
  if (recovery_id.has_value()) {
    mpc::EcdsaSignature rsig;
    rsig.r = sig.r;
    rsig.s = sig.s;
    rsig.recovery_id = *recovery_id;
    auto recovered = mpc::RecoverEcdsaPublicKey(request.digest, rsig);
    if (!recovered.ok()) {
      result.code = VerifyCode::kRecoveryFailed;
      result.message =
          absl::StrCat("no public key recovers with recovery id ", *recovery_id,
                       " (", recovered.status().message(), ")");
      return result;
    }
    ASSIGN_OR_RETURN(result.recovered_key, PublicKeyFromPoint(*recovered));
  }
  if (request.address.has_value()) {
    // The recovered key is the key to check against.
    result.key = result.recovered_key;
    if (AddressOf(*result.recovered_key) != *request.address) {
      result.code = VerifyCode::kAddressMismatch;
      result.message = absl::StrCat(
          "the recovered key's address ",
          ethereum::ChecksumAddress(AddressOf(*result.recovered_key)),
          " is not ", ethereum::ChecksumAddress(*request.address));
      return result;
    }
  }
  // allow_high_s is handled above; VerifyEcdsa normalizes s itself.
  absl::Status verified =
      mpc::VerifyEcdsa(result.key->point, request.digest, sig.r, sig.s,
                       /*require_low_s=*/false);
  if (!verified.ok()) {
    result.code = VerifyCode::kBadSignature;
    result.message =
        absl::StrCat("the signature does not verify under the key (",
                     verified.message(), ")");
    return result;
  }
  if (request.public_key.has_value() && result.recovered_key.has_value() &&
      result.recovered_key->point != request.public_key->point) {
    result.code = VerifyCode::kRecoveryMismatch;
    result.message = absl::StrCat(
        "the signature verifies, but recovery id ", *recovery_id,
        " recovers another key (",
        ethereum::ChecksumAddress(AddressOf(*result.recovered_key)),
        "): the recovery id (v) is wrong");
    return result;
  }
  result.code = VerifyCode::kOk;
  return result;
}

}  // namespace nitro_tss::tssctl
