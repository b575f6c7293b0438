#include "node/aws/credentials.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::aws {
namespace {

bool PrintableNoSpace(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateCredentials(const AwsCredentials& c) {
  const std::string& id = c.access_key_id;
  bool id_ok = id.size() >= 4 && id.size() <= kMaxAccessKeyIdBytes;
  for (char ch : id) {
    if (!absl::ascii_isupper(ch) && !absl::ascii_isdigit(ch)) id_ok = false;
  }
  if (!id_ok) {
    return absl::InvalidArgumentError(
        "aws credentials: access key id must be 4..128 characters of "
        "[A-Z0-9]");
  }
  if (c.secret_access_key.empty() ||
      c.secret_access_key.size() > kMaxSecretAccessKeyBytes ||
      !PrintableNoSpace(c.secret_access_key)) {
    return absl::InvalidArgumentError(
        "aws credentials: secret access key must be 1..128 printable "
        "characters without spaces");
  }
  if (c.session_token.size() > kMaxSessionTokenBytes ||
      !PrintableNoSpace(c.session_token)) {
    return absl::InvalidArgumentError(
        "aws credentials: session token must be at most 8192 printable "
        "characters without spaces");
  }
  return absl::OkStatus();
}

absl::StatusOr<ExpiringCredentials> CredentialSource::GetExpiring() {
  absl::StatusOr<AwsCredentials> c = Get();
  if (!c.ok()) return c.status();
  ExpiringCredentials out;
  out.credentials = *std::move(c);
  return out;
}

StaticCredentialSource::StaticCredentialSource(AwsCredentials credentials)
    : credentials_(std::move(credentials)) {}

void StaticCredentialSource::Set(AwsCredentials credentials) {
  absl::MutexLock lock(&mu_);
  credentials_ = std::move(credentials);
}

absl::StatusOr<AwsCredentials> StaticCredentialSource::Get() {
  absl::MutexLock lock(&mu_);
  if (credentials_.access_key_id.empty() ||
      credentials_.secret_access_key.empty()) {
    return absl::UnauthenticatedError(
        "aws credentials (static): no access key configured");
  }
  return credentials_;
}

EnvCredentialSource::EnvCredentialSource(GetEnv getenv)
    : getenv_(getenv ? std::move(getenv)
                     : GetEnv([](const char* n) { return std::getenv(n); })) {}

absl::StatusOr<AwsCredentials> EnvCredentialSource::Get() {
  const char* id = getenv_("AWS_ACCESS_KEY_ID");
  const char* secret = getenv_("AWS_SECRET_ACCESS_KEY");
  const char* token = getenv_("AWS_SESSION_TOKEN");
  if (id == nullptr || *id == '\0' || secret == nullptr || *secret == '\0') {
    return absl::UnauthenticatedError(
        "aws credentials (environment): AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY must be set");
  }
  AwsCredentials c(id, secret, token != nullptr ? token : "");
  if (absl::Status s = ValidateCredentials(c); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("environment: ", s.message()));
  }
  return c;
}

}  // namespace nitro_tss::aws
