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
  absl::StatusOr<zk::PiModProof> proof =
      zk::ProvePiMod(zk::PiModStatement{key.n()},
                     zk::PiModWitness{key.p(), key.q()}, ctx, rng);
  if (!proof.ok()) return proof.status();
  return SerializeEmbedded(zk::PiModProofToProto(*proof));
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
  absl::StatusOr<zk::PiModProof> p = zk::PiModProofFromProto(pb);
  if (!p.ok()) return p.status();
  return VerifyPaillierBlum(key, *p, ctx);
}

absl::Status VerifyPaillierBlum(const PaillierPublicKey& key,
                                const zk::PiModProof& proof,
                                const ProofContext& ctx) {
  return zk::VerifyPiMod(zk::PiModStatement{key.n()}, proof, ctx);
}

absl::StatusOr<std::string> ProveRingPedersenParams(
    const RingPedersenSecret& secret, const ProofContext& ctx,
    RandomSource& rng) {
  absl::StatusOr<zk::PiPrmProof> proof = zk::ProvePiPrm(
      zk::PiPrmStatement{secret.params()}, zk::PiPrmWitness{secret}, ctx, rng);
  if (!proof.ok()) return proof.status();
  return SerializeEmbedded(zk::PiPrmProofToProto(*proof));
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
  absl::StatusOr<zk::PiPrmProof> p = zk::PiPrmProofFromProto(pb);
  if (!p.ok()) return p.status();
  return VerifyRingPedersenParams(params, *p, ctx);
}

absl::Status VerifyRingPedersenParams(const RingPedersenParams& params,
                                      const zk::PiPrmProof& proof,
                                      const ProofContext& ctx) {
  return zk::VerifyPiPrm(zk::PiPrmStatement{params}, proof, ctx);
}

absl::StatusOr<std::string> ProveNoSmallFactor(
    const PaillierPrivateKey& key, const RingPedersenParams& verifier_params,
    const ProofContext& ctx, RandomSource& rng) {
  absl::StatusOr<zk::PiFacProof> proof =
      zk::ProvePiFac(zk::PiFacStatement{key.n(), verifier_params},
                     zk::PiFacWitness{key.p(), key.q()}, ctx, rng);
  if (!proof.ok()) return proof.status();
  return SerializeEmbedded(zk::PiFacProofToProto(*proof));
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
  absl::StatusOr<zk::PiFacProof> p = zk::PiFacProofFromProto(pb);
  if (!p.ok()) return p.status();
  return VerifyNoSmallFactor(key, verifier_params, *p, ctx, verifier_secret);
}

absl::Status VerifyNoSmallFactor(const PaillierPublicKey& key,
                                 const RingPedersenParams& verifier_params,
                                 const zk::PiFacProof& proof,
                                 const ProofContext& ctx,
                                 const RingPedersenSecret*) {
  return zk::VerifyPiFac(zk::PiFacStatement{key.n(), verifier_params}, proof,
                         ctx);
}

}  // namespace nitro_tss::mpc::gg20
