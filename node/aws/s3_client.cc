#include "node/aws/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/http_syntax.h"
#include "common/status_macros.h"
#include "node/aws/curl_options.h"

namespace nitro_tss::aws {
namespace {

constexpr absl::string_view kService = "s3";

void EnsureCurlInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsXmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("s3: ", what));
}

// Status line "HTTP/1.1 200 OK", "HTTP/1.0 404", "HTTP/2 200".
absl::StatusOr<int> ParseStatusLine(absl::string_view line) {
  absl::string_view rest = line;
  if (!absl::ConsumePrefix(&rest, "HTTP/1.1 ") &&
      !absl::ConsumePrefix(&rest, "HTTP/1.0 ") &&
      !absl::ConsumePrefix(&rest, "HTTP/2 ")) {
    return Bad(
        "response does not start with an HTTP/1.x or HTTP/2 status line");
  }
  if (rest.size() < 3 || !absl::ascii_isdigit(rest[0]) ||
      !absl::ascii_isdigit(rest[1]) || !absl::ascii_isdigit(rest[2]) ||
      rest[0] == '0' || (rest.size() > 3 && rest[3] != ' ')) {
    return Bad("malformed HTTP status code");
  }
  for (char c : rest.substr(3)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u >= 0x7f) {
      return Bad("control or non-ASCII byte in the HTTP reason phrase");
    }
  }
  return (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
}

absl::StatusOr<HttpHeader> ParseHeaderLine(absl::string_view line) {
  if (line.empty()) return Bad("empty header line");
  if (line[0] == ' ' || line[0] == '\t') {
    return Bad("obsolete header line folding");
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return Bad("header line without a name and ':'");
  }
  absl::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!common::IsHttpTokenChar(static_cast<unsigned char>(c))) {
      return Bad("invalid character in a header name");
    }
  }
  absl::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u >= 0x7f) {
      return Bad(absl::StrCat("control or non-ASCII byte in header '",
                              name.substr(0, 64), "'"));
    }
  }
  return HttpHeader{std::string(name), std::string(value)};
}

bool ValidBucketName(absl::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '.' &&
        c != '-') {
      return false;
    }
  }
  auto alnum = [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c);
  };
  return alnum(b.front()) && alnum(b.back()) && !absl::StrContains(b, "..");
}

absl::Status ValidateKey(absl::string_view key) {
  if (key.size() > 1024) return Bad("object key longer than 1024 bytes");
  if (!key.empty() && key[0] == '/') return Bad("object key starts with '/'");
  if (absl::StrContains(key, "//")) return Bad("object key contains '//'");
  for (char c : key) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '~' &&
        c != '-' && c != '/') {
      return Bad("object key may only contain [A-Za-z0-9._~/-]");
    }
  }
  for (absl::string_view seg : {"/./", "/../"}) {
    if (absl::StrContains(absl::StrCat("/", key, "/"), seg)) {
      return Bad("object key contains a '.' or '..' segment");
    }
  }
  return absl::OkStatus();
}

struct Endpoint {
  bool https = true;
  std::string host;
  int port = 0;
};

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view url) {
  Endpoint out;
  if (absl::ConsumePrefix(&url, "https://")) {
    out.https = true;
  } else if (absl::ConsumePrefix(&url, "http://")) {
    out.https = false;
  } else {
    return Bad("endpoint must start with http:// or https://");
  }
  absl::ConsumeSuffix(&url, "/");
  const size_t colon = url.rfind(':');
  absl::string_view host = url.substr(0, colon);
  if (colon != absl::string_view::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(url.substr(colon + 1), &port) || port <= 0 ||
        port > 65535) {
      return Bad("endpoint has an invalid port");
    }
    out.port = port;
  }
  if (host.empty() || host.size() > 253) return Bad("endpoint host is empty");
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') {
      return Bad(
          "endpoint host may only contain letters, digits, '.', '-' (no "
          "path, no user info)");
    }
  }
  out.host = absl::AsciiStrToLower(host);
  return out;
}

struct Transfer {
  CURL* curl = nullptr;
  std::string headers;
  bool headers_too_large = false;
  std::string body;
  size_t max_success_body = 0;
  bool body_too_large = false;
  bool limit_known = false;
  bool success = false;
  bool error_truncated = false;
};

