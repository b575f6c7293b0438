// Statement-independent strict decoding of every GG20 round payload: the
// protobuf layer (canonical, no unknown fields), every integer / point /
// scalar / digest field and every embedded proof's FromProto, exactly as the
// rounds apply them before any cryptographic check. Used by the fuzz
// targets and available to a node that wants to reject garbage early.
#ifndef NITRO_TSS_MPC_GG20_PAYLOAD_SYNTAX_H_
#define NITRO_TSS_MPC_GG20_PAYLOAD_SYNTAX_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace nitro_tss::mpc::gg20 {

enum class PayloadKind : uint8_t {
  kKeygenCommit = 0,
  kKeygenDecommit,
  kKeygenShare,
  kKeygenShareProof,
  kKeygenFacProof,
  kKeygenConfirm,
  kPresignRound1,
  kPresignRound1Direct,
  kPresignRound2,
  kPresignRound2Direct,
  kPresignRound3,
  kPresignRound4,
  kPresignRound4Direct,
  kSignatureShare,
  kPresignReveal,
  kPresignSigmaReveal,
  kPresignSigmaRevealDirect,
  kCount,
};

// OK iff `bytes` is a well-formed payload of `kind`. `threshold` bounds the
// VSS commitment count of a keygen decommitment (exactly t + 1).
absl::Status CheckPayloadSyntax(PayloadKind kind,
                                absl::Span<const uint8_t> bytes,
                                uint32_t threshold);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_PAYLOAD_SYNTAX_H_
