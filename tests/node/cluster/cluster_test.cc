// A 2-of-3 cluster of real node processes (tss-kms-local, and per node a
// tss-host and a tss-enclave with a simulated NSM), driven through the
// enclaves' gRPC services by a harness that only relays bytes.
#include "tests/node/cluster/cluster.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <sys/socket.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/gg20/key_share.h"
#include "mpc/gg20/keygen.h"
#include "mpc/gg20/presign.h"
#include "nitro_tss/channel/v1/channel.pb.h"
#include "nitro_tss/host/v1/host.grpc.pb.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"
#include "node/attestation/simulated_nsm.h"
#include "node/vsock/address.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/socket.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/host/promtool.h"
#include "tests/node/host/tls_test_util.h"

namespace nitro_tss::testing {
namespace {

namespace ev1 = enclave::v1;

std::string Bytes32(const std::array<uint8_t, 33>& a) {
  return std::string(a.begin(), a.end());
}

std::string Culprits(const ev1::SessionAbort& a) {
  std::string out =
      absl::StrCat("round ", a.round(), " cause '", a.cause(), "':");
  for (const auto& c : a.culprits()) {
    absl::StrAppend(&out, " party ", c.party_id(), " ", c.code(), " (",
                    c.reason(), ")");
  }
  return out;
}

void ExpectAllDone(const std::map<int, SessionOutcome>& outcomes,
                   LocalCluster& cluster) {
  for (const auto& [node, o] : outcomes) {
    EXPECT_TRUE(o.done) << "node " << node + 1 << ": "
                        << (o.stream_error.empty() ? Culprits(o.abort)
                                                   : o.stream_error)
                        << "\nenclave log:\n"
                        << cluster.EnclaveLog(node);
  }
}

// VmLck of process `pid` in kB (-1 if unreadable).
int64_t VmLckKb(pid_t pid) {
  const std::string status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  const size_t at = status.find("VmLck:");
  if (at == std::string::npos) return -1;
  return std::atoll(status.c_str() + at + 6);
}

ev1::StartSession Start(const std::string& link, const std::string& session) {
  ev1::StartSession s;
  s.set_link_id(link);
  s.set_session_id(session);
  return s;
}

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.nodes = 3;
    // Short enough that the silent-party test ends soon, long enough for a
    // DKG round on this 2-core machine under load.
    options.round_deadline_ms = 20000;
    // Node 2's host keeps sealed blobs in S3 (moto), the others on their
    // local directory.
    options.s3_nodes = {1};
    // Through the hosts' inbound paths (mutual TLS), with every path that
    // crosses a host recorded (ByteTapFindsNoSecretCrossingAnyHost).
    options.tap = true;
    auto c = LocalCluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = c->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // DKG 2-of-3 over a DKG link; returns the key id (hex) and public key.
  static void Dkg(std::string* key_id, std::string* public_key) {
    absl::Status material =
        cluster_->WaitForKeygenMaterial({0, 1, 2}, absl::Minutes(5));
    ASSERT_TRUE(material.ok()) << material;
    auto linked = cluster_->Link({0, 1, 2}, "dkg-link-1", "");
    ASSERT_TRUE(linked.ok()) << linked.status();
    ev1::StartSession start = Start("dkg-link-1", "dkg-session-0000001");
    start.mutable_keygen()->set_threshold(1);
    *start.mutable_keygen()->mutable_approval_policy() = Policy();
    auto outcomes = cluster_->Run({0, 1, 2}, start);
    ExpectAllDone(outcomes, *cluster_);
    std::set<std::string> ids, pks;
    for (const auto& [node, o] : outcomes) {
      ASSERT_TRUE(o.result.has_key());
      EXPECT_EQ(o.result.key().party_id(), static_cast<uint32_t>(node + 1));
      ids.insert(o.result.key().key_id());
      pks.insert(o.result.key().public_key());
    }
    ASSERT_EQ(ids.size(), 1u);
    ASSERT_EQ(pks.size(), 1u);
    *key_id = *ids.begin();
    *public_key = *pks.begin();
  }

  // One presignature and one signature of `message` by `signers`.
  static void PresignAndSign(const std::vector<int>& signers,
                             const std::string& key_id, const std::string& link,
                             const std::string& message,
                             ev1::Signature* signature) {
    auto presign = cluster_->Run(signers, [&] {
      ev1::StartSession s = Start(link, "presign-" + link + "-0001");
      s.mutable_presign();
      return s;
    }());
    ExpectAllDone(presign, *cluster_);
    std::set<std::string> ids;
    for (const auto& [node, o] : presign) {
      ids.insert(o.result.presignature().presignature_id());
    }
    ASSERT_EQ(ids.size(), 1u);
    ev1::StartSession s = Start(link, "sign-" + link + "-000001");
    s.mutable_sign()->set_presignature_id(*ids.begin());
    s.mutable_sign()->set_message(message);
    s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    *s.mutable_sign()->mutable_approvals() =
        Approve({key_id, message, {}, 0, {&Approvers()[0], &Approvers()[2]}});
    auto signed_ = cluster_->Run(signers, s);
    ExpectAllDone(signed_, *cluster_);
    std::set<std::string> sigs;
    for (const auto& [node, o] : signed_) {
      sigs.insert(o.result.signature().r() + o.result.signature().s());
      *signature = o.result.signature();
    }
    EXPECT_EQ(sigs.size(), 1u);
    (void)key_id;
  }

  // The suite's key (made by the first test that needs it).
  static const std::string& KeyId() {
    if (key_id_.empty()) {
      Dkg(&key_id_, &public_key_);
    }
    return key_id_;
  }

  static std::string PresignOn(const std::vector<int>& nodes,
                               const std::string& link,
                               const std::string& session) {
    ev1::StartSession s = Start(link, session);
    s.mutable_presign();
    auto outcomes = cluster_->Run(nodes, s);
    ExpectAllDone(outcomes, *cluster_);
    return outcomes.begin()->second.result.presignature().presignature_id();
  }

  static ev1::StartSession SignStart(const std::string& link,
                                     const std::string& session,
                                     const std::string& presignature_id) {
    ev1::StartSession s = Start(link, session);
    s.mutable_sign()->set_presignature_id(presignature_id);
    s.mutable_sign()->set_message("message " + session);
    s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    *s.mutable_sign()->mutable_approvals() =
        Approve({key_id_,
                 "message " + session,
                 {},
                 0,
                 {&Approvers()[0], &Approvers()[1]}});
    return s;
  }

  static const std::vector<Approver>& Approvers() {
    static const auto* approvers = new std::vector<Approver>(3);
    return *approvers;
  }
  static const approval::v1::ApprovalPolicy& Policy() {
    static const auto* policy =
        new approval::v1::ApprovalPolicy(PolicyOf(Approvers(), 2));
    return *policy;
  }
  static absl::StatusOr<std::map<int, ev1::FinishLinkResponse>> KeyLink(
      const std::vector<int>& nodes, const std::string& link) {
    return cluster_->Link(nodes, link, key_id_, &Policy());
  }

