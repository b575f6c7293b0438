#include "coordinator/storage/validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace nitro_tss::coordinator::storage::internal {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' || c == '-';
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

}  // namespace

absl::Status ValidateName(absl::string_view field, absl::string_view name,
                          absl::string_view collection) {
  if (name.size() > kMaxNameBytes) {
    return Invalid(field, absl::StrCat("longer than ", kMaxNameBytes,
                                       " bytes (", name.size(), ")"));
  }
  if (name.size() <= collection.size() + 1 ||
      name.substr(0, collection.size()) != collection ||
      name[collection.size()] != '/') {
    return Invalid(field, absl::StrCat("must be \"", collection, "/<id>\""));
  }
  // '/'-separated non-empty segments of id characters.
  const absl::string_view id = name.substr(collection.size() + 1);
  bool segment_empty = true;
  for (char c : id) {
    if (c == '/') {
      if (segment_empty) return Invalid(field, "has an empty segment");
      segment_empty = true;
    } else if (IsIdChar(c)) {
      segment_empty = false;
    } else {
      return Invalid(field, "has a character outside [A-Za-z0-9._~-/]");
    }
  }
  if (segment_empty) return Invalid(field, "has an empty segment");
  return absl::OkStatus();
}

absl::Status ValidateId(absl::string_view field, absl::string_view id,
                        size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) {
    return Invalid(field, absl::StrCat("must be 1..", max_bytes, " bytes (",
                                       id.size(), ")"));
  }
  if (!std::all_of(id.begin(), id.end(), IsIdChar)) {
    return Invalid(field, "has a character outside [A-Za-z0-9._~-]");
  }
  return absl::OkStatus();
}

absl::Status ValidatePrintable(absl::string_view field, absl::string_view s,
                               size_t min_bytes, size_t max_bytes) {
  if (s.size() < min_bytes || s.size() > max_bytes) {
    return Invalid(field, absl::StrCat("must be ", min_bytes, "..", max_bytes,
                                       " bytes (", s.size(), ")"));
  }
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) {
      return Invalid(field, "has a byte outside printable ASCII");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateState(absl::string_view field, absl::string_view s) {
  if (s.empty() || s.size() > kMaxStateBytes) {
    return Invalid(field, absl::StrCat("must be 1..", kMaxStateBytes,
                                       " bytes (", s.size(), ")"));
  }
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return Invalid(field, "has a character outside [A-Z0-9_]");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBlob(absl::string_view field, absl::string_view b,
                          size_t max_bytes) {
  if (b.size() > max_bytes) {
    return Invalid(field, absl::StrCat("longer than ", max_bytes, " bytes (",
                                       b.size(), ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTime(absl::string_view field, absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    return Invalid(field, "must be finite");
  }
  // Outside int64 microseconds absl saturates; refuse rather than store a
  // different time.
  const int64_t us = absl::ToUnixMicros(t);
  if (us == INT64_MIN || us == INT64_MAX) {
    return Invalid(field, "out of range");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> EffectivePageSize(absl::string_view field, int size) {
  if (size < 0) return Invalid(field, "must not be negative");
  if (size == 0) return kDefaultPageSize;
  return std::min(size, kMaxPageSize);
}

absl::Status ValidateKey(const KeyRecord& key) {
  RETURN_IF_ERROR(ValidateName("key.name", key.name, "keys"));
  RETURN_IF_ERROR(ValidateState("key.state", key.state));
  RETURN_IF_ERROR(ValidateBlob("key.data", key.data, kMaxDataBytes));
  RETURN_IF_ERROR(ValidateTime("key.create_time", key.create_time));
  return ValidateTime("key.update_time", key.update_time);
}

absl::Status ValidateNode(const NodeRecord& node) {
  RETURN_IF_ERROR(ValidateName("node.name", node.name, "nodes"));
  RETURN_IF_ERROR(ValidateBlob("node.data", node.data, kMaxDataBytes));
  return ValidateTime("node.update_time", node.update_time);
}

absl::Status ValidateOperation(const OperationRecord& op) {
  RETURN_IF_ERROR(ValidateName("operation.name", op.name, "operations"));
  RETURN_IF_ERROR(ValidateBlob("operation.data", op.data, kMaxDataBytes));
  RETURN_IF_ERROR(ValidateTime("operation.create_time", op.create_time));
  return ValidateTime("operation.update_time", op.update_time);
}

absl::Status ValidateSignRequest(const SignRequestRecord& request) {
  RETURN_IF_ERROR(ValidateId("sign_request.request_id", request.request_id,
                             kMaxRequestIdBytes));
  RETURN_IF_ERROR(ValidateName("sign_request.key", request.key, "keys"));
  if (request.request_digest.size() != kRequestDigestBytes) {
    return Invalid("sign_request.request_digest",
                   absl::StrCat("must be ", kRequestDigestBytes, " bytes (",
                                request.request_digest.size(), ")"));
  }
  RETURN_IF_ERROR(
      ValidateBlob("sign_request.data", request.data, kMaxDataBytes));
  return ValidateTime("sign_request.create_time", request.create_time);
}

absl::Status ValidateAuditEvent(const AuditEvent& event) {
  RETURN_IF_ERROR(ValidateTime("audit.time", event.time));
  RETURN_IF_ERROR(
      ValidatePrintable("audit.actor", event.actor, 1, kMaxAuditFieldBytes));
  RETURN_IF_ERROR(
      ValidatePrintable("audit.action", event.action, 1, kMaxAuditFieldBytes));
  RETURN_IF_ERROR(ValidatePrintable("audit.resource", event.resource, 0,
                                    kMaxAuditFieldBytes));
  RETURN_IF_ERROR(ValidatePrintable("audit.outcome", event.outcome, 1,
                                    kMaxAuditFieldBytes));
  return ValidateBlob("audit.payload", event.payload, kMaxAuditPayloadBytes);
}

}  // namespace nitro_tss::coordinator::storage::internal
