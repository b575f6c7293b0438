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
#include "coordinator/relay/relay.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"
#include "node/attestation/simulated_nsm.h"
#include "node/kms/kms_client.h"
#include "node/kms/recipient_key.h"
#include "node/kms/sealed_share.h"
#include "tests/node/aws/moto_server.h"
#include "tests/node/cluster/byte_tap.h"
#include "tests/node/cluster/child_process.h"
#include "tests/tools/kms-local/local_kms_process.h"

namespace nitro_tss::testing {

struct ClusterOptions {
  int nodes = 3;
  uint64_t round_deadline_ms = 60000;
  bool share_ring_pedersen_modulus = true;  // halves the prime search
  // The enclaves' keygen_material.pool_size (0: their default, 1 set).
  uint32_t keygen_material_pool_size = 0;
  // Nodes (0-based) whose host keeps sealed blobs in S3 instead of its
  // local directory: a versioned bucket on moto's S3 server (python3 -m
  // moto.server), which the harness starts on an ephemeral loopback port
  // and stops with the cluster. If python3 cannot run moto they stay on the
  // local directory and s3_unavailable() says why.
  std::vector<int> s3_nodes = {};
  // The production paths through each host, with a recording relay
  // (byte_tap.h) on every one that crosses it: the harness reaches each
  // enclave through its host's inbound listener (TCP, mutual TLS with
  // certificates the harness makes, as the coordinator does), and the tap
  // sits between the host and the enclave's service, where the host has the
  // stream in clear; the enclave's host service and its KMS proxy (the
  // host's outbound listener) are reached through taps too. Without `tap`
  // the harness talks to the enclaves' sockets directly.
  bool tap = false;
  // Nodes (0-based) whose enclave is the test-only cheating enclave
  // (tests/node/cheating_enclave: tss-enclave with a cheat of
  // mpc/testing/gg20_cheats.h in its presign runs), with the cheat's name
  // (its --cheat flag). It attests as the image StartEnclave is given.
  std::map<int, std::string> cheaters = {};
};

// The paths a tap records (ClusterOptions::tap).
enum class TapPath { kInbound, kHostService, kKmsProxy };

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
  // cheating enclave if options.cheaters names node i; with
  // attestation.link_max_age_ms = `link_max_age_ms` and
  // limits.max_sessions_per_link = `max_sessions_per_link` (0: the
  // defaults).
  absl::Status StartEnclave(int i, const std::string& pcr0_hex = GoodPcr0(),
                            uint64_t link_max_age_ms = 0,
                            uint32_t max_sessions_per_link = 0);
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
  // The harness's connection to node i's enclave (its Sessions stream).
  coordinator::EnclaveConnection& connection(int i);
  // Runs one raw session item sequence on node i's Sessions stream (a
  // stream of its own, id 1): `inputs` in order, then a half-close.
  // Returns the session's end status (its outputs are dropped).
  absl::Status RawSession(int i,
                          const std::vector<enclave::v1::SessionInput>& inputs);
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
  // envelope, until every node reported; then half-closes the sessions.
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

  // For a test that plays a malicious coordinator: as Run, and before each
  // envelope it relays from node `from` to node `to` (the `index`-th on
  // that path in this run, from 0), the relay delivers the envelopes
  // `inject` returns (RunOptions::inject). Each node's own deadline times
  // its rounds.
  using Inject = std::function<std::vector<std::string>(
      int from, int to, int index, const std::string& envelope)>;
  std::map<int, SessionOutcome> RunInjecting(
      const std::vector<int>& nodes, const enclave::v1::StartSession& start,
      Inject inject);

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

  // With ClusterOptions::tap: everything recorded so far on every node's
  // taps; the socket a tap listens on (the enclave, or the host, connects
  // there); node i's host service socket itself (not tapped).
  std::vector<ByteTap::Stream> TapStreams() const;
  std::string TapSocket(int i, TapPath path) const;
  std::string HostServiceSocket(int i) const;
  std::string NodeDirectory(int i) const { return NodeDir(i); }

  // What a test can do because it holds the development CA and the KMS
  // key's policy admits the good image: be an enclave of that image.
  // Node i's sealed record of `key_id` as its host serves it (asked on the
  // host's service socket directly, not through a tap), and its contents
  // unsealed through KMS for the harness's own attested recipient key (the
  // production UnsealShare, trusting epoch `min_epoch`).
  struct StoredShare {
    std::string blob;
    uint64_t epoch = 0;  // as the host reports it
    kms::UnsealedShare opened;
  };
  absl::StatusOr<StoredShare> UnsealStoredShare(int i,
                                                const std::string& key_id,
                                                uint64_t min_epoch = 0);
  // `opened` sealed again (production SealShare, fresh data key) as a
  // record of `epoch`.
  absl::StatusOr<std::string> Reseal(const kms::UnsealedShare& opened,
                                     uint64_t epoch);
  // Host.PutBlob on node i's host service socket, as the host itself (or
  // anything on the parent) could: the status of the call.
  absl::Status PutBlobAsHost(int i, const std::string& key_id, uint64_t epoch,
                             const std::string& blob);

 private:
  explicit LocalCluster(ClusterOptions options) : options_(options) {}
  std::string NodeDir(int i) const;
  absl::Status Setup();
  // Runs `starts` (by node) through the coordinator's relay.
  std::map<int, SessionOutcome> Relay(
      const std::map<int, enclave::v1::StartSession>& starts,
      coordinator::RunOptions options);
  // Connects the harness's stub to node i's enclave (through the host's
  // inbound path with `tap`).
  absl::Status Dial(int i);

  ClusterOptions options_;
  TempDir dir_;
  std::unique_ptr<aws::testing::MotoServer> moto_;  // with s3_nodes
  std::string s3_unavailable_;
  std::unique_ptr<kms_local::testing::LocalKmsProcess> kms_;
  std::string kms_key_id_;
  struct Node {
    std::unique_ptr<ChildProcess> host;
    std::unique_ptr<ChildProcess> enclave;
    std::unique_ptr<coordinator::EnclaveConnection> connection;
    std::vector<std::unique_ptr<ByteTap>> taps;  // by TapPath
  };
  // The harness's own "enclave" of the good image (UnsealStoredShare).
  absl::Status MakeTestEnclave();
  std::unique_ptr<attestation::SimulatedNsm> test_nsm_;
  std::unique_ptr<kms::RecipientKey> test_recipient_;
  std::unique_ptr<kms::KmsClient> test_kms_;
  // With `tap`: the inbound path's certificates (PEM).
  std::string ca_pem_, client_cert_pem_, client_key_pem_;
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
