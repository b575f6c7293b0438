#include "node/approval/proto.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"

namespace nitro_tss::approval {
namespace {

absl::Status Invalid(absl::string_view message, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(message, ": ", what));
}

// Parses `bytes` into `message`: size limit, no unknown fields, canonical.
absl::Status ParseCanonical(absl::string_view bytes, size_t max_bytes,
                            absl::string_view name,
                            google::protobuf::Message& message) {
  if (bytes.size() > max_bytes) {
    return Invalid(
        name,
        absl::StrCat(bytes.size(), " bytes exceed the limit of ", max_bytes));
  }
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Invalid(name, "does not parse");
  }
  if (!message.GetReflection()->GetUnknownFields(message).empty()) {
    return Invalid(name, "has unknown fields");
  }
  if (EncodeMessage(message) != bytes) {
    return Invalid(name,
                   "is not canonically encoded (repeated, reordered or "
                   "non-minimal fields)");
  }
  return absl::OkStatus();
}

absl::Status CheckVersion(bool has, uint32_t version, absl::string_view name) {
  if (!has) return Invalid(name, "missing version");
  if (version != kProtoVersion) {
    return Invalid(name, absl::StrCat("unsupported version ", version));
  }
  return absl::OkStatus();
}

template <size_t N>
absl::Status CopyFixed(bool has, const std::string& value,
                       std::array<uint8_t, N>& out, absl::string_view name,
                       absl::string_view field) {
  if (!has || value.size() != N) {
    return Invalid(name, absl::StrCat(field, " must be ", N, " bytes"));
  }
  std::memcpy(out.data(), value.data(), N);
  return absl::OkStatus();
}

absl::Status CheckNonce(bool has, const std::string& nonce,
                        absl::string_view name) {
  if (!has || nonce.size() < kMinNonceBytes || nonce.size() > kMaxNonceBytes) {
    return Invalid(name, absl::StrCat("nonce must be ", kMinNonceBytes, "..",
                                      kMaxNonceBytes, " bytes"));
  }
  return absl::OkStatus();
}

