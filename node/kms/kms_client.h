// AWS KMS client (JSON 1.1 protocol over HTTPS/HTTP, SigV4, libcurl).
//
// Requests: POST / with Content-Type application/x-amz-json-1.1 and
// X-Amz-Target TrentService.<Operation>, signed with SigV4 (service "kms").
// Responses are parsed strictly (types, base64, sizes). Throttling (HTTP 429,
// ThrottlingException), 5xx and transport failures are retried with
// exponential backoff and full jitter, re-signing every attempt.
//
// Error mapping. A non-200 answer's body is parsed strictly
// (ParseKmsErrorBody); its `__type` (without namespace) is attached to the
// status as kAwsErrorTypePayload (kms_api.h) and chooses the code; the
// message names the type, the HTTP status and KMS's message:
//   AccessDeniedException                         -> PermissionDenied
//   NotFoundException                             -> NotFound
//   AlreadyExistsException                        -> AlreadyExists
//   InvalidCiphertextException, IncorrectKeyException -> DataLoss
//   ValidationException, InvalidKeyUsageException, SerializationException,
//   InvalidGrantTokenException, UnsupportedOperationException,
//   InvalidArnException, MalformedPolicyDocumentException
//                                                 -> InvalidArgument
//   UnknownOperationException                     -> Unimplemented
//   DisabledException, KMSInvalidStateException   -> FailedPrecondition
//   ThrottlingException, LimitExceededException   -> ResourceExhausted
//   UnrecognizedClientException, InvalidSignatureException,
//   IncompleteSignatureException, MissingAuthenticationTokenException,
//   ExpiredTokenException                          -> Unauthenticated
//   KMSInternalException, DependencyTimeoutException, KeyUnavailableException
//                                                 -> Unavailable
// Another type, or a body that is not a well-formed error (then no payload),
// is mapped by HTTP status: 429 -> ResourceExhausted, 5xx -> Unavailable,
// else Unknown. Transport errors are Unavailable (no payload). A redirect
// (3xx) is never followed and is FailedPrecondition (Call, not retried):
// the client talks to its configured endpoint only, and with https it
// verifies that the server's certificate names that endpoint's host.
// ResourceExhausted and Unavailable are the retryable failures
// (IsRetryableKmsError in kms_api.h): Call retries them with backoff and
// every other failure is returned after one attempt.
#ifndef NITRO_TSS_NODE_KMS_KMS_CLIENT_H_
#define NITRO_TSS_NODE_KMS_KMS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "node/aws/retry.h"
#include "node/aws/sigv4.h"
#include "node/kms/kms_api.h"
#include "node/kms/socket_bridge.h"

