// Presign round 4: checks the equality proofs and each Πlog-rp; the
// presignature when Σ R̄_j = G and Σ S_j = Y', else the δ reveal
// (presign_delta_reveal.cc) or the σ reveal (presign_sigma_reveal.cc).
#include <sodium.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/gg20/presign_state.h"
#include "mpc/round/typed_round.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_log_rp.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// ---------------------------------------------------------------- round 4
class PresignRound4 : public round::TypedRound<PresignRound4Payload,
                                               PresignRound4DirectPayload> {
 public:
  explicit PresignRound4(std::shared_ptr<PresignState> s)
      : TypedRound(4), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    PresignState& s = *s_;
    // Πlog-rp: R̄_j = k_j·R for the k_j committed in the S of j's round-1
    // Πenc to this party, which is the k_j inside K_j (Πenc binds both to
    // one value; see mpc/zk/pi_log_rp.h).
    for (auto& [j, p] : s.peers) {
      zk::PiLogRpStatement st{s.OwnRp(), p.pi_enc_s, s.big_r, p.r_bar};
      absl::Status v =
          zk::VerifyPiLogRp(st, directs().at(j).log_rp, s.Ctx(4, j, s.self),
                            s.ks->ring_pedersen.get());
      if (!v.ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadProof,
                                 absl::StrCat("presign: ", v.message()));
      }
    }
    Point sum_r_bar = s.big_r.Mul(s.k);
    s.own_cap_s = s.big_r.Mul(s.sigma);
    Point sum_s = s.own_cap_s;
    PresignaturePublic pub;
    pub.r_bar[s.self] = sum_r_bar;
    pub.s[s.self] = sum_s;
    for (auto& [j, p] : s.peers) {
      sum_r_bar = sum_r_bar + p.r_bar;
      sum_s = sum_s + p.cap_s;
      pub.r_bar[j] = p.r_bar;
      pub.s[j] = p.cap_s;
    }
    if (sum_r_bar != Point::Generator()) {
      // Every R̄_j is proven against K_j, so δ = Σ δ_j is inconsistent with
      // k·γ: some party broadcast a wrong δ_j. Discard the presignature
      // and identify the party in a reveal round (which opens k_i, γ_i and
      // the MtA(k·γ) masks, then wipes the secrets).
      return DeltaRevealOutput(s_, 5);
    }
    if (sum_s != s.public_key) {
      // Every S_j is tied to T_j, every R̄_j to K_j, and δ is consistent:
      // some party used a σ_j that is not k_j·w_j plus its MtAwc shares.
      // Discard the presignature and identify it in the σ reveal round
      // (which still needs k_i and the nonce of K_i).
      s.sigma.Wipe();
      s.w.Wipe();
      s.l.Wipe();
      s.gamma.Wipe();
      for (auto& [j, bob] : s.bob) bob.Wipe();
      return SigmaRevealOutput(s_);
    }
    pub.binding.key_id = s.ks->key_id;
    pub.binding.signers = s.signers;
    pub.binding.tweak = s.config.tweak;
    pub.public_key = s.public_key;
    pub.big_r = s.big_r;
    absl::StatusOr<Scalar> r = s.big_r.XCoordinateModN();
    if (!r.ok()) return r.status();
    pub.r = *r;
    pub.id = ComputePresignatureId(pub, s.config.session_id);
    RoundOutput out;
    out.result =
        std::make_shared<Presignature>(std::move(pub), s.self, s.k, s.sigma);
    s.WipeSecrets();
    s.gamma.Wipe();
    return out;
  }

 private:
  absl::StatusOr<PresignRound4Payload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignRound4(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRound4Payload& v) const override {
    zk::EqualityStatement st{s_->big_r, v.cap_s, s_->peers.at(msg.from).cap_t};
    if (absl::Status e =
            zk::VerifyEquality(st, v.equality, s_->Ctx(4, msg.from, 0));
        !e.ok()) {
      return WithCulpritCode(Prefixed(e), CulpritCode::kBadProof);
    }
    return absl::OkStatus();
  }
  void StoredBroadcast(const Message& msg, PresignRound4Payload& v) override {
    PeerPresign& p = s_->peers[msg.from];
    p.r_bar = v.r_bar;
    p.cap_s = v.cap_s;
  }
  absl::StatusOr<PresignRound4DirectPayload> DecodeDirect(
      const Message& msg) const override {
    return DecodePresignRound4Direct(msg.payload);
  }

  std::shared_ptr<PresignState> s_;
};

}  // namespace

std::unique_ptr<round::Round> NewPresignRound4(
    std::shared_ptr<PresignState> s) {
  return std::make_unique<PresignRound4>(std::move(s));
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
