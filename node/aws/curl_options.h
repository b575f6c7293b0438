// The libcurl options every AWS request of ours is made with (S3, KMS): an
// error buffer, no signals, no redirects, HTTP(S) only, a whole-request
// timeout, and TLS peer and host verification with an optional CA bundle.
#ifndef NITRO_TSS_NODE_AWS_CURL_OPTIONS_H_
#define NITRO_TSS_NODE_AWS_CURL_OPTIONS_H_

#include <curl/curl.h>

#include <string>

#include "absl/time/time.h"

namespace nitro_tss::aws {

// `errbuf` holds CURL_ERROR_SIZE bytes and must outlive the transfer;
// `ca_file` empty means the system default.
inline void SetAwsTransferOptions(CURL* curl, char* errbuf,
                                  absl::Duration request_timeout,
                                  const std::string& ca_file) {
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(request_timeout)));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
}

}  // namespace nitro_tss::aws

#endif  // NITRO_TSS_NODE_AWS_CURL_OPTIONS_H_
