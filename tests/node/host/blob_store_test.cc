// The BlobStore contract, run on both backends (a local directory, and S3
// against moto's server with SigV4 checking on), the S3-only behaviours
// (conditional writes against a concurrent writer, versioning, bucket and
// credential errors), and a replaced host that recovers and unseals its
// share from S3 while a rolled-back blob is refused.
#include "node/host/blob_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/host/local_blob_store.h"
#include "node/host/s3_blob_store.h"
#include "node/kms/recipient_key.h"
#include "node/kms/sealed_share.h"
#include "node/store/share_store.h"
#include "tests/kms/fake_kms.h"
#include "tests/node/aws/moto_server.h"

namespace nitro_tss::host {
namespace {

namespace fs = std::filesystem;
using aws::AwsCredentials;
using aws::testing::MotoServer;

constexpr size_t kLimit = 4096;  // max_blob_bytes of the stores under test

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteAll(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

// One moto server per test process, signatures checked, with a versioned
// and an unversioned bucket.
struct MotoEnv {
  std::string skip;
  std::string error;
  MotoServer* moto = nullptr;
  AwsCredentials creds;

  static MotoEnv*& Started() {
    static MotoEnv* started = nullptr;
    return started;
  }
  static MotoEnv& Get() {
    static MotoEnv* env = [] {
      auto* e = new MotoEnv();
      e->skip = aws::testing::MissingMoto();
      if (!e->skip.empty()) return e;
      absl::StatusOr<std::unique_ptr<MotoServer>> m = MotoServer::Start();
      if (!m.ok()) {
        e->error = m.status().ToString();
        return e;
      }
      e->moto = m->release();
      absl::StatusOr<AwsCredentials> c = e->moto->CreateUser("host", "s3:*");
      absl::Status s = c.status();
      if (s.ok()) s = e->moto->EnableAuth();
      if (s.ok()) s = e->moto->CreateBucket("sealed-blobs", true, *c);
      if (s.ok()) s = e->moto->CreateBucket("unversioned", false, *c);
      if (!s.ok()) {
        e->error = absl::StrCat(s.ToString(), "\n", e->moto->LogTail());
        return e;
      }
      e->creds = *c;
      return e;
    }();
    Started() = env;
    return *env;
  }
};

// Stops moto when the test program ends (if it was started).
class MotoCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (MotoEnv* e = MotoEnv::Started()) {  // never starts moto itself
      delete e->moto;
      e->moto = nullptr;
    }
  }
};
const ::testing::Environment* const kMotoCleanup =
    ::testing::AddGlobalTestEnvironment(new MotoCleanup);

// A unique object prefix per test, so tests in one process do not share
// objects.
std::string TestPrefix() {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = absl::StrCat(info->test_suite_name(), "-", info->name());
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  return absl::StrCat("t/", name, "/");
}

S3BlobStoreConfig S3Config(const std::string& bucket, size_t max_bytes) {
  S3BlobStoreConfig c;
  c.s3.region = "us-east-1";
  c.s3.bucket = bucket;
  c.s3.endpoint = MotoEnv::Get().moto->endpoint();
  c.s3.path_style = true;
  c.s3.retry.max_attempts = 2;
  c.s3.sleep = [](absl::Duration) {};
  c.prefix = TestPrefix();
  c.max_blob_bytes = max_bytes;
  return c;
}

std::unique_ptr<S3BlobStore> OpenS3(
    const S3BlobStoreConfig& config,
    const AwsCredentials& creds = MotoEnv::Get().creds) {
  absl::StatusOr<std::unique_ptr<S3BlobStore>> s = S3BlobStore::Create(
      config, std::make_shared<aws::StaticCredentialSource>(creds));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "blobstore-XXXXXX");
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ------------------------------------------------------------------------
// The contract, on both backends.

class BlobStoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (s3()) {
      MotoEnv& env = MotoEnv::Get();
      if (!env.skip.empty()) GTEST_SKIP() << env.skip;
      ASSERT_TRUE(env.error.empty()) << env.error;
    }
  }
  bool s3() const { return GetParam() == "s3"; }

  // A store object as a (new) host process would open it.
  std::unique_ptr<BlobStore> Open(size_t max_bytes = kLimit) {
    if (s3()) return OpenS3(S3Config("sealed-blobs", max_bytes));
    absl::StatusOr<std::unique_ptr<LocalBlobStore>> s =
        LocalBlobStore::Open({(disk_.path() / "blobs").string(), max_bytes});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  // Out-of-band changes a hostile or broken storage layer can make.
  fs::path LocalDir(const BlobKey& k) {
    return disk_.path() / "blobs" / k.key_id /
           absl::StrCat("party-", k.party_id);
  }
  std::unique_ptr<aws::S3Client> RawS3() {
    return *MotoEnv::Get().moto->Client("sealed-blobs", MotoEnv::Get().creds);
  }
  std::string ObjectKey(const BlobKey& k) {
    return OpenS3(S3Config("sealed-blobs", kLimit))->ObjectKey(k);
  }
  // Remembers the current state of `k` so that RollBack can restore it.
  void Remember(const BlobKey& k) {
    if (s3()) {
      remembered_ = RawS3()->GetObject(ObjectKey(k), kLimit)->version_id;
    } else {
      remembered_ = ReadAll(LocalDir(k) / "CURRENT");
    }
  }
  // Brings back the remembered state: S3 deletes every newer version (as
  // an operator or attacker with s3:DeleteObjectVersion can), the local
  // disk gets its old CURRENT back (a restored snapshot).
  void RollBack(const BlobKey& k) {
    if (s3()) {
      std::unique_ptr<aws::S3Client> raw = RawS3();
      while (true) {
        absl::StatusOr<aws::S3Object> now =
            raw->GetObject(ObjectKey(k), kLimit);
        ASSERT_TRUE(now.ok()) << now.status();
        if (now->version_id == remembered_) break;
        ASSERT_TRUE(raw->DeleteObject(ObjectKey(k), now->version_id).ok());
      }
    } else {
      WriteAll(LocalDir(k) / "CURRENT", remembered_);
    }
  }
  // Replaces the stored bytes of `epoch` with `bytes`, keeping the storage
  // layer's own integrity data consistent (checksummed record; S3 metadata).
  void Overwrite(const BlobKey& k, uint64_t epoch, const std::string& bytes) {
    if (s3()) {
      S3BlobObject obj = EncodeS3BlobObject(epoch, Bytes(bytes));
      aws::PutObjectOptions o;
      o.headers = obj.headers;
      ASSERT_TRUE(RawS3()->PutObject(ObjectKey(k), obj.body, o).ok());
    } else {
      WriteAll(LocalDir(k) / absl::StrFormat("epoch-%020u.sealed", epoch), [&] {
        std::vector<uint8_t> r = store::EncodeRecord(epoch, Bytes(bytes));
        return std::string(r.begin(), r.end());
      }());
    }
  }
  // Damages the stored blob without fixing the integrity data.
  void Corrupt(const BlobKey& k, uint64_t epoch) {
    if (s3()) {
      S3BlobObject obj = EncodeS3BlobObject(epoch, Bytes("original"));
      obj.body.back() ^= 1;
      aws::PutObjectOptions o;
      o.headers = obj.headers;
      ASSERT_TRUE(RawS3()->PutObject(ObjectKey(k), obj.body, o).ok());
    } else {
      const fs::path f =
          LocalDir(k) / absl::StrFormat("epoch-%020u.sealed", epoch);
      std::string data = ReadAll(f);
      data.back() ^= 1;
      WriteAll(f, data);
    }
  }

  TempDir disk_;
  std::string remembered_;
  const BlobKey key_{"0123abcd", 2};
};

