// Interop with an independent implementation: approval_interop.py builds
// the canonical policy, its digest, the approver ids and the approval
// messages from the documented formats with python's `cryptography`, and
// signs with fresh Ed25519 and ECDSA P-256 keys (DER over SHA-256, as
// hardware keys do). Our library must produce the same bytes and accept
// those signatures — and refuse them for any other request.
//
// python3 with `cryptography` is installed by scripts/install-deps.sh
// (python3-cryptography); the test fails, not skips, without it.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "node/approval/policy.h"
#include "node/approval/request.h"
#include "node/approval/verifier.h"
#include "tests/node/approval/approval_test_util.h"

namespace nitro_tss::approval {
namespace {

using testing::Bytes;
using testing::Hex;

constexpr uint64_t kNow = 1'700'000'000'000;

// Runs the script with `spec` (JSON without single quotes) and returns its
// stdout; fails the test on a non-zero exit.
std::string RunScript(const std::string& spec) {
  const std::string cmd = absl::StrCat(
      "python3 tests/node/approval/approval_interop.py '", spec, "'");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << cmd;
    return "";
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << "approval_interop.py failed (python3 with the "
                      "cryptography package is required: "
                      "scripts/install-deps.sh installs "
                      "python3-cryptography)";
  return out;
}

std::string Str(const json::Value& v, absl::string_view key) {
  absl::StatusOr<std::string> s = v.StringField(key);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

ApprovalRequest Request(Operation op, HashFunction hash,
                        std::vector<uint32_t> path, uint8_t seed) {
  ApprovalRequest r;
  for (size_t i = 0; i < r.key_id.size(); ++i) {
    r.key_id[i] = static_cast<uint8_t>(seed * 31 + i);
  }
  r.operation = op;
  r.hash_function = hash;
  for (size_t i = 0; i < r.message_digest.size(); ++i) {
    r.message_digest[i] = static_cast<uint8_t>(seed * 7 + 3 * i);
  }
  r.derivation_path = std::move(path);
  r.expiry_unix_ms = kNow + 1000 * seed;
  r.nonce.assign(16 + seed, static_cast<uint8_t>(0xC0 + seed));
  return r;
}

std::string RequestJson(const ApprovalRequest& r) {
  std::string path;
  for (size_t i = 0; i < r.derivation_path.size(); ++i) {
    absl::StrAppend(&path, i ? "," : "", r.derivation_path[i]);
  }
  return absl::StrCat("{\"key_id\":\"", Hex(r.key_id),
                      "\",\"operation\":", static_cast<int>(r.operation),
                      ",\"hash_function\":", static_cast<int>(r.hash_function),
                      ",\"message_digest\":\"", Hex(r.message_digest),
                      "\",\"derivation_path\":[", path,
                      "],\"expiry_unix_ms\":", r.expiry_unix_ms,
                      ",\"nonce\":\"", Hex(r.nonce), "\"}");
}

TEST(ApprovalInteropTest, PythonCryptographyApprovalsVerify) {
  const std::vector<ApprovalRequest> requests = {
      Request(Operation::kSign, HashFunction::kSha256,
              {44, 60, 0, 0, 0x7fffffff}, 1),
      Request(Operation::kExport, HashFunction::kKeccak256, {}, 16),
      Request(Operation::kReshare, HashFunction::kSha256, {1}, 9),
  };
  std::string requests_json;
  for (size_t i = 0; i < requests.size(); ++i) {
    absl::StrAppend(&requests_json, i ? "," : "", RequestJson(requests[i]));
  }
  const std::string spec = absl::StrCat(
      "{\"approvers\":[{\"algorithm\":\"p256\",\"label\":\"yubikey-carol\"},"
      "{\"algorithm\":\"ed25519\",\"label\":\"alice\"},"
      "{\"algorithm\":\"p256\",\"label\":\"hsm 2\"},"
      "{\"algorithm\":\"ed25519\",\"label\":\"\"}],"
      "\"quorum\":{\"sign\":2,\"refresh\":3,\"reshare\":4,\"export\":4},"
      "\"requests\":[",
      requests_json, "]}");
  const std::string out = RunScript(spec);
  absl::StatusOr<json::Value> doc = json::Parse(out);
  ASSERT_TRUE(doc.ok()) << doc.status() << "\n" << out;
  absl::StatusOr<const json::Array*> py_approvers =
      doc->ArrayField("approvers");
  ASSERT_TRUE(py_approvers.ok());
  ASSERT_EQ((*py_approvers)->size(), 4u);

  // Keys from python's SPKI DER: same raw key and approver id as python's.
  std::vector<Approver> approvers;
  for (const json::Value& a : **py_approvers) {
    const ApproverAlgorithm alg = Str(a, "algorithm") == "ed25519"
                                      ? ApproverAlgorithm::kEd25519
                                      : ApproverAlgorithm::kEcdsaP256Sha256;
    absl::StatusOr<ApproverKey> key =
        ApproverKey::Parse(alg, Bytes(Str(a, "public_key_spki")));
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(Hex(key->public_key()), Str(a, "public_key_raw"));
    EXPECT_EQ(Hex(key->id()), Str(a, "approver_id"));
    approvers.push_back(Approver{*key, Str(a, "label")});
  }
  absl::StatusOr<ApprovalPolicy> policy =
      ApprovalPolicy::Create(approvers, Quorum{2, 3, 4, 4});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(Hex(EncodePolicy(*policy)), Str(*doc, "policy_encoding"));
  EXPECT_EQ(Hex(PolicyDigest(*policy)), Str(*doc, "policy_digest"));

  absl::StatusOr<const json::Array*> py_requests = doc->ArrayField("requests");
  ASSERT_TRUE(py_requests.ok());
  ASSERT_EQ((*py_requests)->size(), requests.size());
  ReplayCache cache(16);
  for (size_t i = 0; i < requests.size(); ++i) {
    SCOPED_TRACE(i);
    const json::Value& pr = (**py_requests)[i];
    EXPECT_EQ(Hex(*ApprovalMessage(requests[i])), Str(pr, "message"));
    absl::StatusOr<const json::Array*> sigs = pr.ArrayField("signatures");
    ASSERT_TRUE(sigs.ok());
    ASSERT_EQ((*sigs)->size(), approvers.size());
    std::vector<Approval> approvals;
    for (size_t j = 0; j < approvers.size(); ++j) {
      ASSERT_TRUE((**sigs)[j].is_string());
      approvals.push_back(
          Approval{approvers[j].key.id(), Bytes((**sigs)[j].AsString())});
    }
    // The same approvals over any other request do not verify.
    ApprovalRequest other = requests[i];
    other.message_digest[31] ^= 1;
    const absl::Status denied =
        CheckApprovals(*policy, other, approvals, kNow, cache);
    EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied) << denied;
    // Every approver's signature verifies; the quorum is met.
    const absl::Status accepted =
        CheckApprovals(*policy, requests[i], approvals, kNow, cache);
    EXPECT_TRUE(accepted.ok()) << accepted;
  }
  EXPECT_EQ(cache.size(), requests.size());
}

}  // namespace
}  // namespace nitro_tss::approval
