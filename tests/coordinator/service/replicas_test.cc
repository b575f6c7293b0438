// Two tss-coordinator replicas sharing one PostgreSQL 15 database (started
// by the test, unix socket only) in front of one 2-of-3 cluster of real node
// processes: an operation started on one is waited for on the other, a key
// made through one is signed with through the other, a sign request id is
// signed once across both (also when both receive it at the same moment),
// a refusal is every retry's answer, and the audit log is one intact chain.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "coordinator/storage/storage.h"
#include "nitro_tss/v1/custody.grpc.pb.h"
#include "tests/coordinator/storage/postgres_server.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::testing {
namespace {

using coordinator::storage::testing::PostgresServer;
using coordinator::storage::testing::SharedPostgresServer;

class ReplicasTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::string why = PostgresServer::UnavailableReason(); !why.empty()) {
      skip_ = new std::string(why);
      return;
    }
    auto server = SharedPostgresServer();
    ASSERT_TRUE(server.ok()) << server.status();
    auto db = (*server)->CreateDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    conninfo_ = new std::string((*server)->ConnInfo(*db));
    ClusterOptions options;
    options.nodes = 3;
    options.round_deadline_ms = 60000;
    auto c = LocalCluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = c->release();
    approvers_ = new std::vector<Approver>(3);
    for (int r = 0; r < 2; ++r) ASSERT_NO_FATAL_FAILURE(StartReplica(r));
  }
  static void TearDownTestSuite() {
    for (auto& s : stubs_) s.reset();
    for (auto*& p : replicas_) {
      delete p;
      p = nullptr;
    }
    delete cluster_;
    delete approvers_;
  }
  void SetUp() override {
    if (skip_ != nullptr) {
      GTEST_SKIP() << "*** POSTGRESQL REPLICA TESTS SKIPPED: " << *skip_
                   << " ***";
    }
  }

  static std::string Dir(int r) {
    return absl::StrCat(cluster_->dir(), "/coordinator-", r);
  }

  static void StartReplica(int r) {
    ::mkdir(Dir(r).c_str(), 0700);
    std::string nodes;
    for (int i = 0; i < 3; ++i) {
      absl::StrAppend(&nodes, "nodes { id: \"node-", i + 1,
                      "\" party_id: ", i + 1, " address: \"unix://",
                      cluster_->dir(), "/node-", i + 1, "/enclave.sock\" }\n");
    }
    WriteFile(Dir(r) + "/coordinator.conf",
              absl::StrCat("listen: \"unix://", Dir(r), "/api.sock\"\n", nodes,
                           "storage { postgres { conninfo: \"", *conninfo_,
                           "\" } }\n", "replica_id: \"replica-", r, "\"\n",
                           "attestation_root_pem_file: \"", cluster_->dir(),
                           "/root.pem\"\n"));
    auto p = ChildProcess::Start(
        {BinaryDir() + "/coordinator/service/tss-coordinator", "--config",
         Dir(r) + "/coordinator.conf", "--ready-file", Dir(r) + "/ready"},
        Dir(r) + "/coordinator.log", Dir(r) + "/ready", absl::Seconds(60));
    ASSERT_TRUE(p.ok()) << p.status();
    replicas_[r] = p->release();
    stubs_[r] = v1::Custody::NewStub(
        grpc::CreateChannel(absl::StrCat("unix:", Dir(r), "/api.sock"),
                            grpc::InsecureChannelCredentials()));
  }

  template <typename F>
  static grpc::Status Call(F f) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::minutes(5));
    return f(&ctx);
  }

  // Made through replica 0, waited for on replica 1.
  static const v1::Key& Key() {
    if (key_ == nullptr) {
      key_ = new v1::Key();
      v1::CreateKeyRequest req;
      req.set_request_id("replicas-key-1");
      req.mutable_key()->set_threshold(1);
      for (int i = 1; i <= 3; ++i) {
        req.mutable_key()->add_nodes(absl::StrCat("nodes/node-", i));
      }
      *req.mutable_key()->mutable_approval_policy() = PolicyOf(*approvers_, 2);
      v1::Operation op;
      grpc::Status s = Call([&](grpc::ClientContext* c) {
        return stubs_[0]->CreateKey(c, req, &op);
      });
      EXPECT_TRUE(s.ok()) << s.error_message();
      v1::WaitOperationRequest wait;
      wait.set_name(op.name());
      wait.mutable_timeout()->set_seconds(300);
      s = Call([&](grpc::ClientContext* c) {
        return stubs_[1]->WaitOperation(c, wait, &op);
      });
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_TRUE(op.done());
      EXPECT_TRUE(op.response().UnpackTo(key_)) << op.error().message();
    }
    return *key_;
  }

  static v1::SignRequest Request(const std::string& id,
                                 const std::string& message) {
    v1::SignRequest req;
    req.set_name(Key().name());
    req.set_message(message);
    req.set_hash(v1::SHA256);
    req.set_request_id(id);
    *req.mutable_approvals() =
        Approve({Key().name().substr(5),
                 message,
                 {},
                 0,
                 {&(*approvers_)[0], &(*approvers_)[1]}});
    return req;
  }

  static std::string* skip_;
  static std::string* conninfo_;
  static LocalCluster* cluster_;
  static ChildProcess* replicas_[2];
  static std::unique_ptr<v1::Custody::Stub> stubs_[2];
  static std::vector<Approver>* approvers_;
  static v1::Key* key_;
};

