// absl::Status <-> grpc::Status for the node's services and clients. The
// canonical codes are the same numbers in both (grpc::StatusCode mirrors
// absl::StatusCode), so the conversion keeps the code a caller acts on.
#ifndef NITRO_TSS_NODE_VSOCK_GRPC_STATUS_H_
#define NITRO_TSS_NODE_VSOCK_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::vsock {

// The same code and message (OK stays OK).
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// The same code; the message prefixed with `context` ("<context>: <msg>").
inline absl::Status FromGrpcStatus(const grpc::Status& status,
                                   absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(context, ": ", status.error_message()));
}

}  // namespace nitro_tss::vsock

#endif  // NITRO_TSS_NODE_VSOCK_GRPC_STATUS_H_
