// The coordinator's view of the cluster's nodes: one gRPC channel per
// node's enclave service (its EnclaveConnection: the stub and the one
// Sessions stream every session on the node shares), and each node's health
// from periodic GetInfo calls (a fresh nonce each time; the attestation
// document checked against the configured root so that an operator sees the
// attested PCRs).
//
// The coordinator is untrusted: what it learns here is for routing and for
// operators. The enclaves check each other's attestation themselves when
// they link.
#ifndef NITRO_TSS_COORDINATOR_CLUSTER_NODES_H_
#define NITRO_TSS_COORDINATOR_CLUSTER_NODES_H_

#include <grpcpp/channel.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coordinator/relay/relay.h"
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
  // `allowed_images`: attested PCRs a node must match (one of the
  // policies' expected_pcrs; empty: no image check).
  static absl::StatusOr<std::unique_ptr<NodeSet>> Create(
      std::vector<NodeSpec> nodes, const NodeTlsMaterial* tls,
      std::vector<uint8_t> attestation_root_der,
      std::vector<std::map<int, std::vector<uint8_t>>> allowed_images = {});

  // Called (outside any lock, from the checking thread) when a node's
  // health changes: node id, the new health, the reason (last_error).
  using HealthListener =
      std::function<void(const std::string& node, v1::Node::Health health,
                         const std::string& reason)>;
  void SetHealthListener(HealthListener listener) {
    listener_ = std::move(listener);
  }

  ~NodeSet();

  const std::vector<NodeSpec>& specs() const { return specs_; }
  // The connection epoch of node `id`: it changes whenever the node's
  // channel changes connectivity state (a watcher thread per node counts
  // the changes); `*ready` says whether the channel is connected now. The
  // coordinator's connection to an enclave (direct, or through its host,
  // which relays each connection byte for byte to one enclave connection)
  // ends when the enclave process ends, so an enclave that restarted since
  // an epoch was read has a later one. 0 for an unknown id.
  uint64_t ConnectionEpoch(const std::string& id, bool* ready) const;
  // nullptr if unknown.
  const NodeSpec* Find(const std::string& id) const;
  const NodeSpec* FindParty(uint32_t party_id) const;
  // The enclave stub of node `id` (never null for a known id).
  enclave::v1::Enclave::StubInterface* Stub(const std::string& id);
  // The connection to node `id`'s enclave (nullptr if unknown).
  EnclaveConnection* Connection(const std::string& id);

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
    std::unique_ptr<EnclaveConnection> connection;
    v1::Node status;  // guarded by mu_
    std::atomic<uint64_t> epoch{1};
  };
  NodeSet() = default;
  void Check(Entry& e, absl::Duration timeout);
  void Watch(Entry& e);

  std::vector<NodeSpec> specs_;
  void SetHealth(Entry& e, v1::Node::Health health, const std::string& error);

  std::vector<uint8_t> root_der_;
  std::vector<std::map<int, std::vector<uint8_t>>> allowed_images_;
  HealthListener listener_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  mutable std::mutex mu_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> watchers_;
};

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_CLUSTER_NODES_H_
