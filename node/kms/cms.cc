#include "node/kms/cms.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::kms {
namespace {

constexpr size_t kMinEncryptedKey = 256;
constexpr size_t kMaxEncryptedKey = 512;

absl::Status Invalid(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("cms: ", msg));
}

// OpenSSL's queued errors (cleared): the innermost reason and where the
// ASN.1 decoder was, innermost first ("wrong tag at
// CMS_KeyTransRecipientInfo.rid in CMS_RecipientInfo.d.ktri in ...").
std::string OpenSslReason() {
  std::string reason, path;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e =
             ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (reason.empty()) {
      const char* r = ERR_reason_error_string(e);
      reason = r != nullptr ? r : "error";
    }
    if ((flags & ERR_TXT_STRING) == 0 || data == nullptr) continue;
    // data: "Field=<f>, Type=<t>" or "Type=<t>".
    const absl::string_view d(data);
    const size_t type_at = d.find("Type=");
    if (type_at == absl::string_view::npos) continue;
    std::string where(d.substr(type_at + 5));
    if (absl::StartsWith(d, "Field=")) {
      absl::StrAppend(&where, ".", d.substr(6, d.find(',') - 6));
    }
    absl::StrAppend(&path, path.empty() ? " at " : " in ", where);
  }
  return reason.empty() ? "unknown error" : reason + path;
}

struct CmsDeleter {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
struct OaepParamsDeleter {
  void operator()(RSA_OAEP_PARAMS* p) const { RSA_OAEP_PARAMS_free(p); }
};
struct AlgorDeleter {
  void operator()(X509_ALGOR* a) const { X509_ALGOR_free(a); }
};
struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsDeleter>;

// --- Hand-written check (a): the input encodes exactly what OpenSSL read. ---
// OpenSSL's BER decoder accepts non-minimal lengths and ignores some of the
// encoding (the constructed bit of a SET, the tags of the segments of a
// constructed OCTET STRING). We walk the input against OpenSSL's DER
// re-encoding of what it decoded: identifiers (low tag numbers only) must
// agree, primitive contents must be identical, definite lengths minimal, and
// the only freedoms are BER's: indefinite lengths, and a string split into
// primitive OCTET STRING segments (one level). Headers are decoded by
// ASN1_get_object.
struct Tlv {
  uint8_t id = 0;
  const unsigned char* content = nullptr;
  const unsigned char* end = nullptr;  // of the content; `limit` if indefinite
  bool indefinite = false;
};

class BerMatcher {
 public:
  explicit BerMatcher(absl::Span<const uint8_t> input) : input_(input) {}

  // Matches the input element at `in` (the input continues to `in_end`)
  // against the DER element at `der`; returns the input bytes it spans.
  absl::StatusOr<size_t> Match(const unsigned char* in,
                               const unsigned char* in_end,
                               const unsigned char* der,
                               const unsigned char* der_end, int depth) const {
    if (depth > kMaxCmsDepth) {
      return Invalid(absl::StrCat("nesting deeper than ", kMaxCmsDepth));
    }
    absl::StatusOr<Tlv> b = Read(in, in_end);
    if (!b.ok()) return b.status();
    absl::StatusOr<Tlv> d = ReadDer(der, der_end);
    if (!d.ok()) return d.status();
    const bool der_constructed = (d->id & V_ASN1_CONSTRUCTED) != 0;
    const unsigned char* c = b->content;
    if (b->id == d->id && !der_constructed) {
      if (!std::equal(b->content, b->end, d->content, d->end)) {
        return Differs(in, "content");
      }
      return static_cast<size_t>(b->end - in);
    }
    if (b->id == d->id) {  // constructed: children pairwise
      for (const unsigned char* dc = d->content; dc < d->end;) {
        if (AtEnd(*b, c)) return Differs(in, "element count");
        absl::StatusOr<size_t> used = Match(c, b->end, dc, d->end, depth + 1);
        if (!used.ok()) return used.status();
        c += *used;
        absl::StatusOr<Tlv> next = ReadDer(dc, d->end);
        if (!next.ok()) return next.status();
        dc = next->end;
      }
    } else if (b->id == (d->id | V_ASN1_CONSTRUCTED) && !der_constructed) {
      // A segmented string: primitive OCTET STRING segments whose
      // concatenation is the DER content.
      const unsigned char* done = d->content;
      while (!AtEnd(*b, c)) {
        absl::StatusOr<Tlv> seg = Read(c, b->end);
        if (!seg.ok()) return seg.status();
        if (seg->id != V_ASN1_OCTET_STRING) return Differs(c, "segment tag");
        const size_t n = static_cast<size_t>(seg->end - seg->content);
        if (n > static_cast<size_t>(d->end - done) ||
            !std::equal(seg->content, seg->end, done)) {
          return Differs(c, "segment content");
        }
        done += n;
        c = seg->end;
      }
      if (done != d->end) return Differs(in, "segmented content");
    } else {
      return Differs(in, "identifier");
    }
    if (b->indefinite) {
      if (b->end - c < 2 || c[0] != 0 || c[1] != 0) {
        return Differs(in, "element count");
      }
      return static_cast<size_t>(c + 2 - in);
    }
    if (c != b->end) return Differs(in, "element count");
    return static_cast<size_t>(b->end - in);
  }

