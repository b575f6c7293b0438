#include "node/aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "common/http_syntax.h"

namespace nitro_tss::aws {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool IsHeaderSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string Hex(const uint8_t* data, size_t len) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(data), len));
}

void HmacSha256(absl::string_view key, absl::string_view data, uint8_t* out) {
  unsigned int out_len = 32;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &out_len);
}

absl::string_view AsView(const std::array<uint8_t, 32>& key) {
  return absl::string_view(reinterpret_cast<const char*>(key.data()),
                           key.size());
}

// Strict percent-decoding of one query component.
absl::StatusOr<std::string> PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !absl::ascii_isxdigit(in[i + 1]) ||
        !absl::ascii_isxdigit(in[i + 2])) {
      return absl::InvalidArgumentError(
          absl::StrCat("sigv4: malformed percent escape in query at byte ", i));
    }
    auto nib = [](char c) -> int {
      return absl::ascii_isdigit(c) ? c - '0'
                                    : absl::ascii_tolower(c) - 'a' + 10;
    };
    out.push_back(static_cast<char>(nib(in[i + 1]) * 16 + nib(in[i + 2])));
    i += 2;
  }
  return out;
}

std::string NormalizeHeaderValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (IsHeaderSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

AwsCredentials::AwsCredentials(std::string access_key, std::string secret,
                               std::string token)
    : access_key_id(std::move(access_key)),
      secret_access_key(std::move(secret)),
      session_token(std::move(token)) {}

AwsCredentials::~AwsCredentials() {
  OPENSSL_cleanse(secret_access_key.data(), secret_access_key.size());
  OPENSSL_cleanse(session_token.data(), session_token.size());
}

std::string HexSha256(absl::string_view data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return Hex(digest, sizeof(digest));
}

std::string UriEncode(absl::string_view bytes, bool keep_slash) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (unsigned char c : bytes) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xf]);
    }
  }
  return out;
}

absl::StatusOr<std::string> CanonicalUri(absl::string_view path,
                                         bool normalize) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        "sigv4: request path must start with '/'");
  }
  if (path.size() > kMaxPathOrQueryBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("sigv4: request path too long (", path.size(), " bytes)"));
  }
  if (!normalize) return UriEncode(path, /*keep_slash=*/true);

  std::vector<absl::string_view> segments;
  std::vector<absl::string_view> parts = absl::StrSplit(path.substr(1), '/');
  bool trailing_slash = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view seg = parts[i];
    bool last = i + 1 == parts.size();
    if (seg.empty() || seg == ".") {
      if (last) trailing_slash = true;
      continue;
    }
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      if (last) trailing_slash = true;
      continue;
    }
    segments.push_back(seg);
  }
  std::string normalized = absl::StrCat("/", absl::StrJoin(segments, "/"));
  if (trailing_slash && !segments.empty()) normalized.push_back('/');
  return UriEncode(normalized, /*keep_slash=*/true);
}

absl::StatusOr<std::string> CanonicalQueryString(absl::string_view query) {
  if (query.size() > kMaxPathOrQueryBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sigv4: query string too long (", query.size(), " bytes)"));
  }
  if (query.empty()) return std::string();
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    if (param.empty()) continue;
    absl::string_view name = param;
    absl::string_view value;
    size_t eq = param.find('=');
    if (eq != absl::string_view::npos) {
      name = param.substr(0, eq);
      value = param.substr(eq + 1);
    }
    absl::StatusOr<std::string> dname = PercentDecode(name);
    if (!dname.ok()) return dname.status();
    absl::StatusOr<std::string> dvalue = PercentDecode(value);
    if (!dvalue.ok()) return dvalue.status();
    params.emplace_back(UriEncode(*dname, false), UriEncode(*dvalue, false));
  }
  std::sort(params.begin(), params.end());
  std::vector<std::string> joined;
  joined.reserve(params.size());
  for (const auto& [n, v] : params) joined.push_back(absl::StrCat(n, "=", v));
  return absl::StrJoin(joined, "&");
}

