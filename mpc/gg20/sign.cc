#include "mpc/gg20/sign.h"

#include <sodium.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/keccak.h"
#include "mpc/gg20/presign_internal.h"

namespace nitro_tss::mpc::gg20 {
namespace {

constexpr char kWhat[] = "sign";

absl::Status Bad(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("sign: ", msg));
}

Scalar DigestScalar(absl::Span<const uint8_t> digest) {
  return Scalar::FromBigIntReduce(BigInt::FromBytes(digest));
}

}  // namespace

absl::StatusOr<std::array<uint8_t, 32>> RequestDigest(const SignRequest& req) {
  if (req.message.size() > kMaxSignMessageBytes)
    return Bad("message too large");
  switch (req.algorithm) {
    case DigestAlgorithm::kSha256:
      return Sha256(req.message);
    case DigestAlgorithm::kKeccak256:
      return Keccak256(req.message);
    case DigestAlgorithm::kRawDigest: {
      if (!req.allow_raw_digest) return Bad("raw digest not allowed");
      if (req.message.size() != 32) return Bad("raw digest must be 32 bytes");
      std::array<uint8_t, 32> d;
      std::copy(req.message.begin(), req.message.end(), d.begin());
      return d;
    }
  }
  return Bad("unknown digest algorithm");
}

absl::StatusOr<SignatureShare> SignShare(Presignature& presignature,
                                         const SignRequest& request,
                                         const MarkUsedHook& mark_used) {
  if (presignature.used()) return Bad("presignature already used");
  const PresignaturePublic& pub = presignature.public_data();
  if (sodium_memcmp(request.key_id.data(), pub.binding.key_id.data(), 32) !=
      0) {
    return Bad("presignature was made for another key");
  }
  std::vector<round::PartyId> signers = request.signers;
  std::sort(signers.begin(), signers.end());
  if (signers != pub.binding.signers) {
    return Bad("presignature was made for another signer set");
  }
  if (request.tweak != pub.binding.tweak) {
    return Bad("presignature was made for another derivation");
  }
  absl::StatusOr<std::array<uint8_t, 32>> digest = RequestDigest(request);
  if (!digest.ok()) return digest.status();
  if (!mark_used) return Bad("no hook to persist presignature use");
  // Persist "used" before anything derived from the secrets leaves.
  absl::Status hook = mark_used(pub.id);
  if (!hook.ok()) {
    PresignatureAccess::Consume(presignature);
    return Bad(
        absl::StrCat("could not record presignature use: ", hook.message()));
  }
  Scalar m = DigestScalar(*digest);
  SignatureShare share;
  share.signer = presignature.self();
  share.presignature_id = pub.id;
  share.s = m * PresignatureAccess::k(presignature) +
            pub.r * PresignatureAccess::sigma(presignature);
  PresignatureAccess::Consume(presignature);
  return share;
}

absl::StatusOr<EcdsaSignature> CombineShares(
    const PresignaturePublic& pub, absl::Span<const uint8_t> digest,
    absl::Span<const SignatureShare> shares,
    std::vector<round::Culprit>* culprits) {
  if (digest.size() != 32) return Bad("digest must be 32 bytes");
  std::map<round::PartyId, const SignatureShare*> by_signer;
  for (const SignatureShare& sh : shares) {
    if (!pub.r_bar.count(sh.signer)) {
      return Bad(absl::StrCat("share from non-signer ", sh.signer));
    }
    if (!by_signer.emplace(sh.signer, &sh).second) {
      return Bad(absl::StrCat("two shares from signer ", sh.signer));
    }
    if (sodium_memcmp(sh.presignature_id.data(), pub.id.data(), 32) != 0) {
      if (culprits) {
        culprits->push_back({sh.signer, round::CulpritCode::kWrongValue,
                             "sign: share for another presignature"});
      }
    }
  }
  if (culprits && !culprits->empty()) {
    return Bad("share for another presignature");
  }
  if (by_signer.size() != pub.binding.signers.size()) {
    return Bad(absl::StrCat("expected ", pub.binding.signers.size(),
                            " shares, got ", by_signer.size()));
  }
  Scalar m = DigestScalar(digest);
  Scalar s;
  for (const auto& [id, sh] : by_signer) s = s + sh->s;
  EcdsaSignature sig;
  sig.r = pub.r;
  sig.s = s;
  absl::StatusOr<int> recid = RecoveryIdForNoncePoint(pub.big_r);
  if (!recid.ok()) return recid.status();
  sig.recovery_id = *recid;
  absl::Status ok = s.IsZero()
                        ? Bad("s is zero")
                        : VerifyEcdsa(pub.public_key, digest, sig.r, sig.s);
  if (ok.ok()) {
    EcdsaSignature norm = NormalizeLowS(sig);
    if (absl::Status st = VerifyRecoverableEcdsa(pub.public_key, digest, norm);
        !st.ok()) {
      return st;
    }
    return norm;
  }
  // Identify: s_i·R must equal m·R̄_i + r·S_i.
  std::vector<round::Culprit> found;
  for (const auto& [id, sh] : by_signer) {
    Point lhs = pub.big_r.Mul(sh->s);
    Point rhs = pub.r_bar.at(id).Mul(m) + pub.s.at(id).Mul(pub.r);
    if (lhs != rhs) {
      found.push_back({id, round::CulpritCode::kBadShare,
                       "sign: signature share fails s_i*R = m*Rbar_i + "
                       "r*S_i"});
    }
  }
  if (culprits) *culprits = found;
  return Bad(absl::StrCat("combined signature invalid (", ok.message(), "); ",
                          found.size(), " faulty share(s)"));
}

v1::SignatureShare SignatureShareToProto(const SignatureShare& share) {
  v1::SignatureShare pb;
  pb.set_signer(share.signer);
  pb.set_presignature_id(
      std::string(share.presignature_id.begin(), share.presignature_id.end()));
  pb.set_s(EncodeSc(share.s));
  return pb;
}

absl::StatusOr<SignatureShare> SignatureShareFromProto(
    const v1::SignatureShare& pb) {
  if (pb.signer() == 0) return Bad("signer missing");
  absl::StatusOr<std::array<uint8_t, 32>> id =
      DecodeDigest(pb.presignature_id(), kWhat, "presignature_id");
  if (!id.ok()) return id.status();
  absl::StatusOr<Scalar> s = DecodeSc(pb.s(), kWhat, "s");
  if (!s.ok()) return s.status();
  SignatureShare out;
  out.signer = pb.signer();
  out.presignature_id = *id;
  out.s = *s;
  return out;
}

absl::StatusOr<SignatureShare> SignatureShareFromBytes(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() > 256) return Bad("share too large");
  v1::SignatureShare pb;
  if (absl::Status st = ParsePayload(bytes, pb, kWhat); !st.ok()) return st;
  return SignatureShareFromProto(pb);
}

}  // namespace nitro_tss::mpc::gg20
