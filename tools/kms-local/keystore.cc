#include "tools/kms-local/keystore.h"

#include <sodium.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace nitro_tss::kms_local {

SecretBytes& SecretBytes::operator=(const SecretBytes& o) {
  if (this != &o) {
    Wipe();
    bytes_ = o.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    Wipe();
    bytes_ = std::move(o.bytes_);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
}

namespace {

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr absl::string_view kMaterialAadPrefix = "tss-kms-local/v1/key/";

// RAII for prepared statements.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Text(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  void Blob(int i, const std::vector<uint8_t>& b) {
    sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()),
                      SQLITE_TRANSIENT);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  std::string ColText(int i) {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           sqlite3_column_bytes(stmt_, i))
             : std::string();
  }
  std::vector<uint8_t> ColBlob(int i) {
    const uint8_t* p =
        static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, i));
    const int n = sqlite3_column_bytes(stmt_, i);
    return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

absl::Status SqlError(sqlite3* db, absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("keystore: ", what, ": ", sqlite3_errmsg(db)));
}

std::string MaterialAad(const std::string& key_id) {
  return absl::StrCat(kMaterialAadPrefix, key_id);
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Open(
    const std::string& path, const SecretBytes& master_key) {
  if (master_key.size() != kMasterKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("keystore: master key must be ", kMasterKeyBytes,
                     " bytes, got ", master_key.size()));
  }
  if (sodium_init() < 0) return absl::InternalError("sodium_init failed");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(
          path.c_str(), &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
          nullptr) != SQLITE_OK) {
    absl::Status s = absl::InternalError(
        absl::StrCat("keystore: cannot open '", path,
                     "': ", db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<KeyStore> ks(new KeyStore(db, master_key));
  int version = -1;
  {
    Stmt st(db, "PRAGMA user_version");
    if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW) {
      return SqlError(db, "reading schema version");
    }
    version = sqlite3_column_int(st.get(), 0);
  }
  if (version == 0) {
    absl::Status s = ks->Exec(
        "BEGIN;"
        "CREATE TABLE keys (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " key_id TEXT NOT NULL UNIQUE, arn TEXT NOT NULL,"
        " creation_unix INTEGER NOT NULL, description TEXT NOT NULL,"
        " policy TEXT NOT NULL, state TEXT NOT NULL,"
        " sealed_material BLOB NOT NULL);"
        "CREATE TABLE aliases (alias_name TEXT PRIMARY KEY,"
        " key_id TEXT NOT NULL REFERENCES keys(key_id));"
        "PRAGMA user_version = 1;"
        "COMMIT;");
    if (!s.ok()) return s;
  } else if (version != kKeyStoreSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("keystore: '", path, "' has schema version ", version,
                     ", expected ", kKeyStoreSchemaVersion));
  }
  return ks;
}

KeyStore::~KeyStore() { sqlite3_close(db_); }

absl::Status KeyStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::InternalError(
        absl::StrCat("keystore: ", err ? err : "exec failed"));
    sqlite3_free(err);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return absl::OkStatus();
}

absl::Status KeyStore::CreateKey(const KeyRecord& key) {
  if (key.material.size() != kKeyMaterialBytes) {
    return absl::InvalidArgumentError(
        "keystore: key material must be 32 bytes");
  }
  std::vector<uint8_t> sealed(kNonceBytes + key.material.size() + kTagBytes);
  randombytes_buf(sealed.data(), kNonceBytes);
  const std::string aad = MaterialAad(key.key_id);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      sealed.data() + kNonceBytes, &clen, key.material.data(),
      key.material.size(), reinterpret_cast<const uint8_t*>(aad.data()),
      aad.size(), nullptr, sealed.data(), master_key_.data());
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_,
          "INSERT INTO keys (key_id, arn, creation_unix, description, policy,"
          " state, sealed_material) VALUES (?,?,?,?,?,?,?)");
  if (!st.ok()) return SqlError(db_, "prepare insert key");
  st.Text(1, key.key_id);
  st.Text(2, key.arn);
  st.Int(3, key.creation_unix);
  st.Text(4, key.description);
  st.Text(5, key.policy);
  st.Text(6, key.state);
  st.Blob(7, sealed);
  const int rc = sqlite3_step(st.get());
  if (rc == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(
        absl::StrCat("key ", key.key_id, " already exists"));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "insert key");
  return absl::OkStatus();
}

