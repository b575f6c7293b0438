// The coordinator's orchestration against a 2-of-3 cluster of real node
// processes (tss-kms-local; per node tss-host and tss-enclave with a
// simulated NSM): DKG, signing by message and by digest (checked by
// OpenSSL's command line), presignature pools, and what happens when a
// node dies (also in the middle of a presign run), stays silent, cheats
// (the test-only cheating enclave: excluded for the key), or the approvals
// are refused, or every enclave is full.
#include "coordinator/cluster/orchestrator.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "coordinator/cluster/nodes.h"
#include "coordinator/relay/relay.h"
#include "node/attestation/x509_util.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::coordinator {
namespace {

using testing::Approve;
using testing::Approver;
using testing::LocalCluster;

std::string Sha256(const std::string& m) {
  unsigned char d[32];
  SHA256(reinterpret_cast<const unsigned char*>(m.data()), m.size(), d);
  return std::string(reinterpret_cast<char*>(d), 32);
}

class OrchestratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::ClusterOptions options;
    options.nodes = 3;
    options.round_deadline_ms = 60000;  // the coordinator's is shorter
    auto c = LocalCluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = c->release();
    approvers_ = new std::vector<Approver>(3);
    std::vector<NodeSpec> specs;
    for (int i = 0; i < 3; ++i) {
      specs.push_back({absl::StrCat("node-", i + 1),
                       static_cast<uint32_t>(i + 1),
                       absl::StrCat("unix://", cluster_->dir(), "/node-", i + 1,
                                    "/enclave.sock"),
                       ""});
    }
    auto root = attestation::CertificatePemToDer(
        testing::ReadFile(cluster_->dir() + "/root.pem"));
    ASSERT_TRUE(root.ok()) << root.status();
    auto nodes = NodeSet::Create(specs, nullptr, *root);
    ASSERT_TRUE(nodes.ok()) << nodes.status();
    nodes_ = nodes->release();
    ASSERT_EQ(nodes_->CheckAll(absl::Seconds(30)), 3);
  }
  static void TearDownTestSuite() {
    delete nodes_;
    delete cluster_;
    delete approvers_;
  }

  static OrchestratorOptions Options() {
    OrchestratorOptions o;
    o.round_deadline = absl::Seconds(5);
    return o;
  }

  // The suite's key (made once, by the first test that needs it).
  static const KeyPlan& Key() {
    if (key_ == nullptr) {
      Orchestrator orchestrator(nodes_, Options());
      std::vector<v1::CreateKeyMetadata::Stage> stages;
      std::vector<CulpritRecord> culprits;
      auto key = orchestrator.CreateKey(
          {"node-1", "node-2", "node-3"}, 1, testing::PolicyOf(*approvers_, 2),
          [&](v1::CreateKeyMetadata::Stage s) { stages.push_back(s); },
          &culprits);
      EXPECT_TRUE(key.ok()) << key.status();
      if (!key.ok()) return *(key_ = new KeyPlan());
      EXPECT_EQ(stages, (std::vector<v1::CreateKeyMetadata::Stage>{
                            v1::CreateKeyMetadata::LINKING,
                            v1::CreateKeyMetadata::GENERATING}));
      EXPECT_TRUE(culprits.empty());
      key_ = new KeyPlan{key->key_id(),
                         1,
                         {"node-1", "node-2", "node-3"},
                         testing::PolicyOf(*approvers_, 2),
                         key->public_key()};
    }
    return *key_;
  }

  // After an enclave restart: checks every node until all three are
  // healthy. A check right after the restart can fail once on the channel's
  // stale connection to the old process; the next one reconnects.
  static void ExpectAllHealthy() {
    int healthy = 0;
    for (int i = 0; i < 5 && healthy != 3; ++i) {
      healthy = nodes_->CheckAll(absl::Seconds(30));
    }
    std::string errors;
    for (const auto& n : nodes_->DescribeAll()) {
      absl::StrAppend(&errors, n.name(), ": ", n.last_error(), "\n");
    }
    EXPECT_EQ(healthy, 3) << errors;
  }

  static SignInput Input(const std::string& message, bool by_digest) {
    SignInput in;
    if (by_digest) {
      in.digest = Sha256(message);
    } else {
      in.message = message;
    }
    in.hash = v1::SHA256;
    in.approvals = Approve(
        {Key().key_id, message, {}, 0, {&(*approvers_)[0], &(*approvers_)[1]}});
    return in;
  }

  static void ExpectOpensslVerifies(const v1::Signature& sig,
                                    const std::string& message) {
    auto v = testing::VerifyWithOpenssl(cluster_->dir(), Key().public_key,
                                        sig.r(), sig.s(), message);
    EXPECT_TRUE(v.ok()) << v;
  }

  static LocalCluster* cluster_;
  static NodeSet* nodes_;
  static std::vector<Approver>* approvers_;
  static KeyPlan* key_;
};

