#include "node/store/share_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace nitro_tss::store {
namespace {

constexpr char kMagic[4] = {'N', 'T', 'S', 'F'};
constexpr uint8_t kVersion = 1;
constexpr char kCurrentName[] = "CURRENT";
constexpr char kTmpSuffix[] = ".tmp";

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("store: ", what, " ", path, ": ", std::strerror(errno)));
}

std::string EpochFileName(uint64_t epoch) {
  return absl::StrFormat("epoch-%020u.sealed", epoch);
}

// Parses "epoch-<20 digits>.sealed" exactly.
std::optional<uint64_t> ParseEpochFileName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "epoch-") ||
      !absl::ConsumeSuffix(&name, ".sealed") || name.size() != 20) {
    return std::nullopt;
  }
  for (char c : name) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(name, &v)) return std::nullopt;
  return v;
}

void PutU64(std::vector<uint8_t>* out, uint64_t v) {
  for (int i = 7; i >= 0; --i)
    out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// SHA-256(a || b).
void Sha256Two(const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len,
               uint8_t out[32]) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a, a_len);
  EVP_DigestUpdate(ctx, b, b_len);
  unsigned int n = 32;
  EVP_DigestFinal_ex(ctx, out, &n);
  EVP_MD_CTX_free(ctx);
}

absl::Status FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open dir", dir);
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  errno = e;
  if (rc != 0) return Errno("fsync dir", dir);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const uint8_t* data, size_t len,
                      const std::string& path) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ReadFileBounded(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("store: no file ", path));
    }
    return Errno("open", path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::DataLossError(
        absl::StrCat("store: ", path, " is not a regular file"));
  }
  const size_t limit = kRecordHeaderBytes + kMaxRecordPayloadBytes;
  if (static_cast<uint64_t>(st.st_size) > limit) {
    close(fd);
    return absl::DataLossError(absl::StrCat("store: ", path, " is ", st.st_size,
                                            " bytes, limit ", limit));
  }
  std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  data.resize(got);
  return data;
}

bool ValidKeyName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status MkdirIfMissing(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("mkdir", path);
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Errno("stat", path);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: ", path, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

}  // namespace

const char* StoreStepName(StoreStep step) {
  static const char* const kNames[] = {
      "StageTempCreated",       "StageTempHalfWritten",   "StageTempWritten",
      "StageTempSynced",        "StageRenamed",           "StageDirSynced",
      "ConfirmTempCreated",     "ConfirmTempHalfWritten", "ConfirmTempWritten",
      "ConfirmTempSynced",      "ConfirmRenamed",         "ConfirmDirSynced",
      "ConfirmOldEpochsRemoved"};
  return kNames[static_cast<int>(step)];
}

std::vector<uint8_t> EncodeRecord(uint64_t epoch,
                                  absl::Span<const uint8_t> payload) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  out.reserve(kRecordHeaderBytes + payload.size());
  out.push_back(kVersion);
  out.insert(out.end(), 3, 0);
  PutU64(&out, epoch);
  const uint32_t len = static_cast<uint32_t>(payload.size());
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(len >> (8 * i)));
  uint8_t digest[32];
  Sha256Two(out.data(), out.size(), payload.data(), payload.size(), digest);
  out.insert(out.end(), digest, digest + 32);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

absl::StatusOr<StoredShare> DecodeRecord(absl::Span<const uint8_t> r) {
  if (r.size() < kRecordHeaderBytes) {
    return absl::DataLossError(absl::StrCat("store: record is ", r.size(),
                                            " bytes, shorter than its header"));
  }
  if (std::memcmp(r.data(), kMagic, 4) != 0) {
    return absl::InvalidArgumentError("store: bad record magic");
  }
  if (r[4] != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: unsupported record version ", r[4]));
  }
  if (r[5] != 0 || r[6] != 0 || r[7] != 0) {
    return absl::InvalidArgumentError("store: non-zero reserved bytes");
  }
  const uint64_t epoch = GetU64(r.data() + 8);
  uint32_t len = 0;
  for (int i = 16; i < 20; ++i) len = (len << 8) | r[i];
  if (len > kMaxRecordPayloadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: payload length ", len, " exceeds the limit"));
  }
  if (r.size() != kRecordHeaderBytes + len) {
    return absl::DataLossError(
        absl::StrCat("store: record holds ", r.size() - kRecordHeaderBytes,
                     " payload bytes, header says ", len, " (torn write?)"));
  }
  uint8_t digest[32];
  Sha256Two(r.data(), 20, r.data() + kRecordHeaderBytes, len, digest);
  if (CRYPTO_memcmp(digest, r.data() + 20, 32) != 0) {
    return absl::DataLossError("store: record checksum mismatch (corrupt)");
  }
  StoredShare out;
  out.epoch = epoch;
  out.bytes.assign(r.begin() + kRecordHeaderBytes, r.end());
  return out;
}

