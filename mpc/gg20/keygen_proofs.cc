#include "mpc/gg20/keygen_proofs.h"

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"
#include "nitro_tss/mpc/v1/paillier_proofs.pb.h"

namespace nitro_tss::mpc::gg20 {

absl::StatusOr<std::string> ProvePaillierBlum(const PaillierPrivateKey& key,
                                              const ProofContext& ctx,
                                              RandomSource& rng) {
  absl::StatusOr<PiModProof> proof = ProvePiMod(
      PiModStatement{key.n()}, PiModWitness{key.p(), key.q()}, ctx, rng);
  if (!proof.ok()) return proof.status();
  return SerializeEmbedded(PiModProofToProto(*proof));
}

absl::Status VerifyPaillierBlum(const PaillierPublicKey& key,
                                const std::string& proof,
                                const ProofContext& ctx) {
  v1::PiModProof pb;
  if (absl::Status st =
          ParseEmbedded(proof, kMaxProofBytes, pb, "pi_mod", "proof");
      !st.ok()) {
    return st;
  }
  absl::StatusOr<PiModProof> p = PiModProofFromProto(pb);
  if (!p.ok()) return p.status();
  return VerifyPaillierBlum(key, *p, ctx);
}

absl::Status VerifyPaillierBlum(const PaillierPublicKey& key,
                                const PiModProof& proof,
                                const ProofContext& ctx) {
  return VerifyPiMod(PiModStatement{key.n()}, proof, ctx);
}

absl::StatusOr<std::string> ProveRingPedersenParams(
    const RingPedersenSecret& secret, const ProofContext& ctx,
    RandomSource& rng) {
  return SerializeEmbedded(PiPrmProofToProto(ProvePiPrm(secret, ctx, rng)));
}

absl::Status VerifyRingPedersenParams(const RingPedersenParams& params,
                                      const std::string& proof,
                                      const ProofContext& ctx) {
  v1::PiPrmProof pb;
  if (absl::Status st =
          ParseEmbedded(proof, kMaxProofBytes, pb, "pi_prm", "proof");
      !st.ok()) {
    return st;
  }
  absl::StatusOr<PiPrmProof> p = PiPrmProofFromProto(pb);
  if (!p.ok()) return p.status();
  return VerifyRingPedersenParams(params, *p, ctx);
}

absl::Status VerifyRingPedersenParams(const RingPedersenParams& params,
                                      const PiPrmProof& proof,
                                      const ProofContext& ctx) {
  return VerifyPiPrm(params, proof, ctx);
}

absl::StatusOr<std::string> ProveNoSmallFactor(
    const PaillierPrivateKey& key, const RingPedersenParams& verifier_params,
    const ProofContext& ctx, RandomSource& rng) {
  absl::StatusOr<PiFacProof> proof = ProvePiFac(
      key.n(), verifier_params, PiFacWitness{key.p(), key.q()}, ctx, rng);
  if (!proof.ok()) return proof.status();
  return SerializeEmbedded(PiFacProofToProto(*proof));
}

absl::Status VerifyNoSmallFactor(const PaillierPublicKey& key,
                                 const RingPedersenParams& verifier_params,
                                 const std::string& proof,
                                 const ProofContext& ctx,
                                 const RingPedersenSecret* verifier_secret) {
  v1::PiFacProof pb;
  if (absl::Status st =
          ParseEmbedded(proof, kMaxProofBytes, pb, "pi_fac", "proof");
      !st.ok()) {
    return st;
  }
  absl::StatusOr<PiFacProof> p = PiFacProofFromProto(pb);
  if (!p.ok()) return p.status();
  return VerifyNoSmallFactor(key, verifier_params, *p, ctx, verifier_secret);
}

absl::Status VerifyNoSmallFactor(const PaillierPublicKey& key,
                                 const RingPedersenParams& verifier_params,
                                 const PiFacProof& proof,
                                 const ProofContext& ctx,
                                 const RingPedersenSecret*) {
  return VerifyPiFac(key.n(), verifier_params, proof, ctx);
}

}  // namespace nitro_tss::mpc::gg20
