// Key policies of tss-kms-local: a strict parser for the JSON policy
// language subset that KMS key policies use, and its evaluation (explicit
// Deny wins, then Allow, default deny). See tools/kms-local/README.md for the
// supported subset.
#ifndef NITRO_TSS_TOOLS_KMS_LOCAL_POLICY_H_
#define NITRO_TSS_TOOLS_KMS_LOCAL_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::kms_local {

inline constexpr size_t kMaxPolicyBytes = 32 * 1024;  // as AWS KMS

enum class ConditionOperator {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNull,
};

struct PolicyCondition {
  ConditionOperator op;
  bool if_exists = false;
  std::string key;  // lower-cased condition key
  std::vector<std::string> values;
};

struct PolicyStatement {
  std::string sid;
  bool allow = false;  // Effect
  // Principal: "*" for everyone, else AWS principal ARNs or account ids.
  std::vector<std::string> principals;
  bool not_action = false;
  std::vector<std::string> actions;  // patterns, e.g. "kms:*", "kms:Decrypt"
  bool not_resource = false;
  std::vector<std::string> resources;  // patterns, e.g. "*"
  std::vector<PolicyCondition> conditions;
};

struct Policy {
  std::vector<PolicyStatement> statements;
};

// Parses a key policy document. Errors: MalformedPolicyDocumentException
// (InvalidArgument) naming the defect: bad JSON, size above kMaxPolicyBytes,
// unknown top-level or statement fields, missing Effect/Principal/Action,
// both or neither of Action/NotAction, unsupported principal types or
// condition operators, condition values that are not strings/arrays of
// strings.
absl::StatusOr<Policy> ParsePolicy(absl::string_view document);

// The request being authorized.
struct AuthorizationRequest {
  std::string principal_arn;  // e.g. arn:aws:iam::111122223333:role/parent
  std::string action;         // e.g. kms:Decrypt
  std::string resource;       // key ARN
  // Condition keys present in the request, names lower-cased
  // ("kms:recipientattestation:imagesha384", "aws:principalarn", ...).
  std::map<std::string, std::string> context;
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };

struct EvaluationResult {
  Decision decision = Decision::kImplicitDeny;
  std::string sid;  // Sid of the deciding statement (empty if none/unnamed)
};

// Evaluates `policy` for `request`: any matching Deny statement gives
// kExplicitDeny; else any matching Allow gives kAllow; else kImplicitDeny.
EvaluationResult Evaluate(const Policy& policy,
                          const AuthorizationRequest& request);

// Glob match with '*' (any run) and '?' (one character).
bool WildcardMatch(absl::string_view pattern, absl::string_view value,
                   bool ignore_case);

// The account id of an ARN ("arn:aws:iam::<account>:..."), or "" if `arn`
// is not an ARN.
std::string ArnAccount(absl::string_view arn);

// The default key policy AWS attaches when CreateKey has no Policy: allow
// "arn:aws:iam::<account>:root" kms:*.
std::string DefaultKeyPolicy(absl::string_view account);

}  // namespace nitro_tss::kms_local

#endif  // NITRO_TSS_TOOLS_KMS_LOCAL_POLICY_H_
