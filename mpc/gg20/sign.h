// GG20 one-round online signing with identifiable abort.
//
// Each signer hashes the message itself (SHA-256 or Keccak-256; signing a
// caller-supplied raw digest needs an explicit option), checks that the
// request matches what the presignature is bound to (key id, signer set,
// derivation tweak), persists "used" through the caller's hook, and only
// then computes its share s_i = m·k_i + r·σ_i. A presignature is never
// usable twice.
//
// Combining: s = Σ s_i, low-s normalization, recovery id, and verification
// with libsecp256k1 against the (tweaked) public key. A share that fails
// s_i·R = m·R̄_i + r·S_i names its signer.
#ifndef NITRO_TSS_MPC_GG20_SIGN_H_
#define NITRO_TSS_MPC_GG20_SIGN_H_

#include <array>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/gg20/presign.h"
#include "mpc/round/round.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20 {

inline constexpr size_t kMaxSignMessageBytes = 1 << 20;

enum class DigestAlgorithm {
  kSha256,
  kKeccak256,
  // The message is already a 32-byte digest. Refused unless
  // SignRequest::allow_raw_digest is set (CVE-2025-66017: a raw digest lets
  // the requester choose m freely against a presignature).
  kRawDigest,
};

struct SignRequest {
  KeyId key_id{};
  std::vector<round::PartyId> signers;  // must equal the presignature's set
  Scalar tweak;                         // must equal the presignature's
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  std::vector<uint8_t> message;  // at most kMaxSignMessageBytes
  bool allow_raw_digest = false;
};

// The 32-byte digest the request signs. Errors: "sign: raw digest not
// allowed", "sign: raw digest must be 32 bytes", "sign: message too large".
absl::StatusOr<std::array<uint8_t, 32>> RequestDigest(const SignRequest& req);

struct SignatureShare {
  round::PartyId signer = 0;
  PresignatureId presignature_id{};
  Scalar s;
};

// Called with the presignature id before the share is computed; must
// durably record that the presignature is used. A non-OK status stops the
// signing (the presignature stays consumed in memory regardless).
using MarkUsedHook = std::function<absl::Status(const PresignatureId&)>;

// Produces this signer's share. Errors ("sign: ..."): presignature already
// used, key id / signer set / tweak mismatch with the binding, digest
// errors, hook failure.
absl::StatusOr<SignatureShare> SignShare(Presignature& presignature,
                                         const SignRequest& request,
                                         const MarkUsedHook& mark_used);

// Combines exactly one share per signer. On success returns a low-s
// signature with its recovery id that verifies under pub.public_key. If a
// share is wrong, returns an error and fills `culprits` with every signer
// whose share fails s_i·R = m·R̄_i + r·S_i.
absl::StatusOr<EcdsaSignature> CombineShares(
    const PresignaturePublic& pub, absl::Span<const uint8_t> digest,
    absl::Span<const SignatureShare> shares,
    std::vector<round::Culprit>* culprits);

// Wire form of a share (strict decoding, errors "sign: ...").
v1::SignatureShare SignatureShareToProto(const SignatureShare& share);
absl::StatusOr<SignatureShare> SignatureShareFromProto(
    const v1::SignatureShare& proto);
absl::StatusOr<SignatureShare> SignatureShareFromBytes(
    absl::Span<const uint8_t> bytes);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_SIGN_H_
