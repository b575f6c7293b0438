// A minimal Amazon S3 client: single-object GET, PUT (with conditional-write
// headers) and DELETE, path-style or virtual-hosted addressing, SigV4
// (service "s3", signed payload hash in x-amz-content-sha256), libcurl.
//
// Only headers are interpreted on success (the object body is opaque bytes),
// so no XML is parsed except S3's flat error document, from which only
// <Code> and <Message> are taken (ParseS3ErrorBody, strict, size-limited).
// Response headers are parsed strictly (ParseResponseHeaders).
//
// Errors (the S3 error code and HTTP status are kept in the message):
//   NoSuchKey, NoSuchVersion                              -> NotFound
//   NoSuchBucket, PreconditionFailed (412),
//   ConditionalRequestConflict (409), PermanentRedirect,
//   TemporaryRedirect, AuthorizationHeaderMalformed,
//   InvalidBucketState                                    -> FailedPrecondition
//   AccessDenied, AllAccessDisabled, AccountProblem       -> PermissionDenied
//   InvalidAccessKeyId, SignatureDoesNotMatch, InvalidToken,
//   ExpiredToken, TokenRefreshRequired, RequestTimeTooSkewed,
//   MissingSecurityHeader                                 -> Unauthenticated
//   EntityTooLarge                                        -> InvalidArgument
//   SlowDown, ServiceUnavailable, InternalError,
//   RequestTimeout, other 5xx, transport errors           -> Unavailable
//   anything else                                         -> Unknown
// Unavailable answers are retried (exponential backoff, full jitter,
// re-signed); the last one is returned.
#ifndef NITRO_TSS_NODE_AWS_S3_CLIENT_H_
#define NITRO_TSS_NODE_AWS_S3_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "node/aws/credentials.h"
#include "node/aws/retry.h"
#include "node/aws/sigv4.h"

