// NsmDevice: the Nsm interface over the real Nitro Secure Module driver.
//
// Each call encodes an NSM request (nsm_codec.h), hands it to a transport,
// and strictly decodes the response, which must be the same operation or
// {"Error": code} (mapped to a status, see nsm.h). The default transport is
// the single ioctl of /dev/nsm:
//   _IOWR(0x0A, 0, struct { struct iovec request; struct iovec response; })
// with a request of at most 4 KiB and a 12 KiB response buffer. Tests plug in
// other transports (e.g. SimulatedNsm::HandleRawRequest).
#ifndef NITRO_TSS_NODE_ATTESTATION_NSM_DEVICE_H_
#define NITRO_TSS_NODE_ATTESTATION_NSM_DEVICE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "node/attestation/nsm.h"
#include "node/attestation/nsm_codec.h"

namespace nitro_tss::attestation {

// Sends one encoded request, returns the raw response bytes.
using NsmTransport = std::function<absl::StatusOr<std::vector<uint8_t>>(
    absl::Span<const uint8_t> request)>;

// The ioctl request number for /dev/nsm (0xC0200A00 on 64-bit Linux).
unsigned long NsmIoctlRequestNumber();

class NsmDevice : public Nsm {
 public:
  // Opens `path` (normally /dev/nsm) read-write; kUnavailable if absent.
  static absl::StatusOr<std::unique_ptr<NsmDevice>> Open(
      const std::string& path = "/dev/nsm");

  // Uses `transport` instead of a device file.
  explicit NsmDevice(NsmTransport transport);
  ~NsmDevice() override;
  NsmDevice(const NsmDevice&) = delete;
  NsmDevice& operator=(const NsmDevice&) = delete;

  absl::StatusOr<std::vector<uint8_t>> GetAttestationDocument(
      const std::optional<std::vector<uint8_t>>& user_data,
      const std::optional<std::vector<uint8_t>>& nonce,
      const std::optional<std::vector<uint8_t>>& public_key) override;
  absl::StatusOr<PcrDescription> DescribePcr(uint16_t index) override;
  absl::StatusOr<std::vector<uint8_t>> ExtendPcr(
      uint16_t index, absl::Span<const uint8_t> data) override;
  absl::Status LockPcr(uint16_t index) override;
  absl::Status LockPcrs(uint16_t range) override;
  absl::StatusOr<std::vector<uint8_t>> GetRandom() override;
  absl::StatusOr<NsmDescription> DescribeNsm() override;

 private:
  // Encodes, sends, decodes; fails unless the answer is `request.operation`.
  absl::StatusOr<NsmResponse> Call(const NsmRequest& request);

  NsmTransport transport_;
  int fd_ = -1;
};

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_NSM_DEVICE_H_
