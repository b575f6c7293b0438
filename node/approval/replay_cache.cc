#include "node/approval/replay_cache.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::approval {

ReplayCache::ReplayCache(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)) {}

absl::Status ReplayCache::CheckLocked(const Key& key, uint64_t expiry_unix_ms,
                                      uint64_t now_unix_ms) {
  // The clock only moves forward; entries expire against it.
  clock_ = std::max(clock_, now_unix_ms);
  while (!by_expiry_.empty() && by_expiry_.top().first <= clock_) {
    nonces_.erase(by_expiry_.top().second);
    by_expiry_.pop();
  }
  if (expiry_unix_ms <= clock_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "approval request expired: expiry ", expiry_unix_ms,
        " ms is not after the enclave's latest time ", clock_, " ms"));
  }
  if (nonces_.contains(key)) {
    return absl::AlreadyExistsError(
        "approval request nonce was already used (replayed request)");
  }
  if (nonces_.size() >= capacity_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "approval replay cache is full (", capacity_,
        " unexpired requests); retry after the oldest approvals expire"));
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckNonce(absl::Span<const uint8_t> nonce) {
  if (nonce.size() < kMinNonceBytes || nonce.size() > kMaxNonceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("approval request nonce must be ", kMinNonceBytes, "..",
                     kMaxNonceBytes, " bytes, got ", nonce.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReplayCache::Check(absl::Span<const uint8_t> nonce,
                                uint64_t expiry_unix_ms, uint64_t now_unix_ms) {
  if (absl::Status s = CheckNonce(nonce); !s.ok()) return s;
  Key key{};
  key[0] = static_cast<uint8_t>(nonce.size());
  std::memcpy(key.data() + 1, nonce.data(), nonce.size());
  absl::MutexLock lock(&mu_);
  return CheckLocked(key, expiry_unix_ms, now_unix_ms);
}

absl::Status ReplayCache::Record(absl::Span<const uint8_t> nonce,
                                 uint64_t expiry_unix_ms,
                                 uint64_t now_unix_ms) {
  if (absl::Status s = CheckNonce(nonce); !s.ok()) return s;
  Key key{};
  key[0] = static_cast<uint8_t>(nonce.size());
  std::memcpy(key.data() + 1, nonce.data(), nonce.size());
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLocked(key, expiry_unix_ms, now_unix_ms); !s.ok()) {
    return s;
  }
  nonces_.insert(key);
  by_expiry_.emplace(expiry_unix_ms, key);
  return absl::OkStatus();
}

size_t ReplayCache::size() const {
  absl::MutexLock lock(&mu_);
  return nonces_.size();
}

}  // namespace nitro_tss::approval
