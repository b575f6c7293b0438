// Key shares in the enclave live in locked memory (node/enclave/
// locked_share.h on mpc/math/locked_memory.h): every secret of a loaded
// share is in pages the kernel reports as locked, releasing it wipes them,
// a full arena refuses the share, and tss-enclave refuses to start when it
// cannot lock its arena.
#include "node/enclave/locked_share.h"

#include <gmp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mpc/math/locked_memory.h"
#include "tests/gg20/gg20_test_util.h"
#include "tests/mpc/locked_pages.h"
#include "tests/node/cluster/child_process.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::enclave {
namespace {

namespace gg20 = mpc::gg20;
using mpc::LockedMemory;
using mpc::testing::PagesOf;

void EnsureArena() {
  if (LockedMemory::Initialized()) return;
  absl::Status s = LockedMemory::Initialize(kDefaultLockedMemoryBytes);
  ASSERT_TRUE(s.ok()) << s;
}

// The locked mapping that holds `p`: in the arena, and every resident page
// of its mapping locked.
::testing::AssertionResult Locked(const void* p, const char* what) {
  if (!LockedMemory::Contains(p)) {
    return ::testing::AssertionFailure() << what << " is not in the arena";
  }
  mpc::testing::MappingPages pages = PagesOf(p);
  if (!pages.found || pages.locked_kb == 0 || pages.locked_kb != pages.rss_kb) {
    return ::testing::AssertionFailure()
           << what << ": mapping has Rss " << pages.rss_kb << " kB, Locked "
           << pages.locked_kb << " kB";
  }
  return ::testing::AssertionSuccess();
}

const void* Limbs(const mpc::BigInt& v) { return v.get()->_mp_d; }

// Party 1's and 2's shares of a 1-of-2 key (trusted dealer over fixture
// material: valid shares that FromRecord accepts, without a DKG's cost).
const std::vector<std::shared_ptr<const gg20::KeyShare>>& Shares() {
  static const auto* shares =
      new std::vector<std::shared_ptr<const gg20::KeyShare>>(
          gg20::testing::DealKeyShares(1, 2, /*seed=*/1414));
  return *shares;
}

mpc::SecureBytes Record() { return Shares()[0]->ToRecordBytes(); }

TEST(LockedShare, EverySecretOfALoadedShareIsInLockedPages) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const mpc::SecureBytes record = Record();
  // A first load initializes the library's lazily built constants (some in
  // the arena, for good); then count.
  ASSERT_TRUE(LoadLockedKeyShare(record).ok());
  const size_t before = LockedMemory::Stats().in_use;
  absl::StatusOr<std::shared_ptr<const gg20::KeyShare>> share =
      LoadLockedKeyShare(record);
  ASSERT_TRUE(share.ok()) << share.status();
  const gg20::KeyShare& ks = **share;
  EXPECT_EQ(ks.key_id, Shares()[0]->key_id);
  // x_i is inline in the KeyShare object, which is in the arena.
  EXPECT_TRUE(Locked(share->get(), "the KeyShare object"));
  EXPECT_TRUE(Locked(ks.secret_share.bytes().data(), "x_i"));
  EXPECT_TRUE(Locked(Limbs(ks.paillier->p()), "Paillier p"));
  EXPECT_TRUE(Locked(Limbs(ks.paillier->q()), "Paillier q"));
  EXPECT_TRUE(Locked(Limbs(ks.paillier->phi()), "Paillier phi"));
  EXPECT_TRUE(Locked(Limbs(ks.ring_pedersen->p()), "ring-Pedersen p"));
  EXPECT_TRUE(Locked(Limbs(ks.ring_pedersen->q()), "ring-Pedersen q"));
  EXPECT_TRUE(Locked(Limbs(ks.ring_pedersen->lambda()), "ring-Pedersen λ"));
  EXPECT_TRUE(Locked(Limbs(ks.ring_pedersen->tau()), "ring-Pedersen τ"));
  EXPECT_TRUE(Locked(Limbs(ks.ring_pedersen->phi()), "ring-Pedersen φ"));
  // The PowT combs' tables (powers of t modulo the secret primes).
  EXPECT_TRUE(Locked(ks.ring_pedersen->pow_t_table_p(), "PowT comb mod p"));
  EXPECT_TRUE(Locked(ks.ring_pedersen->pow_t_table_q(), "PowT comb mod q"));
  const size_t used = LockedMemory::Stats().in_use - before;
  // The figure in node/README.md (a 2-party key; each further party adds
  // its public Paillier and ring-Pedersen values, about 1 KiB).
  EXPECT_GT(used, 16u << 10);
  EXPECT_LT(used, 128u << 10) << used;
  std::printf("locked bytes per loaded share (2 parties): %zu\n", used);

  // It still works: the Paillier key encrypts (with its fixed-base tables)
  // and decrypts.
  auto c = ks.paillier->Encrypt(mpc::BigInt(42), mpc::SystemRandom());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*ks.paillier->Decrypt(c->ciphertext), mpc::BigInt(42));

  // Released: everything it held goes back to the arena, wiped there.
  const uint8_t* x = ks.secret_share.bytes().data();
  const auto* p_limbs = static_cast<const uint8_t*>(Limbs(ks.paillier->p()));
  const size_t p_bytes =
      static_cast<size_t>(ks.paillier->p().get()->_mp_alloc) *
      sizeof(mp_limb_t);
  share->reset();
  EXPECT_EQ(LockedMemory::Stats().in_use, before);
  for (size_t i = 0; i < 32; ++i) ASSERT_EQ(x[i], 0) << i;
  for (size_t i = 0; i < p_bytes; ++i) ASSERT_EQ(p_limbs[i], 0) << i;
}

