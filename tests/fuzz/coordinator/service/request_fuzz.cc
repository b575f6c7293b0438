// What API clients send tss-coordinator: bytes parsed as a CreateKeyRequest,
// a SignRequest and a ReadmitNodeRequest (as gRPC delivers them) and checked
// by coordinator/service/requests.h. Must never crash; refusals are
// INVALID_ARGUMENT (UNIMPLEMENTED for a derivation path).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "coordinator/service/requests.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (2u << 20)) return 0;  // the server's message size limit
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  using nitro_tss::v1::CreateKeyRequest;
  using nitro_tss::v1::SignRequest;
  CreateKeyRequest create;
  if (create.ParseFromString(bytes)) {
    absl::Status s = nitro_tss::coordinator::ValidateCreateKeyRequest(
        create, [](const std::string& id) { return id.size() < 8; });
    if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
  }
  SignRequest sign;
  if (sign.ParseFromString(bytes)) {
    absl::Status s = nitro_tss::coordinator::ValidateSignRequest(sign);
    if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument &&
        s.code() != absl::StatusCode::kUnimplemented) {
      std::abort();
    }
  }
  nitro_tss::v1::ReadmitNodeRequest readmit;
  if (readmit.ParseFromString(bytes)) {
    absl::Status s =
        nitro_tss::coordinator::ValidateReadmitNodeRequest(readmit);
    if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
  }
  return 0;
}
