#include "mpc/gg20/payloads.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/sign.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"
#include "nitro_tss/mpc/v1/paillier_proofs.pb.h"

namespace nitro_tss::mpc::gg20 {
namespace {

constexpr char kKeygen[] = "keygen";
constexpr char kPresign[] = "presign";
// Bound of the embedded Schnorr proofs of the keygen payloads.
constexpr size_t kMaxSchnorrBytes = 4096;

absl::Status Bad(absl::string_view what, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", msg));
}

// An embedded proof: strict protobuf (at most `max_bytes`), then the proof
// type's FromProto (its error prefixed with "<what>: ").
template <typename Proto, typename Proof, typename FromProtoFn>
absl::StatusOr<Proof> DecodeProof(const std::string& bytes, size_t max_bytes,
                                  absl::string_view what,
                                  absl::string_view field, FromProtoFn from) {
  Proto pb;
  if (absl::Status st = ParseEmbedded(bytes, max_bytes, pb, what, field);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<Proof> p = from(pb);
  if (!p.ok()) return Bad(what, p.status().message());
  return p;
}

// Πmod / Πprm / Πfac travel as opaque bytes (keygen_proofs.h) whose errors
// read "<what>: <proof>: proof ...".
template <typename Proto, typename Proof, typename FromProtoFn>
absl::StatusOr<Proof> DecodeKeygenProof(const std::string& bytes,
                                        absl::string_view name,
                                        FromProtoFn from) {
  if (bytes.size() > kMaxProofBytes) {
    return Bad(kKeygen, absl::StrCat(name, " too large"));
  }
  Proto pb;
  if (absl::Status st =
          ParseEmbedded(bytes, kMaxProofBytes, pb,
                        absl::StrCat(kKeygen, ": ", name), "proof");
      !st.ok()) {
    return st;
  }
  absl::StatusOr<Proof> p = from(pb);
  if (!p.ok()) return Bad(kKeygen, p.status().message());
  return p;
}

#define NITRO_ASSIGN_OR_RETURN(lhs, expr) \
  {                                       \
    auto _v = (expr);                     \
    if (!_v.ok()) return _v.status();     \
    lhs = *std::move(_v);                 \
  }
#define NITRO_RETURN_IF_ERROR(expr) \
  {                                 \
    absl::Status _st = (expr);      \
    if (!_st.ok()) return _st;      \
  }

absl::StatusOr<BigInt> Ciphertext(const std::string& bytes,
                                  absl::string_view field) {
  return DecodeInt(bytes, kMaxCiphertextMagnitudeBytes, kPresign, field);
}
absl::StatusOr<BigInt> ModulusSized(const std::string& bytes,
                                    absl::string_view what,
                                    absl::string_view field) {
  return DecodeInt(bytes, kMaxModulusMagnitudeBytes, what, field);
}

absl::StatusOr<zk::PiAffGProof> AffG(const std::string& bytes,
                                     absl::string_view field) {
  return DecodeProof<v1::PiAffGProof, zk::PiAffGProof>(
      bytes, kMaxProofBytes, kPresign, field, zk::PiAffGProofFromProto);
}

// The MtAwc response's part of Bob's Πaff-g pair (no A, w: those are in
// the MtA(γ) response's part).
absl::StatusOr<zk::PiAffGProof> AffGSecond(const std::string& bytes,
                                           absl::string_view field) {
  return DecodeProof<v1::PiAffGProof, zk::PiAffGProof>(
      bytes, kMaxProofBytes, kPresign, field, zk::PiAffGPairSecondFromProto);
}

}  // namespace

// ------------------------------------------------------------------ keygen

absl::StatusOr<KeygenCommitPayload> DecodeKeygenCommit(
    absl::Span<const uint8_t> bytes) {
  v1::KeygenCommit pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kKeygen));
  KeygenCommitPayload out;
  NITRO_ASSIGN_OR_RETURN(out.commitment,
                         DecodeDigest(pb.commitment(), kKeygen, "commitment"));
  return out;
}

