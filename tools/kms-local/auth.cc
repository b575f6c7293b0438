#include "tools/kms-local/auth.h"

#include <sodium.h>

#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "node/aws/sigv4.h"
#include "tools/kms-local/errors.h"

namespace nitro_tss::kms_local {
namespace {

constexpr size_t kMaxCredentialsFileBytes = 64 * 1024;

absl::Status AuthError(absl::string_view type, absl::string_view message) {
  return AwsError(absl::StatusCode::kUnauthenticated, type, message);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

CredentialEntry::~CredentialEntry() {
  if (!secret_access_key.empty()) {
    sodium_memzero(secret_access_key.data(), secret_access_key.size());
  }
  if (!session_token.empty()) {
    sodium_memzero(session_token.data(), session_token.size());
  }
}

absl::StatusOr<CredentialTable> CredentialTable::Parse(
    absl::string_view json_text) {
  json::ParseLimits limits;
  limits.max_input_bytes = kMaxCredentialsFileBytes;
  limits.max_depth = 4;
  auto doc = json::Parse(json_text, limits);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("credentials: ", doc.status().message()));
  }
  auto list = doc->ArrayField("credentials");
  if (!list.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("credentials: ", list.status().message()));
  }
  if ((*list)->empty() || (*list)->size() > 1000) {
    return absl::InvalidArgumentError("credentials: need 1..1000 entries");
  }
  CredentialTable table;
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const json::Value& e = (**list)[i];
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("credentials[", i, "]: ", why));
    };
    if (!e.is_object()) return bad("must be an object");
    for (const auto& [k, v] : e.AsObject()) {
      if (k != "access_key_id" && k != "secret_access_key" &&
          k != "session_token" && k != "principal_arn") {
        return bad(absl::StrCat("unknown field '", k, "'"));
      }
    }
    CredentialEntry entry;
    auto akid = e.StringField("access_key_id");
    auto secret = e.StringField("secret_access_key");
    auto arn = e.StringField("principal_arn");
    if (!akid.ok()) return bad(akid.status().message());
    if (!secret.ok()) return bad(secret.status().message());
    if (!arn.ok()) return bad(arn.status().message());
    if (akid->empty() || akid->size() > 128) return bad("bad access_key_id");
    if (secret->empty()) return bad("empty secret_access_key");
    if (!absl::StartsWith(*arn, "arn:aws:")) return bad("bad principal_arn");
    entry.access_key_id = *akid;
    entry.secret_access_key = *secret;
    entry.principal_arn = *arn;
    if (e.Find("session_token") != nullptr) {
      auto tok = e.StringField("session_token");
      if (!tok.ok()) return bad(tok.status().message());
      entry.session_token = *tok;
    }
    if (table.Find(entry.access_key_id) != nullptr) {
      return bad("duplicate access_key_id");
    }
    table.entries_.push_back(std::move(entry));
  }
  return table;
}

absl::StatusOr<CredentialTable> CredentialTable::LoadFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read credentials file '", path, "'"));
  }
  std::string text;
  text.resize(kMaxCredentialsFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto table = Parse(text);
  sodium_memzero(text.data(), text.size());
  return table;
}

const CredentialEntry* CredentialTable::Find(
    absl::string_view access_key_id) const {
  for (const CredentialEntry& e : entries_) {
    if (e.access_key_id == access_key_id) return &e;
  }
  return nullptr;
}

Authenticator MakeSigV4Authenticator(
    std::shared_ptr<const CredentialTable> table, SigV4AuthOptions options) {
  return [table, options](
             const HttpRequestMessage& http) -> absl::StatusOr<CallerIdentity> {
    const std::string* authz = http.FindHeader("Authorization");
    if (authz == nullptr) {
      return AuthError("MissingAuthenticationTokenException",
                       "Missing Authentication Token");
    }
    auto parsed = kms::ParseAuthorization(*authz);
    if (!parsed.ok()) {
      return AuthError("IncompleteSignatureException",
                       absl::StrCat("Authorization header is malformed: ",
                                    parsed.status().message()));
    }
    const CredentialEntry* cred = table->Find(parsed->access_key_id);
    if (cred == nullptr) {
      return AuthError(
          "UnrecognizedClientException",
          "The security token included in the request is invalid.");
    }
    const std::string* token = http.FindHeader("X-Amz-Security-Token");
    if (cred->session_token.empty() != (token == nullptr) ||
        (token != nullptr &&
         !ConstantTimeEquals(*token, cred->session_token))) {
      return AuthError(
          "UnrecognizedClientException",
          "The security token included in the request is invalid.");
    }
    if (token != nullptr) {
      bool signed_token = false;
      for (const std::string& h : parsed->signed_headers) {
        signed_token = signed_token || h == "x-amz-security-token";
      }
      if (!signed_token) {
        return AuthError("IncompleteSignatureException",
                         "X-Amz-Security-Token must be signed");
      }
    }
    if (parsed->service != "kms" || parsed->region != options.region) {
      return AuthError(
          "InvalidSignatureException",
          absl::StrCat("Credential should be scoped to a valid region and "
                       "service: expected ",
                       options.region, "/kms, got ", parsed->region, "/",
                       parsed->service));
    }
    kms::HttpRequest req;
    req.method = http.method;
    req.path = http.path;
    req.query = http.query;
    for (const auto& [name, value] : http.headers) {
      req.headers.push_back({name, value});
    }
    req.body = http.body;
    const absl::Time now = options.clock();
    absl::Status s = kms::VerifyRequestSignature(req, cred->secret_access_key,
                                                 options.region, "kms", now,
                                                 options.max_skew);
    if (!s.ok()) {
      if (absl::IsFailedPrecondition(s)) {
        return AuthError(
            "InvalidSignatureException",
            absl::StrCat("Signature expired or not yet valid: ", s.message()));
      }
      if (absl::IsInvalidArgument(s) && !http.FindHeader("X-Amz-Date")) {
        return AuthError("IncompleteSignatureException", s.message());
      }
      return AuthError(
          "InvalidSignatureException",
          absl::StrCat("The request signature we calculated does not match "
                       "the signature you provided. (",
                       s.message(), ")"));
    }
    CallerIdentity id;
    id.access_key_id = cred->access_key_id;
    id.principal_arn = cred->principal_arn;
    return id;
  };
}

}  // namespace nitro_tss::kms_local
