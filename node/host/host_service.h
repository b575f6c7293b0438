// The service tss-host offers its own enclave (nitro_tss.host.v1.Host):
// sealed blobs in a BlobStore, AWS credentials for KMS, and a place for the
// enclave's metrics (exposed with the host's own). The host is
// untrusted: it keeps epochs monotonic as a convenience, but what protects
// a share is inside the sealed record (AEAD, epoch) and in KMS's policy.
#ifndef NITRO_TSS_NODE_HOST_HOST_SERVICE_H_
#define NITRO_TSS_NODE_HOST_HOST_SERVICE_H_

#include <memory>

#include "common/process.h"
#include "nitro_tss/host/v1/host.grpc.pb.h"
#include "node/aws/credentials.h"
#include "node/host/blob_store.h"
#include "node/host/metrics.h"

namespace nitro_tss::host {

// Largest request the service accepts (a sealed share is < 80 KiB).
inline constexpr size_t kMaxHostBlobBytes = 256 * 1024;

class HostService final : public v1::Host::Service {
 public:
  // `metrics` (optional) receives the enclave's snapshots (PutMetrics);
  // without it PutMetrics is UNIMPLEMENTED.
  HostService(BlobStore* store,
              std::shared_ptr<aws::CredentialSource> credentials,
              const process::Logger* log, HostMetrics* metrics = nullptr)
      : store_(store),
        credentials_(std::move(credentials)),
        log_(log),
        metrics_(metrics) {}

  grpc::Status PutBlob(grpc::ServerContext*, const v1::PutBlobRequest* req,
                       v1::PutBlobResponse*) override;
  grpc::Status GetBlob(grpc::ServerContext*, const v1::GetBlobRequest* req,
                       v1::GetBlobResponse* resp) override;
  grpc::Status GetCredentials(grpc::ServerContext*,
                              const v1::GetCredentialsRequest*,
                              v1::GetCredentialsResponse* resp) override;
  grpc::Status PutMetrics(grpc::ServerContext*,
                          const v1::PutMetricsRequest* req,
                          v1::PutMetricsResponse*) override;

 private:
  BlobStore* store_;
  std::shared_ptr<aws::CredentialSource> credentials_;
  const process::Logger* log_;
  HostMetrics* metrics_;
};

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_HOST_SERVICE_H_