size_t HeaderCallback(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nmemb;
  if (t->headers.size() + n > kMaxS3ResponseHeaderBytes) {
    t->headers_too_large = true;
    return 0;
  }
  t->headers.append(ptr, n);
  return n;
}

size_t WriteCallback(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * nmemb;
  if (!t->limit_known) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    t->success = code >= 200 && code < 300;
    t->limit_known = true;
    curl_off_t announced = -1;
    curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    if (t->success && announced > 0 &&
        static_cast<uint64_t>(announced) > t->max_success_body) {
      t->body_too_large = true;
      return 0;
    }
  }
  if (t->success) {
    if (t->body.size() + n > t->max_success_body) {
      t->body_too_large = true;
      return 0;
    }
    t->body.append(ptr, n);
    return n;
  }
  // Error documents: keep the first kMaxS3ErrorBodyBytes, drop the rest.
  const size_t room = kMaxS3ErrorBodyBytes - t->body.size();
  if (n > room) t->error_truncated = true;
  t->body.append(ptr, std::min(n, room));
  return n;
}

absl::string_view StatusPhrase(long status) {
  switch (status) {
    case 404:
      return "not found";
    case 412:
      return "precondition failed";
    default:
      return "error";
  }
}

}  // namespace

absl::StatusOr<std::vector<HttpHeader>> ParseResponseHeaders(
    absl::string_view raw, int* status) {
  if (raw.size() > kMaxS3ResponseHeaderBytes) {
    return Bad("response headers too large");
  }
  std::vector<HttpHeader> headers;
  int block_status = 0;
  bool in_block = false;
  bool complete = false;
  while (!raw.empty()) {
    const size_t eol = raw.find("\r\n");
    if (eol == absl::string_view::npos) {
      return Bad("response header line not terminated by CRLF");
    }
    absl::string_view line = raw.substr(0, eol);
    raw.remove_prefix(eol + 2);
    if (line.find('\r') != absl::string_view::npos ||
        line.find('\n') != absl::string_view::npos ||
        line.find('\0') != absl::string_view::npos) {
      return Bad("bare CR, LF or NUL in the response headers");
    }
    if (!in_block) {
      if (complete && block_status >= 200) {
        return Bad("data after the final response header block");
      }
      absl::StatusOr<int> s = ParseStatusLine(line);
      if (!s.ok()) return s.status();
      block_status = *s;
      headers.clear();
      in_block = true;
      complete = false;
      continue;
    }
    if (line.empty()) {
      in_block = false;
      complete = true;
      continue;
    }
    if (headers.size() >= kMaxS3ResponseHeaders) {
      return Bad("too many response headers");
    }
    absl::StatusOr<HttpHeader> h = ParseHeaderLine(line);
    if (!h.ok()) return h.status();
    headers.push_back(*std::move(h));
  }
  if (!complete) return Bad("response headers end without an empty line");
  if (block_status < 200) return Bad("no final (non-1xx) response");
  if (status != nullptr) *status = block_status;
  return headers;
}

absl::StatusOr<const std::string*> UniqueHeader(
    const std::vector<HttpHeader>& headers, absl::string_view name) {
  const std::string* found = nullptr;
  for (const HttpHeader& h : headers) {
    if (!absl::EqualsIgnoreCase(h.name, name)) continue;
    if (found != nullptr) {
      return Bad(absl::StrCat("response header '", name, "' appears twice"));
    }
    found = &h.value;
  }
  return found;
}

