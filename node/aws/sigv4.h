// AWS Signature Version 4 (header signing), usable by a client that signs
// requests and by a server that recomputes and checks a received signature.
// Used for KMS (node/kms, tools/kms-local) and S3 (node/aws/s3_client.h).
//
// All functions are pure (no I/O, no clock): the caller supplies the time.
// Secrets (secret access key, derived signing keys) are zeroized after use.
#ifndef NITRO_TSS_NODE_AWS_SIGV4_H_
#define NITRO_TSS_NODE_AWS_SIGV4_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace nitro_tss::aws {

// Long-term or temporary AWS credentials. `session_token` is empty for
// long-term credentials. The destructor zeroizes the secret and the token.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;

  AwsCredentials() = default;
  AwsCredentials(std::string access_key, std::string secret,
                 std::string token = "");
  AwsCredentials(const AwsCredentials&) = default;
  AwsCredentials(AwsCredentials&&) = default;
  AwsCredentials& operator=(const AwsCredentials&) = default;
  AwsCredentials& operator=(AwsCredentials&&) = default;
  ~AwsCredentials();
};

// One HTTP header as it appears on the wire (name case preserved, value
// untrimmed; a value may contain obsolete line folding "\n  ").
struct HttpHeader {
  std::string name;
  std::string value;
};

// An HTTP request as signed/verified by SigV4.
//   path:  the path as sent on the request line, without the query ("/a/b").
//   query: the raw query string without the leading '?' (may be empty).
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<HttpHeader> headers;
  std::string body;
};

// Options of the signing process (names follow the AWS signing test suite).
struct SigningOptions {
  // Remove "." / ".." segments and collapse repeated '/' in the canonical URI.
  bool normalize_path = true;
  // Add X-Amz-Security-Token after signing instead of signing it (some
  // services, e.g. IoT, expect this). KMS signs the token: keep false.
  bool omit_session_token = false;
  // Add and sign an "x-amz-content-sha256" header holding the payload hash.
  bool add_content_sha256_header = false;
};

// Everything needed to sign one request.
struct SigningParams {
  AwsCredentials credentials;
  std::string region;
  std::string service;
  absl::Time time;
  SigningOptions options;
};

// Header names and constant strings.
inline constexpr absl::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr absl::string_view kAmzDateHeader = "X-Amz-Date";
inline constexpr absl::string_view kSecurityTokenHeader =
    "X-Amz-Security-Token";
inline constexpr absl::string_view kContentSha256Header =
    "x-amz-content-sha256";
inline constexpr absl::string_view kAuthorizationHeader = "Authorization";

// Limits applied to every request we canonicalize (protects the verifier).
inline constexpr size_t kMaxSignedHeaders = 64;
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr size_t kMaxPathOrQueryBytes = 8 * 1024;

// Lower-case hex of SHA-256(data).
std::string HexSha256(absl::string_view data);

// RFC 3986 percent-encoding used by SigV4: every byte except A-Z a-z 0-9
// '-' '.' '_' '~' becomes "%XX" (upper-case hex); '/' is kept iff keep_slash.
std::string UriEncode(absl::string_view bytes, bool keep_slash);

// Canonical URI of `path` (as on the request line). With `normalize`, removes
// dot segments and empty segments (keeping a trailing '/'). Each byte that is
// not unreserved (and not '/') is percent-encoded once, so an already
// percent-encoded path is encoded a second time, as AWS does for every
// service except S3. Errors: InvalidArgument if path is empty, does not start
// with '/', or exceeds kMaxPathOrQueryBytes.
absl::StatusOr<std::string> CanonicalUri(absl::string_view path,
                                         bool normalize);

// Canonical query string: parameters split on '&' and '=', percent-decoded,
// re-encoded with UriEncode, sorted by name then value, joined with '&'.
// A parameter without '=' gets an empty value. Errors: InvalidArgument on a
// malformed percent escape or a query longer than kMaxPathOrQueryBytes.
absl::StatusOr<std::string> CanonicalQueryString(absl::string_view query);

// Canonical headers block and the signed-headers list.
struct CanonicalHeaders {
  std::string block;           // "name:value\n" per header, sorted by name
  std::string signed_headers;  // "name1;name2;..."
};

// Canonicalizes `headers`: names lower-cased, values trimmed with every run of
// whitespace (space, tab, CR, LF) collapsed to one space, duplicates joined
// with ',' in order of appearance, sorted by name. If `only` is non-null, only
// headers whose lower-case name is listed are included, and every listed name
// must be present (NotFound otherwise). The Authorization header is never
// included. Errors: InvalidArgument on an empty/invalid name, too many
// headers or too many bytes.
absl::StatusOr<CanonicalHeaders> CanonicalizeHeaders(
    const std::vector<HttpHeader>& headers,
    const std::vector<std::string>* only = nullptr);