  static LocalCluster* cluster_;
  static bool killed_signer_ran_;
  static std::string key_id_;
  static std::string public_key_;
};

std::string ClusterTest::key_id_;
std::string ClusterTest::public_key_;

LocalCluster* ClusterTest::cluster_ = nullptr;
bool ClusterTest::killed_signer_ran_ = false;

TEST_F(ClusterTest, DkgSealsRestartsUnsealsAndSignsVerifiedByOpenssl) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  const std::string key_id = key_id_, public_key = public_key_;
  ASSERT_EQ(public_key.size(), 33u);

  // Every enclave restarts: shares, identities and links are gone from
  // memory; each unseals its share through attested KMS Decrypt on first
  // use.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster_->StopEnclave(i), 0) << cluster_->EnclaveLog(i);
    ASSERT_TRUE(cluster_->StartEnclave(i).ok());
  }
  auto linked = cluster_->Link({0, 2}, "sign-link-13", key_id, &Policy());
  ASSERT_TRUE(linked.ok()) << linked.status() << "\n"
                           << cluster_->EnclaveLog(0);
  // The peers each enclave attested are the key's parties, with the
  // identity keys bound at DKG.
  EXPECT_EQ((*linked)[0].peers(0).party_id(), 3u);
  EXPECT_EQ((*linked)[2].peers(0).party_id(), 1u);

  const std::string message = "pay 1 BTC to the custody platform's cold wallet";
  ev1::Signature sig;
  ASSERT_NO_FATAL_FAILURE(
      PresignAndSign({0, 2}, key_id, "sign-link-13", message, &sig));
  EXPECT_EQ(sig.public_key(), public_key);
  absl::Status verified =
      VerifyWithOpenssl(cluster_->dir(), public_key, sig.r(), sig.s(), message);
  EXPECT_TRUE(verified.ok()) << verified;
  // The signers hold their unsealed shares in their locked arenas (4 MiB by
  // default, node/enclave/locked_share.h): the kernel counts them locked.
  for (int i : {0, 2}) {
    EXPECT_GE(VmLckKb(cluster_->enclave_pid(i)), 4096) << "node " << i + 1;
  }
}

// A node whose parent instance is replaced (its host process and disk are
// gone; a new host with an empty disk, the same configuration and enclave
// image) recovers its share from S3 through the processes and signs.
TEST_F(ClusterTest, AReplacedParentRecoversItsShareFromS3AndSigns) {
  if (!cluster_->OnS3(1)) GTEST_SKIP() << cluster_->s3_unavailable();
  ASSERT_NO_FATAL_FAILURE(KeyId());
  // Node 2's sealed share went to the bucket, nothing to the host's disk.
  absl::StatusOr<std::string> stored = cluster_->S3Blob(1, key_id_);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_FALSE(stored->empty());
  const std::string disk = cluster_->dir() + "/node-2/disk";
  EXPECT_FALSE(std::filesystem::exists(disk));

  // The parent instance is replaced.
  EXPECT_EQ(cluster_->StopEnclave(1), 0) << cluster_->EnclaveLog(1);
  EXPECT_EQ(cluster_->StopHost(1), 0) << cluster_->HostLog(1);
  cluster_->WipeHostDisk(1);
  ASSERT_TRUE(cluster_->StartHost(1).ok());
  ASSERT_TRUE(cluster_->StartEnclave(1).ok());

  // Its enclave has no share in memory: linking the key makes it fetch the
  // sealed record through the new host (from S3) and unseal it through
  // attested KMS Decrypt; then it signs with node 1.
  auto linked = KeyLink({0, 1}, "replaced-parent-link");
  ASSERT_TRUE(linked.ok()) << linked.status() << "\n"
                           << cluster_->EnclaveLog(1) << "\n"
                           << cluster_->HostLog(1);
  const std::string message = "replaced parent: pay 2 BTC to cold storage";
  ev1::Signature sig;
  ASSERT_NO_FATAL_FAILURE(
      PresignAndSign({0, 1}, key_id_, "replaced-parent-link", message, &sig));
  EXPECT_EQ(sig.public_key(), public_key_);
  absl::Status verified = VerifyWithOpenssl(cluster_->dir(), public_key_,
                                            sig.r(), sig.s(), message);
  EXPECT_TRUE(verified.ok()) << verified;
  // The new host served the record from the bucket.
  const std::string log = cluster_->HostLog(1);
  EXPECT_NE(log.find(R"("event":"get_blob")"), std::string::npos) << log;
  EXPECT_NE(log.find("s3://"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(disk));
}

TEST_F(ClusterTest, APresignatureIsNeverUsedTwice) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto linked = KeyLink({0, 1}, "once-link");
  ASSERT_TRUE(linked.ok()) << linked.status();
  const std::string id = PresignOn({0, 1}, "once-link", "once-presign-00001");
  auto first =
      cluster_->Run({0, 1}, SignStart("once-link", "once-sign-0000001", id));
  ExpectAllDone(first, *cluster_);
  // A retry (new session, same presignature): every signer refuses.
  auto retry =
      cluster_->Run({0, 1}, SignStart("once-link", "once-sign-0000002", id));
  for (const auto& [node, o] : retry) {
    EXPECT_FALSE(o.done);
    EXPECT_NE(o.stream_error.find("no such presignature"), std::string::npos)
        << o.stream_error;
  }

  // Two requests racing for one presignature: at most one signature.
  const std::string raced =
      PresignOn({0, 1}, "once-link", "once-presign-00002");
  std::map<int, SessionOutcome> a, b;
  std::thread ta([&] {
    a = cluster_->Run({0, 1},
                      SignStart("once-link", "race-sign-00000a", raced));
  });
  std::thread tb([&] {
    b = cluster_->Run({0, 1},
                      SignStart("once-link", "race-sign-00000b", raced));
  });
  ta.join();
  tb.join();
  int signatures = 0;
  for (const auto* run : {&a, &b}) {
    bool all = true;
    for (const auto& [node, o] : *run) all = all && o.done;
    signatures += all ? 1 : 0;
  }
  EXPECT_LE(signatures, 1);
  // Whatever happened, it is gone everywhere.
  auto after =
      cluster_->Run({0, 1}, SignStart("once-link", "race-sign-00000c", raced));
  for (const auto& [node, o] : after) EXPECT_FALSE(o.done);
}

