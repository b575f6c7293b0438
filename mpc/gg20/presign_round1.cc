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
#include "mpc/round/typed_round.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_log_rp.h"
#include "mpc/zk/pi_log_star.h"
#include "mpc/zk/zk_params.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// Bob's side of one MtA towards Alice j: D = K_j^x · enc_j(β; s),
// F = enc_i(β; r), Πaff-g.
absl::Status BobMta(const PresignState& s, PartyId j, const Scalar& x,
                    const Point& x_point, RandomSource& rng, BigInt* beta_out,
                    std::string* d_out, std::string* f_out,
                    std::string* proof_out, BigInt* f_nonce_out = nullptr) {
  const PartyPublicInfo& alice = s.Info(j);
  const PaillierPublicKey& nj = alice.paillier;
  const PaillierPrivateKey& own = *s.ks->paillier;
  size_t extra =
      s.config.testing != nullptr ? s.config.testing->mta_beta_extra_bits : 0;
  if (s.config.testing != nullptr &&
      s.config.testing->mta_beta_extra_bits_only_to.has_value() &&
      *s.config.testing->mta_beta_extra_bits_only_to != j) {
    extra = 0;
  }
  BigInt beta = BigInt::RandomSigned(zk::kEllPrime + extra, rng);
  // enc_j(β; s) = (1+N_j)^β · s^N_j, the randomizer from the pool when one
  // is available.
  zk::PaillierNonce nonce = zk::NextNonce(nj, s.Pool(j), nullptr, rng);
  BigInt& nonce_s = nonce.r;
  BigInt x_int = x.ToBigInt();
  absl::StatusOr<BigInt> kx = nj.MulScalar(s.peers.at(j).cap_k, x_int);
  if (!kx.ok()) return kx.status();
  BigInt enc_beta =
      BigInt::ModMul(zk::OnePlusNPow(nj, beta), nonce.r_to_n, nj.n_squared());
  absl::StatusOr<BigInt> d = nj.Add(*kx, enc_beta);
  if (!d.ok()) return d.status();
  absl::StatusOr<PaillierEncryption> f = own.Encrypt(beta, rng);
  if (!f.ok()) return f.status();
  zk::PiAffGStatement st{
      nj, own.public_key(), alice.ring_pedersen, s.peers.at(j).cap_k,
      *d, f->ciphertext,    Point::Generator(),  x_point};
  zk::PiAffGWitness wit{x_int, beta,       nonce_s,  f->nonce,
                        &own,  s.Table(j), s.Pool(j)};
  zk::PiAffGProof proof;
  if (extra > 0) {
    proof =
        zk::internal::ProvePiAffGUnchecked(st, wit, s.Ctx(2, s.self, j), rng);
  } else {
    absl::StatusOr<zk::PiAffGProof> p =
        zk::ProvePiAffG(st, wit, s.Ctx(2, s.self, j), rng);
    if (!p.ok()) return p.status();
    proof = *std::move(p);
  }
  *d_out = EncodeInt(*d);
  *f_out = EncodeInt(f->ciphertext);
  *proof_out = SerializeEmbedded(zk::PiAffGProofToProto(proof));
  *beta_out = beta;
  if (f_nonce_out != nullptr) *f_nonce_out = f->nonce;
  x_int.Wipe();
  beta.Wipe();
  nonce.r.Wipe();
  nonce.r_to_n.Wipe();
  f->nonce.Wipe();
  return absl::OkStatus();
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
      zk::PiEncStatement st{s.Info(j).paillier, s.OwnRp(), p.cap_k};
      absl::Status v =
          zk::VerifyPiEnc(st, directs().at(j).pi_enc, s.Ctx(1, j, s.self),
                          s.ks->ring_pedersen.get());
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
      absl::Status st = BobMta(s, j, s.gamma, s.gamma_point, rng,
                               &bob.beta_gamma, d.mutable_d_gamma(),
                               d.mutable_f_gamma(), d.mutable_pi_aff_gamma());
      if (!st.ok()) return st;
      bob.f_gamma = d.f_gamma();
      st = BobMta(s, j, s.w, s.w_points.at(s.self), rng, &bob.beta_w,
                  d.mutable_d_w(), d.mutable_f_w(), d.mutable_pi_aff_w(),
                  &bob.f_w_nonce);
      if (!st.ok()) return st;
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