LocalCluster* OrchestratorTest::cluster_ = nullptr;
NodeSet* OrchestratorTest::nodes_ = nullptr;
std::vector<Approver>* OrchestratorTest::approvers_ = nullptr;
KeyPlan* OrchestratorTest::key_ = nullptr;

TEST_F(OrchestratorTest, MakesAKeyAndSignsByMessageAndByDigest) {
  ASSERT_FALSE(Key().key_id.empty());
  ASSERT_EQ(Key().public_key.size(), 33u);
  Orchestrator orchestrator(nodes_, Options());
  auto by_message = orchestrator.Sign(Key(), Input("pay 1 BTC to bob", false));
  ASSERT_TRUE(by_message.ok()) << by_message.status();
  EXPECT_EQ(by_message->signers,
            (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(by_message->runs, 2);  // presign + sign
  EXPECT_FALSE(by_message->from_pool);
  ExpectOpensslVerifies(by_message->signature, "pay 1 BTC to bob");
  EXPECT_EQ(by_message->signature.digest(), Sha256("pay 1 BTC to bob"));
  EXPECT_EQ(by_message->signature.compact().size(), 65u);
  EXPECT_EQ(by_message->signature.ethereum_v(),
            27 + by_message->signature.recovery_id());

  auto by_digest = orchestrator.Sign(Key(), Input("pay 2 BTC to carol", true));
  ASSERT_TRUE(by_digest.ok()) << by_digest.status();
  ExpectOpensslVerifies(by_digest->signature, "pay 2 BTC to carol");
  EXPECT_EQ(orchestrator.counters().links.load(), 1u);  // the link is reused
}

// The signers are asked whether they still hold the link only when a
// connection changed since they last said so.
TEST_F(OrchestratorTest, AnUnchangedLinkIsNotProbedAgain) {
  Orchestrator orchestrator(nodes_, Options());
  auto first = orchestrator.Sign(Key(), Input("probed once", false));
  ASSERT_TRUE(first.ok()) << first.status();
  const uint64_t probes = orchestrator.counters().link_probes.load();
  EXPECT_GE(probes, 2u);  // the new link, confirmed by both signers
  auto second = orchestrator.Sign(Key(), Input("not probed again", false));
  ASSERT_TRUE(second.ok()) << second.status();
  ExpectOpensslVerifies(second->signature, "not probed again");
  EXPECT_EQ(orchestrator.counters().link_probes.load(), probes);
}

TEST_F(OrchestratorTest, PoolsServeSignaturesAndRefusedApprovalsKeepThem) {
  OrchestratorOptions o = Options();
  o.pool_target = 2;
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  EXPECT_EQ(orchestrator.RefillPools(), 2);
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 2u);
  EXPECT_EQ(orchestrator.RefillPools(), 0);  // full

  auto s = orchestrator.Sign(Key(), Input("from the pool", false));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->from_pool);
  EXPECT_EQ(s->runs, 1);  // the online run only
  ExpectOpensslVerifies(s->signature, "from the pool");
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 1u);

  // Approvals for another message: refused by the enclaves, not retried,
  // and the presignature goes back to the pool.
  SignInput bad = Input("approved text", false);
  bad.message = "something else";
  auto refused = orchestrator.Sign(Key(), bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied)
      << refused.status();
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 1u);
  auto again = orchestrator.Sign(Key(), Input("still usable", false));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->from_pool);
  ExpectOpensslVerifies(again->signature, "still usable");
}

