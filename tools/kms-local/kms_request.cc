#include "tools/kms-local/kms_request.h"

#include <sodium.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "tools/kms-local/errors.h"

namespace nitro_tss::kms_local {
namespace {

using json::Value;

struct OpName {
  KmsOperation op;
  const char* name;
};
constexpr OpName kOps[] = {
    {KmsOperation::kCreateKey, "CreateKey"},
    {KmsOperation::kDescribeKey, "DescribeKey"},
    {KmsOperation::kEncrypt, "Encrypt"},
    {KmsOperation::kDecrypt, "Decrypt"},
    {KmsOperation::kGenerateDataKey, "GenerateDataKey"},
    {KmsOperation::kGenerateRandom, "GenerateRandom"},
    {KmsOperation::kCreateAlias, "CreateAlias"},
    {KmsOperation::kListAliases, "ListAliases"},
    {KmsOperation::kListKeys, "ListKeys"},
    {KmsOperation::kGetKeyPolicy, "GetKeyPolicy"},
    {KmsOperation::kPutKeyPolicy, "PutKeyPolicy"},
};

absl::Status Serialization(absl::string_view message) {
  return AwsError(absl::StatusCode::kInvalidArgument, "SerializationException",
                  message);
}

// Which members each operation accepts.
std::vector<absl::string_view> AllowedMembers(KmsOperation op) {
  switch (op) {
    case KmsOperation::kCreateKey:
      return {"Policy",
              "Description",
              "KeyUsage",
              "KeySpec",
              "CustomerMasterKeySpec",
              "Origin",
              "BypassPolicyLockoutSafetyCheck"};
    case KmsOperation::kDescribeKey:
      return {"KeyId", "GrantTokens"};
    case KmsOperation::kEncrypt:
      return {"KeyId", "Plaintext", "EncryptionContext", "EncryptionAlgorithm",
              "GrantTokens"};
    case KmsOperation::kDecrypt:
      return {"CiphertextBlob",      "EncryptionContext", "KeyId",
              "EncryptionAlgorithm", "Recipient",         "GrantTokens"};
    case KmsOperation::kGenerateDataKey:
      return {"KeyId",     "KeySpec",    "NumberOfBytes", "EncryptionContext",
              "Recipient", "GrantTokens"};
    case KmsOperation::kGenerateRandom:
      return {"NumberOfBytes", "Recipient"};
    case KmsOperation::kCreateAlias:
      return {"AliasName", "TargetKeyId"};
    case KmsOperation::kListAliases:
      return {"KeyId", "Limit", "Marker"};
    case KmsOperation::kListKeys:
      return {"Limit", "Marker"};
    case KmsOperation::kGetKeyPolicy:
      return {"KeyId", "PolicyName"};
    case KmsOperation::kPutKeyPolicy:
      return {"KeyId", "PolicyName", "Policy",
              "BypassPolicyLockoutSafetyCheck"};
  }
  return {};
}

absl::StatusOr<std::string> String(const Value& v, absl::string_view name,
                                   size_t min, size_t max) {
  if (!v.is_string()) {
    return Serialization(absl::StrCat(name, " must be a string"));
  }
  const std::string& s = v.AsString();
  if (s.size() < min || s.size() > max) {
    return Validation(absl::StrCat(
        "1 validation error detected: Value at '", name,
        "' failed to satisfy constraint: ", "Member must have length between ",
        min, " and ", max));
  }
  return s;
}

absl::StatusOr<std::string> Blob(const Value& v, absl::string_view name,
                                 size_t min, size_t max) {
  if (!v.is_string()) {
    return Serialization(absl::StrCat(name, " must be a base64 string"));
  }
  auto decoded = Base64Decode(v.AsString());
  if (!decoded.ok()) {
    return Serialization(absl::StrCat(name, " is not valid base64"));
  }
  if (decoded->size() < min || decoded->size() > max) {
    sodium_memzero(decoded->data(), decoded->size());
    return Validation(absl::StrCat(
        "1 validation error detected: Value at '", name,
        "' failed to satisfy constraint: ", "Member must have length between ",
        min, " and ", max));
  }
  return decoded;
}

absl::StatusOr<int64_t> Int(const Value& v, absl::string_view name, int64_t min,
                            int64_t max) {
  if (!v.is_int()) {
    return Serialization(absl::StrCat(name, " must be an integer"));
  }
  if (v.AsInt() < min || v.AsInt() > max) {
    return Validation(absl::StrCat(
        "1 validation error detected: Value '", v.AsInt(), "' at '", name,
        "' failed to satisfy constraint: Member must have value between ", min,
        " and ", max));
  }
  return v.AsInt();
}

absl::StatusOr<EncryptionContext> Context(const Value& v) {
  if (!v.is_object()) {
    return Serialization("EncryptionContext must be a map of strings");
  }
  EncryptionContext out;
  size_t total = 0;
  for (const auto& [k, val] : v.AsObject()) {
    if (!val.is_string()) {
      return Serialization("EncryptionContext values must be strings");
    }
    if (k.empty())
      return Validation("EncryptionContext keys must not be empty");
    total += k.size() + val.AsString().size();
    out.emplace(k, val.AsString());
  }
  if (total > kMaxEncryptionContextBytes) {
    return Validation("EncryptionContext is too large");
  }
  return out;
}

absl::StatusOr<RecipientParams> Recipient(const Value& v) {
  if (!v.is_object()) return Serialization("Recipient must be a structure");
  RecipientParams r;
  bool has_doc = false;
  for (const auto& [k, val] : v.AsObject()) {
    if (k == "AttestationDocument") {
      auto b = Blob(val, "Recipient.AttestationDocument", 1,
                    kMaxAttestationDocumentBytes);
      if (!b.ok()) return b.status();
      r.attestation_document = std::move(*b);
      has_doc = true;
    } else if (k == "KeyEncryptionAlgorithm") {
      auto s = String(val, "Recipient.KeyEncryptionAlgorithm", 1, 64);
      if (!s.ok()) return s.status();
      if (*s != "RSAES_OAEP_SHA_256") {
        return Validation(
            "Recipient.KeyEncryptionAlgorithm must be RSAES_OAEP_SHA_256");
      }
      r.key_encryption_algorithm = *s;
    } else {
      return Serialization(absl::StrCat("unknown member Recipient.", k));
    }
  }
  if (!has_doc) return Validation("Recipient.AttestationDocument is required");
  if (r.key_encryption_algorithm.empty()) {
    r.key_encryption_algorithm = "RSAES_OAEP_SHA_256";
  }
  return r;
}

}  // namespace

KmsRequest::~KmsRequest() {
  if (plaintext.has_value() && !plaintext->empty()) {
    sodium_memzero(plaintext->data(), plaintext->size());
  }
}

absl::StatusOr<KmsOperation> ParseTarget(absl::string_view target) {
  absl::string_view op = target;
  if (!absl::ConsumePrefix(&op, "TrentService.")) {
    return AwsError(absl::StatusCode::kInvalidArgument,
                    "UnknownOperationException",
                    "X-Amz-Target must be TrentService.<Operation>");
  }
  for (const OpName& o : kOps) {
    if (op == o.name) return o.op;
  }
  return AwsError(absl::StatusCode::kUnimplemented, "UnknownOperationException",
                  absl::StrCat("unsupported operation '", op, "'"));
}

const char* OperationName(KmsOperation op) {
  for (const OpName& o : kOps) {
    if (o.op == op) return o.name;
  }
  return "Unknown";
}

absl::StatusOr<std::string> Base64Decode(absl::string_view text) {
  if (text.size() % 4 != 0) {
    return absl::InvalidArgumentError("base64 length is not a multiple of 4");
  }
  std::string out(text.size() / 4 * 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()),
                        out.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return absl::InvalidArgumentError("invalid base64");
  }
  out.resize(len);
  return out;
}

