#include "tools/kms-local/service.h"

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json.h"
#include "tools/kms-local/ciphertext_blob.h"
#include "tools/kms-local/errors.h"
#include "tools/kms-local/policy.h"
#include "tools/kms-local/recipient_cms.h"

namespace nitro_tss::kms_local {
namespace {

using json::Value;

constexpr absl::string_view kJsonContentType = "application/x-amz-json-1.1";

std::string NewUuid() {
  uint8_t b[16];
  randombytes_buf(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(b), sizeof(b)));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20));
}

bool IsUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

absl::Status IncorrectKey(absl::string_view m) {
  return AwsError(absl::StatusCode::kInvalidArgument, "IncorrectKeyException",
                  m);
}

std::string Hex(const std::vector<uint8_t>& b) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Value Blob(absl::string_view bytes) {
  return Value::String(Base64Encode(bytes));
}

void WipeString(std::string* s) {
  if (!s->empty()) sodium_memzero(s->data(), s->size());
}

}  // namespace

struct KmsService::ResolvedKey {
  KeyRecord key;
};

KmsService::KmsService(KmsServiceOptions options, KeyStore* store)
    : options_(std::move(options)), store_(store) {}

std::string KmsService::KeyArn(absl::string_view key_id) const {
  return absl::StrCat("arn:aws:kms:", options_.region, ":", options_.account,
                      ":key/", key_id);
}

absl::StatusOr<KmsService::ResolvedKey> KmsService::Resolve(
    absl::string_view key_ref) {
  std::string key_id;
  absl::string_view ref = key_ref;
  const std::string arn_prefix =
      absl::StrCat("arn:aws:kms:", options_.region, ":", options_.account, ":");
  if (absl::StartsWith(ref, "arn:")) {
    if (!absl::ConsumePrefix(&ref, arn_prefix)) {
      return NotFound(
          absl::StrCat("Invalid arn ", key_ref, " (not this region/account)"));
    }
    if (!absl::StartsWith(ref, "alias/") &&
        !absl::ConsumePrefix(&ref, "key/")) {
      return AwsError(absl::StatusCode::kInvalidArgument, "InvalidArnException",
                      absl::StrCat("Invalid arn ", key_ref));
    }
  }
  if (absl::StartsWith(ref, "alias/")) {
    auto target = store_->ResolveAlias(std::string(ref));
    if (!target.ok()) {
      if (absl::IsNotFound(target.status())) {
        return NotFound(
            absl::StrCat("Alias ", arn_prefix, ref, " is not found."));
      }
      return target.status();
    }
    key_id = *target;
  } else {
    if (!IsUuid(ref)) {
      return NotFound(absl::StrCat("Invalid keyId '", key_ref, "'"));
    }
    key_id = std::string(ref);
  }
  auto key = store_->GetKey(key_id);
  if (!key.ok()) {
    if (absl::IsNotFound(key.status())) {
      return NotFound(
          absl::StrCat("Key '", KeyArn(key_id), "' does not exist"));
    }
    return absl::InternalError(key.status().message());
  }
  ResolvedKey r;
  r.key = std::move(*key);
  return r;
}

absl::Status KmsService::Authorize(
    const CallerIdentity& caller, const KeyRecord& key,
    absl::string_view action, const std::map<std::string, std::string>& extra) {
  auto policy = ParsePolicy(key.policy);
  if (!policy.ok()) {
    return absl::InternalError("stored key policy does not parse");
  }
  AuthorizationRequest req;
  req.principal_arn = caller.principal_arn;
  req.action = std::string(action);
  req.resource = key.arn;
  req.context = extra;
  req.context["aws:principalarn"] = caller.principal_arn;
  req.context["kms:calleraccount"] = ArnAccount(caller.principal_arn);
  const EvaluationResult r = Evaluate(*policy, req);
  if (r.decision == Decision::kAllow) return absl::OkStatus();
  return AccessDenied(absl::StrCat(
      "User: ", caller.principal_arn, " is not authorized to perform: ", action,
      " on resource: ", key.arn,
      r.decision == Decision::kExplicitDeny
          ? " with an explicit deny in a resource-based policy"
          : " because no resource-based policy allows the action"));
}

