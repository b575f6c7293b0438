// Test support: tss-coordinator as a real process in front of a
// LocalCluster's nodes (tests/node/cluster/cluster.h), configured by a
// text-format config file in its own directory: the public API on a unix
// socket there, readiness by its ready file. Used by the coordinator's
// end-to-end tests and by the load benchmark (bench/coordinator).
#ifndef NITRO_TSS_TESTS_COORDINATOR_SERVICE_COORDINATOR_PROCESS_H_
#define NITRO_TSS_TESTS_COORDINATOR_SERVICE_COORDINATOR_PROCESS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/node/cluster/child_process.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::testing {

// `nodes { ... }` entries for every node of `cluster` (id "node-<i+1>",
// party id i + 1, the enclave's unix socket).
std::string CoordinatorNodesConfig(const LocalCluster& cluster);

// Writes `config` (text format, without `listen`, which is added: the unix
// socket `dir`/api.sock) to `dir`/coordinator.conf and starts
// tss-coordinator with it, its log in `dir`/coordinator.log; waits until it
// is serving (its ready file). `dir` is created if missing.
absl::StatusOr<std::unique_ptr<ChildProcess>> StartCoordinatorProcess(
    const std::string& dir, const std::string& config);

// The API socket of a coordinator started in `dir`, as a gRPC target
// ("unix:<dir>/api.sock").
std::string CoordinatorTarget(const std::string& dir);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_COORDINATOR_SERVICE_COORDINATOR_PROCESS_H_
