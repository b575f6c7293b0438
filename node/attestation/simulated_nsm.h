// SimulatedNsm: an in-process Nitro Secure Module for local mode.
//
// Behaves like the real device: PCRs 0..31 in a SHA-384 bank, 0..15 locked
// at boot with PCR0/1/2 measured from an enclave image, PCR3 from the parent
// IAM role (optional), PCR4 from the instance id, PCR8 from the EIF signing
// certificate (optional), others zero; debug mode reports all-zero PCR0..2;
// 16..31 extendable until locked. Attestation documents are byte-for-byte
// in the Nitro format (untagged COSE_Sign1, protected a1 01 38 22, payload
// keys in AWS order, cabundle [root, regional, zonal, instance CA]), signed
// by a fresh per-document leaf issued by a per-boot instance CA of a DevCa.
// The document's pcrs map holds PCRs 0..15 and every locked PCR 16..31.
// Thread-safe.
#ifndef NITRO_TSS_NODE_ATTESTATION_SIMULATED_NSM_H_
#define NITRO_TSS_NODE_ATTESTATION_SIMULATED_NSM_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/attestation/dev_ca.h"
#include "node/attestation/document.h"
#include "node/attestation/measurement.h"
#include "node/attestation/nsm.h"

namespace nitro_tss::attestation {

// Milliseconds since the Unix epoch; injectable for tests.
using ClockMs = std::function<int64_t()>;

// The real wall clock.
int64_t WallClockMs();

struct SimulatedNsmConfig {
  // Image whose measurement gives PCR0..2 (ignored if `measurements` set).
  EnclaveImageParts image;
  std::optional<BootMeasurements> measurements;
  // EC2 instance id of the parent (PCR4, module_id prefix, instance CA CN).
  std::string instance_id = "i-00000000000000000";
  // Parent IAM role ARN (PCR3) and EIF signing certificate DER (PCR8).
  std::optional<std::string> iam_role_arn;
  std::optional<std::vector<uint8_t>> signing_certificate_der;
  // Debug mode: PCR0..2 read as zero.
  bool debug_mode = false;
  // Clock used for document timestamps and certificate validity; defaults to
  // WallClockMs.
  ClockMs clock;
};

class SimulatedNsm : public Nsm {
 public:
  // "Boots" an enclave: measures PCRs, picks module_id
  // "<instance_id>-enc<16 hex>", issues the instance CA from `ca`.
  static absl::StatusOr<std::unique_ptr<SimulatedNsm>> Boot(
      const DevCa& ca, SimulatedNsmConfig config);

  absl::StatusOr<std::vector<uint8_t>> GetAttestationDocument(
      const std::optional<std::vector<uint8_t>>& user_data,
      const std::optional<std::vector<uint8_t>>& nonce,
      const std::optional<std::vector<uint8_t>>& public_key) override;
  absl::StatusOr<PcrDescription> DescribePcr(uint16_t index) override;
  absl::StatusOr<std::vector<uint8_t>> ExtendPcr(
      uint16_t index, absl::Span<const uint8_t> data) override;
  absl::Status LockPcr(uint16_t index) override;
  absl::Status LockPcrs(uint16_t range) override;
  absl::StatusOr<std::vector<uint8_t>> GetRandom() override;
  absl::StatusOr<NsmDescription> DescribeNsm() override;

  // Serves one raw CBOR request as the device would (errors become
  // {"Error": code} responses); usable as an NsmDevice transport. Fails only
  // if the request is not decodable (the device's InvalidArgument path is
  // still returned as an encoded error response).
  absl::StatusOr<std::vector<uint8_t>> HandleRawRequest(
      absl::Span<const uint8_t> request);

  const std::string& module_id() const { return module_id_; }
  // DER of the pinned root this NSM's documents chain to.
  std::vector<uint8_t> RootDer() const { return ca_.RootDer(); }

 private:
  SimulatedNsm(DevCa ca, SimulatedNsmConfig config);

  DevCa ca_;
  SimulatedNsmConfig config_;
  std::string module_id_;
  IssuedKeyPair instance_ca_;
  std::mutex mu_;
  std::array<std::vector<uint8_t>, kNsmMaxPcrs> pcrs_;
  std::array<bool, kNsmMaxPcrs> locked_{};
};

// Signs `payload` as a Nitro COSE_Sign1 with `leaf_key` (P-384, ES384,
// raw r || s), using `protected_header` verbatim (tests pass other headers
// to produce wrong-alg documents). Tagged with 18 if `tagged`.
absl::StatusOr<std::vector<uint8_t>> SignCoseSign1(
    absl::Span<const uint8_t> payload, EVP_PKEY* leaf_key, bool tagged = false,
    absl::Span<const uint8_t> protected_header = kEs384ProtectedHeader);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_SIMULATED_NSM_H_
