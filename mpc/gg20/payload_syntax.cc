#include "mpc/gg20/payload_syntax.h"

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/sign.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_log_rp.h"
#include "mpc/zk/pi_log_star.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"
#include "mpc/zk/schnorr.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"
#include "nitro_tss/mpc/v1/paillier_proofs.pb.h"

namespace nitro_tss::mpc::gg20 {
namespace {

constexpr char kWhat[] = "payload";

template <typename Proto, typename Fn>
absl::Status Proof(const std::string& bytes, absl::string_view field, Fn from) {
  Proto pb;
  if (absl::Status st = ParseEmbedded(bytes, kMaxProofBytes, pb, kWhat, field);
      !st.ok()) {
    return st;
  }
  return from(pb).status();
}

#define RETURN_IF_ERROR(expr)  \
  do {                         \
    absl::Status _st = (expr); \
    if (!_st.ok()) return _st; \
  } while (0)

absl::Status Int(const std::string& b, size_t max, absl::string_view f) {
  return DecodeInt(b, max, kWhat, f).status();
}
absl::Status Pt(const std::string& b, absl::string_view f) {
  return DecodePt(b, kWhat, f).status();
}
absl::Status Sc(const std::string& b, absl::string_view f) {
  return DecodeSc(b, kWhat, f).status();
}
absl::Status Dg(const std::string& b, absl::string_view f) {
  return DecodeDigest(b, kWhat, f).status();
}

}  // namespace

absl::Status CheckPayloadSyntax(PayloadKind kind,
                                absl::Span<const uint8_t> bytes,
                                uint32_t threshold) {
  switch (kind) {
    case PayloadKind::kKeygenCommit: {
      v1::KeygenCommit pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Dg(pb.commitment(), "commitment");
    }
    case PayloadKind::kKeygenDecommit: {
      v1::KeygenDecommit pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      if (pb.salt().size() != 32) {
        return absl::InvalidArgumentError("payload: salt must be 32 bytes");
      }
      if (static_cast<size_t>(pb.vss_commitments_size()) != threshold + 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("payload: expected exactly ", threshold + 1,
                         " VSS commitments, got ", pb.vss_commitments_size()));
      }
      for (const std::string& c : pb.vss_commitments()) {
        RETURN_IF_ERROR(Pt(c, "vss_commitment"));
      }
      RETURN_IF_ERROR(Proof<v1::SchnorrProof>(pb.schnorr_u(), "schnorr_u",
                                              SchnorrProof::FromProto));
      RETURN_IF_ERROR(Int(pb.paillier_n(), kMaxModulusMagnitudeBytes, "n"));
      RETURN_IF_ERROR(Int(pb.rp_n(), kMaxModulusMagnitudeBytes, "rp_n"));
      RETURN_IF_ERROR(Int(pb.rp_s(), kMaxModulusMagnitudeBytes, "rp_s"));
      RETURN_IF_ERROR(Int(pb.rp_t(), kMaxModulusMagnitudeBytes, "rp_t"));
      RETURN_IF_ERROR(
          Proof<v1::PiModProof>(pb.pi_mod(), "pi_mod", PiModProofFromProto));
      return Proof<v1::PiPrmProof>(pb.pi_prm(), "pi_prm", PiPrmProofFromProto);
    }
    case PayloadKind::kKeygenShare: {
      v1::KeygenShare pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Sc(pb.share(), "share");
    }
    case PayloadKind::kKeygenShareProof: {
      v1::KeygenShareProof pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Proof<v1::SchnorrProof>(pb.schnorr_x(), "schnorr_x",
                                     SchnorrProof::FromProto);
    }
    case PayloadKind::kKeygenFacProof: {
      v1::KeygenFacProof pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Proof<v1::PiFacProof>(pb.pi_fac(), "pi_fac", PiFacProofFromProto);
    }
    case PayloadKind::kKeygenConfirm: {
      v1::KeygenConfirm pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Dg(pb.key_id(), "key_id");
    }
    case PayloadKind::kPresignRound1: {
      v1::PresignRound1 pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      RETURN_IF_ERROR(Int(pb.cap_k(), kMaxCiphertextMagnitudeBytes, "cap_k"));
      return Dg(pb.gamma_commitment(), "gamma_commitment");
    }
    case PayloadKind::kPresignRound1Direct: {
      v1::PresignRound1Direct pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Proof<v1::PiEncProof>(pb.pi_enc(), "pi_enc",
                                   zk::PiEncProofFromProto);
    }
    case PayloadKind::kPresignRound2: {
      v1::PresignRound2 pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      RETURN_IF_ERROR(Pt(pb.gamma_point(), "gamma_point"));
      if (pb.salt().size() != 32) {
        return absl::InvalidArgumentError("payload: salt must be 32 bytes");
      }
      return absl::OkStatus();
    }
    case PayloadKind::kPresignRound2Direct: {
      v1::PresignRound2Direct pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      for (const std::string* c :
           {&pb.d_gamma(), &pb.f_gamma(), &pb.d_w(), &pb.f_w()}) {
        RETURN_IF_ERROR(Int(*c, kMaxCiphertextMagnitudeBytes, "ciphertext"));
      }
      RETURN_IF_ERROR(Proof<v1::PiAffGProof>(pb.pi_aff_gamma(), "pi_aff_gamma",
                                             zk::PiAffGProofFromProto));
      return Proof<v1::PiAffGProof>(pb.pi_aff_w(), "pi_aff_w",
                                    zk::PiAffGProofFromProto);
    }
    case PayloadKind::kPresignRound3: {
      v1::PresignRound3 pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      RETURN_IF_ERROR(Sc(pb.delta(), "delta"));
      RETURN_IF_ERROR(Pt(pb.cap_t(), "cap_t"));
      RETURN_IF_ERROR(Dg(pb.received_mta_digest(), "received_mta_digest"));
      return Proof<v1::PedersenPokProof>(pb.pedersen_pok(), "pedersen_pok",
                                         PedersenPokProof::FromProto);
    }
    case PayloadKind::kPresignRound4: {
      v1::PresignRound4 pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      RETURN_IF_ERROR(Pt(pb.r_bar(), "r_bar"));
      RETURN_IF_ERROR(Pt(pb.cap_s(), "cap_s"));
      return Proof<v1::EqualityProof>(pb.equality(), "equality",
                                      EqualityProof::FromProto);
    }
    case PayloadKind::kPresignRound4Direct: {
      v1::PresignRound4Direct pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      return Proof<v1::PiLogRpProof>(pb.pi_log_rp(), "pi_log_rp",
                                     zk::PiLogRpProofFromProto);
    }
    case PayloadKind::kSignatureShare:
      return SignatureShareFromBytes(bytes).status();
    case PayloadKind::kPresignReveal: {
      v1::PresignReveal pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      RETURN_IF_ERROR(Sc(pb.gamma(), "gamma"));
      RETURN_IF_ERROR(
          Int(pb.delta_plain(), kMaxModulusMagnitudeBytes, "delta_plain"));
      RETURN_IF_ERROR(
          Int(pb.delta_nonce(), kMaxModulusMagnitudeBytes, "delta_nonce"));
      if (pb.received_size() > 15) {
        return absl::InvalidArgumentError("payload: too many MtA responses");
      }
      for (const v1::ReceivedMtaResponse& e : pb.received()) {
        RETURN_IF_ERROR(
            Int(e.d_gamma(), kMaxCiphertextMagnitudeBytes, "d_gamma"));
        RETURN_IF_ERROR(
            Int(e.f_gamma(), kMaxCiphertextMagnitudeBytes, "f_gamma"));
        RETURN_IF_ERROR(Proof<v1::PiAffGProof>(e.pi_aff_gamma(), "pi_aff_gamma",
                                               zk::PiAffGProofFromProto));
      }
      return absl::OkStatus();
    }
    case PayloadKind::kPresignSigmaReveal: {
      v1::PresignSigmaReveal pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      RETURN_IF_ERROR(Int(pb.k_plain(), kMaxModulusMagnitudeBytes, "k_plain"));
      RETURN_IF_ERROR(Int(pb.k_nonce(), kMaxModulusMagnitudeBytes, "k_nonce"));
      if (pb.received_size() > 15 || pb.masks_size() > 15) {
        return absl::InvalidArgumentError(
            "payload: too many MtAwc responses or masks");
      }
      for (const v1::ReceivedMtawcResponse& e : pb.received()) {
        RETURN_IF_ERROR(Int(e.d_w(), kMaxCiphertextMagnitudeBytes, "d_w"));
        RETURN_IF_ERROR(Int(e.f_w(), kMaxCiphertextMagnitudeBytes, "f_w"));
        RETURN_IF_ERROR(Proof<v1::PiAffGProof>(e.pi_aff_w(), "pi_aff_w",
                                               zk::PiAffGProofFromProto));
      }
      for (const v1::MtawcMaskPoint& m : pb.masks()) {
        RETURN_IF_ERROR(Pt(m.point(), "mask"));
      }
      return absl::OkStatus();
    }
    case PayloadKind::kPresignSigmaRevealDirect: {
      v1::PresignSigmaRevealDirect pb;
      RETURN_IF_ERROR(ParsePayload(bytes, pb, kWhat));
      if (pb.proofs_size() > 15) {
        return absl::InvalidArgumentError("payload: too many mask proofs");
      }
      for (const v1::MtawcMaskProof& m : pb.proofs()) {
        RETURN_IF_ERROR(Proof<v1::PiLogStarProof>(
            m.pi_log_star(), "pi_log_star", zk::PiLogStarProofFromProto));
      }
      return absl::OkStatus();
    }
    case PayloadKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("payload: unknown kind");
}

}  // namespace nitro_tss::mpc::gg20
