// Identification of a wrong δ_j (round 5, or 4 when round 3 finds δ = 0
// or R = identity): every signer opens γ_j and the decryption of C_j.
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
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {
namespace {

// ---------------------------------------------------------- δ reveal
class PresignDeltaReveal
    : public round::TypedRound<PresignRevealPayload, round::NoMessage> {
 public:
  // `number`: 5 after round 4 (Σ R̄_j != G), 4 when round 3 already finds
  // δ = Σ δ_j not invertible or R the identity.
  PresignDeltaReveal(std::shared_ptr<PresignState> s, uint32_t number)
      : TypedRound(number), s_(std::move(s)) {}

  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    PresignState& s = *s_;
    std::vector<Culprit> culprits;
    for (const auto& [j, rev] : broadcasts()) {
      const PaillierPublicKey& nj = s.Info(j).paillier;
      std::vector<BigInt> d_received, f_sent;
      for (const RevealedMtaResponse& resp : rev.received) {
        d_received.push_back(resp.d);
      }
      for (PartyId m : s.signers) {
        if (m == j) continue;
        f_sent.push_back(
            m == s.self
                ? OwnCiphertext(s.received_gamma.at(j).f)
                : EntryFor(broadcasts().at(m).received, s.signers, m, j).f);
      }
      absl::StatusOr<BigInt> c = mta::ShareSumCiphertext(
          nj, s.peers.at(j).cap_k, rev.gamma, d_received, f_sent);
      if (!c.ok()) return c.status();
      absl::StatusOr<BigInt> opened =
          nj.EncryptWithNonce(rev.delta_plain, rev.delta_nonce);
      if (!opened.ok() || !(*opened == *c)) {
        culprits.push_back({j, CulpritCode::kBadOpening,
                            "presign: delta reveal does not open C_j"});
        continue;
      }
      if (Scalar::FromBigIntReduce(rev.delta_plain) != s.peers.at(j).delta) {
        culprits.push_back(
            {j, CulpritCode::kWrongValue,
             "presign: broadcast delta differs from its MtA values"});
      }
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
    if (absl::Status st =
            CheckOpening(r.delta_plain, r.delta_nonce, info.paillier,
                         "delta_plain", "delta_nonce");
        !st.ok()) {
      return st;
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
};

}  // namespace

// Own δ reveal: γ_i, the decryption of C_i and its nonce.
absl::StatusOr<RoundOutput> DeltaRevealOutput(
    const std::shared_ptr<PresignState>& state, uint32_t round) {
  PresignState& s = *state;
  const PaillierPrivateKey& sk = *s.ks->paillier;
  std::vector<BigInt> d_received, f_sent;
  v1::PresignReveal rev;
  for (PartyId m : s.signers) {
    if (m == s.self) continue;
    const ReceivedGamma& g = s.received_gamma.at(m);
    d_received.push_back(OwnCiphertext(g.d));
    f_sent.push_back(OwnCiphertext(s.bob.at(m).f_gamma));
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
  }
  absl::StatusOr<BigInt> c = mta::ShareSumCiphertext(
      sk.public_key(), s.cap_k, s.gamma, d_received, f_sent);
  if (!c.ok()) return c.status();
  absl::StatusOr<BigInt> m = sk.DecryptSigned(*c);
  if (!m.ok()) return m.status();
  // r = (C·(1+N)^-m mod N)^(N^-1 mod φ(N)) mod N.
  const BigInt& n = sk.n();
  BigInt x = BigInt::ModMul(
      *c, BigInt::Mod(BigInt(1) - *m * n, sk.public_key().n_squared()),
      sk.public_key().n_squared());
  absl::StatusOr<BigInt> n_inv = BigInt::ModInverse(n, sk.phi());
  if (!n_inv.ok()) return n_inv.status();
  // Secret exponent N^-1 mod φ(N), public modulus N.
  BigInt r = BigInt::PowModConstTime(x, *n_inv, n, kPaillierModulusBits);
  rev.set_gamma(EncodeSc(s.gamma));
  rev.set_delta_plain(EncodeInt(*m));
  rev.set_delta_nonce(EncodeInt(r));
  RoundOutput out;
  out.outbound.push_back(round::Message::Broadcast(SerializePayload(rev)));
  out.next = std::make_unique<PresignDeltaReveal>(state, round);
  return out;
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
