// Identification of a wrong δ_j (round 5, or 4 when round 3 finds δ = 0
// or R = identity): every signer opens γ_j, its k_j (K_j's plaintext and
// nonce) and the masks of its MtA(k·γ) responses (each F's plaintext and
// nonce), and reports the responses it received; everyone checks
//   δ_j = k_j·γ + Σ_m (y_{m->j} − y_{j->m})   (mod q).
//
// Why this identifies (docs/AUDIT.md "Non-identifiable δ abort under
// collusion", which the reveal of gg20/presign/v1 had):
//  * An honest Alice j's α_{m->j} is k_j·γ_m + y_{m->j} over the integers,
//    where y_{m->j} is the plaintext of the F_{m->j} she received: she
//    checked Bob m's Πaff-g against her own ring-Pedersen parameters (whose
//    trapdoor nobody else knows) and the range of α (round 2). An honest
//    party's δ_j therefore satisfies the equation with the true k_j, γ's
//    and masks.
//  * What enters the equation is bound without any proof made for a single
//    verifier: γ_m by Γ_m; k_j by the opening of K_j (the plaintext is
//    unique below N_j/2); y_{m->j} by Bob m's opening of the F_{m->j} that
//    Alice j reports, with |y| <= 2^ℓ' (unique below N_m/2, so it is the
//    mask inside Alice's α when Alice is honest). Alice's report carries
//    Bob m's Πaff-g for Γ_m and matches her round-3 digest, made before any
//    γ was public: only Bob m could have made it (its proof of knowledge of
//    γ_m holds whatever the ring-Pedersen parameters), so an honest Bob is
//    never asked to open an F he did not send.
//  * Hence an honest party fails no check; and if every party passes, the
//    equations sum to Σ δ_j = k·γ with k = Σ k_j — the k whose R̄_j every
//    honest party checked (Πlog-rp against its own parameters) — so
//    Σ R̄_j = G, and round 3's δ and R were fine: the reveal would not have
//    run. Some dishonest party is named whenever it runs.
// A colluding Alice who shares her ring-Pedersen trapdoor with Bob voids
// his Πaff-g's ranges towards her (and so the re-check of that proof here),
// but not the opening of his F, which every party checks directly.
#include <sodium.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/gg20/presign_state.h"
#include "mpc/round/typed_round.h"
#include "mpc/zk/params.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// What this party revealed (public once broadcast), for its own equation
// and the others'.
struct OwnDeltaReveal {
  Scalar k, gamma;
  std::map<PartyId, Scalar> y;  // y_{self->m} mod q
};