absl::StatusOr<std::string> KmsService::Execute(const CallerIdentity& caller,
                                                const KmsRequest& req) {
  Value out = Value::MakeObject();
  const auto key_metadata = [&](const KeyRecord& k) {
    Value m;
    m.Set("AWSAccountId", Value::String(options_.account));
    m.Set("KeyId", Value::String(k.key_id));
    m.Set("Arn", Value::String(k.arn));
    m.Set("CreationDate", Value::Int(k.creation_unix));
    m.Set("Enabled", Value::Bool(k.state == "Enabled"));
    m.Set("Description", Value::String(k.description));
    m.Set("KeyUsage", Value::String("ENCRYPT_DECRYPT"));
    m.Set("KeyState", Value::String(k.state));
    m.Set("Origin", Value::String("AWS_KMS"));
    m.Set("KeyManager", Value::String("CUSTOMER"));
    m.Set("CustomerMasterKeySpec", Value::String("SYMMETRIC_DEFAULT"));
    m.Set("KeySpec", Value::String("SYMMETRIC_DEFAULT"));
    Value algs;
    algs.Append(Value::String("SYMMETRIC_DEFAULT"));
    m.Set("EncryptionAlgorithms", std::move(algs));
    m.Set("MultiRegion", Value::Bool(false));
    return m;
  };
  // Condition keys from the encryption context.
  std::map<std::string, std::string> context;
  for (const auto& [k, v] : req.encryption_context) {
    context[absl::StrCat("kms:encryptioncontext:", absl::AsciiStrToLower(k))] =
        v;
  }
  // A Recipient is verified first: its PCRs are condition keys.
  std::optional<AttestedRecipient> recipient;
  if (req.recipient.has_value()) {
    if (!options_.recipient_verifier) {
      return Validation(
          "Recipient is not supported: the server has no attestation root");
    }
    auto att = options_.recipient_verifier(req.recipient->attestation_document);
    if (!att.ok()) {
      return AccessDenied(
          absl::StrCat("Recipient attestation document was rejected: ",
                       att.status().message()));
    }
    recipient = std::move(*att);
    for (const auto& [index, value] : recipient->pcrs) {
      context[absl::StrCat("kms:recipientattestation:pcr", index)] = Hex(value);
    }
    if (auto it = recipient->pcrs.find(0); it != recipient->pcrs.end()) {
      context["kms:recipientattestation:imagesha384"] = Hex(it->second);
    }
  }
  // Returns `secret` to the caller: as CiphertextForRecipient when a
  // Recipient is present, else as Plaintext.
  const auto deliver = [&](absl::string_view secret) -> absl::Status {
    if (recipient.has_value()) {
      auto cms = BuildCiphertextForRecipient(
          recipient->public_key,
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(secret.data()),
                              secret.size()));
      if (!cms.ok()) {
        return Validation(absl::StrCat("Recipient: ", cms.status().message()));
      }
      out.Set("CiphertextForRecipient", Blob(*cms));
    } else {
      std::string b64 = Base64Encode(secret);
      out.Set("Plaintext", Value::String(b64));
      WipeString(&b64);
    }
    return absl::OkStatus();
  };

  switch (req.op) {
    case KmsOperation::kCreateKey: {
      if (req.key_usage.has_value() && *req.key_usage != "ENCRYPT_DECRYPT") {
        return AwsError(absl::StatusCode::kUnimplemented,
                        "UnsupportedOperationException",
                        "only KeyUsage ENCRYPT_DECRYPT is supported");
      }
      if (req.key_spec.has_value() && *req.key_spec != "SYMMETRIC_DEFAULT") {
        return AwsError(absl::StatusCode::kUnimplemented,
                        "UnsupportedOperationException",
                        "only KeySpec SYMMETRIC_DEFAULT is supported");
      }
      if (req.origin.has_value() && *req.origin != "AWS_KMS") {
        return AwsError(absl::StatusCode::kUnimplemented,
                        "UnsupportedOperationException",
                        "only Origin AWS_KMS is supported");
      }
      KeyRecord k;
      k.key_id = NewUuid();
      k.arn = KeyArn(k.key_id);
      k.creation_unix = absl::ToUnixSeconds(options_.clock());
      k.description = req.description.value_or("");
      k.policy = req.policy.value_or(DefaultKeyPolicy(options_.account));
      auto policy = ParsePolicy(k.policy);
      if (!policy.ok()) return policy.status();
      // The lockout check applies to a caller-supplied policy (AWS does not
      // apply it to the default policy).
      if (req.policy.has_value() && !req.bypass_policy_lockout_safety_check) {
        AuthorizationRequest check;
        check.principal_arn = caller.principal_arn;
        check.action = "kms:PutKeyPolicy";
        check.resource = k.arn;
        check.context["aws:principalarn"] = caller.principal_arn;
        check.context["kms:calleraccount"] = ArnAccount(caller.principal_arn);
        if (Evaluate(*policy, check).decision != Decision::kAllow) {
          return MalformedPolicy(
              "The new key policy will not allow you to update the key "
              "policy in the future.");
        }
      }
      k.material = SecretBytes(kKeyMaterialBytes);
      randombytes_buf(k.material.data(), k.material.size());
      absl::Status s = store_->CreateKey(k);
      if (!s.ok()) return absl::InternalError(s.message());
      out.Set("KeyMetadata", key_metadata(k));
      break;
    }
    case KmsOperation::kDescribeKey: {
      if (!req.key_id) return Validation("KeyId is required");
      auto r = Resolve(*req.key_id);
      if (!r.ok()) return r.status();
      absl::Status s = Authorize(caller, r->key, "kms:DescribeKey", context);
      if (!s.ok()) return s;
      out.Set("KeyMetadata", key_metadata(r->key));
      break;
    }
    case KmsOperation::kEncrypt: {
      if (!req.key_id) return Validation("KeyId is required");
      if (!req.plaintext) return Validation("Plaintext is required");
      auto r = Resolve(*req.key_id);
      if (!r.ok()) return r.status();
      absl::Status s = Authorize(caller, r->key, "kms:Encrypt", context);
      if (!s.ok()) return s;
      auto blob = SealBlob(r->key, *req.plaintext, req.encryption_context);
      if (!blob.ok()) return blob.status();
      out.Set("CiphertextBlob", Blob(*blob));
      out.Set("KeyId", Value::String(r->key.arn));
      out.Set("EncryptionAlgorithm", Value::String("SYMMETRIC_DEFAULT"));
      break;
    }
    case KmsOperation::kDecrypt: {
      if (!req.ciphertext_blob) return Validation("CiphertextBlob is required");
      auto blob_key = BlobKeyId(*req.ciphertext_blob);
      if (!blob_key.ok()) return blob_key.status();
      auto r = Resolve(*blob_key);
      if (!r.ok()) {
        if (absl::IsNotFound(r.status())) {
          return InvalidCiphertext("the ciphertext refers to an unknown key");
        }
        return r.status();
      }
      if (req.key_id.has_value()) {
        auto named = Resolve(*req.key_id);
        if (!named.ok()) return named.status();
        if (named->key.key_id != r->key.key_id) {
          return IncorrectKey(
              "The key ID in the request does not identify a CMK that can "
              "perform this operation.");
        }
      }
      absl::Status s = Authorize(caller, r->key, "kms:Decrypt", context);
      if (!s.ok()) return s;
      auto plain =
          OpenBlob(r->key, *req.ciphertext_blob, req.encryption_context);
      if (!plain.ok()) return plain.status();
      out.Set("KeyId", Value::String(r->key.arn));
      s = deliver(absl::string_view(
          reinterpret_cast<const char*>(plain->data()), plain->size()));
      if (!s.ok()) return s;
      out.Set("EncryptionAlgorithm", Value::String("SYMMETRIC_DEFAULT"));
      break;
    }
    case KmsOperation::kGenerateDataKey: {
      if (!req.key_id) return Validation("KeyId is required");
      size_t n = 0;
      if (req.key_spec.has_value() == req.number_of_bytes.has_value()) {
        return Validation(
            "exactly one of KeySpec and NumberOfBytes is required");
      }
      if (req.key_spec.has_value()) {
        if (*req.key_spec == "AES_256") {
          n = 32;
        } else if (*req.key_spec == "AES_128") {
          n = 16;
        } else {
          return Validation("KeySpec must be AES_256 or AES_128");
        }
      } else {
        n = static_cast<size_t>(*req.number_of_bytes);
      }
      auto r = Resolve(*req.key_id);
      if (!r.ok()) return r.status();
      absl::Status s =
          Authorize(caller, r->key, "kms:GenerateDataKey", context);
      if (!s.ok()) return s;
      SecretBytes data_key(n);
      randombytes_buf(data_key.data(), n);
      const absl::string_view dk(reinterpret_cast<const char*>(data_key.data()),
                                 n);
      auto blob = SealBlob(r->key, dk, req.encryption_context);
      if (!blob.ok()) return blob.status();
      out.Set("CiphertextBlob", Blob(*blob));
      s = deliver(dk);
      if (!s.ok()) return s;
      out.Set("KeyId", Value::String(r->key.arn));
      break;
    }
    case KmsOperation::kGenerateRandom: {
      if (!req.number_of_bytes) return Validation("NumberOfBytes is required");
      SecretBytes random(static_cast<size_t>(*req.number_of_bytes));
      randombytes_buf(random.data(), random.size());
      absl::Status s = deliver(absl::string_view(
          reinterpret_cast<const char*>(random.data()), random.size()));
      if (!s.ok()) return s;
      break;
    }
    case KmsOperation::kCreateAlias: {
      if (!req.alias_name || !req.target_key_id) {
        return Validation("AliasName and TargetKeyId are required");
      }
      const std::string& name = *req.alias_name;
      bool valid = absl::StartsWith(name, "alias/") && name.size() > 6;
      for (char c : name.substr(valid ? 6 : 0)) {
        valid = valid && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                          c == '/' || c == '_' || c == '-');
      }
      if (!valid) {
        return AwsError(absl::StatusCode::kInvalidArgument,
                        "InvalidAliasNameException",
                        "AliasName must match alias/[a-zA-Z0-9/_-]+");
      }
      if (absl::StartsWith(name, "alias/aws/")) {
        return AwsError(absl::StatusCode::kPermissionDenied,
                        "NotAuthorizedException",
                        "alias/aws/ is reserved for AWS managed keys");
      }
      if (absl::StrContains(*req.target_key_id, "alias/")) {
        return Validation("TargetKeyId must be a key id or key ARN");
      }
      auto r = Resolve(*req.target_key_id);
      if (!r.ok()) return r.status();
      absl::Status s = Authorize(caller, r->key, "kms:CreateAlias", context);
      if (!s.ok()) return s;
      s = store_->CreateAlias(name, r->key.key_id);
      if (absl::IsAlreadyExists(s)) {
        return AwsError(absl::StatusCode::kAlreadyExists,
                        "AlreadyExistsException", s.message());
      }
      if (!s.ok()) return absl::InternalError(s.message());
      break;
    }
    case KmsOperation::kListAliases: {
      std::string only;
      if (req.key_id.has_value()) {
        auto r = Resolve(*req.key_id);
        if (!r.ok()) return r.status();
        only = r->key.key_id;
      }
      auto aliases = store_->ListAliases();
      if (!aliases.ok()) return absl::InternalError(aliases.status().message());
      Value list = Value::MakeArray();
      for (const auto& [name, target] : *aliases) {
        if (!only.empty() && target != only) continue;
        Value a;
        a.Set("AliasName", Value::String(name));
        a.Set("AliasArn",
              Value::String(absl::StrCat("arn:aws:kms:", options_.region, ":",
                                         options_.account, ":", name)));
        a.Set("TargetKeyId", Value::String(target));
        list.Append(std::move(a));
      }
      out.Set("Aliases", std::move(list));
      out.Set("Truncated", Value::Bool(false));
      break;
    }
    case KmsOperation::kListKeys: {
      auto ids = store_->ListKeyIds();
      if (!ids.ok()) return absl::InternalError(ids.status().message());
      Value list = Value::MakeArray();
      for (const std::string& id : *ids) {
        Value k;
        k.Set("KeyId", Value::String(id));
        k.Set("KeyArn", Value::String(KeyArn(id)));
        list.Append(std::move(k));
      }
      out.Set("Keys", std::move(list));
      out.Set("Truncated", Value::Bool(false));
      break;
    }
    case KmsOperation::kGetKeyPolicy:
    case KmsOperation::kPutKeyPolicy: {
      if (!req.key_id) return Validation("KeyId is required");
      const bool put = req.op == KmsOperation::kPutKeyPolicy;
      const std::string policy_name =
          req.policy_name.value_or(put ? "" : "default");
      if (policy_name != "default") {
        return NotFound("PolicyName must be \"default\"");
      }
      auto r = Resolve(*req.key_id);
      if (!r.ok()) return r.status();
      absl::Status s =
          Authorize(caller, r->key,
                    put ? "kms:PutKeyPolicy" : "kms:GetKeyPolicy", context);
      if (!s.ok()) return s;
      if (!put) {
        out.Set("Policy", Value::String(r->key.policy));
        out.Set("PolicyName", Value::String("default"));
        break;
      }
      if (!req.policy) return Validation("Policy is required");
      auto policy = ParsePolicy(*req.policy);
      if (!policy.ok()) return policy.status();
      if (!req.bypass_policy_lockout_safety_check) {
        AuthorizationRequest check;
        check.principal_arn = caller.principal_arn;
        check.action = "kms:PutKeyPolicy";
        check.resource = r->key.arn;
        check.context["aws:principalarn"] = caller.principal_arn;
        check.context["kms:calleraccount"] = ArnAccount(caller.principal_arn);
        if (Evaluate(*policy, check).decision != Decision::kAllow) {
          return MalformedPolicy(
              "The new key policy will not allow you to update the key "
              "policy in the future.");
        }
      }
      s = store_->UpdatePolicy(r->key.key_id, *req.policy);
      if (!s.ok()) return absl::InternalError(s.message());
      break;
    }
  }
  std::string body = json::Serialize(out);
  // `out` may hold a plaintext: wipe the string it owns.
  for (auto& member : out.MutableObject()) {
    if (member.first == "Plaintext") WipeString(&member.second.MutableString());
  }
  return body;
}

