// Crash-safe share store: a forked writer is killed at every step of an
// update (both with _exit and SIGKILL); afterwards the store always yields
// either the old or the new share, never a torn one. Plus corruption
// detection and API contract tests.
#include "node/store/share_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace nitro_tss::store {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> Bytes(char fill, size_t n) {
  return std::vector<uint8_t>(n, static_cast<uint8_t>(fill));
}

class ShareStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(
        ::testing::TempDir(), "/share-store-", getpid(), "-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::unique_ptr<ShareStore> Open(StoreOptions options = {}) {
    absl::StatusOr<std::unique_ptr<ShareStore>> s =
        ShareStore::Open(root_, "group-key-1", 2, std::move(options));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  std::string root_;
};

TEST_F(ShareStoreTest, StageConfirmLoadAndPrevious) {
  auto store = Open();
  EXPECT_EQ(store->LoadCurrent().status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->Stage(1, Bytes('a', 100)).ok());
  EXPECT_EQ(store->LoadCurrent().status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->Confirm(1).ok());
  EXPECT_EQ(store->LoadCurrent()->bytes, Bytes('a', 100));
  EXPECT_EQ(store->LoadPrevious().status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->Stage(2, Bytes('b', 120)).ok());
  EXPECT_EQ(store->LoadCurrent()->epoch, 1u);  // not yet confirmed
  ASSERT_TRUE(store->Confirm(2).ok());
  EXPECT_EQ(store->LoadCurrent()->bytes, Bytes('b', 120));
  EXPECT_EQ(store->LoadPrevious()->bytes, Bytes('a', 100));
  ASSERT_TRUE(store->Stage(3, Bytes('c', 10)).ok());
  ASSERT_TRUE(store->Confirm(3).ok());
  EXPECT_EQ(store->LoadPrevious()->epoch, 2u);
  // Epoch 1 was garbage-collected; only previous + current remain.
  absl::StatusOr<std::vector<uint64_t>> epochs = store->ListEpochs();
  ASSERT_TRUE(epochs.ok());
  EXPECT_EQ(*epochs, std::vector<uint64_t>({2, 3}));
  // Confirm is idempotent; going backwards is refused.
  EXPECT_TRUE(store->Confirm(3).ok());
  EXPECT_EQ(store->Confirm(2).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Stage(3, Bytes('x', 1)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Confirm(9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Stage(4, {}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ShareStoreTest, RejectsBadKeyNames) {
  for (const char* bad : {"", "..", ".hidden", "a/b", "a b", "k\n"}) {
    EXPECT_EQ(ShareStore::Open(root_, bad, 1).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(ShareStoreTest, DirectoryAndFilesArePrivate) {
  auto store = Open();
  ASSERT_TRUE(store->Stage(1, Bytes('a', 10)).ok());
  struct stat st;
  ASSERT_EQ(stat(store->directory().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(
      stat((store->directory() + "/epoch-00000000000000000001.sealed").c_str(),
           &st),
      0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// --- Corruption detection. ---

TEST(ShareStoreRecord, EveryTruncationAndBitFlipIsDetected) {
  const std::vector<uint8_t> rec = EncodeRecord(7, Bytes('s', 40));
  ASSERT_TRUE(DecodeRecord(rec).ok());
  for (size_t n = 0; n < rec.size(); ++n) {
    EXPECT_FALSE(DecodeRecord(absl::MakeConstSpan(rec.data(), n)).ok()) << n;
  }
  for (size_t i = 0; i < rec.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      std::vector<uint8_t> m = rec;
      m[i] ^= static_cast<uint8_t>(1 << b);
      EXPECT_FALSE(DecodeRecord(m).ok()) << i << "/" << b;
    }
  }
  std::vector<uint8_t> longer = rec;
  longer.push_back(0);
  EXPECT_EQ(DecodeRecord(longer).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(ShareStoreTest, CorruptFilesAreReportedAsDataLoss) {
  auto store = Open();
  ASSERT_TRUE(store->Stage(1, Bytes('a', 64)).ok());
  ASSERT_TRUE(store->Confirm(1).ok());
  ASSERT_TRUE(store->Stage(2, Bytes('b', 64)).ok());
  ASSERT_TRUE(store->Confirm(2).ok());
  const std::string cur =
      store->directory() + "/epoch-00000000000000000002.sealed";
  // Torn (truncated) current file.
  fs::resize_file(cur, fs::file_size(cur) - 10);
  absl::Status s = store->LoadCurrent().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "torn")) << s;
  // The previous epoch is still available for recovery.
  EXPECT_EQ(store->LoadPrevious()->bytes, Bytes('a', 64));
  // A bit flip in the previous file.
  const std::string prev =
      store->directory() + "/epoch-00000000000000000001.sealed";
  {
    std::fstream f(prev, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(kRecordHeaderBytes + 5);
    f.put('X');
  }
  EXPECT_EQ(store->LoadPrevious().status().code(), absl::StatusCode::kNotFound);
  // A record renamed to another epoch.
  fs::copy_file(prev,
                store->directory() + "/epoch-00000000000000000005.sealed");
  // Corrupt CURRENT.
  {
    std::ofstream f(store->directory() + "/CURRENT",
                    std::ios::binary | std::ios::trunc);
    f << "garbage";
  }
  s = store->LoadCurrent().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "CURRENT")) << s;
}

TEST_F(ShareStoreTest, RecordUnderWrongEpochNameIsDataLoss) {
  auto store = Open();
  ASSERT_TRUE(store->Stage(1, Bytes('a', 8)).ok());
  fs::rename(store->directory() + "/epoch-00000000000000000001.sealed",
             store->directory() + "/epoch-00000000000000000004.sealed");
  absl::Status s = store->Confirm(4);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

// --- Crash injection: kill the writer between every step. ---

enum class CrashMode { kExit, kSigkill };

// Runs `update` in a forked child whose step hook crashes at `crash_at`.
// Returns the child's wait status.
int RunChildAndCrash(const std::string& root, StoreStep crash_at,
                     CrashMode mode, uint64_t epoch,
                     const std::vector<uint8_t>& bytes) {
  pid_t pid = fork();
  if (pid == 0) {
    StoreOptions options;
    options.step_hook = [crash_at, mode](StoreStep s) {
      if (s != crash_at) return;
      if (mode == CrashMode::kExit) _exit(42);
      kill(getpid(), SIGKILL);
    };
    auto store = ShareStore::Open(root, "group-key-1", 2, options);
    if (!store.ok()) _exit(10);
    if (!(*store)->Stage(epoch, bytes).ok()) _exit(11);
    if (!(*store)->Confirm(epoch).ok()) _exit(12);
    _exit(0);  // no crash happened (should not occur)
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST_F(ShareStoreTest, CrashAtEveryStepLeavesOldOrNewShare) {
  const std::vector<uint8_t> old_share = Bytes('o', 3000);
  const std::vector<uint8_t> new_share = Bytes('n', 3500);
  for (CrashMode mode : {CrashMode::kExit, CrashMode::kSigkill}) {
    for (int i = 0; i < kStoreStepCount; ++i) {
      const StoreStep step = static_cast<StoreStep>(i);
      SCOPED_TRACE(absl::StrCat(StoreStepName(step), mode == CrashMode::kExit
                                                         ? " (_exit)"
                                                         : " (SIGKILL)"));
      fs::remove_all(root_);
      {
        auto store = Open();
        ASSERT_TRUE(store->Stage(1, old_share).ok());
        ASSERT_TRUE(store->Confirm(1).ok());
      }
      int status = RunChildAndCrash(root_, step, mode, 2, new_share);
      if (mode == CrashMode::kExit) {
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 42) << "child did not reach the step";
      } else {
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_EQ(WTERMSIG(status), SIGKILL);
      }
      // After the crash: reopen (as a restarted parent would).
      auto store = Open();
      absl::StatusOr<StoredShare> cur = store->LoadCurrent();
      ASSERT_TRUE(cur.ok()) << cur.status();
      const bool committed = i >= static_cast<int>(StoreStep::kConfirmRenamed);
      if (committed) {
        EXPECT_EQ(cur->epoch, 2u);
        EXPECT_EQ(cur->bytes, new_share);
        absl::StatusOr<StoredShare> prev = store->LoadPrevious();
        ASSERT_TRUE(prev.ok()) << prev.status();
        EXPECT_EQ(prev->bytes, old_share);
      } else {
        EXPECT_EQ(cur->epoch, 1u);
        EXPECT_EQ(cur->bytes, old_share);
      }
      // No temp file survives a reopen, and no epoch file is torn.
      for (const auto& e : fs::directory_iterator(store->directory())) {
        EXPECT_FALSE(absl::EndsWith(e.path().string(), ".tmp")) << e.path();
      }
      absl::StatusOr<std::vector<uint64_t>> epochs = store->ListEpochs();
      ASSERT_TRUE(epochs.ok());
      for (uint64_t e : *epochs) {
        std::ifstream f(
            store->directory() + absl::StrFormat("/epoch-%020u.sealed", e),
            std::ios::binary);
        std::vector<uint8_t> raw((std::istreambuf_iterator<char>(f)),
                                 std::istreambuf_iterator<char>());
        EXPECT_TRUE(DecodeRecord(raw).ok()) << "torn epoch file " << e;
      }
      // The interrupted update can simply be retried.
      if (!committed) {
        ASSERT_TRUE(store->Stage(2, new_share).ok());
        ASSERT_TRUE(store->Confirm(2).ok());
      }
      EXPECT_EQ(store->LoadCurrent()->bytes, new_share);
    }
  }
}

}  // namespace
}  // namespace nitro_tss::store
