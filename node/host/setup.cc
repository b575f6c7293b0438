#include "node/host/setup.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/proto_config.h"
#include "common/status_macros.h"
#include "node/host/local_blob_store.h"
#include "node/host/s3_blob_store.h"
#include "node/vsock/address.h"

namespace nitro_tss::host {

using ::nitro_tss::config::FieldError;

absl::Status ValidateHostConfig(const HostConfig& config) {
  if (config.enclave_service_listen().empty()) {
    return FieldError("enclave_service_listen", "required");
  }
  if (auto a = vsock::SocketAddress::Parse(config.enclave_service_listen());
      !a.ok()) {
    return FieldError("enclave_service_listen", a.status().message());
  }
  switch (config.blob_store().backend_case()) {
    case config::v1::BlobStore::kLocal:
      if (config.blob_store().local().dir().empty()) {
        return FieldError("blob_store.local.dir", "required");
      }
      break;
    case config::v1::BlobStore::kS3:
      if (config.blob_store().s3().bucket().empty()) {
        return FieldError("blob_store.s3.bucket", "required");
      }
      if (config.blob_store().s3().region().empty()) {
        return FieldError("blob_store.s3.region", "required");
      }
      break;
    default:
      return FieldError("blob_store", "local or s3 is required");
  }
  switch (config.credentials().source_case()) {
    case config::v1::Credentials::kFile:
      if (config.credentials().file().empty()) {
        return FieldError("credentials.file", "must name a file");
      }
      break;
    case config::v1::Credentials::kImds:
      return FieldError("credentials.imds",
                        "not supported yet (use credentials.file)");
    default:
      return FieldError("credentials", "file or imds is required");
  }
  return absl::OkStatus();
}

absl::StatusOr<aws::AwsCredentials> FileCredentialSource::Get() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return absl::UnauthenticatedError(
        absl::StrCat("credentials file ", path_, ": cannot read"));
  }
  std::string text(16 * 1024 + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > 16 * 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("credentials file ", path_, ": larger than 16 KiB"));
  }
  auto doc = json::Parse(text);
  if (!doc.ok() || !doc->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "credentials file ", path_, ": not a JSON object",
        doc.ok() ? "" : absl::StrCat(" (", doc.status().message(), ")")));
  }
  for (const auto& [k, v] : doc->AsObject()) {
    if (k != "access_key_id" && k != "secret_access_key" &&
        k != "session_token") {
      return absl::InvalidArgumentError(
          absl::StrCat("credentials file ", path_, ": unknown member ", k));
    }
  }
  aws::AwsCredentials c;
  ASSIGN_OR_RETURN(c.access_key_id, doc->StringField("access_key_id"));
  ASSIGN_OR_RETURN(c.secret_access_key, doc->StringField("secret_access_key"));
  if (doc->Find("session_token") != nullptr) {
    ASSIGN_OR_RETURN(c.session_token, doc->StringField("session_token"));
  }
  RETURN_IF_ERROR(aws::ValidateCredentials(c));
  return c;
}

absl::StatusOr<HostParts> BuildHost(const HostConfig& config) {
  HostParts parts;
  parts.credentials =
      std::make_shared<FileCredentialSource>(config.credentials().file());
  if (config.blob_store().has_local()) {
    LocalBlobStoreConfig lc;
    lc.root = config.blob_store().local().dir();
    ASSIGN_OR_RETURN(parts.store, LocalBlobStore::Open(lc));
  } else {
    S3BlobStoreConfig sc;
    sc.s3.bucket = config.blob_store().s3().bucket();
    sc.s3.region = config.blob_store().s3().region();
    sc.s3.endpoint = config.blob_store().s3().endpoint();
    sc.prefix = config.blob_store().s3().prefix();
    ASSIGN_OR_RETURN(parts.store, S3BlobStore::Create(sc, parts.credentials));
  }
  return parts;
}

}  // namespace nitro_tss::host
