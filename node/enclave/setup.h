// From a validated EnclaveConfig to a running EnclaveCore: the NSM (device
// or simulated), the peer allowlist verifier, the KMS client (credentials
// from the host, refreshed before they expire; traffic through the host's
// proxy), the host client and the keygen material pool.
#ifndef NITRO_TSS_NODE_ENCLAVE_SETUP_H_
#define NITRO_TSS_NODE_ENCLAVE_SETUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nitro_tss/enclave/config/v1/config.pb.h"
#include "node/attestation/nsm.h"
#include "node/enclave/core.h"
#include "node/enclave/host_client.h"
#include "node/enclave/kms_credentials.h"
#include "node/enclave/material_pool.h"
#include "node/enclave/metrics.h"
#include "node/kms/kms_client.h"
#include "node/vsock/address.h"

namespace nitro_tss::enclave {

using config::v1::EnclaveConfig;

// Checks every field; INVALID_ARGUMENT "<field path>: <problem>" (the first
// problem found), e.g. "attestation.allowed_images[0].pcrs[0]: must be 96
// hex digits". Files named by the config are not read here.
absl::Status ValidateEnclaveConfig(const EnclaveConfig& config);

struct EnclaveRuntime {
  vsock::SocketAddress listen;
  std::unique_ptr<attestation::Nsm> nsm;
  std::unique_ptr<GrpcHostClient> host;
  std::unique_ptr<kms::KmsClient> kms_client;
  std::unique_ptr<RefreshingKms> kms;  // kms_client, credentials kept fresh
  std::unique_ptr<MaterialPool> material;
  std::unique_ptr<EnclaveCore> core;  // uses the others
  std::unique_ptr<EnclaveMetrics> metrics;
  absl::Duration metrics_interval = absl::Seconds(10);
};

// Reserves and locks the arena that holds key shares
// (limits.locked_memory_bytes, default kDefaultLockedMemoryBytes) for the
// whole process. RESOURCE_EXHAUSTED naming RLIMIT_MEMLOCK and the field when
// it cannot be locked: tss-enclave refuses to start rather than keep shares
// in memory that could be swapped out (see node/README.md).
absl::Status InitializeLockedMemory(const EnclaveConfig& config);

// Builds everything (reads the files the config names, asks the host for
// credentials). The config must have passed ValidateEnclaveConfig.
// `sessions`: empty for tss-enclave (see core.h, SessionFactories).
absl::StatusOr<std::unique_ptr<EnclaveRuntime>> BuildEnclave(
    const EnclaveConfig& config, const std::string& version,
    SessionFactories sessions = {});

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_SETUP_H_
