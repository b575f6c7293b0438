// The gRPC face of EnclaveCore (nitro_tss.enclave.v1.Enclave).
//
// RunSession: a reader thread queues the coordinator's inputs; the handler
// feeds them to the SessionRunner and writes its outputs (for a presign
// session, from a thread of lower CPU priority: pools are filled in the
// background, online signing and DKG come first). A round that sees
// no progress for `limits.round_deadline` (or an `expire_round` input)
// expires through SessionRunner::ExpireRound, so no session waits forever.
// After its result, a session keeps judging complaints until the
// coordinator half-closes the stream (or one more round deadline passes).
// Envelopes the runner refuses (wrong session, replay, bad tag) change
// nothing; they are counted and logged with the session id.
#ifndef NITRO_TSS_NODE_ENCLAVE_SERVICE_H_
#define NITRO_TSS_NODE_ENCLAVE_SERVICE_H_

#include <atomic>

#include "common/process.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"
#include "node/enclave/core.h"
#include "node/enclave/metrics.h"

namespace nitro_tss::enclave {

// Largest gRPC message the service accepts.
inline constexpr int kMaxGrpcMessageBytes = 8 << 20;

class EnclaveService final : public v1::Enclave::Service {
 public:
  // `metrics` (optional, outlives the service) counts sessions, rounds and
  // culprits.
  EnclaveService(EnclaveCore* core, const process::Logger* log,
                 EnclaveMetrics* metrics = nullptr)
      : core_(core), log_(log), metrics_(metrics) {}

  grpc::Status GetInfo(grpc::ServerContext*, const v1::GetInfoRequest* req,
                       v1::GetInfoResponse* resp) override;
  grpc::Status OpenLink(grpc::ServerContext*, const v1::OpenLinkRequest* req,
                        v1::OpenLinkResponse* resp) override;
  grpc::Status AttestLink(grpc::ServerContext*,
                          const v1::AttestLinkRequest* req,
                          v1::AttestLinkResponse* resp) override;
  grpc::Status FinishLink(grpc::ServerContext*,
                          const v1::FinishLinkRequest* req,
                          v1::FinishLinkResponse* resp) override;
  grpc::Status CloseLink(grpc::ServerContext*, const v1::CloseLinkRequest* req,
                         v1::CloseLinkResponse* resp) override;
  grpc::Status ProbeLinks(grpc::ServerContext*,
                          const v1::ProbeLinksRequest* req,
                          v1::ProbeLinksResponse* resp) override;
  grpc::Status RunSession(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SessionOutput, v1::SessionInput>* stream)
      override;

  uint64_t refused_envelopes() const { return refused_.load(); }

 private:
  // The session after its start: inputs in, outputs out, until it ends.
  grpc::Status Serve(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SessionOutput, v1::SessionInput>* stream,
      const std::string& sid, host::v1::SessionKind kind,
      SessionRunner* runner);

  EnclaveCore* core_;
  const process::Logger* log_;
  EnclaveMetrics* metrics_;
  std::atomic<uint64_t> refused_{0};
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_SERVICE_H_