 private:
  // The header at `p`: low tag number, definite minimal length (or
  // indefinite, constructed only), content within `limit`.
  absl::StatusOr<Tlv> Read(const unsigned char* p,
                           const unsigned char* limit) const {
    if (limit - p < 2) return Differs(p, "length");
    if ((p[0] & 0x1f) == 0x1f) {
      return Invalid(
          absl::StrCat("high tag number at offset ", p - input_.data()));
    }
    const unsigned char* q = p;
    long len = 0;
    int tag = 0, cls = 0;
    const int r = ASN1_get_object(&q, &len, &tag, &cls, limit - p);
    if ((r & 0x80) != 0) {
      ERR_clear_error();
      return Differs(p, "length");
    }
    if ((r & 0x01) != 0) return Tlv{p[0], q, limit, true};
    size_t minimal = 2;
    for (long v = len; len >= 0x80 && v > 0; v >>= 8) ++minimal;
    if (static_cast<size_t>(q - p) != minimal) {
      return Invalid(absl::StrCat("non-minimal length encoding at offset ",
                                  p - input_.data()));
    }
    return Tlv{p[0], q, q + len, false};
  }
  // A header of OpenSSL's re-encoding: definite. (Only the raw bytes of an
  // ANY, e.g. algorithm parameters, could be indefinite; KMS sends none.)
  static absl::StatusOr<Tlv> ReadDer(const unsigned char* p,
                                     const unsigned char* limit) {
    const unsigned char* q = p;
    long len = 0;
    int tag = 0, cls = 0;
    if ((ASN1_get_object(&q, &len, &tag, &cls, limit - p) & 0x81) != 0) {
      ERR_clear_error();
      return Invalid("indefinite or malformed length in a re-encoded value");
    }
    return Tlv{p[0], q, q + len, false};
  }
  static bool AtEnd(const Tlv& t, const unsigned char* c) {
    return c >= t.end ||
           (t.indefinite && t.end - c >= 2 && c[0] == 0 && c[1] == 0);
  }
  absl::Status Differs(const unsigned char* at, absl::string_view what) const {
    return Invalid(absl::StrCat("the encoding at offset ", at - input_.data(),
                                " is not what OpenSSL decoded (", what,
                                " differs)"));
  }
  absl::Span<const uint8_t> input_;
};

// --- Hand-written check (b): fields OpenSSL 3.0 has no accessor for. ---
// A cursor over OpenSSL's own DER re-encoding (definite lengths only).
class DerCursor {
 public:
  DerCursor() = default;
  DerCursor(const unsigned char* p, size_t n) : p_(p), end_(p + n) {}
  bool AtEnd() const { return p_ == end_; }
  bool PeekIs(uint8_t identifier) const {
    return p_ != end_ && *p_ == identifier;
  }
  // Steps over the next element, which must start with `identifier` (0: any);
  // `content` gets its contents, `element` the whole encoding.
  bool Next(uint8_t identifier, DerCursor* content = nullptr,
            absl::Span<const uint8_t>* element = nullptr) {
    if (p_ == end_ || (identifier != 0 && *p_ != identifier)) return false;
    const unsigned char* q = p_;
    long len = 0;
    int tag = 0, cls = 0;
    if ((ASN1_get_object(&q, &len, &tag, &cls, end_ - p_) & 0x81) != 0) {
      ERR_clear_error();
      return false;
    }
    if (content != nullptr) *content = DerCursor(q, static_cast<size_t>(len));
    if (element != nullptr) *element = absl::MakeConstSpan(p_, q + len);
    p_ = q + len;
    return true;
  }
  // The next element as an INTEGER value (false if not a small INTEGER).
  bool NextInteger(int64_t* value) {
    absl::Span<const uint8_t> element;
    if (!Next(V_ASN1_INTEGER, nullptr, &element)) return false;
    const unsigned char* q = element.data();
    ASN1_INTEGER* i = d2i_ASN1_INTEGER(nullptr, &q, element.size());
    if (i == nullptr) {
      ERR_clear_error();
      return false;
    }
    const bool ok = ASN1_INTEGER_get_int64(value, i) == 1;
    ASN1_INTEGER_free(i);
    return ok;
  }
  absl::Span<const uint8_t> rest() const {
    return absl::MakeConstSpan(p_, end_);
  }

