// Caller authentication for tss-kms-local: a table of configured credentials
// (access key id -> secret, optional session token, principal ARN) and a
// SigV4 authenticator (node/kms/sigv4.h) that maps failures to the AWS error
// types SDKs expect.
//
// Credentials file (JSON):
//   {"credentials": [{"access_key_id": "AKIA...", "secret_access_key": "...",
//                     "session_token": "...",            // optional
//                     "principal_arn": "arn:aws:iam::111122223333:role/x"}]}
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_AUTH_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_AUTH_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/kms-local/service.h"

namespace nitro_tss::kms_local {

struct CredentialEntry {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term credentials
  std::string principal_arn;
  ~CredentialEntry();
};

class CredentialTable {
 public:
  // Parses the JSON document described above (at most 64 KiB, 1..1000
  // entries, unique access key ids, principal ARNs starting "arn:aws:").
  // InvalidArgument naming the defect otherwise.
  static absl::StatusOr<CredentialTable> Parse(absl::string_view json_text);
  static absl::StatusOr<CredentialTable> LoadFile(const std::string& path);

  // The entry of `access_key_id` or nullptr.
  const CredentialEntry* Find(absl::string_view access_key_id) const;

 private:
  std::vector<CredentialEntry> entries_;
};

struct SigV4AuthOptions {
  std::string region;
  absl::Duration max_skew = absl::Minutes(5);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// Verifies the request's SigV4 signature (service "kms") against `table`.
// Errors (AWS types): MissingAuthenticationTokenException (no
// Authorization), IncompleteSignatureException (malformed Authorization or
// missing X-Amz-Date), UnrecognizedClientException (unknown access key, or
// session token absent/different/unexpected), InvalidSignatureException
// (wrong region/service scope, signature mismatch, expired or future date).
Authenticator MakeSigV4Authenticator(
    std::shared_ptr<const CredentialTable> table, SigV4AuthOptions options);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_AUTH_H_
