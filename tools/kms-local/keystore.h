// SQLite storage of tss-kms-local keys and aliases.
//
// Key material is never stored in clear: each 32-byte AES key is sealed with
// XChaCha20-Poly1305 (libsodium) under a 32-byte master key, with the key id
// as associated data (so sealed material cannot be moved between rows). The
// schema is versioned with PRAGMA user_version (current: 1); opening a
// database with another version fails.
//
// Thread-safe: one connection guarded by a mutex.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_KEYSTORE_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_KEYSTORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;

namespace nitro_tss::kms_local {

inline constexpr int kKeyStoreSchemaVersion = 1;
inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr size_t kKeyMaterialBytes = 32;

// A byte buffer zeroized (sodium_memzero) on destruction and reassignment.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : bytes_(n) {}
  SecretBytes(const uint8_t* p, size_t n) : bytes_(p, p + n) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes(SecretBytes&& o) noexcept : bytes_(std::move(o.bytes_)) {}
  SecretBytes& operator=(const SecretBytes& o);
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes();
  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

struct KeyRecord {
  std::string key_id;  // UUID
  std::string arn;
  int64_t creation_unix = 0;
  std::string description;
  std::string policy;  // JSON policy document text
  std::string state = "Enabled";
  SecretBytes material;  // kKeyMaterialBytes
};

class KeyStore {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" allowed).
  // `master_key` must be kMasterKeyBytes. Errors: InvalidArgument for a bad
  // master key, FailedPrecondition for an unknown schema version,
  // Internal for SQLite failures.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Open(
      const std::string& path, const SecretBytes& master_key);
  ~KeyStore();

  // Inserts a new key. AlreadyExists if the id is taken.
  absl::Status CreateKey(const KeyRecord& key);
  // Loads and unseals a key. NotFound if absent; DataLoss if the sealed
  // material does not authenticate under the master key.
  absl::StatusOr<KeyRecord> GetKey(const std::string& key_id);
  // Replaces a key's policy. NotFound if absent.
  absl::Status UpdatePolicy(const std::string& key_id,
                            const std::string& policy);
  // Key ids in creation order.
  absl::StatusOr<std::vector<std::string>> ListKeyIds();
  // Adds alias -> key. AlreadyExists if the alias exists.
  absl::Status CreateAlias(const std::string& alias_name,
                           const std::string& key_id);
  // The key id of an alias. NotFound if absent.
  absl::StatusOr<std::string> ResolveAlias(const std::string& alias_name);
  // (alias, key id) pairs sorted by alias.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  ListAliases();

 private:
  KeyStore(sqlite3* db, const SecretBytes& master_key)
      : db_(db), master_key_(master_key) {}
  absl::Status Exec(const char* sql);

  std::mutex mu_;
  sqlite3* db_;
  SecretBytes master_key_;
};

// Reads a master key: a file holding 32 raw bytes or 64 hex characters
// (optionally followed by a newline). Errors name the file and the defect.
absl::StatusOr<SecretBytes> ReadMasterKeyFile(const std::string& path);
// Parses 64 hex characters into a master key.
absl::StatusOr<SecretBytes> ParseMasterKeyHex(absl::string_view hex);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_KEYSTORE_H_