 private:
  const unsigned char* p_ = nullptr;
  const unsigned char* end_ = nullptr;
};

absl::Status Malformed(absl::string_view what) {
  return Invalid(absl::StrCat("re-encoded ", what, " has an unexpected shape"));
}

absl::Status CheckVersion(DerCursor& c, absl::string_view what,
                          absl::string_view detail) {
  int64_t v = 0;
  if (!c.NextInteger(&v)) return Malformed(what);
  if (v < 0) return Invalid(absl::StrCat(what, " is negative"));
  if (v != 2) {
    return Invalid(absl::StrCat(what, " is ", v, ", expected 2", detail));
  }
  return absl::OkStatus();
}

// Walks `der` = i2d_CMS_ContentInfo(cms) (content type and the single KTRI
// already checked) for the versions, the absence of originatorInfo and
// unprotectedAttrs, the encryptedKey and the content-encryption algorithm.
absl::Status CheckReencoding(absl::Span<const uint8_t> der,
                             CmsEnvelopedData* out) {
  DerCursor top(der.data(), der.size()), ci, wrapper, env, ris, ktri, eci;
  if (!top.Next(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &ci) ||
      !ci.Next(V_ASN1_OBJECT) || !ci.Next(0xa0, &wrapper) ||
      !wrapper.Next(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &env)) {
    return Malformed("ContentInfo");
  }
  if (absl::Status s = CheckVersion(env, "EnvelopedData.version", "");
      !s.ok()) {
    return s;
  }
  if (env.PeekIs(0xa0)) return Invalid("originatorInfo is not allowed");
  if (!env.Next(V_ASN1_SET | V_ASN1_CONSTRUCTED, &ris) ||
      !ris.Next(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &ktri)) {
    return Malformed("recipientInfos");
  }
  if (absl::Status s = CheckVersion(ktri, "KeyTransRecipientInfo.version",
                                    " (subjectKeyIdentifier)");
      !s.ok()) {
    return s;
  }
  DerCursor encrypted_key;
  if (!ktri.Next(0) || !ktri.Next(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED) ||
      !ktri.Next(V_ASN1_OCTET_STRING, &encrypted_key)) {
    return Malformed("KeyTransRecipientInfo");
  }
  const absl::Span<const uint8_t> ek = encrypted_key.rest();
  if (ek.size() > kMaxEncryptedKey) {
    return Invalid(absl::StrCat("encryptedKey exceeds ", kMaxEncryptedKey,
                                " bytes (", ek.size(), ")"));
  }
  if (ek.size() < kMinEncryptedKey) {
    return Invalid(absl::StrCat("encryptedKey is ", ek.size(),
                                " bytes, expected at least ",
                                kMinEncryptedKey));
  }
  out->encrypted_key.assign(ek.begin(), ek.end());

  absl::Span<const uint8_t> alg_der;
  if (!env.Next(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, &eci) ||
      !eci.Next(V_ASN1_OBJECT) ||
      !eci.Next(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, nullptr, &alg_der)) {
    return Malformed("EncryptedContentInfo");
  }
  if (!env.AtEnd()) return Invalid("unprotectedAttrs are not allowed");
  const unsigned char* q = alg_der.data();
  std::unique_ptr<X509_ALGOR, AlgorDeleter> alg(
      d2i_X509_ALGOR(nullptr, &q, static_cast<long>(alg_der.size())));
  if (!alg) return Malformed("contentEncryptionAlgorithm");
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&oid, &ptype, &pval, alg.get());
  if (OBJ_obj2nid(oid) != NID_aes_256_cbc) {
    return Invalid("contentEncryptionAlgorithm must be AES-256-CBC");
  }
  if (ptype != V_ASN1_OCTET_STRING) {
    return Invalid("AES-CBC IV is not an OCTET STRING");
  }
  const auto* iv = static_cast<const ASN1_OCTET_STRING*>(pval);
  if (static_cast<size_t>(ASN1_STRING_length(iv)) != kCmsIvSize) {
    return Invalid(absl::StrCat("AES-CBC IV is ", ASN1_STRING_length(iv),
                                " bytes, expected 16"));
  }
  std::copy_n(ASN1_STRING_get0_data(iv), kCmsIvSize, out->iv.begin());
  return absl::OkStatus();
}

// --- Checks through OpenSSL's accessors. ---