absl::StatusOr<std::unique_ptr<ShareStore>> ShareStore::Open(
    const std::string& root, const std::string& key_name, uint32_t party_id,
    StoreOptions options) {
  if (root.empty()) return absl::InvalidArgumentError("store: empty root");
  if (!ValidKeyName(key_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: key name must be 1..64 of [A-Za-z0-9._-], got '",
                     absl::CHexEscape(key_name.substr(0, 80)), "'"));
  }
  const std::string key_dir = absl::StrCat(root, "/", key_name);
  const std::string dir = absl::StrCat(key_dir, "/party-", party_id);
  for (const std::string& d : {root, key_dir, dir}) {
    if (absl::Status s = MkdirIfMissing(d); !s.ok()) return s;
  }
  // Remove leftovers of interrupted writes.
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Errno("opendir", dir);
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    if (absl::EndsWith(e->d_name, kTmpSuffix)) stale.push_back(e->d_name);
  }
  closedir(d);
  for (const std::string& name : stale) {
    unlink(absl::StrCat(dir, "/", name).c_str());
  }
  if (!stale.empty()) {
    if (absl::Status s = FsyncDir(dir); !s.ok()) return s;
  }
  return std::unique_ptr<ShareStore>(new ShareStore(dir, std::move(options)));
}