absl::StatusOr<CanonicalHeaders> CanonicalizeHeaders(
    const std::vector<HttpHeader>& headers,
    const std::vector<std::string>* only) {
  std::map<std::string, std::string> merged;
  size_t total_bytes = 0;
  for (const HttpHeader& h : headers) {
    if (h.name.empty()) {
      return absl::InvalidArgumentError("sigv4: empty header name");
    }
    for (unsigned char c : h.name) {
      if (!common::IsHttpTokenChar(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("sigv4: invalid character in header name '",
                         absl::CHexEscape(h.name), "'"));
      }
    }
    for (unsigned char c : h.value) {
      if ((c < 0x20 && !IsHeaderSpace(static_cast<char>(c))) || c == 0x7f) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sigv4: control character in value of header '", h.name, "'"));
      }
    }
    total_bytes += h.name.size() + h.value.size();
    if (total_bytes > kMaxHeaderBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("sigv4: headers exceed ", kMaxHeaderBytes, " bytes"));
    }
    std::string name = absl::AsciiStrToLower(h.name);
    if (name == "authorization") continue;
    if (only != nullptr &&
        std::find(only->begin(), only->end(), name) == only->end()) {
      continue;
    }
    std::string value = NormalizeHeaderValue(h.value);
    auto [it, inserted] = merged.emplace(name, value);
    if (!inserted) absl::StrAppend(&it->second, ",", value);
  }
  if (merged.size() > kMaxSignedHeaders) {
    return absl::InvalidArgumentError(
        absl::StrCat("sigv4: more than ", kMaxSignedHeaders, " headers"));
  }
  if (only != nullptr) {
    for (const std::string& want : *only) {
      if (merged.find(want) == merged.end()) {
        return absl::NotFoundError(
            absl::StrCat("sigv4: signed header '", want, "' is missing"));
      }
    }
  }
  CanonicalHeaders out;
  std::vector<absl::string_view> names;
  for (const auto& [name, value] : merged) {
    absl::StrAppend(&out.block, name, ":", value, "\n");
    names.push_back(name);
  }
  out.signed_headers = absl::StrJoin(names, ";");
  return out;
}

absl::StatusOr<std::string> CanonicalRequest(
    const HttpRequest& request, bool normalize_path,
    absl::string_view payload_hash, const std::vector<std::string>* only) {
  if (request.method.empty()) {
    return absl::InvalidArgumentError("sigv4: empty HTTP method");
  }
  absl::StatusOr<std::string> uri = CanonicalUri(request.path, normalize_path);
  if (!uri.ok()) return uri.status();
  absl::StatusOr<std::string> query = CanonicalQueryString(request.query);
  if (!query.ok()) return query.status();
  absl::StatusOr<CanonicalHeaders> headers =
      CanonicalizeHeaders(request.headers, only);
  if (!headers.ok()) return headers.status();
  return absl::StrCat(request.method, "\n", *uri, "\n", *query, "\n",
                      headers->block, "\n", headers->signed_headers, "\n",
                      payload_hash);
}

std::string FormatAmzDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

