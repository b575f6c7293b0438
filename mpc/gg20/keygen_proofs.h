// The Paillier / ring-Pedersen well-formedness proofs used by GG20 key
// generation, as serialized bytes (so the round payloads do not depend on
// the proofs' message layout): Πmod (N is a Paillier–Blum modulus), Πprm
// (s ∈ <t> mod N̂) and Πfac (N has no small factors, against the verifier's
// ring-Pedersen parameters).
// Implementations: mpc/zk/pi_mod.h, pi_prm.h, pi_fac.h.
#ifndef NITRO_TSS_MPC_GG20_KEYGEN_PROOFS_H_
#define NITRO_TSS_MPC_GG20_KEYGEN_PROOFS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/math/random.h"
#include "mpc/paillier/paillier.h"
#include "mpc/ringpedersen/ring_pedersen.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/pi_fac.h"
#include "mpc/zk/pi_mod.h"
#include "mpc/zk/pi_prm.h"

namespace nitro_tss::mpc::gg20 {

absl::StatusOr<std::string> ProvePaillierBlum(const PaillierPrivateKey& key,
                                              const ProofContext& ctx,
                                              RandomSource& rng);
// Errors start "pi_mod: ".
absl::Status VerifyPaillierBlum(const PaillierPublicKey& key,
                                const std::string& proof,
                                const ProofContext& ctx);
// The same for a proof already decoded (payloads.h).
absl::Status VerifyPaillierBlum(const PaillierPublicKey& key,
                                const zk::PiModProof& proof,
                                const ProofContext& ctx);

absl::StatusOr<std::string> ProveRingPedersenParams(
    const RingPedersenSecret& secret, const ProofContext& ctx,
    RandomSource& rng);
// Errors start "pi_prm: ".
absl::Status VerifyRingPedersenParams(const RingPedersenParams& params,
                                      const std::string& proof,
                                      const ProofContext& ctx);
absl::Status VerifyRingPedersenParams(const RingPedersenParams& params,
                                      const zk::PiPrmProof& proof,
                                      const ProofContext& ctx);

absl::StatusOr<std::string> ProveNoSmallFactor(
    const PaillierPrivateKey& key, const RingPedersenParams& verifier_params,
    const ProofContext& ctx, RandomSource& rng);
// `verifier_secret` (optional) is the verifier's own trapdoor for
// `verifier_params` (faster verification, same decisions). Errors start
// "pi_fac: ".
absl::Status VerifyNoSmallFactor(const PaillierPublicKey& key,
                                 const RingPedersenParams& verifier_params,
                                 const std::string& proof,
                                 const ProofContext& ctx,
                                 const RingPedersenSecret* verifier_secret);
absl::Status VerifyNoSmallFactor(const PaillierPublicKey& key,
                                 const RingPedersenParams& verifier_params,
                                 const zk::PiFacProof& proof,
                                 const ProofContext& ctx,
                                 const RingPedersenSecret* verifier_secret);

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_KEYGEN_PROOFS_H_
