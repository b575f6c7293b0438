// PCR arithmetic and enclave image measurements (SHA-384 bank).
//
//   extend(old, data) = SHA384(old || data), PCRs start at 48 zero bytes;
//   PCR0 = extend(0^48, SHA384(kernel || cmdline || ramdisk[0] || ...));
//   PCR1 = extend(0^48, SHA384(kernel || cmdline || ramdisk[0]));
//   PCR2 = extend(0^48, SHA384(ramdisk[1] || ramdisk[2] || ...));
//   PCR3 = extend(0^48, IAM role ARN);  PCR4 = extend(0^48, instance id);
//   PCR8 = extend(0^48, SHA384(DER of the EIF signing certificate)).
#ifndef NITRO_TSS_NODE_ATTESTATION_MEASUREMENT_H_
#define NITRO_TSS_NODE_ATTESTATION_MEASUREMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace nitro_tss::attestation {

inline constexpr size_t kSha384Bytes = 48;

// SHA-384 of `data`.
std::vector<uint8_t> Sha384(absl::Span<const uint8_t> data);

// SHA384(old_value || data). `old_value` is normally 48 bytes.
std::vector<uint8_t> ExtendPcrValue(absl::Span<const uint8_t> old_value,
                                    absl::Span<const uint8_t> data);

// extend(0^48, data): PCR3/PCR4 style measurement of a string.
std::vector<uint8_t> MeasureRaw(absl::Span<const uint8_t> data);
std::vector<uint8_t> MeasureRaw(const std::string& data);

// The measured parts of an enclave image, in boot order.
struct EnclaveImageParts {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> cmdline;
  // ramdisks[0] is the bootstrap ramdisk; the rest are the application.
  std::vector<std::vector<uint8_t>> ramdisks;
};

struct BootMeasurements {
  std::vector<uint8_t> pcr0;
  std::vector<uint8_t> pcr1;
  std::vector<uint8_t> pcr2;
};

// PCR0, PCR1 and PCR2 of an image as defined above.
BootMeasurements MeasureEnclaveImage(const EnclaveImageParts& image);

// PCR8 for an EIF signed with the certificate `certificate_der`.
std::vector<uint8_t> MeasureSigningCertificate(
    absl::Span<const uint8_t> certificate_der);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_MEASUREMENT_H_
