#include "tests/coordinator/service/coordinator_process.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"

namespace nitro_tss::testing {

std::string CoordinatorNodesConfig(const LocalCluster& cluster) {
  std::string nodes;
  for (int i = 0; i < cluster.size(); ++i) {
    absl::StrAppend(&nodes, "nodes { id: \"node-", i + 1,
                    "\" party_id: ", i + 1, " address: \"unix://",
                    cluster.dir(), "/node-", i + 1, "/enclave.sock\" }\n");
  }
  return nodes;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> StartCoordinatorProcess(
    const std::string& dir, const std::string& config) {
  ::mkdir(dir.c_str(), 0700);
  WriteFile(dir + "/coordinator.conf",
            absl::StrCat("listen: \"unix://", dir, "/api.sock\"\n", config));
  return ChildProcess::Start(
      {BinaryDir() + "/coordinator/service/tss-coordinator", "--config",
       dir + "/coordinator.conf", "--ready-file", dir + "/ready"},
      dir + "/coordinator.log", dir + "/ready", absl::Seconds(60));
}

std::string CoordinatorTarget(const std::string& dir) {
  return absl::StrCat("unix:", dir, "/api.sock");
}

}  // namespace nitro_tss::testing
