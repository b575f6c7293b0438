// The host's store of sealed blobs (sealed key shares), addressed by
// (key id, party id). The bytes are opaque to the host: it never parses the
// sealed record. Each blob carries the epoch its writer (the enclave) stated;
// the store keeps epochs monotonic and the enclave checks the epoch sealed
// inside the record (node/kms/sealed_share.h, UnsealExpectation::min_epoch)
// against the one it trusts, so a rolled-back blob is refused there even if
// everything on the host lies.
//
// Backends: LocalBlobStore (a directory, node/store's crash-safe ShareStore;
// local mode) and S3BlobStore (a versioned S3 bucket; survives the loss of
// the parent instance).
//
// Status codes, the same for every backend:
//   NotFound            no blob for the key
//   FailedPrecondition  Put of an epoch older than the stored one, or of the
//                       stored epoch with other bytes ("stale"/"conflict");
//                       a concurrent writer won the conditional write;
//                       Get of a blob older than min_epoch or than a blob
//                       this process already stored or read for the key
//                       ("rolled back"), or of the same epoch with other
//                       bytes ("overwritten"); backend misconfigured
//                       (S3 bucket missing or not versioned)
//   InvalidArgument     bad key, empty or oversized blob on Put
//   DataLoss            the stored object is not a valid blob (corrupt,
//                       oversized, missing or inconsistent metadata)
//   Unavailable         retryable transport/service failure (S3 error code
//                       and HTTP status in the message)
//   Unauthenticated / PermissionDenied   S3 refused the credentials
#ifndef NITRO_TSS_NODE_HOST_BLOB_STORE_H_
#define NITRO_TSS_NODE_HOST_BLOB_STORE_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace nitro_tss::host {

// Hard upper bound of a blob (a sealed share is < 80 KiB); backends may be
// configured lower.
inline constexpr size_t kMaxBlobBytes = 1 << 20;

struct BlobKey {
  // The key's name as the host knows it (e.g. hex of the 32-byte key id):
  // 1..64 characters of [A-Za-z0-9._-], not starting with '.'.
  std::string key_id;
  uint32_t party_id = 0;

  friend bool operator<(const BlobKey& a, const BlobKey& b) {
    return std::tie(a.key_id, a.party_id) < std::tie(b.key_id, b.party_id);
  }
};

// InvalidArgument naming the defect.
absl::Status ValidateBlobKey(const BlobKey& key);

struct Blob {
  // The epoch stated by the writer. The enclave must check the epoch sealed
  // in `bytes` (which the host cannot read) against the epoch it trusts.
  uint64_t epoch = 0;
  std::vector<uint8_t> bytes;
  // Backend's identifier of this stored version (S3 version id; local:
  // "epoch-<n>"). For diagnostics.
  std::string version;
};

using BlobDigest = std::array<uint8_t, 32>;  // SHA-256 of the bytes
BlobDigest DigestOf(absl::Span<const uint8_t> bytes);

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `bytes` as `epoch` of `key` and makes it the blob Get returns.
  // Idempotent: storing the current epoch again with the same bytes is OK.
  // FailedPrecondition if the store holds a newer epoch, the same epoch with
  // other bytes, or another writer changed the blob meanwhile.
  virtual absl::Status Put(const BlobKey& key, uint64_t epoch,
                           absl::Span<const uint8_t> bytes) = 0;

  // The current blob of `key`. FailedPrecondition ("rolled back") if its
  // epoch is below `min_epoch` (the lowest epoch the caller trusts; 0 for
  // none) or below what this store object wrote or returned earlier for the
  // key, or ("overwritten") if it has an epoch seen before with other bytes.
  virtual absl::StatusOr<Blob> Get(const BlobKey& key, uint64_t min_epoch) = 0;

  // "local:<dir>" or "s3://<bucket>/<prefix>", for logs and messages.
  virtual std::string Describe() const = 0;
};

// The newest (epoch, digest) a store object has written or returned per key:
// a backend whose data is rolled back or replaced behind this process's
// back is detected (a replaced host starts without marks: then min_epoch,
// and ultimately the enclave's check, protect it). Thread-safe.
class BlobWatermarks {
 public:
  // FailedPrecondition unless (epoch, digest) is as new as the mark of
  // `key`; `where` names the store in the message.
  absl::Status Check(const BlobKey& key, uint64_t epoch,
                     const BlobDigest& digest, absl::string_view where) const;
  // Raises the mark of `key` to (epoch, digest) if epoch is newer.
  void Record(const BlobKey& key, uint64_t epoch, const BlobDigest& digest);

 private:
  mutable absl::Mutex mu_;
  std::map<BlobKey, std::pair<uint64_t, BlobDigest>> marks_
      ABSL_GUARDED_BY(mu_);
};

// FailedPrecondition if `epoch` < `min_epoch` (message names both and
// `where`).
absl::Status CheckMinEpoch(uint64_t epoch, uint64_t min_epoch,
                           absl::string_view where);

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_BLOB_STORE_H_
