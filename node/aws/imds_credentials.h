// Temporary role credentials from the EC2 instance metadata service, IMDSv2
// only (session token flow): PUT /latest/api/token with
// X-aws-ec2-metadata-token-ttl-seconds, then GETs with
// X-aws-ec2-metadata-token of /latest/meta-data/iam/security-credentials/
// (the role name; exactly one) and .../security-credentials/<role> (JSON).
// Credentials are cached until `refresh_before_expiry` before their
// Expiration, the token until shortly before its TTL; a 401 drops the token
// and retries once. IMDS is never reached through a proxy.
//
// Errors: Unavailable (IMDS unreachable, 5xx; retry later), PermissionDenied
// (token PUT refused: IMDS disabled or hop limit), NotFound (no role
// attached), FailedPrecondition (several roles listed), Unauthenticated
// (Code other than Success, credentials already expired), InvalidArgument
// (a malformed answer, naming the field).
#ifndef NITRO_TSS_NODE_AWS_IMDS_CREDENTIALS_H_
#define NITRO_TSS_NODE_AWS_IMDS_CREDENTIALS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "node/aws/credentials.h"

namespace nitro_tss::aws {

inline constexpr size_t kMaxImdsResponseBytes = 16 * 1024;

struct ImdsConfig {
  // "http://host[:port]" (IMDS speaks plain HTTP on a link-local address).
  std::string endpoint = "http://169.254.169.254";
  // The instance profile's role; empty = the single role IMDS lists.
  std::string role;
  absl::Duration token_ttl = absl::Hours(6);  // 1 s .. 6 h (IMDS maximum)
  absl::Duration refresh_before_expiry = absl::Minutes(5);
  absl::Duration timeout = absl::Seconds(2);
  std::function<absl::Time()> clock;  // default absl::Now
};

// A parsed security-credentials document.
struct ImdsCredentials {
  AwsCredentials credentials;
  absl::Time expiration;
};

// Strict parse of the JSON IMDS returns for a role: an object whose
// AccessKeyId, SecretAccessKey, Token (all validated as in
// ValidateCredentials) and Expiration ("YYYY-MM-DDTHH:MM:SSZ") are strings;
// Code, if present, must be "Success" (Unauthenticated otherwise, with the
// code), Type, if present, "AWS-HMAC"; LastUpdated, if present, a string.
// Other members are ignored (at most 16 members in all). InvalidArgument
// naming the field otherwise.
absl::StatusOr<ImdsCredentials> ParseImdsCredentials(absl::string_view json);

class ImdsCredentialSource : public CredentialSource {
 public:
  // InvalidArgument on a bad endpoint, role name or TTL.
  static absl::StatusOr<std::unique_ptr<ImdsCredentialSource>> Create(
      ImdsConfig config);
  absl::StatusOr<AwsCredentials> Get() override;
  absl::StatusOr<ExpiringCredentials> GetExpiring() override;
  std::string Name() const override { return "imds"; }

 private:
  explicit ImdsCredentialSource(ImdsConfig config)
      : config_(std::move(config)) {}
  absl::Status RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> GetWithToken(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ImdsConfig config_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time token_expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string role_ ABSL_GUARDED_BY(mu_);
  bool have_credentials_ ABSL_GUARDED_BY(mu_) = false;
  ImdsCredentials cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nitro_tss::aws

#endif  // NITRO_TSS_NODE_AWS_IMDS_CREDENTIALS_H_