// Shutdown: a refill towards a large target stops after the run it is in,
// instead of holding the process until the pool is full.
TEST_F(OrchestratorTest, StopRefillsEndsARunningRefill) {
  OrchestratorOptions o = Options();
  o.pool_target = 1000;
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  std::atomic<int> made{-1};
  std::thread refill([&] { made.store(orchestrator.RefillPools()); });
  const absl::Time end = absl::Now() + absl::Minutes(2);
  while (orchestrator.PoolSize(Key().key_id) == 0 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  orchestrator.StopRefills();
  refill.join();
  EXPECT_GE(made.load(), 1);
  EXPECT_LT(made.load(), 1000);
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id),
            static_cast<size_t>(made.load()));
  EXPECT_EQ(orchestrator.RefillPools(), 0);  // stopped for good
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id),
            static_cast<size_t>(made.load()));
}

TEST_F(OrchestratorTest, ASilentSignerIsNamedAndTheSignRetriesWithoutIt) {
  OrchestratorOptions o = Options();
  o.round_deadline = absl::Seconds(3);
  // The relay never delivers anything node 2 (party 2) sends.
  o.filter = [](uint32_t from, uint32_t, int) { return from != 2; };
  Orchestrator orchestrator(nodes_, o);
  auto s = orchestrator.Sign(Key(), Input("despite a silent node", false));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->signers, (std::vector<std::string>{"node-1", "node-3"}));
  // Node 1 names node 2 silent (node 2, starved of node 1's later rounds,
  // names node 1 too: with two signers silence is symmetric, which is why
  // `silent` only means "retry elsewhere").
  bool named = false;
  for (const auto& c : s->culprits) {
    EXPECT_EQ(c.code, "silent") << c.node_id << ": " << c.reason;
    EXPECT_EQ(c.action, "retry");
    named = named || c.node_id == "node-2";
  }
  EXPECT_TRUE(named);
  // Silence is not proof of cheating: node 2 is not excluded from the key.
  EXPECT_TRUE(orchestrator.Excluded(Key().key_id).empty());
  ExpectOpensslVerifies(s->signature, "despite a silent node");
}

// Approvals are single-use: a signing run that fails after the signers
// checked (and consumed) the approvals is not retried with them, on this
// set or another; the caller is told to get fresh approvals. The failure:
// the relay delivers nothing of the signing run (the presignature comes
// from the pool, so the Sign's only run is the signing run), both signers
// name each other silent at the round deadline.
TEST_F(OrchestratorTest, ASignRunThatFailsAfterTheApprovalsCheckIsNotRetried) {
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
  OrchestratorOptions o = Options();
  o.round_deadline = absl::Seconds(1);
  o.pool_target = 1;
  std::atomic<bool> drop{false};
  std::atomic<int> dropped{0};
  o.filter = [&](uint32_t, uint32_t, int) {
    if (!drop.load()) return true;
    dropped.fetch_add(1);
    return false;
  };
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  ASSERT_EQ(orchestrator.RefillPools(), 1);
  const uint64_t runs = orchestrator.counters().runs.load();

  drop.store(true);
  const SignInput input = Input("spent on a failed run", false);
  std::vector<CulpritRecord> culprits;
  auto spent = orchestrator.Sign(Key(), input, &culprits);
  drop.store(false);
  ASSERT_FALSE(spent.ok());
  EXPECT_EQ(spent.status().code(), absl::StatusCode::kAborted)
      << spent.status();
  const std::string message(spent.status().message());
  EXPECT_NE(message.find("node-1, node-2 failed after a signer had (or may "
                         "have) checked this request's approvals, which "
                         "consumes them, so it is not retried"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("fresh approvals"), std::string::npos) << message;
  EXPECT_NE(message.find("culprits: node-"), std::string::npos) << message;
  EXPECT_EQ(message.find("already used"), std::string::npos) << message;
  EXPECT_GT(dropped.load(), 0);
  // One run, the signing run: no retry (which the enclaves' replay caches
  // would refuse), and no presign run for one.
  EXPECT_EQ(orchestrator.counters().runs.load(), runs + 1);
  EXPECT_EQ(orchestrator.counters().presign_runs.load(), 1u);
  // The signers named each other silent (retry elsewhere, never exclude).
  ASSERT_FALSE(culprits.empty());
  for (const auto& c : culprits) {
    EXPECT_EQ(c.code, "silent") << c.node_id << ": " << c.reason;
    EXPECT_TRUE(c.node_id == "node-1" || c.node_id == "node-2") << c.node_id;
  }
  EXPECT_TRUE(orchestrator.Excluded(Key().key_id).empty());

  // The same approvals again, the relay healthy: the enclaves refuse them
  // as already used (before taking any presignature), not retried either.
  const uint64_t before = orchestrator.counters().runs.load();
  auto again = orchestrator.Sign(Key(), input);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted)
      << again.status();
  EXPECT_NE(again.status().message().find("already used"),
            absl::string_view::npos)
      << again.status();
  EXPECT_NE(again.status().message().find("fresh approvals"),
            absl::string_view::npos)
      << again.status();
  EXPECT_EQ(orchestrator.counters().runs.load(), before + 2);  // presign+sign

  // Fresh approvals of the same message sign, on the same signers.
  auto fresh = orchestrator.Sign(Key(), Input("spent on a failed run", false));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->signers, (std::vector<std::string>{"node-1", "node-2"}));
  EXPECT_TRUE(fresh->culprits.empty());
  ExpectOpensslVerifies(fresh->signature, "spent on a failed run");
}