TEST_F(ClusterTest, AnotherImageCannotUnsealNorJoin) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  // Node 3's enclave restarts as another image (other PCR0).
  ASSERT_TRUE(cluster_->StartEnclave(2, LocalCluster::OtherPcr0()).ok());
  // KMS refuses it the data key: it cannot open its share.
  auto linked = KeyLink({0, 2}, "other-image-link");
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.status().message().find("party 3 OpenLink"),
            std::string::npos)
      << linked.status();
  EXPECT_NE(linked.status().message().find("AccessDenied"), std::string::npos)
      << linked.status();
  // Its peers refuse it on a link (a DKG link needs no share), naming it.
  auto dkg = cluster_->Link({0, 1, 2}, "other-image-dkg", "");
  ASSERT_FALSE(dkg.ok());
  EXPECT_NE(dkg.status().message().find("party 1 FinishLink"),
            std::string::npos)
      << dkg.status();
  EXPECT_NE(dkg.status().message().find("party 3"), std::string::npos)
      << dkg.status();
  // Back to the good image: it unseals and links again.
  ASSERT_TRUE(cluster_->StartEnclave(2).ok());
  auto again = KeyLink({0, 2}, "good-image-link");
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(ClusterTest, AKilledSignerIsNamedSilentAndItsSessionIsGoneAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto linked = KeyLink({0, 1}, "kill-link");
  ASSERT_TRUE(linked.ok()) << linked.status();
  ev1::StartSession s = Start("kill-link", "kill-presign-00001");
  s.mutable_presign();
  // Node 2's enclave dies right after its first message.
  bool killed = false;
  auto outcomes = cluster_->Run({0, 1}, s, [&](int from, int, int index) {
    if (from == 1 && index >= 1) {
      if (!killed) {
        killed = true;
        cluster_->KillEnclave(1);
      }
      return true;
    }
    return false;
  });
  ASSERT_TRUE(killed);
  killed_signer_ran_ = true;
  const SessionOutcome& survivor = outcomes[0];
  ASSERT_FALSE(survivor.done);
  ASSERT_TRUE(survivor.stream_error.empty()) << survivor.stream_error;
  ASSERT_EQ(survivor.abort.culprits_size(), 1) << Culprits(survivor.abort);
  EXPECT_EQ(survivor.abort.culprits(0).party_id(), 2u);
  EXPECT_EQ(survivor.abort.culprits(0).code(), "silent");
  EXPECT_EQ(survivor.abort.culprits(0).action(), "retry");
  // Restarted: the old link and session are unknown, nothing is resumed.
  ASSERT_TRUE(cluster_->StartEnclave(1).ok());
  auto stale = cluster_->Run({1}, s);
  EXPECT_NE(stale[1].stream_error.find("unknown link id"), std::string::npos)
      << stale[1].stream_error;
}

// The stream error of every node (they all refuse alike), or "" if one
// signed.
std::string RefusedBoth(const std::map<int, SessionOutcome>& outcomes) {
  std::string first;
  for (const auto& [node, o] : outcomes) {
    if (o.done) return "";
    if (first.empty()) first = o.stream_error;
    // Same code at every node (messages may differ, e.g. each enclave's
    // clock reading).
    EXPECT_EQ(std::atoi(o.stream_error.c_str()), std::atoi(first.c_str()))
        << o.stream_error << " vs " << first;
  }
  return first;
}

TEST_F(ClusterTest, SigningIsRefusedByTheEnclaveWithoutAValidQuorum) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto linked = KeyLink({1, 2}, "approval-link");
  ASSERT_TRUE(linked.ok()) << linked.status();
  const std::string presig =
      PresignOn({1, 2}, "approval-link", "approval-presign-01");
  const auto& a = Approvers();
  Approver outsider;
  int n = 0;
  auto attempt = [&](const std::string& message,
                     const approval::v1::ApprovalBundle* bundle) {
    ev1::StartSession s =
        Start("approval-link", absl::StrCat("approval-sign-", ++n, "-pad"));
    s.mutable_sign()->set_presignature_id(presig);
    s.mutable_sign()->set_message(message);
    s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    if (bundle != nullptr) *s.mutable_sign()->mutable_approvals() = *bundle;
    return cluster_->Run({1, 2}, s);
  };
  const std::string msg = "transfer 5 ETH to 0xabc";
  const int kPermissionDenied = 7, kFailedPrecondition = 9, kAlreadyExists = 6;
  auto code = [](const std::string& e) { return std::atoi(e.c_str()); };

  std::string e = RefusedBoth(attempt(msg, nullptr));
  EXPECT_EQ(code(e), kPermissionDenied) << e;
  auto one = Approve({key_id_, msg, {}, 0, {&a[0]}});
  e = RefusedBoth(attempt(msg, &one));
  EXPECT_EQ(code(e), kPermissionDenied) << e;
  auto with_outsider = Approve({key_id_, msg, {}, 0, {&a[0], &outsider}});
  e = RefusedBoth(attempt(msg, &with_outsider));
  EXPECT_EQ(code(e), kPermissionDenied) << e;
  auto expired = Approve(
      {key_id_, msg, {}, attestation::WallClockMs() - 1000, {&a[0], &a[1]}});
  e = RefusedBoth(attempt(msg, &expired));
  EXPECT_EQ(code(e), kFailedPrecondition) << e;
  auto other_digest =
      Approve({key_id_, "transfer 500 ETH to 0xabc", {}, 0, {&a[0], &a[1]}});
  e = RefusedBoth(attempt(msg, &other_digest));
  EXPECT_EQ(code(e), kPermissionDenied) << e;
  auto other_key = Approve({std::string(64, '7'), msg, {}, 0, {&a[0], &a[1]}});
  e = RefusedBoth(attempt(msg, &other_key));
  EXPECT_EQ(code(e), kPermissionDenied) << e;
  auto other_path = Approve({key_id_, msg, {44, 60}, 0, {&a[0], &a[1]}});
  e = RefusedBoth(attempt(msg, &other_path));
  EXPECT_EQ(code(e), kPermissionDenied) << e;

  // None of that consumed the presignature: a valid quorum signs with it.
  auto good = Approve({key_id_, msg, {}, 0, {&a[1], &a[2]}});
  auto signed_ = attempt(msg, &good);
  ExpectAllDone(signed_, *cluster_);
  // The same approvals again (a replay, with a fresh presignature).
  const std::string presig2 =
      PresignOn({1, 2}, "approval-link", "approval-presign-02");
  ev1::StartSession replay = Start("approval-link", "approval-sign-replay");
  replay.mutable_sign()->set_presignature_id(presig2);
  replay.mutable_sign()->set_message(msg);
  replay.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
  *replay.mutable_sign()->mutable_approvals() = good;
  e = RefusedBoth(cluster_->Run({1, 2}, replay));
  EXPECT_EQ(code(e), kAlreadyExists) << e;
}

TEST_F(ClusterTest, PolicyMismatchAtDkgStartAbortsTheDkg) {
  auto linked = cluster_->Link({0, 1, 2}, "dkg-mismatch-link", "");
  ASSERT_TRUE(linked.ok()) << linked.status();
  // Node 3 was given another policy (a different quorum).
  std::vector<Approver> approvers(3);
  ev1::StartSession start = Start("dkg-mismatch-link", "dkg-mismatch-000001");
  start.mutable_keygen()->set_threshold(1);
  std::map<int, SessionOutcome> outcomes;
  // Run() starts every node with one message; give node 3 its own by
  // running the mismatch through the enclave's config digest check.
  *start.mutable_keygen()->mutable_approval_policy() = PolicyOf(approvers, 2);
  ev1::StartSession other = start;
  *other.mutable_keygen()->mutable_approval_policy() = PolicyOf(approvers, 3);
  outcomes = cluster_->RunEach({{0, start}, {1, start}, {2, other}});
  for (const auto& [node, o] : outcomes) {
    EXPECT_FALSE(o.done) << "node " << node + 1;
    EXPECT_TRUE(o.stream_error.empty()) << o.stream_error;
    EXPECT_EQ(o.abort.culprits_size(), 0) << Culprits(o.abort);
    EXPECT_NE(o.abort.cause().find("configur"), std::string::npos)
        << Culprits(o.abort);
  }
}

