// Presign round 3: checks T_j's PoK; computes R (or starts the δ reveal
// when δ = 0 / R = identity); broadcasts R̄_i, S_i with the equality proof
// and sends a Πlog-rp per verifier (messages of round 4).
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

// ---------------------------------------------------------------- round 3
class PresignRound3
    : public round::TypedRound<PresignRound3Payload, round::NoMessage> {
 public:
  explicit PresignRound3(std::shared_ptr<PresignState> s)
      : TypedRound(3), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    // The Πenc randomness is only needed for the Πlog-rp proofs made here:
    // taken out of the state and wiped on every exit of this function.
    std::map<PartyId, BigInt> enc_mu = std::move(s.enc_mu);
    s.enc_mu.clear();
    Scalar delta = s.delta;
    Point gamma = s.gamma_point;
    for (auto& [j, p] : s.peers) {
      delta = delta + p.delta;
      gamma = gamma + p.gamma;
    }
    absl::StatusOr<Scalar> delta_inv = delta.Inverse();
    if (delta_inv.ok()) s.big_r = gamma.Mul(*delta_inv);
    if (!delta_inv.ok() || s.big_r.IsIdentity()) {
      // δ = 0 or Γ = Σ Γ_j the identity: with honest parties this has
      // negligible probability, so some δ_j does not match its MtA values
      // (e.g. a rushing party cancelled the sum). Identify it at once (the
      // reveal wipes the secrets once it has opened what it reveals).
      return DeltaRevealOutput(s_, 4);
    }
    Point r_bar = s.big_r.Mul(s.k);
    s.own_r_bar = r_bar;
    Point cap_s = s.big_r.Mul(s.sigma);
    absl::StatusOr<zk::EqualityProof> eq = zk::ProveEquality(
        zk::EqualityStatement{s.big_r, cap_s, s.cap_t},
        zk::EqualityWitness{s.sigma, s.l}, s.Ctx(4, s.self, 0), rng);
    if (!eq.ok()) return eq.status();
    RoundOutput out;
    v1::PresignRound4 bc;
    bc.set_r_bar(EncodePt(r_bar));
    bc.set_cap_s(EncodePt(cap_s));
    bc.set_equality(SerializeEmbedded(zk::EqualityProofToProto(*eq)));
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    BigInt k_int = s.k.ToBigInt();
    for (PartyId j : s.signers) {
      if (j == s.self) continue;
      auto mu = enc_mu.find(j);
      if (mu == enc_mu.end()) {
        return absl::InternalError("presign: no pi_enc randomness for a peer");
      }
      const BigInt& cap_s_j = s.own_pi_enc_s.at(j);
      zk::PiLogRpStatement st{s.Info(j).ring_pedersen, cap_s_j, s.big_r, r_bar};
      absl::StatusOr<zk::PiLogRpProof> proof = zk::ProvePiLogRp(
          st, zk::PiLogRpWitness{k_int, mu->second, s.Table(j)},
          s.Ctx(4, s.self, j), rng);
      if (!proof.ok()) return proof.status();
      v1::PresignRound4Direct d;
      d.set_pi_log_rp(SerializeEmbedded(zk::PiLogRpProofToProto(*proof)));
      out.outbound.push_back(Message::Direct(j, SerializePayload(d)));
    }
    k_int.Wipe();
    out.next = NewPresignRound4(s_);
    return out;
  }

 private:
  absl::StatusOr<PresignRound3Payload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignRound3(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRound3Payload& v) const override {
    if (absl::Status e = zk::VerifyPedersenPok(
            zk::PedersenPokStatement{v.cap_t}, v.pok, s_->Ctx(3, msg.from, 0));
        !e.ok()) {
      return WithCulpritCode(Prefixed(e), CulpritCode::kBadProof);
    }
    return absl::OkStatus();
  }
  void StoredBroadcast(const Message& msg, PresignRound3Payload& v) override {
    PeerPresign& p = s_->peers[msg.from];
    p.delta = v.delta;
    p.cap_t = v.cap_t;
    p.received_mta_digest = v.received_mta_digest;
  }

  std::shared_ptr<PresignState> s_;
};

}  // namespace

std::unique_ptr<round::Round> NewPresignRound3(
    std::shared_ptr<PresignState> s) {
  return std::make_unique<PresignRound3>(std::move(s));
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