// A failure before any signer saw the approvals (here a presign run whose
// signer cheats, like ACheatingEnclaveIsExcludedForTheKeyByItsPeers, or a
// silent one, like ASilentSignerIsNamedAndTheSignRetriesWithoutIt) is
// retried with the same approvals; see those tests and SpentApprovals.*
// for every signer refusing its start before the check.

// Every enclave full (limits.max_sessions (64) presigns running on each,
// on a link and streams of the test's own): each signer refuses the sign's
// start RESOURCE_EXHAUSTED before its approvals check and says so
// (approvals_consumed false), so the orchestrator retries with the same
// approvals up to max_attempts and answers UNAVAILABLE, not "fresh
// approvals"; the pool's presignature stays in the pool. Once the slots are
// free, the very same request signs from the pool.
TEST_F(OrchestratorTest, ASignRefusedByFullEnclavesIsRetriedWithItsApprovals) {
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
  OrchestratorOptions o = Options();
  o.pool_target = 1;
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  ASSERT_EQ(orchestrator.RefillPools(), 1);

  std::vector<std::unique_ptr<EnclaveConnection>> connections;
  EnclaveSet all;
  for (uint32_t party = 1; party <= 3; ++party) {
    connections.push_back(std::make_unique<EnclaveConnection>(
        grpc::CreateChannel(absl::StrCat("unix:", cluster_->dir(), "/node-",
                                         party, "/enclave.sock"),
                            grpc::InsecureChannelCredentials())));
    all[party] = connections.back().get();
  }
  // Presigns run among two signers: nodes 1 and 2 fill on one link, node 3
  // on another.
  for (const auto& [link, set] : std::map<std::string, EnclaveSet>{
           {"full-link-12", {{1, all[1]}, {2, all[2]}}},
           {"full-link-23", {{2, all[2]}, {3, all[3]}}}}) {
    auto linked = EstablishLink(set, link, {Key().key_id, &Key().policy});
    ASSERT_TRUE(linked.ok()) << link << ": " << linked.status();
  }
  // Per enclave: a Sessions stream of the test's own holding 64 presigns
  // (each waits for its peer's first round, which nobody relays).
  constexpr int kLimit = 64;
  struct Full {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<enclave::v1::SessionsInput,
                                             enclave::v1::SessionsOutput>>
        rw;
  };
  std::vector<std::unique_ptr<Full>> full;
  absl::Cleanup release = [&] {
    for (auto& f : full) f->ctx.TryCancel();
  };
  for (uint32_t party = 1; party <= 3; ++party) {
    auto f = std::make_unique<Full>();
    f->ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
    f->rw = all[party]->stub()->Sessions(&f->ctx);
    enclave::v1::SessionsInput msg;
    for (int n = 1; n <= kLimit; ++n) {
      enclave::v1::SessionsInputItem* item = msg.add_items();
      item->set_id(n);
      item->mutable_input()->mutable_start()->set_link_id(
          party == 3 ? "full-link-23" : "full-link-12");
      item->mutable_input()->mutable_start()->set_session_id(
          absl::StrCat("full-", party, "-", n, "-0000000000000"));
      item->mutable_input()->mutable_start()->mutable_presign();
    }
    ASSERT_TRUE(f->rw->Write(msg));
    std::set<uint64_t> started;
    enclave::v1::SessionsOutput out;
    while (started.size() < kLimit) {
      ASSERT_TRUE(f->rw->Read(&out)) << "node " << party;
      for (const auto& item : out.items()) {
        ASSERT_FALSE(item.has_end())
            << "node " << party << ": " << item.end().message();
        started.insert(item.id());
      }
    }
    full.push_back(std::move(f));
  }

  const SignInput input = Input("refused while the enclaves are full", false);
  const uint64_t runs = orchestrator.counters().runs.load();
  auto refused = orchestrator.Sign(Key(), input);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  EXPECT_NE(refused.status().message().find(
                "too many sessions running in this enclave"),
            absl::string_view::npos)
      << refused.status();
  EXPECT_EQ(refused.status().message().find("fresh approvals"),
            absl::string_view::npos)
      << refused.status();
  EXPECT_EQ(orchestrator.counters().runs.load(),
            runs + static_cast<uint64_t>(o.max_attempts));
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 1u);

  // The half-close ends the presigns; each end is written after its slot
  // was freed.
  for (auto& f : full) {
    ASSERT_TRUE(f->rw->WritesDone());
    enclave::v1::SessionsOutput out;
    int ends = 0;
    while (f->rw->Read(&out)) {
      for (const auto& item : out.items()) ends += item.has_end() ? 1 : 0;
    }
    EXPECT_EQ(ends, kLimit);
    EXPECT_TRUE(f->rw->Finish().ok());
  }
  std::move(release).Cancel();

  auto signed_ = orchestrator.Sign(Key(), input);
  ASSERT_TRUE(signed_.ok()) << signed_.status();
  EXPECT_TRUE(signed_->from_pool);
  ExpectOpensslVerifies(signed_->signature,
                        "refused while the enclaves are full");
}