// The value of `name{...}` whose labels include all of `labels`; -1 if
// none.
double Sample(const std::string& text, const std::string& name,
              const std::vector<std::string>& labels) {
  size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const size_t eol = text.find('\n', at);
    const std::string line = text.substr(at, eol - at);
    at = eol;
    if (line.size() <= name.size() ||
        (line[name.size()] != '{' && line[name.size()] != ' ')) {
      continue;
    }
    bool all = true;
    for (const std::string& l : labels) {
      all = all && line.find(l) != std::string::npos;
    }
    if (all) return std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return -1;
}

// The enclave has no network: its metrics reach Prometheus through its
// host's /metrics, pushed over the host service.
TEST_F(ClusterTest, EnclaveMetricsReachTheHostAndPassPromtool) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto linked = KeyLink({0, 2}, "metrics-link");
  ASSERT_TRUE(linked.ok()) << linked.status();
  const std::string presig =
      PresignOn({0, 2}, "metrics-link", "metrics-presign-01");
  ExpectAllDone(cluster_->Run({0, 2}, SignStart("metrics-link",
                                                "metrics-sign-000001", presig)),
                *cluster_);
  // A sign without approvals: refused at the start.
  const std::string presig2 =
      PresignOn({0, 2}, "metrics-link", "metrics-presign-02");
  ev1::StartSession refused =
      SignStart("metrics-link", "metrics-sign-000002", presig2);
  refused.mutable_sign()->clear_approvals();
  for (const auto& [node, o] : cluster_->Run({0, 2}, refused)) {
    EXPECT_FALSE(o.done);
  }
  // Node 1's host shows its enclave's counters once the next push arrived
  // (every 200 ms here).
  const int port = cluster_->HostMetricsPort(0);
  ASSERT_GT(port, 0);
  std::string m;
  auto sessions = [&](const char* kind, const char* outcome) {
    return Sample(m, "nitro_enclave_sessions_total",
                  {absl::StrCat("kind=\"", kind, "\""),
                   absl::StrCat("outcome=\"", outcome, "\"")});
  };
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<std::string> body = HttpGet(port, "/metrics");
    ASSERT_TRUE(body.ok()) << body.status();
    m = *body;
    if (sessions("sign", "refused") >= 1 || absl::Now() > until) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(sessions("presign", "done"), 2) << m;
  EXPECT_GE(sessions("sign", "done"), 1) << m;
  EXPECT_GE(sessions("sign", "refused"), 1) << m;
  // Presign runs several rounds, each observed.
  EXPECT_GE(Sample(m, "nitro_enclave_round_duration_seconds_count",
                   {"kind=\"presign\""}),
            2 * 3)
      << m;
  if (killed_signer_ran_) {
    // Node 1 saw node 2 go silent mid-presign.
    EXPECT_GE(Sample(m, "nitro_enclave_culprits_total", {"code=\"silent\""}), 1)
        << m;
  }
  EXPECT_GE(Sample(m, "nitro_host_service_requests_total",
                   {"method=\"PutMetrics\"", "code=\"OK\""}),
            1)
      << m;
  if (!HavePromtool()) {
    GTEST_SKIP() << "promtool missing (install the Debian package "
                    "prometheus): exposition format not checked";
  }
  absl::Status lint = PromtoolCheck(cluster_->dir(), m);
  EXPECT_TRUE(lint.ok()) << lint << "\n" << m;
}

// A sealed share rolled back to an older epoch. The record is genuine in
// every other respect (the test re-seals node 3's own share through KMS as
// an enclave of the good image would, under the same KMS key, AEAD and
// encryption context) but for an epoch older than the one the enclave
// trusts. The host refuses to store it over the newer one; a host that
// serves it anyway (a new parent with an empty disk, or a tampered one) gets
// it refused by the enclave, which names both epochs. Until refresh exists
// the trusted epoch is the first (1), so the older record is epoch 0
// (node/enclave/README.md).
TEST_F(ClusterTest, ASealedShareRolledBackToAnOlderEpochIsRefused) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto stored = cluster_->UnsealStoredShare(2, key_id_);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->epoch, 1u);
  ASSERT_EQ(stored->opened.context.epoch, 1u);
  auto older = cluster_->Reseal(stored->opened, 0);
  ASSERT_TRUE(older.ok()) << older.status();

  // The host's own first line: it will not store an older epoch.
  absl::Status put = cluster_->PutBlobAsHost(2, key_id_, 0, *older);
  EXPECT_EQ(put.code(), absl::StatusCode::kFailedPrecondition) << put;
  EXPECT_NE(put.message().find("older epoch 0"), std::string::npos) << put;

  // A parent that serves the older record anyway: node 3's host restarts
  // with a disk holding only the epoch-0 record.
  EXPECT_EQ(cluster_->StopEnclave(2), 0) << cluster_->EnclaveLog(2);
  EXPECT_EQ(cluster_->StopHost(2), 0) << cluster_->HostLog(2);
  cluster_->WipeHostDisk(2);
  ASSERT_TRUE(cluster_->StartHost(2).ok());
  put = cluster_->PutBlobAsHost(2, key_id_, 0, *older);
  ASSERT_TRUE(put.ok()) << put;
  ASSERT_TRUE(cluster_->StartEnclave(2).ok());
  auto linked = KeyLink({0, 2}, "rollback-link");
  ASSERT_FALSE(linked.ok());
  EXPECT_EQ(linked.status().code(), absl::StatusCode::kFailedPrecondition)
      << linked.status();
  EXPECT_NE(linked.status().message().find("party 3 OpenLink"),
            std::string::npos)
      << linked.status();
  EXPECT_NE(linked.status().message().find(
                "sealed share epoch 0 is older than the trusted epoch 1"),
            std::string::npos)
      << linked.status();
  // Nothing was loaded: the enclave holds no key.
  ev1::GetInfoResponse info;
  grpc::ClientContext ctx;
  ASSERT_TRUE(
      cluster_->enclave(2).GetInfo(&ctx, ev1::GetInfoRequest(), &info).ok());
  EXPECT_EQ(info.keys_size(), 0);

  // The current record back: node 3 links and signs again.
  EXPECT_EQ(cluster_->StopEnclave(2), 0) << cluster_->EnclaveLog(2);
  EXPECT_EQ(cluster_->StopHost(2), 0) << cluster_->HostLog(2);
  cluster_->WipeHostDisk(2);
  ASSERT_TRUE(cluster_->StartHost(2).ok());
  put = cluster_->PutBlobAsHost(2, key_id_, 1, stored->blob);
  ASSERT_TRUE(put.ok()) << put;
  ASSERT_TRUE(cluster_->StartEnclave(2).ok());
  auto again = KeyLink({0, 2}, "rollback-restored-link");
  ASSERT_TRUE(again.ok()) << again.status();
}

