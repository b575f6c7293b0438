// Conversions between the approval library's types and the messages of
// protos/nitro_tss/approval/v1/approval.proto, and strict decoders of those
// messages' bytes.
//
// Every Decode*Message: refuses input above its size limit before parsing;
// parses with protobuf; requires no unknown fields and the deterministic
// (canonical) encoding, comparing a re-encoding byte for byte (so repeated
// scalar fields, reordered or duplicated fields are refused); then converts
// with the matching *FromProto, which requires every field and validates it
// (the same checks as the canonical decoders of policy.h and request.h).
// Errors are InvalidArgument and name the message and field.
//
// *FromProto also serves messages embedded in other protos (an enclave RPC
// carrying an ApprovalBundle, a configuration file carrying an
// ApprovalPolicy in text or JSON form): the caller parses the outer message
// and hands the inner one over.
#ifndef NITRO_TSS_NODE_APPROVAL_PROTO_H_
#define NITRO_TSS_NODE_APPROVAL_PROTO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nitro_tss/approval/v1/approval.pb.h"
#include "node/approval/policy.h"
#include "node/approval/request.h"
#include "node/approval/verifier.h"

namespace nitro_tss::approval {

inline constexpr uint32_t kProtoVersion = 1;
// Size limits of the encoded messages (PEM keys and labels at most).
inline constexpr size_t kMaxPolicyMessageBytes =
    kMaxApprovers * (kMaxEncodedPublicKeyBytes + kMaxLabelBytes + 16) + 64;
inline constexpr size_t kMaxRequestMessageBytes = 512;
inline constexpr size_t kMaxBundleMessageBytes =
    64 +
    kMaxApprovalsPerRequest * (2 + 2 + kDigestBytes + 2 + kMaxSignatureBytes);

// Approvals and the nonce/expiry they were made for, as carried next to an
// operation's own fields (ApprovalBundle).
struct ApprovalBundle {
  uint64_t expiry_unix_ms = 0;
  std::vector<uint8_t> nonce;
  std::vector<Approval> approvals;
};

// Deterministic protobuf encoding of `message`.
std::string EncodeMessage(const google::protobuf::MessageLite& message);

// ApprovalPolicy: version 1, 1..32 approvers (algorithm, public key in any
// form ApproverKey::Parse accepts, label optional), quorum with all four
// fields; then ApprovalPolicy::Create (distinct keys, 1 <= m <= k).
absl::StatusOr<ApprovalPolicy> PolicyFromProto(const v1::ApprovalPolicy& proto);
// Raw keys, canonical order, version 1.
v1::ApprovalPolicy PolicyToProto(const ApprovalPolicy& policy);
absl::StatusOr<ApprovalPolicy> DecodePolicyMessage(absl::string_view bytes);

// ApprovalRequest: version 1 and every field of request.h.
absl::StatusOr<ApprovalRequest> RequestFromProto(
    const v1::ApprovalRequest& proto);
v1::ApprovalRequest RequestToProto(const ApprovalRequest& request);
absl::StatusOr<ApprovalRequest> DecodeRequestMessage(absl::string_view bytes);

// ApprovalBundle: expiry > 0, nonce 16..32 bytes, 0..32 approvals each with
// a 32-byte approver id and a 1..72-byte signature (the per-algorithm
// format is checked by CheckApprovals, which knows the approver).
absl::StatusOr<ApprovalBundle> BundleFromProto(const v1::ApprovalBundle& proto);
v1::ApprovalBundle BundleToProto(const ApprovalBundle& bundle);
absl::StatusOr<ApprovalBundle> DecodeBundleMessage(absl::string_view bytes);

// The request an enclave checks for an operation it is about to perform:
// its own key id, operation, hash function, digest and derivation path, and
// the bundle's expiry and nonce (verifier.h explains why).
ApprovalRequest RequestForOperation(const KeyId& key_id, Operation operation,
                                    HashFunction hash_function,
                                    const Digest32& message_digest,
                                    std::vector<uint32_t> derivation_path,
                                    const ApprovalBundle& bundle);

}  // namespace nitro_tss::approval

#endif  // NITRO_TSS_NODE_APPROVAL_PROTO_H_
