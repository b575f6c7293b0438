// Test harness: a local nitro-tss cluster of real processes — tss-kms-local,
// and per node a tss-host and a tss-enclave with a simulated NSM — talking
// over unix sockets in a temporary directory. The harness plays the
// coordinator: it relays link handshakes and session envelopes between the
// enclaves through their real gRPC services, reading nothing.
//
// Party id of node i (0-based) is i + 1.
#ifndef NITRO_TSS_TESTS_NODE_CLUSTER_CLUSTER_H_
#define NITRO_TSS_TESTS_NODE_CLUSTER_CLUSTER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"
#include "tests/node/aws/moto_server.h"
#include "tests/node/cluster/child_process.h"
#include "tests/tools/kms-local/local_kms_process.h"

namespace nitro_tss::testing {

struct ClusterOptions {
  int nodes = 3;
  uint64_t round_deadline_ms = 60000;
  bool share_ring_pedersen_modulus = true;  // halves the prime search
  // Nodes (0-based) whose host keeps sealed blobs in S3 instead of its
  // local directory: a versioned bucket on moto's S3 server (python3 -m
  // moto.server), which the harness starts on an ephemeral loopback port
  // and stops with the cluster. If python3 cannot run moto they stay on the
  // local directory and s3_unavailable() says why.
  std::vector<int> s3_nodes = {};
  // Nodes (0-based) whose enclave is the test-only cheating enclave
  // (tests/node/cheating_enclave: tss-enclave with a cheat of
  // mpc/testing/gg20_cheats.h in its presign runs), with the cheat's name
  // (its --cheat flag). It attests as the image StartEnclave is given.
  std::map<int, std::string> cheaters = {};
};

// What one enclave reported for a session.
struct SessionOutcome {
  bool done = false;  // result (else abort or stream error)
  enclave::v1::SessionResult result;
  enclave::v1::SessionAbort abort;
  std::string stream_error;  // a gRPC error ending the stream, if any
};

class LocalCluster {
 public:
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(
      ClusterOptions options);
  ~LocalCluster();

  int size() const { return options_.nodes; }
  const std::string& dir() const { return dir_.path(); }
  // PCR0 (hex) of the image every enclave runs unless told otherwise, and of
  // another image.
  static std::string GoodPcr0();
  static std::string OtherPcr0();

  // Starts (or restarts) node i's enclave, measured as `pcr0_hex`: the
  // cheating enclave if options.cheaters names node i.
  absl::Status StartEnclave(int i, const std::string& pcr0_hex = GoodPcr0());
  // Node i's enclave cheats as `cheat` from its next StartEnclave on (""
  // makes it the honest tss-enclave again).
  void SetCheat(int i, const std::string& cheat);
  // SIGTERM (graceful) / SIGKILL (crash).
  int StopEnclave(int i);
  void KillEnclave(int i);
  absl::Status StartHost(int i);
  int StopHost(int i);
  // Removes node i's host disk (a replaced parent instance).
  void WipeHostDisk(int i);
  // Whether node i's host runs on the S3 backend; why the S3 nodes do not
  // ("" when they do, or when none were asked for).
  bool OnS3(int i) const;
  const std::string& s3_unavailable() const { return s3_unavailable_; }
  // The object holding node i's sealed blob of `key_id` in the bucket
  // (body as stored), read with a client of the harness's own.
  absl::StatusOr<std::string> S3Blob(int i, const std::string& key_id) const;

  enclave::v1::Enclave::Stub& enclave(int i);
  // Waits until each of `nodes` has DKG material ready (GetInfo's
  // keygen_material_ready), polling; DEADLINE_EXCEEDED naming the first node
  // still without after `timeout`. The material is made from fresh safe
  // primes after start; a DKG begun before it is ready may run into its
  // round deadline on a loaded machine.
  absl::Status WaitForKeygenMaterial(const std::vector<int>& nodes,
                                     absl::Duration timeout);

  // Relays the three link steps among `nodes` (0-based). `key_id` empty:
  // a DKG link. Returns each node's FinishLink answer, or the first error
  // (with the node named).
  // With a key, `policy` is the key's approval policy (required by the
  // enclave for keys made with one).
  absl::StatusOr<std::map<int, enclave::v1::FinishLinkResponse>> Link(
      const std::vector<int>& nodes, const std::string& link_id,
      const std::string& key_id,
      const approval::v1::ApprovalPolicy* policy = nullptr);

  // Runs one session on `nodes` (all started with `start`), relaying every
  // envelope, until every node reported; then half-closes the streams.
  // `drop` (optional) decides per (from node, to node, envelope) whether the
  // relay drops it.
  using DropRule = std::function<bool(int from, int to, int index)>;
  std::map<int, SessionOutcome> Run(const std::vector<int>& nodes,
                                    const enclave::v1::StartSession& start,
                                    DropRule drop = nullptr);
  // As Run, each node started with its own message (e.g. a node configured
  // differently).
  std::map<int, SessionOutcome> RunEach(
      const std::map<int, enclave::v1::StartSession>& starts,
      DropRule drop = nullptr);

  // The KMS key id sealing shares, and the local KMS.
  const std::string& kms_key_id() const { return kms_key_id_; }
  kms_local::testing::LocalKmsProcess& kms() { return *kms_; }
  std::string EnclaveLog(int i) const;
  pid_t enclave_pid(int i) const {
    return nodes_[i].enclave ? nodes_[i].enclave->pid() : -1;
  }
  std::string HostLog(int i) const;
  // The port of node i's host /metrics (its own and its enclave's), -1 if
  // the host is not running.
  int HostMetricsPort(int i) const;

 private:
  explicit LocalCluster(ClusterOptions options) : options_(options) {}
  std::string NodeDir(int i) const;
  absl::Status Setup();

  ClusterOptions options_;
  TempDir dir_;
  std::unique_ptr<aws::testing::MotoServer> moto_;  // with s3_nodes
  std::string s3_unavailable_;
  std::unique_ptr<kms_local::testing::LocalKmsProcess> kms_;
  std::string kms_key_id_;
  struct Node {
    std::unique_ptr<ChildProcess> host;
    std::unique_ptr<ChildProcess> enclave;
    std::unique_ptr<enclave::v1::Enclave::Stub> stub;
  };
  std::vector<Node> nodes_;
};

// Verifies an ECDSA secp256k1 signature over SHA-256(message) with
// OpenSSL's command line (an independent verifier): the public key
// (compressed, 33 bytes) as a PEM SubjectPublicKeyInfo, the signature as
// DER. Returns the openssl output; OK iff it printed "Verified OK".
absl::Status VerifyWithOpenssl(const std::string& dir,
                               const std::string& public_key,
                               const std::string& r, const std::string& s,
                               const std::string& message);

}  // namespace nitro_tss::testing

#endif  // NITRO_TSS_TESTS_NODE_CLUSTER_CLUSTER_H_