// The SigV4 canonical request:
//   METHOD \n CanonicalUri \n CanonicalQuery \n CanonicalHeaders \n
//   SignedHeaders \n payload_hash
// `only` restricts the signed headers as in CanonicalizeHeaders.
absl::StatusOr<std::string> CanonicalRequest(
    const HttpRequest& request, bool normalize_path,
    absl::string_view payload_hash,
    const std::vector<std::string>* only = nullptr);

// "20150830T123600Z" and "20150830" forms of `t` (UTC).
std::string FormatAmzDate(absl::Time t);
std::string FormatDateStamp(absl::Time t);
// Parses "YYYYMMDDTHHMMSSZ" strictly. InvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseAmzDate(absl::string_view amz_date);

// "<date>/<region>/<service>/aws4_request".
std::string CredentialScope(absl::string_view date_stamp,
                            absl::string_view region,
                            absl::string_view service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\nhex(sha256(canonical_request))".
std::string StringToSign(absl::string_view amz_date,
                         absl::string_view credential_scope,
                         absl::string_view canonical_request);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
// "aws4_request"). The caller owns (and should zeroize) the result.
std::array<uint8_t, 32> DeriveSigningKey(absl::string_view secret_access_key,
                                         absl::string_view date_stamp,
                                         absl::string_view region,
                                         absl::string_view service);

// Lower-case hex HMAC-SHA256(signing_key, string_to_sign).
std::string ComputeSignature(const std::array<uint8_t, 32>& signing_key,
                             absl::string_view string_to_sign);

// Intermediate values of one signature, for tests and diagnostics.
struct SignatureParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;  // the full Authorization header value
};

// Signs `request` in place: adds X-Amz-Date, (if options say so)
// x-amz-content-sha256, X-Amz-Security-Token (if the credentials carry a
// token; signed unless omit_session_token) and Authorization. Every header
// already present is signed. Returns the intermediate values. Errors:
// InvalidArgument if credentials/region/service are empty, the request
// already has Authorization/X-Amz-Date, or canonicalization fails.
absl::StatusOr<SignatureParts> SignRequest(const SigningParams& params,
                                           HttpRequest* request);

// A parsed "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
// header value.
struct ParsedAuthorization {
  std::string access_key_id;
  std::string date_stamp;
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;                    // 64 lower-case hex characters
};

// Parses an Authorization header value strictly (algorithm, the three
// components once each, scope terminator "aws4_request", signed header names
// sorted, lower-case and unique, including "host"; signature 64 hex chars).
// Errors: InvalidArgument naming the defect.
absl::StatusOr<ParsedAuthorization> ParseAuthorization(
    absl::string_view header_value);

// Server side: recomputes the signature of a received `request` (which still
// carries its Authorization header) with `secret_access_key` and compares in
// constant time. Checks that X-Amz-Date is present, matches the credential
// scope date, and is within `max_skew` of `now`; that the scope has
// `expected_region`/`expected_service`; that x-amz-date is signed. The payload
// hash is SHA-256 of request.body. Errors: Unauthenticated for a signature
// mismatch or a missing/invalid Authorization, InvalidArgument for a bad date
// or scope, FailedPrecondition for clock skew.
absl::Status VerifyRequestSignature(const HttpRequest& request,
                                    absl::string_view secret_access_key,
                                    absl::string_view expected_region,
                                    absl::string_view expected_service,
                                    absl::Time now, absl::Duration max_skew,
                                    bool normalize_path = true);

// Returns the value of the first header named `name` (case-insensitive), or
// nullptr.
const std::string* FindHeader(const std::vector<HttpHeader>& headers,
                              absl::string_view name);

}  // namespace nitro_tss::aws

// Transitional: this code lived in node/kms (namespace kms) until it moved to
// node/aws so that tss-host can sign S3 requests without linking the KMS
// sealing code. Its users in node/kms, tools/kms-local, tests/kms and
// bench/kms still spell the names kms::...; these declarations keep them
// compiling until they switch to aws:: (then this block goes).
namespace nitro_tss::kms {
using aws::AwsCredentials;
using aws::FindHeader;
using aws::HttpHeader;
using aws::HttpRequest;
using aws::ParseAuthorization;
using aws::SignatureParts;
using aws::SigningOptions;
using aws::SigningParams;
using aws::SignRequest;
using aws::VerifyRequestSignature;
}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_AWS_SIGV4_H_
