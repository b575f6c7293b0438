#include "node/enclave/host_client.h"

#include "absl/strings/str_cat.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::enclave {
template <typename Call>
absl::Status GrpcHostClient::WithStub(const Call& call) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    host::v1::Host::Stub* stub;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stub_ == nullptr) {
        auto channel = vsock::DialGrpc(address_, timeout_);
        if (!channel.ok()) return channel.status();
        stub_ = host::v1::Host::NewStub(*channel);
      }
      stub = stub_.get();
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    grpc::Status s = call(stub, &ctx);
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE && attempt == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      stub_.reset();
      continue;
    }
    return vsock::FromGrpcStatus(s, "host call");
  }
  return absl::UnavailableError("host: unreachable");
}

absl::Status GrpcHostClient::Put(const std::string& key_id_hex, uint32_t party,
                                 uint64_t epoch,
                                 const std::vector<uint8_t>& blob) {
  host::v1::PutBlobRequest req;
  req.mutable_name()->set_key_id(key_id_hex);
  req.mutable_name()->set_party_id(party);
  req.set_epoch(epoch);
  req.set_blob(std::string(blob.begin(), blob.end()));
  host::v1::PutBlobResponse resp;
  return WithStub([&](host::v1::Host::Stub* stub, grpc::ClientContext* ctx) {
    return stub->PutBlob(ctx, req, &resp);
  });
}

absl::StatusOr<std::vector<uint8_t>> GrpcHostClient::Get(
    const std::string& key_id_hex, uint32_t party) {
  host::v1::GetBlobRequest req;
  req.mutable_name()->set_key_id(key_id_hex);
  req.mutable_name()->set_party_id(party);
  host::v1::GetBlobResponse resp;
  absl::Status s =
      WithStub([&](host::v1::Host::Stub* stub, grpc::ClientContext* ctx) {
        return stub->GetBlob(ctx, req, &resp);
      });
  if (!s.ok()) return s;
  return std::vector<uint8_t>(resp.blob().begin(), resp.blob().end());
}

absl::Status GrpcHostClient::PutMetrics(
    const host::v1::PutMetricsRequest& snapshot) {
  host::v1::PutMetricsResponse resp;
  return WithStub([&](host::v1::Host::Stub* stub, grpc::ClientContext* ctx) {
    return stub->PutMetrics(ctx, snapshot, &resp);
  });
}

absl::StatusOr<aws::ExpiringCredentials> GrpcHostClient::GetCredentials() {
  host::v1::GetCredentialsRequest req;
  host::v1::GetCredentialsResponse resp;
  absl::Status s =
      WithStub([&](host::v1::Host::Stub* stub, grpc::ClientContext* ctx) {
        return stub->GetCredentials(ctx, req, &resp);
      });
  if (!s.ok()) return s;
  if (resp.access_key_id().empty() || resp.secret_access_key().empty()) {
    return absl::FailedPreconditionError(
        "host: credentials without access key id or secret");
  }
  aws::ExpiringCredentials out;
  out.credentials = aws::AwsCredentials(
      resp.access_key_id(), resp.secret_access_key(), resp.session_token());
  if (resp.expiration_unix_ms() != 0) {
    out.expiration = absl::FromUnixMillis(resp.expiration_unix_ms());
    if (out.expiration <= absl::Now()) {
      return absl::FailedPreconditionError(
          "host: credentials that have already expired");
    }
  }
  return out;
}

}  // namespace nitro_tss::enclave
