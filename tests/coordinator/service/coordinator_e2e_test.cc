// tss-coordinator as a real process in front of a 2-of-3 cluster of real
// node processes (tss-kms-local; per node tss-host and tss-enclave with a
// simulated NSM), driven through the public gRPC API (nitro_tss.v1.Custody)
// as a custody platform would: nodes, CreateKey as a long-running
// operation, GetKey/ListKeys, Sign (idempotent by request id) verified by
// OpenSSL's command line, refused approvals, a cheating enclave caught by
// its peers (excluded for the key, named in GetKey/GetNode, the audit log,
// the metrics and a failed Sign's error details) and readmitted with
// tssctl, metrics checked by promtool, the audit chain, and a restart that
// keeps every key.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdio>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/storage/storage.h"
#include "nitro_tss/v1/custody.grpc.pb.h"
#include "tests/coordinator/service/coordinator_process.h"
#include "tests/coordinator/storage/sqlite_exec.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::testing {
namespace {

std::pair<int, std::string> Shell(const std::string& cmd) {
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = ::pclose(f);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

class CoordinatorE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.nodes = 3;
    options.round_deadline_ms = 60000;
    auto c = LocalCluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = c->release();
    approvers_ = new std::vector<Approver>(3);
    ASSERT_NO_FATAL_FAILURE(StartCoordinator());
  }
  static void TearDownTestSuite() {
    stub_.reset();
    delete coordinator_;
    coordinator_ = nullptr;
    delete cluster_;
    delete approvers_;
  }

  static std::string Dir() { return cluster_->dir() + "/coordinator"; }

  static std::string Config() {
    return absl::StrCat(
        CoordinatorNodesConfig(*cluster_), "storage { sqlite { path: \"", Dir(),
        "/coordinator.db\" } }\n", "metrics_listen: \"127.0.0.1:0\"\n",
        "attestation_root_pem_file: \"", cluster_->dir(), "/root.pem\"\n",
        "deadlines { round_ms: 20000 }\n", "health_interval_ms: 300\n",
        "allowed_images { pcrs { key: 0 value: \"", LocalCluster::GoodPcr0(),
        "\" } }\n");
  }

  static void StartCoordinator() {
    auto p = StartCoordinatorProcess(Dir(), Config());
    ASSERT_TRUE(p.ok()) << p.status();
    coordinator_ = p->release();
    auto listen = coordinator_->ready().StringField("listen");
    ASSERT_TRUE(listen.ok()) << listen.status();
    auto metrics = coordinator_->ready().StringField("metrics");
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    *metrics_address_ = *metrics;
    stub_ = v1::Custody::NewStub(grpc::CreateChannel(
        "unix:" + listen->substr(7), grpc::InsecureChannelCredentials()));
  }

