// The KMS operations of tss-kms-local behind the AWS JSON 1.1 protocol:
// routes an HTTP request (POST /, X-Amz-Target TrentService.<Op>,
// Content-Type application/x-amz-json-1.1) through authentication, request
// parsing, key resolution, key-policy authorization and the operation, and
// renders AWS-shaped results and errors.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_SERVICE_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_SERVICE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/kms-local/http.h"
#include "tools/kms-local/keystore.h"
#include "tools/kms-local/kms_request.h"

namespace nitro_tss::kms_local {

// Who sent a request, as established by the authenticator.
struct CallerIdentity {
  std::string access_key_id;
  std::string principal_arn;  // e.g. arn:aws:iam::111122223333:role/parent
};

// Authenticates a request (SigV4); returns the caller or an AWS error
// (UnrecognizedClientException, InvalidSignatureException, ...).
using Authenticator = std::function<absl::StatusOr<CallerIdentity>(
    const HttpRequestMessage& request)>;

// What a verified attestation document tells the service.
struct AttestedRecipient {
  std::map<int, std::vector<uint8_t>> pcrs;
  std::vector<uint8_t> public_key;  // DER SubjectPublicKeyInfo
};

// Verifies a Recipient's attestation document (signature, chain to the
// configured root, freshness) and returns its PCRs and public key.
using RecipientVerifier = std::function<absl::StatusOr<AttestedRecipient>(
    absl::string_view document)>;

struct KmsServiceOptions {
  std::string region = "us-east-1";
  std::string account = "111122223333";
  Authenticator authenticator;
  // Unset: requests with a Recipient are rejected (ValidationException).
  RecipientVerifier recipient_verifier;
  // Receives one JSON object per line (never key material or plaintext).
  std::function<void(const std::string& line)> log;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class KmsService {
 public:
  KmsService(KmsServiceOptions options, KeyStore* store);

  // Handles one HTTP request; never fails (errors become AWS error responses).
  HttpResponseMessage Handle(const HttpRequestMessage& request);

  // The operation itself, for in-process use and tests: the parsed request
  // of `caller`; returns the JSON response body or an AWS error status.
  absl::StatusOr<std::string> Execute(const CallerIdentity& caller,
                                      const KmsRequest& request);

 private:
  struct ResolvedKey;
  absl::StatusOr<ResolvedKey> Resolve(absl::string_view key_id);
  absl::Status Authorize(const CallerIdentity& caller, const KeyRecord& key,
                         absl::string_view action,
                         const std::map<std::string, std::string>& extra);
  std::string KeyArn(absl::string_view key_id) const;

  KmsServiceOptions options_;
  KeyStore* store_;
};

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_SERVICE_H_