TEST_F(OrchestratorTest, ADeadEnclaveIsAvoidedAndARestartedOneRelinks) {
  Orchestrator orchestrator(nodes_, Options());
  auto first = orchestrator.Sign(Key(), Input("before the crash", false));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->signers, (std::vector<std::string>{"node-1", "node-2"}));

  // Node 1's enclave crashes; the coordinator still believes it healthy.
  cluster_->KillEnclave(0);
  auto during = orchestrator.Sign(Key(), Input("during the crash", false));
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->signers, (std::vector<std::string>{"node-2", "node-3"}));
  EXPECT_FALSE(nodes_->Healthy("node-1"));
  ExpectOpensslVerifies(during->signature, "during the crash");

  // It comes back (and unseals on the next link); the stale link is
  // replaced.
  ASSERT_TRUE(cluster_->StartEnclave(0).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
  auto after = orchestrator.Sign(Key(), Input("after the restart", false));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->signers, (std::vector<std::string>{"node-1", "node-2"}));
  ExpectOpensslVerifies(after->signature, "after the restart");
}

TEST_F(OrchestratorTest, AnEnclaveKilledDuringPresigningIsNamedSilent) {
  ASSERT_FALSE(Key().key_id.empty());
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
  // The relay's filter is the fault injector: when party 2's round-2
  // message is on its way to party 1 (both have sent round 1: the presign
  // run is under way), node 1's enclave is killed (SIGKILL, a crash).
  std::atomic<bool> killed{false};
  OrchestratorOptions o = Options();
  o.round_deadline = absl::Seconds(30);
  o.filter = [&killed](uint32_t from, uint32_t to, int index) {
    if (from == 2 && to == 1 && index == 2 && !killed.exchange(true)) {
      cluster_->KillEnclave(0);
    }
    return true;
  };
  Orchestrator orchestrator(nodes_, o);
  const absl::Time start = absl::Now();
  std::vector<CulpritRecord> culprits;
  auto s = orchestrator.Sign(Key(), Input("despite a crash mid-presign", false),
                             &culprits);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(killed.load()) << "the filter never saw round 2";
  EXPECT_EQ(s->signers, (std::vector<std::string>{"node-2", "node-3"}));
  EXPECT_EQ(s->runs, 3);  // the presign that died, then presign + sign
  ExpectOpensslVerifies(s->signature, "despite a crash mid-presign");
  // Node 1 is named silent (retry elsewhere), by the orchestrator which saw
  // its stream end; no one else is named and nobody is excluded.
  ASSERT_EQ(s->culprits.size(), 1u);
  EXPECT_EQ(s->culprits[0].node_id, "node-1");
  EXPECT_EQ(s->culprits[0].code, "silent");
  EXPECT_EQ(s->culprits[0].action, "retry");
  EXPECT_NE(s->culprits[0].reason.find("stream ended during the run"),
            std::string::npos)
      << s->culprits[0].reason;
  EXPECT_EQ(culprits.size(), 1u);
  EXPECT_TRUE(orchestrator.Excluded(Key().key_id).empty());
  EXPECT_TRUE(orchestrator.PendingExclusions().empty());
  EXPECT_EQ((orchestrator.CulpritCounts()[{"node-1", "silent"}]), 1u);
  EXPECT_FALSE(nodes_->Healthy("node-1"));
  // No run waited for a round deadline: the dead stream ended the run.
  EXPECT_LT(absl::Now() - start, o.round_deadline);
  ASSERT_TRUE(cluster_->StartEnclave(0).ok());
  ExpectAllHealthy();
}

