#include "tools/kms-local/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tools/kms-local/errors.h"

namespace nitro_tss::kms_local {
namespace {

using ::testing::HasSubstr;

constexpr char kParent[] = "arn:aws:iam::111122223333:role/parent";
constexpr char kKeyArn[] =
    "arn:aws:kms:us-east-1:111122223333:key/"
    "11111111-2222-4333-8444-555555555555";
const std::string kPcr0(96, 'a');

// The policy the project deploys: the parent role may decrypt only for an
// enclave whose image measurement is kPcr0; everything else for admins.
std::string EnclavePolicy() {
  return R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Admin","Effect":"Allow",
     "Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},
     "Action":"kms:*","Resource":"*"},
    {"Sid":"EnclaveOnly","Effect":"Allow",
     "Principal":{"AWS":["arn:aws:iam::111122223333:role/parent"]},
     "Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*",
     "Condition":{"StringEqualsIgnoreCase":{
        "kms:RecipientAttestation:ImageSha384":")" +
         kPcr0 + R"("}}},
    {"Sid":"DenyUnattested","Effect":"Deny","Principal":"*",
     "Action":"kms:Decrypt","Resource":"*",
     "Condition":{"StringNotEqualsIgnoreCase":{
        "kms:RecipientAttestation:PCR0":")" +
         kPcr0 + R"("}}}]})";
}

AuthorizationRequest Req(const std::string& principal,
                         const std::string& action,
                         std::map<std::string, std::string> ctx = {}) {
  AuthorizationRequest r;
  r.principal_arn = principal;
  r.action = action;
  r.resource = kKeyArn;
  r.context = std::move(ctx);
  return r;
}

TEST(Policy, EnclavePolicyDecisions) {
  auto p = ParsePolicy(EnclavePolicy());
  ASSERT_TRUE(p.ok()) << p.status();
  const std::map<std::string, std::string> attested = {
      {"kms:recipientattestation:imagesha384", kPcr0},
      {"kms:recipientattestation:pcr0", kPcr0}};
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Decrypt", attested)).decision,
            Decision::kAllow);
  // Upper-case hex still matches (IgnoreCase operators).
  const std::string upper(96, 'A');
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Decrypt",
                             {{"kms:recipientattestation:imagesha384", upper},
                              {"kms:recipientattestation:pcr0", upper}}))
                .decision,
            Decision::kAllow);
  EXPECT_EQ(
      Evaluate(*p, Req(kParent, "kms:GenerateDataKey", attested)).decision,
      Decision::kAllow);
  // Wrong measurement: explicit deny (and the allow does not match).
  const std::string other(96, 'b');
  auto wrong =
      Evaluate(*p, Req(kParent, "kms:Decrypt",
                       {{"kms:recipientattestation:imagesha384", other},
                        {"kms:recipientattestation:pcr0", other}}));
  EXPECT_EQ(wrong.decision, Decision::kExplicitDeny);
  EXPECT_EQ(wrong.sid, "DenyUnattested");
  // No Recipient: the condition key is missing, the negated operator is true
  // (AWS semantics), so the Deny applies, even to the admin.
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Decrypt")).decision,
            Decision::kExplicitDeny);
  EXPECT_EQ(
      Evaluate(*p, Req("arn:aws:iam::111122223333:role/admin", "kms:Decrypt"))
          .decision,
      Decision::kExplicitDeny);
  // No Recipient, GenerateDataKey: not denied, but not allowed either.
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:GenerateDataKey")).decision,
            Decision::kImplicitDeny);
  // Another principal with a good attestation: no Allow matches.
  EXPECT_EQ(Evaluate(*p, Req("arn:aws:iam::999999999999:role/parent",
                             "kms:Decrypt", attested))
                .decision,
            Decision::kImplicitDeny);
  // Admin may do the rest.
  EXPECT_EQ(Evaluate(*p, Req("arn:aws:iam::111122223333:role/admin",
                             "kms:PutKeyPolicy"))
                .decision,
            Decision::kAllow);
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:PutKeyPolicy", attested)).decision,
            Decision::kImplicitDeny);
}

