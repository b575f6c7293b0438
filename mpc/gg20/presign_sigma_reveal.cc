// Identification of a wrong σ_j (round 5, when Σ R̄_j = G but
// Σ S_j != Y'): k_j, the MtAwc responses received and the mask points
// B_ji with a Πlog* per verifier.
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
#include "mpc/zk/params.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_log_rp.h"
#include "mpc/zk/pi_log_star.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// ---------------------------------------------------------- σ reveal
// Only reached when Σ R̄_j = G but Σ S_j != Y': identification of the party
// whose σ_j is wrong (see PresignSigmaReveal in gg20.proto).

// Context of Bob `prover`'s Πlog* for its mask towards Alice `alice`, sent to
// `verifier`: one proof per (prover, verifier, alice).
ProofContext MaskProofContext(const PresignState& s, PartyId prover,
                              PartyId verifier, PartyId alice) {
  ProofContext c = s.Ctx(5, prover, verifier);
  c.protocol = absl::StrCat(kPresignProtocol, "/sigma-mask/alice=", alice);
  return c;
}

class PresignSigmaReveal
    : public round::TypedRound<PresignSigmaRevealPayload,
                               PresignSigmaRevealDirectPayload> {
 public:
  explicit PresignSigmaReveal(std::shared_ptr<PresignState> s)
      : TypedRound(5), s_(std::move(s)) {}

  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    PresignState& s = *s_;
    std::vector<Culprit> culprits;
    // 1. Every mask point against the F its Alice reports (Alice j's
    //    report carries Bob i's Πaff-g, so it is what Bob i sent).
    for (const auto& [i, rev] : broadcasts()) {
      for (PartyId j : s.signers) {
        if (j == i) continue;
        const BigInt f =
            j == s.self
                ? OwnCiphertext(s.received_w.at(i).f)
                : EntryFor(broadcasts().at(j).received, s.signers, j, i).f;
        const Point g = Point::Generator();
        zk::PiLogStarStatement st{s.Info(i).paillier, s.OwnRp(), f, g,
                                  EntryFor(rev.masks, s.signers, i, j).point};
        st.ell = zk::kEllPrime;
        absl::Status v = zk::VerifyPiLogStar(
            st, EntryFor(directs().at(i).proofs, s.signers, i, j).proof,
            MaskProofContext(s, i, s.self, j), s.ks->ring_pedersen.get());
        if (!v.ok()) {
          culprits.push_back(
              {i, CulpritCode::kBadProof,
               absl::StrCat("presign: sigma reveal: mask towards ", j,
                            " does not match its F: ", v.message())});
          break;
        }
      }
    }
    if (!culprits.empty()) return AbortOutput(std::move(culprits));

    // 2. k·S_i = k_i·Y' + Σ_j (B_{j->i} - B_{i->j}) for every signer.
    std::map<PartyId, Scalar> k_of;
    std::map<PartyId, std::map<PartyId, Point>> mask;  // [bob][alice]
    k_of[s.self] = s.k;
    for (const auto& [j, bob] : s.bob) {
      mask[s.self][j] = Point::MulBase(Scalar::FromBigIntReduce(bob.y_w));
    }
    for (const auto& [i, rev] : broadcasts()) {
      k_of[i] = Scalar::FromBigIntReduce(rev.k_plain);
      for (const RevealedMask& b : rev.masks) mask[i][b.to] = b.point;
    }
    Scalar k = Scalar::Zero();
    for (const auto& [i, ki] : k_of) k = k + ki;
    for (PartyId i : s.signers) {
      Point expected = s.public_key.Mul(k_of.at(i));
      for (PartyId j : s.signers) {
        if (j == i) continue;
        expected = expected + mask.at(j).at(i) - mask.at(i).at(j);
      }
      const Point& cap_s = i == s.self ? s.own_cap_s : s.peers.at(i).cap_s;
      if (cap_s.Mul(k) == expected) continue;
      if (i == s.self) {
        return absl::InternalError(
            "presign: sigma reveal: own sigma check failed");
      }
      culprits.push_back(
          {i, CulpritCode::kWrongValue,
           "presign: sigma_i is not k_i*w_i plus its MtAwc shares "
           "(k*S_i != k_i*Y' + sum_j (B_ji - B_ij))"});
    }
    // k and k_of wipe themselves; the state's own k and y_w are long-lived.
    for (auto& [j, bob] : s.bob) bob.Wipe();
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
    const size_t others = s.signers.size() - 1;
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
    if (r.received.size() != others || r.masks.size() != others) {
      return Bad(
          "sigma reveal must list one MtAwc response and one mask per other "
          "signer");
    }
    size_t idx = 0;
    for (PartyId m : s.signers) {
      if (m == msg.from) continue;
      const RevealedMtaResponse& e = r.received[idx];
      const RevealedMask& b = r.masks[idx];
      ++idx;
      if (e.from != m || b.to != m) {
        return Bad("sigma reveal entries not in signer order");
      }
      // Bob m's Πaff-g binds the report to W_m: only m could make it.
      if (absl::Status st = VerifyReportedResponses(s, msg.from, m, e,
                                                    /*reported_w=*/true);
          !st.ok()) {
        return st;
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<PresignSigmaRevealDirectPayload> DecodeDirect(
      const Message& msg) const override {
    return DecodePresignSigmaRevealDirect(msg.payload);
  }
  absl::Status CheckDirect(
      const Message& msg,
      const PresignSigmaRevealDirectPayload& r) const override {
    const PresignState& s = *s_;
    if (r.proofs.size() != s.signers.size() - 1) {
      return Bad("sigma reveal must carry one mask proof per other signer");
    }
    size_t idx = 0;
    for (PartyId j : s.signers) {
      if (j == msg.from) continue;
      if (r.proofs[idx++].to != j) {
        return Bad("sigma reveal proofs not in signer order");
      }
    }
    return absl::OkStatus();
  }

  std::shared_ptr<PresignState> s_;
};

}  // namespace

// Own σ reveal: k_i with the nonce of K_i, the MtAwc responses received,
// the mask points and their Πlog* proofs to every other signer.
absl::StatusOr<RoundOutput> SigmaRevealOutput(
    const std::shared_ptr<PresignState>& state, RandomSource& rng) {
  PresignState& s = *state;
  v1::PresignSigmaReveal rev;
  BigInt k_int = s.k.ToBigInt();
  rev.set_k_plain(EncodeInt(k_int));
  rev.set_k_nonce(EncodeInt(s.rho));
  k_int.Wipe();
  std::map<PartyId, Point> masks;
  std::map<PartyId, BigInt> f_sent;  // F_{self->m}, the statement of each proof
  for (PartyId m : s.signers) {
    if (m == s.self) continue;
    absl::StatusOr<BigInt> f =
        DecodeInt(s.bob.at(m).f_w, kMaxCiphertextMagnitudeBytes, kWhat, "f_w");
    if (!f.ok()) return f.status();
    f_sent[m] = *std::move(f);
    const ReceivedMtawc& got = s.received_w.at(m);
    v1::ReceivedMtawcResponse* e = rev.add_received();
    e->set_from(m);
    e->set_d_w(got.d);
    e->set_f_w(got.f);
    e->set_pi_aff_w(got.proof);
    // The same Bob's MtA(k·γ) response: Alice checked the two together.
    const ReceivedGamma& got_gamma = s.received_gamma.at(m);
    e->set_d_gamma(got_gamma.d);
    e->set_f_gamma(got_gamma.f);
    e->set_pi_aff_gamma(got_gamma.proof);
    masks[m] = Point::MulBase(Scalar::FromBigIntReduce(s.bob.at(m).y_w));
    v1::MtawcMaskPoint* b = rev.add_masks();
    b->set_to(m);
    b->set_point(EncodePt(masks[m]));
  }
  RoundOutput out;
  out.outbound.push_back(round::Message::Broadcast(SerializePayload(rev)));
  const Point g = Point::Generator();
  for (PartyId v : s.signers) {
    if (v == s.self) continue;
    v1::PresignSigmaRevealDirect d;
    for (PartyId j : s.signers) {
      if (j == s.self) continue;
      const MtaBob& bob = s.bob.at(j);
      zk::PiLogStarStatement st{s.OwnPaillier(), s.Info(v).ring_pedersen,
                                f_sent.at(j), g, masks.at(j)};
      st.ell = zk::kEllPrime;
      absl::StatusOr<zk::PiLogStarProof> proof = zk::ProvePiLogStar(
          st,
          zk::PiLogStarWitness{bob.y_w, bob.f_w_nonce, s.ks->paillier.get(),
                               s.Table(v)},
          MaskProofContext(s, s.self, v, j), rng);
      if (!proof.ok()) return proof.status();
      v1::MtawcMaskProof* e = d.add_proofs();
      e->set_to(j);
      e->set_pi_log_star(SerializeEmbedded(zk::PiLogStarProofToProto(*proof)));
    }
    out.outbound.push_back(round::Message::Direct(v, SerializePayload(d)));
  }
  out.next = std::make_unique<PresignSigmaReveal>(state);
  return out;
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