TEST_F(OrchestratorTest, ACheatingEnclaveIsExcludedForTheKeyByItsPeers) {
  ASSERT_FALSE(Key().key_id.empty());
  // Node 2 runs the test-only cheating enclave (same process, presign
  // sessions from mpc/testing/gg20_cheats.h), one cheat after the other.
  struct Cheat {
    std::string name, reason, code;
  };
  const std::vector<Cheat> cheats = {
      {"presign-bad-pi-enc", "pi_enc:", "bad_proof"},
      {"presign-bad-pi-aff-g", "pi_aff_g pair: N0 equation failed",
       "bad_proof"},
      {"presign-mta-oversized", "pi_aff_g: z2 out of range", "bad_proof"}};
  // Whatever fails below, node 2 is honest again for the next test.
  absl::Cleanup honest = [] {
    cluster_->SetCheat(1, "");
    cluster_->KillEnclave(1);
    (void)cluster_->StartEnclave(1);
  };
  for (const auto& [cheat, reason, code] : cheats) {
    SCOPED_TRACE(cheat);
    cluster_->SetCheat(1, cheat);
    // Killed, not stopped: a graceful stop waits for the enclave's
    // background prime search, and its share is sealed at its host anyway.
    cluster_->KillEnclave(1);
    ASSERT_TRUE(cluster_->StartEnclave(1).ok());
    ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
    Orchestrator orchestrator(nodes_, Options());
    auto s = orchestrator.Sign(Key(), Input("despite " + cheat, false));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->signers, (std::vector<std::string>{"node-1", "node-3"}));
    ExpectOpensslVerifies(s->signature, "despite " + cheat);
    // Named by node 1 (whose check failed) and by the cheater itself once
    // it judged node 1's complaint: one culprit, node 2; never node 1/3.
    ASSERT_EQ(s->culprits.size(), 1u);
    EXPECT_EQ(s->culprits[0].node_id, "node-2");
    EXPECT_EQ(s->culprits[0].code, code);
    EXPECT_EQ(s->culprits[0].action, "exclude");
    EXPECT_NE(s->culprits[0].reason.find(reason), std::string::npos)
        << s->culprits[0].reason;
    EXPECT_EQ(orchestrator.Excluded(Key().key_id),
              std::set<std::string>{"node-2"});
    // Until the caller stores it, the exclusion is pending, and a plan
    // without it (an older copy of the key) does not readmit the node.
    ASSERT_EQ(orchestrator.PendingExclusions().size(), 1u);
    EXPECT_EQ(orchestrator.PendingExclusions()[0].code, code);
    orchestrator.RegisterKey(Key());
    EXPECT_EQ(orchestrator.Excluded(Key().key_id),
              std::set<std::string>{"node-2"});
    orchestrator.ExclusionStored(Key().key_id, "node-2");
    EXPECT_TRUE(orchestrator.PendingExclusions().empty());
    EXPECT_EQ((orchestrator.CulpritCounts()[{"node-2", code}]), 1u);
    EXPECT_EQ(orchestrator.ExclusionsOfNode("node-2").size(), 1u);
    EXPECT_TRUE(orchestrator.ExclusionsOfNode("node-1").empty());
  }
  std::move(honest).Invoke();
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());

  // A stored exclusion (KeyPlan::excluded) keeps a node out of every
  // signer set until it is readmitted; then it is chosen again.
  KeyPlan plan = Key();
  plan.excluded.push_back({plan.key_id, "node-1", "bad_proof", "stored", {}});
  Orchestrator orchestrator(nodes_, Options());
  auto without = orchestrator.Sign(plan, Input("node 1 excluded", false));
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->signers, (std::vector<std::string>{"node-2", "node-3"}));
  EXPECT_TRUE(without->culprits.empty());
  EXPECT_TRUE(orchestrator.Readmit(plan.key_id, "node-1"));
  EXPECT_FALSE(orchestrator.Readmit(plan.key_id, "node-1"));
  auto with = orchestrator.Sign(Key(), Input("node 1 readmitted", false));
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(with->signers, (std::vector<std::string>{"node-1", "node-2"}));
  ExpectOpensslVerifies(with->signature, "node 1 readmitted");
}