// AlgorithmIdentifier { sha256, NULL or absent }.
absl::Status CheckSha256(const X509_ALGOR* alg, absl::string_view what) {
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&oid, &ptype, &pval, alg);
  if (OBJ_obj2nid(oid) != NID_sha256) {
    return Invalid(absl::StrCat(what, " must be SHA-256"));
  }
  if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
    return Invalid(absl::StrCat(what, " parameters must be absent or NULL"));
  }
  return absl::OkStatus();
}

// keyEncryptionAlgorithm = RSAES-OAEP { [0] sha256, [1] mgf1(sha256) }.
absl::Status CheckOaep(CMS_RecipientInfo* ri) {
  X509_ALGOR* kek = nullptr;
  if (CMS_RecipientInfo_ktri_get0_algs(ri, nullptr, nullptr, &kek) != 1 ||
      kek == nullptr) {
    return absl::InternalError("cms: no keyEncryptionAlgorithm");
  }
  const ASN1_OBJECT* oid = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&oid, &ptype, &pval, kek);
  if (OBJ_obj2nid(oid) != NID_rsaesOaep) {
    return Invalid("keyEncryptionAlgorithm must be RSAES-OAEP");
  }
  if (ptype != V_ASN1_SEQUENCE) {
    return Invalid("RSAES-OAEP-params are missing (the defaults are SHA-1)");
  }
  const auto* seq = static_cast<const ASN1_STRING*>(pval);
  const unsigned char* q = ASN1_STRING_get0_data(seq);
  const unsigned char* end = q + ASN1_STRING_length(seq);
  std::unique_ptr<RSA_OAEP_PARAMS, OaepParamsDeleter> params(
      d2i_RSA_OAEP_PARAMS(nullptr, &q, ASN1_STRING_length(seq)));
  if (!params || q != end) {
    return Invalid(
        absl::StrCat("RSAES-OAEP-params are malformed: ", OpenSslReason()));
  }
  if (params->hashFunc == nullptr) {
    return Invalid("OAEP hashAlgorithm is absent (SHA-1), must be SHA-256");
  }
  if (absl::Status s = CheckSha256(params->hashFunc, "OAEP hashAlgorithm");
      !s.ok()) {
    return s;
  }
  if (params->maskGenFunc == nullptr) {
    return Invalid("OAEP maskGenAlgorithm is absent (MGF1 with SHA-1)");
  }
  X509_ALGOR_get0(&oid, &ptype, &pval, params->maskGenFunc);
  if (OBJ_obj2nid(oid) != NID_mgf1) {
    return Invalid("OAEP maskGenAlgorithm must be MGF1");
  }
  if (ptype != V_ASN1_SEQUENCE) return Invalid("MGF1 hash is missing");
  const auto* mgf = static_cast<const ASN1_STRING*>(pval);
  q = ASN1_STRING_get0_data(mgf);
  end = q + ASN1_STRING_length(mgf);
  std::unique_ptr<X509_ALGOR, AlgorDeleter> mgf_hash(
      d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(mgf)));
  if (!mgf_hash || q != end) {
    ERR_clear_error();
    return Invalid("MGF1 hash is malformed");
  }
  if (absl::Status s = CheckSha256(mgf_hash.get(), "MGF1 hash"); !s.ok()) {
    return s;
  }
  if (params->pSourceFunc != nullptr) {
    return Invalid("RSAES-OAEP-params (no pSourceAlgorithm allowed)");
  }
  return absl::OkStatus();
}

struct Parsed {
  CmsPtr cms;
  CMS_RecipientInfo* ri = nullptr;
  CmsEnvelopedData fields;
};

