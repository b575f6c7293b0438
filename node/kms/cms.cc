#include "node/kms/cms.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "node/kms/ber.h"

namespace nitro_tss::kms {
namespace {

using ber::Element;
using ber::Reader;

// DER contents of the object identifiers we accept.
constexpr uint8_t kOidEnvelopedData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                         0x0d, 0x01, 0x07, 0x03};
constexpr uint8_t kOidData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                0x0d, 0x01, 0x07, 0x01};
constexpr uint8_t kOidRsaesOaep[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                     0x0d, 0x01, 0x01, 0x07};
constexpr uint8_t kOidMgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                0x0d, 0x01, 0x01, 0x08};
constexpr uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                  0x03, 0x04, 0x02, 0x01};
constexpr uint8_t kOidAes256Cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                     0x03, 0x04, 0x01, 0x2a};

constexpr uint8_t kCtx0Constructed = ber::kClassContext | ber::kConstructed;
constexpr uint8_t kCtx1Constructed = kCtx0Constructed | 1;
constexpr uint8_t kCtx0Primitive = ber::kClassContext;

constexpr size_t kMinEncryptedKey = 256;
constexpr size_t kMaxEncryptedKey = 512;

absl::Status Invalid(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("cms: ", msg));
}

template <size_t N>
bool OidIs(const Element& oid, const uint8_t (&expected)[N]) {
  return oid.content.size() == N &&
         std::memcmp(oid.content.data(), expected, N) == 0;
}

template <size_t N>
absl::Status ExpectOid(Reader& r, const uint8_t (&expected)[N],
                       absl::string_view what) {
  absl::StatusOr<Element> oid = r.Next(ber::kTagOid, what);
  if (!oid.ok()) return oid.status();
  if (!OidIs(*oid, expected)) {
    return Invalid(absl::StrCat(what, " has an unsupported OID"));
  }
  return absl::OkStatus();
}

// AlgorithmIdentifier { sha256, NULL or absent }.
absl::Status ExpectSha256AlgId(const Element& alg, absl::string_view what) {
  if (alg.identifier != ber::kTagSequence) {
    return Invalid(absl::StrCat(what, " is not a SEQUENCE"));
  }
  Reader r(alg.content, 0);
  if (absl::Status s = ExpectOid(r, kOidSha256, what); !s.ok()) {
    return Invalid(absl::StrCat(what, " must be SHA-256"));
  }
  if (!r.AtEnd()) {
    absl::StatusOr<Element> null = r.Next(ber::kTagNull, what);
    if (!null.ok()) return null.status();
    if (!null->content.empty()) {
      return Invalid(absl::StrCat(what, " has a non-empty NULL parameter"));
    }
  }
  return r.ExpectEnd(what);
}

absl::Status ParseOaepAlgorithm(const Element& alg) {
  Reader r(alg.content, 0);
  if (absl::Status s = ExpectOid(r, kOidRsaesOaep, "keyEncryptionAlgorithm");
      !s.ok()) {
    return Invalid("keyEncryptionAlgorithm must be RSAES-OAEP");
  }
  absl::StatusOr<Element> params =
      r.Next(ber::kTagSequence, "RSAES-OAEP-params");
  if (!params.ok()) return params.status();
  if (absl::Status s = r.ExpectEnd("keyEncryptionAlgorithm"); !s.ok()) return s;

  Reader p(params->content, 0);
  // [0] hashAlgorithm: explicit, must be present (the default is SHA-1).
  absl::StatusOr<Element> hash = p.Next(kCtx0Constructed, "OAEP hashAlgorithm");
  if (!hash.ok()) return hash.status();
  Reader hash_reader(hash->content, 0);
  absl::StatusOr<Element> hash_alg = hash_reader.NextAny("OAEP hashAlgorithm");
  if (!hash_alg.ok()) return hash_alg.status();
  if (absl::Status s = ExpectSha256AlgId(*hash_alg, "OAEP hashAlgorithm");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = hash_reader.ExpectEnd("OAEP hashAlgorithm"); !s.ok()) {
    return s;
  }
  // [1] maskGenAlgorithm: MGF1 with SHA-256.
  absl::StatusOr<Element> mgf =
      p.Next(kCtx1Constructed, "OAEP maskGenAlgorithm");
  if (!mgf.ok()) return mgf.status();
  Reader mgf_outer(mgf->content, 0);
  absl::StatusOr<Element> mgf_alg =
      mgf_outer.Next(ber::kTagSequence, "OAEP maskGenAlgorithm");
  if (!mgf_alg.ok()) return mgf_alg.status();
  if (absl::Status s = mgf_outer.ExpectEnd("OAEP maskGenAlgorithm"); !s.ok()) {
    return s;
  }
  Reader mgf_reader(mgf_alg->content, 0);
  if (absl::Status s = ExpectOid(mgf_reader, kOidMgf1, "OAEP maskGenAlgorithm");
      !s.ok()) {
    return Invalid("OAEP maskGenAlgorithm must be MGF1");
  }
  absl::StatusOr<Element> mgf_hash = mgf_reader.NextAny("MGF1 hash");
  if (!mgf_hash.ok()) return mgf_hash.status();
  if (absl::Status s = ExpectSha256AlgId(*mgf_hash, "MGF1 hash"); !s.ok()) {
    return s;
  }
  if (absl::Status s = mgf_reader.ExpectEnd("OAEP maskGenAlgorithm"); !s.ok()) {
    return s;
  }
  // [2] pSourceAlgorithm: must be absent (empty label).
  return p.ExpectEnd("RSAES-OAEP-params (no pSourceAlgorithm allowed)");
}

