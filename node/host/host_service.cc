#include "node/host/host_service.h"

#include "absl/strings/str_cat.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::host {

using json::Value;

namespace {

absl::StatusOr<BlobKey> KeyOf(const v1::BlobName& name) {
  BlobKey key{name.key_id(), name.party_id()};
  if (auto s = ValidateBlobKey(key); !s.ok()) return s;
  if (key.party_id == 0) {
    return absl::InvalidArgumentError("name.party_id: must be >= 1");
  }
  return key;
}

}  // namespace

grpc::Status HostService::PutBlob(grpc::ServerContext*,
                                  const v1::PutBlobRequest* req,
                                  v1::PutBlobResponse*) {
  auto key = KeyOf(req->name());
  if (!key.ok()) return vsock::ToGrpcStatus(key.status());
  if (req->blob().empty() || req->blob().size() > kMaxHostBlobBytes) {
    return vsock::ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("blob: must be 1..", kMaxHostBlobBytes, " bytes")));
  }
  absl::Status s = store_->Put(
      *key, req->epoch(),
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(req->blob().data()),
                          req->blob().size()));
  log_->Log(s.ok() ? "info" : "warn", "put_blob",
            {{"key_id", Value::String(key->key_id)},
             {"party_id", Value::Int(key->party_id)},
             {"epoch", Value::Int(static_cast<int64_t>(req->epoch()))},
             {"bytes", Value::Int(static_cast<int64_t>(req->blob().size()))},
             {"status", Value::String(s.ToString())}});
  return vsock::ToGrpcStatus(s);
}

grpc::Status HostService::GetBlob(grpc::ServerContext*,
                                  const v1::GetBlobRequest* req,
                                  v1::GetBlobResponse* resp) {
  auto key = KeyOf(req->name());
  if (!key.ok()) return vsock::ToGrpcStatus(key.status());
  absl::StatusOr<Blob> blob = store_->Get(*key, 0);
  log_->Log(blob.ok() ? "info" : "warn", "get_blob",
            {{"key_id", Value::String(key->key_id)},
             {"party_id", Value::Int(key->party_id)},
             {"status", Value::String(blob.status().ToString())}});
  if (!blob.ok()) return vsock::ToGrpcStatus(blob.status());
  resp->set_epoch(blob->epoch);
  resp->set_blob(std::string(blob->bytes.begin(), blob->bytes.end()));
  return grpc::Status::OK;
}

grpc::Status HostService::GetCredentials(grpc::ServerContext*,
                                         const v1::GetCredentialsRequest*,
                                         v1::GetCredentialsResponse* resp) {
  absl::StatusOr<aws::ExpiringCredentials> c = credentials_->GetExpiring();
  if (!c.ok()) {
    log_->Warn("get_credentials",
               {{"source", Value::String(credentials_->Name())},
                {"status", Value::String(c.status().ToString())}});
    return vsock::ToGrpcStatus(c.status());
  }
  resp->set_access_key_id(c->credentials.access_key_id);
  resp->set_secret_access_key(c->credentials.secret_access_key);
  resp->set_session_token(c->credentials.session_token);
  if (c->expiration != absl::InfiniteFuture()) {
    resp->set_expiration_unix_ms(absl::ToUnixMillis(c->expiration));
  }
  return grpc::Status::OK;
}

grpc::Status HostService::PutMetrics(grpc::ServerContext*,
                                     const v1::PutMetricsRequest* req,
                                     v1::PutMetricsResponse*) {
  if (metrics_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "metrics: this host exposes no metrics");
  }
  absl::Status s = metrics_->SetEnclaveMetrics(*req);
  if (!s.ok()) {
    log_->Warn("put_metrics", {{"status", Value::String(s.ToString())}});
  }
  return vsock::ToGrpcStatus(s);
}

}  // namespace nitro_tss::host
