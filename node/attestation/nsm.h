// The Nitro Secure Module (NSM) interface, as seen from inside an enclave.
//
// Two implementations: NsmDevice (nsm_device.h, the real /dev/nsm) and
// SimulatedNsm (simulated_nsm.h, local mode). Errors are absl::Status with a
// message starting "nsm: "; NSM error codes map to status codes as:
// InvalidArgument -> kInvalidArgument, InvalidIndex -> kOutOfRange,
// ReadOnlyIndex -> kFailedPrecondition, InputTooLarge -> kResourceExhausted,
// InvalidOperation -> kUnimplemented, BufferTooSmall/InvalidResponse/
// InternalError -> kInternal.
#ifndef NITRO_TSS_NODE_ATTESTATION_NSM_H_
#define NITRO_TSS_NODE_ATTESTATION_NSM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::attestation {

// Number of PCRs exposed by the NSM; 0..15 are locked at boot.
inline constexpr int kNsmMaxPcrs = 32;
inline constexpr int kNsmFirstApplicationPcr = 16;
// Bytes returned by one GetRandom call (as the real NSM does).
inline constexpr size_t kNsmRandomBytes = 256;

// Error codes of the NSM API (same names and order as the device).
enum class NsmErrorCode {
  kSuccess = 0,
  kInvalidArgument,
  kInvalidIndex,
  kInvalidResponse,
  kReadOnlyIndex,
  kInvalidOperation,
  kBufferTooSmall,
  kInputTooLarge,
  kInternalError,
};

struct PcrDescription {
  bool locked = false;
  std::vector<uint8_t> value;  // 48 bytes (SHA-384 bank)
};

struct NsmDescription {
  uint16_t version_major = 0;
  uint16_t version_minor = 0;
  uint16_t version_patch = 0;
  std::string module_id;
  uint16_t max_pcrs = 0;
  std::vector<uint16_t> locked_pcrs;  // ascending
  std::string digest;                 // "SHA384"
};

class Nsm {
 public:
  virtual ~Nsm() = default;

  // Returns a fresh signed attestation document (raw COSE_Sign1 bytes)
  // embedding the given optional fields (each at most 1024 bytes, else
  // kResourceExhausted).
  virtual absl::StatusOr<std::vector<uint8_t>> GetAttestationDocument(
      const std::optional<std::vector<uint8_t>>& user_data,
      const std::optional<std::vector<uint8_t>>& nonce,
      const std::optional<std::vector<uint8_t>>& public_key) = 0;

  // Returns PCR `index` (0..kNsmMaxPcrs-1, else kOutOfRange) and its lock.
  virtual absl::StatusOr<PcrDescription> DescribePcr(uint16_t index) = 0;

  // PCR[index] = SHA384(PCR[index] || data); returns the new value. Fails
  // with kFailedPrecondition if the PCR is locked (0..15 always are).
  virtual absl::StatusOr<std::vector<uint8_t>> ExtendPcr(
      uint16_t index, absl::Span<const uint8_t> data) = 0;

  // Locks PCR `index` against further extension.
  virtual absl::Status LockPcr(uint16_t index) = 0;

  // Locks PCRs [0, range).
  virtual absl::Status LockPcrs(uint16_t range) = 0;

  // Returns kNsmRandomBytes bytes from the NSM's entropy source.
  virtual absl::StatusOr<std::vector<uint8_t>> GetRandom() = 0;

  // Returns the module's version and configuration.
  virtual absl::StatusOr<NsmDescription> DescribeNsm() = 0;
};

// Name of an NSM error code as the device spells it ("InvalidIndex").
const char* NsmErrorCodeName(NsmErrorCode code);

// The absl::Status (message "nsm: <context>: <Name>") for a device error.
absl::Status NsmErrorToStatus(NsmErrorCode code, const std::string& context);

// The NSM error code a simulated device reports for a failed operation
// (inverse of the mapping above; unknown codes -> kInternalError).
NsmErrorCode StatusToNsmError(const absl::Status& status);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_NSM_H_
