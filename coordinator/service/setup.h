// From a CoordinatorConfig (protos/nitro_tss/coordinator/config/v1) to the
// coordinator's parts: storage, nodes, orchestrator options and the API
// server's credentials.
#ifndef NITRO_TSS_COORDINATOR_SERVICE_SETUP_H_
#define NITRO_TSS_COORDINATOR_SERVICE_SETUP_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "coordinator/cluster/nodes.h"
#include "coordinator/cluster/orchestrator.h"
#include "coordinator/storage/storage.h"
#include "nitro_tss/coordinator/config/v1/config.pb.h"

namespace nitro_tss::coordinator {

using CoordinatorConfig = config::v1::CoordinatorConfig;

// Largest certificate / key / root file read (PEM).
inline constexpr size_t kMaxPemFileBytes = 64 * 1024;

// INVALID_ARGUMENT "<field path>: <problem>" for the first problem (e.g.
// "nodes[1].party_id: 1..255 and distinct across nodes"). Reads no file.
absl::Status ValidateCoordinatorConfig(const CoordinatorConfig& config);

struct CoordinatorParts {
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<NodeSet> nodes;
  OrchestratorOptions orchestrator;
  std::shared_ptr<grpc::ServerCredentials> server_credentials;
  absl::Duration health_interval = absl::Seconds(10);
};

// Reads the files a valid config names (INVALID_ARGUMENT naming the field
// when one is missing, too large or does not parse) and opens the storage
// (its own codes: UNAVAILABLE, FAILED_PRECONDITION).
absl::StatusOr<CoordinatorParts> BuildCoordinator(
    const CoordinatorConfig& config);

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_SERVICE_SETUP_H_
