// Internal to mpc/gg20: access to a Presignature's secrets for the online
// signing code, and the presignature id derivation.
#ifndef NITRO_TSS_MPC_GG20_PRESIGN_INTERNAL_H_
#define NITRO_TSS_MPC_GG20_PRESIGN_INTERNAL_H_

#include "absl/types/span.h"
#include "mpc/gg20/presign.h"

namespace nitro_tss::mpc::gg20 {

PresignatureId ComputePresignatureId(const PresignaturePublic& pub,
                                     absl::Span<const uint8_t> session_id);

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