// Many sessions at once: 16 presigns run concurrently on the three nodes
// (over the links of the three pairs of signers, five or six at once on each
// link, every node in ten or eleven), then 16 signatures at once. Nothing
// mixes: every run ends with one presignature agreed by its signers, all 16
// are distinct, and each signature verifies (OpenSSL) over its own message.
TEST_F(ClusterTest, SixteenConcurrentPresignsOnThreeNodesDoNotMix) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  const std::vector<std::vector<int>> pairs = {{0, 1}, {0, 2}, {1, 2}};
  std::vector<std::string> links;
  for (const auto& pair : pairs) {
    links.push_back(absl::StrCat("many-link-", pair[0] + 1, pair[1] + 1));
    auto linked = KeyLink(pair, links.back());
    ASSERT_TRUE(linked.ok()) << linked.status();
  }
  constexpr int kSessions = 16;
  auto session = [](const char* what, int n) {
    return absl::StrCat("many-", what, "-", n, "-0000000000");
  };
  std::vector<std::map<int, SessionOutcome>> presigned(kSessions);
  {
    std::vector<std::thread> threads;
    for (int n = 0; n < kSessions; ++n) {
      threads.emplace_back([&, n] {
        ev1::StartSession s = Start(links[n % 3], session("presign", n));
        s.mutable_presign();
        presigned[n] = cluster_->Run(pairs[n % 3], s);
      });
    }
    for (auto& t : threads) t.join();
  }
  std::set<std::string> ids, points;
  std::vector<std::string> id_of(kSessions);
  for (int n = 0; n < kSessions; ++n) {
    ExpectAllDone(presigned[n], *cluster_);
    std::set<std::string> agreed;
    for (const auto& [node, o] : presigned[n]) {
      agreed.insert(o.result.presignature().presignature_id());
      points.insert(o.result.presignature().r_point());
    }
    ASSERT_EQ(agreed.size(), 1u) << "session " << n;
    id_of[n] = *agreed.begin();
    ids.insert(id_of[n]);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSessions));
  EXPECT_EQ(points.size(), static_cast<size_t>(kSessions));

  std::vector<std::map<int, SessionOutcome>> signed_(kSessions);
  {
    std::vector<std::thread> threads;
    for (int n = 0; n < kSessions; ++n) {
      threads.emplace_back([&, n] {
        signed_[n] = cluster_->Run(
            pairs[n % 3],
            SignStart(links[n % 3], session("sign", n), id_of[n]));
      });
    }
    for (auto& t : threads) t.join();
  }
  for (int n = 0; n < kSessions; ++n) {
    ExpectAllDone(signed_[n], *cluster_);
    std::set<std::string> sigs;
    for (const auto& [node, o] : signed_[n]) {
      sigs.insert(o.result.signature().r() + o.result.signature().s());
    }
    ASSERT_EQ(sigs.size(), 1u) << "session " << n;
    const ev1::Signature& sig = signed_[n].begin()->second.result.signature();
    EXPECT_EQ(sig.public_key(), public_key_);
    absl::Status verified =
        VerifyWithOpenssl(cluster_->dir(), public_key_, sig.r(), sig.s(),
                          "message " + session("sign", n));
    EXPECT_TRUE(verified.ok()) << "session " << n << ": " << verified;
  }
}

uint32_t EnvelopeRound(const std::string& envelope) {
  channel::v1::Envelope e;
  return e.ParseFromString(envelope) ? e.round() : 0;
}

// The coordinator (here the harness's own relay, playing a malicious one)
// replays into a presign session an envelope of another session on the same
// link, and one of the session's own from an earlier round. The receiving
// enclave refuses each (logged with the channel's reason, nothing changed:
// no culprit, since no honest party sent it) and the session ends with the
// presignature both signers agree on.
TEST_F(ClusterTest, AnEnvelopeFromAnotherSessionOrAnEarlierRoundIsRefused) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto linked = KeyLink({0, 1}, "replay-link");
  ASSERT_TRUE(linked.ok()) << linked.status();
  ev1::StartSession a = Start("replay-link", "replay-session-a-0001");
  a.mutable_presign();
  std::vector<std::string> from_a;  // node 1 -> node 2, in order
  auto first = cluster_->RunInjecting(
      {0, 1}, a,
      [&](int from, int, int,
          const std::string& e) -> std::vector<std::string> {
        if (from == 0) from_a.push_back(e);
        return {};
      });
  ExpectAllDone(first, *cluster_);
  ASSERT_FALSE(from_a.empty());

  ev1::StartSession b = Start("replay-link", "replay-session-b-0001");
  b.mutable_presign();
  std::string b_first;
  int injected_other = 0, injected_earlier = 0;
  auto second = cluster_->RunInjecting(
      {0, 1}, b,
      [&](int from, int, int index,
          const std::string& e) -> std::vector<std::string> {
        if (from != 0) return {};
        if (index == 0) {
          b_first = e;
          ++injected_other;
          return {from_a[0]};  // another session's, same round and sender
        }
        if (injected_earlier == 0 &&
            EnvelopeRound(e) > EnvelopeRound(b_first)) {
          ++injected_earlier;
          return {b_first};  // this session's own, from an earlier round
        }
        return {};
      });
  ASSERT_EQ(injected_other, 1);
  ASSERT_EQ(injected_earlier, 1);
  ExpectAllDone(second, *cluster_);
  std::set<std::string> agreed;
  for (const auto& [node, o] : second) {
    EXPECT_EQ(o.abort.culprits_size(), 0);
    agreed.insert(o.result.presignature().presignature_id());
  }
  EXPECT_EQ(agreed.size(), 1u);
  EXPECT_NE(*agreed.begin(), first[0].result.presignature().presignature_id());
  // Node 2 refused both, with the channel's reason.
  const std::string log = cluster_->EnclaveLog(1);
  std::vector<std::string> refused;
  for (size_t at = log.find("envelope_refused"); at != std::string::npos;
       at = log.find("envelope_refused", at + 1)) {
    const std::string line = log.substr(at, log.find('\n', at) - at);
    // Session ids are logged in hex.
    if (line.find(absl::BytesToHexString("replay-session-b-0001")) !=
        std::string::npos) {
      refused.push_back(line);
    }
  }
  ASSERT_EQ(refused.size(), 2u) << log;
  EXPECT_NE(refused[0].find("message belongs to another session"),
            std::string::npos)
      << refused[0];
  EXPECT_NE(refused[1].find("was already received"), std::string::npos)
      << refused[1];
}

