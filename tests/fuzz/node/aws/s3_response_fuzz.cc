// Fuzz target: what the S3 client parses from a server (node/aws/s3_client.h):
// the response header block, S3's XML error document and its mapping to a
// status, ETag and version id syntax. The input is split at the first
// "\r\n\r\n": the header block (with it) and the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "node/aws/s3_client.h"

using nitro_tss::aws::HttpHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t split = in.find("\r\n\r\n");
  const std::string head =
      split == std::string::npos ? in : in.substr(0, split + 4);
  const std::string body =
      split == std::string::npos ? std::string() : in.substr(split + 4);

  int status = 0;
  auto headers = nitro_tss::aws::ParseResponseHeaders(head, &status);
  if (headers.ok()) {
    if (status < 200 || status > 999) abort();
    for (const HttpHeader& h : *headers) {
      if (h.name.empty()) abort();
      for (char c : h.name + h.value) {
        if (c == '\r' || c == '\n' || c == '\0') abort();
      }
      if (!h.value.empty() && (h.value.front() == ' ' || h.value.back() == ' '))
        abort();
    }
    (void)nitro_tss::aws::UniqueHeader(*headers, "ETag");
  }
  for (const std::string& doc : {in, body}) {
    auto err = nitro_tss::aws::ParseS3ErrorBody(doc);
    if (err.ok()) {
      if (err->code.empty() || err->code.size() > 64) abort();
      for (char c : err->code) {
        if (!absl::ascii_isalnum(c) && c != '.') abort();
      }
      if (err->message.size() > nitro_tss::aws::kMaxS3ErrorMessageBytes) {
        abort();
      }
      for (char c : err->message) {
        if (static_cast<unsigned char>(c) < 0x20 ||
            static_cast<unsigned char>(c) >= 0x7f) {
          abort();
        }
      }
    }
    absl::Status mapped =
        nitro_tss::aws::MapS3Error(status != 0 ? status : 400, doc, "fuzz");
    if (mapped.ok()) abort();  // an error answer never maps to OK
  }
  (void)nitro_tss::aws::ValidateETag(body);
  (void)nitro_tss::aws::ValidateVersionId(body);
  return 0;
}
