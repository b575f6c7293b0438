// One strict decoder per GG20 round payload: the syntax layer that the
// rounds, the complaint judges and the fuzz target (gg20_payload_fuzz) all
// call. A decoder checks only what does not depend on the statement: the
// protobuf layer (canonical, no unknown fields; codec.h), every integer /
// point / scalar / digest field (sizes, canonical encodings, points not the
// identity), list lengths bounded by kMaxPayloadListEntries, and every
// embedded proof's FromProto. It returns a typed value; the round then
// checks it against its statement (commitment openings, ciphertexts against
// the right Paillier key, proofs, entry order against the signer set) and
// keeps it.
//
// Errors are InvalidArgument "keygen: ..." / "presign: ..." naming the field
// (the round's engine names the sender with CulpritCode::kBadMessage).
// Decoded secrets (a VSS share) live in Scalar / BigInt fields, which wipe
// themselves when destroyed; the protobuf copies are wiped by the decoder.
#ifndef NITRO_TSS_MPC_GG20_PAYLOADS_H_
#define NITRO_TSS_MPC_GG20_PAYLOADS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/curve/secp256k1.h"
#include "mpc/math/bigint.h"
#include "mpc/round/round.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_log_rp.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"
#include "mpc/zk/schnorr.h"

namespace nitro_tss::mpc::gg20 {

using Digest32 = std::array<uint8_t, 32>;

// Bound on the per-signer lists of the reveal payloads (at most 16 signers).
inline constexpr int kMaxPayloadListEntries = 15;

// ------------------------------------------------------------------ keygen

struct KeygenCommitPayload {  // round 1, broadcast
  Digest32 commitment{};
};
struct KeygenDecommitPayload {  // round 2, broadcast
  std::string salt;             // 32 bytes
  std::vector<Point> vss;       // exactly threshold + 1
  zk::SchnorrProof schnorr_u;
  BigInt paillier_n, rp_n, rp_s, rp_t;
  zk::PiModProof pi_mod;
  zk::PiPrmProof pi_prm;
};
struct KeygenSharePayload {  // round 2, direct (secret)
  Scalar share;
};
struct KeygenShareProofPayload {  // round 3, broadcast
  zk::SchnorrProof schnorr_x;
};
struct KeygenFacProofPayload {  // round 3, direct
  zk::PiFacProof pi_fac;
};
struct KeygenConfirmPayload {  // round 4, broadcast
  Digest32 key_id{};
};

absl::StatusOr<KeygenCommitPayload> DecodeKeygenCommit(
    absl::Span<const uint8_t> bytes);
// `threshold`: the decommitment must carry exactly threshold + 1 VSS
// commitments (checked before any point is decoded).
absl::StatusOr<KeygenDecommitPayload> DecodeKeygenDecommit(
    absl::Span<const uint8_t> bytes, uint32_t threshold);
absl::StatusOr<KeygenSharePayload> DecodeKeygenShare(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<KeygenShareProofPayload> DecodeKeygenShareProof(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<KeygenFacProofPayload> DecodeKeygenFacProof(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<KeygenConfirmPayload> DecodeKeygenConfirm(
    absl::Span<const uint8_t> bytes);

// ----------------------------------------------------------------- presign

struct PresignRound1Payload {  // broadcast
  BigInt cap_k;                // K_j (validity under N_j: the round's check)
  Digest32 gamma_commitment{};
};
struct PresignRound1DirectPayload {
  zk::PiEncProof pi_enc;
};
struct PresignRound2Payload {  // broadcast
  Point gamma;
  std::string salt;  // 32 bytes
};
// One MtA response as sent (the exact bytes are what the round-3
// received_mta_digest and the reveal rounds refer to).
struct MtaResponseBytes {
  std::string d, y, proof;
};
struct PresignRound2DirectPayload {
  BigInt d_gamma, d_w;
  Point y_gamma, y_w;  // the masks' points Y = y·G
  zk::PiAffGProof aff_gamma, aff_w;
  MtaResponseBytes gamma_bytes, w_bytes;
};
struct PresignRound3Payload {  // broadcast
  Scalar delta;
  Point cap_t;
  zk::PedersenPokProof pok;
  Digest32 received_mta_digest{};
};
struct PresignRound4Payload {  // broadcast
  Point r_bar, cap_s;
  zk::EqualityProof equality;
};
struct PresignRound4DirectPayload {
  zk::PiLogRpProof log_rp;
};
// One MtA response's values (D, Y, Πaff-g).
struct MtaResponseValues {
  BigInt d;
  Point y;
  zk::PiAffGProof proof;
};
// δ reveal (round 5, or 4 when round 3 finds δ = 0 / R = identity): the
// MtA(k·γ) responses; σ reveal: the MtAwc ones. Each with the same Bob's
// other round-2 response (`other`: MtAwc in the δ reveal, MtA(k·γ) in the σ
// reveal) for the re-check of the pair (zk::VerifyPiAffGPair).
struct RevealedMtaResponse {
  round::PartyId from = 0;
  BigInt d;
  Point y;
  zk::PiAffGProof proof;
  MtaResponseBytes bytes;
  MtaResponseValues other;
};
struct PresignRevealPayload {  // broadcast
  Scalar gamma;
  BigInt k_plain, k_nonce;
  std::vector<RevealedMtaResponse> received;  // as listed
};
// σ reveal (round 5).
struct PresignSigmaRevealPayload {  // broadcast
  BigInt k_plain, k_nonce;
  std::vector<RevealedMtaResponse> received;  // MtAwc responses, as listed
};

absl::StatusOr<PresignRound1Payload> DecodePresignRound1(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRound1DirectPayload> DecodePresignRound1Direct(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRound2Payload> DecodePresignRound2(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRound2DirectPayload> DecodePresignRound2Direct(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRound3Payload> DecodePresignRound3(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRound4Payload> DecodePresignRound4(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRound4DirectPayload> DecodePresignRound4Direct(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignRevealPayload> DecodePresignReveal(
    absl::Span<const uint8_t> bytes);
absl::StatusOr<PresignSigmaRevealPayload> DecodePresignSigmaReveal(
    absl::Span<const uint8_t> bytes);

// ------------------------------------------------------------ fuzz driver

// Every payload kind, for the fuzz target (tests/fuzz/mpc/gg20): the
// numbering is the first byte of the fuzzer's corpus files, keep it.
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
  kCount,
};

// Runs the decoder of `kind` (SignatureShareFromBytes for kSignatureShare)
// and drops the value. `threshold` is DecodeKeygenDecommit's.
absl::Status CheckPayloadSyntax(PayloadKind kind,
                                absl::Span<const uint8_t> bytes,
                                uint32_t threshold);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_PAYLOADS_H_
