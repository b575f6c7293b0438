#include "tools/kms-local/policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "tools/kms-local/errors.h"

namespace nitro_tss::kms_local {
namespace {

using json::Value;

constexpr size_t kMaxStatements = 100;
constexpr size_t kMaxListEntries = 200;

// A string or a non-empty array of strings.
absl::StatusOr<std::vector<std::string>> StringList(const Value& v,
                                                    absl::string_view what) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.AsString());
    return out;
  }
  if (!v.is_array() || v.AsArray().empty() ||
      v.AsArray().size() > kMaxListEntries) {
    return MalformedPolicy(absl::StrCat(
        what, " must be a string or a non-empty array of strings"));
  }
  for (const Value& e : v.AsArray()) {
    if (!e.is_string()) {
      return MalformedPolicy(absl::StrCat(what, " entries must be strings"));
    }
    out.push_back(e.AsString());
  }
  return out;
}

bool IsAccountId(absl::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ParsePrincipal(const Value& v) {
  if (v.is_string()) {
    if (v.AsString() != "*") {
      return MalformedPolicy("Principal must be \"*\" or {\"AWS\": ...}");
    }
    return std::vector<std::string>{"*"};
  }
  if (!v.is_object()) return MalformedPolicy("Principal must be an object");
  std::vector<std::string> out;
  for (const auto& [type, list] : v.AsObject()) {
    if (type != "AWS") {
      return MalformedPolicy(
          absl::StrCat("unsupported principal type '", type, "'"));
    }
    auto l = StringList(list, "Principal.AWS");
    if (!l.ok()) return l.status();
    for (std::string& p : *l) {
      if (p != "*" && !IsAccountId(p) && !absl::StartsWith(p, "arn:")) {
        return MalformedPolicy(absl::StrCat("invalid principal '", p, "'"));
      }
      out.push_back(std::move(p));
    }
  }
  if (out.empty()) return MalformedPolicy("Principal is empty");
  return out;
}

absl::Status ParseConditions(const Value& v, PolicyStatement* st) {
  if (!v.is_object()) return MalformedPolicy("Condition must be an object");
  for (const auto& [op_name, block] : v.AsObject()) {
    absl::string_view name = op_name;
    bool if_exists = false;
    if (absl::ConsumeSuffix(&name, "IfExists")) if_exists = true;
    ConditionOperator op;
    if (name == "StringEquals") {
      op = ConditionOperator::kStringEquals;
    } else if (name == "StringNotEquals") {
      op = ConditionOperator::kStringNotEquals;
    } else if (name == "StringEqualsIgnoreCase") {
      op = ConditionOperator::kStringEqualsIgnoreCase;
    } else if (name == "StringNotEqualsIgnoreCase") {
      op = ConditionOperator::kStringNotEqualsIgnoreCase;
    } else if (name == "StringLike") {
      op = ConditionOperator::kStringLike;
    } else if (name == "StringNotLike") {
      op = ConditionOperator::kStringNotLike;
    } else if (name == "Null" && !if_exists) {
      op = ConditionOperator::kNull;
    } else {
      return MalformedPolicy(
          absl::StrCat("unsupported condition operator '", op_name, "'"));
    }
    if (!block.is_object() || block.AsObject().empty()) {
      return MalformedPolicy(absl::StrCat("condition operator '", op_name,
                                          "' must map keys to values"));
    }
    for (const auto& [key, values] : block.AsObject()) {
      PolicyCondition c;
      c.op = op;
      c.if_exists = if_exists;
      c.key = absl::AsciiStrToLower(key);
      auto l =
          StringList(values, absl::StrCat("Condition ", op_name, ".", key));
      if (!l.ok()) return l.status();
      c.values = std::move(*l);
      if (op == ConditionOperator::kNull) {
        for (const std::string& x : c.values) {
          if (x != "true" && x != "false") {
            return MalformedPolicy("Null condition values must be true/false");
          }
        }
      }
      st->conditions.push_back(std::move(c));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PolicyStatement> ParseStatement(const Value& v) {
  if (!v.is_object()) return MalformedPolicy("Statement must be an object");
  PolicyStatement st;
  bool has_effect = false;
  bool has_principal = false;
  bool has_action = false;
  bool has_resource = false;
  for (const auto& [name, field] : v.AsObject()) {
    if (name == "Sid") {
      if (!field.is_string()) return MalformedPolicy("Sid must be a string");
      st.sid = field.AsString();
    } else if (name == "Effect") {
      if (!field.is_string() ||
          (field.AsString() != "Allow" && field.AsString() != "Deny")) {
        return MalformedPolicy("Effect must be \"Allow\" or \"Deny\"");
      }
      st.allow = field.AsString() == "Allow";
      has_effect = true;
    } else if (name == "Principal") {
      auto p = ParsePrincipal(field);
      if (!p.ok()) return p.status();
      st.principals = std::move(*p);
      has_principal = true;
    } else if (name == "Action" || name == "NotAction") {
      if (has_action) {
        return MalformedPolicy(
            "a statement needs exactly one of Action/NotAction");
      }
      auto l = StringList(field, name);
      if (!l.ok()) return l.status();
      for (const std::string& a : *l) {
        if (a != "*" && !absl::StartsWithIgnoreCase(a, "kms:")) {
          return MalformedPolicy(
              absl::StrCat("action '", a, "' is not a kms: action"));
        }
      }
      st.not_action = name == "NotAction";
      st.actions = std::move(*l);
      has_action = true;
    } else if (name == "Resource" || name == "NotResource") {
      if (has_resource) {
        return MalformedPolicy(
            "a statement needs at most one of Resource/NotResource");
      }
      auto l = StringList(field, name);
      if (!l.ok()) return l.status();
      st.not_resource = name == "NotResource";
      st.resources = std::move(*l);
      has_resource = true;
    } else if (name == "Condition") {
      absl::Status s = ParseConditions(field, &st);
      if (!s.ok()) return s;
    } else {
      return MalformedPolicy(
          absl::StrCat("unsupported statement field '", name, "'"));
    }
  }
  if (!has_effect) return MalformedPolicy("statement without Effect");
  if (!has_principal) return MalformedPolicy("statement without Principal");
  if (!has_action) return MalformedPolicy("statement without Action/NotAction");
  if (!has_resource) st.resources = {"*"};
  return st;
}

bool PrincipalMatches(const std::vector<std::string>& principals,
                      absl::string_view caller_arn) {
  const std::string caller_account = ArnAccount(caller_arn);
  for (const std::string& p : principals) {
    if (p == "*") return true;
    if (p == caller_arn) return true;
    // The account itself ("111122223333" or "arn:aws:iam::111122223333:root")
    // stands for every principal of that account.
    std::string account;
    if (IsAccountId(p)) {
      account = p;
    } else if (absl::EndsWith(p, ":root") &&
               absl::StartsWith(p, "arn:aws:iam::")) {
      account = ArnAccount(p);
    }
    if (!account.empty() && account == caller_account) return true;
  }
  return false;
}

bool AnyMatch(const std::vector<std::string>& patterns, absl::string_view value,
              bool ignore_case) {
  for (const std::string& p : patterns) {
    if (WildcardMatch(p, value, ignore_case)) return true;
  }
  return false;
}

bool ConditionHolds(const PolicyCondition& c,
                    const std::map<std::string, std::string>& context) {
  const auto it = context.find(c.key);
  const bool present = it != context.end();
  if (c.op == ConditionOperator::kNull) {
    // "true": the key must be absent; "false": present. Several values: any.
    for (const std::string& v : c.values) {
      if ((v == "true") != present) return true;
    }
    return false;
  }
  if (!present) {
    if (c.if_exists) return true;
    // AWS: a negated operator on a missing key evaluates to true.
    return c.op == ConditionOperator::kStringNotEquals ||
           c.op == ConditionOperator::kStringNotEqualsIgnoreCase ||
           c.op == ConditionOperator::kStringNotLike;
  }
  const std::string& value = it->second;
  bool any_equal = false;
  for (const std::string& v : c.values) {
    bool eq = false;
    switch (c.op) {
      case ConditionOperator::kStringEquals:
      case ConditionOperator::kStringNotEquals:
        eq = v == value;
        break;
      case ConditionOperator::kStringEqualsIgnoreCase:
      case ConditionOperator::kStringNotEqualsIgnoreCase:
        eq = absl::EqualsIgnoreCase(v, value);
        break;
      case ConditionOperator::kStringLike:
      case ConditionOperator::kStringNotLike:
        eq = WildcardMatch(v, value, /*ignore_case=*/false);
        break;
      case ConditionOperator::kNull:
        break;
    }
    if (eq) {
      any_equal = true;
      break;
    }
  }
  switch (c.op) {
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringNotLike:
      return !any_equal;
    default:
      return any_equal;
  }
}

bool StatementMatches(const PolicyStatement& st,
                      const AuthorizationRequest& req) {
  if (!PrincipalMatches(st.principals, req.principal_arn)) return false;
  const bool action_listed = AnyMatch(st.actions, req.action, true);
  if (action_listed == st.not_action) return false;
  const bool resource_listed = AnyMatch(st.resources, req.resource, false);
  if (resource_listed == st.not_resource) return false;
  for (const PolicyCondition& c : st.conditions) {
    if (!ConditionHolds(c, req.context)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Policy> ParsePolicy(absl::string_view document) {
  if (document.size() > kMaxPolicyBytes) {
    return MalformedPolicy(
        absl::StrCat("policy is larger than ", kMaxPolicyBytes, " bytes"));
  }
  json::ParseLimits limits;
  limits.max_input_bytes = kMaxPolicyBytes;
  limits.max_depth = 8;
  auto doc = json::Parse(document, limits);
  if (!doc.ok()) {
    return MalformedPolicy(
        absl::StrCat("policy is not valid JSON: ", doc.status().message()));
  }
  if (!doc->is_object()) return MalformedPolicy("policy must be a JSON object");
  Policy policy;
  bool has_statement = false;
  for (const auto& [name, field] : doc->AsObject()) {
    if (name == "Version") {
      if (!field.is_string() || (field.AsString() != "2012-10-17" &&
                                 field.AsString() != "2008-10-17")) {
        return MalformedPolicy(
            "Version must be \"2012-10-17\" or \"2008-10-17\"");
      }
    } else if (name == "Id") {
      if (!field.is_string()) return MalformedPolicy("Id must be a string");
    } else if (name == "Statement") {
      has_statement = true;
      std::vector<const Value*> items;
      if (field.is_object()) {
        items.push_back(&field);
      } else if (field.is_array() && !field.AsArray().empty() &&
                 field.AsArray().size() <= kMaxStatements) {
        for (const Value& s : field.AsArray()) items.push_back(&s);
      } else {
        return MalformedPolicy(
            absl::StrCat("Statement must be an object or an array of 1..",
                         kMaxStatements, " objects"));
      }
      for (const Value* s : items) {
        auto st = ParseStatement(*s);
        if (!st.ok()) return st.status();
        policy.statements.push_back(std::move(*st));
      }
    } else {
      return MalformedPolicy(
          absl::StrCat("unsupported policy field '", name, "'"));
    }
  }
  if (!has_statement) return MalformedPolicy("policy has no Statement");
  return policy;
}

EvaluationResult Evaluate(const Policy& policy,
                          const AuthorizationRequest& request) {
  EvaluationResult result;
  const PolicyStatement* allow = nullptr;
  for (const PolicyStatement& st : policy.statements) {
    if (!StatementMatches(st, request)) continue;
    if (!st.allow) {
      result.decision = Decision::kExplicitDeny;
      result.sid = st.sid;
      return result;
    }
    if (allow == nullptr) allow = &st;
  }
  if (allow != nullptr) {
    result.decision = Decision::kAllow;
    result.sid = allow->sid;
  }
  return result;
}

bool WildcardMatch(absl::string_view pattern, absl::string_view value,
                   bool ignore_case) {
  // Iterative glob matching with single-star backtracking (linear-ish,
  // no recursion).
  size_t p = 0, v = 0, star = absl::string_view::npos, mark = 0;
  const auto eq = [&](char a, char b) {
    return ignore_case ? absl::ascii_tolower(static_cast<unsigned char>(a)) ==
                             absl::ascii_tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], value[v]))) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string ArnAccount(absl::string_view arn) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(arn, absl::MaxSplits(':', 5));
  if (parts.size() < 6 || parts[0] != "arn") return "";
  return std::string(parts[4]);
}

std::string DefaultKeyPolicy(absl::string_view account) {
  return absl::StrCat(
      "{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[{"
      "\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\","
      "\"Principal\":{\"AWS\":\"arn:aws:iam::",
      account, ":root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}");
}

}  // namespace nitro_tss::kms_local
