// The approval.proto messages: round trips, strict decoding (size, unknown
// fields, canonical encoding, every required field), and the enclave's use
// of a bundle (RequestForOperation + CheckApprovals).
#include "node/approval/proto.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/fuzz/node/approval/fuzz_policy.h"
#include "tests/node/approval/approval_test_util.h"

namespace nitro_tss::approval {
namespace {

using testing::MakeEd25519Signer;
using testing::MakeP256Signer;
using testing::MakePolicy;
using testing::MakeRequest;
using testing::TestSigner;

constexpr uint64_t kNow = 1'700'000'000'000;

void ExpectInvalid(const absl::Status& s, absl::string_view why) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why;
  EXPECT_TRUE(absl::StrContains(s.message(), why)) << s;
}

class ApprovalProtoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ed_ = MakeEd25519Signer(3);
    p256_ = MakeP256Signer();
  }
  v1::ApprovalPolicy PolicyProto() {
    v1::ApprovalPolicy p;
    p.set_version(1);
    v1::Approver* a = p.add_approvers();
    a->set_algorithm(v1::APPROVER_ALGORITHM_ECDSA_P256_SHA256);
    a->set_public_key(p256_->spki_pem());  // as exported by ykman
    a->set_label("yubikey");
    a = p.add_approvers();
    a->set_algorithm(v1::APPROVER_ALGORITHM_ED25519);
    const std::vector<uint8_t> raw = ed_->raw_public_key();
    a->set_public_key(std::string(raw.begin(), raw.end()));
    a->set_label("ops");
    p.mutable_quorum()->set_sign(1);
    p.mutable_quorum()->set_refresh(2);
    p.mutable_quorum()->set_reshare(2);
    p.mutable_quorum()->set_export_key(2);
    return p;
  }
  std::unique_ptr<TestSigner> ed_, p256_;
};

TEST_F(ApprovalProtoTest, PolicyFromProtoEqualsTheDirectPolicy) {
  absl::StatusOr<ApprovalPolicy> from_proto = PolicyFromProto(PolicyProto());
  ASSERT_TRUE(from_proto.ok()) << from_proto.status();
  const ApprovalPolicy direct = *ApprovalPolicy::Create(
      {Approver{ed_->key(), "ops"}, Approver{p256_->key(), "yubikey"}},
      Quorum{1, 2, 2, 2});
  EXPECT_EQ(from_proto->digest(), direct.digest());
  // To proto (raw keys, canonical order) and back through the bytes.
  const std::string bytes = EncodeMessage(PolicyToProto(direct));
  absl::StatusOr<ApprovalPolicy> decoded = DecodePolicyMessage(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->digest(), direct.digest());
}

TEST_F(ApprovalProtoTest, PolicyMessageRefusals) {
  v1::ApprovalPolicy p = PolicyProto();
  p.clear_version();
  ExpectInvalid(PolicyFromProto(p).status(), "missing version");
  p = PolicyProto();
  p.set_version(2);
  ExpectInvalid(PolicyFromProto(p).status(), "unsupported version 2");
  p = PolicyProto();
  p.clear_approvers();
  ExpectInvalid(PolicyFromProto(p).status(), "must have 1..32 approvers");
  p = PolicyProto();
  p.mutable_approvers(1)->clear_algorithm();
  ExpectInvalid(PolicyFromProto(p).status(), "approvers[1]: algorithm");
  p = PolicyProto();
  p.mutable_approvers(1)->set_algorithm(static_cast<v1::ApproverAlgorithm>(7));
  ExpectInvalid(PolicyFromProto(p).status(), "approvers[1]: algorithm");
  p = PolicyProto();
  p.mutable_approvers(0)->clear_public_key();
  ExpectInvalid(PolicyFromProto(p).status(),
                "approvers[0]: missing public_key");
  p = PolicyProto();
  p.mutable_approvers(0)->set_algorithm(v1::APPROVER_ALGORITHM_ED25519);
  ExpectInvalid(PolicyFromProto(p).status(), "approvers[0]: approver key");
  p = PolicyProto();
  *p.add_approvers() = p.approvers(0);
  p.mutable_approvers(2)->set_label("again");
  ExpectInvalid(PolicyFromProto(p).status(), "same key");
  p = PolicyProto();
  p.clear_quorum();
  ExpectInvalid(PolicyFromProto(p).status(), "missing quorum");
  p = PolicyProto();
  p.mutable_quorum()->clear_export_key();
  ExpectInvalid(PolicyFromProto(p).status(), "quorum must set");
  p = PolicyProto();
  p.mutable_quorum()->set_sign(3);
  ExpectInvalid(PolicyFromProto(p).status(), "quorum for sign must be 1..2");
  p = PolicyProto();
  p.mutable_quorum()->set_refresh(0);
  ExpectInvalid(PolicyFromProto(p).status(), "quorum for refresh");

  // Bytes: unknown field, non-canonical order, oversize.
  std::string bytes = EncodeMessage(PolicyProto());
  ASSERT_TRUE(DecodePolicyMessage(bytes).ok());
  ExpectInvalid(DecodePolicyMessage(bytes + "\x78\x01").status(),
                "unknown fields");
  // Field 1 (version) moved after the others.
  const std::string version = bytes.substr(0, 2);
  ASSERT_EQ(version, std::string("\x08\x01", 2));
  ExpectInvalid(DecodePolicyMessage(bytes.substr(2) + version).status(),
                "not canonically encoded");
  // Field 1 twice (the last one wins in protobuf; refused here).
  ExpectInvalid(DecodePolicyMessage(version + bytes).status(),
                "not canonically encoded");
  ExpectInvalid(
      DecodePolicyMessage(std::string(kMaxPolicyMessageBytes + 1, 'x'))
          .status(),
      "exceed the limit");
  ExpectInvalid(DecodePolicyMessage("\xff").status(), "does not parse");
}