std::string FormatDateStamp(absl::Time t) {
  return absl::FormatTime("%Y%m%d", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseAmzDate(absl::string_view amz_date) {
  bool shape_ok =
      amz_date.size() == 16 && amz_date[8] == 'T' && amz_date[15] == 'Z';
  for (size_t i = 0; shape_ok && i < 15; ++i) {
    if (i != 8 && !absl::ascii_isdigit(amz_date[i])) shape_ok = false;
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (amz_date[i] - '0');
    return v;
  };
  if (shape_ok) {
    const int year = num(0, 4), month = num(4, 2), day = num(6, 2);
    const int hour = num(9, 2), minute = num(11, 2), second = num(13, 2);
    const absl::CivilSecond civil(year, month, day, hour, minute, second);
    // CivilSecond normalizes out-of-range fields: reject if anything moved.
    shape_ok = civil.year() == year && civil.month() == month &&
               civil.day() == day && civil.hour() == hour &&
               civil.minute() == minute && civil.second() == second;
    if (shape_ok) return absl::FromCivil(civil, absl::UTCTimeZone());
  }
  return absl::InvalidArgumentError(
      absl::StrCat("sigv4: invalid X-Amz-Date '",
                   absl::CHexEscape(amz_date.substr(0, 32)), "'"));
}

std::string CredentialScope(absl::string_view date_stamp,
                            absl::string_view region,
                            absl::string_view service) {
  return absl::StrCat(date_stamp, "/", region, "/", service, "/aws4_request");
}

std::string StringToSign(absl::string_view amz_date,
                         absl::string_view credential_scope,
                         absl::string_view canonical_request) {
  return absl::StrCat(kSigV4Algorithm, "\n", amz_date, "\n", credential_scope,
                      "\n", HexSha256(canonical_request));
}

std::array<uint8_t, 32> DeriveSigningKey(absl::string_view secret_access_key,
                                         absl::string_view date_stamp,
                                         absl::string_view region,
                                         absl::string_view service) {
  std::string k_secret = absl::StrCat("AWS4", secret_access_key);
  std::array<uint8_t, 32> k_date, k_region, k_service, k_signing;
  HmacSha256(k_secret, date_stamp, k_date.data());
  HmacSha256(AsView(k_date), region, k_region.data());
  HmacSha256(AsView(k_region), service, k_service.data());
  HmacSha256(AsView(k_service), "aws4_request", k_signing.data());
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  OPENSSL_cleanse(k_date.data(), k_date.size());
  OPENSSL_cleanse(k_region.data(), k_region.size());
  OPENSSL_cleanse(k_service.data(), k_service.size());
  return k_signing;
}

std::string ComputeSignature(const std::array<uint8_t, 32>& signing_key,
                             absl::string_view string_to_sign) {
  uint8_t mac[32];
  HmacSha256(AsView(signing_key), string_to_sign, mac);
  return Hex(mac, sizeof(mac));
}

const std::string* FindHeader(const std::vector<HttpHeader>& headers,
                              absl::string_view name) {
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

absl::StatusOr<SignatureParts> SignRequest(const SigningParams& params,
                                           HttpRequest* request) {
  const AwsCredentials& creds = params.credentials;
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return absl::InvalidArgumentError("sigv4: credentials are incomplete");
  }
  if (params.region.empty() || params.service.empty()) {
    return absl::InvalidArgumentError("sigv4: region and service are required");
  }
  if (FindHeader(request->headers, kAuthorizationHeader) != nullptr ||
      FindHeader(request->headers, kAmzDateHeader) != nullptr) {
    return absl::InvalidArgumentError(
        "sigv4: request is already signed (Authorization/X-Amz-Date present)");
  }
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date_stamp = FormatDateStamp(params.time);
  const std::string payload_hash = HexSha256(request->body);

  request->headers.push_back({std::string(kAmzDateHeader), amz_date});
  if (params.options.add_content_sha256_header) {
    request->headers.push_back(
        {std::string(kContentSha256Header), payload_hash});
  }
  const bool has_token = !creds.session_token.empty();
  if (has_token && !params.options.omit_session_token) {
    request->headers.push_back(
        {std::string(kSecurityTokenHeader), creds.session_token});
  }

  SignatureParts parts;
  absl::StatusOr<std::string> canonical = CanonicalRequest(
      *request, params.options.normalize_path, payload_hash, nullptr);
  if (!canonical.ok()) return canonical.status();
  parts.canonical_request = *std::move(canonical);
  const std::string scope =
      CredentialScope(date_stamp, params.region, params.service);
  parts.string_to_sign = StringToSign(amz_date, scope, parts.canonical_request);
  std::array<uint8_t, 32> key = DeriveSigningKey(
      creds.secret_access_key, date_stamp, params.region, params.service);
  parts.signature = ComputeSignature(key, parts.string_to_sign);
  OPENSSL_cleanse(key.data(), key.size());

  absl::StatusOr<CanonicalHeaders> signed_headers =
      CanonicalizeHeaders(request->headers, nullptr);
  if (!signed_headers.ok()) return signed_headers.status();
  parts.authorization =
      absl::StrCat(kSigV4Algorithm, " Credential=", creds.access_key_id, "/",
                   scope, ", SignedHeaders=", signed_headers->signed_headers,
                   ", Signature=", parts.signature);
  if (has_token && params.options.omit_session_token) {
    request->headers.push_back(
        {std::string(kSecurityTokenHeader), creds.session_token});
  }
  request->headers.push_back(
      {std::string(kAuthorizationHeader), parts.authorization});
  return parts;
}

absl::StatusOr<ParsedAuthorization> ParseAuthorization(
    absl::string_view header_value) {
  if (header_value.size() > 4096) {
    return absl::InvalidArgumentError("sigv4: Authorization header too long");
  }
  absl::string_view rest = header_value;
  if (!absl::ConsumePrefix(&rest, kSigV4Algorithm) ||
      !absl::ConsumePrefix(&rest, " ")) {
    return absl::InvalidArgumentError(
        "sigv4: Authorization does not start with 'AWS4-HMAC-SHA256 '");
  }
  std::string credential, signed_headers, signature;
  bool seen_cred = false, seen_sh = false, seen_sig = false;
  for (absl::string_view item : absl::StrSplit(rest, ',')) {
    item = absl::StripAsciiWhitespace(item);
    size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          "sigv4: Authorization component without '='");
    }
    absl::string_view key = item.substr(0, eq);
    absl::string_view value = item.substr(eq + 1);
    bool* seen = nullptr;
    std::string* dest = nullptr;
    if (key == "Credential") {
      seen = &seen_cred;
      dest = &credential;
    } else if (key == "SignedHeaders") {
      seen = &seen_sh;
      dest = &signed_headers;
    } else if (key == "Signature") {
      seen = &seen_sig;
      dest = &signature;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("sigv4: unknown Authorization component '",
                       absl::CHexEscape(key), "'"));
    }
    if (*seen) {
      return absl::InvalidArgumentError(
          absl::StrCat("sigv4: duplicate Authorization component '", key, "'"));
    }
    *seen = true;
    *dest = std::string(value);
  }
  if (!seen_cred || !seen_sh || !seen_sig) {
    return absl::InvalidArgumentError(
        "sigv4: Authorization lacks Credential, SignedHeaders or Signature");
  }
  ParsedAuthorization out;
  std::vector<std::string> scope = absl::StrSplit(credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty() ||
      scope[1].size() != 8 || scope[2].empty() || scope[3].empty()) {
    return absl::InvalidArgumentError(
        "sigv4: Credential must be <key>/<yyyymmdd>/<region>/<service>/"
        "aws4_request");
  }
  out.access_key_id = scope[0];
  out.date_stamp = scope[1];
  out.region = scope[2];
  out.service = scope[3];
  out.signed_headers = absl::StrSplit(signed_headers, ';');
  bool has_host = false;
  for (size_t i = 0; i < out.signed_headers.size(); ++i) {
    const std::string& h = out.signed_headers[i];
    if (h.empty() || h != absl::AsciiStrToLower(h)) {
      return absl::InvalidArgumentError(
          "sigv4: SignedHeaders must be non-empty lower-case names");
    }
    if (i > 0 && !(out.signed_headers[i - 1] < h)) {
      return absl::InvalidArgumentError(
          "sigv4: SignedHeaders must be sorted and unique");
    }
    if (h == "host") has_host = true;
  }
  if (!has_host) {
    return absl::InvalidArgumentError("sigv4: 'host' must be signed");
  }
  if (out.signed_headers.size() > kMaxSignedHeaders) {
    return absl::InvalidArgumentError("sigv4: too many signed headers");
  }
  if (signature.size() != 64 ||
      !std::all_of(signature.begin(), signature.end(), [](char c) {
        return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
      })) {
    return absl::InvalidArgumentError(
        "sigv4: Signature must be 64 lower-case hex characters");
  }
  out.signature = std::move(signature);
  return out;
}

