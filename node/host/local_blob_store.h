// BlobStore on a local directory: one node/store ShareStore per key and
// party (<root>/<key_id>/party-<id>/, crash-safe: a Put is Stage then
// Confirm, so a crash leaves the old or the new blob, never a torn one).
// The default backend in local mode; on AWS the parent's disk dies with the
// instance, so the S3 backend is used there.
#ifndef NITRO_TSS_NODE_HOST_LOCAL_BLOB_STORE_H_
#define NITRO_TSS_NODE_HOST_LOCAL_BLOB_STORE_H_

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "node/host/blob_store.h"

namespace nitro_tss::host {

struct LocalBlobStoreConfig {
  std::string root;                       // created (0700) if missing
  size_t max_blob_bytes = kMaxBlobBytes;  // 1..kMaxBlobBytes
};

class LocalBlobStore : public BlobStore {
 public:
  // InvalidArgument on a bad config; Internal if `root` cannot be created.
  static absl::StatusOr<std::unique_ptr<LocalBlobStore>> Open(
      LocalBlobStoreConfig config);

  absl::Status Put(const BlobKey& key, uint64_t epoch,
                   absl::Span<const uint8_t> bytes) override;
  absl::StatusOr<Blob> Get(const BlobKey& key, uint64_t min_epoch) override;
  std::string Describe() const override;

 private:
  explicit LocalBlobStore(LocalBlobStoreConfig config)
      : config_(std::move(config)) {}
  std::string PartyDir(const BlobKey& key) const;

  const LocalBlobStoreConfig config_;
  absl::Mutex mu_;  // one writer at a time (ShareStore is not thread-safe)
  BlobWatermarks marks_;
};

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_LOCAL_BLOB_STORE_H_
