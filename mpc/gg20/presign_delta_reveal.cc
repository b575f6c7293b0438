// Identification of a wrong δ_j (round 5, or 4 when round 3 finds δ = 0
// or R = identity): every signer opens γ_j and its k_j (K_j's plaintext and
// nonce) and reports the responses it received; with Y_{m->j} the mask
// point of Bob m's MtA(k·γ) response to Alice j, everyone checks
//   δ_j·G = k_j·γ·G + Σ_m (Y_{m->j} − Y_{j->m}).
//
// Why this identifies, also when t ≥ 2 parties collude (docs/AUDIT.md
// "Non-identifiable δ abort under collusion" and "Point-bound MtA masks"):
//  * An honest Alice j's α_{m->j} is k_j·γ_m + y over the integers with
//    y·G = Y_{m->j}: she checked Bob m's Πaff-g against her own
//    ring-Pedersen parameters (whose trapdoor nobody else knows) and the
//    range of α (round 2). Bob m's share is β = −y mod q. An honest party's
//    δ_j therefore satisfies the equation.
//  * What enters the equation is bound without any proof made for a single
//    verifier: γ_m by Γ_m; k_j by the opening of K_j (the plaintext is
//    unique below N_j/2); Y_{m->j} by Alice j's report, which carries Bob
//    m's Πaff-g for Γ_m and matches her round-3 digest, made before any γ
//    was public: only Bob m could have made it (its proof of knowledge of
//    γ_m holds whatever the ring-Pedersen parameters), so an honest Bob's
//    point is never replaced. Everything is modulo q, in the exponent: no
//    range matters here.
//  * Hence an honest party fails no check; and if every party passes, the
//    equations sum to Σ δ_j = k·γ with k = Σ k_j — the k whose R̄_j every
//    honest party checked (Πlog-rp against its own parameters) — so
//    Σ R̄_j = G, and round 3's δ and R were fine: the reveal would not have
//    run. Some dishonest party is named whenever it runs.
#include <sodium.h>

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

// ---------------------------------------------------------- δ reveal
class PresignDeltaReveal
    : public round::TypedRound<PresignRevealPayload, round::NoMessage> {
 public:
  // `number`: 5 after round 4 (Σ R̄_j != G), 4 when round 3 already finds
  // δ = Σ δ_j not invertible or R the identity. `own_k`, `own_gamma`: what
  // this party revealed (public from then on).
  PresignDeltaReveal(std::shared_ptr<PresignState> s, uint32_t number,
                     Scalar own_k, Scalar own_gamma)
      : TypedRound(number),
        s_(std::move(s)),
        own_k_(std::move(own_k)),
        own_gamma_(std::move(own_gamma)) {}

  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    PresignState& s = *s_;
    std::map<PartyId, Scalar> k_of, gamma_of;
    k_of[s.self] = own_k_;
    gamma_of[s.self] = own_gamma_;
    for (const auto& [i, rev] : broadcasts()) {
      k_of[i] = Scalar::FromBigIntReduce(rev.k_plain);
      gamma_of[i] = rev.gamma;
    }
    std::map<PartyId, const std::vector<RevealedMtaResponse>*> reports;
    for (const auto& [alice, rev] : broadcasts())
      reports[alice] = &rev.received;
    const MaskPoints y = ReceivedMaskPoints(s, s.received_gamma, reports);
    Scalar gamma = Scalar::Zero();
    for (const auto& [i, g] : gamma_of) gamma = gamma + g;
    std::vector<Culprit> culprits;
    for (PartyId i : s.signers) {
      const Point expected =
          Point::MulBase(k_of.at(i) * gamma) + MaskBalance(s, y, i);
      const Scalar& delta_i = i == s.self ? s.delta : s.peers.at(i).delta;
      if (Point::MulBase(delta_i) == expected) continue;
      if (i == s.self) {
        return absl::InternalError(
            "presign: delta reveal: own delta check failed");
      }
      culprits.push_back(
          {i, CulpritCode::kWrongValue,
           "presign: broadcast delta differs from its MtA values "
           "(delta_i*G != k_i*gamma*G + sum_j (Y_ji - Y_ij))"});
    }
    if (culprits.empty()) {
      return absl::InternalError(
          "presign: delta reveal found no culprit although delta != "
          "k*gamma");
    }
    return AbortOutput(std::move(culprits));
  }

 private:
  absl::StatusOr<PresignRevealPayload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignReveal(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRevealPayload& r) const override {
    const PresignState& s = *s_;
    const PartyPublicInfo& info = s.Info(msg.from);
    if (Point::MulBase(r.gamma) != s.peers.at(msg.from).gamma) {
      return WithCulpritCode(Bad("revealed gamma does not match Gamma"),
                             CulpritCode::kBadOpening);
    }
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
      return Bad("reveal must list one MtA response per other signer");
    }
    std::map<PartyId, ReceivedGamma> received;
    size_t idx = 0;
    for (PartyId m : s.signers) {
      if (m == msg.from) continue;
      const RevealedMtaResponse& e = r.received[idx++];
      if (e.from != m) return Bad("reveal responses not in signer order");
      if (absl::Status st = VerifyReportedResponses(s, msg.from, m, e,
                                                    /*reported_w=*/false);
          !st.ok()) {
        return st;
      }
      received[m] = e.bytes;
    }
    // The entries must be exactly what msg.from committed to in round 3,
    // when no γ was public: a forged entry "from m" would need a valid
    // Πaff-g for Γ_m without γ_m (audit finding 4).
    std::array<uint8_t, 32> digest = ReceivedMtaDigestOf(s, msg.from, received);
    if (sodium_memcmp(digest.data(),
                      s.peers.at(msg.from).received_mta_digest.data(),
                      digest.size()) != 0) {
      return WithCulpritCode(Bad("revealed MtA responses do not match the "
                                 "round-3 received_mta_digest"),
                             CulpritCode::kBadOpening);
    }
    return absl::OkStatus();
  }

  std::shared_ptr<PresignState> s_;
  Scalar own_k_, own_gamma_;
};

}  // namespace

// Own δ reveal: γ_i, k_i with the nonce of K_i and the responses received.
// The secrets are wiped once the message is made (what it reveals is public
// from then on).
absl::StatusOr<RoundOutput> DeltaRevealOutput(
    const std::shared_ptr<PresignState>& state, uint32_t round) {
  PresignState& s = *state;
  v1::PresignReveal rev;
  Scalar own_k = s.k, own_gamma = s.gamma;
  rev.set_gamma(EncodeSc(s.gamma));
  BigInt k_int = s.k.ToBigInt();
  rev.set_k_plain(EncodeInt(k_int));
  rev.set_k_nonce(EncodeInt(s.rho));
  k_int.Wipe();
  for (PartyId m : s.signers) {
    if (m == s.self) continue;
    const ReceivedGamma& g = s.received_gamma.at(m);
    v1::ReceivedMtaResponse* e = rev.add_received();
    e->set_from(m);
    e->set_d_gamma(g.d);
    e->set_y_gamma(g.y);
    e->set_pi_aff_gamma(g.proof);
    // The same Bob's MtAwc response: Alice checked the two together.
    const ReceivedMtawc& w = s.received_w.at(m);
    e->set_d_w(w.d);
    e->set_y_w(w.y);
    e->set_pi_aff_w(w.proof);
  }
  s.WipeSecrets();
  s.gamma.Wipe();
  RoundOutput out;
  out.outbound.push_back(round::Message::Broadcast(SerializePayload(rev)));
  out.next = std::make_unique<PresignDeltaReveal>(
      state, round, std::move(own_k), std::move(own_gamma));
  return out;
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
