// tss-coordinator's configuration path: text-format / JSON parsing into the
// schema (common/proto_config.h) and validation (coordinator/service/
// setup.h). Must never crash; every refusal is INVALID_ARGUMENT naming a
// field.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/proto_config.h"
#include "coordinator/service/setup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nitro_tss::coordinator::CoordinatorConfig config;
  absl::Status parsed =
      nitro_tss::config::ParseProtoConfig(text, "fuzz", &config);
  if (!parsed.ok()) {
    if (parsed.code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  absl::Status valid =
      nitro_tss::coordinator::ValidateCoordinatorConfig(config);
  if (!valid.ok() && valid.code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