TEST_F(ApprovalProtoTest, RequestMessageRoundTripAndRefusals) {
  const ApprovalRequest r = MakeRequest(kNow);
  const std::string bytes = EncodeMessage(RequestToProto(r));
  absl::StatusOr<ApprovalRequest> decoded = DecodeRequestMessage(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, r);

  const v1::ApprovalRequest good = RequestToProto(r);
  v1::ApprovalRequest p = good;
  p.clear_version();
  ExpectInvalid(RequestFromProto(p).status(), "missing version");
  p = good;
  p.set_key_id("short");
  ExpectInvalid(RequestFromProto(p).status(), "key_id must be 32 bytes");
  p = good;
  p.clear_operation();
  ExpectInvalid(RequestFromProto(p).status(), "operation must be");
  p = good;
  p.set_operation(static_cast<v1::Operation>(257));
  ExpectInvalid(RequestFromProto(p).status(), "operation must be");
  p = good;
  p.set_hash_function(v1::HASH_FUNCTION_UNSPECIFIED);
  ExpectInvalid(RequestFromProto(p).status(), "hash_function must be");
  p = good;
  p.set_message_digest(std::string(33, 'd'));
  ExpectInvalid(RequestFromProto(p).status(), "message_digest must be 32");
  p = good;
  for (int i = 0; i < 28; ++i) p.add_derivation_path(1);
  ExpectInvalid(RequestFromProto(p).status(), "derivation_path has more");
  p = good;
  p.set_expiry_unix_ms(0);
  ExpectInvalid(RequestFromProto(p).status(), "expiry_unix_ms");
  p = good;
  p.set_nonce(std::string(15, 'n'));
  ExpectInvalid(RequestFromProto(p).status(), "nonce must be 16..32");
  ExpectInvalid(DecodeRequestMessage(bytes + "\x50\x01").status(),
                "unknown fields");
  ExpectInvalid(
      DecodeRequestMessage(std::string(kMaxRequestMessageBytes + 1, 0))
          .status(),
      "exceed the limit");
}