// Peer links are re-attested at the configured interval
// (attestation.link_max_age_ms): node 3's enclave restarts with links good
// for 3 s. A link it holds is used, then ages out: node 3 stops listing it
// (ProbeLinks; node 1 still does, and the coordinator re-links when any
// signer does not), refuses a new session on it naming the field, and a new
// link (a fresh handshake: new nonces, the documents verified again) carries
// the sessions on: a presignature made on the old link signs on the new one
// (OpenSSL verifies), and a new presign runs.
TEST_F(ClusterTest, LinksAreReattestedAtTheConfiguredInterval) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  ASSERT_TRUE(cluster_->StartEnclave(2, LocalCluster::GoodPcr0(), 3000).ok());
  auto linked = KeyLink({0, 2}, "reattest-link-1");
  ASSERT_TRUE(linked.ok()) << linked.status();
  const std::string presig =
      PresignOn({0, 2}, "reattest-link-1", "reattest-presign-001");
  ASSERT_FALSE(presig.empty());
  auto established = [&](int node, const std::string& link) {
    ev1::ProbeLinksRequest req;
    req.add_link_ids(link);
    ev1::ProbeLinksResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = cluster_->enclave(node).ProbeLinks(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.established_size() == 1;
  };
  // Waits for the link's age to pass (a deadline, not a fixed sleep).
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (established(2, "reattest-link-1") && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_FALSE(established(2, "reattest-link-1"));
  EXPECT_TRUE(established(0, "reattest-link-1"));  // default: 1 hour
  ev1::StartSession old = Start("reattest-link-1", "reattest-presign-002");
  old.mutable_presign();
  auto refused = cluster_->Run({2}, old);
  EXPECT_NE(refused[2].stream_error.find("attestation.link_max_age_ms"),
            std::string::npos)
      << refused[2].stream_error;
  EXPECT_EQ(std::atoi(refused[2].stream_error.c_str()),
            static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION))
      << refused[2].stream_error;

  // Re-linked as the coordinator does (a new link id): a fresh attested
  // handshake, and the sessions go on.
  auto relinked = KeyLink({0, 2}, "reattest-link-2");
  ASSERT_TRUE(relinked.ok()) << relinked.status();
  EXPECT_EQ((*relinked)[0].peers(0).party_id(), 3u);
  auto signed_ = cluster_->Run(
      {0, 2}, SignStart("reattest-link-2", "reattest-sign-00001", presig));
  ExpectAllDone(signed_, *cluster_);
  const ev1::Signature& sig = signed_[0].result.signature();
  absl::Status verified =
      VerifyWithOpenssl(cluster_->dir(), public_key_, sig.r(), sig.s(),
                        "message reattest-sign-00001");
  EXPECT_TRUE(verified.ok()) << verified;
  EXPECT_FALSE(
      PresignOn({0, 2}, "reattest-link-2", "reattest-presign-003").empty());
  // Node 3 attested for each link (two handshakes), each in its log.
  const std::string log = cluster_->EnclaveLog(2);
  for (const char* link : {"reattest-link-1", "reattest-link-2"}) {
    EXPECT_NE(log.find(absl::StrCat(R"("event":"finish_link","link_id":")",
                                    absl::BytesToHexString(link),
                                    R"(","status":"OK")")),
              std::string::npos)
        << link << "\n"
        << log;
  }
  // Back to the default interval for the tests that follow.
  ASSERT_TRUE(cluster_->StartEnclave(2).ok());
}

// A presignature lives only in its enclave's memory: after a signer's
// enclave restarts, a signing request for it is refused (it is gone), and
// a new presign on a new link signs.
TEST_F(ClusterTest, APresignatureIsGoneAfterAnEnclaveRestart) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  auto linked = KeyLink({0, 1}, "gone-link-1");
  ASSERT_TRUE(linked.ok()) << linked.status();
  const std::string id = PresignOn({0, 1}, "gone-link-1", "gone-presign-0001");
  EXPECT_EQ(cluster_->StopEnclave(1), 0) << cluster_->EnclaveLog(1);
  ASSERT_TRUE(cluster_->StartEnclave(1).ok());
  auto relinked = KeyLink({0, 1}, "gone-link-2");
  ASSERT_TRUE(relinked.ok()) << relinked.status();
  auto refused =
      cluster_->Run({1}, SignStart("gone-link-2", "gone-sign-00000001", id));
  EXPECT_FALSE(refused[1].done);
  EXPECT_EQ(std::atoi(refused[1].stream_error.c_str()),
            static_cast<int>(grpc::StatusCode::NOT_FOUND))
      << refused[1].stream_error;
  EXPECT_NE(refused[1].stream_error.find("lost in an enclave restart"),
            std::string::npos)
      << refused[1].stream_error;
  const std::string fresh =
      PresignOn({0, 1}, "gone-link-2", "gone-presign-0002");
  ExpectAllDone(cluster_->Run({0, 1}, SignStart("gone-link-2",
                                                "gone-sign-00000002", fresh)),
                *cluster_);
}

