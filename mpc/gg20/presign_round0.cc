// Presign round 0: k_i, γ_i; K_i = enc(k_i), the commitment to Γ_i and a
// Πenc of K_i per verifier (messages of round 1).
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
#include "mpc/zk/pi_enc.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// ---------------------------------------------------------------- round 0
class PresignRound0 : public round::FirstRound {
 public:
  explicit PresignRound0(std::shared_ptr<PresignState> s) : s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    s.k = Scalar::RandomNonZero(rng);
    s.gamma = Scalar::RandomNonZero(rng);
    s.gamma_point = Point::MulBase(s.gamma);
    std::string salt(32, '\0');
    rng.Fill(reinterpret_cast<uint8_t*>(salt.data()), salt.size());
    s.gamma_salt = salt;
    absl::StatusOr<PaillierEncryption> enc =
        mta::AliceEncrypt(*s.ks->paillier, s.k, rng);
    if (!enc.ok()) return enc.status();
    s.cap_k = enc->ciphertext;
    s.rho = enc->nonce;
    RoundOutput out;
    v1::PresignRound1 bc;
    bc.set_cap_k(EncodeInt(s.cap_k));
    std::array<uint8_t, 32> c =
        GammaCommitment(s, s.self, s.gamma_point, s.gamma_salt);
    bc.set_gamma_commitment(std::string(c.begin(), c.end()));
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    // Πenc of K against each peer's ring-Pedersen parameters (per-peer
    // work, on config.threads threads); the μ of its S is kept for the
    // round-4 Πlog-rp to that peer.
    std::vector<PartyId> others;
    for (PartyId j : s.signers) {
      if (j != s.self) others.push_back(j);
    }
    std::vector<absl::StatusOr<mta::MtaRequest>> requests(others.size());
    std::vector<BigInt> mus(others.size());
    PeerRandom peer_rng(rng, others.size(), s.config.threads);
    ForEachPeerTask(others.size(), s.config.threads, [&](size_t i) {
      const PartyId j = others[i];
      requests[i] = mta::AliceRequest(
          *s.ks->paillier, *enc, s.k, s.Info(j).ring_pedersen,
          s.Ctx(1, s.self, j), peer_rng[i], s.Table(j), &mus[i]);
    });
    for (size_t i = 0; i < others.size(); ++i) {
      const PartyId j = others[i];
      s.enc_mu[j] = std::move(mus[i]);
      absl::StatusOr<mta::MtaRequest>& request = requests[i];
      if (!request.ok()) return request.status();
      s.own_pi_enc_s[j] = request->enc_proof.cap_s;
      v1::PresignRound1Direct d;
      d.set_pi_enc(
          SerializeEmbedded(zk::PiEncProofToProto(request->enc_proof)));
      out.outbound.push_back(Message::Direct(j, SerializePayload(d)));
    }
    out.next = NewPresignRound1(s_);
    return out;
  }

 private:
  std::shared_ptr<PresignState> s_;
};

}  // namespace

std::unique_ptr<round::Round> NewPresignRound0(
    std::shared_ptr<PresignState> s) {
  return std::make_unique<PresignRound0>(std::move(s));
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
