#include "node/aws/imds_credentials.h"

#include <curl/curl.h>

#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "common/status_macros.h"

namespace nitro_tss::aws {
namespace {

constexpr absl::string_view kTokenPath = "/latest/api/token";
constexpr absl::string_view kRolesPath =
    "/latest/meta-data/iam/security-credentials/";
constexpr absl::string_view kTokenHeader = "X-aws-ec2-metadata-token";
constexpr absl::string_view kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("imds: ", what));
}

bool ValidRoleName(absl::string_view r) {
  if (r.empty() || r.size() > 64) return false;
  for (char c : r) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("+=,.@_-", c)) {
      return false;
    }
  }
  return true;
}

bool ValidToken(absl::string_view t) {
  if (t.empty() || t.size() > 1024) return false;
  for (char c : t) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("+/=_-", c)) {
      return false;
    }
  }
  return true;
}

struct Body {
  std::string data;
  bool too_large = false;
};

size_t Collect(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* b = static_cast<Body*>(userdata);
  const size_t n = size * nmemb;
  if (b->data.size() + n > kMaxImdsResponseBytes) {
    b->too_large = true;
    return 0;
  }
  b->data.append(ptr, n);
  return n;
}

// One plain-HTTP exchange with IMDS; the HTTP status and body.
absl::StatusOr<std::pair<long, std::string>> Exchange(
    const std::string& method, const std::string& url,
    const std::vector<std::string>& headers, absl::Duration timeout) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("imds: curl_easy_init");
  curl_slist* list = nullptr;
  for (const std::string& h : headers)
    list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Accept:");
  Body body;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t{0});
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(list);
  if (body.too_large) {
    return Bad(absl::StrCat(method, " ", url, ": answer exceeds ",
                            kMaxImdsResponseBytes, " bytes"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("imds: ", method, " ", url, ": ",
                     errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  return std::make_pair(status, std::move(body.data));
}

absl::StatusOr<std::string> OptionalString(const json::Value& doc,
                                           absl::string_view key) {
  const json::Value* v = doc.Find(key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) {
    return Bad(absl::StrCat("field '", key, "' must be a string"));
  }
  return v->AsString();
}

}  // namespace

absl::StatusOr<ImdsCredentials> ParseImdsCredentials(absl::string_view text) {
  json::ParseLimits limits;
  limits.max_input_bytes = kMaxImdsResponseBytes;
  limits.max_depth = 1;
  limits.max_container_size = 16;
  absl::StatusOr<json::Value> doc = json::Parse(text, limits);
  if (!doc.ok()) return Bad(doc.status().message());
  if (!doc->is_object()) return Bad("credentials are not a JSON object");
  ASSIGN_OR_RETURN(const std::string code, OptionalString(*doc, "Code"));
  if (!code.empty() && code != "Success") {
    std::string shown = code.substr(0, 64);
    for (char& c : shown) {
      if (!absl::ascii_isalnum(c)) c = '?';
    }
    return absl::UnauthenticatedError(
        absl::StrCat("imds: credentials not issued (Code ", shown, ")"));
  }
  ASSIGN_OR_RETURN(const std::string type, OptionalString(*doc, "Type"));
  if (!type.empty() && type != "AWS-HMAC") {
    return Bad("field 'Type' must be AWS-HMAC");
  }
  ASSIGN_OR_RETURN(const std::string updated,
                   OptionalString(*doc, "LastUpdated"));
  ImdsCredentials out;
  absl::StatusOr<std::string> id = doc->StringField("AccessKeyId");
  absl::StatusOr<std::string> secret = doc->StringField("SecretAccessKey");
  absl::StatusOr<std::string> token = doc->StringField("Token");
  absl::StatusOr<std::string> expiration = doc->StringField("Expiration");
  for (const absl::StatusOr<std::string>* f :
       {&id, &secret, &token, &expiration}) {
    if (!f->ok()) return Bad(f->status().message());
  }
  out.credentials = AwsCredentials(*id, *secret, *token);
  if (token->empty()) return Bad("field 'Token' must not be empty");
  if (absl::Status s = ValidateCredentials(out.credentials); !s.ok()) {
    return Bad(s.message());
  }
  std::string err;
  constexpr char kFormat[] = "%Y-%m-%dT%H:%M:%SZ";
  if (expiration->size() != 20 ||
      !absl::ParseTime(kFormat, *expiration, absl::UTCTimeZone(),
                       &out.expiration, &err) ||
      absl::FormatTime(kFormat, out.expiration, absl::UTCTimeZone()) !=
          *expiration) {  // no normalized dates such as Feb 30
    return Bad("field 'Expiration' must be YYYY-MM-DDTHH:MM:SSZ");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ImdsCredentialSource>>
ImdsCredentialSource::Create(ImdsConfig config) {
  absl::string_view rest = config.endpoint;
  if (!absl::ConsumePrefix(&rest, "http://") || rest.empty()) {
    return Bad("endpoint must be http://host[:port]");
  }
  for (char c : rest) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':') {
      return Bad("endpoint must be http://host[:port] (no path)");
    }
  }
  if (!config.role.empty() && !ValidRoleName(config.role)) {
    return Bad("role must be 1..64 characters of [A-Za-z0-9+=,.@_-]");
  }
  if (config.token_ttl < absl::Seconds(1) ||
      config.token_ttl > absl::Seconds(21600)) {
    return Bad("token_ttl must be 1 s .. 6 h");
  }
  if (!config.clock) config.clock = [] { return absl::Now(); };
  return std::unique_ptr<ImdsCredentialSource>(
      new ImdsCredentialSource(std::move(config)));
}

absl::StatusOr<std::string> ImdsCredentialSource::GetWithToken(
    const std::string& path) {
  ASSIGN_OR_RETURN(
      auto answer,
      Exchange("GET", absl::StrCat(config_.endpoint, path),
               {absl::StrCat(kTokenHeader, ": ", token_)}, config_.timeout));
  const long status = answer.first;
  if (status == 200) return std::move(answer.second);
  const std::string what = absl::StrCat("imds: GET ", path, ": HTTP ", status);
  if (status == 401) {
    token_.clear();  // expired or revoked: the caller asks for a new one
    return absl::UnauthenticatedError(what);
  }
  if (status == 404) {
    return absl::NotFoundError(
        absl::StrCat(what, " (no instance profile role?)"));
  }
  if (status >= 500) return absl::UnavailableError(what);
  return absl::UnknownError(what);
}

absl::Status ImdsCredentialSource::RefreshLocked() {
  absl::Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const absl::Time now = config_.clock();
    if (token_.empty() || now >= token_expiry_) {
      const int64_t ttl = absl::ToInt64Seconds(config_.token_ttl);
      ASSIGN_OR_RETURN(
          auto answer,
          Exchange("PUT", absl::StrCat(config_.endpoint, kTokenPath),
                   {absl::StrCat(kTtlHeader, ": ", ttl)}, config_.timeout));
      if (answer.first == 403) {
        return absl::PermissionDeniedError(
            "imds: token request refused (HTTP 403: IMDS disabled?)");
      }
      if (answer.first >= 500) {
        return absl::UnavailableError(
            absl::StrCat("imds: token request: HTTP ", answer.first));
      }
      if (answer.first != 200) {
        return absl::UnknownError(
            absl::StrCat("imds: token request: HTTP ", answer.first,
                         " (IMDSv2 unsupported or hop limit too low?)"));
      }
      if (!ValidToken(answer.second)) {
        return Bad("token must be 1..1024 characters of [A-Za-z0-9+/=_-]");
      }
      token_ = std::move(answer.second);
      // Renew a minute early (or halfway for very short TTLs).
      token_expiry_ = now + std::max(config_.token_ttl - absl::Minutes(1),
                                     config_.token_ttl / 2);
    }
    if (role_.empty()) {
      if (!config_.role.empty()) {
        role_ = config_.role;
      } else {
        absl::StatusOr<std::string> list =
            GetWithToken(std::string(kRolesPath));
        if (absl::IsUnauthenticated(list.status()) && attempt == 0) {
          last = list.status();
          continue;
        }
        if (!list.ok()) return list.status();
        std::vector<absl::string_view> roles =
            absl::StrSplit(*list, '\n', absl::SkipEmpty());
        if (roles.empty()) {
          return absl::NotFoundError("imds: no instance profile role listed");
        }
        if (roles.size() > 1) {
          return absl::FailedPreconditionError(
              "imds: several roles listed; configure which one to use");
        }
        if (!ValidRoleName(roles[0])) {
          return Bad("listed role name is not a valid IAM role name");
        }
        role_ = std::string(roles[0]);
      }
    }
    absl::StatusOr<std::string> doc =
        GetWithToken(absl::StrCat(kRolesPath, role_));
    if (absl::IsUnauthenticated(doc.status()) && attempt == 0) {
      last = doc.status();
      continue;
    }
    if (!doc.ok()) return doc.status();
    ASSIGN_OR_RETURN(ImdsCredentials fresh, ParseImdsCredentials(*doc));
    if (fresh.expiration <= config_.clock()) {
      return absl::UnauthenticatedError(
          "imds: the credentials IMDS returned have already expired");
    }
    cached_ = std::move(fresh);
    have_credentials_ = true;
    return absl::OkStatus();
  }
  return last;
}

absl::StatusOr<AwsCredentials> ImdsCredentialSource::Get() {
  ASSIGN_OR_RETURN(ExpiringCredentials c, GetExpiring());
  return std::move(c.credentials);
}

absl::StatusOr<ExpiringCredentials> ImdsCredentialSource::GetExpiring() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = config_.clock();
  const ExpiringCredentials cached{cached_.credentials, cached_.expiration};
  if (have_credentials_ &&
      now < cached_.expiration - config_.refresh_before_expiry) {
    return cached;
  }
  absl::Status refreshed = RefreshLocked();
  if (!refreshed.ok()) {
    // Still valid (inside the refresh window): keep serving them.
    if (have_credentials_ && config_.clock() < cached_.expiration) {
      return cached;
    }
    return refreshed;
  }
  return ExpiringCredentials{cached_.credentials, cached_.expiration};
}

}  // namespace nitro_tss::aws