absl::StatusOr<KeygenDecommitPayload> DecodeKeygenDecommit(
    absl::Span<const uint8_t> bytes, uint32_t threshold) {
  v1::KeygenDecommit pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kKeygen));
  if (pb.salt().size() != 32) return Bad(kKeygen, "salt must be 32 bytes");
  // Exactly t+1 VSS commitments (checked before decoding any point).
  if (static_cast<size_t>(pb.vss_commitments_size()) != threshold + 1) {
    return Bad(kKeygen,
               absl::StrCat("vss: expected exactly ", threshold + 1,
                            " commitments, got ", pb.vss_commitments_size()));
  }
  KeygenDecommitPayload out;
  out.salt = pb.salt();
  for (const std::string& b : pb.vss_commitments()) {
    absl::StatusOr<Point> p = DecodePt(b, kKeygen, "vss_commitment");
    if (!p.ok()) return p.status();
    out.vss.push_back(*p);
  }
  NITRO_ASSIGN_OR_RETURN(
      out.schnorr_u, (DecodeProof<v1::SchnorrProof, zk::SchnorrProof>(
                         pb.schnorr_u(), kMaxSchnorrBytes, kKeygen, "schnorr_u",
                         zk::SchnorrProofFromProto)));
  NITRO_ASSIGN_OR_RETURN(out.paillier_n,
                         ModulusSized(pb.paillier_n(), kKeygen, "paillier_n"));
  NITRO_ASSIGN_OR_RETURN(out.rp_n, ModulusSized(pb.rp_n(), kKeygen, "rp_n"));
  NITRO_ASSIGN_OR_RETURN(out.rp_s, ModulusSized(pb.rp_s(), kKeygen, "rp_s"));
  NITRO_ASSIGN_OR_RETURN(out.rp_t, ModulusSized(pb.rp_t(), kKeygen, "rp_t"));
  NITRO_ASSIGN_OR_RETURN(out.pi_mod,
                         (DecodeKeygenProof<v1::PiModProof, zk::PiModProof>(
                             pb.pi_mod(), "pi_mod", zk::PiModProofFromProto)));
  NITRO_ASSIGN_OR_RETURN(out.pi_prm,
                         (DecodeKeygenProof<v1::PiPrmProof, zk::PiPrmProof>(
                             pb.pi_prm(), "pi_prm", zk::PiPrmProofFromProto)));
  return out;
}

absl::StatusOr<KeygenSharePayload> DecodeKeygenShare(
    absl::Span<const uint8_t> bytes) {
  v1::KeygenShare pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kKeygen));
  absl::StatusOr<Scalar> share = DecodeSc(pb.share(), kKeygen, "share");
  sodium_memzero(pb.mutable_share()->data(), pb.share().size());
  if (!share.ok()) return share.status();
  KeygenSharePayload out;
  out.share = *share;
  return out;  // `share` wipes itself
}

absl::StatusOr<KeygenShareProofPayload> DecodeKeygenShareProof(
    absl::Span<const uint8_t> bytes) {
  v1::KeygenShareProof pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kKeygen));
  KeygenShareProofPayload out;
  NITRO_ASSIGN_OR_RETURN(
      out.schnorr_x, (DecodeProof<v1::SchnorrProof, zk::SchnorrProof>(
                         pb.schnorr_x(), kMaxSchnorrBytes, kKeygen, "schnorr_x",
                         zk::SchnorrProofFromProto)));
  return out;
}

absl::StatusOr<KeygenFacProofPayload> DecodeKeygenFacProof(
    absl::Span<const uint8_t> bytes) {
  v1::KeygenFacProof pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kKeygen));
  KeygenFacProofPayload out;
  NITRO_ASSIGN_OR_RETURN(out.pi_fac,
                         (DecodeKeygenProof<v1::PiFacProof, zk::PiFacProof>(
                             pb.pi_fac(), "pi_fac", zk::PiFacProofFromProto)));
  return out;
}

absl::StatusOr<KeygenConfirmPayload> DecodeKeygenConfirm(
    absl::Span<const uint8_t> bytes) {
  v1::KeygenConfirm pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kKeygen));
  KeygenConfirmPayload out;
  NITRO_ASSIGN_OR_RETURN(out.key_id,
                         DecodeDigest(pb.key_id(), kKeygen, "key_id"));
  return out;
}

// ----------------------------------------------------------------- presign

absl::StatusOr<PresignRound1Payload> DecodePresignRound1(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound1 pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound1Payload out;
  NITRO_ASSIGN_OR_RETURN(out.cap_k, Ciphertext(pb.cap_k(), "cap_k"));
  NITRO_ASSIGN_OR_RETURN(
      out.gamma_commitment,
      DecodeDigest(pb.gamma_commitment(), kPresign, "gamma_commitment"));
  return out;
}

absl::StatusOr<PresignRound1DirectPayload> DecodePresignRound1Direct(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound1Direct pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound1DirectPayload out;
  NITRO_ASSIGN_OR_RETURN(out.pi_enc,
                         (DecodeProof<v1::PiEncProof, zk::PiEncProof>(
                             pb.pi_enc(), kMaxProofBytes, kPresign, "pi_enc",
                             zk::PiEncProofFromProto)));
  return out;
}