TEST(LockedShare, ADkgResultIsCopiedIntoLockedMemory) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const gg20::KeyShare& original = *Shares()[1];
  ASSERT_FALSE(LockedMemory::Contains(Limbs(original.paillier->p())));
  absl::StatusOr<std::shared_ptr<const gg20::KeyShare>> locked =
      LockKeyShare(original);
  ASSERT_TRUE(locked.ok()) << locked.status();
  EXPECT_EQ((*locked)->key_id, original.key_id);
  EXPECT_TRUE((*locked)->secret_share == original.secret_share);
  EXPECT_TRUE(Locked(locked->get(), "the KeyShare object"));
  EXPECT_TRUE(Locked(Limbs((*locked)->paillier->p()), "Paillier p"));
  EXPECT_TRUE(Locked(Limbs((*locked)->ring_pedersen->lambda()), "λ"));
}

TEST(LockedShare, AShareThatDoesNotFitIsRefused) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const mpc::SecureBytes record = Record();
  // Fill the arena.
  std::vector<void*> filler;
  for (size_t n = 64 << 10; n >= 16; n /= 2) {
    while (void* p = LockedMemory::Allocate(n)) filler.push_back(p);
  }
  absl::StatusOr<std::shared_ptr<const gg20::KeyShare>> share =
      LoadLockedKeyShare(record);
  EXPECT_EQ(share.status().code(), absl::StatusCode::kResourceExhausted)
      << share.status();
  EXPECT_TRUE(
      absl::StrContains(share.status().message(), "limits.locked_memory_bytes"))
      << share.status();
  for (void* p : filler) LockedMemory::Free(p);
  share = LoadLockedKeyShare(record);
  EXPECT_TRUE(share.ok()) << share.status();
}

TEST(LockedShare, AMalformedRecordIsRefusedAsBefore) {
  ASSERT_NO_FATAL_FAILURE(EnsureArena());
  const size_t before = LockedMemory::Stats().in_use;
  mpc::SecureBytes record = Record();
  record[record.size() / 2] ^= 0x01;
  EXPECT_FALSE(LoadLockedKeyShare(record).ok());
  EXPECT_EQ(LockedMemory::Stats().in_use, before);  // nothing kept
}

TEST(LockedShareDeathTest, WithoutTheArenaNothingIsLoaded) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        absl::Status s = LoadLockedKeyShare({}).status();
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        std::_Exit(s.code() == absl::StatusCode::kFailedPrecondition ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "locked memory is not initialized");
}

// tss-enclave without CAP_IPC_LOCK and with a 64 KiB RLIMIT_MEMLOCK (what an
// unprivileged process may have) exits at start, naming the limit and the
// field, before it serves anything.
TEST(LockedShare, TheEnclaveRefusesToStartWhenItCannotLockItsArena) {
  nitro_tss::testing::TempDir dir;
  const std::string d = dir.path();
  const std::string pcr = nitro_tss::testing::LocalCluster::GoodPcr0();
  nitro_tss::testing::WriteFile(
      d + "/enclave.conf",
      absl::StrCat("listen: \"unix://", d, "/enclave.sock\"\n",
                   "host_service: \"unix://", d, "/host.sock\"\n",
                   "nsm { simulated { dev_ca_dir: \"", d, "/dev-ca\" pcr0: \"",
                   pcr, "\" pcr1: \"", pcr, "\" pcr2: \"", pcr, "\" } }\n",
                   "attestation { root_pem_file: \"", d,
                   "/root.pem\" allowed_images { pcrs { key: 0 value: \"", pcr,
                   "\" } } }\n",
                   "kms { region: \"us-east-1\" endpoint: "
                   "\"http://127.0.0.1:1\" key_id: \"k\" }\n"));
  // util-linux's prlimit and setpriv (Debian's util-linux, always
  // installed).
  std::vector<std::string> argv = {"/usr/bin/prlimit", "--memlock=65536:65536",
                                   "--"};
  if (geteuid() == 0) {
    // Root locks beyond the limit with CAP_IPC_LOCK: drop it.
    for (const char* a : {"/usr/bin/setpriv", "--bounding-set=-ipc_lock",
                          "--inh-caps=-ipc_lock", "--"}) {
      argv.push_back(a);
    }
  }
  for (const std::string& a :
       {nitro_tss::testing::BinaryDir() + "/node/enclave/tss-enclave",
        std::string("--config"), d + "/enclave.conf",
        std::string("--ready-file"), d + "/enclave.ready"}) {
    argv.push_back(a);
  }
  auto p = nitro_tss::testing::ChildProcess::Start(
      argv, d + "/enclave.log", d + "/enclave.ready", absl::Seconds(30));
  ASSERT_FALSE(p.ok()) << "tss-enclave started";
  const std::string log = nitro_tss::testing::ReadFile(d + "/enclave.log");
  EXPECT_TRUE(absl::StrContains(log, "startup_failed")) << log;
  EXPECT_TRUE(absl::StrContains(log, "limits.locked_memory_bytes (4194304)"))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "RLIMIT_MEMLOCK is 65536 bytes")) << log;
}

}  // namespace
}  // namespace nitro_tss::enclave