absl::StatusOr<Parsed> Parse(absl::Span<const uint8_t> input) {
  if (input.size() > kMaxCmsBytes) {
    return Invalid(absl::StrCat("input is ", input.size(), " bytes, limit ",
                                kMaxCmsBytes));
  }
  Parsed out;
  const unsigned char* p = input.data();
  out.cms.reset(
      d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(input.size())));
  if (!out.cms) {
    return Invalid(
        absl::StrCat("malformed ContentInfo (OpenSSL: ", OpenSslReason(), ")"));
  }
  if (p != input.data() + input.size()) {
    return Invalid(absl::StrCat(input.data() + input.size() - p,
                                " trailing bytes after ContentInfo"));
  }
  CMS_ContentInfo* cms = out.cms.get();
  if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
    return Invalid("ContentInfo.contentType must be id-envelopedData");
  }
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  if (ris == nullptr || sk_CMS_RecipientInfo_num(ris) != 1) {
    return Invalid("exactly one RecipientInfo is required");
  }
  out.ri = sk_CMS_RecipientInfo_value(ris, 0);
  if (CMS_RecipientInfo_type(out.ri) != CMS_RECIPINFO_TRANS) {
    return Invalid("the RecipientInfo must be a KeyTransRecipientInfo");
  }
  unsigned char* der_bytes = nullptr;
  const int der_len = i2d_CMS_ContentInfo(cms, &der_bytes);
  if (der_len <= 0) {
    return absl::InternalError(
        absl::StrCat("cms: cannot re-encode: ", OpenSslReason()));
  }
  const std::unique_ptr<unsigned char, OpenSslFree> der_owner(der_bytes);
  const absl::Span<const uint8_t> der(der_bytes, static_cast<size_t>(der_len));
  if (absl::Status s = CheckReencoding(der, &out.fields); !s.ok()) return s;

  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_RecipientInfo_ktri_get0_signer_id(out.ri, &keyid, &issuer, &serial) !=
          1 ||
      keyid == nullptr) {
    ERR_clear_error();
    return Invalid("rid must be a subjectKeyIdentifier");
  }
  if (static_cast<size_t>(ASN1_STRING_length(keyid)) != kCmsSubjectKeyIdSize) {
    return Invalid(absl::StrCat("subjectKeyIdentifier is ",
                                ASN1_STRING_length(keyid), " bytes, expected ",
                                kCmsSubjectKeyIdSize));
  }
  const uint8_t* ski = ASN1_STRING_get0_data(keyid);
  out.fields.subject_key_identifier.assign(ski, ski + kCmsSubjectKeyIdSize);
  if (absl::Status s = CheckOaep(out.ri); !s.ok()) return s;

  if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
    return Invalid("EncryptedContentInfo.contentType must be id-data");
  }
  ASN1_OCTET_STRING** content = CMS_get0_content(cms);
  if (content == nullptr || *content == nullptr) {
    return Invalid("encryptedContent is missing");
  }
  const size_t n = static_cast<size_t>(ASN1_STRING_length(*content));
  if (n > kMaxCmsContent) {
    return Invalid(absl::StrCat("encryptedContent exceeds ", kMaxCmsContent,
                                " bytes (", n, ")"));
  }
  if (n == 0 || n % 16 != 0) {
    return Invalid(absl::StrCat("encryptedContent is ", n,
                                " bytes, not a positive multiple of 16"));
  }
  const uint8_t* c = ASN1_STRING_get0_data(*content);
  out.fields.encrypted_content.assign(c, c + n);

  absl::StatusOr<size_t> matched =
      BerMatcher(input).Match(input.data(), input.data() + input.size(),
                              der.data(), der.data() + der.size(), 0);
  if (!matched.ok()) return matched.status();
  return out;
}

}  // namespace

absl::StatusOr<CmsEnvelopedData> ParseCmsEnvelopedData(
    absl::Span<const uint8_t> input) {
  absl::StatusOr<Parsed> parsed = Parse(input);
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->fields);
}

absl::StatusOr<SecureBytes> OpenCiphertextForRecipient(
    absl::Span<const uint8_t> input, const RecipientKey& key) {
  absl::StatusOr<Parsed> parsed = Parse(input);
  if (!parsed.ok()) return parsed.status();
  const size_t modulus_bytes =
      static_cast<size_t>(EVP_PKEY_get_size(key.pkey()));
  if (parsed->fields.encrypted_key.size() != modulus_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "recipient key: encrypted key is ", parsed->fields.encrypted_key.size(),
        " bytes, expected ", modulus_bytes));
  }
  // A secure-heap memory BIO: its buffer is cleared when freed.
  std::unique_ptr<BIO, BioDeleter> out(BIO_new(BIO_s_secmem()));
  if (!out) return absl::InternalError("cms: cannot allocate a BIO");
  // CMS_DEBUG_DECRYPT: a failed key transport or a wrong-sized CEK is an
  // error instead of a silent random CEK (OpenSSL's MMA countermeasure, which
  // would let ~1/256 of wrong-key openings "succeed" with garbage). Every
  // failure below is reported identically, so no oracle is added.
  if (CMS_decrypt(parsed->cms.get(), key.pkey(), nullptr, nullptr, out.get(),
                  CMS_BINARY | CMS_DEBUG_DECRYPT) != 1) {
    ERR_clear_error();
    return absl::DataLossError("cms: cannot open CiphertextForRecipient");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(out.get(), &mem);
  if (mem == nullptr) return absl::InternalError("cms: no output buffer");
  return SecureBytes(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(mem->data), mem->length));
}

}  // namespace nitro_tss::kms
