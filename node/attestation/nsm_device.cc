#include "node/attestation/nsm_device.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nitro_tss::attestation {
namespace {

struct NsmIoctlMessage {
  struct iovec request;
  struct iovec response;
};

constexpr unsigned long kNsmIoctl = _IOWR(0x0A, 0, NsmIoctlMessage);

}  // namespace

unsigned long NsmIoctlRequestNumber() { return kNsmIoctl; }

absl::StatusOr<std::unique_ptr<NsmDevice>> NsmDevice::Open(
    const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("nsm: cannot open ", path, ": ", std::strerror(errno)));
  }
  auto transport = [fd](absl::Span<const uint8_t> request)
      -> absl::StatusOr<std::vector<uint8_t>> {
    std::vector<uint8_t> req(request.begin(), request.end());
    std::vector<uint8_t> resp(kNsmMaxResponseBytes);
    NsmIoctlMessage msg;
    msg.request.iov_base = req.data();
    msg.request.iov_len = req.size();
    msg.response.iov_base = resp.data();
    msg.response.iov_len = resp.size();
    if (::ioctl(fd, kNsmIoctl, &msg) < 0) {
      return absl::InternalError(
          absl::StrCat("nsm: ioctl failed: ", std::strerror(errno)));
    }
    if (msg.response.iov_len > resp.size()) {
      return absl::InternalError("nsm: driver reported an oversized response");
    }
    resp.resize(msg.response.iov_len);
    return resp;
  };
  auto device = std::make_unique<NsmDevice>(std::move(transport));
  device->fd_ = fd;
  return device;
}

NsmDevice::NsmDevice(NsmTransport transport)
    : transport_(std::move(transport)) {}

NsmDevice::~NsmDevice() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<NsmResponse> NsmDevice::Call(const NsmRequest& request) {
  const std::vector<uint8_t> encoded = EncodeNsmRequest(request);
  const char* label = NsmOperationName(request.operation);
  if (encoded.size() > kNsmMaxRequestBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("nsm: ", label, " request of ", encoded.size(),
                     " bytes exceeds ", kNsmMaxRequestBytes));
  }
  auto raw = transport_(encoded);
  if (!raw.ok()) return raw.status();
  auto response = DecodeNsmResponse(*raw);
  // The raw bytes may hold entropy (GetRandom): wipe them once decoded.
  sodium_memzero(raw->data(), raw->size());
  if (!response.ok()) return response.status();
  if (response->error != NsmErrorCode::kSuccess) {
    return NsmErrorToStatus(response->error, label);
  }
  if (response->operation != request.operation) {
    return absl::InternalError(
        absl::StrCat("nsm: ", label, " answered with ",
                     NsmOperationName(response->operation)));
  }
  return response;
}

absl::StatusOr<std::vector<uint8_t>> NsmDevice::GetAttestationDocument(
    const std::optional<std::vector<uint8_t>>& user_data,
    const std::optional<std::vector<uint8_t>>& nonce,
    const std::optional<std::vector<uint8_t>>& public_key) {
  NsmRequest req;
  req.operation = NsmOperation::kAttestation;
  req.user_data = user_data;
  req.nonce = nonce;
  req.public_key = public_key;
  auto resp = Call(req);
  if (!resp.ok()) return resp.status();
  return std::move(resp->document);
}

absl::StatusOr<PcrDescription> NsmDevice::DescribePcr(uint16_t index) {
  NsmRequest req;
  req.operation = NsmOperation::kDescribePcr;
  req.index = index;
  auto resp = Call(req);
  if (!resp.ok()) return resp.status();
  return std::move(resp->pcr);
}

absl::StatusOr<std::vector<uint8_t>> NsmDevice::ExtendPcr(
    uint16_t index, absl::Span<const uint8_t> data) {
  NsmRequest req;
  req.operation = NsmOperation::kExtendPcr;
  req.index = index;
  req.data.assign(data.begin(), data.end());
  auto resp = Call(req);
  if (!resp.ok()) return resp.status();
  return std::move(resp->pcr.value);
}

absl::Status NsmDevice::LockPcr(uint16_t index) {
  NsmRequest req;
  req.operation = NsmOperation::kLockPcr;
  req.index = index;
  return Call(req).status();
}

absl::Status NsmDevice::LockPcrs(uint16_t range) {
  NsmRequest req;
  req.operation = NsmOperation::kLockPcrs;
  req.range = range;
  return Call(req).status();
}

absl::StatusOr<std::vector<uint8_t>> NsmDevice::GetRandom() {
  NsmRequest req;
  req.operation = NsmOperation::kGetRandom;
  auto resp = Call(req);
  if (!resp.ok()) return resp.status();
  return std::move(resp->random);
}

absl::StatusOr<NsmDescription> NsmDevice::DescribeNsm() {
  NsmRequest req;
  req.operation = NsmOperation::kDescribeNsm;
  auto resp = Call(req);
  if (!resp.ok()) return resp.status();
  return std::move(resp->description);
}

}  // namespace nitro_tss::attestation