absl::Status VerifyRequestSignature(const HttpRequest& request,
                                    absl::string_view secret_access_key,
                                    absl::string_view expected_region,
                                    absl::string_view expected_service,
                                    absl::Time now, absl::Duration max_skew,
                                    bool normalize_path) {
  const std::string* auth = FindHeader(request.headers, kAuthorizationHeader);
  if (auth == nullptr) {
    return absl::UnauthenticatedError("sigv4: missing Authorization header");
  }
  absl::StatusOr<ParsedAuthorization> parsed = ParseAuthorization(*auth);
  if (!parsed.ok()) {
    return absl::UnauthenticatedError(parsed.status().message());
  }
  const std::string* amz_date = FindHeader(request.headers, kAmzDateHeader);
  if (amz_date == nullptr) {
    return absl::InvalidArgumentError("sigv4: missing X-Amz-Date header");
  }
  absl::StatusOr<absl::Time> t = ParseAmzDate(*amz_date);
  if (!t.ok()) return t.status();
  if (FormatDateStamp(*t) != parsed->date_stamp) {
    return absl::InvalidArgumentError(
        "sigv4: credential scope date does not match X-Amz-Date");
  }
  if (parsed->region != expected_region ||
      parsed->service != expected_service) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sigv4: credential scope is for ", parsed->region, "/", parsed->service,
        ", expected ", expected_region, "/", expected_service));
  }
  if (std::find(parsed->signed_headers.begin(), parsed->signed_headers.end(),
                "x-amz-date") == parsed->signed_headers.end()) {
    return absl::InvalidArgumentError("sigv4: x-amz-date must be signed");
  }
  if (absl::AbsDuration(now - *t) > max_skew) {
    return absl::FailedPreconditionError(
        absl::StrCat("sigv4: request time ", *amz_date,
                     " is outside the allowed clock skew"));
  }
  absl::StatusOr<std::string> canonical =
      CanonicalRequest(request, normalize_path, HexSha256(request.body),
                       &parsed->signed_headers);
  if (!canonical.ok()) {
    return absl::UnauthenticatedError(canonical.status().message());
  }
  const std::string scope =
      CredentialScope(parsed->date_stamp, parsed->region, parsed->service);
  std::array<uint8_t, 32> key = DeriveSigningKey(
      secret_access_key, parsed->date_stamp, parsed->region, parsed->service);
  std::string expected =
      ComputeSignature(key, StringToSign(*amz_date, scope, *canonical));
  OPENSSL_cleanse(key.data(), key.size());
  if (CRYPTO_memcmp(expected.data(), parsed->signature.data(), 64) != 0) {
    return absl::UnauthenticatedError(
        "sigv4: signature does not match (SignatureDoesNotMatch)");
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::aws
