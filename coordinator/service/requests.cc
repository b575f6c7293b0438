#include "coordinator/service/requests.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "node/approval/proto.h"

namespace nitro_tss::coordinator {

absl::Status CheckRequestId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError("request_id: 1..128 characters required");
  }
  for (char c : id) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
          c == '_' || c == '~' || c == '-')) {
      return absl::InvalidArgumentError(
          "request_id: only A-Z a-z 0-9 . _ ~ - (a UUID fits)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KeyIdOf(const std::string& name) {
  if (!absl::StartsWith(name, "keys/") || name.size() != 5 + 64) {
    return absl::InvalidArgumentError(
        "name: \"keys/{64 hex digits}\" required");
  }
  const std::string id = name.substr(5);
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError(
          "name: the key id is 64 lowercase hex digits");
    }
  }
  return id;
}

absl::StatusOr<std::string> NodeIdOf(const std::string& name,
                                     const std::string& field) {
  if (!absl::StartsWith(name, "nodes/") || name.size() <= 6 ||
      name.size() > 6 + 63) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"nodes/{node_id}\" required"));
  }
  return name.substr(6);
}

absl::Status ValidateCreateKeyRequest(
    const v1::CreateKeyRequest& req,
    const std::function<bool(const std::string&)>& node_exists) {
  RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  const v1::Key& key = req.key();
  if (key.nodes_size() < 2 || key.nodes_size() > 255) {
    return absl::InvalidArgumentError("key.nodes: 2..255 nodes");
  }
  std::set<std::string> seen;
  for (int i = 0; i < key.nodes_size(); ++i) {
    const std::string field = absl::StrCat("key.nodes[", i, "]");
    ASSIGN_OR_RETURN(std::string id, NodeIdOf(key.nodes(i), field));
    if (!node_exists(id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": no such node in this cluster"));
    }
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": the node is named twice"));
    }
  }
  if (key.threshold() < 1 ||
      key.threshold() >= static_cast<uint32_t>(key.nodes_size())) {
    return absl::InvalidArgumentError(
        "key.threshold: 1 <= threshold < number of nodes");
  }
  if (!key.has_approval_policy()) {
    return absl::InvalidArgumentError(
        "key.approval_policy: required (who approves signing)");
  }
  auto policy = approval::PolicyFromProto(key.approval_policy());
  if (!policy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key.approval_policy: ", policy.status().message()));
  }
  return absl::OkStatus();
}

absl::Status ValidateSignRequest(const v1::SignRequest& req) {
  RETURN_IF_ERROR(CheckRequestId(req.request_id()));
  RETURN_IF_ERROR(KeyIdOf(req.name()).status());
  if (req.hash() != v1::SHA256 && req.hash() != v1::KECCAK256) {
    return absl::InvalidArgumentError("hash: SHA256 or KECCAK256 required");
  }
  switch (req.data_case()) {
    case v1::SignRequest::kMessage:
      if (req.message().size() > kMaxSignMessageBytes) {
        return absl::InvalidArgumentError("message: at most 1 MiB");
      }
      break;
    case v1::SignRequest::kDigest:
      if (req.digest().size() != 32) {
        return absl::InvalidArgumentError("digest: exactly 32 bytes");
      }
      break;
    default:
      return absl::InvalidArgumentError("message or digest: required");
  }
  if (!req.derivation_path().empty()) {
    return absl::UnimplementedError(
        "derivation_path: derived keys come with the key lifecycle (not yet)");
  }
  if (!req.has_approvals()) {
    return absl::InvalidArgumentError(
        "approvals: required (a quorum of the key's approvers)");
  }
  return absl::OkStatus();
}

absl::Status ValidateReadmitNodeRequest(const v1::ReadmitNodeRequest& req) {
  RETURN_IF_ERROR(KeyIdOf(req.name()).status());
  RETURN_IF_ERROR(NodeIdOf(req.node(), "node").status());
  if (req.reason().empty() || req.reason().size() > kMaxReadmitReasonBytes) {
    return absl::InvalidArgumentError("reason: 1..512 characters required");
  }
  for (char c : req.reason()) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          "reason: printable ASCII characters only");
    }
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::coordinator