INSTANTIATE_TEST_SUITE_P(Backends, BlobStoreContractTest,
                         ::testing::Values("local", "s3"),
                         [](const auto& info) { return info.param; });

TEST_P(BlobStoreContractTest, RoundTripAndNewerEpochs) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(key_, 1, Bytes("sealed-one")).ok());
  absl::StatusOr<Blob> b = store->Get(key_, 0);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->epoch, 1u);
  EXPECT_EQ(b->bytes, Bytes("sealed-one"));
  EXPECT_FALSE(b->version.empty());
  std::vector<uint8_t> binary(kLimit);
  for (size_t i = 0; i < binary.size(); ++i)
    binary[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(store->Put(key_, 7, binary).ok());
  // Another store object (a restarted host) sees the same.
  b = Open()->Get(key_, 7);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->epoch, 7u);
  EXPECT_EQ(b->bytes, binary);
}

TEST_P(BlobStoreContractTest, KeysAndPartiesAreSeparateAndMissingIsNotFound) {
  std::unique_ptr<BlobStore> store = Open();
  absl::Status s = store->Get(key_, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  ASSERT_TRUE(store->Put(key_, 3, Bytes("party-2")).ok());
  ASSERT_TRUE(store->Put({key_.key_id, 3}, 1, Bytes("party-3")).ok());
  ASSERT_TRUE(store->Put({"other-key", 2}, 9, Bytes("other")).ok());
  EXPECT_EQ(store->Get(key_, 0)->bytes, Bytes("party-2"));
  EXPECT_EQ(store->Get({key_.key_id, 3}, 0)->epoch, 1u);
  EXPECT_EQ(store->Get({"other-key", 2}, 0)->bytes, Bytes("other"));
  s = store->Get({key_.key_id, 4}, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_P(BlobStoreContractTest, OlderEpochIsRefused) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_TRUE(store->Put(key_, 5, Bytes("five")).ok());
  for (std::unique_ptr<BlobStore>* writer : {&store}) {
    absl::Status s = (*writer)->Put(key_, 4, Bytes("four"));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(
        s.message(), "holds epoch 5, refusing to store the older epoch 4"))
        << s;
  }
  // A writer that never saw epoch 5 (another host) is refused the same way.
  absl::Status s = Open()->Put(key_, 0, Bytes("zero"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(Open()->Get(key_, 0)->bytes, Bytes("five"));
}

TEST_P(BlobStoreContractTest, SameEpochIsIdempotentOnlyWithTheSameBytes) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_TRUE(store->Put(key_, 2, Bytes("two")).ok());
  EXPECT_TRUE(store->Put(key_, 2, Bytes("two")).ok());
  EXPECT_TRUE(Open()->Put(key_, 2, Bytes("two")).ok());
  absl::Status s = Open()->Put(key_, 2, Bytes("TWO"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "other bytes for epoch 2")) << s;
  EXPECT_EQ(store->Get(key_, 0)->bytes, Bytes("two"));
}

TEST_P(BlobStoreContractTest, MinEpochRefusesAnOlderBlob) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_TRUE(store->Put(key_, 5, Bytes("five")).ok());
  EXPECT_TRUE(store->Get(key_, 5).ok());
  absl::Status s = Open()->Get(key_, 6).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(
      s.message(), "holds epoch 5, older than the required epoch 6"))
      << s;
}