absl::Status ParseRecipientInfo(const Element& ktri, CmsEnvelopedData* out) {
  Reader r(ktri.content, 0);
  absl::StatusOr<Element> version =
      r.Next(ber::kTagInteger, "KeyTransRecipientInfo.version");
  if (!version.ok()) return version.status();
  absl::StatusOr<uint32_t> v =
      ber::ParseSmallUnsigned(*version, "KeyTransRecipientInfo.version");
  if (!v.ok()) return v.status();
  if (*v != 2) {
    return Invalid(absl::StrCat("KeyTransRecipientInfo.version is ", *v,
                                ", expected 2 (subjectKeyIdentifier)"));
  }
  absl::StatusOr<Element> rid = r.Next(kCtx0Primitive, "subjectKeyIdentifier");
  if (!rid.ok()) return rid.status();
  if (rid->content.size() != kCmsSubjectKeyIdSize) {
    return Invalid(absl::StrCat("subjectKeyIdentifier is ", rid->content.size(),
                                " bytes, expected ", kCmsSubjectKeyIdSize));
  }
  out->subject_key_identifier.assign(rid->content.begin(), rid->content.end());
  absl::StatusOr<Element> alg =
      r.Next(ber::kTagSequence, "keyEncryptionAlgorithm");
  if (!alg.ok()) return alg.status();
  if (absl::Status s = ParseOaepAlgorithm(*alg); !s.ok()) return s;
  absl::StatusOr<Element> ek = r.NextAny("encryptedKey");
  if (!ek.ok()) return ek.status();
  absl::StatusOr<std::vector<uint8_t>> key = ber::ReadOctetString(
      *ek, ber::kTagOctetString, kMaxEncryptedKey, "encryptedKey");
  if (!key.ok()) return key.status();
  if (key->size() < kMinEncryptedKey) {
    return Invalid(absl::StrCat("encryptedKey is ", key->size(),
                                " bytes, expected at least ",
                                kMinEncryptedKey));
  }
  out->encrypted_key = *std::move(key);
  return r.ExpectEnd("KeyTransRecipientInfo");
}

absl::Status ParseEncryptedContentInfo(const Element& eci,
                                       CmsEnvelopedData* out) {
  Reader r(eci.content, 0);
  if (absl::Status s =
          ExpectOid(r, kOidData, "EncryptedContentInfo.contentType");
      !s.ok()) {
    return Invalid("EncryptedContentInfo.contentType must be id-data");
  }
  absl::StatusOr<Element> alg =
      r.Next(ber::kTagSequence, "contentEncryptionAlgorithm");
  if (!alg.ok()) return alg.status();
  Reader a(alg->content, 0);
  if (absl::Status s =
          ExpectOid(a, kOidAes256Cbc, "contentEncryptionAlgorithm");
      !s.ok()) {
    return Invalid("contentEncryptionAlgorithm must be AES-256-CBC");
  }
  absl::StatusOr<Element> iv = a.Next(ber::kTagOctetString, "AES-CBC IV");
  if (!iv.ok()) return iv.status();
  if (iv->content.size() != kCmsIvSize) {
    return Invalid(absl::StrCat("AES-CBC IV is ", iv->content.size(),
                                " bytes, expected 16"));
  }
  std::copy(iv->content.begin(), iv->content.end(), out->iv.begin());
  if (absl::Status s = a.ExpectEnd("contentEncryptionAlgorithm"); !s.ok()) {
    return s;
  }
  absl::StatusOr<Element> content = r.NextAny("encryptedContent");
  if (!content.ok()) return content.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = ber::ReadOctetString(
      *content, kCtx0Primitive, kMaxCmsContent, "encryptedContent");
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty() || bytes->size() % 16 != 0) {
    return Invalid(absl::StrCat("encryptedContent is ", bytes->size(),
                                " bytes, not a positive multiple of 16"));
  }
  out->encrypted_content = *std::move(bytes);
  return r.ExpectEnd("EncryptedContentInfo");
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

}  // namespace

