// The coordinator's view of the cluster's nodes: one gRPC channel per
// node's enclave service, and each node's health from periodic GetInfo
// calls (a fresh nonce each time; the attestation document checked against
// the configured root so that an operator sees the attested PCRs).
//
// The coordinator is untrusted: what it learns here is for routing and for
// operators. The enclaves check each other's attestation themselves when
// they link.
#ifndef NITRO_TSS_COORDINATOR_CLUSTER_NODES_H_
#define NITRO_TSS_COORDINATOR_CLUSTER_NODES_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nitro_tss/coordinator/config/v1/config.pb.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"
#include "nitro_tss/v1/custody.pb.h"

namespace nitro_tss::coordinator {

// A node as configured.
struct NodeSpec {
  std::string id;  // resource id ("nodes/{id}")
  uint32_t party_id = 0;
  std::string address;  // "unix:///PATH" or "HOST:PORT" (mTLS)
  std::string tls_server_name;
};

// Client TLS towards the hosts' inbound listeners (PEM contents).
struct NodeTlsMaterial {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

class NodeSet {
 public:
  // Creates one channel per node (lazy: connecting happens on first use).
  // `tls` is required when any address is HOST:PORT. `attestation_root_der`
  // empty: the AWS Nitro root. InvalidArgument naming the node for a bad
  // address or duplicate id / party id.
  static absl::StatusOr<std::unique_ptr<NodeSet>> Create(
      std::vector<NodeSpec> nodes, const NodeTlsMaterial* tls,
      std::vector<uint8_t> attestation_root_der);

  const std::vector<NodeSpec>& specs() const { return specs_; }
  // nullptr if unknown.
  const NodeSpec* Find(const std::string& id) const;
  const NodeSpec* FindParty(uint32_t party_id) const;
  // The enclave stub of node `id` (never null for a known id).
  enclave::v1::Enclave::StubInterface* Stub(const std::string& id);

  // Calls GetInfo on every node (bounded by `timeout` each, in parallel)
  // and records its health. Returns how many are SERVING.
  int CheckAll(absl::Duration timeout);
  // Records the outcome of a protocol run for a node (UNAVAILABLE from its
  // stream marks it UNREACHABLE until the next successful check).
  void ReportUnreachable(const std::string& id, const std::string& error);

  // The API resource of node `id` (health, PCRs, last attestation time,
  // keys loaded). NotFound for an unknown id.
  absl::StatusOr<v1::Node> Describe(const std::string& id) const;
  std::vector<v1::Node> DescribeAll() const;
  bool Healthy(const std::string& id) const;

 private:
  struct Entry {
    NodeSpec spec;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<enclave::v1::Enclave::Stub> stub;
    v1::Node status;  // guarded by mu_
  };
  NodeSet() = default;
  void Check(Entry& e, absl::Duration timeout);

  std::vector<NodeSpec> specs_;
  std::vector<uint8_t> root_der_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  mutable std::mutex mu_;
};

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_CLUSTER_NODES_H_
