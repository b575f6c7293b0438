// Crash-safe store of sealed key-share envelopes on the parent instance.
//
// Layout: <root>/<key_name>/party-<id>/
//   epoch-<20 digits>.sealed   one record per staged/confirmed epoch
//   CURRENT                    record naming the confirmed epoch
//   *.tmp                      leftovers of interrupted writes (ignored,
//                              removed on Open)
//
// Every file is a record: magic "NTSF", version 1, 3 zero bytes, epoch (u64
// BE), payload length (u32 BE), SHA-256 over the preceding 20 header bytes
// and the payload, then the payload. A torn or corrupted record fails the
// checksum (DataLoss); its length must match the file size exactly.
//
// Every write is: create <name>.tmp, write, fsync, rename over <name>, fsync
// the directory. An update is Stage(e, bytes) then Confirm(e): until CURRENT
// is renamed into place the old epoch stays current, afterwards the new one
// is; the previous confirmed epoch is kept (LoadPrevious) until a later
// Confirm supersedes it. A crash at any point therefore leaves either the old
// or the new share readable, never a torn one.
#ifndef NITRO_TSS_NODE_STORE_SHARE_STORE_H_
#define NITRO_TSS_NODE_STORE_SHARE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::store {

inline constexpr size_t kMaxRecordPayloadBytes = 1 << 20;
inline constexpr size_t kRecordHeaderBytes = 4 + 1 + 3 + 8 + 4 + 32;

// The points of an update at which a crash can be injected (in order).
enum class StoreStep {
  kStageTempCreated,
  kStageTempHalfWritten,
  kStageTempWritten,
  kStageTempSynced,
  kStageRenamed,
  kStageDirSynced,
  kConfirmTempCreated,
  kConfirmTempHalfWritten,
  kConfirmTempWritten,
  kConfirmTempSynced,
  kConfirmRenamed,
  kConfirmDirSynced,
  kConfirmOldEpochsRemoved,
};
inline constexpr int kStoreStepCount = 13;
const char* StoreStepName(StoreStep step);

struct StoreOptions {
  // Called at each StoreStep (tests use it to crash the process there).
  std::function<void(StoreStep)> step_hook;
};

struct StoredShare {
  uint64_t epoch = 0;
  std::vector<uint8_t> bytes;
};

// Encodes/decodes one record (exposed for tests and fuzzing). Decode is
// strict: InvalidArgument for bad magic/version/reserved bytes/length,
// DataLoss for a checksum mismatch.
std::vector<uint8_t> EncodeRecord(uint64_t epoch,
                                  absl::Span<const uint8_t> payload);
absl::StatusOr<StoredShare> DecodeRecord(absl::Span<const uint8_t> record);

class ShareStore {
 public:
  // Opens (creating with mode 0700 if needed) <root>/<key_name>/party-<id>
  // and removes leftover *.tmp files. key_name: 1..64 of [A-Za-z0-9._-], not
  // starting with '.'. InvalidArgument / Internal (with errno text) on error.
  static absl::StatusOr<std::unique_ptr<ShareStore>> Open(
      const std::string& root, const std::string& key_name, uint32_t party_id,
      StoreOptions options = {});

  // Durably writes `sealed` as epoch `epoch` (not yet current).
  // FailedPrecondition if epoch <= the confirmed epoch; InvalidArgument if
  // sealed is empty or larger than kMaxRecordPayloadBytes.
  absl::Status Stage(uint64_t epoch, absl::Span<const uint8_t> sealed);

  // Makes a staged epoch current (the formerly current one becomes
  // previous; older epochs are removed). Idempotent for the current epoch.
  // NotFound if nothing was staged for `epoch`; DataLoss if the staged record
  // is corrupt; FailedPrecondition if epoch < current.
  absl::Status Confirm(uint64_t epoch);

  // The confirmed share. NotFound if none; DataLoss if its file is corrupt.
  absl::StatusOr<StoredShare> LoadCurrent() const;

  // The newest valid epoch older than the confirmed one. NotFound if none.
  absl::StatusOr<StoredShare> LoadPrevious() const;

  // The confirmed epoch, if any (NotFound otherwise, DataLoss if CURRENT is
  // corrupt).
  absl::StatusOr<uint64_t> CurrentEpoch() const;

  // Epochs with a record file present (valid or not), ascending.
  absl::StatusOr<std::vector<uint64_t>> ListEpochs() const;

  const std::string& directory() const { return dir_; }

 private:
  ShareStore(std::string dir, StoreOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  void Step(StoreStep s) const {
    if (options_.step_hook) options_.step_hook(s);
  }
  // Atomic durable replace of <dir>/<name>; `first_step` is the *TempCreated
  // step of the sequence to report.
  absl::Status WriteAtomically(const std::string& name,
                               const std::vector<uint8_t>& data,
                               StoreStep first_step);
  absl::StatusOr<StoredShare> LoadEpoch(uint64_t epoch) const;

  std::string dir_;
  StoreOptions options_;
};

}  // namespace nitro_tss::store

#endif  // NITRO_TSS_NODE_STORE_SHARE_STORE_H_
