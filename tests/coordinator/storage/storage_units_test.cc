// Backend-independent parts of coordinator/storage: the audit hash (pinned
// by known answers computed with an independent implementation of the
// documented encoding, Python's hashlib/struct) and the page-token codec.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "coordinator/storage/audit_hash.h"
#include "coordinator/storage/page_token.h"
#include "coordinator/storage/storage.h"

namespace nitro_tss::coordinator::storage {
namespace {

AuditEntry FirstEntry() {
  AuditEntry e;
  e.seq = 1;
  e.time = absl::FromUnixMicros(1700000000123456);
  e.actor = "CN=custody-app";
  e.action = "Sign";
  e.resource = "keys/k1";
  e.outcome = "OK";
  e.payload = std::string("\x00\x01payload", 9);
  e.prev_hash = AuditGenesisHash();
  return e;
}

TEST(AuditHashTest, KnownAnswers) {
  // python3: sha256(field(domain) + >Q seq + >q micros + field(actor) + ...)
  AuditEntry first = FirstEntry();
  EXPECT_EQ(absl::BytesToHexString(ComputeAuditHash(first)),
            "0567ac849f08fd48a79628c64f32ba5aef863778dd699a6f57c218f39e85d113");
  AuditEntry second;
  second.seq = 2;
  second.time = absl::FromUnixMicros(-5);
  second.actor = std::string("a");
  second.action = std::string("b");
  second.outcome = std::string("c");
  second.prev_hash = ComputeAuditHash(first);
  EXPECT_EQ(absl::BytesToHexString(ComputeAuditHash(second)),
            "354d60fe6408d9e7add00c18dc23a0bb61b44b55ce0d9629abea7bea6ec327de");
}

TEST(AuditHashTest, EveryFieldIsCoveredAndBoundariesAreUnambiguous) {
  const AuditEntry base = FirstEntry();
  const std::string h = ComputeAuditHash(base);
  EXPECT_EQ(h.size(), kAuditHashBytes);
  auto differs = [&](auto mutate) {
    AuditEntry e = base;
    mutate(e);
    return ComputeAuditHash(e) != h;
  };
  EXPECT_TRUE(differs([](AuditEntry& e) { e.seq = 2; }));
  EXPECT_TRUE(differs([](AuditEntry& e) { e.time += absl::Microseconds(1); }));
  EXPECT_TRUE(differs([](AuditEntry& e) { absl::StrAppend(&e.actor, "x"); }));
  EXPECT_TRUE(differs([](AuditEntry& e) { absl::StrAppend(&e.action, "x"); }));
  EXPECT_TRUE(
      differs([](AuditEntry& e) { absl::StrAppend(&e.resource, "x"); }));
  EXPECT_TRUE(differs([](AuditEntry& e) { absl::StrAppend(&e.outcome, "x"); }));
  EXPECT_TRUE(differs([](AuditEntry& e) { absl::StrAppend(&e.payload, "x"); }));
  EXPECT_TRUE(differs([](AuditEntry& e) { e.prev_hash[31] = 1; }));
  // Moving bytes between adjacent fields changes the encoding.
  EXPECT_TRUE(differs([](AuditEntry& e) {
    e.action = std::string("S");
    e.resource = std::string("ignkeys/k1");
  }));
  // The stored hash itself is not an input.
  EXPECT_FALSE(
      differs([](AuditEntry& e) { e.hash = std::string("anything"); }));
}

TEST(PageTokenTest, RoundTripAndStrictness) {
  const std::string token = EncodePageToken(PageTokenScope::kKeys, "keys/abc");
  absl::StatusOr<std::string> name =
      DecodePageToken(token, PageTokenScope::kKeys);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "keys/abc");
  EXPECT_EQ(token.find('='), std::string::npos);

  auto code = [](absl::string_view t, PageTokenScope scope) {
    return DecodePageToken(t, scope).status().code();
  };
  constexpr auto kBad = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(token, PageTokenScope::kNodes), kBad);
  EXPECT_EQ(code(token, PageTokenScope::kOperationsAll), kBad);
  EXPECT_EQ(code("", PageTokenScope::kKeys), kBad);
  EXPECT_EQ(code(absl::StrCat(token, "="), PageTokenScope::kKeys), kBad);
  EXPECT_EQ(code(absl::StrCat(token, " "), PageTokenScope::kKeys), kBad);
  EXPECT_EQ(
      code(std::string(kMaxPageTokenBytes + 1, 'A'), PageTokenScope::kKeys),
      kBad);

  auto raw_token = [](absl::string_view raw) {
    return absl::WebSafeBase64Escape(raw);
  };
  // Version, scope and name are all checked.
  EXPECT_EQ(code(raw_token(std::string("\x02\x01keys/abc", 10)),
                 PageTokenScope::kKeys),
            kBad);
  EXPECT_EQ(code(raw_token(std::string("\x01\x01", 2)), PageTokenScope::kKeys),
            kBad);
  EXPECT_EQ(code(raw_token(std::string("\x01\x01nodes/abc", 11)),
                 PageTokenScope::kKeys),
            kBad);
  EXPECT_EQ(code(raw_token(std::string("\x01\x01keys/a\0b", 10)),
                 PageTokenScope::kKeys),
            kBad);
  EXPECT_EQ(code(raw_token(std::string("\x01\x01keys/a b", 10)),
                 PageTokenScope::kKeys),
            kBad);
  EXPECT_TRUE(
      DecodePageToken(raw_token(std::string("\x01\x04operations/x", 14)),
                      PageTokenScope::kOperationsDone)
          .ok());
  // The canonical text of "keys/abc" ends in 'w' (4 zero trailing bits);
  // 'x' decodes to the same bytes with a non-zero trailing bit.
  EXPECT_EQ(EncodePageToken(PageTokenScope::kKeys, "keys/abc"),
            "AQFrZXlzL2FiYw");
  EXPECT_EQ(code("AQFrZXlzL2FiYx", PageTokenScope::kKeys), kBad);
  // Standard base64 characters are not base64url.
  EXPECT_EQ(code("AQFrZXlzL2FiY+", PageTokenScope::kKeys), kBad);
}

}  // namespace
}  // namespace nitro_tss::coordinator::storage