  static grpc::Status Call(
      const std::function<grpc::Status(grpc::ClientContext*)>& f) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::minutes(5));
    return f(&ctx);
  }

  // The suite's key, made through CreateKey + WaitOperation.
  static const v1::Key& Key() {
    if (key_ == nullptr) {
      v1::CreateKeyRequest req;
      req.set_request_id("create-key-0001");
      req.mutable_key()->set_threshold(1);
      for (int i = 1; i <= 3; ++i) {
        req.mutable_key()->add_nodes(absl::StrCat("nodes/node-", i));
      }
      *req.mutable_key()->mutable_approval_policy() = PolicyOf(*approvers_, 2);
      v1::Operation op;
      grpc::Status s = Call([&](grpc::ClientContext* c) {
        return stub_->CreateKey(c, req, &op);
      });
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_FALSE(op.name().empty());
      v1::WaitOperationRequest wait;
      wait.set_name(op.name());
      wait.mutable_timeout()->set_seconds(300);
      s = Call([&](grpc::ClientContext* c) {
        return stub_->WaitOperation(c, wait, &op);
      });
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_TRUE(op.done());
      EXPECT_TRUE(op.has_response()) << op.error().message();
      key_ = new v1::Key();
      op.response().UnpackTo(key_);
      create_op_ = new v1::Operation(op);
    }
    return *key_;
  }

  // Waits (polling GetNode) until the coordinator's health checks see
  // `node` as `health`.
  static void WaitForHealth(const std::string& node, v1::Node::Health health) {
    v1::GetNodeRequest get;
    get.set_name(node);
    v1::Node got;
    const absl::Time end = absl::Now() + absl::Seconds(60);
    for (;;) {
      grpc::Status s = Call(
          [&](grpc::ClientContext* c) { return stub_->GetNode(c, get, &got); });
      ASSERT_TRUE(s.ok()) << s.error_message();
      if (got.health() == health) return;
      ASSERT_LT(absl::Now(), end)
          << node << " is " << v1::Node::Health_Name(got.health()) << ": "
          << got.last_error();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  static std::string Metrics() {
    auto [code, metrics] = Shell(absl::StrCat(
        "python3 -c \"import urllib.request,sys; "
        "sys.stdout.write(urllib.request.urlopen('http://",
        *metrics_address_, "/metrics', timeout=10).read().decode())\""));
    EXPECT_EQ(code, 0) << metrics;
    return metrics;
  }

  // The value of the first sample of `name` whose labels include every one
  // of `labels`; -1 if there is none.
  static double MetricValue(const std::string& metrics, const std::string& name,
                            const std::vector<std::string>& labels) {
    size_t at = 0;
    while ((at = metrics.find(name + "{", at)) != std::string::npos) {
      const size_t end = metrics.find('\n', at);
      const std::string line = metrics.substr(at, end - at);
      at = end;
      bool all = true;
      for (const auto& l : labels) all = all && line.find(l) != line.npos;
      if (all) return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1;
  }

  static std::vector<coordinator::storage::AuditEntry> AuditEntries() {
    auto db =
        coordinator::storage::OpenSqliteStorage(Dir() + "/coordinator.db");
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return {};
    auto entries = (*db)->ListAudit(1, 10000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    return entries.ok() ? *entries
                        : std::vector<coordinator::storage::AuditEntry>{};
  }

  // `resp` was signed by nodes 1 and 3 (node 2 cheats), and openssl
  // verifies its signature of `message` under the key.
  static void ExpectSignedByNodes1And3(const v1::SignResponse& resp,
                                       const std::string& message) {
    EXPECT_EQ(
        std::vector<std::string>(resp.signers().begin(), resp.signers().end()),
        (std::vector<std::string>{"nodes/node-1", "nodes/node-3"}));
    auto verified =
        VerifyWithOpenssl(cluster_->dir(), Key().public_key(),
                          resp.signature().r(), resp.signature().s(), message);
    EXPECT_TRUE(verified.ok()) << verified;
  }

  // GetKey and GetNode show node 2 excluded from the key for a bad Πaff-g
  // proof; nodes 1 and 3 are excluded from nothing.
  static void ExpectExcludedForBadProof() {
    v1::GetKeyRequest get;
    get.set_name(Key().name());
    v1::Key key;
    grpc::Status s = Call(
        [&](grpc::ClientContext* c) { return stub_->GetKey(c, get, &key); });
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(key.excluded_nodes_size(), 1) << key.DebugString();
    const v1::NodeExclusion& e = key.excluded_nodes(0);
    EXPECT_EQ(e.node(), "nodes/node-2");
    EXPECT_EQ(e.key(), Key().name());
    EXPECT_EQ(e.code(), "bad_proof");
    EXPECT_NE(e.reason().find("pi_aff_g"), std::string::npos) << e.reason();
    EXPECT_GT(e.exclude_time().seconds(), 0);
    for (int i = 1; i <= 3; ++i) {
      v1::GetNodeRequest node_req;
      node_req.set_name(absl::StrCat("nodes/node-", i));
      v1::Node node;
      s = Call([&](grpc::ClientContext* c) {
        return stub_->GetNode(c, node_req, &node);
      });
      ASSERT_TRUE(s.ok()) << s.error_message();
      if (i != 2) {
        EXPECT_EQ(node.exclusions_size(), 0) << node.DebugString();
        continue;
      }
      ASSERT_EQ(node.exclusions_size(), 1) << node.DebugString();
      EXPECT_EQ(node.exclusions(0).key(), Key().name());
      EXPECT_EQ(node.exclusions(0).code(), "bad_proof");
    }
  }

  static v1::SignRequest SignRequestFor(const std::string& request_id,
                                        const std::string& message) {
    v1::SignRequest req;
    req.set_name(Key().name());
    req.set_message(message);
    req.set_hash(v1::SHA256);
    req.set_request_id(request_id);
    *req.mutable_approvals() =
        Approve({Key().name().substr(5),
                 message,
                 {},
                 0,
                 {&(*approvers_)[1], &(*approvers_)[2]}});
    return req;
  }

  static LocalCluster* cluster_;
  static ChildProcess* coordinator_;
  static std::unique_ptr<v1::Custody::Stub> stub_;
  static std::vector<Approver>* approvers_;
  static v1::Key* key_;
  static v1::Operation* create_op_;
  static std::string* metrics_address_;
  static v1::SignRequest* first_request_;
  static v1::SignResponse* first_response_;
};

LocalCluster* CoordinatorE2eTest::cluster_ = nullptr;
ChildProcess* CoordinatorE2eTest::coordinator_ = nullptr;
std::unique_ptr<v1::Custody::Stub> CoordinatorE2eTest::stub_;
std::vector<Approver>* CoordinatorE2eTest::approvers_ = nullptr;
v1::Key* CoordinatorE2eTest::key_ = nullptr;
v1::Operation* CoordinatorE2eTest::create_op_ = nullptr;
std::string* CoordinatorE2eTest::metrics_address_ = new std::string();
v1::SignRequest* CoordinatorE2eTest::first_request_ = new v1::SignRequest();
v1::SignResponse* CoordinatorE2eTest::first_response_ = new v1::SignResponse();

TEST_F(CoordinatorE2eTest, ListsTheNodesWithTheirAttestedImage) {
  v1::ListNodesResponse nodes;
  grpc::Status s = Call([&](grpc::ClientContext* c) {
    return stub_->ListNodes(c, v1::ListNodesRequest(), &nodes);
  });
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(nodes.nodes_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const v1::Node& n = nodes.nodes(i);
    EXPECT_EQ(n.name(), absl::StrCat("nodes/node-", i + 1));
    EXPECT_EQ(n.party_id(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(n.health(), v1::Node::SERVING) << n.last_error();
    EXPECT_EQ(n.pcrs().at(0), LocalCluster::GoodPcr0());
    EXPECT_TRUE(n.has_last_attestation_time());
  }
  v1::GetNodeRequest get;
  get.set_name("nodes/node-9");
  v1::Node node;
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->GetNode(c, get, &node); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CoordinatorE2eTest, CreateKeyIsALongRunningOperationAndIdempotent) {
  const v1::Key& key = Key();
  ASSERT_EQ(key.state(), v1::Key::ACTIVE);
  ASSERT_EQ(key.public_key().size(), 33u);
  ASSERT_EQ(key.public_key_uncompressed().size(), 65u);
  EXPECT_EQ(key.name().size(), 5u + 64u);
  EXPECT_EQ(key.parties_size(), 3);
  v1::CreateKeyMetadata meta;
  ASSERT_TRUE(create_op_->metadata().UnpackTo(&meta));
  EXPECT_EQ(meta.stage(), v1::CreateKeyMetadata::DONE);
  EXPECT_EQ(meta.progress_percent(), 100u);
  EXPECT_EQ(meta.key(), key.name());

  // The same request again: the same operation, no second DKG.
  v1::CreateKeyRequest req;
  req.set_request_id("create-key-0001");
  req.mutable_key()->set_threshold(1);
  for (int i = 1; i <= 3; ++i) {
    req.mutable_key()->add_nodes(absl::StrCat("nodes/node-", i));
  }
  *req.mutable_key()->mutable_approval_policy() = PolicyOf(*approvers_, 2);
  v1::Operation op;
  grpc::Status s = Call(
      [&](grpc::ClientContext* c) { return stub_->CreateKey(c, req, &op); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(op.name(), create_op_->name());
  EXPECT_TRUE(op.done());
  // The same request id for another request.
  req.mutable_key()->set_threshold(2);
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->CreateKey(c, req, &op); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << s.error_message();
  // Bad requests name the field.
  req.set_request_id("create-key-0002");
  req.mutable_key()->set_threshold(3);
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->CreateKey(c, req, &op); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("key.threshold"), std::string::npos);

  v1::GetKeyRequest get;
  get.set_name(key.name());
  v1::Key got;
  s = Call([&](grpc::ClientContext* c) { return stub_->GetKey(c, get, &got); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.public_key(), key.public_key());
  v1::ListKeysResponse list;
  s = Call([&](grpc::ClientContext* c) {
    return stub_->ListKeys(c, v1::ListKeysRequest(), &list);
  });
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(list.keys_size(), 1);
  EXPECT_EQ(list.keys(0).name(), key.name());
  get.set_name("keys/" + std::string(64, 'a'));
  s = Call([&](grpc::ClientContext* c) { return stub_->GetKey(c, get, &got); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CoordinatorE2eTest, SignsVerifiedByOpensslAndARetryNeverSignsTwice) {
  const v1::SignRequest req = SignRequestFor("sign-0001", "pay 3 BTC to dan");
  v1::SignResponse first;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &first); });
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << coordinator_->Log();
  EXPECT_TRUE(first.first_response());
  EXPECT_EQ(first.signers_size(), 2);
  *first_request_ = req;
  *first_response_ = first;
  auto verified = VerifyWithOpenssl(cluster_->dir(), Key().public_key(),
                                    first.signature().r(),
                                    first.signature().s(), "pay 3 BTC to dan");
  EXPECT_TRUE(verified.ok()) << verified;
  // The DER the API returns is what OpenSSL checks too.
  WriteFile(cluster_->dir() + "/api.der", first.signature().der());
  auto [code, out] =
      Shell(absl::StrCat("openssl dgst -sha256 -verify ", cluster_->dir(),
                         "/verify.pub.pem -signature ", cluster_->dir(),
                         "/api.der ", cluster_->dir(), "/verify.msg"));
  EXPECT_EQ(code, 0) << out;

  // A retry: the same signature, not a second one.
  v1::SignResponse again;
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &again); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(again.first_response());
  EXPECT_EQ(again.signature().r(), first.signature().r());
  EXPECT_EQ(again.signature().s(), first.signature().s());
  // The same request id for another message.
  v1::SignRequest other = SignRequestFor("sign-0001", "pay 4 BTC to eve");
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->Sign(c, other, &again); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << s.error_message();

  // By digest (SHA-256 computed by the caller).
  v1::SignRequest by_digest = SignRequestFor("sign-0002", "pay 5 BTC to fay");
  unsigned char d[32];
  SHA256(reinterpret_cast<const unsigned char*>("pay 5 BTC to fay"), 16, d);
  by_digest.set_digest(std::string(reinterpret_cast<char*>(d), 32));
  v1::SignResponse digest_signed;
  s = Call([&](grpc::ClientContext* c) {
    return stub_->Sign(c, by_digest, &digest_signed);
  });
  ASSERT_TRUE(s.ok()) << s.error_message();
  verified = VerifyWithOpenssl(
      cluster_->dir(), Key().public_key(), digest_signed.signature().r(),
      digest_signed.signature().s(), "pay 5 BTC to fay");
  EXPECT_TRUE(verified.ok()) << verified;
}

TEST_F(CoordinatorE2eTest, KeccakSignaturesRecoverTheKeysEthereumAddress) {
  const std::string message = "ethereum: transfer 1 ETH";
  v1::SignRequest req = SignRequestFor("sign-keccak-1", message);
  req.set_hash(v1::KECCAK256);
  *req.mutable_approvals() = Approve({Key().name().substr(5),
                                      message,
                                      {},
                                      0,
                                      {&(*approvers_)[0], &(*approvers_)[2]},
                                      /*keccak=*/true});
  v1::SignResponse resp;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.signature().compact().size(), 65u);
  ASSERT_FALSE(Key().ethereum_address().empty());
  // tssctl recovers the signer's address from (digest, r, s, v) offline and
  // compares it with GetKey's EIP-55 address.
  WriteFile(Dir() + "/eth.msg", message);
  auto [code, out] = Shell(absl::StrCat(
      BinaryDir(), "/tools/tssctl/tssctl --output text verify --address ",
      Key().ethereum_address(), " --message-file ", Dir(),
      "/eth.msg --hash keccak256 --signature ",
      absl::BytesToHexString(resp.signature().compact())));
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("verdict: valid"), std::string::npos) << out;
  // And another address is refused.
  auto [bad_code, bad_out] = Shell(absl::StrCat(
      BinaryDir(), "/tools/tssctl/tssctl --output text verify --address ",
      "0x000000000000000000000000000000000000dEaD --message-file ", Dir(),
      "/eth.msg --hash keccak256 --signature ",
      absl::BytesToHexString(resp.signature().compact())));
  EXPECT_EQ(bad_code, 1) << bad_out;
}

TEST_F(CoordinatorE2eTest, ANodeRunningAnotherImageIsExcludedWithAReason) {
  ASSERT_FALSE(Key().name().empty());
  ASSERT_TRUE(cluster_->StartEnclave(2, LocalCluster::OtherPcr0()).ok());
  v1::GetNodeRequest get;
  get.set_name("nodes/node-3");
  v1::Node node;
  const absl::Time end = absl::Now() + absl::Seconds(60);
  for (;;) {  // the coordinator's next health check sees it
    grpc::Status s = Call(
        [&](grpc::ClientContext* c) { return stub_->GetNode(c, get, &node); });
    ASSERT_TRUE(s.ok()) << s.error_message();
    if (node.health() == v1::Node::ATTESTATION_FAILED || absl::Now() > end) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(node.health(), v1::Node::ATTESTATION_FAILED);
  EXPECT_NE(node.last_error().find("PCR0 " + LocalCluster::OtherPcr0() +
                                   " is not an allowed image"),
            std::string::npos)
      << node.last_error();
  // Node 3 is never chosen to sign meanwhile.
  v1::SignResponse resp;
  const v1::SignRequest sreq =
      SignRequestFor("sign-while-node3-refused", "while node 3 is refused");
  grpc::Status signed_ =
      Call([&](grpc::ClientContext* c) { return stub_->Sign(c, sreq, &resp); });
  ASSERT_TRUE(signed_.ok()) << signed_.error_message();
  for (const auto& n : resp.signers()) EXPECT_NE(n, "nodes/node-3");
  // Back to the released image.
  ASSERT_TRUE(cluster_->StartEnclave(2).ok());
  const absl::Time end2 = absl::Now() + absl::Seconds(60);
  for (;;) {
    grpc::Status s = Call(
        [&](grpc::ClientContext* c) { return stub_->GetNode(c, get, &node); });
    ASSERT_TRUE(s.ok()) << s.error_message();
    if (node.health() == v1::Node::SERVING || absl::Now() > end2) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(node.health(), v1::Node::SERVING) << node.last_error();
}

TEST_F(CoordinatorE2eTest, RefusedApprovalsAndBadRequestsSignNothing) {
  v1::SignRequest req = SignRequestFor("sign-0100", "approved message");
  req.set_message("another message");
  v1::SignResponse resp;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << s.error_message();
  req = SignRequestFor("sign-0101", "one approver only");
  req.mutable_approvals()->mutable_approvals()->RemoveLast();
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << s.error_message();
  req = SignRequestFor("", "no request id");
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("request_id"), std::string::npos);
  req = SignRequestFor("sign-0102", "x");
  req.set_hash(v1::HASH_FUNCTION_UNSPECIFIED);
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req = SignRequestFor("sign-0103", "x");
  req.set_name("keys/" + std::string(64, 'b'));
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

// Approvals are single-use: approvals a signing run already consumed (here
// an earlier request's, which signed) are answered ABORTED, asking for
// fresh ones; the answer is final for the request id (its retry is
// answered from the store, no run); fresh approvals in a new request sign.
// (A run that fails after the enclaves consumed the approvals gets the same
// code: OrchestratorTest.ASignRunThatFailsAfterTheApprovalsCheckIsNotRetried.)
TEST_F(CoordinatorE2eTest, SpentApprovalsAreAbortedForGoodAndFreshOnesSign) {
  v1::SignResponse resp;
  grpc::Status s;
  if (first_request_->request_id().empty()) {  // (if run alone)
    *first_request_ = SignRequestFor("sign-0200", "pay 3 BTC to dan");
    s = Call([&](grpc::ClientContext* c) {
      return stub_->Sign(c, *first_request_, &resp);
    });
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The approvals of the request SignsVerifiedByOpensslAndARetryNeverSignsTwice
  // signed, under a new request id.
  const std::string message = first_request_->message();
  v1::SignRequest reused = *first_request_;
  reused.set_request_id("sign-0201");
  for (int attempt = 0; attempt < 2; ++attempt) {
    SCOPED_TRACE(attempt);
    s = Call(
        [&](grpc::ClientContext* c) { return stub_->Sign(c, reused, &resp); });
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
    EXPECT_NE(s.error_message().find("already used"), std::string::npos)
        << s.error_message();
    EXPECT_NE(s.error_message().find("fresh approvals"), std::string::npos)
        << s.error_message();
  }
  int refusals = 0, from_store = 0;
  for (const auto& e : AuditEntries()) {
    if (e.action != "Sign" ||
        e.payload.find("\"sign-0201\"") == std::string::npos) {
      continue;
    }
    EXPECT_EQ(e.outcome, "ABORTED") << e.payload;
    ++refusals;
    if (e.payload.find("\"answered_from_store\":true") != std::string::npos) {
      ++from_store;
    }
  }
  EXPECT_EQ(refusals, 2);
  EXPECT_EQ(from_store, 1);

  const v1::SignRequest fresh = SignRequestFor("sign-0202", message);
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->Sign(c, fresh, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.first_response());
  auto verified =
      VerifyWithOpenssl(cluster_->dir(), Key().public_key(),
                        resp.signature().r(), resp.signature().s(), message);
  EXPECT_TRUE(verified.ok()) << verified;
}

// ---- identifiable abort through the real processes (issues 14/15) ----

// Node 2's enclave turns into the test-only cheating enclave
// (tests/node/cheating_enclave), which attests as the released image but
// sends every presign peer an MtA response whose Πaff-g proof does not
// verify.
constexpr char kCheat[] = "presign-bad-pi-aff-g";

TEST_F(CoordinatorE2eTest, ACheatingEnclaveIsExcludedAndAnotherSetSigns) {
  ASSERT_FALSE(Key().name().empty());
  cluster_->SetCheat(1, kCheat);
  // Killed, not stopped (a graceful stop waits for the enclave's background
  // prime search); its share is sealed at its host.
  cluster_->KillEnclave(1);
  ASSERT_TRUE(cluster_->StartEnclave(1).ok());
  ASSERT_NO_FATAL_FAILURE(WaitForHealth("nodes/node-2", v1::Node::SERVING));
  ASSERT_NO_FATAL_FAILURE(WaitForHealth("nodes/node-3", v1::Node::SERVING));

  // Node 2 is in the first signer set (node 1, node 2); its bad proof
  // aborts the presign run, and the Sign comes back through node 1, node 3.
  const std::string message = "pay 6 BTC despite a cheater";
  const v1::SignRequest req = SignRequestFor("sign-cheat-0001", message);
  v1::SignResponse resp;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << coordinator_->Log();
  ExpectSignedByNodes1And3(resp, message);

  // Excluded from this key, with the culprit code and the verifier's reason.
  ASSERT_NO_FATAL_FAILURE(ExpectExcludedForBadProof());

  // The metric of aborts by culprit and code counts it; honest nodes are
  // never named.
  const std::string metrics = Metrics();
  EXPECT_EQ(MetricValue(metrics, "nitro_coordinator_culprits_total",
                        {"node=\"node-2\"", "code=\"bad_proof\""}),
            1)
      << metrics;
  EXPECT_EQ(MetricValue(metrics, "nitro_coordinator_nodes_excluded",
                        {"key=\"" + Key().name().substr(5) + "\""}),
            1);
  for (const char* honest : {"node=\"node-1\"", "node=\"node-3\""}) {
    EXPECT_EQ(
        MetricValue(metrics, "nitro_coordinator_culprits_total", {honest}), -1)
        << honest << " named:\n"
        << metrics;
  }

  // The audit log names it with the code: in the Sign entry and in an
  // ExcludeNode entry; nobody else is named.
  bool sign_names_it = false, exclusion_audited = false;
  for (const auto& e : AuditEntries()) {
    if (e.action == "Sign" &&
        e.payload.find("sign-cheat-0001") != std::string::npos) {
      sign_names_it =
          e.outcome == "OK" &&
          e.payload.find("\"node-2:bad_proof\"") != std::string::npos;
    }
    if (e.action == "ExcludeNode" && e.resource == Key().name() &&
        e.payload.find("\"nodes/node-2\"") != std::string::npos &&
        e.payload.find("\"bad_proof\"") != std::string::npos) {
      exclusion_audited = true;
    }
    EXPECT_EQ(e.payload.find("node-1:"), std::string::npos) << e.payload;
    EXPECT_EQ(e.payload.find("node-3:"), std::string::npos) << e.payload;
  }
  EXPECT_TRUE(sign_names_it);
  EXPECT_TRUE(exclusion_audited);

  // The exclusion is durable: a restarted coordinator still has it (and
  // signs without trying node 2).
  EXPECT_EQ(coordinator_->Stop(), 0) << coordinator_->Log();
  delete coordinator_;
  coordinator_ = nullptr;
  ASSERT_NO_FATAL_FAILURE(StartCoordinator());
  ASSERT_NO_FATAL_FAILURE(ExpectExcludedForBadProof());
  const v1::SignRequest after =
      SignRequestFor("sign-cheat-0002", "after a restart, node 2 excluded");
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->Sign(c, after, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(
      std::vector<std::string>(resp.signers().begin(), resp.signers().end()),
      (std::vector<std::string>{"nodes/node-1", "nodes/node-3"}));
  EXPECT_EQ(MetricValue(Metrics(), "nitro_coordinator_culprits_total",
                        {"node=\"node-2\""}),
            -1)
      << "node 2 was tried again";
}

TEST_F(CoordinatorE2eTest, AReadmittedNodeIsChosenAgainAndCulpritsAreDetails) {
  ASSERT_FALSE(Key().name().empty());
  cluster_->SetCheat(1, kCheat);  // (if run alone)
  // An operator readmits node 2 with tssctl (ReadmitNode), audited.
  const std::string tssctl = absl::StrCat(
      BinaryDir(), "/tools/tssctl/tssctl --output json keys readmit-node ",
      Key().name(), " --server unix://", Dir(), "/api.sock --node node-2 ");
  auto [code, out] = Shell(tssctl + "--reason 'host re-imaged, ticket 42'");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"excluded_nodes\":[]"), std::string::npos) << out;
  // Not excluded any more: readmitting again is refused.
  auto [again_code, again_out] = Shell(tssctl + "--reason again");
  EXPECT_EQ(again_code, 1) << again_out;
  EXPECT_NE(again_out.find("FAILED_PRECONDITION"), std::string::npos)
      << again_out;
  EXPECT_NE(again_out.find("is not excluded"), std::string::npos) << again_out;
  // Bad requests name the field.
  v1::ReadmitNodeRequest bad;
  bad.set_name(Key().name());
  bad.set_node("nodes/node-2");
  v1::Key key;
  grpc::Status s = Call(
      [&](grpc::ClientContext* c) { return stub_->ReadmitNode(c, bad, &key); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("reason"), std::string::npos);
  bad.set_reason("x");
  bad.set_node("nodes/node-9");
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->ReadmitNode(c, bad, &key); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  bad.set_node("nodes/node-2");
  bad.set_name("keys/" + std::string(64, 'c'));
  s = Call(
      [&](grpc::ClientContext* c) { return stub_->ReadmitNode(c, bad, &key); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  // Node 3's enclave is down: once node 2 is caught again no signer set can
  // finish, and the Sign fails with the culprits as error details.
  cluster_->KillEnclave(2);
  ASSERT_NO_FATAL_FAILURE(WaitForHealth("nodes/node-3", v1::Node::UNREACHABLE));
  const std::string message = "pay 7 BTC, node 2 readmitted";
  const v1::SignRequest req = SignRequestFor("sign-cheat-0003", message);
  v1::SignResponse resp;
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  v1::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()))
      << "no google.rpc.Status in the error details";
  EXPECT_EQ(details.code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(details.message(), s.error_message());
  // Node 2 was chosen again after its readmission, and named again.
  ASSERT_EQ(details.details_size(), 1) << details.DebugString();
  v1::CulpritInfo culprit;
  ASSERT_TRUE(details.details(0).UnpackTo(&culprit)) << details.DebugString();
  EXPECT_EQ(culprit.node(), "nodes/node-2");
  EXPECT_EQ(culprit.code(), "bad_proof");
  EXPECT_EQ(culprit.action(), "exclude");
  EXPECT_NE(culprit.reason().find("pi_aff_g"), std::string::npos)
      << culprit.reason();
  ASSERT_NO_FATAL_FAILURE(ExpectExcludedForBadProof());

  // Node 3 is back: the same request (its failure was not final) signs
  // through node 1 and node 3.
  ASSERT_TRUE(cluster_->StartEnclave(2).ok());
  ASSERT_NO_FATAL_FAILURE(WaitForHealth("nodes/node-3", v1::Node::SERVING));
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.first_response());
  ExpectSignedByNodes1And3(resp, message);

  bool readmission_audited = false, failure_names_it = false;
  for (const auto& e : AuditEntries()) {
    if (e.action == "ReadmitNode" && e.resource == Key().name() &&
        e.outcome == "OK" && e.actor == "unix" &&
        e.payload.find("host re-imaged, ticket 42") != std::string::npos &&
        e.payload.find("\"excluded_for\":\"bad_proof\"") != std::string::npos) {
      readmission_audited = true;
    }
    if (e.action == "Sign" && e.outcome == "UNAVAILABLE" &&
        e.payload.find("sign-cheat-0003") != std::string::npos &&
        e.payload.find("\"node-2:bad_proof\"") != std::string::npos) {
      failure_names_it = true;
    }
  }
  EXPECT_TRUE(readmission_audited);
  EXPECT_TRUE(failure_names_it);

  // Node 2 honest again and readmitted, for the tests that follow.
  cluster_->SetCheat(1, "");
  cluster_->KillEnclave(1);
  ASSERT_TRUE(cluster_->StartEnclave(1).ok());
  v1::ReadmitNodeRequest readmit;
  readmit.set_name(Key().name());
  readmit.set_node("nodes/node-2");
  readmit.set_reason("the test's cheat is over");
  s = Call([&](grpc::ClientContext* c) {
    return stub_->ReadmitNode(c, readmit, &key);
  });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(key.excluded_nodes_size(), 0);
  ASSERT_NO_FATAL_FAILURE(WaitForHealth("nodes/node-2", v1::Node::SERVING));
}

TEST_F(CoordinatorE2eTest, MetricsPassPromtool) {
  ASSERT_FALSE(Key().name().empty());
  auto [code, metrics] = Shell(absl::StrCat(
      "python3 -c \"import urllib.request,sys; "
      "sys.stdout.write(urllib.request.urlopen('http://",
      *metrics_address_, "/metrics', timeout=10).read().decode())\""));
  ASSERT_EQ(code, 0) << metrics;
  EXPECT_NE(metrics.find("nitro_coordinator_node_up{node=\"node-1\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("nitro_coordinator_requests_total{"),
            std::string::npos);
  EXPECT_NE(metrics.find("nitro_coordinator_presignatures_ready{key=\"" +
                         Key().name().substr(5) + "\"}"),
            std::string::npos);
  for (const char* relay :
       {"nitro_coordinator_relay_envelopes_total",
        "nitro_coordinator_relay_rounds_expired_total",
        "nitro_coordinator_relay_late_session_ends_total"}) {
    EXPECT_NE(metrics.find(absl::StrCat("# TYPE ", relay, " counter")),
              std::string::npos)
        << relay;
  }
  // Every metric the alerting rules and the dashboard name exists here.
  for (const char* file : {"coordinator/monitoring/alerts.yml",
                           "coordinator/monitoring/dashboard.json"}) {
    const std::string text = ReadFile(file);
    ASSERT_FALSE(text.empty()) << file;
    int named = 0;
    for (size_t at = text.find("nitro_coordinator_"); at != std::string::npos;
         at = text.find("nitro_coordinator_", at + 1)) {
      size_t end = at;
      while (end < text.size() &&
             (absl::ascii_islower(static_cast<unsigned char>(text[end])) ||
              text[end] == '_')) {
        ++end;
      }
      std::string name = text.substr(at, end - at);
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (absl::EndsWith(name, suffix) &&
            metrics.find("# TYPE " + name + " ") == std::string::npos) {
          name = name.substr(0, name.size() - strlen(suffix));
        }
      }
      ++named;
      EXPECT_NE(metrics.find("# TYPE " + name + " "), std::string::npos)
          << file << " names " << name << ", which the coordinator does not "
          << "export";
    }
    EXPECT_GE(named, 7) << file;
  }
  WriteFile(Dir() + "/metrics.txt", metrics);
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    std::cerr << "*** promtool (Debian package prometheus) is missing: the "
                 "exposition format is NOT checked; run "
                 "scripts/install-deps.sh ***\n";
    return;
  }
  auto [lint_code, lint] =
      Shell("/usr/bin/promtool check metrics < '" + Dir() + "/metrics.txt'");
  EXPECT_EQ(lint_code, 0) << lint << "\n" << metrics;
}

// Last: stops the coordinator.
TEST_F(CoordinatorE2eTest, ADamagedAuditLogNeverMakesARetrySignAgain) {
  ASSERT_FALSE(Key().name().empty());
  // The audit head is damaged while the coordinator runs (its size check
  // fails: DATA_LOSS on every append), so a Sign's outcome cannot be
  // stored together with its audit entry. The outcome must still be stored
  // (alone): the retry gets the same signature, not a second one.
  const std::string db = Dir() + "/coordinator.db";
  std::string trigger, head;
  ASSERT_TRUE(SqliteExec(db,
                         "SELECT sql FROM sqlite_master WHERE type = "
                         "'trigger' AND name = 'audit_head_forward'",
                         &trigger)
                  .ok());
  ASSERT_FALSE(trigger.empty());
  ASSERT_TRUE(
      SqliteExec(db, "SELECT hex(hash) FROM audit_head WHERE id = 1", &head)
          .ok());
  ASSERT_EQ(head.size(), 64u);
  ASSERT_TRUE(SqliteExec(db,
                         "DROP TRIGGER audit_head_forward; UPDATE audit_head "
                         "SET hash = x'00' WHERE id = 1")
                  .ok());
  absl::Cleanup repair = [&] {
    EXPECT_TRUE(
        SqliteExec(db, absl::StrCat("UPDATE audit_head SET hash = x'", head,
                                    "' WHERE id = 1; ", trigger, ";"))
            .ok());
  };
  const v1::SignRequest req =
      SignRequestFor("sign-damaged-audit", "while the audit log is damaged");
  v1::SignResponse first, again;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &first); });
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << coordinator_->Log();
  EXPECT_TRUE(first.first_response());
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &again); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(again.first_response());
  EXPECT_EQ(again.signature().r(), first.signature().r());
  EXPECT_EQ(again.signature().s(), first.signature().s());
  std::string completed;
  ASSERT_TRUE(SqliteExec(db,
                         "SELECT count(*) FROM sign_requests WHERE request_id "
                         "= 'sign-damaged-audit' AND completed = 1",
                         &completed)
                  .ok());
  EXPECT_EQ(completed, "1");
  const std::string log = coordinator_->Log();
  EXPECT_TRUE(absl::StrContains(log, "sign_outcome_with_audit_not_stored"))
      << log;
  EXPECT_FALSE(absl::StrContains(log, "sign_result_not_stored")) << log;
  std::move(repair).Invoke();
  auto verified = VerifyWithOpenssl(
      cluster_->dir(), Key().public_key(), first.signature().r(),
      first.signature().s(), "while the audit log is damaged");
  EXPECT_TRUE(verified.ok()) << verified;
}

TEST_F(CoordinatorE2eTest, ZRestartKeepsKeysAndTheAuditChainIsIntact) {
  ASSERT_FALSE(Key().name().empty());
  EXPECT_EQ(coordinator_->Stop(), 0) << coordinator_->Log();
  {
    auto db =
        coordinator::storage::OpenSqliteStorage(Dir() + "/coordinator.db");
    ASSERT_TRUE(db.ok()) << db.status();
    auto check = (*db)->VerifyAuditChain();
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_TRUE(check->intact()) << check->problem;
    auto entries = (*db)->ListAudit(1, 1000);
    ASSERT_TRUE(entries.ok());
    int signs_ok = 0, refused = 0;
    for (const auto& e : *entries) {
      if (e.action == "Sign" && e.outcome == "OK") ++signs_ok;
      if (e.action == "Sign" && e.outcome == "PERMISSION_DENIED") ++refused;
      EXPECT_EQ(e.payload.find("pay 3 BTC"), std::string::npos)
          << "the audit log keeps digests, not messages";
    }
    EXPECT_GE(signs_ok, 1);
    EXPECT_GE(refused, 1);
    bool image_refused = false;
    for (const auto& e : *entries) {
      if (e.action == "NodeHealth" && e.resource == "nodes/node-3" &&
          e.payload.find("ATTESTATION_FAILED") != std::string::npos &&
          e.payload.find("is not an allowed image") != std::string::npos) {
        image_refused = true;
      }
    }
    EXPECT_TRUE(image_refused) << "the audit log names node 3's image";
  }
  delete coordinator_;
  coordinator_ = nullptr;
  ASSERT_NO_FATAL_FAILURE(StartCoordinator());
  v1::GetKeyRequest get;
  get.set_name(Key().name());
  v1::Key got;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return stub_->GetKey(c, get, &got); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The operation that made the key is still there, done.
  v1::GetOperationRequest get_op;
  get_op.set_name(create_op_->name());
  v1::Operation op;
  s = Call([&](grpc::ClientContext* c) {
    return stub_->GetOperation(c, get_op, &op);
  });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(op.done());
  EXPECT_TRUE(op.has_response());
  const v1::SignRequest req =
      SignRequestFor("sign-after-restart", "after the restart");
  v1::SignResponse resp;
  s = Call([&](grpc::ClientContext* c) { return stub_->Sign(c, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << coordinator_->Log();
  auto verified = VerifyWithOpenssl(cluster_->dir(), Key().public_key(),
                                    resp.signature().r(), resp.signature().s(),
                                    "after the restart");
  EXPECT_TRUE(verified.ok()) << verified;
  // The retry of a request answered before the restart is answered from
  // the store: the same signature, not a second one.
  if (!first_request_->request_id().empty()) {
    s = Call([&](grpc::ClientContext* c) {
      return stub_->Sign(c, *first_request_, &resp);
    });
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(resp.first_response());
    EXPECT_EQ(resp.signature().r(), first_response_->signature().r());
    EXPECT_EQ(resp.signature().s(), first_response_->signature().s());
  }
}

}  // namespace
}  // namespace nitro_tss::testing