absl::StatusOr<CmsEnvelopedData> ParseCmsEnvelopedData(
    absl::Span<const uint8_t> input) {
  if (input.size() > kMaxCmsBytes) {
    return Invalid(absl::StrCat("input is ", input.size(), " bytes, limit ",
                                kMaxCmsBytes));
  }
  absl::StatusOr<Element> ci = ber::ParseElement(input);
  if (!ci.ok()) {
    return Invalid(absl::StrCat("ContentInfo: ", ci.status().message()));
  }
  if (ci->identifier != ber::kTagSequence) {
    return Invalid("ContentInfo is not a SEQUENCE");
  }
  if (ci->encoded_size != input.size()) {
    return Invalid(absl::StrCat(input.size() - ci->encoded_size,
                                " trailing bytes after ContentInfo"));
  }
  CmsEnvelopedData out;
  Reader top(ci->content, 0);
  if (absl::Status s =
          ExpectOid(top, kOidEnvelopedData, "ContentInfo.contentType");
      !s.ok()) {
    return Invalid("ContentInfo.contentType must be id-envelopedData");
  }
  absl::StatusOr<Element> explicit_content =
      top.Next(kCtx0Constructed, "ContentInfo.content");
  if (!explicit_content.ok()) return explicit_content.status();
  if (absl::Status s = top.ExpectEnd("ContentInfo"); !s.ok()) return s;

  Reader wrapper(explicit_content->content, 1);
  absl::StatusOr<Element> env =
      wrapper.Next(ber::kTagSequence, "EnvelopedData");
  if (!env.ok()) return env.status();
  if (absl::Status s = wrapper.ExpectEnd("ContentInfo.content"); !s.ok()) {
    return s;
  }

  Reader r(env->content, 2);
  absl::StatusOr<Element> version =
      r.Next(ber::kTagInteger, "EnvelopedData.version");
  if (!version.ok()) return version.status();
  absl::StatusOr<uint32_t> v =
      ber::ParseSmallUnsigned(*version, "EnvelopedData.version");
  if (!v.ok()) return v.status();
  if (*v != 2) {
    return Invalid(
        absl::StrCat("EnvelopedData.version is ", *v, ", expected 2"));
  }
  if (r.PeekIs(kCtx0Constructed)) {
    return Invalid("originatorInfo is not allowed");
  }
  absl::StatusOr<Element> recipients = r.Next(ber::kTagSet, "recipientInfos");
  if (!recipients.ok()) return recipients.status();
  Reader rs(recipients->content, 3);
  absl::StatusOr<Element> ktri =
      rs.Next(ber::kTagSequence, "KeyTransRecipientInfo");
  if (!ktri.ok()) return ktri.status();
  if (!rs.AtEnd()) return Invalid("exactly one RecipientInfo is required");
  if (absl::Status s = ParseRecipientInfo(*ktri, &out); !s.ok()) return s;

  absl::StatusOr<Element> eci =
      r.Next(ber::kTagSequence, "EncryptedContentInfo");
  if (!eci.ok()) return eci.status();
  if (absl::Status s = ParseEncryptedContentInfo(*eci, &out); !s.ok()) {
    return s;
  }
  if (!r.AtEnd()) return Invalid("unprotectedAttrs are not allowed");
  return out;
}

absl::StatusOr<SecureBytes> OpenCmsEnvelopedData(const CmsEnvelopedData& cms,
                                                 const RecipientKey& key) {
  const absl::Status failure =
      absl::DataLossError("cms: cannot open CiphertextForRecipient");
  absl::StatusOr<SecureBytes> cek = key.DecryptOaepSha256(cms.encrypted_key);
  if (!cek.ok()) {
    return cek.status().code() == absl::StatusCode::kDataLoss ? failure
                                                              : cek.status();
  }
  if (cek->size() != 32) return failure;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr,
                                 cek->data(), cms.iv.data()) != 1) {
    return absl::InternalError("cms: cannot initialize AES-256-CBC");
  }
  SecureBytes plain(cms.encrypted_content.size() + 16);
  int len1 = 0, len2 = 0;
  if (EVP_DecryptUpdate(ctx.get(), plain.data(), &len1,
                        cms.encrypted_content.data(),
                        static_cast<int>(cms.encrypted_content.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + len1, &len2) != 1) {
    return failure;
  }
  plain.Truncate(static_cast<size_t>(len1 + len2));
  return plain;
}

absl::StatusOr<SecureBytes> OpenCiphertextForRecipient(
    absl::Span<const uint8_t> ber, const RecipientKey& key) {
  absl::StatusOr<CmsEnvelopedData> cms = ParseCmsEnvelopedData(ber);
  if (!cms.ok()) return cms.status();
  return OpenCmsEnvelopedData(*cms, key);
}

}  // namespace nitro_tss::kms
