// Configuration files of every nitro-tss service: a proto message (the
// schema, under protos/nitro_tss/<service>/config/v1) read from a file in
// protobuf text format or JSON (the proto3 JSON mapping), chosen by content:
// a file whose first non-blank character is '{' is JSON.
//
// Strict: unknown fields are errors in both syntaxes, as are files over
// kMaxConfigFileBytes. Errors are INVALID_ARGUMENT "<path>: <parser
// message>" (text format reports line:column), NOT_FOUND if the file cannot
// be read. Semantic validation is the service's (FieldError below gives the
// Envoy-style "<field path>: <problem>" message).
#ifndef NITRO_TSS_COMMON_PROTO_CONFIG_H_
#define NITRO_TSS_COMMON_PROTO_CONFIG_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::config {

inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Parses `text` (text format or JSON, see above) into `out` (cleared
// first). `origin` names the source in errors.
absl::Status ParseProtoConfig(absl::string_view text, absl::string_view origin,
                              google::protobuf::Message* out);

// Reads `path` and parses it with ParseProtoConfig.
absl::Status LoadProtoConfig(const std::string& path,
                             google::protobuf::Message* out);

// INVALID_ARGUMENT "<field>: <problem>".
absl::Status FieldError(absl::string_view field, absl::string_view problem);

}  // namespace nitro_tss::config

#endif  // NITRO_TSS_COMMON_PROTO_CONFIG_H_