absl::StatusOr<S3Error> ParseS3ErrorBody(absl::string_view body) {
  if (body.size() > kMaxS3ErrorBodyBytes) return Bad("error body too large");
  absl::string_view in = body;
  auto skip_ws = [&in] {
    while (!in.empty() && IsXmlSpace(in.front())) in.remove_prefix(1);
  };
  skip_ws();
  if (absl::ConsumePrefix(&in, "<?xml")) {
    const size_t end = in.find("?>");
    if (end == absl::string_view::npos || end > 256 ||
        in.substr(0, end).find('<') != absl::string_view::npos) {
      return Bad("error body: malformed XML declaration");
    }
    in.remove_prefix(end + 2);
    skip_ws();
  }
  if (!absl::ConsumePrefix(&in, "<Error>")) {
    return Bad("error body is not an <Error> document");
  }
  S3Error out;
  bool have_code = false, have_message = false;
  while (true) {
    skip_ws();
    if (absl::ConsumePrefix(&in, "</Error>")) break;
    if (!absl::ConsumePrefix(&in, "<")) {
      return Bad("error body: text outside an element");
    }
    size_t n = 0;
    while (n < in.size() && n <= 64 && absl::ascii_isalnum(in[n])) ++n;
    if (n == 0 || n > 64 || !absl::ascii_isalpha(in[0])) {
      return Bad("error body: invalid element name");
    }
    const std::string name(in.substr(0, n));
    in.remove_prefix(n);
    std::string text;
    if (absl::ConsumePrefix(&in, "/>")) {
      // Empty element.
    } else if (absl::ConsumePrefix(&in, ">")) {
      while (true) {
        if (in.empty()) return Bad("error body: unterminated element");
        const char c = in.front();
        if (c == '<') break;
        if (c != '&') {
          const unsigned char u = static_cast<unsigned char>(c);
          if (u < 0x20 && !IsXmlSpace(c)) {
            return Bad("error body: control character in text");
          }
          text.push_back(c);
          in.remove_prefix(1);
          continue;
        }
        const size_t semi = in.find(';');
        if (semi == absl::string_view::npos || semi > 10) {
          return Bad("error body: unterminated entity reference");
        }
        absl::string_view ent = in.substr(1, semi - 1);
        in.remove_prefix(semi + 1);
        if (ent == "lt") {
          text.push_back('<');
        } else if (ent == "gt") {
          text.push_back('>');
        } else if (ent == "amp") {
          text.push_back('&');
        } else if (ent == "quot") {
          text.push_back('"');
        } else if (ent == "apos") {
          text.push_back('\'');
        } else if (absl::ConsumePrefix(&ent, "#")) {
          uint32_t cp = 0;
          const bool hex = absl::ConsumePrefix(&ent, "x");
          bool ok = !ent.empty() && ent.size() <= 6;
          for (char d : ent) {
            if (hex ? !absl::ascii_isxdigit(d) : !absl::ascii_isdigit(d)) {
              ok = false;
              break;
            }
            cp = cp * (hex ? 16 : 10) +
                 static_cast<uint32_t>(absl::ascii_isdigit(d)
                                           ? d - '0'
                                           : absl::ascii_tolower(d) - 'a' + 10);
          }
          if (!ok || cp == 0 || cp > 0x10ffff) {
            return Bad("error body: invalid character reference");
          }
          text.push_back(cp < 0x7f ? static_cast<char>(cp) : '?');
        } else {
          return Bad("error body: unknown entity reference");
        }
      }
      if (!absl::ConsumePrefix(&in, "</") || !absl::ConsumePrefix(&in, name) ||
          !absl::ConsumePrefix(&in, ">")) {
        return Bad(absl::StrCat("error body: element <", name,
                                "> is not closed by </", name, ">"));
      }
    } else {
      return Bad("error body: attributes or malformed tag");
    }
    if (name == "Code") {
      if (have_code) return Bad("error body: two <Code> elements");
      have_code = true;
      if (text.empty() || text.size() > 64) {
        return Bad("error body: <Code> must be 1..64 characters");
      }
      for (char c : text) {
        if (!absl::ascii_isalnum(c) && c != '.') {
          return Bad("error body: <Code> may only contain [A-Za-z0-9.]");
        }
      }
      out.code = std::move(text);
    } else if (name == "Message") {
      if (have_message) return Bad("error body: two <Message> elements");
      have_message = true;
      for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 ||
            static_cast<unsigned char>(c) >= 0x7f) {
          c = '?';
        }
      }
      if (text.size() > kMaxS3ErrorMessageBytes) {
        text.resize(kMaxS3ErrorMessageBytes);
      }
      out.message = std::move(text);
    }
  }
  skip_ws();
  if (!in.empty()) return Bad("error body: data after </Error>");
  if (!have_code) return Bad("error body: no <Code>");
  return out;
}