HttpResponseMessage KmsService::Handle(const HttpRequestMessage& http) {
  HttpResponseMessage resp;
  const std::string request_id = NewUuid();
  resp.headers.emplace_back("x-amzn-RequestId", request_id);
  resp.headers.emplace_back("Content-Type", std::string(kJsonContentType));
  std::string op_name = "-";
  std::string principal = "-";
  const auto fail = [&](const absl::Status& s) {
    const std::string type = AwsErrorType(s);
    resp.status = AwsErrorHttpStatus(type);
    Value err;
    err.Set("__type", Value::String(type));
    err.Set("message", Value::String(std::string(s.message())));
    resp.body = json::Serialize(err);
  };
  absl::Status st = absl::OkStatus();
  do {
    if (http.method != "POST" || http.path != "/") {
      st = AwsError(absl::StatusCode::kInvalidArgument,
                    "UnknownOperationException", "only POST / is supported");
      break;
    }
    const std::string* ct = http.FindHeader("Content-Type");
    if (ct == nullptr || !absl::StartsWith(*ct, kJsonContentType)) {
      st =
          AwsError(absl::StatusCode::kInvalidArgument, "SerializationException",
                   "Content-Type must be application/x-amz-json-1.1");
      break;
    }
    const std::string* target = http.FindHeader("X-Amz-Target");
    if (target == nullptr) {
      st = AwsError(absl::StatusCode::kInvalidArgument,
                    "UnknownOperationException", "missing X-Amz-Target");
      break;
    }
    auto op = ParseTarget(*target);
    if (!op.ok()) {
      st = op.status();
      break;
    }
    op_name = OperationName(*op);
    if (!options_.authenticator) {
      st = absl::InternalError("no authenticator configured");
      break;
    }
    auto caller = options_.authenticator(http);
    if (!caller.ok()) {
      st = caller.status();
      break;
    }
    principal = caller->principal_arn;
    auto req = ParseKmsRequest(*op, http.body);
    if (!req.ok()) {
      st = req.status();
      break;
    }
    auto body = Execute(*caller, *req);
    if (!body.ok()) {
      st = body.status();
      break;
    }
    resp.body = std::move(*body);
  } while (false);
  if (!st.ok()) fail(st);
  if (options_.log) {
    Value line;
    line.Set("ts",
             Value::String(absl::FormatTime(
                 absl::RFC3339_full, options_.clock(), absl::UTCTimeZone())));
    line.Set("level", Value::String(st.ok() ? "info" : "warn"));
    line.Set("event", Value::String("request"));
    line.Set("request_id", Value::String(request_id));
    line.Set("operation", Value::String(op_name));
    line.Set("principal", Value::String(principal));
    line.Set("status", Value::Int(resp.status));
    if (!st.ok()) {
      line.Set("error_type", Value::String(AwsErrorType(st)));
      line.Set("error", Value::String(std::string(st.message())));
    }
    options_.log(json::Serialize(line));
  }
  return resp;
}

}  // namespace nitro_tss::kms_local
