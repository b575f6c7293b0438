#include "node/host/local_blob_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "node/store/share_store.h"

namespace nitro_tss::host {
namespace {

absl::Status CheckSize(size_t n, size_t max) {
  if (n == 0 || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob store: a blob must be 1..", max, " bytes, not ", n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalBlobStore>> LocalBlobStore::Open(
    LocalBlobStoreConfig config) {
  if (config.root.empty()) {
    return absl::InvalidArgumentError("blob store (local): root is required");
  }
  if (config.max_blob_bytes == 0 || config.max_blob_bytes > kMaxBlobBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "blob store (local): max_blob_bytes must be 1..", kMaxBlobBytes));
  }
  if (mkdir(config.root.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat(
        "blob store (local): mkdir ", config.root, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (stat(config.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob store (local): ", config.root, " is not a directory"));
  }
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(std::move(config)));
}

std::string LocalBlobStore::Describe() const {
  return absl::StrCat("local:", config_.root);
}

std::string LocalBlobStore::PartyDir(const BlobKey& key) const {
  return absl::StrCat(config_.root, "/", key.key_id, "/party-", key.party_id);
}

absl::Status LocalBlobStore::Put(const BlobKey& key, uint64_t epoch,
                                 absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  RETURN_IF_ERROR(CheckSize(bytes.size(), config_.max_blob_bytes));
  const std::string where = PartyDir(key);
  const BlobDigest digest = DigestOf(bytes);
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      std::unique_ptr<store::ShareStore> s,
      store::ShareStore::Open(config_.root, key.key_id, key.party_id));
  absl::StatusOr<store::StoredShare> current = s->LoadCurrent();
  if (current.ok()) {
    if (current->epoch > epoch) {
      return absl::FailedPreconditionError(absl::StrCat(
          "blob store: ", where, " holds epoch ", current->epoch,
          ", refusing to store the older epoch ", epoch, " (stale writer)"));
    }
    if (current->epoch == epoch) {
      if (DigestOf(current->bytes) != digest) {
        return absl::FailedPreconditionError(absl::StrCat(
            "blob store: ", where, " already holds other bytes for epoch ",
            epoch, " (conflict)"));
      }
      marks_.Record(key, epoch, digest);
      return absl::OkStatus();  // idempotent repeat
    }
  } else if (!absl::IsNotFound(current.status())) {
    return current.status();
  }
  RETURN_IF_ERROR(s->Stage(epoch, bytes));
  RETURN_IF_ERROR(s->Confirm(epoch));
  marks_.Record(key, epoch, digest);
  return absl::OkStatus();
}

absl::StatusOr<Blob> LocalBlobStore::Get(const BlobKey& key,
                                         uint64_t min_epoch) {
  RETURN_IF_ERROR(ValidateBlobKey(key));
  const std::string where = PartyDir(key);
  struct stat st;
  if (stat(where.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("blob store: no blob in ", where));
    }
    return absl::InternalError(
        absl::StrCat("blob store: stat ", where, ": ", std::strerror(errno)));
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      std::unique_ptr<store::ShareStore> s,
      store::ShareStore::Open(config_.root, key.key_id, key.party_id));
  absl::StatusOr<store::StoredShare> current = s->LoadCurrent();
  if (!current.ok()) {
    if (absl::IsNotFound(current.status())) {
      return absl::NotFoundError(
          absl::StrCat("blob store: no blob in ", where));
    }
    if (absl::IsInvalidArgument(current.status())) {  // bad record header
      return absl::DataLossError(current.status().message());
    }
    return current.status();
  }
  if (current->bytes.empty() ||
      current->bytes.size() > config_.max_blob_bytes) {
    return absl::DataLossError(absl::StrCat(
        "blob store: ", where, " holds a blob of ", current->bytes.size(),
        " bytes, outside 1..", config_.max_blob_bytes));
  }
  const BlobDigest digest = DigestOf(current->bytes);
  RETURN_IF_ERROR(CheckMinEpoch(current->epoch, min_epoch, where));
  RETURN_IF_ERROR(marks_.Check(key, current->epoch, digest, where));
  marks_.Record(key, current->epoch, digest);
  Blob out;
  out.epoch = current->epoch;
  out.bytes = std::move(current->bytes);
  out.version = absl::StrCat("epoch-", out.epoch);
  return out;
}

}  // namespace nitro_tss::host