TEST_P(BlobStoreContractTest, SizeLimitsAndKeySyntaxOnPut) {
  std::unique_ptr<BlobStore> store = Open();
  for (size_t n : {size_t{0}, kLimit + 1}) {
    absl::Status s = store->Put(key_, 1, std::vector<uint8_t>(n, 'x'));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n << " " << s;
  }
  EXPECT_TRUE(store->Put(key_, 1, std::vector<uint8_t>(kLimit, 'x')).ok());
  EXPECT_TRUE(store->Put({std::string(64, 'k'), 1}, 1, Bytes("x")).ok());
  for (const std::string& bad :
       {std::string(), std::string(".hidden"), std::string("a/b"),
        std::string("a b"), std::string("x%2f"), std::string(65, 'k')}) {
    absl::Status s = store->Put({bad, 1}, 1, Bytes("x"));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store->Get({bad, 1}, 0).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_P(BlobStoreContractTest, OversizedStoredBlobIsRefused) {
  // Written through a store with a higher limit (another configuration, or
  // whoever else can write there), read by one with the normal limit.
  ASSERT_TRUE(Open(3 * kLimit)
                  ->Put(key_, 1, std::vector<uint8_t>(2 * kLimit, 'b'))
                  .ok());
  absl::Status s = Open()->Get(key_, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat(kLimit))) << s;
}

TEST_P(BlobStoreContractTest, RollBackIsDetected) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_TRUE(store->Put(key_, 1, Bytes("epoch-one")).ok());
  Remember(key_);
  ASSERT_TRUE(store->Put(key_, 2, Bytes("epoch-two")).ok());
  RollBack(key_);
  // The host that stored epoch 2 notices.
  absl::Status s = store->Get(key_, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(),
                                "now holds epoch 1 but this host "
                                "already stored or read epoch 2"))
      << s;
  // A new host cannot know; it gets the blob with its (old) epoch, so a
  // caller that trusts epoch 2 is refused, and the enclave checks the epoch
  // sealed inside (ReplacedHostTest below).
  std::unique_ptr<BlobStore> fresh = Open();
  absl::StatusOr<Blob> b = fresh->Get(key_, 0);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->epoch, 1u);
  EXPECT_EQ(b->bytes, Bytes("epoch-one"));
  s = Open()->Get(key_, 2).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST_P(BlobStoreContractTest, OverwriteOfAnEpochIsDetected) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_TRUE(store->Put(key_, 3, Bytes("genuine")).ok());
  Overwrite(key_, 3, "substituted");
  absl::Status s = store->Get(key_, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "(overwritten)")) << s;
  // The store cannot tell a new host; the enclave's AEAD check does.
  EXPECT_EQ(Open()->Get(key_, 0)->bytes, Bytes("substituted"));
}

