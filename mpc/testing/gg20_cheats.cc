#include "mpc/testing/gg20_cheats.h"

#include <sodium.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/keygen_state.h"
#include "mpc/gg20/presign_state.h"
#include "mpc/mta/mta.h"
#include "mpc/testing/rules.h"
#include "mpc/zk/params.h"
#include "mpc/zk/pi_aff_g.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::testing {
namespace {

using round::Message;
using round::PartyId;
using round::RoundOutput;

// Seed of the scratch source a round draws from when the rule redraws what
// it computed (rules.h): its values are discarded.
constexpr uint64_t kScratchSeed = 0x5c7a7c4;

// The payload type of an outbound message: `round` is the number it is
// stamped with, `next` the round that follows (the reveal rounds share
// message numbers with the normal ones and are told apart by whether they
// expect direct messages).
using PayloadFactory = std::function<std::unique_ptr<google::protobuf::Message>(
    uint32_t round, bool broadcast, const round::Round& next)>;

template <typename T>
std::unique_ptr<google::protobuf::Message> New() {
  return std::make_unique<T>();
}

std::unique_ptr<google::protobuf::Message> KeygenPayload(uint32_t round,
                                                         bool broadcast,
                                                         const round::Round&) {
  switch (round) {
    case 1:
      return New<v1::KeygenCommit>();
    case 2:
      return broadcast ? New<v1::KeygenDecommit>() : New<v1::KeygenShare>();
    case 3:
      return broadcast ? New<v1::KeygenShareProof>()
                       : New<v1::KeygenFacProof>();
    case 4:
      return New<v1::KeygenConfirm>();
  }
  return nullptr;
}

// Presign's payload types; `sigma_reveal_next`: whether a round-5 message
// belongs to the σ reveal (both reveals are broadcast-only: the caller
// knows which one round 4 went to).
std::unique_ptr<google::protobuf::Message> PresignPayload(
    uint32_t round, bool broadcast, const round::Round& next,
    bool sigma_reveal_next) {
  switch (round) {
    case 1:
      return broadcast ? New<v1::PresignRound1>()
                       : New<v1::PresignRound1Direct>();
    case 2:
      return broadcast ? New<v1::PresignRound2>()
                       : New<v1::PresignRound2Direct>();
    case 3:
      return New<v1::PresignRound3>();
    case 4:  // round 4, or the δ reveal when round 3 finds δ = 0
      if (!next.ExpectsDirect()) return New<v1::PresignReveal>();
      return broadcast ? New<v1::PresignRound4>()
                       : New<v1::PresignRound4Direct>();
    case 5:  // the σ reveal or the δ reveal
      if (sigma_reveal_next) return New<v1::PresignSigmaReveal>();
      return New<v1::PresignReveal>();
  }
  return nullptr;
}

absl::Status Internal(absl::string_view what) {
  return absl::InternalError(absl::StrCat("cheat: ", what));
}

// Rewrites one outbound payload of type `T` through `f`.
template <typename T, typename F>
absl::Status RewritePayload(Message& m, F f) {
  T pb;
  if (!pb.ParseFromArray(m.payload.data(),
                         static_cast<int>(m.payload.size()))) {
    return Internal("own payload does not parse");
  }
  f(pb);
  m.payload = SerializePayload(pb);
  return absl::OkStatus();
}

// Applies `hook` to every outbound payload of `out` (except those `skip`
// names), in order, as the rounds used to before serializing them.
absl::Status TamperOutbound(const TamperHook& hook, RoundOutput& out,
                            const PayloadFactory& payload,
                            const std::function<bool(const Message&)>& skip) {
  if (!hook || out.next == nullptr) return absl::OkStatus();
  const uint32_t round = out.next->Number();
  for (Message& m : out.outbound) {
    if (skip && skip(m)) continue;
    std::unique_ptr<google::protobuf::Message> pb =
        payload(round, m.is_broadcast(), *out.next);
    if (pb == nullptr ||
        !pb->ParseFromArray(m.payload.data(),
                            static_cast<int>(m.payload.size()))) {
      return Internal(absl::StrCat("round-", round, " payload unknown"));
    }
    hook(round, m.to, *pb);
    m.payload = SerializePayload(*pb);
    // The parsed copy of a VSS share (a secret) is wiped, as the round
    // wipes its own.
    if (auto* share = dynamic_cast<v1::KeygenShare*>(pb.get())) {
      sodium_memzero(share->mutable_share()->data(), share->share().size());
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ keygen

class KeygenCheatRule : public round::Rule {
 public:
  KeygenCheatRule(std::shared_ptr<keygen_detail::KeygenState> s,
                  KeygenCheat cheat)
      : s_(std::move(s)), cheat_(std::move(cheat)) {}

  RandomSource& ModifyBefore(round::Round& r, RandomSource& rng) override {
    if (r.Number() == 0) {
      // Round 0 deals a polynomial of degree `threshold`.
      s_->config.threshold += static_cast<uint32_t>(cheat_.extra_vss_degree);
    }
    return rng;
  }

  absl::Status ModifyAfter(round::Round& r, RoundOutput& out,
                           RandomSource&) override {
    if (r.Number() == 0) {
      s_->config.threshold -= static_cast<uint32_t>(cheat_.extra_vss_degree);
    }
    if (out.abort.has_value()) return absl::OkStatus();
    if (r.Number() == 0 && cheat_.tamper) {
      // The decommitment (sent in round 2) is tampered with before this
      // party commits to it in round 1.
      cheat_.tamper(2, 0, s_->decommit);
      const std::string bytes = SerializeEmbedded(s_->decommit);
      std::array<uint8_t, 32> c = keygen_detail::CommitmentOf(
          *s_, s_->config.self,
          absl::Span<const uint8_t>(
              reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      v1::KeygenCommit commit;
      commit.set_commitment(std::string(c.begin(), c.end()));
      if (out.outbound.size() != 1) return Internal("keygen round 1 output");
      out.outbound[0].payload = SerializePayload(commit);
    }
    return TamperOutbound(cheat_.tamper, out, KeygenPayload,
                          [&r](const Message& m) {
                            // Already tampered before its commitment.
                            return r.Number() == 1 && m.is_broadcast();
                          });
  }

 private:
  std::shared_ptr<keygen_detail::KeygenState> s_;
  KeygenCheat cheat_;
};

// ----------------------------------------------------------------- presign

class PresignCheatRule : public round::Rule {
 public:
  PresignCheatRule(std::shared_ptr<presign_detail::PresignState> s,
                   PresignCheat cheat)
      : s_(std::move(s)), cheat_(std::move(cheat)), scratch_(kScratchSeed) {}

  RandomSource& ModifyBefore(round::Round& r, RandomSource& rng) override {
    switch (r.Number()) {
      case 1:  // the MtA responses are redrawn
        if (cheat_.mta_beta_extra_bits > 0 || CheatsInPair()) return scratch_;
        break;
      case 2:  // l_i and the PoK are redrawn for σ_i + 1, or made after an
               // abort (accept_mta_from)
        if (cheat_.wrong_sigma || cheat_.accept_mta_from.has_value()) {
          return scratch_;
        }
        break;
      case 3:  // R̄_i and its Πlog-rp for k_i + 1
        if (cheat_.r_bar_with_other_k) s_->k = s_->k + Scalar::One();
        break;
    }
    return rng;
  }

  absl::Status ModifyAfter(round::Round& r, RoundOutput& out,
                           RandomSource& rng) override {
    if (r.Number() == 2 && cheat_.accept_mta_from.has_value()) {
      RETURN_IF_ERROR(AcceptingRoundTwo(out, rng));
    }
    if (out.abort.has_value() || out.next == nullptr) return absl::OkStatus();
    switch (r.Number()) {
      case 1:
        if (cheat_.mta_beta_extra_bits > 0) {
          RETURN_IF_ERROR(OversizedMta(out, rng));
        } else if (CheatsInPair()) {
          RETURN_IF_ERROR(NegatedNonceMta(out, rng));
        }
        if (cheat_.mta_gamma_half_mask_to.has_value()) {
          RETURN_IF_ERROR(HalfMaskMta(out, rng));
        }
        break;
      case 2:
        if (cheat_.wrong_sigma) RETURN_IF_ERROR(WrongSigma(out, rng));
        if (cheat_.wrong_delta || cheat_.broadcast_delta.has_value()) {
          RETURN_IF_ERROR(WrongDelta(out));
        }
        break;
      case 3:
        // k_i back, unless the round went to the δ reveal (k_i wiped).
        if (cheat_.r_bar_with_other_k && out.next->ExpectsDirect()) {
          s_->k = s_->k - Scalar::One();
        }
        break;
    }
    // Round 4 goes to the σ reveal iff Σ R̄_j = G (presign_round4.cc).
    bool sigma_reveal_next = false;
    if (r.Number() == 4) {
      Point sum_r_bar = s_->own_r_bar;
      for (const auto& [j, p] : s_->peers) sum_r_bar = sum_r_bar + p.r_bar;
      sigma_reveal_next = sum_r_bar == Point::Generator();
    }
    return TamperOutbound(
        cheat_.tamper, out,
        [sigma_reveal_next](uint32_t round, bool broadcast,
                            const round::Round& next) {
          return PresignPayload(round, broadcast, next, sigma_reveal_next);
        },
        nullptr);
  }

 private:
  // Round 1: every MtA pair redrawn from the session's randomness in the
  // round's order, oversized towards the target(s).
  absl::Status OversizedMta(RoundOutput& out, RandomSource& rng) {
    presign_detail::PresignState& s = *s_;
    for (Message& m : out.outbound) {
      if (m.is_broadcast()) continue;
      const PartyId j = m.to;
      const bool target = !cheat_.mta_beta_extra_bits_only_to.has_value() ||
                          *cheat_.mta_beta_extra_bits_only_to == j;
      mta::internal::BobPairCheat cheat;
      cheat.first_extra_bits = cheat_.mta_beta_extra_bits;
      cheat.second_extra_bits = cheat_.mta_beta_extra_bits;
      absl::StatusOr<mta::BobPairResult> pair;
      for (int draw = 1;; ++draw) {
        if (!target) {
          pair = presign_detail::BobMtaPair(s, j, rng);
          break;
        }
        pair = CheatingPair(j, cheat, rng);
        if (!pair.ok()) return pair.status();
        // Past the verifier's bound, within the decoder's byte limit.
        auto in_window = [](const BigInt& z2) {
          return !zk::InSignedRange(z2, zk::kEllPrime + zk::kEpsilon) &&
                 z2.BitLength() <=
                     8 * zk::BytesForBits(zk::kEllPrime + zk::kEpsilon);
        };
        if (!cheat_.mta_beta_until_out_of_range ||
            (in_window(pair->first.response.aff_g_proof.z2) &&
             in_window(pair->second.response.aff_g_proof.z2)) ||
            draw == 64) {
          break;
        }
      }
      if (!pair.ok()) return pair.status();
      m.payload = SerializePayload(
          presign_detail::KeepBobResponses(s, j, *std::move(pair)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<mta::BobPairResult> CheatingPair(
      PartyId j, const mta::internal::BobPairCheat& cheat, RandomSource& rng) {
    presign_detail::PresignState& s = *s_;
    const PartyPublicInfo& alice = s.Info(j);
    return mta::internal::BobRespondPairCheating(
        alice.paillier, alice.ring_pedersen, s.peers.at(j).cap_k, s.gamma, s.w,
        Point::Generator(), s.Ctx(2, s.self, j), rng, cheat, s.Table(j),
        s.Pool(j));
  }

  bool CheatsInPair() const {
    return cheat_.mta_negate_gamma_d || cheat_.mta_negate_w_d ||
           cheat_.mta_w_part_for_gamma;
  }

  // Round 1: every MtA pair redrawn from the session's randomness in the
  // round's order with the chosen D's negated (until the pair passes or
  // fails as asked) and / or the MtAwc part made for γ_i.
  absl::Status NegatedNonceMta(RoundOutput& out, RandomSource& rng) {
    presign_detail::PresignState& s = *s_;
    mta::internal::BobPairCheat cheat;
    cheat.negate_first_d = cheat_.mta_negate_gamma_d;
    cheat.negate_second_d = cheat_.mta_negate_w_d;
    cheat.second_x_from_first = cheat_.mta_w_part_for_gamma;
    for (Message& m : out.outbound) {
      if (m.is_broadcast()) continue;
      const PartyId j = m.to;
      const PartyPublicInfo& alice = s.Info(j);
      if (cheat_.mta_pair_cheat_only_to.has_value() &&
          *cheat_.mta_pair_cheat_only_to != j) {
        // Redrawn honestly, in the round's order, as the targets are.
        ASSIGN_OR_RETURN(mta::BobPairResult pair,
                         presign_detail::BobMtaPair(s, j, rng));
        m.payload = SerializePayload(
            presign_detail::KeepBobResponses(s, j, std::move(pair)));
        continue;
      }
      for (int draw = 1;; ++draw) {
        ASSIGN_OR_RETURN(mta::BobPairResult pair, CheatingPair(j, cheat, rng));
        bool keep = !cheat_.mta_negated_passes.has_value() || draw == 64;
        if (!keep) {
          const mta::MtaResponse& g = pair.first.response;
          const mta::MtaResponse& x = pair.second.response;
          const BigInt& cap_k = s.peers.at(j).cap_k;
          const Point base = Point::Generator();
          zk::PiAffGStatement st_g{alice.paillier, alice.ring_pedersen,
                                   cap_k,          g.cap_d,
                                   base,           g.cap_x,
                                   g.cap_y};
          zk::PiAffGStatement st_w{alice.paillier, alice.ring_pedersen,
                                   cap_k,          x.cap_d,
                                   base,           x.cap_x,
                                   x.cap_y};
          const auto [e1, e2] = zk::PiAffGPairChallenges(
              st_g, g.aff_g_proof, st_w, x.aff_g_proof, s.Ctx(2, s.self, j));
          const bool odd = (cheat.negate_first_d && e1.IsOdd()) !=
                           (cheat.negate_second_d && e2.IsOdd());
          keep = !odd == *cheat_.mta_negated_passes;
        }
        if (keep) {
          m.payload = SerializePayload(
              presign_detail::KeepBobResponses(s, j, std::move(pair)));
          break;
        }
      }
    }
    return absl::OkStatus();
  }

  // Round 1 (collusion, Bob): the MtA(k·γ) (or, with mta_half_mask_w, the
  // MtAwc) response towards the colluding Alice carries the mask y/2 with
  // its part of the Πaff-g pair made with her ring-Pedersen order (see
  // PresignCheat::mta_gamma_half_mask_to); the other response is honest.
  absl::Status HalfMaskMta(RoundOutput& out, RandomSource& rng) {
    const bool w = cheat_.mta_half_mask_w;
    presign_detail::PresignState& s = *s_;
    const PartyId j = *cheat_.mta_gamma_half_mask_to;
    const PartyPublicInfo& alice = s.Info(j);
    const PaillierPublicKey& n0 = alice.paillier;
    const BigInt m = n0.n() * cheat_.colluding_alice_rp_order * Scalar::Order();
    if (!m.IsOdd()) return Internal("half mask: M must be odd");
    const BigInt half = (m + BigInt(1)).ShiftRight(1);  // 2^-1 mod M
    const BigInt& cap_k = s.peers.at(j).cap_k;
    const Point base = Point::Generator();
    const BigInt& n0_sq = n0.n_squared();
    // One response: D = K^x · (1 + (y mod N0)·N0) · ρ^N0 mod N0² for the
    // integer mask y, Y = (y mod q)·G, X = x·G.
    struct Response {
      BigInt x, y, rho, cap_d;
      Point cap_x, cap_y;
    };
    auto respond = [&](const Scalar& x_sc, const BigInt& y) {
      Response r;
      r.x = x_sc.ToBigInt();
      r.y = y;
      r.rho = BigInt::RandomUnit(n0.n(), rng);
      r.cap_d = BigInt::ModMul(
          BigInt::ModMul(BigInt::PowMod(cap_k, r.x, n0_sq),
                         BigInt(1) + BigInt::Mod(y, n0.n()) * n0.n(), n0_sq),
          BigInt::PowMod(r.rho, n0.n(), n0_sq), n0_sq);
      r.cap_x = Point::MulBase(x_sc);
      r.cap_y = Point::MulBase(Scalar::FromBigIntReduce(y));
      return r;
    };
    for (Message& msg : out.outbound) {
      if (msg.is_broadcast() || msg.to != j) continue;
      for (int draw = 1; draw <= 64; ++draw) {
        // y odd and positive, below 2^(ℓ'-1).
        const BigInt y =
            BigInt::RandomBits(zk::kEllPrime - 2, rng).ShiftLeft(1) + BigInt(1);
        const BigInt y_half = y * half;
        Response cheat = respond(w ? s.w : s.gamma, y_half);
        Response honest = respond(w ? s.gamma : s.w,
                                  BigInt::RandomSigned(zk::kEllPrime, rng));
        Response& g = w ? honest : cheat;
        Response& x = w ? cheat : honest;
        zk::PiAffGStatement st_g{
            n0, alice.ring_pedersen, cap_k, g.cap_d, base, g.cap_x, g.cap_y};
        zk::PiAffGStatement st_w{
            n0, alice.ring_pedersen, cap_k, x.cap_d, base, x.cap_x, x.cap_y};
        zk::PiAffGPairProof pair = zk::internal::ProvePiAffGPairUnchecked(
            st_g, zk::PiAffGWitness{g.x, g.y, g.rho}, st_w,
            zk::PiAffGWitness{x.x, x.y, x.rho}, s.Ctx(2, s.self, j), rng);
        zk::PiAffGProof& proof = w ? pair.second : pair.first;
        // z2 = β + e·y/2 with |β| < y/2: e is z2 / (y/2) rounded.
        const BigInt e = BigInt::FloorDiv(proof.z2.ShiftLeft(1) + y_half,
                                          y_half.ShiftLeft(1));
        if (e.IsOdd()) continue;
        proof.z2 = proof.z2 - e.ShiftRight(1) * y * m;
        if (!zk::InSignedRange(proof.z2, zk::kEllPrime + zk::kEpsilon)) {
          continue;
        }
        // β = −y mod q for each response, as an honest Bob's share for his
        // Y (−y/2 mod q for the cheating one).
        auto result = [](const Response& r, zk::PiAffGProof part) {
          mta::BobResult out;
          out.response =
              mta::MtaResponse{r.cap_d, r.cap_y, r.cap_x, std::move(part)};
          out.beta = -Scalar::FromBigIntReduce(r.y);
          return out;
        };
        v1::PresignRound2Direct d = presign_detail::KeepBobResponses(
            s, j,
            mta::BobPairResult{result(g, std::move(pair.first)),
                               result(x, std::move(pair.second))});
        msg.payload = SerializePayload(d);
        return absl::OkStatus();
      }
      return Internal("half mask: no even challenge in 64 draws");
    }
    return Internal("half mask: no round-2 message to the colluding Alice");
  }

  // Round 2 (collusion, Alice): the round aborted naming her colluding Bob
  // (α out of range); she goes on with α = Dec(D) of every response.
  absl::Status AcceptingRoundTwo(RoundOutput& out, RandomSource& rng) {
    if (!out.abort.has_value()) return absl::OkStatus();
    presign_detail::PresignState& s = *s_;
    const PaillierPrivateKey& sk = *s.ks->paillier;
    Scalar delta = s.k * s.gamma;
    Scalar sigma = s.k * s.w;
    // α = Dec(D), centered, of a response as received (its bytes decoded).
    auto alpha_of = [&](const std::string& d) -> absl::StatusOr<BigInt> {
      ASSIGN_OR_RETURN(
          BigInt c, DecodeInt(d, kMaxCiphertextMagnitudeBytes, "cheat", "d"));
      return sk.DecryptSigned(c);
    };
    for (const auto& [j, bob] : s.bob) {
      ASSIGN_OR_RETURN(BigInt alpha_g, alpha_of(s.received_gamma.at(j).d));
      ASSIGN_OR_RETURN(BigInt alpha_w, alpha_of(s.received_w.at(j).d));
      delta = delta + Scalar::FromBigIntReduce(alpha_g) + bob.beta_gamma;
      sigma = sigma + Scalar::FromBigIntReduce(alpha_w) + bob.beta_w;
    }
    s.delta = delta;
    s.sigma = sigma;
    ASSIGN_OR_RETURN(zk::PedersenPokProof pok,
                     presign_detail::CommitSigma(s, rng));
    v1::PresignRound3 bc;
    bc.set_delta(EncodeSc(s.delta));
    bc.set_cap_t(EncodePt(s.cap_t));
    bc.set_pedersen_pok(SerializeEmbedded(zk::PedersenPokProofToProto(pok)));
    std::array<uint8_t, 32> digest =
        presign_detail::ReceivedMtaDigestOf(s, s.self, s.received_gamma);
    bc.set_received_mta_digest(std::string(digest.begin(), digest.end()));
    RoundOutput next;
    next.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    next.next = presign_detail::NewPresignRound3(s_);
    out = std::move(next);
    return absl::OkStatus();
  }

  // Round 2: σ_i + 1 with T_i and its PoK made for it, as round 2 makes
  // them for σ_i.
  absl::Status WrongSigma(RoundOutput& out, RandomSource& rng) {
    s_->sigma = s_->sigma + Scalar::One();
    ASSIGN_OR_RETURN(zk::PedersenPokProof pok,
                     presign_detail::CommitSigma(*s_, rng));
    return RewritePayload<v1::PresignRound3>(
        out.outbound.at(0), [&](v1::PresignRound3& m) {
          m.set_cap_t(EncodePt(s_->cap_t));
          m.set_pedersen_pok(
              SerializeEmbedded(zk::PedersenPokProofToProto(pok)));
        });
  }

  // Round 2: the δ_i broadcast, which round 3 also sums.
  absl::Status WrongDelta(RoundOutput& out) {
    if (cheat_.wrong_delta) s_->delta = s_->delta + Scalar::One();
    if (cheat_.broadcast_delta.has_value()) s_->delta = *cheat_.broadcast_delta;
    return RewritePayload<v1::PresignRound3>(
        out.outbound.at(0),
        [&](v1::PresignRound3& m) { m.set_delta(EncodeSc(s_->delta)); });
  }

  std::shared_ptr<presign_detail::PresignState> s_;
  PresignCheat cheat_;
  DeterministicRandom scratch_;
};

// The session of `parts` with its first round wrapped by a `RuleT` made
// from the parts' state and `cheat`.
template <typename RuleT, typename State, typename Cheat>
absl::StatusOr<std::unique_ptr<round::Session>> CreateWithRule(
    absl::StatusOr<SessionParts<State>> parts, const Cheat& cheat,
    RandomSource& rng) {
  if (!parts.ok()) return parts.status();
  auto rule = std::make_shared<RuleT>(parts->state, cheat);
  parts->first = round::WithRule(std::move(parts->first), std::move(rule));
  return CreateSession(std::move(parts), rng);
}

}  // namespace

absl::StatusOr<std::unique_ptr<round::Session>> NewKeygenSessionWithCheat(
    const KeygenConfig& config, const KeygenCheat& cheat, RandomSource& rng) {
  return CreateWithRule<KeygenCheatRule>(
      keygen_detail::NewKeygenSessionParts(config), cheat, rng);
}

absl::StatusOr<std::unique_ptr<round::Session>> NewPresignSessionWithCheat(
    const PresignConfig& config, const PresignCheat& cheat, RandomSource& rng) {
  return CreateWithRule<PresignCheatRule>(
      presign_detail::NewPresignSessionParts(config), cheat, rng);
}

}  // namespace nitro_tss::mpc::gg20::testing