// The enclave's service (through the host's inbound path, as the
// coordinator reaches it) and the host's service (as the enclave reaches
// it) refuse oversized and malformed requests with status codes a caller
// can act on, and keep serving.
TEST_F(ClusterTest, TheServicesRefuseOversizedAndMalformedRequests) {
  ev1::Enclave::Stub& enclave = cluster_->enclave(0);
  auto call_info = [&](const std::string& nonce) {
    ev1::GetInfoRequest req;
    req.set_nonce(nonce);
    ev1::GetInfoResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    return enclave.GetInfo(&ctx, req, &resp);
  };
  // Beyond the enclave's 8 MiB per message.
  grpc::Status s = call_info(std::string(9 << 20, 'x'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  s = call_info(std::string(65, 'x'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_NE(s.error_message().find("nonce"), std::string::npos)
      << s.error_message();
  {
    ev1::OpenLinkRequest req;  // no link id, no parties
    ev1::OpenLinkResponse resp;
    grpc::ClientContext ctx;
    s = enclave.OpenLink(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
    EXPECT_NE(s.error_message().find("link_id"), std::string::npos)
        << s.error_message();
  }
  {
    ev1::SessionInput in;
    in.set_envelope("not a start");
    absl::Status end = cluster_->RawSession(0, {in});
    EXPECT_EQ(end.code(), absl::StatusCode::kFailedPrecondition) << end;
  }
  {
    // A start whose session id is too short: refused before any state.
    ev1::SessionInput in;
    in.mutable_start()->set_link_id("some-link");
    in.mutable_start()->set_session_id("short");
    absl::Status end = cluster_->RawSession(0, {in});
    EXPECT_EQ(end.code(), absl::StatusCode::kInvalidArgument) << end;
  }
  EXPECT_TRUE(call_info("still serving").ok());

  // The host's service, as the enclave calls it.
  auto channel = vsock::DialGrpc(
      vsock::SocketAddress::Unix(cluster_->HostServiceSocket(0)),
      absl::Seconds(5));
  ASSERT_TRUE(channel.ok()) << channel.status();
  auto host = host::v1::Host::NewStub(*channel);
  auto put = [&](const std::string& key_id, const std::string& blob) {
    host::v1::PutBlobRequest req;
    req.mutable_name()->set_key_id(key_id);
    req.mutable_name()->set_party_id(1);
    req.set_epoch(1);
    req.set_blob(blob);
    host::v1::PutBlobResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    return host->PutBlob(&ctx, req, &resp);
  };
  const std::string key(64, 'e');
  s = put(key, std::string(3 << 20, 'x'));  // beyond its 2 MiB per message
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message();
  s = put(key, std::string(256 * 1024 + 1, 'x'));  // beyond a blob's limit
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_NE(s.error_message().find("blob"), std::string::npos)
      << s.error_message();
  s = put(key, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  {
    host::v1::GetBlobRequest req;  // no name
    host::v1::GetBlobResponse resp;
    grpc::ClientContext ctx;
    s = host->GetBlob(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << s.error_message();
  }
  {
    host::v1::GetCredentialsRequest req;
    host::v1::GetCredentialsResponse resp;
    grpc::ClientContext ctx;
    EXPECT_TRUE(host->GetCredentials(&ctx, req, &resp).ok());
  }
}

// ---- the byte tap: nothing secret crosses a host ----

struct Needle {
  std::string what;
  std::string bytes;
};

std::string Reversed(std::string s) {
  std::reverse(s.begin(), s.end());
  return s;
}

// A value in every form a leak could take: big-endian as held,
// little-endian (GMP limbs, a memcpy of a scalar), and hex (a log line).
// Base64 (JSON) is decoded by the search (TapCorpus).
void AddValue(std::vector<Needle>* out, const std::string& what,
              const std::string& be) {
  ASSERT_GE(be.size(), 16u) << what;  // no accidental matches
  out->push_back({what + " (big-endian)", be});
  out->push_back({what + " (little-endian)", Reversed(be)});
  out->push_back({what + " (hex)", absl::BytesToHexString(be)});
  out->push_back(
      {what + " (HEX)", absl::AsciiStrToUpper(absl::BytesToHexString(be))});
}

std::string Bytes(const std::array<uint8_t, 32>& a) {
  return std::string(a.begin(), a.end());
}

// The encoded header of a point-to-point round message (mpc::round::
// EncodeMessage, RoundMessage fields 2..5: protocol, round, from, to): the
// plaintext of a direct peer message starts its fields this way, and only a
// direct message has field 5 (a broadcast, to = 0, omits it). Broadcasts
// travel signed in the clear by design (node/channel/session.h): public
// values every party and the coordinator see.
std::string DirectMessageMarker(const std::string& protocol, uint32_t round,
                                uint32_t from, uint32_t to) {
  std::string m;
  m += '\x12';
  m += static_cast<char>(protocol.size());
  m += protocol;
  m += '\x18';
  m += static_cast<char>(round);
  m += '\x20';
  m += static_cast<char>(from);
  m += '\x28';
  m += static_cast<char>(to);
  return m;
}

// Every byte that crossed each host during the suite (the DKG, every
// presign and sign, restarts, unseals, replaced parent) went through a
// recording relay (ClusterOptions::tap): the host's inbound path to its
// enclave, where TLS has ended and the host holds the stream in clear; the
// host service the enclave calls (sealed blobs, credentials, metrics); the
// outbound proxy to KMS. The test learns the secrets as only the owner of
// the development CA and the KMS key's policy can (it unseals every stored
// record as an enclave of the good image would), reconstructs the key and
// the nonce of a signature it made, and searches every capture, the hosts'
// /metrics and every log for them. Controls: each value planted into each
// tapped path is found, so the search can fail.
TEST_F(ClusterTest, ByteTapFindsNoSecretCrossingAnyHost) {
  ASSERT_NO_FATAL_FAILURE(KeyId());
  // A presign and a sign of this test's own, so that it knows the nonce.
  auto linked = KeyLink({0, 1}, "tap-link");
  ASSERT_TRUE(linked.ok()) << linked.status();
  const std::string message = "tap: pay 3 BTC to the custody cold wallet";
  ev1::Signature sig;
  ASSERT_NO_FATAL_FAILURE(
      PresignAndSign({0, 1}, key_id_, "tap-link", message, &sig));
  ASSERT_TRUE(
      VerifyWithOpenssl(cluster_->dir(), public_key_, sig.r(), sig.s(), message)
          .ok());

  // The secrets, from the sealed records.
  std::vector<Needle> needles;
  std::vector<std::string> blobs, wrapped_keys;
  std::map<uint32_t, mpc::Scalar> shares;
  for (int i = 0; i < 3; ++i) {
    auto stored = cluster_->UnsealStoredShare(i, key_id_);
    ASSERT_TRUE(stored.ok()) << "node " << i + 1 << ": " << stored.status();
    blobs.push_back(stored->blob);
    auto header = kms::DecodeSealedShare(absl::MakeConstSpan(
        reinterpret_cast<const uint8_t*>(stored->blob.data()),
        stored->blob.size()));
    ASSERT_TRUE(header.ok());
    wrapped_keys.emplace_back(header->wrapped_data_key.begin(),
                              header->wrapped_data_key.end());
    mpc::v1::KeyShareRecord record;
    ASSERT_TRUE(record.ParseFromArray(stored->opened.share.data(),
                                      stored->opened.share.size()));
    const std::string who = absl::StrCat("party ", i + 1, " ");
    ASSERT_EQ(record.secret_share().size(), 32u);
    AddValue(&needles, who + "share x_i", record.secret_share());
    AddValue(&needles, who + "Paillier p", record.paillier_p());
    AddValue(&needles, who + "Paillier q", record.paillier_q());
    AddValue(&needles, who + "ring-Pedersen p", record.rp_p());
    AddValue(&needles, who + "ring-Pedersen q", record.rp_q());
    AddValue(&needles, who + "ring-Pedersen tau", record.rp_tau());
    AddValue(&needles, who + "ring-Pedersen lambda", record.rp_lambda());
    std::array<uint8_t, 32> seed{};
    stored->opened.identity->ExportSeedForSealing(absl::MakeSpan(seed));
    AddValue(&needles, who + "identity key seed", Bytes(seed));
    sodium_memzero(seed.data(), seed.size());
    auto x = mpc::Scalar::FromBytes(absl::MakeConstSpan(
        reinterpret_cast<const uint8_t*>(record.secret_share().data()), 32));
    ASSERT_TRUE(x.ok());
    shares[i + 1] = *x;
    mpc::gg20::KeyShare::WipeSecrets(record);
  }
  // The whole key (Lagrange at 0 over parties 1 and 2: 2·x1 − x2), checked
  // against the public key, and the signature's nonce k = s⁻¹(z + r·x)
  // (either sign: low-s), checked against r.
  const mpc::Scalar key = mpc::Scalar::FromU64(2) * shares[1] - shares[2];
  ASSERT_EQ(Bytes32(mpc::Point::MulBase(key).EncodeOrZeros()), public_key_);
  AddValue(&needles, "the private key x", Bytes(key.ToBytes()));
  unsigned char z[32];
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         z);
  auto zs = mpc::Scalar::FromBytes(absl::MakeConstSpan(z, 32));
  auto rs = mpc::Scalar::FromBytes(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(sig.r().data()), 32));
  auto ss = mpc::Scalar::FromBytes(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(sig.s().data()), 32));
  ASSERT_TRUE(zs.ok() && rs.ok() && ss.ok());
  auto s_inv = ss->Inverse();
  ASSERT_TRUE(s_inv.ok());
  const mpc::Scalar k = *s_inv * (*zs + *rs * key);
  ASSERT_EQ(Bytes32(mpc::Point::MulBase(k).EncodeOrZeros()).substr(1), sig.r());
  AddValue(&needles, "the signature's nonce k", Bytes(k.ToBytes()));
  AddValue(&needles, "the signature's nonce -k", Bytes((-k).ToBytes()));
  auto k_inv = k.Inverse();
  ASSERT_TRUE(k_inv.ok());
  AddValue(&needles, "k^-1", Bytes(k_inv->ToBytes()));
  // Plaintext point-to-point peer messages of every protocol run.
  for (const char* protocol :
       {mpc::gg20::kKeygenProtocol, mpc::gg20::kPresignProtocol}) {
    for (uint32_t round = 1; round <= 8; ++round) {
      for (uint32_t from = 1; from <= 3; ++from) {
        for (uint32_t to = 1; to <= 3; ++to) {
          if (from == to) continue;
          needles.push_back(
              {absl::StrCat("plaintext direct message ", protocol, " round ",
                            round, " ", from, "->", to),
               DirectMessageMarker(protocol, round, from, to)});
        }
      }
    }
  }

  // Everything recorded, plus what else leaves the hosts: /metrics and the
  // logs (the enclaves' too: in local mode their stderr is a file).
  auto captured = [&] {
    std::vector<ByteTap::Stream> streams = cluster_->TapStreams();
    for (int i = 0; i < 3; ++i) {
      const std::string node = absl::StrCat("node-", i + 1);
      auto metrics = HttpGet(cluster_->HostMetricsPort(i), "/metrics");
      EXPECT_TRUE(metrics.ok()) << metrics.status();
      streams.push_back({node + " /metrics", 1, false, metrics.value_or("")});
      streams.push_back({node + " host log", 1, false, cluster_->HostLog(i)});
      streams.push_back(
          {node + " enclave log", 1, false, cluster_->EnclaveLog(i)});
    }
    return streams;
  };
  {
    const absl::Time t0 = absl::Now();
    const TapCorpus corpus(captured());
    uint64_t recorded = 0;
    for (const ByteTap::Stream& st : cluster_->TapStreams()) {
      recorded += st.bytes.size();
    }
    for (const Needle& n : needles) {
      for (const TapHit& hit : corpus.Find(n.bytes)) {
        ADD_FAILURE() << n.what << " found in " << hit.where << " at "
                      << hit.offset;
      }
    }
    std::cout << "byte tap: " << recorded << " bytes recorded on "
              << cluster_->TapStreams().size() << " streams, " << corpus.views()
              << " views, " << needles.size() << " needles, searched in "
              << absl::FormatDuration(absl::Now() - t0) << "\n";
    for (int i = 0; i < 3; ++i) {
      const std::string node = absl::StrCat("node-", i + 1, " ");
      // Each tap recorded the real traffic of its path: the sealed record
      // crossed the host service, its wrapped data key went to KMS (base64
      // in a JSON body), the session traffic crossed the inbound path.
      EXPECT_GT(corpus.BytesOf(node + "inbound"), 100000u) << node;
      EXPECT_FALSE(corpus.Find(blobs[i]).empty()) << node << "sealed record";
      EXPECT_FALSE(corpus.Find(wrapped_keys[i]).empty())
          << node << "wrapped data key";
    }
    EXPECT_FALSE(corpus.Find("X-Amz-Target: TrentService.").empty());
    EXPECT_FALSE(corpus.Find(sig.r()).empty());
  }

  // Controls: every value planted into each tapped path of node 1 is found
  // there. Inbound: a session start whose message carries them (refused,
  // but it crossed the host); host service: a PutBlob carrying them (the
  // host refuses the name); KMS proxy: a KMS request with them base64'd in
  // its JSON body.
  std::string planted = RandomBytes(20000);
  for (const Needle& n : needles) planted += RandomBytes(7) + n.bytes;
  {
    ev1::SessionInput in;
    ev1::StartSession* start = in.mutable_start();
    start->set_link_id("tap-control-link");
    start->set_session_id("tap-control-session-1");
    start->mutable_sign()->set_message(planted);
    start->mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    EXPECT_EQ(cluster_->RawSession(0, {in}).code(),
              absl::StatusCode::kNotFound);
  }
  {
    auto channel =
        vsock::DialGrpc(vsock::SocketAddress::Unix(
                            cluster_->TapSocket(0, TapPath::kHostService)),
                        absl::Seconds(5));
    ASSERT_TRUE(channel.ok());
    auto host = host::v1::Host::NewStub(*channel);
    host::v1::PutBlobRequest req;
    req.mutable_name()->set_key_id("tap-control");
    req.mutable_name()->set_party_id(1);
    req.set_epoch(1);
    req.set_blob(planted.substr(0, 200000));
    host::v1::PutBlobResponse resp;
    grpc::ClientContext ctx;
    grpc::Status put = host->PutBlob(&ctx, req, &resp);
    EXPECT_NE(put.error_code(), grpc::StatusCode::UNAVAILABLE)
        << put.error_message();
  }
  {
    auto fd = vsock::Connect(
        vsock::SocketAddress::Unix(cluster_->TapSocket(0, TapPath::kKmsProxy)),
        absl::Seconds(5));
    ASSERT_TRUE(fd.ok());
    const std::string body = absl::StrCat(R"({"CiphertextBlob":")",
                                          absl::Base64Escape(planted), "\"}");
    const std::string request = absl::StrCat(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-amz-json-1.1\r\n"
        "X-Amz-Target: TrentService.Decrypt\r\nContent-Length: ",
        body.size(), "\r\nConnection: close\r\n\r\n", body);
    ASSERT_TRUE(SendAll(fd->get(), request).ok());
    // KMS answers (an error: no such ciphertext) and closes.
    auto answer = RecvExactly(fd->get(), 12, absl::Seconds(10));
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->substr(0, 9), "HTTP/1.1 ");
  }
  const TapCorpus after(captured());
  for (const Needle& n : needles) {
    std::set<std::string> paths;
    for (const TapHit& hit : after.Find(n.bytes)) {
      for (const char* path :
           {"node-1 inbound", "node-1 host-service", "node-1 kms-proxy"}) {
        if (hit.where.rfind(path, 0) == 0) paths.insert(path);
      }
    }
    EXPECT_EQ(paths.size(), 3u) << n.what << " planted, found only in "
                                << paths.size() << " of the 3 tapped paths";
  }
}

}  // namespace
}  // namespace nitro_tss::testing