// A link on which the enclaves ran their limit of sessions
// (limits.max_sessions_per_link, 3 here on nodes 1 and 2) refuses the next
// one RESOURCE_EXHAUSTED before its approvals are checked: the orchestrator
// replaces the link and the sign goes on there with the same approvals and
// the pool's presignature (which is bound to the key and signers, not to
// the link).
TEST_F(OrchestratorTest, AnExhaustedLinkIsReplaced) {
  absl::Cleanup restore = [] {
    for (int i : {0, 1}) EXPECT_TRUE(cluster_->StartEnclave(i).ok());
    ExpectAllHealthy();
  };
  for (int i : {0, 1}) {
    ASSERT_TRUE(cluster_->StartEnclave(i, LocalCluster::GoodPcr0(), 0, 3).ok());
  }
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
  OrchestratorOptions o = Options();
  o.pool_target = 1;
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  // Sessions 1 to 3 on the link: presign, sign, presign.
  ASSERT_EQ(orchestrator.RefillPools(), 1);
  auto first = orchestrator.Sign(Key(), Input("on the first link", false));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->from_pool);
  ASSERT_EQ(first->signers, (std::vector<std::string>{"node-1", "node-2"}));
  ASSERT_EQ(orchestrator.RefillPools(), 1);
  EXPECT_EQ(orchestrator.counters().links.load(), 1u);

  // The fourth is refused; the sign is retried on a new link.
  auto second = orchestrator.Sign(Key(), Input("on a new link", false));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->from_pool);
  EXPECT_EQ(second->runs, 2);  // refused, then signed
  EXPECT_EQ(orchestrator.counters().links.load(), 2u);
  ExpectOpensslVerifies(second->signature, "on a new link");
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 0u);
}

TEST_F(OrchestratorTest, APoolIsDroppedWhenAnEnclaveRestartsAndRefilled) {
  OrchestratorOptions o = Options();
  o.pool_target = 2;
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  ASSERT_EQ(orchestrator.RefillPools(), 2);
  // Node 1's enclave restarts: its presignatures and links are gone.
  ASSERT_TRUE(cluster_->StartEnclave(0).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAllHealthy());
  auto s = orchestrator.Sign(Key(), Input("after losing the pool", false));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->from_pool);  // fell back to presigning on a new link
  EXPECT_EQ(s->signers, (std::vector<std::string>{"node-1", "node-2"}));
  ExpectOpensslVerifies(s->signature, "after losing the pool");
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 0u);
  EXPECT_EQ(orchestrator.RefillPools(), 2);  // refilled on the new link
  auto pooled = orchestrator.Sign(Key(), Input("from the new pool", false));
  ASSERT_TRUE(pooled.ok()) << pooled.status();
  EXPECT_TRUE(pooled->from_pool)
      << "runs " << pooled->runs << ", culprits " << pooled->culprits.size()
      << (pooled->culprits.empty() ? "" : " " + pooled->culprits[0].reason);
  EXPECT_EQ(pooled->runs, 1);
  ExpectOpensslVerifies(pooled->signature, "from the new pool");
}