absl::Status MapS3Error(long http_status, absl::string_view body,
                        absl::string_view what) {
  absl::StatusOr<S3Error> parsed = ParseS3ErrorBody(body);
  const std::string code = parsed.ok() ? parsed->code : "";
  const std::string text = absl::StrCat(
      "s3: ", what, ": ", code.empty() ? StatusPhrase(http_status) : code,
      " (HTTP ", http_status, ")",
      parsed.ok() && !parsed->message.empty() ? ": " : "",
      parsed.ok() ? parsed->message : "");
  static const struct {
    const char* code;
    absl::StatusCode status;
  } kTable[] = {
      {"NoSuchKey", absl::StatusCode::kNotFound},
      {"NoSuchVersion", absl::StatusCode::kNotFound},
      {"NoSuchBucket", absl::StatusCode::kFailedPrecondition},
      {"PreconditionFailed", absl::StatusCode::kFailedPrecondition},
      {"ConditionalRequestConflict", absl::StatusCode::kFailedPrecondition},
      {"PermanentRedirect", absl::StatusCode::kFailedPrecondition},
      {"TemporaryRedirect", absl::StatusCode::kFailedPrecondition},
      {"AuthorizationHeaderMalformed", absl::StatusCode::kFailedPrecondition},
      {"InvalidBucketState", absl::StatusCode::kFailedPrecondition},
      {"AccessDenied", absl::StatusCode::kPermissionDenied},
      {"AllAccessDisabled", absl::StatusCode::kPermissionDenied},
      {"AccountProblem", absl::StatusCode::kPermissionDenied},
      {"InvalidAccessKeyId", absl::StatusCode::kUnauthenticated},
      {"SignatureDoesNotMatch", absl::StatusCode::kUnauthenticated},
      {"InvalidToken", absl::StatusCode::kUnauthenticated},
      {"ExpiredToken", absl::StatusCode::kUnauthenticated},
      {"TokenRefreshRequired", absl::StatusCode::kUnauthenticated},
      {"RequestTimeTooSkewed", absl::StatusCode::kUnauthenticated},
      {"MissingSecurityHeader", absl::StatusCode::kUnauthenticated},
      {"EntityTooLarge", absl::StatusCode::kInvalidArgument},
      {"SlowDown", absl::StatusCode::kUnavailable},
      {"ServiceUnavailable", absl::StatusCode::kUnavailable},
      {"InternalError", absl::StatusCode::kUnavailable},
      {"RequestTimeout", absl::StatusCode::kUnavailable},
  };
  for (const auto& e : kTable) {
    if (code == e.code) return absl::Status(e.status, text);
  }
  if (http_status == 412) return absl::FailedPreconditionError(text);
  if (http_status >= 500 || http_status == 429) {
    return absl::UnavailableError(text);
  }
  return absl::UnknownError(text);
}

