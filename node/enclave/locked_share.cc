#include "node/enclave/locked_share.h"

#include "absl/strings/str_cat.h"
#include "mpc/math/locked_memory.h"
#include "mpc/math/secure_bytes.h"

namespace nitro_tss::enclave {

namespace gg20 = mpc::gg20;

absl::StatusOr<std::shared_ptr<const gg20::KeyShare>> LoadLockedKeyShare(
    absl::Span<const uint8_t> record) {
  if (!mpc::LockedMemory::Initialized()) {
    return absl::FailedPreconditionError(
        "key share: locked memory is not initialized");
  }
  std::shared_ptr<const gg20::KeyShare> out;
  bool overflowed = false;
  {
    mpc::LockedScope scope;
    absl::StatusOr<gg20::KeyShare> share =
        gg20::KeyShare::FromRecordBytes(record);
    if (!share.ok()) return share.status();
    out = std::allocate_shared<gg20::KeyShare>(
        mpc::WipingAllocator<gg20::KeyShare>(), *std::move(share));
    overflowed = scope.overflowed();
  }
  if (overflowed) {
    const mpc::LockedMemoryStats stats = mpc::LockedMemory::Stats();
    return absl::ResourceExhaustedError(absl::StrCat(
        "key share: locked memory is full (", stats.in_use, " of ",
        stats.capacity,
        " bytes in use); raise limits.locked_memory_bytes or load fewer "
        "keys"));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const gg20::KeyShare>> LockKeyShare(
    const gg20::KeyShare& share) {
  const mpc::SecureBytes record = share.ToRecordBytes();
  return LoadLockedKeyShare(absl::MakeConstSpan(record.data(), record.size()));
}

}  // namespace nitro_tss::enclave
