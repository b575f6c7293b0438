// Identification of a wrong σ_j (round 5, when Σ R̄_j = G but
// Σ S_j != Y'): every signer opens k_j and reports the MtAwc responses it
// received (each with Bob's mask point Y^w, bound to Bob by his Πaff-g);
// everyone checks k·S_j = k_j·Y' + Σ_m (Y^w_{m->j} − Y^w_{j->m}).
//
// Why this identifies: an honest Alice j's α^w_{m->j} is k_j·w_m + y with
// y·G = Y^w_{m->j} (her round-2 check of Bob m's Πaff-g against her own
// ring-Pedersen parameters), Bob m's share is β = −y mod q, so an honest
// σ_j = k_j·w_j + Σ_m (α_{m->j} + β_{j->m}) gives
// σ_j·G = k_j·Y' + Σ_m (Y^w_{m->j} − Y^w_{j->m}), and k·S_j = σ_j·G since
// R = k^-1·G. The reported points are bound to their Bob (a valid Πaff-g
// pair needs w_m and γ_m; w_m is never public) and k_j to K_j; every check
// is in the exponent, so no range proof made for one verifier is relied on
// (colluders cannot void it). If every party passes, Σ_j S_j = Y': the
// reveal would not have run.
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/gg20/presign_state.h"
#include "mpc/round/typed_round.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// ---------------------------------------------------------- σ reveal
// Only reached when Σ R̄_j = G but Σ S_j != Y': identification of the party
// whose σ_j is wrong (see PresignSigmaReveal in gg20.proto).
class PresignSigmaReveal
    : public round::TypedRound<PresignSigmaRevealPayload, round::NoMessage> {
 public:
  explicit PresignSigmaReveal(std::shared_ptr<PresignState> s)
      : TypedRound(5), s_(std::move(s)) {}

  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    PresignState& s = *s_;
    std::map<PartyId, Scalar> k_of;
    k_of[s.self] = s.k;
    for (const auto& [i, rev] : broadcasts()) {
      k_of[i] = Scalar::FromBigIntReduce(rev.k_plain);
    }
    std::map<PartyId, const std::vector<RevealedMtaResponse>*> reports;
    for (const auto& [alice, rev] : broadcasts())
      reports[alice] = &rev.received;
    const MaskPoints mask = ReceivedMaskPoints(s, s.received_w, reports);
    Scalar k = Scalar::Zero();
    for (const auto& [i, ki] : k_of) k = k + ki;
    std::vector<Culprit> culprits;
    for (PartyId i : s.signers) {
      const Point expected =
          s.public_key.Mul(k_of.at(i)) + MaskBalance(s, mask, i);
      const Point& cap_s = i == s.self ? s.own_cap_s : s.peers.at(i).cap_s;
      if (cap_s.Mul(k) == expected) continue;
      if (i == s.self) {
        return absl::InternalError(
            "presign: sigma reveal: own sigma check failed");
      }
      culprits.push_back(
          {i, CulpritCode::kWrongValue,
           "presign: sigma_i is not k_i*w_i plus its MtAwc shares "
           "(k*S_i != k_i*Y' + sum_j (Y_ji - Y_ij))"});
    }
    // k and k_of wipe themselves; the state's own k is long-lived.
    s.k.Wipe();
    if (culprits.empty()) {
      return absl::InternalError(
          "presign: sigma reveal found no culprit although sum S_j != Y'");
    }
    return AbortOutput(std::move(culprits));
  }

 private:
  absl::StatusOr<PresignSigmaRevealPayload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignSigmaReveal(msg.payload);
  }
  absl::Status CheckBroadcast(
      const Message& msg, const PresignSigmaRevealPayload& r) const override {
    const PresignState& s = *s_;
    const PartyPublicInfo& info = s.Info(msg.from);
    if (absl::Status st = CheckOpening(r.k_plain, r.k_nonce, info.paillier,
                                       "k_plain", "k_nonce");
        !st.ok()) {
      return st;
    }
    absl::StatusOr<BigInt> opened =
        info.paillier.EncryptWithNonce(r.k_plain, r.k_nonce);
    if (!opened.ok() || !(*opened == s.peers.at(msg.from).cap_k)) {
      return WithCulpritCode(Bad("revealed k does not open K_i"),
                             CulpritCode::kBadOpening);
    }
    if (r.received.size() != s.signers.size() - 1) {
      return Bad("sigma reveal must list one MtAwc response per other signer");
    }
    size_t idx = 0;
    for (PartyId m : s.signers) {
      if (m == msg.from) continue;
      const RevealedMtaResponse& e = r.received[idx++];
      if (e.from != m) return Bad("sigma reveal entries not in signer order");
      // Bob m's Πaff-g binds the report (and its Y^w) to W_m: only m could
      // make it.
      if (absl::Status st = VerifyReportedResponses(s, msg.from, m, e,
                                                    /*reported_w=*/true);
          !st.ok()) {
        return st;
      }
    }
    return absl::OkStatus();
  }

  std::shared_ptr<PresignState> s_;
};

}  // namespace

// Own σ reveal: k_i with the nonce of K_i and the MtAwc responses received.
absl::StatusOr<RoundOutput> SigmaRevealOutput(
    const std::shared_ptr<PresignState>& state) {
  PresignState& s = *state;
  v1::PresignSigmaReveal rev;
  BigInt k_int = s.k.ToBigInt();
  rev.set_k_plain(EncodeInt(k_int));
  rev.set_k_nonce(EncodeInt(s.rho));
  k_int.Wipe();
  for (PartyId m : s.signers) {
    if (m == s.self) continue;
    const ReceivedMtawc& got = s.received_w.at(m);
    v1::ReceivedMtawcResponse* e = rev.add_received();
    e->set_from(m);
    e->set_d_w(got.d);
    e->set_y_w(got.y);
    e->set_pi_aff_w(got.proof);
    // The same Bob's MtA(k·γ) response: Alice checked the two together.
    const ReceivedGamma& got_gamma = s.received_gamma.at(m);
    e->set_d_gamma(got_gamma.d);
    e->set_y_gamma(got_gamma.y);
    e->set_pi_aff_gamma(got_gamma.proof);
  }
  RoundOutput out;
  out.outbound.push_back(round::Message::Broadcast(SerializePayload(rev)));
  out.next = std::make_unique<PresignSigmaReveal>(state);
  return out;
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