absl::Status ValidateETag(absl::string_view etag) {
  if (etag.size() < 3 || etag.size() > kMaxS3ETagBytes || etag.front() != '"' ||
      etag.back() != '"') {
    return Bad("ETag must be a quoted string of 1..254 characters");
  }
  for (char c : etag.substr(1, etag.size() - 2)) {
    if (!absl::ascii_isalnum(c) && c != '-') {
      return Bad("ETag may only contain [A-Za-z0-9-]");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateVersionId(absl::string_view v) {
  if (v.empty() || v.size() > kMaxS3VersionIdBytes) {
    return Bad("x-amz-version-id must be 1..1024 characters");
  }
  for (char c : v) {
    if (!absl::ascii_isalnum(c) && c != '+' && c != '/' && c != '=' &&
        c != '.' && c != '_' && c != '-') {
      return Bad("x-amz-version-id has a character outside [A-Za-z0-9+/=._-]");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<S3Client>> S3Client::Create(
    S3ClientConfig config, std::shared_ptr<CredentialSource> credentials) {
  if (config.region.empty() || config.region.size() > 64) {
    return Bad("region is required");
  }
  for (char c : config.region) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return Bad("region may only contain [a-z0-9-]");
    }
  }
  if (!ValidBucketName(config.bucket)) {
    return Bad(
        "bucket name must be 3..63 characters of [a-z0-9.-], starting and "
        "ending with a letter or digit");
  }
  if (config.retry.max_attempts < 1) {
    return Bad("retry.max_attempts must be >= 1");
  }
  if (credentials == nullptr) return Bad("a credential source is required");
  const std::string endpoint =
      config.endpoint.empty()
          ? absl::StrCat("https://s3.", config.region, ".amazonaws.com")
          : config.endpoint;
  ASSIGN_OR_RETURN(const Endpoint ep, ParseEndpoint(endpoint));
  if (!config.path_style && ep.https && absl::StrContains(config.bucket, '.')) {
    return Bad(
        "a bucket name with '.' needs path-style addressing over https "
        "(the wildcard certificate does not cover it)");
  }
  std::string host =
      config.path_style ? ep.host : absl::StrCat(config.bucket, ".", ep.host);
  if (ep.port != 0 && ep.port != (ep.https ? 443 : 80)) {
    absl::StrAppend(&host, ":", ep.port);
  }
  std::string base = absl::StrCat(ep.https ? "https://" : "http://", host);
  std::string prefix =
      config.path_style ? absl::StrCat("/", config.bucket) : std::string();
  if (!config.clock) config.clock = [] { return absl::Now(); };
  if (!config.sleep) config.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  EnsureCurlInit();
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(config), std::move(credentials), std::move(base),
                   std::move(host), std::move(prefix)));
}

S3Client::S3Client(S3ClientConfig config,
                   std::shared_ptr<CredentialSource> creds,
                   std::string base_url, std::string host,
                   std::string path_prefix)
    : config_(std::move(config)),
      credentials_(std::move(creds)),
      base_url_(std::move(base_url)),
      host_(std::move(host)),
      path_prefix_(std::move(path_prefix)) {}

int S3Client::attempts() const {
  absl::MutexLock lock(&mu_);
  return attempts_;
}

std::string S3Client::Describe(absl::string_view key) const {
  return absl::StrCat("s3://", config_.bucket, "/", key);
}

absl::Status S3Client::SendOnce(const S3Request& request,
                                S3Response* response) {
  ASSIGN_OR_RETURN(AwsCredentials creds, credentials_->Get());
  HttpRequest req;
  req.method = request.method;
  req.path = absl::StrCat(path_prefix_, "/", request.key);
  req.query = request.query;
  req.headers.push_back({"Host", host_});
  for (const HttpHeader& h : request.headers) req.headers.push_back(h);
  req.body = request.body;
  SigningParams params;
  params.credentials = std::move(creds);
  params.region = config_.region;
  params.service = std::string(kService);
  params.time = config_.clock();
  params.options.normalize_path = false;
  params.options.add_content_sha256_header = true;
  {
    absl::MutexLock lock(&mu_);
    ++attempts_;
  }
  absl::StatusOr<SignatureParts> signed_parts = SignRequest(params, &req);
  if (!signed_parts.ok()) return signed_parts.status();

  const std::string url = absl::StrCat(
      base_url_, req.path, request.query.empty() ? "" : "?", request.query);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("s3: curl_easy_init failed");
  curl_slist* headers = nullptr;
  for (const HttpHeader& h : req.headers) {
    if (absl::EqualsIgnoreCase(h.name, "Host")) continue;  // from the URL
    headers =
        curl_slist_append(headers, absl::StrCat(h.name, ": ", h.value).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");
  Transfer t;
  t.curl = curl;
  t.max_success_body = request.max_response_body_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderCallback);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  SetAwsTransferOptions(curl, errbuf, config_.request_timeout, config_.ca_file);
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(config_.connect_timeout)));
  const CURLcode rc = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  const std::string what = absl::StrCat(
      request.method, " ", Describe(request.key),
      request.query.empty() ? "" : "?", request.query.substr(0, 64));
  if (t.headers_too_large) {
    return Bad(absl::StrCat(what, ": response headers exceed ",
                            kMaxS3ResponseHeaderBytes, " bytes"));
  }
  if (t.body_too_large) {
    return absl::OutOfRangeError(
        absl::StrCat("s3: ", what, ": response body exceeds ",
                     request.max_response_body_bytes, " bytes"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "s3: ", what,
        ": transport error: ", errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  int parsed_status = 0;
  absl::StatusOr<std::vector<HttpHeader>> parsed =
      ParseResponseHeaders(t.headers, &parsed_status);
  if (!parsed.ok()) {
    return Bad(absl::StrCat(what, ": ", parsed.status().message()));
  }
  if (parsed_status != http_status) {
    return Bad(absl::StrCat(what, ": inconsistent HTTP status"));
  }
  response->http_status = parsed_status;
  response->headers = *std::move(parsed);
  response->body = std::move(t.body);
  if (http_status < 200 || http_status >= 300) {
    return MapS3Error(http_status, response->body, what);
  }
  return absl::OkStatus();
}

absl::StatusOr<S3Response> S3Client::Send(const S3Request& request) {
  if (request.method != "GET" && request.method != "PUT" &&
      request.method != "DELETE" && request.method != "POST") {
    return Bad("method must be GET, PUT, POST or DELETE");
  }
  RETURN_IF_ERROR(ValidateKey(request.key));
  if (request.body.size() > kMaxS3ObjectBytes ||
      request.max_response_body_bytes > kMaxS3ObjectBytes) {
    return Bad(absl::StrCat("request or response limit above ",
                            kMaxS3ObjectBytes, " bytes"));
  }
  absl::BitGen rng;
  absl::Status last;
  for (int attempt = 0; attempt < config_.retry.max_attempts; ++attempt) {
    if (attempt > 0) {
      config_.sleep(aws::BackoffBeforeAttempt(config_.retry, attempt, rng));
    }
    S3Response response;
    last = SendOnce(request, &response);
    if (last.ok()) return response;
    if (last.code() != absl::StatusCode::kUnavailable) break;
  }
  return last;
}

absl::StatusOr<S3Object> S3Client::GetObject(absl::string_view key,
                                             size_t max_bytes,
                                             absl::string_view version_id) {
  if (key.empty()) return Bad("GetObject needs a key");
  S3Request req;
  req.method = "GET";
  req.key = std::string(key);
  if (!version_id.empty()) {
    RETURN_IF_ERROR(ValidateVersionId(version_id));
    req.query = absl::StrCat("versionId=", UriEncode(version_id, false));
  }
  req.max_response_body_bytes = max_bytes;
  ASSIGN_OR_RETURN(S3Response r, Send(req));
  S3Object out;
  ASSIGN_OR_RETURN(const std::string* etag, UniqueHeader(r.headers, "ETag"));
  ASSIGN_OR_RETURN(const std::string* version,
                   UniqueHeader(r.headers, "x-amz-version-id"));
  if (etag == nullptr) return Bad(absl::StrCat(Describe(key), ": no ETag"));
  RETURN_IF_ERROR(ValidateETag(*etag));
  out.etag = *etag;
  if (version != nullptr) {
    RETURN_IF_ERROR(ValidateVersionId(*version));
    out.version_id = *version;
  }
  out.body = std::move(r.body);
  out.headers = std::move(r.headers);
  return out;
}

absl::StatusOr<PutObjectResult> S3Client::PutObject(
    absl::string_view key, absl::string_view body,
    const PutObjectOptions& options) {
  if (key.empty()) return Bad("PutObject needs a key");
  if (!options.if_match.empty() && options.if_none_match_any) {
    return Bad("If-Match and If-None-Match are exclusive");
  }
  S3Request req;
  req.method = "PUT";
  req.key = std::string(key);
  req.body = std::string(body);
  req.headers.push_back({"Content-Type", "application/octet-stream"});
  if (!options.if_match.empty()) {
    RETURN_IF_ERROR(ValidateETag(options.if_match));
    req.headers.push_back({"If-Match", options.if_match});
  }
  if (options.if_none_match_any) req.headers.push_back({"If-None-Match", "*"});
  for (const HttpHeader& h : options.headers) req.headers.push_back(h);
  ASSIGN_OR_RETURN(S3Response r, Send(req));
  PutObjectResult out;
  ASSIGN_OR_RETURN(const std::string* etag, UniqueHeader(r.headers, "ETag"));
  ASSIGN_OR_RETURN(const std::string* version,
                   UniqueHeader(r.headers, "x-amz-version-id"));
  if (etag == nullptr) {
    return Bad(absl::StrCat(Describe(key), ": PUT answer has no ETag"));
  }
  RETURN_IF_ERROR(ValidateETag(*etag));
  out.etag = *etag;
  if (version != nullptr) {
    RETURN_IF_ERROR(ValidateVersionId(*version));
    out.version_id = *version;
  }
  return out;
}

absl::Status S3Client::DeleteObject(absl::string_view key,
                                    absl::string_view version_id) {
  if (key.empty()) return Bad("DeleteObject needs a key");
  S3Request req;
  req.method = "DELETE";
  req.key = std::string(key);
  if (!version_id.empty()) {
    RETURN_IF_ERROR(ValidateVersionId(version_id));
    req.query = absl::StrCat("versionId=", UriEncode(version_id, false));
  }
  return Send(req).status();
}

}  // namespace nitro_tss::aws