absl::StatusOr<PresignRound2Payload> DecodePresignRound2(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound2 pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound2Payload out;
  NITRO_ASSIGN_OR_RETURN(out.gamma,
                         DecodePt(pb.gamma_point(), kPresign, "gamma_point"));
  if (pb.salt().size() != 32) return Bad(kPresign, "salt must be 32 bytes");
  out.salt = pb.salt();
  return out;
}

absl::StatusOr<PresignRound2DirectPayload> DecodePresignRound2Direct(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound2Direct pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound2DirectPayload out;
  NITRO_ASSIGN_OR_RETURN(out.d_gamma, Ciphertext(pb.d_gamma(), "d_gamma"));
  NITRO_ASSIGN_OR_RETURN(out.y_gamma,
                         DecodePt(pb.y_gamma(), kPresign, "y_gamma"));
  NITRO_ASSIGN_OR_RETURN(out.d_w, Ciphertext(pb.d_w(), "d_w"));
  NITRO_ASSIGN_OR_RETURN(out.y_w, DecodePt(pb.y_w(), kPresign, "y_w"));
  NITRO_ASSIGN_OR_RETURN(out.aff_gamma,
                         AffG(pb.pi_aff_gamma(), "pi_aff_gamma"));
  NITRO_ASSIGN_OR_RETURN(out.aff_w, AffGSecond(pb.pi_aff_w(), "pi_aff_w"));
  out.gamma_bytes =
      MtaResponseBytes{pb.d_gamma(), pb.y_gamma(), pb.pi_aff_gamma()};
  out.w_bytes = MtaResponseBytes{pb.d_w(), pb.y_w(), pb.pi_aff_w()};
  return out;
}

absl::StatusOr<PresignRound3Payload> DecodePresignRound3(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound3 pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound3Payload out;
  NITRO_ASSIGN_OR_RETURN(out.delta, DecodeSc(pb.delta(), kPresign, "delta"));
  NITRO_ASSIGN_OR_RETURN(out.cap_t, DecodePt(pb.cap_t(), kPresign, "cap_t"));
  NITRO_ASSIGN_OR_RETURN(
      out.pok, (DecodeProof<v1::PedersenPokProof, zk::PedersenPokProof>(
                   pb.pedersen_pok(), kMaxProofBytes, kPresign, "pedersen_pok",
                   zk::PedersenPokProofFromProto)));
  NITRO_ASSIGN_OR_RETURN(
      out.received_mta_digest,
      DecodeDigest(pb.received_mta_digest(), kPresign, "received_mta_digest"));
  return out;
}

absl::StatusOr<PresignRound4Payload> DecodePresignRound4(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound4 pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound4Payload out;
  NITRO_ASSIGN_OR_RETURN(out.r_bar, DecodePt(pb.r_bar(), kPresign, "r_bar"));
  NITRO_ASSIGN_OR_RETURN(out.cap_s, DecodePt(pb.cap_s(), kPresign, "cap_s"));
  NITRO_ASSIGN_OR_RETURN(
      out.equality, (DecodeProof<v1::EqualityProof, zk::EqualityProof>(
                        pb.equality(), kMaxProofBytes, kPresign, "equality",
                        zk::EqualityProofFromProto)));
  return out;
}

absl::StatusOr<PresignRound4DirectPayload> DecodePresignRound4Direct(
    absl::Span<const uint8_t> bytes) {
  v1::PresignRound4Direct pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRound4DirectPayload out;
  NITRO_ASSIGN_OR_RETURN(
      out.log_rp, (DecodeProof<v1::PiLogRpProof, zk::PiLogRpProof>(
                      pb.pi_log_rp(), kMaxProofBytes, kPresign, "pi_log_rp",
                      zk::PiLogRpProofFromProto)));
  return out;
}