TEST_P(BlobStoreContractTest, CorruptBlobIsDataLoss) {
  std::unique_ptr<BlobStore> store = Open();
  ASSERT_TRUE(store->Put(key_, 4, Bytes("original")).ok());
  Corrupt(key_, 4);
  absl::Status s = Open()->Get(key_, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

// ------------------------------------------------------------------------
// S3 only.

class S3BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MotoEnv& env = MotoEnv::Get();
    if (!env.skip.empty()) GTEST_SKIP() << env.skip;
    ASSERT_TRUE(env.error.empty()) << env.error;
  }
  std::unique_ptr<aws::S3Client> Raw(
      const std::string& bucket = "sealed-blobs") {
    return *MotoEnv::Get().moto->Client(bucket, MotoEnv::Get().creds);
  }
  const BlobKey key_{"feedface", 1};
};

TEST_F(S3BlobStoreTest, ConcurrentWriterIsNeverOverwritten) {
  // Host B writes between host A's read and A's conditional write.
  std::unique_ptr<S3BlobStore> b = OpenS3(S3Config("sealed-blobs", kLimit));
  S3BlobStoreConfig config = S3Config("sealed-blobs", kLimit);
  int interleaved = 0;
  config.before_conditional_write = [&](const BlobKey& k) {
    ++interleaved;
    ASSERT_TRUE(b->Put(k, 1 + interleaved, Bytes("from-host-b")).ok());
  };
  std::unique_ptr<S3BlobStore> a = OpenS3(config);
  // Nothing stored yet: A writes with If-None-Match: *.
  absl::Status s = a->Put(key_, 2, Bytes("from-host-a"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "concurrent writer")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "PreconditionFailed")) << s;
  // A blob exists: A writes with If-Match: <ETag it read>.
  s = a->Put(key_, 5, Bytes("from-host-a"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "PreconditionFailed")) << s;
  EXPECT_EQ(interleaved, 2);
  absl::StatusOr<Blob> now = b->Get(key_, 0);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->epoch, 3u);
  EXPECT_EQ(now->bytes, Bytes("from-host-b"));
}