// ---------------------------------------------------------- δ reveal
class PresignDeltaReveal
    : public round::TypedRound<PresignRevealPayload, round::NoMessage> {
 public:
  // `number`: 5 after round 4 (Σ R̄_j != G), 4 when round 3 already finds
  // δ = Σ δ_j not invertible or R the identity.
  PresignDeltaReveal(std::shared_ptr<PresignState> s, uint32_t number,
                     OwnDeltaReveal own)
      : TypedRound(number), s_(std::move(s)), own_(std::move(own)) {}

  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    PresignState& s = *s_;
    std::vector<Culprit> culprits;
    // 1. Every mask opening against the F its Alice reports (Alice j's
    //    report carries Bob i's Πaff-g, so it is what Bob i sent).
    std::map<PartyId, std::map<PartyId, Scalar>> y;  // [bob][alice]
    std::map<PartyId, Scalar> k_of, gamma_of;
    k_of[s.self] = own_.k;
    gamma_of[s.self] = own_.gamma;
    y[s.self] = own_.y;
    for (const auto& [i, rev] : broadcasts()) {
      k_of[i] = Scalar::FromBigIntReduce(rev.k_plain);
      gamma_of[i] = rev.gamma;
      const PaillierPublicKey& ni = s.Info(i).paillier;
      for (const RevealedMaskOpening& o : rev.masks) {
        const PartyId j = o.to;
        const BigInt f =
            j == s.self
                ? OwnCiphertext(s.received_gamma.at(i).f)
                : EntryFor(broadcasts().at(j).received, s.signers, j, i).f;
        absl::StatusOr<BigInt> opened = ni.EncryptWithNonce(o.y, o.nonce);
        if (!opened.ok() || !(*opened == f)) {
          culprits.push_back(
              {i, CulpritCode::kBadOpening,
               absl::StrCat("presign: delta reveal: mask towards ", j,
                            " does not open its F")});
          break;
        }
        y[i][j] = Scalar::FromBigIntReduce(o.y);
      }
    }
    if (!culprits.empty()) return AbortOutput(std::move(culprits));

    // 2. δ_i = k_i·γ + Σ_j (y_{j->i} − y_{i->j}) for every signer.
    Scalar gamma = Scalar::Zero();
    for (const auto& [i, g] : gamma_of) gamma = gamma + g;
    for (PartyId i : s.signers) {
      Scalar expected = k_of.at(i) * gamma;
      for (PartyId j : s.signers) {
        if (j == i) continue;
        expected = expected + y.at(j).at(i) - y.at(i).at(j);
      }
      const Scalar& delta_i = i == s.self ? s.delta : s.peers.at(i).delta;
      if (delta_i == expected) continue;
      if (i == s.self) {
        return absl::InternalError(
            "presign: delta reveal: own delta check failed");
      }
      culprits.push_back(
          {i, CulpritCode::kWrongValue,
           "presign: broadcast delta differs from its MtA values "
           "(delta_i != k_i*gamma + sum_j (y_ji - y_ij))"});
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
    const size_t others = s.signers.size() - 1;
    if (r.received.size() != others) {
      return Bad("reveal must list one MtA response per other signer");
    }
    if (r.masks.size() != others) {
      return Bad("reveal must list one mask opening per other signer");
    }
    std::map<PartyId, ReceivedGamma> received;
    size_t idx = 0;
    for (PartyId m : s.signers) {
      if (m == msg.from) continue;
      const RevealedMtaResponse& e = r.received[idx];
      const RevealedMaskOpening& o = r.masks[idx];
      ++idx;
      if (e.from != m) return Bad("reveal responses not in signer order");
      if (o.to != m) return Bad("reveal mask openings not in signer order");
      if (!zk::InSignedRange(o.y, zk::kEllPrime)) {
        return WithCulpritCode(
            Bad(absl::StrCat("mask towards ", m,
                             " out of range (|y| > 2^ell')")),
            CulpritCode::kBadShare);
      }
      if (absl::Status st = info.paillier.ValidateNonce(o.nonce); !st.ok()) {
        return WithCulpritCode(
            Bad(absl::StrCat("mask nonce towards ", m, ": ", st.message())),
            CulpritCode::kBadOpening);
      }
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
  OwnDeltaReveal own_;
};

}  // namespace

// Own δ reveal: γ_i, k_i with the nonce of K_i, the opening of every F of
// the own MtA(k·γ) responses and the responses received. The secrets are
// wiped once the message is made (what it reveals is public from then on).
absl::StatusOr<RoundOutput> DeltaRevealOutput(
    const std::shared_ptr<PresignState>& state, uint32_t round) {
  PresignState& s = *state;
  v1::PresignReveal rev;
  OwnDeltaReveal own;
  own.k = s.k;
  own.gamma = s.gamma;
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
    e->set_f_gamma(g.f);
    e->set_pi_aff_gamma(g.proof);
    // The same Bob's MtAwc response: Alice checked the two together.
    const ReceivedMtawc& w = s.received_w.at(m);
    e->set_d_w(w.d);
    e->set_f_w(w.f);
    e->set_pi_aff_w(w.proof);
    const MtaBob& bob = s.bob.at(m);
    v1::MtaMaskOpening* o = rev.add_masks();
    o->set_to(m);
    o->set_y(EncodeInt(bob.y_gamma));
    o->set_nonce(EncodeInt(bob.f_gamma_nonce));
    own.y[m] = Scalar::FromBigIntReduce(bob.y_gamma);
  }
  s.WipeSecrets();
  s.gamma.Wipe();
  RoundOutput out;
  out.outbound.push_back(round::Message::Broadcast(SerializePayload(rev)));
  out.next = std::make_unique<PresignDeltaReveal>(state, round, std::move(own));
  return out;
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