absl::Status ShareStore::WriteAtomically(const std::string& name,
                                         const std::vector<uint8_t>& data,
                                         StoreStep first_step) {
  const int base = static_cast<int>(first_step);
  auto step = [&](int offset) { Step(static_cast<StoreStep>(base + offset)); };
  const std::string final_path = absl::StrCat(dir_, "/", name);
  const std::string tmp_path = absl::StrCat(final_path, kTmpSuffix);
  int fd = open(tmp_path.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno("create", tmp_path);
  step(0);  // TempCreated
  const size_t half = data.size() / 2;
  absl::Status s = WriteAll(fd, data.data(), half, tmp_path);
  if (s.ok()) {
    step(1);  // TempHalfWritten
    s = WriteAll(fd, data.data() + half, data.size() - half, tmp_path);
  }
  if (s.ok()) {
    step(2);  // TempWritten
    if (fsync(fd) != 0) s = Errno("fsync", tmp_path);
  }
  close(fd);
  if (!s.ok()) {
    unlink(tmp_path.c_str());
    return s;
  }
  step(3);  // TempSynced
  if (rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    absl::Status err = Errno("rename", tmp_path);
    unlink(tmp_path.c_str());
    return err;
  }
  step(4);  // Renamed
  if (absl::Status ds = FsyncDir(dir_); !ds.ok()) return ds;
  step(5);  // DirSynced
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ShareStore::CurrentEpoch() const {
  const std::string path = absl::StrCat(dir_, "/", kCurrentName);
  absl::StatusOr<std::vector<uint8_t>> raw = ReadFileBounded(path);
  if (!raw.ok()) {
    if (absl::IsNotFound(raw.status())) {
      return absl::NotFoundError(
          absl::StrCat("store: no confirmed epoch in ", dir_));
    }
    return raw.status();
  }
  absl::StatusOr<StoredShare> rec = DecodeRecord(*raw);
  if (!rec.ok()) {
    return absl::DataLossError(
        absl::StrCat("store: CURRENT: ", rec.status().message()));
  }
  if (rec->bytes.size() != 8 || GetU64(rec->bytes.data()) != rec->epoch) {
    return absl::DataLossError("store: CURRENT has an inconsistent payload");
  }
  return rec->epoch;
}

absl::StatusOr<std::vector<uint64_t>> ShareStore::ListEpochs() const {
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return Errno("opendir", dir_);
  std::vector<uint64_t> out;
  while (dirent* e = readdir(d)) {
    if (std::optional<uint64_t> ep = ParseEpochFileName(e->d_name)) {
      out.push_back(*ep);
    }
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<StoredShare> ShareStore::LoadEpoch(uint64_t epoch) const {
  const std::string path = absl::StrCat(dir_, "/", EpochFileName(epoch));
  absl::StatusOr<std::vector<uint8_t>> raw = ReadFileBounded(path);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<StoredShare> rec = DecodeRecord(*raw);
  if (!rec.ok()) {
    return absl::Status(rec.status().code(),
                        absl::StrCat(path, ": ", rec.status().message()));
  }
  if (rec->epoch != epoch) {
    return absl::DataLossError(absl::StrCat("store: ", path, " holds epoch ",
                                            rec->epoch, " (renamed file?)"));
  }
  return rec;
}

absl::Status ShareStore::Stage(uint64_t epoch,
                               absl::Span<const uint8_t> sealed) {
  if (sealed.empty() || sealed.size() > kMaxRecordPayloadBytes) {
    return absl::InvalidArgumentError(
        "store: sealed share must be 1..1048576 bytes");
  }
  absl::StatusOr<uint64_t> current = CurrentEpoch();
  if (current.ok() && epoch <= *current) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: cannot stage epoch ", epoch,
                     ", confirmed epoch is already ", *current));
  }
  if (!current.ok() && !absl::IsNotFound(current.status())) {
    return current.status();
  }
  return WriteAtomically(EpochFileName(epoch), EncodeRecord(epoch, sealed),
                         StoreStep::kStageTempCreated);
}

absl::Status ShareStore::Confirm(uint64_t epoch) {
  absl::StatusOr<uint64_t> current = CurrentEpoch();
  if (!current.ok() && !absl::IsNotFound(current.status())) {
    return current.status();
  }
  if (current.ok() && *current == epoch) return absl::OkStatus();
  if (current.ok() && epoch < *current) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: cannot confirm epoch ", epoch,
                     ", older than confirmed epoch ", *current));
  }
  RETURN_IF_ERROR(LoadEpoch(epoch));  // the staged record must be valid
  std::vector<uint8_t> pointer;
  PutU64(&pointer, epoch);
  if (absl::Status s =
          WriteAtomically(kCurrentName, EncodeRecord(epoch, pointer),
                          StoreStep::kConfirmTempCreated);
      !s.ok()) {
    return s;
  }
  // Keep the new current and the previous confirmed epoch; drop older ones.
  // Staged epochs newer than `epoch` are left alone.
  absl::StatusOr<std::vector<uint64_t>> epochs = ListEpochs();
  if (epochs.ok() && current.ok()) {
    bool removed = false;
    for (uint64_t e : *epochs) {
      if (e < *current || (e > *current && e < epoch)) {
        unlink(absl::StrCat(dir_, "/", EpochFileName(e)).c_str());
        removed = true;
      }
    }
    if (removed) {
      if (absl::Status s = FsyncDir(dir_); !s.ok()) return s;
    }
  }
  Step(StoreStep::kConfirmOldEpochsRemoved);
  return absl::OkStatus();
}

absl::StatusOr<StoredShare> ShareStore::LoadCurrent() const {
  ASSIGN_OR_RETURN(const uint64_t current, CurrentEpoch());
  absl::StatusOr<StoredShare> share = LoadEpoch(current);
  if (absl::IsNotFound(share.status())) {
    return absl::DataLossError(absl::StrCat("store: confirmed epoch ", current,
                                            " has no record file"));
  }
  return share;
}

absl::StatusOr<StoredShare> ShareStore::LoadPrevious() const {
  ASSIGN_OR_RETURN(const uint64_t current, CurrentEpoch());
  ASSIGN_OR_RETURN(const std::vector<uint64_t> epochs, ListEpochs());
  for (auto it = epochs.rbegin(); it != epochs.rend(); ++it) {
    if (*it >= current) continue;
    absl::StatusOr<StoredShare> share = LoadEpoch(*it);
    if (share.ok()) return share;
  }
  return absl::NotFoundError(
      absl::StrCat("store: no valid epoch before ", current));
}

}  // namespace nitro_tss::store
