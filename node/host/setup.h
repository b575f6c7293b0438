// From a HostConfig to the host's parts: the blob store backend and the
// credential source.
#ifndef NITRO_TSS_NODE_HOST_SETUP_H_
#define NITRO_TSS_NODE_HOST_SETUP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "nitro_tss/host/config/v1/config.pb.h"
#include "node/aws/credentials.h"
#include "node/host/blob_store.h"

namespace nitro_tss::host {

using config::v1::HostConfig;

// INVALID_ARGUMENT "<field path>: <problem>" for the first problem found.
absl::Status ValidateHostConfig(const HostConfig& config);

// Credentials from a JSON file {"access_key_id", "secret_access_key",
// "session_token"?}, read at every Get (so it can be rotated); strict
// (unknown members, wrong types refused; at most 16 KiB).
class FileCredentialSource : public aws::CredentialSource {
 public:
  explicit FileCredentialSource(std::string path) : path_(std::move(path)) {}
  absl::StatusOr<aws::AwsCredentials> Get() override;
  std::string Name() const override { return "file:" + path_; }

 private:
  std::string path_;
};

struct HostParts {
  std::shared_ptr<aws::CredentialSource> credentials;
  std::unique_ptr<BlobStore> store;
};

absl::StatusOr<HostParts> BuildHost(const HostConfig& config);

}  // namespace nitro_tss::host

#endif  // NITRO_TSS_NODE_HOST_SETUP_H_
