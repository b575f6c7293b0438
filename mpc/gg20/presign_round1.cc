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

// Bob's side of one MtA towards Alice j (mpc/mta): D = K_j^x · enc_j(y),
// F = enc_i(y), Πaff-g for X = x·G.
absl::StatusOr<mta::BobResult> BobMta(const PresignState& s, PartyId j,
                                      const Scalar& x, RandomSource& rng) {
  const PartyPublicInfo& alice = s.Info(j);
  size_t extra =
      s.config.testing != nullptr ? s.config.testing->mta_beta_extra_bits : 0;
  if (s.config.testing != nullptr &&
      s.config.testing->mta_beta_extra_bits_only_to.has_value() &&
      *s.config.testing->mta_beta_extra_bits_only_to != j) {
    extra = 0;
  }
  if (extra > 0) {
    return mta::internal::BobRespondWithOversizedMask(
        alice.paillier, alice.ring_pedersen, *s.ks->paillier,
        s.peers.at(j).cap_k, x, Point::Generator(), s.Ctx(2, s.self, j), rng,
        extra, s.Table(j), s.Pool(j));
  }
  return mta::BobRespond(alice.paillier, alice.ring_pedersen, *s.ks->paillier,
                         s.peers.at(j).cap_k, x, Point::Generator(),
                         s.Ctx(2, s.self, j), rng, s.Table(j), s.Pool(j));
}

// D, F and Πaff-g of a response as the round-2 direct payload carries them.
void SetResponse(const mta::MtaResponse& r, std::string* d, std::string* f,
                 std::string* proof) {
  *d = EncodeInt(r.cap_d);
  *f = EncodeInt(r.cap_f);
  *proof = SerializeEmbedded(zk::PiAffGProofToProto(r.aff_g_proof));
}

// ---------------------------------------------------------------- round 1
class PresignRound1 : public round::TypedRound<PresignRound1Payload,
                                               PresignRound1DirectPayload> {
 public:
  explicit PresignRound1(std::shared_ptr<PresignState> s)
      : TypedRound(1), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    for (auto& [j, p] : s.peers) {
      absl::Status v = mta::BobVerifyRequest(
          s.Info(j).paillier, s.OwnRp(), s.ks->ring_pedersen.get(), p.cap_k,
          directs().at(j).pi_enc, s.Ctx(1, j, s.self));
      if (!v.ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadProof,
                                 absl::StrCat("presign: ", v.message()));
      }
    }
    RoundOutput out;
    v1::PresignRound2 bc;
    bc.set_gamma_point(EncodePt(s.gamma_point));
    bc.set_salt(s.gamma_salt);
    s.Tamper(2, 0, bc);
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    for (PartyId j : s.signers) {
      if (j == s.self) continue;
      v1::PresignRound2Direct d;
      MtaBob& bob = s.bob[j];
      absl::StatusOr<mta::BobResult> gamma = BobMta(s, j, s.gamma, rng);
      if (!gamma.ok()) return gamma.status();
      SetResponse(gamma->response, d.mutable_d_gamma(), d.mutable_f_gamma(),
                  d.mutable_pi_aff_gamma());
      bob.beta_gamma = gamma->beta;
      bob.f_gamma = d.f_gamma();
      absl::StatusOr<mta::BobResult> w = BobMta(s, j, s.w, rng);
      if (!w.ok()) return w.status();
      SetResponse(w->response, d.mutable_d_w(), d.mutable_f_w(),
                  d.mutable_pi_aff_w());
      bob.beta_w = w->beta;
      bob.y_w = std::move(w->y);
      bob.f_w_nonce = std::move(w->f_nonce);
      bob.f_w = d.f_w();
      s.Tamper(2, j, d);
      out.outbound.push_back(Message::Direct(j, SerializePayload(d)));
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
