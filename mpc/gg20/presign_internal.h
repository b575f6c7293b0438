// Internal to mpc/gg20: access to a Presignature's secrets for the online
// signing code, and the presignature id derivation.
#ifndef NITRO_TSS_MPC_GG20_PRESIGN_INTERNAL_H_
#define NITRO_TSS_MPC_GG20_PRESIGN_INTERNAL_H_

#include <array>
#include <string>

#include "absl/types/span.h"
#include "mpc/gg20/presign.h"

namespace nitro_tss::mpc::gg20 {

PresignatureId ComputePresignatureId(const PresignaturePublic& pub,
                                     absl::Span<const uint8_t> session_id);

// One MtA(k·γ) response as its Alice received it in presign round 2: the
// Bob and the exact payload bytes of D, Y and Πaff-g.
struct ReceivedMtaEntry {
  round::PartyId from = 0;
  std::string d_gamma, y_gamma, pi_aff_gamma;
};

// The commitment `receiver` broadcasts in PresignRound3.received_mta_digest
// to the responses it received in round 2 (before any γ is opened); the
// reveal round accepts a PresignReveal only if its entries hash to it.
// BLAKE2b transcript "nitro-tss/gg20/presign-received-mta/v2", every field
// length-prefixed and labelled. `entries`: one per other signer, in signer
// order (the caller's order is hashed as given).
std::array<uint8_t, 32> ReceivedMtaDigest(
    absl::Span<const uint8_t> session_id, round::PartyId receiver,
    absl::Span<const ReceivedMtaEntry> entries);

class PresignatureAccess {
 public:
  static const Scalar& k(const Presignature& p) { return p.k_; }
  static const Scalar& sigma(const Presignature& p) { return p.sigma_; }
  // Marks the presignature used and wipes its secrets.
  static void Consume(Presignature& p) {
    p.used_ = true;
    p.k_.Wipe();
    p.sigma_.Wipe();
  }
};

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_PRESIGN_INTERNAL_H_