absl::StatusOr<PresignRevealPayload> DecodePresignReveal(
    absl::Span<const uint8_t> bytes) {
  v1::PresignReveal pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignRevealPayload out;
  NITRO_ASSIGN_OR_RETURN(out.gamma, DecodeSc(pb.gamma(), kPresign, "gamma"));
  NITRO_ASSIGN_OR_RETURN(out.k_plain,
                         ModulusSized(pb.k_plain(), kPresign, "k_plain"));
  NITRO_ASSIGN_OR_RETURN(out.k_nonce,
                         ModulusSized(pb.k_nonce(), kPresign, "k_nonce"));
  if (pb.received_size() > kMaxPayloadListEntries) {
    return Bad(kPresign, "too many MtA responses");
  }
  for (const v1::ReceivedMtaResponse& e : pb.received()) {
    RevealedMtaResponse r;
    r.from = e.from();
    NITRO_ASSIGN_OR_RETURN(r.d, Ciphertext(e.d_gamma(), "d_gamma"));
    NITRO_ASSIGN_OR_RETURN(r.y, DecodePt(e.y_gamma(), kPresign, "y_gamma"));
    NITRO_ASSIGN_OR_RETURN(r.proof, AffG(e.pi_aff_gamma(), "pi_aff_gamma"));
    r.bytes = MtaResponseBytes{e.d_gamma(), e.y_gamma(), e.pi_aff_gamma()};
    NITRO_ASSIGN_OR_RETURN(r.other.d, Ciphertext(e.d_w(), "d_w"));
    NITRO_ASSIGN_OR_RETURN(r.other.y, DecodePt(e.y_w(), kPresign, "y_w"));
    NITRO_ASSIGN_OR_RETURN(r.other.proof, AffGSecond(e.pi_aff_w(), "pi_aff_w"));
    out.received.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<PresignSigmaRevealPayload> DecodePresignSigmaReveal(
    absl::Span<const uint8_t> bytes) {
  v1::PresignSigmaReveal pb;
  NITRO_RETURN_IF_ERROR(ParsePayload(bytes, pb, kPresign));
  PresignSigmaRevealPayload out;
  NITRO_ASSIGN_OR_RETURN(out.k_plain,
                         ModulusSized(pb.k_plain(), kPresign, "k_plain"));
  NITRO_ASSIGN_OR_RETURN(out.k_nonce,
                         ModulusSized(pb.k_nonce(), kPresign, "k_nonce"));
  if (pb.received_size() > kMaxPayloadListEntries) {
    return Bad(kPresign, "too many MtAwc responses");
  }
  for (const v1::ReceivedMtawcResponse& e : pb.received()) {
    RevealedMtaResponse r;
    r.from = e.from();
    NITRO_ASSIGN_OR_RETURN(r.d, Ciphertext(e.d_w(), "d_w"));
    NITRO_ASSIGN_OR_RETURN(r.y, DecodePt(e.y_w(), kPresign, "y_w"));
    NITRO_ASSIGN_OR_RETURN(r.proof, AffGSecond(e.pi_aff_w(), "pi_aff_w"));
    r.bytes = MtaResponseBytes{e.d_w(), e.y_w(), e.pi_aff_w()};
    NITRO_ASSIGN_OR_RETURN(r.other.d, Ciphertext(e.d_gamma(), "d_gamma"));
    NITRO_ASSIGN_OR_RETURN(r.other.y,
                           DecodePt(e.y_gamma(), kPresign, "y_gamma"));
    NITRO_ASSIGN_OR_RETURN(r.other.proof,
                           AffG(e.pi_aff_gamma(), "pi_aff_gamma"));
    out.received.push_back(std::move(r));
  }
  return out;
}

// ------------------------------------------------------------ fuzz driver

absl::Status CheckPayloadSyntax(PayloadKind kind,
                                absl::Span<const uint8_t> bytes,
                                uint32_t threshold) {
  switch (kind) {
    case PayloadKind::kKeygenCommit:
      return DecodeKeygenCommit(bytes).status();
    case PayloadKind::kKeygenDecommit:
      return DecodeKeygenDecommit(bytes, threshold).status();
    case PayloadKind::kKeygenShare:
      return DecodeKeygenShare(bytes).status();
    case PayloadKind::kKeygenShareProof:
      return DecodeKeygenShareProof(bytes).status();
    case PayloadKind::kKeygenFacProof:
      return DecodeKeygenFacProof(bytes).status();
    case PayloadKind::kKeygenConfirm:
      return DecodeKeygenConfirm(bytes).status();
    case PayloadKind::kPresignRound1:
      return DecodePresignRound1(bytes).status();
    case PayloadKind::kPresignRound1Direct:
      return DecodePresignRound1Direct(bytes).status();
    case PayloadKind::kPresignRound2:
      return DecodePresignRound2(bytes).status();
    case PayloadKind::kPresignRound2Direct:
      return DecodePresignRound2Direct(bytes).status();
    case PayloadKind::kPresignRound3:
      return DecodePresignRound3(bytes).status();
    case PayloadKind::kPresignRound4:
      return DecodePresignRound4(bytes).status();
    case PayloadKind::kPresignRound4Direct:
      return DecodePresignRound4Direct(bytes).status();
    case PayloadKind::kSignatureShare:
      return SignatureShareFromBytes(bytes).status();
    case PayloadKind::kPresignReveal:
      return DecodePresignReveal(bytes).status();
    case PayloadKind::kPresignSigmaReveal:
      return DecodePresignSigmaReveal(bytes).status();
    case PayloadKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("payload: unknown kind");
}

}  // namespace nitro_tss::mpc::gg20
