// Third-party judging of complaints about presign direct messages.
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
#include "mpc/zk/pi_log_rp.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// Judges complaints about presign direct messages (round.h ComplaintJudge)
// with public data only, through the rounds' decoders and checks: round 1
// (Πenc of K_j to the complainer), round 2 (both Πaff-g, and an
// out-of-range α shown by the complainer's opening of D), round 4 (Πlog-rp
// against the S of the accused's round-1 Πenc to the complainer, which the
// complaint carries). No other round of presign has direct messages (the
// reveal rounds are broadcast-only since gg20/presign/v3), so any other
// round is undecidable (both parties are suspects) and cannot come from an
// honest accused.
class PresignJudge : public round::ComplaintJudge {
 public:
  explicit PresignJudge(std::shared_ptr<const PresignState> s)
      : s_(std::move(s)) {}

  absl::StatusOr<Verdict> Judge(const Case& c) const override {
    const PresignState& s = *s_;
    const PartyPublicInfo& accused = s.Info(c.accused);
    const PartyPublicInfo& complainer = s.Info(c.complainer);
    const Message& direct = *c.directs.at(c.round);
    if (c.round == 1) {
      absl::StatusOr<PresignRound1DirectPayload> d =
          DecodePresignRound1Direct(direct.payload);
      if (!d.ok()) return Guilty(d.status());
      absl::StatusOr<BigInt> cap_k = AccusedK(c);
      if (!cap_k.ok()) return cap_k.status();
      if (cap_k->IsZero()) return False("pi_enc decodes and no K was sent");
      absl::Status v = mta::BobVerifyRequest(
          accused.paillier, complainer.ring_pedersen, nullptr, *cap_k,
          d->pi_enc, s.Ctx(1, c.accused, c.complainer));
      if (!v.ok()) {
        return Guilty(CulpritCode::kBadProof,
                      absl::StrCat("presign: ", v.message()));
      }
      return False("pi_enc verifies");
    }
    if (c.round == 2) {
      absl::StatusOr<PresignRound2DirectPayload> d =
          DecodePresignRound2Direct(direct.payload);
      if (!d.ok()) return Guilty(d.status());
      if (absl::Status st = CheckRound2Direct(s, direct, *d); !st.ok()) {
        return Guilty(st);
      }
      Point gamma;
      if (c.accused == s.self) {
        gamma = s.gamma_point;
      } else if (c.broadcast != nullptr) {
        absl::StatusOr<PresignRound2Payload> b =
            DecodePresignRound2(c.broadcast->payload);
        if (!b.ok()) return Guilty(b.status());
        if (absl::Status st = CheckRound2(
                s, c.accused, s.peers.at(c.accused).gamma_commitment, *b);
            !st.ok()) {
          return Guilty(st);
        }
        gamma = b->gamma;
      } else {
        return False("the responses decode and no Gamma was sent");
      }
      const BigInt& k_c =
          c.complainer == s.self ? s.cap_k : s.peers.at(c.complainer).cap_k;
      if (absl::Status st = CheckRound2Responses(s, c.accused, c.complainer,
                                                 k_c, gamma, *d, {});
          !st.ok()) {
        return Guilty(st);
      }
      if (c.evidence.empty()) return False("both Πaff-g verify");
      return JudgeOpening(c, complainer.paillier, *d);
    }
    if (c.round == 4) {
      absl::StatusOr<PresignRound4DirectPayload> d =
          DecodePresignRound4Direct(direct.payload);
      if (!d.ok()) return Guilty(d.status());
      auto first = c.directs.find(1);
      absl::StatusOr<PresignRound1DirectPayload> r1 =
          first == c.directs.end()
              ? absl::InvalidArgumentError("missing")
              : DecodePresignRound1Direct(first->second->payload);
      if (!r1.ok()) {
        return False("the round-1 Πenc it refers to is missing or invalid");
      }
      Point r_bar;
      if (c.accused == s.self) {
        r_bar = s.own_r_bar;  // k is wiped once round 4 is done
      } else if (c.broadcast != nullptr) {
        absl::StatusOr<PresignRound4Payload> b =
            DecodePresignRound4(c.broadcast->payload);
        if (!b.ok()) return Guilty(b.status());
        r_bar = b->r_bar;
      } else {
        return False("Πlog-rp decodes and no R̄ was sent");
      }
      zk::PiLogRpStatement st{complainer.ring_pedersen, r1->pi_enc.cap_s,
                              s.big_r, r_bar};
      absl::Status v = zk::VerifyPiLogRp(
          st, d->log_rp, s.Ctx(4, c.accused, c.complainer), nullptr);
      if (!v.ok()) {
        return Guilty(CulpritCode::kBadProof,
                      absl::StrCat("presign: ", v.message()));
      }
      return False("pi_log_rp verifies");
    }
    return Verdict{Outcome::kUndecidable,
                   absl::StrCat("round-", c.round,
                                " direct proofs are checked by their "
                                "recipient only")};
  }

 private:
  // K of the accused: its signed round-1 broadcast in the complaint, else
  // this party's copy (zero if neither).
  absl::StatusOr<BigInt> AccusedK(const Case& c) const {
    const PresignState& s = *s_;
    if (c.accused == s.self) return s.cap_k;
    if (c.broadcast != nullptr) {
      absl::StatusOr<PresignRound1Payload> b =
          DecodePresignRound1(c.broadcast->payload);
      if (!b.ok() || !CheckRound1(s, c.accused, *b).ok()) return BigInt();
      return b->cap_k;
    }
    auto it = s.peers.find(c.accused);
    if (it == s.peers.end()) return BigInt();
    return it->second.cap_k;
  }

  // The complainer's opening of D_gamma or D_w: a valid opening to an α
  // outside mpc/mta's bound (mta::AlphaInRange) proves the accused's
  // response out of range.
  Verdict JudgeOpening(const Case& c, const PaillierPublicKey& alice,
                       const PresignRound2DirectPayload& d) const {
    v1::PresignMtaOpening pb;
    if (!pb.ParseFromArray(c.evidence.data(),
                           static_cast<int>(c.evidence.size())) ||
        !pb.GetReflection()->GetUnknownFields(pb).empty() ||
        (pb.which() != 1 && pb.which() != 2)) {
      return False("malformed MtA opening");
    }
    absl::StatusOr<BigInt> plain = DecodeInt(
        pb.plaintext(), kMaxModulusMagnitudeBytes, kWhat, "plaintext");
    if (!plain.ok()) return False(plain.status().message());
    absl::StatusOr<BigInt> nonce =
        DecodeInt(pb.nonce(), kMaxModulusMagnitudeBytes, kWhat, "nonce");
    if (!nonce.ok()) return False(nonce.status().message());
    if (absl::Status st =
            CheckOpening(*plain, *nonce, alice, "plaintext", "nonce");
        !st.ok()) {
      return False(st.message());
    }
    const BigInt& target = pb.which() == 1 ? d.d_gamma : d.d_w;
    absl::StatusOr<BigInt> enc = alice.EncryptWithNonce(*plain, *nonce);
    if (!enc.ok() || *enc != target) {
      return False("the opening does not match D");
    }
    if (mta::AlphaInRange(*plain)) {
      return False("the opened alpha is in range");
    }
    return Guilty(CulpritCode::kBadShare,
                  "presign: mta alpha out of range (opening of D verified)");
  }

  std::shared_ptr<const PresignState> s_;
};

}  // namespace

std::shared_ptr<const round::ComplaintJudge> NewPresignJudge(
    std::shared_ptr<const PresignState> s) {
  return std::make_shared<PresignJudge>(std::move(s));
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
