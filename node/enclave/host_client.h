// BlobHost over tss-host's gRPC service (nitro_tss.host.v1.Host), reached
// over vsock (unix socket locally). Re-dials once when the connection is
// gone (a restarted host).
#ifndef NITRO_TSS_NODE_ENCLAVE_HOST_CLIENT_H_
#define NITRO_TSS_NODE_ENCLAVE_HOST_CLIENT_H_

#include <memory>
#include <mutex>

#include "nitro_tss/host/v1/host.grpc.pb.h"
#include "node/aws/credentials.h"
#include "node/enclave/core.h"
#include "node/vsock/address.h"

namespace nitro_tss::enclave {

class GrpcHostClient final : public BlobHost {
 public:
  explicit GrpcHostClient(vsock::SocketAddress address,
                          absl::Duration timeout = absl::Seconds(10))
      : address_(std::move(address)), timeout_(timeout) {}

  absl::Status Put(const std::string& key_id_hex, uint32_t party,
                   uint64_t epoch, const std::vector<uint8_t>& blob) override;
  absl::StatusOr<std::vector<uint8_t>> Get(const std::string& key_id_hex,
                                           uint32_t party) override;
  // AWS credentials for KMS and when they expire (InfiniteFuture when the
  // host does not say). Refused: an expiry that has already passed.
  absl::StatusOr<aws::ExpiringCredentials> GetCredentials();
  // The enclave's metrics snapshot (node/enclave/metrics.h).
  absl::Status PutMetrics(const host::v1::PutMetricsRequest& snapshot);

 private:
  template <typename Call>
  absl::Status WithStub(const Call& call);

  vsock::SocketAddress address_;
  absl::Duration timeout_;
  std::mutex mu_;
  std::unique_ptr<host::v1::Host::Stub> stub_;
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_HOST_CLIENT_H_
