// Where AWS credentials come from. Callers ask the source for the current
// credentials before each request, so a source may rotate them (temporary
// role credentials) without the client noticing.
//
// Sources here: fixed credentials (tests, a credentials file read by the
// caller) and the standard environment variables; the EC2 instance-metadata
// source (IMDSv2) is in imds_credentials.h.
#ifndef NITRO_TSS_NODE_AWS_CREDENTIALS_H_
#define NITRO_TSS_NODE_AWS_CREDENTIALS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "node/aws/sigv4.h"

namespace nitro_tss::aws {

// Limits applied to credentials from any source (AWS session tokens are a
// few hundred to ~2000 characters).
inline constexpr size_t kMaxAccessKeyIdBytes = 128;
inline constexpr size_t kMaxSecretAccessKeyBytes = 128;
inline constexpr size_t kMaxSessionTokenBytes = 8192;

// InvalidArgument naming the field unless the access key id is 4..128
// (AWS issues 16..128; local emulators such as tss-kms-local use short ids)
// characters of [A-Z0-9], the secret 1..128 printable ASCII characters
// without spaces, and the token (optional) up to 8192 printable ASCII
// characters without spaces.
absl::Status ValidateCredentials(const AwsCredentials& credentials);

// Credentials and when they stop working.
struct ExpiringCredentials {
  AwsCredentials credentials;
  absl::Time expiration = absl::InfiniteFuture();  // never, unless known
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credentials to sign the next request with. Thread-safe.
  // Unauthenticated when the source has none (with the reason).
  virtual absl::StatusOr<AwsCredentials> Get() = 0;
  // Get() with their expiration, for a source that knows it (temporary
  // credentials); the default says they do not expire.
  virtual absl::StatusOr<ExpiringCredentials> GetExpiring();
  // Human-readable name for error messages ("static", "environment").
  virtual std::string Name() const = 0;
};

// Fixed credentials; Set replaces them (rotation by the owner).
class StaticCredentialSource : public CredentialSource {
 public:
  explicit StaticCredentialSource(AwsCredentials credentials);
  void Set(AwsCredentials credentials);
  absl::StatusOr<AwsCredentials> Get() override;
  std::string Name() const override { return "static"; }

 private:
  absl::Mutex mu_;
  AwsCredentials credentials_ ABSL_GUARDED_BY(mu_);
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN,
// read at every Get (so a supervisor may update them). `getenv` is
// injectable for tests; default ::getenv. Unauthenticated if the key id or
// secret is unset or empty; InvalidArgument if a value fails
// ValidateCredentials.
class EnvCredentialSource : public CredentialSource {
 public:
  using GetEnv = std::function<const char*(const char*)>;
  explicit EnvCredentialSource(GetEnv getenv = {});
  absl::StatusOr<AwsCredentials> Get() override;
  std::string Name() const override { return "environment"; }

 private:
  GetEnv getenv_;
};

}  // namespace nitro_tss::aws

#endif  // NITRO_TSS_NODE_AWS_CREDENTIALS_H_
