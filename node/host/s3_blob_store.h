// BlobStore on Amazon S3 (or an S3-compatible server): one object per key
// and party, <prefix><key_id>/party-<id>.blob, in a bucket that must have
// versioning enabled (so an overwrite or delete can be undone and audited).
//
// The object body is a node/store record (store::EncodeRecord: magic,
// version, epoch, length, SHA-256, then the blob), the same checksummed
// framing the local backend writes to disk; the epoch is also sent as the
// metadata header x-amz-meta-nitro-tss-epoch (for operators: `head-object`
// shows it) and must agree with the record. A Get refuses an object that is
// not such a record, is larger than the limit or whose header disagrees
// (DataLoss). Because the epoch is inside the body, two epochs never share
// an ETag (S3's ETag is the MD5 of the body), which the conditional write
// below relies on.
//
// Put reads the current object, refuses an older epoch or the same epoch
// with other bytes (FailedPrecondition), then writes with a conditional
// request: If-Match: <ETag of what it read>, or If-None-Match: * when there
// was nothing, so a concurrent writer (another host that believes it owns
// the party) cannot be silently overwritten: S3 answers 412/409 and Put
// returns FailedPrecondition. If the ambiguous outcome of a retried request
// left exactly our blob in place, Put succeeds. A Put answered without a
// version id (bucket not versioned) returns FailedPrecondition.
//
// A replaced parent instance (empty disk) finds the blob again with the
// same bucket, prefix, key id and party id.
#ifndef NITRO_TSS_NODE_HOST_S3_BLOB_STORE_H_
#define NITRO_TSS_NODE_HOST_S3_BLOB_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "node/aws/s3_client.h"
#include "node/host/blob_store.h"

namespace nitro_tss::host {

inline constexpr absl::string_view kS3EpochHeader =
    "x-amz-meta-nitro-tss-epoch";

struct S3BlobStoreConfig {
  aws::S3ClientConfig s3;
  // "" or up to 256 characters of [A-Za-z0-9._-/] ending in '/', without
  // a leading '/', "//", "." or ".." segments (e.g. "nitro-tss/prod/").
  std::string prefix;
  size_t max_blob_bytes = kMaxBlobBytes;  // 1..kMaxBlobBytes
  bool require_versioning = true;
  // Called by Put between reading the current object and the conditional
  // write (tests interleave a concurrent writer there). Unset in production.
  std::function<void(const BlobKey&)> before_conditional_write;
};

// The object Put writes for (epoch, blob): body and metadata headers
// (exposed for tests).
struct S3BlobObject {
  std::string body;
  std::vector<aws::HttpHeader> headers;
};
S3BlobObject EncodeS3BlobObject(uint64_t epoch, absl::Span<const uint8_t> blob);

// Strict decoding of a stored object (exposed for tests and fuzzing):
// DataLoss naming the defect if the body is not a valid record (bad magic,
// version, length or checksum), the blob is outside 1..max_blob_bytes, or
// the epoch header is missing, duplicated, not canonical decimal or not the
// record's epoch.
struct DecodedS3Blob {
  uint64_t epoch = 0;
  std::vector<uint8_t> bytes;
  BlobDigest digest{};
};
absl::StatusOr<DecodedS3Blob> DecodeS3BlobObject(
    const std::vector<aws::HttpHeader>& headers, absl::string_view body,
    size_t max_blob_bytes);

class S3BlobStore : public BlobStore {
 public:
  // InvalidArgument on a bad config.
  static absl::StatusOr<std::unique_ptr<S3BlobStore>> Create(
      S3BlobStoreConfig config,
      std::shared_ptr<aws::CredentialSource> credentials);

  absl::Status Put(const BlobKey& key, uint64_t epoch,
                   absl::Span<const uint8_t> bytes) override;
  absl::StatusOr<Blob> Get(const BlobKey& key, uint64_t min_epoch) override;
  std::string Describe() const override;

  // The object key of `key` ("<prefix><key_id>/party-<id>.blob").
  std::string ObjectKey(const BlobKey& key) const;

 private:
  struct Current {
    DecodedS3Blob blob;
    std::string etag;
    std::string version_id;
  };
  S3BlobStore(S3BlobStoreConfig config, std::unique_ptr<aws::S3Client> client)
      : config_(std::move(config)), client_(std::move(client)) {}
  // The stored object, decoded; NotFound if there is none.
  absl::StatusOr<Current> ReadCurrent(const BlobKey& key);

  const S3BlobStoreConfig config_;
  const std::unique_ptr<aws::S3Client> client_;
  absl::Mutex put_mu_;  // one Put at a time from this host
  BlobWatermarks marks_;
};

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_S3_BLOB_STORE_H_