TEST(Policy, AccountRootStandsForTheAccount) {
  auto p = ParsePolicy(DefaultKeyPolicy("111122223333"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Encrypt")).decision,
            Decision::kAllow);
  EXPECT_EQ(
      Evaluate(*p, Req("arn:aws:iam::999999999999:role/parent", "kms:Encrypt"))
          .decision,
      Decision::kImplicitDeny);
  auto bare = ParsePolicy(
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt"}})");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(Evaluate(*bare, Req(kParent, "kms:encrypt")).decision,
            Decision::kAllow);  // actions are case-insensitive
  EXPECT_EQ(Evaluate(*bare, Req(kParent, "kms:Decrypt")).decision,
            Decision::kImplicitDeny);
}

TEST(Policy, OperatorsNotActionResourceAndNull) {
  auto p = ParsePolicy(R"({"Statement":[
    {"Effect":"Allow","Principal":"*","NotAction":"kms:Put*","Resource":"arn:aws:kms:*:111122223333:key/*",
     "Condition":{"StringEqualsIfExists":{"kms:EncryptionContext:app":"tss"},
                  "StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/p*"}}},
    {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Encrypt",
     "Condition":{"Null":{"kms:EncryptionContext:app":"true"}}}]})");
  ASSERT_TRUE(p.ok()) << p.status();
  const auto ctx = [](std::map<std::string, std::string> extra) {
    extra["aws:principalarn"] = kParent;
    return extra;
  };
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Decrypt", ctx({}))).decision,
            Decision::kAllow);  // IfExists: missing key is fine
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Decrypt",
                             ctx({{"kms:encryptioncontext:app", "other"}})))
                .decision,
            Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:PutKeyPolicy", ctx({}))).decision,
            Decision::kImplicitDeny);  // NotAction
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Encrypt", ctx({}))).decision,
            Decision::kExplicitDeny);  // Null: true when absent
  EXPECT_EQ(Evaluate(*p, Req(kParent, "kms:Encrypt",
                             ctx({{"kms:encryptioncontext:app", "tss"}})))
                .decision,
            Decision::kAllow);
  AuthorizationRequest other_key = Req(kParent, "kms:Decrypt", ctx({}));
  other_key.resource = "arn:aws:kms:us-east-1:999999999999:key/x";
  EXPECT_EQ(Evaluate(*p, other_key).decision, Decision::kImplicitDeny);
  // StringEquals on a missing key does not match.
  auto eq = ParsePolicy(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*",
     "Condition":{"StringEquals":{"kms:RecipientAttestation:PCR8":"ab"}}}})");
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ(Evaluate(*eq, Req(kParent, "kms:Decrypt")).decision,
            Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(*eq, Req(kParent, "kms:Decrypt",
                              {{"kms:recipientattestation:pcr8", "AB"}}))
                .decision,
            Decision::kImplicitDeny);  // case-sensitive
  EXPECT_EQ(Evaluate(*eq, Req(kParent, "kms:Decrypt",
                              {{"kms:recipientattestation:pcr8", "ab"}}))
                .decision,
            Decision::kAllow);
}

void ExpectMalformed(const std::string& doc, const std::string& what) {
  auto p = ParsePolicy(doc);
  ASSERT_FALSE(p.ok()) << doc;
  EXPECT_EQ(AwsErrorType(p.status()), "MalformedPolicyDocumentException");
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(what)) << doc;
}

TEST(Policy, RejectsMalformedDocuments) {
  const std::string ok_stmt =
      R"({"Effect":"Allow","Principal":"*","Action":"kms:*"})";
  ExpectMalformed("{", "not valid JSON");
  ExpectMalformed("[]", "must be a JSON object");
  ExpectMalformed("{}", "no Statement");
  ExpectMalformed(R"({"Statement":[]})", "Statement must be");
  ExpectMalformed(R"({"Version":"2020-01-01","Statement":)" + ok_stmt + "}",
                  "Version");
  ExpectMalformed(R"({"Foo":1,"Statement":)" + ok_stmt + "}",
                  "unsupported policy field 'Foo'");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Maybe","Principal":"*","Action":"kms:*"}})",
      "Effect");
  ExpectMalformed(R"({"Statement":{"Principal":"*","Action":"kms:*"}})",
                  "without Effect");
  ExpectMalformed(R"({"Statement":{"Effect":"Allow","Action":"kms:*"}})",
                  "without Principal");
  ExpectMalformed(R"({"Statement":{"Effect":"Allow","Principal":"*"}})",
                  "without Action");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:X"}})",
      "exactly one of Action/NotAction");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":{"Service":"x"},"Action":"kms:*"}})",
      "unsupported principal type");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*"}})",
      "invalid principal");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}})",
      "not a kms: action");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"NumericEquals":{"a":"1"}}}})",
      "unsupported condition operator 'NumericEquals'");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"StringEquals":{"a":1}}}})",
      "must be a string or a non-empty array");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Condition":{"Null":{"a":"maybe"}}}})",
      "Null condition values");
  ExpectMalformed(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Extra":1}})",
      "unsupported statement field 'Extra'");
  ExpectMalformed(std::string(kMaxPolicyBytes + 1, ' '), "larger than");
}

TEST(Policy, WildcardMatch) {
  EXPECT_TRUE(WildcardMatch("kms:*", "kms:Decrypt", false));
  EXPECT_TRUE(WildcardMatch("kms:Generate*", "kms:GenerateDataKey", false));
  EXPECT_TRUE(WildcardMatch("kms:?ecrypt", "kms:Decrypt", false));
  EXPECT_FALSE(WildcardMatch("kms:?ecrypt", "kms:Encrypt2", false));
  EXPECT_TRUE(WildcardMatch("*a*b*", "xxaxxbxx", false));
  EXPECT_FALSE(WildcardMatch("*a*b", "xxaxxbxx", false));
  EXPECT_TRUE(WildcardMatch("KMS:DECRYPT", "kms:Decrypt", true));
  EXPECT_FALSE(WildcardMatch("KMS:DECRYPT", "kms:Decrypt", false));
  EXPECT_TRUE(WildcardMatch("", "", false));
  EXPECT_FALSE(WildcardMatch("", "a", false));
  EXPECT_EQ(ArnAccount(kParent), "111122223333");
  EXPECT_EQ(ArnAccount("nope"), "");
}

}  // namespace
}  // namespace nitro_tss::kms_local