namespace nitro_tss::kms {

// Upper bounds applied to KMS responses.
inline constexpr size_t kMaxKmsResponseBytes = 64 * 1024;
inline constexpr size_t kMaxCiphertextBlobBytes = 6144;
inline constexpr size_t kMaxKmsPlaintextBytes = 4096;
// Upper bounds of an error answer: the body, its `__type` member and the part
// of its message kept in the status.
inline constexpr size_t kMaxKmsErrorBodyBytes = 16 * 1024;
inline constexpr size_t kMaxKmsErrorTypeBytes = 512;
inline constexpr size_t kMaxKmsErrorMessageBytes = 1024;

using RetryPolicy = aws::RetryPolicy;  // node/aws/retry.h

// Returns a connected socket file descriptor (the client owns and closes
// it), or -1 with errno set. Used to reach KMS through something other than
// a TCP connect to the URL's host, e.g. AF_VSOCK to the parent's proxy
// (`[]{ return ConnectVsock(3, 8000); }`). Called once per HTTP connection,
// from a relay thread (see socket_bridge.h); no DNS lookup happens.
using ConnectHook = std::function<int()>;

struct KmsClientConfig {
  std::string region = "us-east-1";
  // Base URL ("https://host[:port]" or "http://host[:port]"). Empty means
  // https://kms.<region>.amazonaws.com.
  std::string endpoint;
  // If set, HTTP goes over this unix socket (the URL still gives Host).
  std::string unix_socket_path;
  // If set, every connection is made by this hook (see ConnectHook); TLS, if
  // the endpoint is https, still terminates in this client.
  ConnectHook connect_hook;
  // TLS: CA bundle file (empty = system default).
  std::string ca_file;
  absl::Duration request_timeout = absl::Seconds(10);
  RetryPolicy retry;
  // Injectable for tests; default absl::Now / absl::SleepFor.
  std::function<absl::Time()> clock;
  std::function<void(absl::Duration)> sleep;
};

// An AWS JSON 1.1 error answer: {"__type": "...", "message": "..."}.
struct KmsErrorBody {
  // The error type without namespace prefix or ":" suffix
  // ("com.amazonaws.kms#NotFoundException" -> "NotFoundException"): a letter
  // then letters/digits, at most 128 characters.
  std::string type;
  // "message" (or "Message", as some endpoints send it), at most
  // kMaxKmsErrorMessageBytes kept, control characters replaced by '?';
  // empty if absent.
  std::string message;
};

// Parses an error answer strictly: strict JSON (common/json: duplicate keys,
// depth 4, kMaxKmsErrorBodyBytes), an object whose "__type" is a string of at
// most kMaxKmsErrorTypeBytes shaped [namespace#]Name[:suffix] (namespace of
// [A-Za-z0-9._-], Name as above, suffix of printable ASCII), and whose
// "message"/"Message", if present, are strings (at most one of them). Other
// members are ignored (AWS may add some). InvalidArgument naming the reason
// otherwise.
absl::StatusOr<KmsErrorBody> ParseKmsErrorBody(absl::string_view body);

// Maps an AWS error answer to a status (see the table above). `http_status`
// is the HTTP status code, `body` the response body (may be empty or not an
// error body; then only the HTTP status decides and no payload is attached).
absl::Status MapKmsError(long http_status, absl::string_view body);

// Strict base64 (RFC 4648 standard alphabet, padding required, no
// whitespace). InvalidArgument naming `field` on any deviation or if the
// decoded size is outside [min_size, max_size].
absl::StatusOr<std::vector<uint8_t>> StrictBase64Decode(absl::string_view in,
                                                        absl::string_view field,
                                                        size_t min_size,
                                                        size_t max_size);

// Connects an AF_VSOCK stream socket to (cid, port). Returns the fd or -1.
int ConnectVsock(uint32_t cid, uint32_t port);

// Strict parsers of the JSON answers of each operation (used by KmsClient;
// exposed for tests and fuzzing). `r` is the request the answer is for (its
// Recipient decides whether Plaintext or CiphertextForRecipient must be
// present; sizes are checked against it). InvalidArgument naming the field
// on a wrong type, bad base64, out-of-range size, or missing/extra secret.
absl::StatusOr<EncryptResponse> ParseEncryptResponse(const json::Value& doc,
                                                     const EncryptRequest& r);
absl::StatusOr<DecryptResponse> ParseDecryptResponse(const json::Value& doc,
                                                     const DecryptRequest& r);
absl::StatusOr<GenerateDataKeyResponse> ParseGenerateDataKeyResponse(
    const json::Value& doc, const GenerateDataKeyRequest& r);
absl::StatusOr<GenerateRandomResponse> ParseGenerateRandomResponse(
    const json::Value& doc, const GenerateRandomRequest& r);
absl::StatusOr<DescribeKeyResponse> ParseDescribeKeyResponse(
    const json::Value& doc, const DescribeKeyRequest& r);

class KmsClient : public KmsInterface {
 public:
  // InvalidArgument on a malformed endpoint or empty region.
  static absl::StatusOr<std::unique_ptr<KmsClient>> Create(
      KmsClientConfig config, AwsCredentials credentials);
  ~KmsClient() override;

  // Replaces the credentials (e.g. when the parent rotates its role
  // credentials). Thread-safe.
  void SetCredentials(AwsCredentials credentials);

  absl::StatusOr<EncryptResponse> Encrypt(const EncryptRequest& r) override;
  absl::StatusOr<DecryptResponse> Decrypt(const DecryptRequest& r) override;
  absl::StatusOr<GenerateDataKeyResponse> GenerateDataKey(
      const GenerateDataKeyRequest& r) override;
  absl::StatusOr<GenerateRandomResponse> GenerateRandom(
      const GenerateRandomRequest& r) override;
  absl::StatusOr<DescribeKeyResponse> DescribeKey(
      const DescribeKeyRequest& r) override;

  // Sends one operation (e.g. "CreateKey") with a JSON body, with retries,
  // and returns the parsed JSON response object. Errors mapped as above.
  absl::StatusOr<json::Value> Call(absl::string_view operation,
                                   const json::Value& body);

  // Number of HTTP attempts made so far (for tests of the retry logic).
  int attempts() const;

  const std::string& url() const { return url_; }
  const std::string& host() const { return host_; }

 private:
  KmsClient(KmsClientConfig config, AwsCredentials credentials, std::string url,
            std::string host, std::unique_ptr<SocketBridge> bridge);
  // One HTTP exchange. Sets *http_status and *body; transport errors are
  // returned as Unavailable.
  absl::Status PostOnce(absl::string_view operation, const std::string& body,
                        long* http_status, std::string* response);

  KmsClientConfig config_;
  const std::string url_;
  const std::string host_;
  // Relays curl's connections through connect_hook (see socket_bridge.h).
  const std::unique_ptr<SocketBridge> bridge_;
  mutable absl::Mutex mu_;
  AwsCredentials credentials_ ABSL_GUARDED_BY(mu_);
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_KMS_CLIENT_H_