absl::StatusOr<KeyRecord> KeyStore::GetKey(const std::string& key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_,
          "SELECT arn, creation_unix, description, policy, state,"
          " sealed_material FROM keys WHERE key_id = ?");
  if (!st.ok()) return SqlError(db_, "prepare get key");
  st.Text(1, key_id);
  const int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(
        absl::StrCat("Key '", key_id, "' does not exist"));
  }
  if (rc != SQLITE_ROW) return SqlError(db_, "get key");
  KeyRecord k;
  k.key_id = key_id;
  k.arn = st.ColText(0);
  k.creation_unix = sqlite3_column_int64(st.get(), 1);
  k.description = st.ColText(2);
  k.policy = st.ColText(3);
  k.state = st.ColText(4);
  const std::vector<uint8_t> sealed = st.ColBlob(5);
  if (sealed.size() != kNonceBytes + kKeyMaterialBytes + kTagBytes) {
    return absl::DataLossError(absl::StrCat("keystore: sealed material of key ",
                                            key_id, " has the wrong size"));
  }
  k.material = SecretBytes(kKeyMaterialBytes);
  const std::string aad = MaterialAad(key_id);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          k.material.data(), &mlen, nullptr, sealed.data() + kNonceBytes,
          sealed.size() - kNonceBytes,
          reinterpret_cast<const uint8_t*>(aad.data()), aad.size(),
          sealed.data(), master_key_.data()) != 0) {
    return absl::DataLossError(
        absl::StrCat("keystore: key material of ", key_id,
                     " does not authenticate under the master key"));
  }
  return k;
}

absl::Status KeyStore::UpdatePolicy(const std::string& key_id,
                                    const std::string& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "UPDATE keys SET policy = ? WHERE key_id = ?");
  if (!st.ok()) return SqlError(db_, "prepare update policy");
  st.Text(1, policy);
  st.Text(2, key_id);
  if (sqlite3_step(st.get()) != SQLITE_DONE) {
    return SqlError(db_, "update policy");
  }
  if (sqlite3_changes(db_) != 1) {
    return absl::NotFoundError(
        absl::StrCat("Key '", key_id, "' does not exist"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> KeyStore::ListKeyIds() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT key_id FROM keys ORDER BY seq");
  if (!st.ok()) return SqlError(db_, "prepare list keys");
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.push_back(st.ColText(0));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "list keys");
  return out;
}

absl::Status KeyStore::CreateAlias(const std::string& alias_name,
                                   const std::string& key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "INSERT INTO aliases (alias_name, key_id) VALUES (?, ?)");
  if (!st.ok()) return SqlError(db_, "prepare create alias");
  st.Text(1, alias_name);
  st.Text(2, key_id);
  const int rc = sqlite3_step(st.get());
  if (rc == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(
        absl::StrCat("An alias with the name ", alias_name, " already exists"));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "create alias");
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyStore::ResolveAlias(
    const std::string& alias_name) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT key_id FROM aliases WHERE alias_name = ?");
  if (!st.ok()) return SqlError(db_, "prepare resolve alias");
  st.Text(1, alias_name);
  const int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(
        absl::StrCat("Alias ", alias_name, " is not found."));
  }
  if (rc != SQLITE_ROW) return SqlError(db_, "resolve alias");
  return st.ColText(0);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
KeyStore::ListAliases() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt st(db_, "SELECT alias_name, key_id FROM aliases ORDER BY alias_name");
  if (!st.ok()) return SqlError(db_, "prepare list aliases");
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.emplace_back(st.ColText(0), st.ColText(1));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "list aliases");
  return out;
}

absl::StatusOr<SecretBytes> ParseMasterKeyHex(absl::string_view hex) {
  if (hex.size() != 2 * kMasterKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "master key must be ", 2 * kMasterKeyBytes, " hex characters"));
  }
  SecretBytes key(kMasterKeyBytes);
  size_t len = 0;
  if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr,
                     &len, nullptr) != 0 ||
      len != kMasterKeyBytes) {
    return absl::InvalidArgumentError("master key is not valid hex");
  }
  return key;
}

absl::StatusOr<SecretBytes> ReadMasterKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read master key file '", path, "'"));
  }
  std::string bytes;
  bytes.resize(200);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  absl::StatusOr<SecretBytes> out;
  if (bytes.size() == kMasterKeyBytes) {
    out = SecretBytes(reinterpret_cast<const uint8_t*>(bytes.data()),
                      bytes.size());
  } else {
    absl::string_view hex(bytes);
    if (!hex.empty() && hex.back() == '\n') hex.remove_suffix(1);
    out = ParseMasterKeyHex(hex);
    if (!out.ok()) {
      out = absl::InvalidArgumentError(absl::StrCat(
          "master key file '", path, "': expected 32 raw bytes or 64 hex ",
          "characters: ", out.status().message()));
    }
  }
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

}  // namespace nitro_tss::kms_local