TEST_F(S3BlobStoreTest, UnversionedOrMissingBucketIsAConfigurationError) {
  absl::Status s =
      OpenS3(S3Config("unversioned", kLimit))->Put(key_, 1, Bytes("x"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "is not versioned")) << s;
  // A missing bucket is not "no blob": a replaced host must not conclude
  // that it has no share.
  s = OpenS3(S3Config("no-such-bucket", kLimit))->Get(key_, 0).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "NoSuchBucket (HTTP 404)")) << s;
}

TEST_F(S3BlobStoreTest, BadCredentialsAreAClearError) {
  std::unique_ptr<S3BlobStore> good = OpenS3(S3Config("sealed-blobs", kLimit));
  ASSERT_TRUE(good->Put(key_, 1, Bytes("x")).ok());
  AwsCredentials wrong = MotoEnv::Get().creds;
  wrong.secret_access_key = "wrong-secret";
  std::unique_ptr<S3BlobStore> bad =
      OpenS3(S3Config("sealed-blobs", kLimit), wrong);
  for (absl::Status s :
       {bad->Get(key_, 0).status(), bad->Put(key_, 2, Bytes("y"))}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "SignatureDoesNotMatch")) << s;
  }
  EXPECT_EQ(good->Get(key_, 0)->epoch, 1u);
}

TEST_F(S3BlobStoreTest, ObjectsThatAreNotBlobRecordsAreRefused) {
  std::unique_ptr<S3BlobStore> store = OpenS3(S3Config("sealed-blobs", kLimit));
  const std::string object = store->ObjectKey(key_);
  const S3BlobObject good = EncodeS3BlobObject(7, Bytes("payload"));
  const std::vector<aws::HttpHeader> epoch7 = good.headers;
  struct Case {
    std::string body;
    std::vector<aws::HttpHeader> headers;
    std::string why;
  };
  const std::vector<Case> cases = {
      {good.body, {}, "lacks the x-amz-meta-nitro-tss-epoch"},
      {good.body, {{"x-amz-meta-nitro-tss-epoch", "07"}}, "canonical decimal"},
      {good.body,
       {{"x-amz-meta-nitro-tss-epoch", "8"}},
       "metadata says epoch 8 but the record holds epoch 7"},
      {"payload", epoch7, "not a blob record"},
      {good.body.substr(0, good.body.size() - 1), epoch7, "not a blob record"},
      {good.body + "x", epoch7, "not a blob record"},
  };
  for (const Case& c : cases) {
    aws::PutObjectOptions o;
    o.headers = c.headers;
    ASSERT_TRUE(Raw()->PutObject(object, c.body, o).ok());
    absl::Status s = store->Get(key_, 0).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), c.why)) << s << " / " << c.why;
    // Put does not overwrite what it cannot read.
    s = store->Put(key_, 9, Bytes("new"));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "refusing to overwrite")) << s;
  }
  // The same body with the right header is accepted.
  aws::PutObjectOptions o;
  o.headers = epoch7;
  ASSERT_TRUE(Raw()->PutObject(object, good.body, o).ok());
  EXPECT_EQ(store->Get(key_, 0)->bytes, Bytes("payload"));
}

// ------------------------------------------------------------------------
// A replaced parent instance: empty disk, same bucket; the enclave unseals
// the share it finds in S3 and refuses a rolled-back one.