std::string Base64Encode(absl::string_view bytes) {
  std::string out(
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL),
      '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // drop the NUL
  return out;
}

absl::StatusOr<KmsRequest> ParseKmsRequest(KmsOperation op,
                                           absl::string_view body) {
  json::ParseLimits limits;
  limits.max_input_bytes = kMaxRequestBodyBytes;
  limits.max_depth = 4;
  limits.max_container_size = 1000;
  auto doc = json::Parse(body, limits);
  if (!doc.ok()) {
    return Serialization(
        absl::StrCat("malformed request body: ", doc.status().message()));
  }
  if (!doc->is_object()) {
    return Serialization("request body must be a JSON object");
  }
  const std::vector<absl::string_view> allowed = AllowedMembers(op);
  KmsRequest r;
  r.op = op;
  for (const auto& member : doc->AsObject()) {
    const std::string& name = member.first;
    const Value& v = member.second;
    bool known = false;
    for (absl::string_view a : allowed) known = known || a == name;
    if (!known) {
      return Serialization(
          absl::StrCat("unknown member '", name, "' for ", OperationName(op)));
    }
    absl::Status st;
    const auto set_str = [&](std::optional<std::string>* field, size_t min,
                             size_t max) {
      auto s = String(v, name, min, max);
      if (!s.ok()) return s.status();
      *field = std::move(*s);
      return absl::OkStatus();
    };
    if (name == "KeyId") {
      st = set_str(&r.key_id, 1, 2048);
    } else if (name == "Description") {
      st = set_str(&r.description, 0, 8192);
    } else if (name == "Policy") {
      st = set_str(&r.policy, 1, 32768);
    } else if (name == "PolicyName") {
      st = set_str(&r.policy_name, 1, 128);
    } else if (name == "AliasName") {
      st = set_str(&r.alias_name, 1, 256);
    } else if (name == "TargetKeyId") {
      st = set_str(&r.target_key_id, 1, 2048);
    } else if (name == "KeySpec" || name == "CustomerMasterKeySpec") {
      st = set_str(&r.key_spec, 1, 64);
    } else if (name == "KeyUsage") {
      st = set_str(&r.key_usage, 1, 64);
    } else if (name == "EncryptionAlgorithm") {
      st = set_str(&r.encryption_algorithm, 1, 64);
      if (st.ok() && *r.encryption_algorithm != "SYMMETRIC_DEFAULT") {
        st = Validation("EncryptionAlgorithm must be SYMMETRIC_DEFAULT");
      }
    } else if (name == "Marker") {
      st = set_str(&r.marker, 1, 1024);
    } else if (name == "Origin") {
      st = set_str(&r.origin, 1, 64);
    } else if (name == "Plaintext") {
      auto b = Blob(v, name, 1, kMaxPlaintextBytes);
      st = b.status();
      if (b.ok()) r.plaintext = std::move(*b);
    } else if (name == "CiphertextBlob") {
      auto b = Blob(v, name, 1, kMaxCiphertextBlobBytes);
      st = b.status();
      if (b.ok()) r.ciphertext_blob = std::move(*b);
    } else if (name == "EncryptionContext") {
      auto c = Context(v);
      st = c.status();
      if (c.ok()) r.encryption_context = std::move(*c);
    } else if (name == "NumberOfBytes") {
      auto n = Int(v, name, 1, 1024);
      st = n.status();
      if (n.ok()) r.number_of_bytes = *n;
    } else if (name == "Limit") {
      auto n = Int(v, name, 1, 1000);
      st = n.status();
      if (n.ok()) r.limit = *n;
    } else if (name == "BypassPolicyLockoutSafetyCheck") {
      if (!v.is_bool()) {
        st = Serialization(absl::StrCat(name, " must be a boolean"));
      } else {
        r.bypass_policy_lockout_safety_check = v.AsBool();
      }
    } else if (name == "Recipient") {
      auto rp = Recipient(v);
      st = rp.status();
      if (rp.ok()) r.recipient = std::move(*rp);
    } else if (name == "GrantTokens") {
      if (!v.is_array() || !v.AsArray().empty()) {
        st = Validation("GrantTokens are not supported");
      }
    }
    if (!st.ok()) return st;
  }
  // The document holds the base64 of the plaintext: wipe it.
  for (auto& member : doc->MutableObject()) {
    if (member.first == "Plaintext" && member.second.is_string()) {
      std::string& s = member.second.MutableString();
      sodium_memzero(s.data(), s.size());
    }
  }
  return r;
}

}  // namespace nitro_tss::kms_local
