#include "node/host/blob_store.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::host {

absl::Status ValidateBlobKey(const BlobKey& key) {
  const std::string& id = key.key_id;
  bool ok = !id.empty() && id.size() <= 64 && id[0] != '.';
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      ok = false;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "blob store: key id must be 1..64 characters of [A-Za-z0-9._-], not "
        "starting with '.'");
  }
  return absl::OkStatus();
}

BlobDigest DigestOf(absl::Span<const uint8_t> bytes) {
  BlobDigest d;
  SHA256(bytes.data(), bytes.size(), d.data());
  return d;
}

absl::Status CheckMinEpoch(uint64_t epoch, uint64_t min_epoch,
                           absl::string_view where) {
  if (epoch < min_epoch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "blob store: ", where, " holds epoch ", epoch,
        ", older than the required epoch ", min_epoch, " (rolled back?)"));
  }
  return absl::OkStatus();
}

absl::Status BlobWatermarks::Check(const BlobKey& key, uint64_t epoch,
                                   const BlobDigest& digest,
                                   absl::string_view where) const {
  absl::MutexLock lock(&mu_);
  auto it = marks_.find(key);
  if (it == marks_.end()) return absl::OkStatus();
  const auto& [mark_epoch, mark_digest] = it->second;
  if (epoch < mark_epoch) {
    return absl::FailedPreconditionError(
        absl::StrCat("blob store: ", where, " now holds epoch ", epoch,
                     " but this host already stored or read epoch ", mark_epoch,
                     " (rolled back)"));
  }
  if (epoch == mark_epoch && digest != mark_digest) {
    return absl::FailedPreconditionError(
        absl::StrCat("blob store: ", where, " holds other bytes for epoch ",
                     epoch, " than this host stored or read (overwritten)"));
  }
  return absl::OkStatus();
}

void BlobWatermarks::Record(const BlobKey& key, uint64_t epoch,
                            const BlobDigest& digest) {
  absl::MutexLock lock(&mu_);
  auto it = marks_.find(key);
  if (it == marks_.end() || epoch > it->second.first) {
    marks_[key] = {epoch, digest};
  }
}

}  // namespace nitro_tss::host
