// nitro_tss.v1.Custody (protos/nitro_tss/v1/custody.proto): the public API
// of the cluster, over the orchestrator (coordinator/cluster) and the
// durable state (coordinator/storage).
//
//  - CreateKey is a long-running operation: the operation is stored first
//    (its name derived from the request id, so a retried request finds it),
//    claimed by this replica with a lease, and run on a worker thread that
//    records its stages as metadata; it ends with the Key stored ACTIVE and
//    the operation done, or the operation done with an error (culprits in
//    its details). An operation whose replica died is failed at the next
//    start ("interrupted"): a DKG cannot be resumed, only run again.
//  - Sign records the request (id, key, digest of the request) before any
//    run. A retried request id with the same request returns the stored
//    signature (first_response = false) and never signs again; a request id
//    reused for another request is ALREADY_EXISTS. Two concurrent calls with
//    one id, on this replica or on two replicas sharing the database: the
//    second waits for the first's outcome. A final refusal (approvals
//    refused, bad request, approvals spent by a failed signing run:
//    ABORTED) is stored too and is every retry's answer; transient failures
//    are not (a retry signs again; they are failures before any enclave
//    checked the approvals, which the enclaves' replay cache would refuse
//    once consumed).
//    A Sign that fails after runs named culprits returns them as gRPC error
//    details (a google.rpc.Status of CulpritInfo).
//  - Exclusions (a node a run named with action `exclude`) are kept in the
//    key's record (Key.excluded_nodes, shown by GetKey and by GetNode's
//    `exclusions`), stored after every Sign and pool refill
//    (PersistExclusions), audited ("ExcludeNode") and logged as an alert;
//    every Sign loads them with the key, so replicas sharing the database
//    share them. ReadmitNode takes a node back (audited with the reason).
//  - Every request and its outcome is appended to the hash-chained audit
//    log: who asked (the client certificate's subject, or "unix" on a unix
//    socket), what, which approvers, the result or error, culprits.
#ifndef NITRO_TSS_COORDINATOR_SERVICE_CUSTODY_SERVICE_H_
#define NITRO_TSS_COORDINATOR_SERVICE_CUSTODY_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "common/process.h"
#include "coordinator/cluster/nodes.h"
#include "coordinator/cluster/orchestrator.h"
#include "coordinator/storage/storage.h"
#include "nitro_tss/v1/custody.grpc.pb.h"

namespace nitro_tss::coordinator {

struct CustodyOptions {
  // This replica's name in operation leases and sign attempts (unique
  // among replicas sharing a database).
  std::string replica_id = "coordinator";
  absl::Duration lease = absl::Minutes(15);
  // After this long, a sign request another replica started and never
  // finished is treated as abandoned (a retry then signs): longer than the
  // orchestrator's attempts can take.
  absl::Duration sign_window = absl::Minutes(10);
};

class CustodyService final : public v1::Custody::Service {
 public:
  CustodyService(storage::Storage* storage, NodeSet* nodes,
                 Orchestrator* orchestrator, const process::Logger* log,
                 CustodyOptions options);
  ~CustodyService() override;

  // Fails operations left unfinished by a dead replica (lease expired) and
  // registers ACTIVE keys with the orchestrator (for pools).
  absl::Status Recover();
  // Stops accepting new work and waits for running CreateKey workers (a
  // DKG in flight finishes, or fails at its deadline).
  void Shutdown();

  grpc::Status CreateKey(grpc::ServerContext* ctx,
                         const v1::CreateKeyRequest* req,
                         v1::Operation* resp) override;
  grpc::Status GetKey(grpc::ServerContext* ctx, const v1::GetKeyRequest* req,
                      v1::Key* resp) override;
  grpc::Status ListKeys(grpc::ServerContext* ctx,
                        const v1::ListKeysRequest* req,
                        v1::ListKeysResponse* resp) override;
  grpc::Status Sign(grpc::ServerContext* ctx, const v1::SignRequest* req,
                    v1::SignResponse* resp) override;
  grpc::Status ReadmitNode(grpc::ServerContext* ctx,
                           const v1::ReadmitNodeRequest* req,
                           v1::Key* resp) override;
  grpc::Status GetNode(grpc::ServerContext* ctx, const v1::GetNodeRequest* req,
                       v1::Node* resp) override;
  grpc::Status ListNodes(grpc::ServerContext* ctx,
                         const v1::ListNodesRequest* req,
                         v1::ListNodesResponse* resp) override;
  grpc::Status GetOperation(grpc::ServerContext* ctx,
                            const v1::GetOperationRequest* req,
                            v1::Operation* resp) override;
  grpc::Status ListOperations(grpc::ServerContext* ctx,
                              const v1::ListOperationsRequest* req,
                              v1::ListOperationsResponse* resp) override;
  grpc::Status WaitOperation(grpc::ServerContext* ctx,
                             const v1::WaitOperationRequest* req,
                             v1::Operation* resp) override;

