// The hash that chains the coordinator's audit log (storage.h, AuditEntry).
//
//   hash = SHA-256( field(kAuditHashDomain)
//                   || u64be(seq)
//                   || u64be(unix microseconds of time, two's complement)
//                   || field(actor) || field(action) || field(resource)
//                   || field(outcome) || field(payload) || field(prev_hash) )
//   field(x) = u64be(byte length of x) || x
//
// Every variable-length field is length-prefixed, so no two different
// entries share an encoding. prev_hash of seq 1 is kAuditHashBytes zero
// bytes. Exposed so that an exported log can be verified without the
// database.
#ifndef NITRO_TSS_COORDINATOR_STORAGE_AUDIT_HASH_H_
#define NITRO_TSS_COORDINATOR_STORAGE_AUDIT_HASH_H_

#include <string>

#include "absl/strings/string_view.h"
#include "coordinator/storage/storage.h"

namespace nitro_tss::coordinator::storage {

inline constexpr absl::string_view kAuditHashDomain =
    "nitro-tss/coordinator/audit/v1";

// The canonical encoding hashed for `entry` (its `hash` field is ignored).
std::string AuditHashInput(const AuditEntry& entry);

// SHA-256 of AuditHashInput(entry): kAuditHashBytes bytes.
std::string ComputeAuditHash(const AuditEntry& entry);

// The prev_hash of seq 1.
std::string AuditGenesisHash();

}  // namespace nitro_tss::coordinator::storage

#endif  // NITRO_TSS_COORDINATOR_STORAGE_AUDIT_HASH_H_