std::string* ReplicasTest::skip_ = nullptr;
std::string* ReplicasTest::conninfo_ = nullptr;
LocalCluster* ReplicasTest::cluster_ = nullptr;
ChildProcess* ReplicasTest::replicas_[2] = {nullptr, nullptr};
std::unique_ptr<v1::Custody::Stub> ReplicasTest::stubs_[2];
std::vector<Approver>* ReplicasTest::approvers_ = nullptr;
v1::Key* ReplicasTest::key_ = nullptr;

TEST_F(ReplicasTest, AKeyMadeThroughOneIsSignedWithThroughTheOther) {
  ASSERT_EQ(Key().state(), v1::Key::ACTIVE);
  v1::GetKeyRequest get;
  get.set_name(Key().name());
  v1::Key seen;
  grpc::Status s = Call(
      [&](grpc::ClientContext* c) { return stubs_[1]->GetKey(c, get, &seen); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(seen.public_key(), Key().public_key());

  const v1::SignRequest req = Request("replicas-sign-1", "through replica 1");
  v1::SignResponse first, again;
  s = Call(
      [&](grpc::ClientContext* c) { return stubs_[1]->Sign(c, req, &first); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(first.first_response());
  auto v = VerifyWithOpenssl(cluster_->dir(), Key().public_key(),
                             first.signature().r(), first.signature().s(),
                             "through replica 1");
  EXPECT_TRUE(v.ok()) << v;
  // The retry lands on the other replica: answered from the database.
  s = Call(
      [&](grpc::ClientContext* c) { return stubs_[0]->Sign(c, req, &again); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(again.first_response());
  EXPECT_EQ(again.signature().r(), first.signature().r());
  EXPECT_EQ(again.signature().s(), first.signature().s());
}

TEST_F(ReplicasTest, OneRequestIdSentToBothAtOnceIsSignedOnce) {
  const v1::SignRequest req = Request("replicas-race-1", "sent to both");
  v1::SignResponse out[2];
  grpc::Status st[2];
  std::thread t0([&] {
    st[0] = Call([&](grpc::ClientContext* c) {
      return stubs_[0]->Sign(c, req, &out[0]);
    });
  });
  std::thread t1([&] {
    st[1] = Call([&](grpc::ClientContext* c) {
      return stubs_[1]->Sign(c, req, &out[1]);
    });
  });
  t0.join();
  t1.join();
  ASSERT_TRUE(st[0].ok()) << st[0].error_message();
  ASSERT_TRUE(st[1].ok()) << st[1].error_message();
  EXPECT_EQ(out[0].signature().r(), out[1].signature().r());
  EXPECT_EQ(out[0].signature().s(), out[1].signature().s());
  EXPECT_NE(out[0].first_response(), out[1].first_response())
      << "exactly one replica signed";
}

TEST_F(ReplicasTest, ARefusalIsEveryRetrysAnswerOnEitherReplica) {
  v1::SignRequest req = Request("replicas-refused-1", "approved text");
  req.set_message("other text");
  v1::SignResponse resp;
  for (int r : {0, 1, 0}) {
    grpc::Status s = Call(
        [&](grpc::ClientContext* c) { return stubs_[r]->Sign(c, req, &resp); });
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << "replica " << r << ": " << s.error_message();
  }
}

TEST_F(ReplicasTest, ZTheAuditLogIsOneIntactChain) {
  ASSERT_FALSE(Key().name().empty());
  auto db = coordinator::storage::OpenPostgresStorage(*conninfo_);
  ASSERT_TRUE(db.ok()) << db.status();
  auto check = (*db)->VerifyAuditChain();
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->intact()) << check->problem;
  auto entries = (*db)->ListAudit(1, 1000);
  ASSERT_TRUE(entries.ok()) << entries.status();
  int signed_ok = 0;
  for (const auto& e : *entries) {
    if (e.action == "Sign" && e.outcome == "OK") ++signed_ok;
  }
  // replicas-sign-1 and replicas-race-1 were signed once each; their
  // answered retries are audited too.
  EXPECT_GE(signed_ok, 2);
  EXPECT_EQ(check->head_seq, static_cast<int64_t>(entries->size()));
}

}  // namespace
}  // namespace nitro_tss::testing
