// Strict checks of what API clients send (nitro_tss.v1.Custody requests),
// before anything is stored or run. Pure functions: the fuzz target
// tests/fuzz/coordinator/service/request_fuzz.cc calls them on arbitrary
// bytes parsed as the requests.
//
// Every refusal is INVALID_ARGUMENT "<field>: <problem>" (never quoting the
// field's bytes).
#ifndef NITRO_TSS_COORDINATOR_SERVICE_REQUESTS_H_
#define NITRO_TSS_COORDINATOR_SERVICE_REQUESTS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "nitro_tss/v1/custody.pb.h"

namespace nitro_tss::coordinator {

inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxSignMessageBytes = 1 << 20;

// 1..128 characters of [A-Za-z0-9._~-] (a UUID fits).
absl::Status CheckRequestId(const std::string& id);
// "keys/<64 lowercase hex>" -> the hex id.
absl::StatusOr<std::string> KeyIdOf(const std::string& name);
// "nodes/<id>" -> the id (`field` names it in errors).
absl::StatusOr<std::string> NodeIdOf(const std::string& name,
                                     const std::string& field);

// request_id; key.nodes (2..255 names of existing nodes, per
// `node_exists`, none twice); key.threshold (1 <= t < n); key.approval_policy
// (present and valid as node/approval parses it).
absl::Status ValidateCreateKeyRequest(
    const v1::CreateKeyRequest& req,
    const std::function<bool(const std::string&)>& node_exists);

// request_id; name; hash (SHA256 or KECCAK256); message (<= 1 MiB) or
// digest (32 bytes); derivation_path (not yet supported: UNIMPLEMENTED);
// approvals present (their signatures are the enclaves' to check).
absl::Status ValidateSignRequest(const v1::SignRequest& req);

inline constexpr size_t kMaxReadmitReasonBytes = 512;

// name ("keys/{id}"); node ("nodes/{id}"); reason (1..512 printable ASCII
// characters, for the audit log).
absl::Status ValidateReadmitNodeRequest(const v1::ReadmitNodeRequest& req);

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_SERVICE_REQUESTS_H_
