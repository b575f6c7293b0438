// Fuzz target: decoding of a stored S3 blob object (node/host/s3_blob_store.h)
// from what the server sends: the header block up to the first "\r\n\r\n"
// (parsed by the S3 client's strict parser) and the body after it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "node/aws/s3_client.h"
#include "node/host/s3_blob_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t split = in.find("\r\n\r\n");
  if (split == std::string::npos) return 0;
  int status = 0;
  auto headers =
      nitro_tss::aws::ParseResponseHeaders(in.substr(0, split + 4), &status);
  if (!headers.ok()) return 0;
  const std::string body = in.substr(split + 4);
  auto blob = nitro_tss::host::DecodeS3BlobObject(*headers, body, 4096);
  if (blob.ok()) {
    // Canonical: what we would write for the decoded blob is the object.
    if (blob->bytes.empty() || blob->bytes.size() > 4096) abort();
    nitro_tss::host::S3BlobObject again =
        nitro_tss::host::EncodeS3BlobObject(blob->epoch, blob->bytes);
    if (again.body != body) abort();
    if (nitro_tss::host::DigestOf(blob->bytes) != blob->digest) abort();
  }
  return 0;
}