class ReplacedHostTest : public S3BlobStoreTest {
 protected:
  std::vector<uint8_t> Seal(uint64_t epoch, const std::vector<uint8_t>& share) {
    kms::ShareContext c;
    c.kms_key_id = kKmsKey;
    c.party_id = 2;
    c.epoch = epoch;
    c.group_public_key.assign(33, 0x02);
    absl::StatusOr<std::vector<uint8_t>> env =
        kms::SealShare(kms_, c, *identity_, share, recipient());
    EXPECT_TRUE(env.ok()) << env.status();
    return env.ok() ? *env : std::vector<uint8_t>();
  }
  absl::StatusOr<kms::UnsealedShare> Unseal(const Blob& blob,
                                            uint64_t trusted_epoch) {
    kms::UnsealExpectation want{kKmsKey, 2, std::vector<uint8_t>(33, 0x02),
                                trusted_epoch};
    return kms::UnsealShare(kms_, want, blob.bytes, recipient());
  }
  kms::AttestedRecipient recipient() {
    return kms::AttestedRecipient{&recipient_key_,
                                  *recipient_key_.PublicKeyDer()};
  }
  static constexpr char kKmsKey[] = "arn:aws:kms:us-east-1:111122223333:key/x";
  kms::testing::FakeKms kms_{kKmsKey};
  kms::RecipientKey recipient_key_ = *kms::RecipientKey::Generate();
  std::unique_ptr<mpc::round::PartyIdentityKey> identity_ =
      *mpc::round::PartyIdentityKey::Generate();
};

TEST_F(ReplacedHostTest, NewHostWithEmptyDiskRecoversTheShareFromS3) {
  const std::vector<uint8_t> share1(32, 0x11), share2(32, 0x22);
  const BlobKey key{"5eed", 2};
  std::string version_1;
  {
    // The original host: a local disk of its own, blobs in S3.
    TempDir old_disk;
    std::unique_ptr<S3BlobStore> host =
        OpenS3(S3Config("sealed-blobs", 1 << 16));
    ASSERT_TRUE(host->Put(key, 1, Seal(1, share1)).ok());
    version_1 = host->Get(key, 0)->version;
    ASSERT_TRUE(host->Put(key, 2, Seal(2, share2)).ok());
  }  // the instance and its disk are gone
  TempDir new_disk;
  ASSERT_TRUE(fs::is_empty(new_disk.path()));
  std::unique_ptr<S3BlobStore> host = OpenS3(S3Config("sealed-blobs", 1 << 16));
  absl::StatusOr<Blob> blob = host->Get(key, 0);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(blob->epoch, 2u);
  absl::StatusOr<kms::UnsealedShare> opened = Unseal(*blob, 2);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(std::vector<uint8_t>(opened->share.data(),
                                 opened->share.data() + opened->share.size()),
            share2);
  EXPECT_EQ(opened->context.epoch, 2u);
  EXPECT_EQ(opened->identity->public_key(), identity_->public_key());

  // The bucket is rolled back (the newest version deleted) and, worse, the
  // old record is re-uploaded with metadata claiming epoch 2.
  std::unique_ptr<aws::S3Client> raw = Raw();
  const std::string object = host->ObjectKey(key);
  ASSERT_TRUE(raw->DeleteObject(object, blob->version).ok());
  std::unique_ptr<S3BlobStore> next = OpenS3(S3Config("sealed-blobs", 1 << 16));
  absl::StatusOr<Blob> old = next->Get(key, 0);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->epoch, 1u);
  EXPECT_EQ(old->version, version_1);
  absl::Status s = Unseal(*old, 2).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "older than the trusted epoch 2"))
      << s;
  S3BlobObject lie = EncodeS3BlobObject(2, old->bytes);
  aws::PutObjectOptions o;
  o.headers = lie.headers;
  ASSERT_TRUE(raw->PutObject(object, lie.body, o).ok());
  absl::StatusOr<Blob> forged =
      OpenS3(S3Config("sealed-blobs", 1 << 16))->Get(key, 2);
  ASSERT_TRUE(forged.ok()) << forged.status();  // the host is fooled...
  s = Unseal(*forged, 2).status();              // ...the enclave is not
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "sealed share epoch 1")) << s;
}

}  // namespace
}  // namespace nitro_tss::host
