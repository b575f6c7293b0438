// Argument checks shared by both backends and the page-token decoder
// (internal to coordinator/storage; the rules are documented in storage.h).
// Every failure is INVALID_ARGUMENT naming the field, never quoting it.
#ifndef NITRO_TSS_COORDINATOR_STORAGE_VALIDATION_H_
#define NITRO_TSS_COORDINATOR_STORAGE_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coordinator/storage/storage.h"

namespace nitro_tss::coordinator::storage::internal {

// "<collection>/<id>", see storage.h.
absl::Status ValidateName(absl::string_view field, absl::string_view name,
                          absl::string_view collection);
// 1..max bytes of [A-Za-z0-9._~-].
absl::Status ValidateId(absl::string_view field, absl::string_view id,
                        size_t max_bytes);
// min..max bytes of printable ASCII (0x20..0x7E).
absl::Status ValidatePrintable(absl::string_view field, absl::string_view s,
                               size_t min_bytes, size_t max_bytes);
// 1..kMaxStateBytes of [A-Z0-9_].
absl::Status ValidateState(absl::string_view field, absl::string_view s);
absl::Status ValidateBlob(absl::string_view field, absl::string_view b,
                          size_t max_bytes);
absl::Status ValidateTime(absl::string_view field, absl::Time t);
// 0 -> kDefaultPageSize, > kMaxPageSize -> kMaxPageSize, < 0 -> error.
absl::StatusOr<int> EffectivePageSize(absl::string_view field, int size);

absl::Status ValidateKey(const KeyRecord& key);
absl::Status ValidateNode(const NodeRecord& node);
absl::Status ValidateOperation(const OperationRecord& op);
absl::Status ValidateSignRequest(const SignRequestRecord& request);
absl::Status ValidateAuditEvent(const AuditEvent& event);

}  // namespace nitro_tss::coordinator::storage::internal

#endif  // NITRO_TSS_COORDINATOR_STORAGE_VALIDATION_H_