TEST_F(ApprovalProtoTest,
       BundleCarriesApprovalsTheEnclaveChecksAgainstItsOperation) {
  const ApprovalPolicy policy = MakePolicy({ed_.get(), p256_.get()}, 2);
  const ApprovalRequest r = MakeRequest(kNow + 60'000);
  ApprovalBundle bundle;
  bundle.expiry_unix_ms = r.expiry_unix_ms;
  bundle.nonce = r.nonce;
  bundle.approvals = {ed_->Approve(r), p256_->Approve(r)};
  const std::string bytes = EncodeMessage(BundleToProto(bundle));
  ASSERT_LE(bytes.size(), kMaxBundleMessageBytes);
  absl::StatusOr<ApprovalBundle> decoded = DecodeBundleMessage(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->approvals, bundle.approvals);

  // The enclave's own operation, with the bundle's expiry and nonce.
  ReplayCache cache(8);
  ApprovalRequest other_digest =
      RequestForOperation(r.key_id, r.operation, r.hash_function,
                          r.message_digest, {44, 60, 0, 0, 8}, *decoded);
  EXPECT_EQ(
      CheckApprovals(policy, other_digest, decoded->approvals, kNow, cache)
          .code(),
      absl::StatusCode::kPermissionDenied);
  const ApprovalRequest same =
      RequestForOperation(r.key_id, r.operation, r.hash_function,
                          r.message_digest, r.derivation_path, *decoded);
  EXPECT_EQ(same, r);
  EXPECT_TRUE(
      CheckApprovals(policy, same, decoded->approvals, kNow, cache).ok());
}

TEST_F(ApprovalProtoTest, BundleMessageRefusals) {
  v1::ApprovalBundle good;
  good.set_expiry_unix_ms(5);
  good.set_nonce(std::string(16, 'n'));
  v1::Approval* a = good.add_approvals();
  a->set_approver_id(std::string(32, 'i'));
  a->set_signature(std::string(64, 's'));
  ASSERT_TRUE(BundleFromProto(good).ok());
  v1::ApprovalBundle p = good;
  p.clear_expiry_unix_ms();
  ExpectInvalid(BundleFromProto(p).status(), "expiry_unix_ms");
  p = good;
  p.set_nonce(std::string(33, 'n'));
  ExpectInvalid(BundleFromProto(p).status(), "nonce must be 16..32");
  p = good;
  p.mutable_approvals(0)->set_approver_id(std::string(31, 'i'));
  ExpectInvalid(BundleFromProto(p).status(),
                "approvals[0].approver_id must be 32 bytes");
  p = good;
  p.mutable_approvals(0)->clear_signature();
  ExpectInvalid(BundleFromProto(p).status(),
                "approvals[0].signature must be 1..72");
  p = good;
  p.mutable_approvals(0)->set_signature(std::string(73, 's'));
  ExpectInvalid(BundleFromProto(p).status(),
                "approvals[0].signature must be 1..72");
  p = good;
  for (int i = 0; i < 32; ++i) *p.add_approvals() = good.approvals(0);
  ExpectInvalid(BundleFromProto(p).status(), "more than 32 approvals");
  // No approvals decodes (the verifier refuses it with PERMISSION_DENIED).
  p = good;
  p.clear_approvals();
  ASSERT_TRUE(BundleFromProto(p).ok());
  const std::string bytes = EncodeMessage(good);
  ExpectInvalid(DecodeBundleMessage(bytes + "\x20\x01").status(),
                "unknown fields");
  ExpectInvalid(
      DecodeBundleMessage(std::string(kMaxBundleMessageBytes + 1, 0)).status(),
      "exceed the limit");
}

TEST(ApprovalBundleFuzzSeeds, DecodeAsIntended) {
  std::ifstream in(
      "tests/fuzz/node/approval/corpus/approval_request_fuzz/bundle.bin",
      std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  absl::StatusOr<ApprovalBundle> b = DecodeBundleMessage(bytes);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->approvals.size(), 2u);
  // Both approvals name approvers of the fuzz targets' policy (so fuzzed
  // signatures reach verification), which refuses the bogus signatures.
  const ApprovalPolicy& policy = fuzz::FuzzPolicy();
  for (const Approval& a : b->approvals) {
    EXPECT_NE(policy.Find(a.approver_id), nullptr);
  }
  KeyId key_id{};
  ReplayCache cache(4);
  const absl::Status s = CheckApprovals(
      policy,
      RequestForOperation(key_id, Operation::kSign, HashFunction::kSha256,
                          Digest32{}, {}, *b),
      b->approvals, b->expiry_unix_ms - 1, cache);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "'fuzz-ed25519'")) << s;

  // The policy and request seeds: the message forms decode to the same
  // policy / request as the canonical forms.
  auto read = [](const std::string& path) {
    std::ifstream f("tests/fuzz/node/approval/corpus/" + path,
                    std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)),
                       std::istreambuf_iterator<char>());
  };
  const std::string canonical =
      read("approval_policy_fuzz/canonical_policy.bin");
  absl::StatusOr<ApprovalPolicy> from_message =
      DecodePolicyMessage(read("approval_policy_fuzz/policy_message.bin"));
  ASSERT_TRUE(from_message.ok()) << from_message.status();
  EXPECT_EQ(from_message->encoding(),
            std::vector<uint8_t>(canonical.begin(), canonical.end()));
  EXPECT_EQ(from_message->digest(), policy.digest());
  const std::string request =
      read("approval_request_fuzz/canonical_request.bin");
  absl::StatusOr<ApprovalRequest> request_message =
      DecodeRequestMessage(read("approval_request_fuzz/request_message.bin"));
  ASSERT_TRUE(request_message.ok()) << request_message.status();
  EXPECT_EQ(*EncodeRequest(*request_message),
            std::vector<uint8_t>(request.begin(), request.end()));
}

}  // namespace
}  // namespace nitro_tss::approval
