// Fuzz target: the approval policy decoders (the canonical encoding of
// node/approval/policy.h, the ApprovalPolicy protobuf message) and the
// approver public-key parser (raw, DER SPKI, PEM) for both algorithms.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "node/approval/policy.h"
#include "node/approval/proto.h"

using nitro_tss::approval::ApprovalPolicy;
using nitro_tss::approval::ApproverAlgorithm;
using nitro_tss::approval::ApproverKey;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace a = nitro_tss::approval;
  const absl::Span<const uint8_t> in(data, size);
  const std::vector<uint8_t> bytes(data, data + size);

  // Canonical encoding: only canonical input decodes, and it re-encodes to
  // itself; the protobuf form of the same policy has the same digest.
  absl::StatusOr<ApprovalPolicy> policy = a::DecodePolicy(in);
  if (policy.ok()) {
    if (a::EncodePolicy(*policy) != bytes) abort();
    absl::StatusOr<ApprovalPolicy> via_proto =
        a::DecodePolicyMessage(a::EncodeMessage(a::PolicyToProto(*policy)));
    if (!via_proto.ok() || via_proto->digest() != policy->digest()) abort();
  }

  // Protobuf message: a decoded policy's canonical encoding decodes back.
  absl::StatusOr<ApprovalPolicy> message = a::DecodePolicyMessage(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (message.ok()) {
    absl::StatusOr<ApprovalPolicy> canonical =
        a::DecodePolicy(message->encoding());
    if (!canonical.ok() || canonical->digest() != message->digest()) abort();
  }

  // Public keys: a parsed key's raw form parses to the same key.
  for (ApproverAlgorithm alg :
       {ApproverAlgorithm::kEd25519, ApproverAlgorithm::kEcdsaP256Sha256}) {
    absl::StatusOr<ApproverKey> key = ApproverKey::Parse(alg, in);
    if (!key.ok()) continue;
    absl::StatusOr<ApproverKey> raw =
        ApproverKey::Parse(alg, key->public_key());
    if (!raw.ok() || !(*raw == *key) || raw->id() != key->id()) abort();
  }
  return 0;
}
