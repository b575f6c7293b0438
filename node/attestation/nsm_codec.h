// CBOR encoding of NSM requests and responses, exactly as the Nitro NSM
// driver expects them (serde externally tagged enums):
//   {"Attestation": {"user_data": bstr/null, "nonce": bstr/null,
//                    "public_key": bstr/null}}   -> {"Attestation":
//                    {"document": bstr}}
//   {"DescribePCR": {"index": u16}}             -> {"DescribePCR": {"lock":
//   bool, "data": bstr}}
//   {"ExtendPCR": {"index": u16, "data": bstr}} -> {"ExtendPCR": {"data":
//   bstr}}
//   {"LockPCR": {"index": u16}}                 -> "LockPCR"
//   {"LockPCRs": {"range": u16}}                -> "LockPCRs"
//   "DescribeNSM" -> {"DescribeNSM": {"version_major", "version_minor",
//                     "version_patch", "module_id", "max_pcrs",
//                     "locked_pcrs": [u16], "digest": "SHA384"}}
//   "GetRandom"   -> {"GetRandom": {"random": bstr}}
//   any failure   -> {"Error": "<ErrorCode name>"}
// Requests are at most kNsmMaxRequestBytes, responses kNsmMaxResponseBytes.
// Decoders are strict (no unknown or duplicate fields, no trailing bytes)
// and return kInvalidArgument errors starting with "nsm: ".
#ifndef NITRO_TSS_NODE_ATTESTATION_NSM_CODEC_H_
#define NITRO_TSS_NODE_ATTESTATION_NSM_CODEC_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "node/attestation/nsm.h"

namespace nitro_tss::attestation {

inline constexpr size_t kNsmMaxRequestBytes = 4096;
inline constexpr size_t kNsmMaxResponseBytes = 12 * 1024;

enum class NsmOperation {
  kAttestation,
  kDescribePcr,
  kExtendPcr,
  kLockPcr,
  kLockPcrs,
  kDescribeNsm,
  kGetRandom,
};

// The operation's name on the wire ("Attestation", "DescribePCR", ...), as
// the Nitro NSM API spells it; "?" for a value outside the enum.
const char* NsmOperationName(NsmOperation op);

struct NsmRequest {
  NsmOperation operation = NsmOperation::kDescribeNsm;
  uint16_t index = 0;         // DescribePCR, ExtendPCR, LockPCR
  uint16_t range = 0;         // LockPCRs
  std::vector<uint8_t> data;  // ExtendPCR
  std::optional<std::vector<uint8_t>> user_data;   // Attestation
  std::optional<std::vector<uint8_t>> nonce;       // Attestation
  std::optional<std::vector<uint8_t>> public_key;  // Attestation
};

struct NsmResponse {
  // kSuccess unless the device answered {"Error": ...}.
  NsmErrorCode error = NsmErrorCode::kSuccess;
  NsmOperation operation = NsmOperation::kDescribeNsm;  // when no error
  std::vector<uint8_t> document;                        // Attestation
  PcrDescription pcr;           // DescribePCR (ExtendPCR: pcr.value)
  std::vector<uint8_t> random;  // GetRandom
  NsmDescription description;   // DescribeNSM
};

std::vector<uint8_t> EncodeNsmRequest(const NsmRequest& request);
absl::StatusOr<NsmRequest> DecodeNsmRequest(absl::Span<const uint8_t> bytes);

std::vector<uint8_t> EncodeNsmResponse(const NsmResponse& response);
absl::StatusOr<NsmResponse> DecodeNsmResponse(absl::Span<const uint8_t> bytes);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_NSM_CODEC_H_
