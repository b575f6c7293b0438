// Fuzz target: the blob requests tss-host's service takes from its enclave
// (Host.PutBlob / Host.GetBlob, node/host/host_service.h) on a real local
// blob store in a temporary directory. The first byte picks the request;
// the rest is its protobuf. Invariants: an accepted PutBlob is read back
// by GetBlob with the same bytes and epoch; a refused one changes nothing
// the next GetBlob sees; every refusal is INVALID_ARGUMENT,
// FAILED_PRECONDITION (an older epoch) or NOT_FOUND, never a crash.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "nitro_tss/host/v1/host.pb.h"
#include "node/host/host_service.h"
#include "node/host/local_blob_store.h"

namespace {

using nitro_tss::host::HostService;
namespace v1 = nitro_tss::host::v1;

struct Fixture {
  std::unique_ptr<nitro_tss::host::LocalBlobStore> store;
  nitro_tss::process::Logger log;
  std::unique_ptr<HostService> service;
};

Fixture* Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    char dir[] = "/tmp/host_service_fuzz.XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    nitro_tss::host::LocalBlobStoreConfig config;
    config.root = dir;
    auto store = nitro_tss::host::LocalBlobStore::Open(config);
    if (!store.ok()) std::abort();
    fx->store = *std::move(store);
    fx->service = std::make_unique<HostService>(
        fx->store.get(),
        std::make_shared<nitro_tss::aws::StaticCredentialSource>(
            nitro_tss::aws::AwsCredentials{}),
        &fx->log);
    return fx;
  }();
  return f;
}

bool Refusal(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::FAILED_PRECONDITION ||
         code == grpc::StatusCode::NOT_FOUND;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 512 * 1024) return 0;  // gRPC's limit is lower
  Fixture* fx = Get();
  grpc::ServerContext ctx;
  if (data[0] % 2 == 0) {
    v1::GetBlobRequest req;
    if (!req.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
    v1::GetBlobResponse resp;
    grpc::Status s = fx->service->GetBlob(&ctx, &req, &resp);
    if (!s.ok() && !Refusal(s.error_code())) std::abort();
    return 0;
  }
  v1::PutBlobRequest req;
  if (!req.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  v1::GetBlobRequest get;
  *get.mutable_name() = req.name();
  v1::GetBlobResponse before;
  const bool had = fx->service->GetBlob(&ctx, &get, &before).ok();
  v1::PutBlobResponse put_resp;
  grpc::Status put = fx->service->PutBlob(&ctx, &req, &put_resp);
  v1::GetBlobResponse after;
  grpc::Status read = fx->service->GetBlob(&ctx, &get, &after);
  if (put.ok()) {
    if (!read.ok() || after.blob() != req.blob() ||
        after.epoch() != req.epoch()) {
      std::abort();
    }
    return 0;
  }
  if (!Refusal(put.error_code()) &&
      put.error_code() != grpc::StatusCode::INTERNAL) {
    std::abort();
  }
  if (had != read.ok()) std::abort();
  if (had &&
      (after.blob() != before.blob() || after.epoch() != before.epoch())) {
    std::abort();
  }
  return 0;
}