std::string Str(absl::Span<const uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

std::string EncodeMessage(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

absl::StatusOr<ApprovalPolicy> PolicyFromProto(
    const v1::ApprovalPolicy& proto) {
  constexpr absl::string_view kName = "ApprovalPolicy";
  RETURN_IF_ERROR(CheckVersion(proto.has_version(), proto.version(), kName));
  if (proto.approvers_size() < 1 ||
      static_cast<size_t>(proto.approvers_size()) > kMaxApprovers) {
    return Invalid(
        kName, absl::StrCat("must have 1..", kMaxApprovers, " approvers, got ",
                            proto.approvers_size()));
  }
  std::vector<Approver> approvers;
  for (int i = 0; i < proto.approvers_size(); ++i) {
    const v1::Approver& a = proto.approvers(i);
    const std::string field = absl::StrCat("approvers[", i, "]");
    if (!a.has_algorithm() ||
        (a.algorithm() != v1::APPROVER_ALGORITHM_ED25519 &&
         a.algorithm() != v1::APPROVER_ALGORITHM_ECDSA_P256_SHA256)) {
      return Invalid(kName, absl::StrCat(field,
                                         ": algorithm must be "
                                         "ED25519 or ECDSA_P256_SHA256"));
    }
    if (!a.has_public_key()) {
      return Invalid(kName, absl::StrCat(field, ": missing public_key"));
    }
    absl::StatusOr<ApproverKey> key = ApproverKey::Parse(
        static_cast<ApproverAlgorithm>(a.algorithm()),
        absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(a.public_key().data()),
            a.public_key().size()));
    if (!key.ok()) {
      return Invalid(kName, absl::StrCat(field, ": ", key.status().message()));
    }
    approvers.push_back(Approver{*std::move(key), a.label()});
  }
  if (!proto.has_quorum()) return Invalid(kName, "missing quorum");
  const v1::Quorum& q = proto.quorum();
  if (!q.has_sign() || !q.has_refresh() || !q.has_reshare() ||
      !q.has_export_key()) {
    return Invalid(kName,
                   "quorum must set sign, refresh, reshare and export_key");
  }
  Quorum quorum;
  quorum.sign = q.sign();
  quorum.refresh = q.refresh();
  quorum.reshare = q.reshare();
  quorum.export_key = q.export_key();
  return ApprovalPolicy::Create(std::move(approvers), quorum);
}

v1::ApprovalPolicy PolicyToProto(const ApprovalPolicy& policy) {
  v1::ApprovalPolicy proto;
  proto.set_version(kProtoVersion);
  for (const Approver& a : policy.approvers()) {
    v1::Approver* out = proto.add_approvers();
    out->set_algorithm(static_cast<v1::ApproverAlgorithm>(a.key.algorithm()));
    out->set_public_key(Str(a.key.public_key()));
    out->set_label(a.label);
  }
  v1::Quorum* q = proto.mutable_quorum();
  q->set_sign(policy.quorum().sign);
  q->set_refresh(policy.quorum().refresh);
  q->set_reshare(policy.quorum().reshare);
  q->set_export_key(policy.quorum().export_key);
  return proto;
}

absl::StatusOr<ApprovalPolicy> DecodePolicyMessage(absl::string_view bytes) {
  v1::ApprovalPolicy proto;
  RETURN_IF_ERROR(
      ParseCanonical(bytes, kMaxPolicyMessageBytes, "ApprovalPolicy", proto));
  return PolicyFromProto(proto);
}

absl::StatusOr<ApprovalRequest> RequestFromProto(
    const v1::ApprovalRequest& proto) {
  constexpr absl::string_view kName = "ApprovalRequest";
  RETURN_IF_ERROR(CheckVersion(proto.has_version(), proto.version(), kName));
  ApprovalRequest request;
  RETURN_IF_ERROR(CopyFixed(proto.has_key_id(), proto.key_id(), request.key_id,
                            kName, "key_id"));
  if (!proto.has_operation() || proto.operation() < v1::OPERATION_SIGN ||
      proto.operation() > v1::OPERATION_EXPORT) {
    return Invalid(kName, "operation must be SIGN, REFRESH, RESHARE or EXPORT");
  }
  request.operation = static_cast<Operation>(proto.operation());
  if (!proto.has_hash_function() ||
      (proto.hash_function() != v1::HASH_FUNCTION_SHA256 &&
       proto.hash_function() != v1::HASH_FUNCTION_KECCAK256)) {
    return Invalid(kName, "hash_function must be SHA256 or KECCAK256");
  }
  request.hash_function = static_cast<HashFunction>(proto.hash_function());
  RETURN_IF_ERROR(CopyFixed(proto.has_message_digest(), proto.message_digest(),
                            request.message_digest, kName, "message_digest"));
  if (static_cast<size_t>(proto.derivation_path_size()) > kMaxDerivationDepth) {
    return Invalid(kName, absl::StrCat("derivation_path has more than ",
                                       kMaxDerivationDepth, " elements"));
  }
  request.derivation_path.assign(proto.derivation_path().begin(),
                                 proto.derivation_path().end());
  if (!proto.has_expiry_unix_ms() || proto.expiry_unix_ms() == 0) {
    return Invalid(kName, "expiry_unix_ms must be present and > 0");
  }
  request.expiry_unix_ms = proto.expiry_unix_ms();
  RETURN_IF_ERROR(CheckNonce(proto.has_nonce(), proto.nonce(), kName));
  request.nonce.assign(proto.nonce().begin(), proto.nonce().end());
  RETURN_IF_ERROR(ValidateRequest(request));
  return request;
}

v1::ApprovalRequest RequestToProto(const ApprovalRequest& request) {
  v1::ApprovalRequest proto;
  proto.set_version(kProtoVersion);
  proto.set_key_id(Str(request.key_id));
  proto.set_operation(static_cast<v1::Operation>(request.operation));
  proto.set_hash_function(static_cast<v1::HashFunction>(request.hash_function));
  proto.set_message_digest(Str(request.message_digest));
  for (uint32_t index : request.derivation_path) {
    proto.add_derivation_path(index);
  }
  proto.set_expiry_unix_ms(request.expiry_unix_ms);
  proto.set_nonce(Str(request.nonce));
  return proto;
}

absl::StatusOr<ApprovalRequest> DecodeRequestMessage(absl::string_view bytes) {
  v1::ApprovalRequest proto;
  RETURN_IF_ERROR(
      ParseCanonical(bytes, kMaxRequestMessageBytes, "ApprovalRequest", proto));
  return RequestFromProto(proto);
}

absl::StatusOr<ApprovalBundle> BundleFromProto(
    const v1::ApprovalBundle& proto) {
  constexpr absl::string_view kName = "ApprovalBundle";
  ApprovalBundle bundle;
  if (!proto.has_expiry_unix_ms() || proto.expiry_unix_ms() == 0) {
    return Invalid(kName, "expiry_unix_ms must be present and > 0");
  }
  bundle.expiry_unix_ms = proto.expiry_unix_ms();
  RETURN_IF_ERROR(CheckNonce(proto.has_nonce(), proto.nonce(), kName));
  bundle.nonce.assign(proto.nonce().begin(), proto.nonce().end());
  if (static_cast<size_t>(proto.approvals_size()) > kMaxApprovalsPerRequest) {
    return Invalid(kName, absl::StrCat("more than ", kMaxApprovalsPerRequest,
                                       " approvals"));
  }
  for (int i = 0; i < proto.approvals_size(); ++i) {
    const v1::Approval& a = proto.approvals(i);
    const std::string field = absl::StrCat("approvals[", i, "]");
    Approval approval;
    RETURN_IF_ERROR(CopyFixed(a.has_approver_id(), a.approver_id(),
                              approval.approver_id, kName,
                              field + ".approver_id"));
    if (!a.has_signature() || a.signature().empty() ||
        a.signature().size() > kMaxSignatureBytes) {
      return Invalid(kName, absl::StrCat(field, ".signature must be 1..",
                                         kMaxSignatureBytes, " bytes"));
    }
    approval.signature.assign(a.signature().begin(), a.signature().end());
    bundle.approvals.push_back(std::move(approval));
  }
  return bundle;
}

v1::ApprovalBundle BundleToProto(const ApprovalBundle& bundle) {
  v1::ApprovalBundle proto;
  proto.set_expiry_unix_ms(bundle.expiry_unix_ms);
  proto.set_nonce(Str(bundle.nonce));
  for (const Approval& a : bundle.approvals) {
    v1::Approval* out = proto.add_approvals();
    out->set_approver_id(Str(a.approver_id));
    out->set_signature(Str(a.signature));
  }
  return proto;
}

absl::StatusOr<ApprovalBundle> DecodeBundleMessage(absl::string_view bytes) {
  v1::ApprovalBundle proto;
  RETURN_IF_ERROR(
      ParseCanonical(bytes, kMaxBundleMessageBytes, "ApprovalBundle", proto));
  return BundleFromProto(proto);
}

ApprovalRequest RequestForOperation(const KeyId& key_id, Operation operation,
                                    HashFunction hash_function,
                                    const Digest32& message_digest,
                                    std::vector<uint32_t> derivation_path,
                                    const ApprovalBundle& bundle) {
  ApprovalRequest request;
  request.key_id = key_id;
  request.operation = operation;
  request.hash_function = hash_function;
  request.message_digest = message_digest;
  request.derivation_path = std::move(derivation_path);
  request.expiry_unix_ms = bundle.expiry_unix_ms;
  request.nonce = bundle.nonce;
  return request;
}

}  // namespace nitro_tss::approval