// The refill yields to signing: while a Sign is in flight and the pool holds
// more than a quarter of its target it starts no presign run; it does once
// the Sign ends, and at or below a quarter it runs while Signs are in flight.
TEST_F(OrchestratorTest,
       TheRefillYieldsToSignsInFlightAboveAQuarterOfTheTarget) {
  OrchestratorOptions o = Options();
  o.round_deadline = absl::Seconds(60);  // a held Sign is not expired
  o.pool_target = 4;                     // the mark: 1
  // Holds the first delivery after `armed` until `release` (a Sign in
  // flight); every other delivery passes.
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, holding = false, release = false;
  o.filter = [&](uint32_t, uint32_t, int) {
    std::unique_lock<std::mutex> lock(mu);
    if (!armed) return true;
    armed = false;
    holding = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return true;
  };
  Orchestrator orchestrator(nodes_, o);
  orchestrator.RegisterKey(Key());
  ASSERT_EQ(orchestrator.RefillPools(), 4);

  absl::StatusOr<SignOutcome> held = absl::UnknownError("not run");
  auto hold_a_sign = [&](const std::string& message) {
    {
      std::lock_guard<std::mutex> lock(mu);
      armed = true;
      holding = false;
      release = false;
    }
    std::thread t([&, message] {
      held = orchestrator.Sign(Key(), Input(message, false));
    });
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(60), [&] { return holding; }));
    return t;
  };
  auto let_go = [&] {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  };

  // Above the mark (3 of 4 left), a Sign in flight: the refill leaves the
  // pool for its next call, at once.
  std::thread sign = hold_a_sign("held while the refill yields");
  absl::Cleanup unblock = [&] {
    let_go();
    if (sign.joinable()) sign.join();
  };
  ASSERT_EQ(orchestrator.PoolSize(Key().key_id), 3u);
  const uint64_t presigns = orchestrator.counters().presign_runs.load();
  EXPECT_EQ(orchestrator.RefillPools(), 0);
  EXPECT_EQ(orchestrator.counters().refill_deferrals.load(), 1u);
  EXPECT_EQ(orchestrator.counters().presign_runs.load(), presigns);
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 3u);
  // The Sign ends: the refill runs again only once no Sign has been in
  // flight for 100 ms (kRefillQuietTime). The Sign ends after let_go, so a
  // refill that ran returned at least 100 ms after it.
  const auto released = std::chrono::steady_clock::now();
  let_go();
  sign.join();
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(held->from_pool);
  ExpectOpensslVerifies(held->signature, "held while the refill yields");
  int made = 0;
  const absl::Time end = absl::Now() + absl::Seconds(60);
  while (made == 0 && absl::Now() < end) {
    made = orchestrator.RefillPools();
    if (made == 0) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - released,
            std::chrono::milliseconds(100));
  EXPECT_EQ(made, 1);  // the one the held Sign took
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 4u);

  // At or below the mark the refill runs although a Sign is in flight, up
  // to just above the mark; then it yields again.
  for (const char* m : {"first of three", "second of three", "third"}) {
    auto s = orchestrator.Sign(Key(), Input(m, false));
    ASSERT_TRUE(s.ok()) << s.status();
  }
  ASSERT_EQ(orchestrator.PoolSize(Key().key_id), 1u);
  sign = hold_a_sign("held while the refill runs");
  ASSERT_EQ(orchestrator.PoolSize(Key().key_id), 0u);
  const uint64_t presigns_before = orchestrator.counters().presign_runs.load();
  const uint64_t deferrals_before =
      orchestrator.counters().refill_deferrals.load();
  EXPECT_EQ(orchestrator.RefillPools(), 2);  // 0 -> 1 -> 2, then yields
  EXPECT_EQ(orchestrator.counters().presign_runs.load(), presigns_before + 2);
  EXPECT_EQ(orchestrator.counters().refill_deferrals.load(),
            deferrals_before + 1);
  EXPECT_EQ(orchestrator.PoolSize(Key().key_id), 2u);
  let_go();
  sign.join();
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(held->from_pool);
  ExpectOpensslVerifies(held->signature, "held while the refill runs");
}

TEST_F(OrchestratorTest, BadPlansAreRefusedBeforeAnyRun) {
  Orchestrator orchestrator(nodes_, Options());
  std::vector<CulpritRecord> culprits;
  auto policy = testing::PolicyOf(*approvers_, 2);
  EXPECT_EQ(orchestrator.CreateKey({"node-1"}, 1, policy, nullptr, &culprits)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(orchestrator
                .CreateKey({"node-1", "node-2"}, 2, policy, nullptr, &culprits)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(orchestrator
                .CreateKey({"node-1", "node-1"}, 1, policy, nullptr, &culprits)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(orchestrator
                .CreateKey({"node-1", "node-9"}, 1, policy, nullptr, &culprits)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(orchestrator.counters().runs.load(), 0u);
}

}  // namespace
}  // namespace nitro_tss::coordinator