namespace nitro_tss::aws {

// Limits on what we accept from S3.
inline constexpr size_t kMaxS3ResponseHeaderBytes = 32 * 1024;
inline constexpr size_t kMaxS3ResponseHeaders = 128;
inline constexpr size_t kMaxS3ErrorBodyBytes = 16 * 1024;
inline constexpr size_t kMaxS3ErrorMessageBytes = 1024;
inline constexpr size_t kMaxS3VersionIdBytes = 1024;
inline constexpr size_t kMaxS3ETagBytes = 256;
// Hard cap on any object body this client reads or writes.
inline constexpr size_t kMaxS3ObjectBytes = 16 * 1024 * 1024;

// Strict parse of one HTTP/1.x response header block as libcurl delivers it
// (status line, header lines, empty line; every line ends in CRLF). If
// `raw` holds several blocks (1xx interim responses), only the last one is
// returned. Header names must be HTTP tokens, values printable (HTAB
// allowed) with surrounding whitespace removed; obsolete line folding, bare
// LF, NUL and more than kMaxS3ResponseHeaders headers or
// kMaxS3ResponseHeaderBytes bytes are refused. InvalidArgument naming the
// defect. `status` receives the status code of the returned block.
absl::StatusOr<std::vector<HttpHeader>> ParseResponseHeaders(
    absl::string_view raw, int* status);

// The value of header `name` (case-insensitive): nullptr if absent,
// InvalidArgument if it appears more than once.
absl::StatusOr<const std::string*> UniqueHeader(
    const std::vector<HttpHeader>& headers, absl::string_view name);

// An S3 error document: <?xml ...?> (optional) then <Error> holding flat
// child elements <Name>text</Name>. Only Code (1..64 of [A-Za-z0-9.]) and
// Message (entity-decoded, control characters replaced by '?', cut to
// kMaxS3ErrorMessageBytes) are returned; both must appear at most once,
// Code exactly once. Nested elements, attributes, comments, CDATA, unknown
// entities and trailing data are refused (InvalidArgument).
struct S3Error {
  std::string code;
  std::string message;
};
absl::StatusOr<S3Error> ParseS3ErrorBody(absl::string_view body);

// Maps a non-2xx answer to a status (table above). `what` names the
// request ("GET s3://bucket/key") in the message.
absl::Status MapS3Error(long http_status, absl::string_view body,
                        absl::string_view what);

// A strong ETag as S3 sends it: '"' + 1..254 characters of [A-Za-z0-9-] +
// '"' (MD5 hex, or hex-N for multipart). InvalidArgument otherwise.
absl::Status ValidateETag(absl::string_view etag);
// x-amz-version-id: 1..1024 characters of [A-Za-z0-9+/=._-] ("null" for
// objects written while versioning was off). InvalidArgument otherwise.
absl::Status ValidateVersionId(absl::string_view version_id);

using S3RetryPolicy = RetryPolicy;  // node/aws/retry.h

struct S3ClientConfig {
  std::string region = "us-east-1";
  // 3..63 characters of [a-z0-9.-], starting and ending with a letter or
  // digit.
  std::string bucket;
  // Base URL "http(s)://host[:port]"; empty = https://s3.<region>.amazonaws.com
  std::string endpoint;
  // true: <endpoint>/<bucket>/<key> (S3-compatible servers, tests);
  // false: https://<bucket>.<endpoint host>/<key> (AWS's default).
  bool path_style = false;
  std::string ca_file;  // TLS CA bundle (empty = system default)
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration request_timeout = absl::Seconds(15);
  S3RetryPolicy retry;
  // Injectable for tests; default absl::Now / absl::SleepFor.
  std::function<absl::Time()> clock;
  std::function<void(absl::Duration)> sleep;
};

// One request. `key` is the object key (empty = the bucket itself); it may
// only contain [A-Za-z0-9._~/-] (no percent-encoding is ever needed, so the
// path on the wire and S3's canonical URI coincide), no "//", no leading
// '/', at most 1024 bytes. `query` is the raw query string without '?'.
// `headers` are sent and signed in addition to Host, X-Amz-Date,
// x-amz-content-sha256 and (temporary credentials) X-Amz-Security-Token.
struct S3Request {
  std::string method;
  std::string key;
  std::string query;
  std::vector<HttpHeader> headers;
  std::string body;
  // Largest response body accepted on success; larger -> OutOfRange without
  // reading it (Content-Length) or by aborting the transfer.
  size_t max_response_body_bytes = kMaxS3ErrorBodyBytes;
};

struct S3Response {
  int http_status = 0;
  std::vector<HttpHeader> headers;  // strictly parsed
  std::string body;
};

struct S3Object {
  std::string body;
  std::vector<HttpHeader> headers;
  std::string etag;        // validated, with quotes
  std::string version_id;  // validated; empty if the header is absent
};

struct PutObjectOptions {
  // If-Match: write only if the current object has this ETag.
  std::string if_match;
  // If-None-Match: *: write only if no current object exists.
  bool if_none_match_any = false;
  // Extra headers, e.g. x-amz-meta-* (names are sent as given).
  std::vector<HttpHeader> headers;
};

struct PutObjectResult {
  std::string etag;
  std::string version_id;  // empty if the bucket is not versioned
};

class S3Client {
 public:
  // InvalidArgument on a bad bucket name, endpoint or retry policy.
  static absl::StatusOr<std::unique_ptr<S3Client>> Create(
      S3ClientConfig config, std::shared_ptr<CredentialSource> credentials);

  // Sends `request` (with retries, see above). Returns the response for 2xx;
  // otherwise the mapped error. InvalidArgument on a malformed response
  // (headers), OutOfRange on an oversized body.
  absl::StatusOr<S3Response> Send(const S3Request& request);

  // GET of an object (optionally one version). OutOfRange if larger than
  // max_bytes (<= kMaxS3ObjectBytes).
  absl::StatusOr<S3Object> GetObject(absl::string_view key, size_t max_bytes,
                                     absl::string_view version_id = "");
  absl::StatusOr<PutObjectResult> PutObject(absl::string_view key,
                                            absl::string_view body,
                                            const PutObjectOptions& options);
  // DELETE of an object, or of one version of it (permanently).
  absl::Status DeleteObject(absl::string_view key,
                            absl::string_view version_id = "");

  // "s3://bucket/key" for messages.
  std::string Describe(absl::string_view key) const;
  const std::string& bucket() const { return config_.bucket; }
  // HTTP attempts so far (retry tests).
  int attempts() const;

 private:
  S3Client(S3ClientConfig config, std::shared_ptr<CredentialSource> creds,
           std::string base_url, std::string host, std::string path_prefix);
  absl::Status SendOnce(const S3Request& request, S3Response* response);

  S3ClientConfig config_;
  std::shared_ptr<CredentialSource> credentials_;
  const std::string base_url_;     // scheme://host[:port]
  const std::string host_;         // Host header value
  const std::string path_prefix_;  // "/bucket" (path style) or ""
  mutable absl::Mutex mu_;
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace nitro_tss::aws

#endif  // NITRO_TSS_NODE_AWS_S3_CLIENT_H_
