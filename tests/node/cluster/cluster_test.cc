// A 2-of-3 cluster of real node processes (tss-kms-local, and per node a
// tss-host and a tss-enclave with a simulated NSM), driven through the
// enclaves' gRPC services by a harness that only relays bytes.
#include "tests/node/cluster/cluster.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::testing {
namespace {

namespace ev1 = enclave::v1;

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
    auto linked = cluster_->Link({0, 1, 2}, "dkg-link-1", "");
    ASSERT_TRUE(linked.ok()) << linked.status();
    ev1::StartSession start = Start("dkg-link-1", "dkg-session-0000001");
    start.mutable_keygen()->set_threshold(1);
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

  static LocalCluster* cluster_;
};

LocalCluster* ClusterTest::cluster_ = nullptr;

TEST_F(ClusterTest, DkgSealsRestartsUnsealsAndSignsVerifiedByOpenssl) {
  std::string key_id, public_key;
  ASSERT_NO_FATAL_FAILURE(Dkg(&key_id, &public_key));
  ASSERT_EQ(public_key.size(), 33u);

  // Every enclave restarts: shares, identities and links are gone from
  // memory; each unseals its share through attested KMS Decrypt on first
  // use.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(cluster_->StopEnclave(i), 0) << cluster_->EnclaveLog(i);
    ASSERT_TRUE(cluster_->StartEnclave(i).ok());
  }
  auto linked = cluster_->Link({0, 2}, "sign-link-13", key_id);
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
}

}  // namespace
}  // namespace nitro_tss::testing
