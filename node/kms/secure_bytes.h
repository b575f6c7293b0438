// A byte buffer for secrets (data keys, plaintext shares): zeroized with
// sodium_memzero when destroyed, cleared or overwritten; never copied
// implicitly.
#ifndef NITRO_TSS_NODE_KMS_SECURE_BYTES_H_
#define NITRO_TSS_NODE_KMS_SECURE_BYTES_H_

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace nitro_tss::kms {

class SecureBytes {
 public:
  SecureBytes() = default;
  // A zero-filled buffer of `size` bytes.
  explicit SecureBytes(size_t size) : bytes_(size, 0) {}
  // Copies `data` (the caller remains responsible for wiping its copy).
  explicit SecureBytes(absl::Span<const uint8_t> data)
      : bytes_(data.begin(), data.end()) {}
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;
  SecureBytes(SecureBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecureBytes& operator=(SecureBytes&& other) noexcept {
    if (this != &other) {
      Clear();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  ~SecureBytes() { Clear(); }

  // Zeroizes and empties the buffer.
  void Clear() {
    if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
    bytes_.clear();
    bytes_.shrink_to_fit();
  }
  // Shrinks to `size` bytes, zeroizing the removed tail. size <= this->size().
  void Truncate(size_t size) {
    if (size < bytes_.size()) {
      sodium_memzero(bytes_.data() + size, bytes_.size() - size);
      bytes_.resize(size);
    }
  }
  // An explicit deep copy.
  SecureBytes Clone() const { return SecureBytes(span()); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  absl::Span<const uint8_t> span() const { return bytes_; }
  absl::Span<uint8_t> mutable_span() { return absl::MakeSpan(bytes_); }

 private:
  // Never reallocated after construction except by Truncate (which does not
  // reallocate), so no unwiped copies are left behind.
  std::vector<uint8_t> bytes_;
};

}  // namespace nitro_tss::kms

#endif  // NITRO_TSS_NODE_KMS_SECURE_BYTES_H_
