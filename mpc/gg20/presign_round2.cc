// Presign round 2: checks the Γ openings and, as Alice, every MtA
// response (Πaff-g, α range); broadcasts δ_i, T_i with its Pedersen PoK
// and the digest of the responses received (messages of round 3).
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
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// The opening (α, ρ) of D = (1+N)^α ρ^N under one's own key, as complaint
// evidence: ρ = D^(N^-1 mod φ(N)) mod N (D ≡ ρ^N mod N).
std::vector<uint8_t> MtaOpeningEvidence(const PaillierPrivateKey& sk,
                                        uint32_t which, const BigInt& d,
                                        const BigInt& alpha) {
  v1::PresignMtaOpening pb;
  pb.set_which(which);
  pb.set_plaintext(EncodeInt(alpha));
  absl::StatusOr<BigInt> n_inv = BigInt::ModInverse(sk.n(), sk.phi());
  if (n_inv.ok()) {
    // Secret exponent N^-1 mod φ(N), public modulus N.
    BigInt rho = BigInt::PowModConstTime(BigInt::Mod(d, sk.n()), *n_inv, sk.n(),
                                         kPaillierModulusBits);
    pb.set_nonce(EncodeInt(rho));
    rho.Wipe();
    n_inv->Wipe();
  }
  std::string bytes = pb.SerializeAsString();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

// ---------------------------------------------------------------- round 2
class PresignRound2 : public round::TypedRound<PresignRound2Payload,
                                               PresignRound2DirectPayload> {
 public:
  explicit PresignRound2(std::shared_ptr<PresignState> s)
      : TypedRound(2), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    const PaillierPrivateKey& sk = *s.ks->paillier;
    // The plaintext of K_i (k_i) lets each Πaff-g check its N0 equation by
    // halves, which decrypts D: the check hands out α (no second
    // decryption).
    BigInt k_int = s.k.ToBigInt();
    zk::PiAffGVerifierSecrets secrets{&sk, s.ks->ring_pedersen.get(), &k_int};
    Scalar delta = s.k * s.gamma;
    Scalar sigma = s.k * s.w;
    // Each peer's two Πaff-g checks on config.threads threads; results are
    // used in signer order (the first failing peer is named, as in a
    // sequential run).
    std::vector<PartyId> others;
    for (auto& [j, peer] : s.peers) others.push_back(j);
    std::vector<absl::Status> checks(others.size());
    std::vector<BigInt> alphas_g(others.size()), alphas_w(others.size());
    ForEachPeerTask(others.size(), s.config.threads, [&](size_t i) {
      const PartyId j = others[i];
      checks[i] = CheckRound2Responses(s, j, s.self, s.cap_k,
                                       s.peers.at(j).gamma, directs().at(j),
                                       secrets, &alphas_g[i], &alphas_w[i]);
    });
    for (size_t i = 0; i < others.size(); ++i) {
      const PartyId j = others[i];
      const PresignRound2DirectPayload& p = directs().at(j);
      BigInt& alpha_g = alphas_g[i];  // α of each MtA: Dec(D), centered
      BigInt& alpha_w = alphas_w[i];
      if (!checks[i].ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadProof,
                                 checks[i].message());
      }
      if (!mta::AlphaInRange(alpha_g)) {
        return DirectAbortOutput(j, CulpritCode::kBadShare,
                                 "presign: mta alpha out of range",
                                 MtaOpeningEvidence(sk, 1, p.d_gamma, alpha_g));
      }
      if (!mta::AlphaInRange(alpha_w)) {
        return DirectAbortOutput(j, CulpritCode::kBadShare,
                                 "presign: mta alpha out of range",
                                 MtaOpeningEvidence(sk, 2, p.d_w, alpha_w));
      }
      // α + β = k·x (mod q) for each MtA, Alice's and Bob's sides.
      const MtaBob& bob = s.bob.at(j);
      delta = delta + Scalar::FromBigIntReduce(alpha_g) + bob.beta_gamma;
      sigma = sigma + Scalar::FromBigIntReduce(alpha_w) + bob.beta_w;
    }
    k_int.Wipe();
    for (auto& [j, bob] : s.bob) {
      bob.beta_gamma.Wipe();
      bob.beta_w.Wipe();
    }
    s.delta = delta;
    s.sigma = sigma;
    delta.Wipe();
    sigma.Wipe();
    absl::StatusOr<zk::PedersenPokProof> pok = CommitSigma(s, rng);
    if (!pok.ok()) return pok.status();
    v1::PresignRound3 bc;
    bc.set_delta(EncodeSc(s.delta));
    bc.set_cap_t(EncodePt(s.cap_t));
    bc.set_pedersen_pok(SerializeEmbedded(zk::PedersenPokProofToProto(*pok)));
    std::array<uint8_t, 32> received_digest =
        ReceivedMtaDigestOf(s, s.self, s.received_gamma);
    bc.set_received_mta_digest(
        std::string(received_digest.begin(), received_digest.end()));
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    out.next = NewPresignRound3(s_);
    return out;
  }

 private:
  absl::StatusOr<PresignRound2Payload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignRound2(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRound2Payload& v) const override {
    return CheckRound2(*s_, msg.from, s_->peers.at(msg.from).gamma_commitment,
                       v);
  }
  void StoredBroadcast(const Message& msg, PresignRound2Payload& v) override {
    s_->peers[msg.from].gamma = v.gamma;
  }
  absl::StatusOr<PresignRound2DirectPayload> DecodeDirect(
      const Message& msg) const override {
    return DecodePresignRound2Direct(msg.payload);
  }
  absl::Status CheckDirect(const Message& msg,
                           const PresignRound2DirectPayload& v) const override {
    return CheckRound2Direct(*s_, msg, v);
  }
  void StoredDirect(const Message& msg,
                    PresignRound2DirectPayload& v) override {
    s_->received_gamma[msg.from] = v.gamma_bytes;
    s_->received_w[msg.from] = v.w_bytes;
  }

  std::shared_ptr<PresignState> s_;
};

}  // namespace

std::unique_ptr<round::Round> NewPresignRound2(
    std::shared_ptr<PresignState> s) {
  return std::make_unique<PresignRound2>(std::move(s));
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
