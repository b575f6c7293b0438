// Presign round 1: checks K_j, the Γ commitments and each Πenc; answers
// with Γ_i and, as Bob, the MtA (k·γ) and MtAwc (k·w) responses with
// their Πaff-g (messages of round 2).
#include <sodium.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/gg20/presign_state.h"
#include "mpc/mta/mta.h"
#include "mpc/round/typed_round.h"
#include "mpc/zk/pi_aff_g.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// ---------------------------------------------------------------- round 1
class PresignRound1 : public round::TypedRound<PresignRound1Payload,
                                               PresignRound1DirectPayload> {
 public:
  explicit PresignRound1(std::shared_ptr<PresignState> s)
      : TypedRound(1), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    const int threads = s.config.threads;
    // Per-peer work on `threads` threads; results are used in signer order,
    // so the first failing peer is named as in a sequential run.
    std::vector<PartyId> others;
    for (auto& [j, p] : s.peers) others.push_back(j);
    std::vector<absl::Status> checks(others.size());
    ForEachPeerTask(others.size(), threads, [&](size_t i) {
      const PartyId j = others[i];
      checks[i] = mta::BobVerifyRequest(
          s.Info(j).paillier, s.OwnRp(), s.ks->ring_pedersen.get(),
          s.peers.at(j).cap_k, directs().at(j).pi_enc, s.Ctx(1, j, s.self));
    });
    for (size_t i = 0; i < others.size(); ++i) {
      if (!checks[i].ok()) {
        return DirectAbortOutput(
            others[i], CulpritCode::kBadProof,
            absl::StrCat("presign: ", checks[i].message()));
      }
    }
    RoundOutput out;
    v1::PresignRound2 bc;
    bc.set_gamma_point(EncodePt(s.gamma_point));
    bc.set_salt(s.gamma_salt);
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    std::vector<PartyId> bobs_to;  // the Alices, in signer order
    for (PartyId j : s.signers) {
      if (j != s.self) bobs_to.push_back(j);
    }
    std::vector<absl::StatusOr<mta::BobPairResult>> pairs(bobs_to.size());
    PeerRandom peer_rng(rng, bobs_to.size(), threads);
    ForEachPeerTask(bobs_to.size(), threads, [&](size_t i) {
      pairs[i] = BobMtaPair(s, bobs_to[i], peer_rng[i]);
    });
    for (size_t i = 0; i < bobs_to.size(); ++i) {
      if (!pairs[i].ok()) return pairs[i].status();
      v1::PresignRound2Direct d =
          KeepBobResponses(s, bobs_to[i], *std::move(pairs[i]));
      out.outbound.push_back(Message::Direct(bobs_to[i], SerializePayload(d)));
    }
    out.next = NewPresignRound2(s_);
    return out;
  }

 private:
  absl::StatusOr<PresignRound1Payload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignRound1(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRound1Payload& v) const override {
    return CheckRound1(*s_, msg.from, v);
  }
  void StoredBroadcast(const Message& msg, PresignRound1Payload& v) override {
    PeerPresign& p = s_->peers[msg.from];
    p.cap_k = v.cap_k;
    p.gamma_commitment = v.gamma_commitment;
  }
  absl::StatusOr<PresignRound1DirectPayload> DecodeDirect(
      const Message& msg) const override {
    return DecodePresignRound1Direct(msg.payload);
  }
  void StoredDirect(const Message& msg,
                    PresignRound1DirectPayload& v) override {
    s_->peers[msg.from].pi_enc_s = v.pi_enc.cap_s;
  }

  std::shared_ptr<PresignState> s_;
};

}  // namespace

std::unique_ptr<round::Round> NewPresignRound1(
    std::shared_ptr<PresignState> s) {
  return std::make_unique<PresignRound1>(std::move(s));
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