  // Stores the exclusions the orchestrator made and has not stored yet
  // (each in its key's record), audits and logs each; what fails to store
  // stays pending for the next call.
  void PersistExclusions();

  // Appends a "NodeHealth" audit entry for a node's health change.
  void AuditNodeHealth(const std::string& node, v1::Node::Health health,
                       const std::string& reason);

  // Signs handled (for metrics): first responses and answered retries.
  uint64_t signs() const { return signs_.load(); }
  uint64_t sign_retries_answered() const { return retries_.load(); }

 private:
  absl::StatusOr<KeyPlan> LoadKey(const std::string& name);
  void RunCreateKey(std::string op_name, v1::CreateKeyRequest req,
                    std::string actor);
  absl::Status UpdateOperation(const std::string& name,
                               const std::function<void(v1::Operation&)>& f);
  void Audit(const std::string& actor, const std::string& action,
             const std::string& resource, const absl::Status& outcome,
             const std::string& payload);
  storage::AuditEvent AuditEventOf(const std::string& actor,
                                   const std::string& action,
                                   const std::string& resource,
                                   const absl::Status& outcome,
                                   const std::string& payload) const;
  // What DoSign leaves to its caller: the outcome to store with the audit
  // entry (one write), and the in-flight mark to clear after it.
  struct SignCompletion {
    bool in_flight = false;    // this call marked request_id in flight
    bool store = false;        // `outcome` is the request's final outcome
    std::string outcome = {};  // serialized storage::v1::SignOutcome
  };
  // Fills `audit` with what the audit entry records beyond the outcome.
  // `culprits`: what the protocol runs named (also when the Sign fails).
  absl::StatusOr<v1::SignResponse> DoSign(const v1::SignRequest& req,
                                          absl::Time deadline,
                                          json::Value* audit,
                                          std::vector<CulpritRecord>* culprits,
                                          SignCompletion* completion);
  // Called when a Sign's final outcome could not be stored with its audit
  // entry in one write (`error`). The outcome must still be what every
  // retry of the request id gets, never a second signature:
  //  - the record is already completed (the write committed although it
  //    reported an error, or another replica completed it first): the
  //    stored outcome is the answer, returned instead of `response`;
  //  - else the outcome is stored alone (a few attempts), then the audit
  //    entry is appended alone;
  //  - if it cannot be stored, it is kept in memory (unstored_outcomes_)
  //    and answers every retry reaching this process.
  absl::StatusOr<v1::SignResponse> AfterCombinedWriteFailed(
      const std::string& actor, const v1::SignRequest& req,
      const std::string& outcome, absl::StatusOr<v1::SignResponse> response,
      const std::string& audit_payload, const absl::Status& error);
  absl::StatusOr<v1::Key> DoReadmitNode(const v1::ReadmitNodeRequest& req,
                                        std::string* code);
  // Applies `f` to the stored key `name` (compare-and-set, retried).
  absl::StatusOr<v1::Key> UpdateKey(
      const std::string& name, const std::function<absl::Status(v1::Key&)>& f);

  storage::Storage* storage_;
  NodeSet* nodes_;
  Orchestrator* orchestrator_;
  const process::Logger* log_;
  CustodyOptions options_;

  std::mutex mu_;
  std::condition_variable changed_;  // an operation changed here
  bool shutting_down_ = false;
  std::vector<std::thread> workers_;
  // Sign request ids being signed in this process.
  std::map<std::string, std::shared_ptr<std::condition_variable>> in_flight_;
  // Final Sign outcomes (serialized storage::v1::SignOutcome) that could not
  // be stored, by request id: answers to retries here (see
  // AfterCombinedWriteFailed). At most kMaxUnstoredOutcomes; under mu_.
  static constexpr size_t kMaxUnstoredOutcomes = 65536;
  std::map<std::string, std::string> unstored_outcomes_;
  std::mutex persist_mu_;  // one PersistExclusions at a time
  std::atomic<uint64_t> signs_{0};
  std::atomic<uint64_t> retries_{0};
};

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_SERVICE_CUSTODY_SERVICE_H_
