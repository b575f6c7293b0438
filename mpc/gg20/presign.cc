#include "mpc/gg20/presign.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/gg20/protocol_context.h"
#include "mpc/round/typed_round.h"
#include "mpc/transcript/transcript.h"
#include "mpc/vss/lagrange.h"
#include "mpc/zk/equality.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/pi_aff_g.h"
#include "mpc/zk/pi_enc.h"
#include "mpc/zk/pi_log_rp.h"
#include "mpc/zk/pi_log_star.h"
#include "mpc/zk/zk_params.h"

namespace nitro_tss::mpc::gg20 {
namespace {

using round::AbortOutput;
using round::Culprit;
using round::CulpritCode;
using round::DirectAbortOutput;
using round::Message;
using round::PartyId;
using round::RoundOutput;
using round::WithCulpritCode;

constexpr char kWhat[] = "presign";

absl::Status Bad(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("presign: ", msg));
}
absl::Status Prefixed(const absl::Status& st) {
  return absl::InvalidArgumentError(absl::StrCat("presign: ", st.message()));
}

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

struct MtaBob {  // this party as Bob towards Alice j
  BigInt beta_gamma, beta_w;
  std::string f_gamma;  // F = enc_i(β) sent with the k·γ response
  // F = enc_i(β_w; f_w_nonce) sent with the k·w response, kept (with β_w)
  // until the presignature is produced, for the σ reveal round.
  std::string f_w;
  BigInt f_w_nonce;
  void Wipe() {
    beta_gamma.Wipe();
    beta_w.Wipe();
    f_w_nonce.Wipe();
  }
};

// What this party received from Bob j for k·γ (resp. k·w), as sent, kept
// for the reveal rounds.
using ReceivedGamma = MtaResponseBytes;
using ReceivedMtawc = MtaResponseBytes;

// What later rounds and the complaint judge need of each other signer's
// checked messages.
struct PeerPresign {
  BigInt cap_k;
  std::array<uint8_t, 32> gamma_commitment{};
  // S of the round-1 Πenc this peer sent to this party (Πlog-rp statement).
  BigInt pi_enc_s;
  Point gamma;
  Scalar delta;
  Point cap_t;
  // Round 3: digest of the MtA(k·γ) responses this peer received in round 2.
  std::array<uint8_t, 32> received_mta_digest{};
  Point r_bar, cap_s;
};

struct PresignState {
  PresignConfig config;
  ProtocolContext ctx;
  const KeyShare* ks = nullptr;
  PartyId self = 0;
  std::vector<PartyId> signers;       // sorted
  std::map<PartyId, Point> w_points;  // W_j (tweak included at the lowest)
  Scalar w;                           // own w_i
  Point public_key;                   // Y'
  // Own secrets.
  Scalar k, gamma, sigma, l, delta, sent_delta;
  BigInt rho;  // nonce of K_i
  // Per verifier j: the randomness μ of the S = s_j^k t_j^μ of the round-1
  // Πenc sent to j, for the round-4 Πlog-rp on that S. Moved out and wiped
  // in round 3's Finalize (BigInt wipes on destruction, also on abort).
  std::map<PartyId, BigInt> enc_mu;
  std::map<PartyId, BigInt> own_pi_enc_s;  // that S, per verifier j
  BigInt cap_k;
  Point gamma_point;
  std::string gamma_salt;
  Point cap_t;
  std::map<PartyId, MtaBob> bob;
  std::map<PartyId, PeerPresign> peers;
  std::map<PartyId, ReceivedGamma> received_gamma;
  std::map<PartyId, ReceivedMtawc> received_w;
  // Per other signer: the key share's ring-Pedersen table (held for the
  // session, see KeyShare::PeerTable).
  std::map<PartyId, std::shared_ptr<const zk::RingPedersenTable>> tables;
  Point big_r;
  Point own_cap_s;  // S_i = σ_i·R

  ProofContext Ctx(uint32_t round, PartyId prover, PartyId verifier) const {
    return ctx.Proof(round, prover, verifier);
  }
  void Tamper(uint32_t round, PartyId to, google::protobuf::Message& m) const {
    if (config.testing != nullptr && config.testing->tamper) {
      config.testing->tamper(round, to, m);
    }
  }
  const PartyPublicInfo& Info(PartyId id) const { return *ks->Party(id); }
  const zk::RingPedersenTable* Table(PartyId id) const {
    if (config.accelerators) {
      auto it = config.accelerators->tables.find(id);
      if (it != config.accelerators->tables.end()) return it->second.get();
    }
    auto it = tables.find(id);
    return it == tables.end() ? nullptr : it->second.get();
  }
  zk::PaillierNoncePool* Pool(PartyId id) const {
    if (!config.accelerators) return nullptr;
    auto it = config.accelerators->nonce_pools.find(id);
    return it == config.accelerators->nonce_pools.end() ? nullptr
                                                        : it->second.get();
  }
  const PaillierPublicKey& OwnPaillier() const {
    return ks->paillier->public_key();
  }
  const RingPedersenParams& OwnRp() const {
    return ks->ring_pedersen->params();
  }
  // Wipes the secrets no identification round needs once the presignature
  // is produced or discarded.
  void WipeSecrets() {
    k.Wipe();
    sigma.Wipe();
    w.Wipe();
    l.Wipe();
    for (auto& [j, b] : bob) b.Wipe();
  }
};

std::array<uint8_t, 32> GammaCommitment(const PresignState& s, PartyId party,
                                        const Point& gamma,
                                        const std::string& salt) {
  Transcript t("nitro-tss/gg20/presign-gamma-commit/v1");
  t.AppendBytes("session", s.config.session_id);
  t.AppendU64("party", party);
  auto enc = gamma.EncodeOrZeros();
  t.AppendBytes("gamma", enc);
  t.AppendString("salt", salt);
  std::vector<uint8_t> c = t.ChallengeBytes("commitment", 32);
  std::array<uint8_t, 32> out;
  std::copy(c.begin(), c.end(), out.begin());
  return out;
}

// ReceivedMtaDigest over the responses held by Alice `receiver`, keyed by
// Bob (std::map: signer order).
std::array<uint8_t, 32> ReceivedMtaDigestOf(
    const PresignState& s, PartyId receiver,
    const std::map<PartyId, ReceivedGamma>& received) {
  std::vector<ReceivedMtaEntry> entries;
  entries.reserve(received.size());
  for (const auto& [from, e] : received) {
    entries.push_back(ReceivedMtaEntry{from, e.d, e.f, e.proof});
  }
  return ReceivedMtaDigest(s.config.session_id, receiver, entries);
}

// A decoded ciphertext must be valid under `key` ("presign: <field>: ...").
absl::Status CheckCiphertext(const BigInt& c, const PaillierPublicKey& key,
                             absl::string_view field) {
  if (absl::Status st = key.ValidateCiphertext(c); !st.ok()) {
    return Bad(absl::StrCat(field, ": ", st.message()));
  }
  return absl::OkStatus();
}

// The own copy of a ciphertext this party sent or received (its bytes were
// produced or decoded by this party: they decode).
BigInt OwnCiphertext(const std::string& bytes) {
  absl::StatusOr<BigInt> c =
      DecodeInt(bytes, kMaxCiphertextMagnitudeBytes, kWhat, "ciphertext");
  return c.ok() ? *std::move(c) : BigInt();
}

// Checks of each round's messages against the protocol state, shared by the
// rounds and the complaint judge (which sees the same decoded values).

// Round 1 broadcast: K_j is a ciphertext under N_j.
absl::Status CheckRound1(const PresignState& s, PartyId from,
                         const PresignRound1Payload& v) {
  return CheckCiphertext(v.cap_k, s.Info(from).paillier, "cap_k");
}

// Round 2 broadcast: Γ_j opens j's round-1 commitment.
absl::Status CheckRound2(const PresignState& s, PartyId from,
                         const std::array<uint8_t, 32>& gamma_commitment,
                         const PresignRound2Payload& v) {
  std::array<uint8_t, 32> c = GammaCommitment(s, from, v.gamma, v.salt);
  if (sodium_memcmp(c.data(), gamma_commitment.data(), 32) != 0) {
    return WithCulpritCode(Bad("Gamma does not open the round-1 commitment"),
                           CulpritCode::kBadOpening);
  }
  return absl::OkStatus();
}

// Round 2 direct: D under the recipient's (Alice's) key, F under the
// sender's (this party's own key in the round, the complainer's when
// judging a complaint).
absl::Status CheckRound2Direct(const PresignState& s, const Message& msg,
                               const PresignRound2DirectPayload& v) {
  const PaillierPublicKey& alice = s.Info(msg.to).paillier;
  const PaillierPublicKey& bob = s.Info(msg.from).paillier;
  if (absl::Status st = CheckCiphertext(v.d_gamma, alice, "d_gamma");
      !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckCiphertext(v.f_gamma, bob, "f_gamma"); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckCiphertext(v.d_w, alice, "d_w"); !st.ok()) {
    return st;
  }
  return CheckCiphertext(v.f_w, bob, "f_w");
}

// ------------------------------------------------------- identification
// Reveal rounds: only reached when a combined value fails (Σ R̄_j != G,
// δ = 0, R = identity: the δ reveal; Σ S_j != Y': the σ reveal).

// C_j = K_j^γ_j · Π_m D_{j<-m} · Π_m F_{m<-j}^-1 mod N_j².
absl::StatusOr<BigInt> DeltaCiphertext(const PaillierPublicKey& nj,
                                       const BigInt& cap_k, const Scalar& gamma,
                                       const std::vector<BigInt>& d_received,
                                       const std::vector<BigInt>& f_sent) {
  const BigInt& n2 = nj.n_squared();
  BigInt c = BigInt::PowMod(cap_k, gamma.ToBigInt(), n2);
  for (const BigInt& d : d_received) c = BigInt::ModMul(c, d, n2);
  for (const BigInt& f : f_sent) {
    absl::StatusOr<BigInt> inv = BigInt::ModInverse(f, n2);
    if (!inv.ok()) return inv.status();
    c = BigInt::ModMul(c, *inv, n2);
  }
  return c;
}

// A revealed Paillier opening under `key`: the centered plaintext
// (|m| < N/2, else "<plain_field> out of range (|m| >= N/2)") and a nonce in
// Z*_N. Whether it opens a given ciphertext is the caller's check.
absl::Status CheckOpening(const BigInt& plain, const BigInt& nonce,
                          const PaillierPublicKey& key,
                          absl::string_view plain_field,
                          absl::string_view nonce_field) {
  if (!(plain.Abs().ShiftLeft(1) < key.n())) {
    return Bad(absl::StrCat(plain_field, " out of range (|m| >= N/2)"));
  }
  if (absl::Status st = key.ValidateNonce(nonce); !st.ok()) {
    return Bad(absl::StrCat(nonce_field, ": ", st.message()));
  }
  return absl::OkStatus();
}

// An MtA response that Alice `alice` reports having received from Bob `bob`
// in round 2 (`kind` "gamma" or "w": fields d_<kind>, f_<kind>): D under
// N_alice, F under N_bob and Bob's Πaff-g for x_point = x·G against
// K_alice, with its round-2 context. Only Bob can have made a valid one (the
// proof shows knowledge of x). Error: "revealed <label> response of <bob>
// does not verify: ..." for the proof.
absl::Status VerifyReportedResponse(const PresignState& s, PartyId alice,
                                    PartyId bob, absl::string_view kind,
                                    absl::string_view label,
                                    const RevealedMtaResponse& r,
                                    const Point& x_point) {
  const PartyPublicInfo& a = s.Info(alice);
  if (absl::Status st =
          CheckCiphertext(r.d, a.paillier, absl::StrCat("d_", kind));
      !st.ok()) {
    return st;
  }
  if (absl::Status st =
          CheckCiphertext(r.f, s.Info(bob).paillier, absl::StrCat("f_", kind));
      !st.ok()) {
    return st;
  }
  const Point g = Point::Generator();
  zk::PiAffGStatement st{a.paillier,
                         s.Info(bob).paillier,
                         a.ring_pedersen,
                         s.peers.at(alice).cap_k,
                         r.d,
                         r.f,
                         g,
                         x_point};
  if (absl::Status v = zk::VerifyPiAffG(st, r.proof, s.Ctx(2, bob, alice));
      !v.ok()) {
    return WithCulpritCode(
        Bad(absl::StrCat("revealed ", label, " response of ", bob,
                         " does not verify: ", v.message())),
        CulpritCode::kBadProof);
  }
  return absl::OkStatus();
}

// The entry of `list` (in signer order, without `owner`) for signer `m`.
template <typename T>
const T& EntryFor(const std::vector<T>& list,
                  const std::vector<PartyId>& signers, PartyId owner,
                  PartyId m) {
  size_t idx = 0;
  for (PartyId p : signers) {
    if (p == owner) continue;
    if (p == m) break;
    ++idx;
  }
  return list.at(idx);
}

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
      absl::StatusOr<BigInt> c = DeltaCiphertext(nj, s.peers.at(j).cap_k,
                                                 rev.gamma, d_received, f_sent);
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
      const Point& gamma_m = m == s.self ? s.gamma_point : s.peers.at(m).gamma;
      if (absl::Status st = VerifyReportedResponse(s, msg.from, m, "gamma",
                                                   "MtA", e, gamma_m);
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
  }
  absl::StatusOr<BigInt> c =
      DeltaCiphertext(sk.public_key(), s.cap_k, s.gamma, d_received, f_sent);
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
  s.Tamper(round, 0, rev);
  RoundOutput out;
  out.outbound.push_back(round::Message::Broadcast(SerializePayload(rev)));
  out.next = std::make_unique<PresignDeltaReveal>(state, round);
  return out;
}

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
      mask[s.self][j] = Point::MulBase(Scalar::FromBigIntReduce(bob.beta_w));
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
    // k and k_of wipe themselves; the state's own k and β_w are long-lived.
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
      if (absl::Status st = VerifyReportedResponse(s, msg.from, m, "w", "MtAwc",
                                                   e, s.w_points.at(m));
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
    masks[m] = Point::MulBase(Scalar::FromBigIntReduce(s.bob.at(m).beta_w));
    v1::MtawcMaskPoint* b = rev.add_masks();
    b->set_to(m);
    b->set_point(EncodePt(masks[m]));
  }
  s.Tamper(5, 0, rev);
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
          zk::PiLogStarWitness{bob.beta_w, bob.f_w_nonce, s.ks->paillier.get(),
                               s.Table(v)},
          MaskProofContext(s, s.self, v, j), rng);
      if (!proof.ok()) return proof.status();
      v1::MtawcMaskProof* e = d.add_proofs();
      e->set_to(j);
      e->set_pi_log_star(SerializeEmbedded(zk::PiLogStarProofToProto(*proof)));
    }
    s.Tamper(5, v, d);
    out.outbound.push_back(round::Message::Direct(v, SerializePayload(d)));
  }
  out.next = std::make_unique<PresignSigmaReveal>(state);
  return out;
}

// ---------------------------------------------------------------- round 4
class PresignRound4 : public round::TypedRound<PresignRound4Payload,
                                               PresignRound4DirectPayload> {
 public:
  explicit PresignRound4(std::shared_ptr<PresignState> s)
      : TypedRound(4), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    // Πlog-rp: R̄_j = k_j·R for the k_j committed in the S of j's round-1
    // Πenc to this party, which is the k_j inside K_j (Πenc binds both to
    // one value; see mpc/zk/pi_log_rp.h).
    for (auto& [j, p] : s.peers) {
      zk::PiLogRpStatement st{s.OwnRp(), p.pi_enc_s, s.big_r, p.r_bar};
      absl::Status v =
          zk::VerifyPiLogRp(st, directs().at(j).log_rp, s.Ctx(4, j, s.self),
                            s.ks->ring_pedersen.get());
      if (!v.ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadProof,
                                 absl::StrCat("presign: ", v.message()));
      }
    }
    Point sum_r_bar = s.big_r.Mul(s.k);
    s.own_cap_s = s.big_r.Mul(s.sigma);
    Point sum_s = s.own_cap_s;
    PresignaturePublic pub;
    pub.r_bar[s.self] = sum_r_bar;
    pub.s[s.self] = sum_s;
    for (auto& [j, p] : s.peers) {
      sum_r_bar = sum_r_bar + p.r_bar;
      sum_s = sum_s + p.cap_s;
      pub.r_bar[j] = p.r_bar;
      pub.s[j] = p.cap_s;
    }
    if (sum_r_bar != Point::Generator()) {
      // Every R̄_j is proven against K_j, so δ = Σ δ_j is inconsistent with
      // k·γ: some party broadcast a wrong δ_j. Discard the presignature
      // and identify the party in a reveal round.
      s.WipeSecrets();
      return DeltaRevealOutput(s_, 5);
    }
    if (sum_s != s.public_key) {
      // Every S_j is tied to T_j, every R̄_j to K_j, and δ is consistent:
      // some party used a σ_j that is not k_j·w_j plus its MtAwc shares.
      // Discard the presignature and identify it in the σ reveal round
      // (which still needs k_i and β_w).
      s.sigma.Wipe();
      s.w.Wipe();
      s.l.Wipe();
      s.gamma.Wipe();
      return SigmaRevealOutput(s_, rng);
    }
    pub.binding.key_id = s.ks->key_id;
    pub.binding.signers = s.signers;
    pub.binding.tweak = s.config.tweak;
    pub.public_key = s.public_key;
    pub.big_r = s.big_r;
    absl::StatusOr<Scalar> r = s.big_r.XCoordinateModN();
    if (!r.ok()) return r.status();
    pub.r = *r;
    pub.id = ComputePresignatureId(pub, s.config.session_id);
    RoundOutput out;
    out.result =
        std::make_shared<Presignature>(std::move(pub), s.self, s.k, s.sigma);
    s.WipeSecrets();
    s.gamma.Wipe();
    return out;
  }

 private:
  absl::StatusOr<PresignRound4Payload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignRound4(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRound4Payload& v) const override {
    EqualityStatement st{s_->big_r, v.cap_s, s_->peers.at(msg.from).cap_t};
    if (absl::Status e =
            EqualityProof::Verify(st, v.equality, s_->Ctx(4, msg.from, 0));
        !e.ok()) {
      return WithCulpritCode(Prefixed(e), CulpritCode::kBadProof);
    }
    return absl::OkStatus();
  }
  void StoredBroadcast(const Message& msg, PresignRound4Payload& v) override {
    PeerPresign& p = s_->peers[msg.from];
    p.r_bar = v.r_bar;
    p.cap_s = v.cap_s;
  }
  absl::StatusOr<PresignRound4DirectPayload> DecodeDirect(
      const Message& msg) const override {
    return DecodePresignRound4Direct(msg.payload);
  }

  std::shared_ptr<PresignState> s_;
};

// ---------------------------------------------------------------- round 3
class PresignRound3
    : public round::TypedRound<PresignRound3Payload, round::NoMessage> {
 public:
  explicit PresignRound3(std::shared_ptr<PresignState> s)
      : TypedRound(3), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    // The Πenc randomness is only needed for the Πlog-rp proofs made here:
    // taken out of the state and wiped on every exit of this function.
    std::map<PartyId, BigInt> enc_mu = std::move(s.enc_mu);
    s.enc_mu.clear();
    Scalar delta = s.sent_delta;  // == s.delta unless a test cheats
    Point gamma = s.gamma_point;
    for (auto& [j, p] : s.peers) {
      delta = delta + p.delta;
      gamma = gamma + p.gamma;
    }
    absl::StatusOr<Scalar> delta_inv = delta.Inverse();
    if (delta_inv.ok()) s.big_r = gamma.Mul(*delta_inv);
    if (!delta_inv.ok() || s.big_r.IsIdentity()) {
      // δ = 0 or Γ = Σ Γ_j the identity: with honest parties this has
      // negligible probability, so some δ_j does not match its MtA values
      // (e.g. a rushing party cancelled the sum). Identify it at once.
      s.WipeSecrets();
      return DeltaRevealOutput(s_, 4);
    }
    // k used for R̄_i and its Πlog-rp proofs (k_i + 1 only when a test
    // makes this party cheat; the Πenc S still commits to k_i).
    Scalar k_r_bar = s.k;
    if (s.config.testing != nullptr && s.config.testing->r_bar_with_other_k) {
      k_r_bar = k_r_bar + Scalar::One();
    }
    Point r_bar = s.big_r.Mul(k_r_bar);
    Point cap_s = s.big_r.Mul(s.sigma);
    absl::StatusOr<EqualityProof> eq = EqualityProof::Prove(
        EqualityStatement{s.big_r, cap_s, s.cap_t},
        PedersenPokWitness{s.sigma, s.l}, s.Ctx(4, s.self, 0), rng);
    if (!eq.ok()) return eq.status();
    RoundOutput out;
    v1::PresignRound4 bc;
    bc.set_r_bar(EncodePt(r_bar));
    bc.set_cap_s(EncodePt(cap_s));
    bc.set_equality(SerializeEmbedded(eq->ToProto()));
    s.Tamper(4, 0, bc);
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    BigInt k_int = k_r_bar.ToBigInt();
    k_r_bar.Wipe();
    for (PartyId j : s.signers) {
      if (j == s.self) continue;
      auto mu = enc_mu.find(j);
      if (mu == enc_mu.end()) {
        return absl::InternalError("presign: no pi_enc randomness for a peer");
      }
      const BigInt& cap_s_j = s.own_pi_enc_s.at(j);
      zk::PiLogRpStatement st{s.Info(j).ring_pedersen, cap_s_j, s.big_r, r_bar};
      absl::StatusOr<zk::PiLogRpProof> proof = zk::ProvePiLogRp(
          st, zk::PiLogRpWitness{k_int, mu->second, s.Table(j)},
          s.Ctx(4, s.self, j), rng);
      if (!proof.ok()) return proof.status();
      v1::PresignRound4Direct d;
      d.set_pi_log_rp(SerializeEmbedded(zk::PiLogRpProofToProto(*proof)));
      s.Tamper(4, j, d);
      out.outbound.push_back(Message::Direct(j, SerializePayload(d)));
    }
    k_int.Wipe();
    out.next = std::make_unique<PresignRound4>(s_);
    return out;
  }

 private:
  absl::StatusOr<PresignRound3Payload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodePresignRound3(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const PresignRound3Payload& v) const override {
    if (absl::Status e = PedersenPokProof::Verify(
            PedersenPokStatement{v.cap_t}, v.pok, s_->Ctx(3, msg.from, 0));
        !e.ok()) {
      return WithCulpritCode(Prefixed(e), CulpritCode::kBadProof);
    }
    return absl::OkStatus();
  }
  void StoredBroadcast(const Message& msg, PresignRound3Payload& v) override {
    PeerPresign& p = s_->peers[msg.from];
    p.delta = v.delta;
    p.cap_t = v.cap_t;
    p.received_mta_digest = v.received_mta_digest;
  }

  std::shared_ptr<PresignState> s_;
};

// ---------------------------------------------------------------- round 2
class PresignRound2 : public round::TypedRound<PresignRound2Payload,
                                               PresignRound2DirectPayload> {
 public:
  explicit PresignRound2(std::shared_ptr<PresignState> s)
      : TypedRound(2), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    PresignState& s = *s_;
    const PaillierPrivateKey& sk = *s.ks->paillier;
    zk::PiAffGVerifierSecrets secrets{&sk, s.ks->ring_pedersen.get()};
    Scalar delta = s.k * s.gamma;
    Scalar sigma = s.k * s.w;
    for (auto& [j, peer] : s.peers) {
      const PresignRound2DirectPayload& p = directs().at(j);
      const PartyPublicInfo& info = s.Info(j);
      zk::PiAffGStatement st_g{
          s.OwnPaillier(), info.paillier, s.OwnRp(),          s.cap_k,
          p.d_gamma,       p.f_gamma,     Point::Generator(), peer.gamma};
      absl::Status v =
          zk::VerifyPiAffG(st_g, p.aff_gamma, s.Ctx(2, j, s.self), secrets);
      if (!v.ok()) {
        return DirectAbortOutput(
            j, CulpritCode::kBadProof,
            absl::StrCat("presign: mta gamma: ", v.message()));
      }
      zk::PiAffGStatement st_w{
          s.OwnPaillier(), info.paillier, s.OwnRp(),          s.cap_k,
          p.d_w,           p.f_w,         Point::Generator(), s.w_points.at(j)};
      v = zk::VerifyPiAffG(st_w, p.aff_w, s.Ctx(2, j, s.self), secrets);
      if (!v.ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadProof,
                                 absl::StrCat("presign: mta w: ", v.message()));
      }
      absl::StatusOr<BigInt> alpha_g = sk.DecryptSigned(p.d_gamma);
      if (!alpha_g.ok()) return alpha_g.status();
      absl::StatusOr<BigInt> alpha_w = sk.DecryptSigned(p.d_w);
      if (!alpha_w.ok()) return alpha_w.status();
      // What a Bob whose Πaff-g verified can reach: |k·x + y| <=
      // 2^(2ℓ+ε) + 2^(ℓ'+ε) < 2^(ℓ'+ε+1).
      if (!zk::InSignedRange(*alpha_g, zk::kEllPrime + zk::kEpsilon + 1)) {
        return DirectAbortOutput(
            j, CulpritCode::kBadShare, "presign: mta alpha out of range",
            MtaOpeningEvidence(sk, 1, p.d_gamma, *alpha_g));
      }
      if (!zk::InSignedRange(*alpha_w, zk::kEllPrime + zk::kEpsilon + 1)) {
        return DirectAbortOutput(j, CulpritCode::kBadShare,
                                 "presign: mta alpha out of range",
                                 MtaOpeningEvidence(sk, 2, p.d_w, *alpha_w));
      }
      const MtaBob& bob = s.bob.at(j);
      delta = delta + Scalar::FromBigIntReduce(*alpha_g) -
              Scalar::FromBigIntReduce(bob.beta_gamma);
      sigma = sigma + Scalar::FromBigIntReduce(*alpha_w) -
              Scalar::FromBigIntReduce(bob.beta_w);
    }
    // β_w (and F_w's nonce) stay until round 4: the σ reveal needs them.
    for (auto& [j, bob] : s.bob) bob.beta_gamma.Wipe();
    if (s.config.testing != nullptr && s.config.testing->wrong_sigma) {
      sigma = sigma + Scalar::One();
    }
    s.delta = delta;
    s.sigma = sigma;
    delta.Wipe();
    sigma.Wipe();
    s.l = Scalar::Random(rng);
    s.cap_t = PedersenCommit(s.sigma, s.l);
    absl::StatusOr<PedersenPokProof> pok = PedersenPokProof::Prove(
        PedersenPokStatement{s.cap_t}, PedersenPokWitness{s.sigma, s.l},
        s.Ctx(3, s.self, 0), rng);
    if (!pok.ok()) return pok.status();
    v1::PresignRound3 bc;
    Scalar sent_delta = s.delta;
    if (s.config.testing != nullptr && s.config.testing->wrong_delta) {
      sent_delta = sent_delta + Scalar::One();
    }
    if (s.config.testing != nullptr && s.config.testing->broadcast_delta) {
      sent_delta = *s.config.testing->broadcast_delta;
    }
    bc.set_delta(EncodeSc(sent_delta));
    s.sent_delta = sent_delta;
    bc.set_cap_t(EncodePt(s.cap_t));
    bc.set_pedersen_pok(SerializeEmbedded(pok->ToProto()));
    std::array<uint8_t, 32> received_digest =
        ReceivedMtaDigestOf(s, s.self, s.received_gamma);
    bc.set_received_mta_digest(
        std::string(received_digest.begin(), received_digest.end()));
    s.Tamper(3, 0, bc);
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    out.next = std::make_unique<PresignRound3>(s_);
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
    out.next = std::make_unique<PresignRound2>(s_);
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
    BigInt k_int = s.k.ToBigInt();
    absl::StatusOr<PaillierEncryption> enc =
        s.ks->paillier->Encrypt(k_int, rng);
    if (!enc.ok()) return enc.status();
    s.cap_k = enc->ciphertext;
    s.rho = enc->nonce;
    RoundOutput out;
    v1::PresignRound1 bc;
    bc.set_cap_k(EncodeInt(s.cap_k));
    std::array<uint8_t, 32> c =
        GammaCommitment(s, s.self, s.gamma_point, s.gamma_salt);
    bc.set_gamma_commitment(std::string(c.begin(), c.end()));
    s.Tamper(1, 0, bc);
    out.outbound.push_back(Message::Broadcast(SerializePayload(bc)));
    for (PartyId j : s.signers) {
      if (j == s.self) continue;
      zk::PiEncStatement st{s.OwnPaillier(), s.Info(j).ring_pedersen, s.cap_k};
      // μ of this proof's S is kept for the round-4 Πlog-rp to j.
      BigInt& mu = s.enc_mu[j];
      absl::StatusOr<zk::PiEncProof> proof = zk::ProvePiEnc(
          st,
          zk::PiEncWitness{k_int, s.rho, s.ks->paillier.get(), s.Table(j), &mu},
          s.Ctx(1, s.self, j), rng);
      if (!proof.ok()) return proof.status();
      s.own_pi_enc_s[j] = proof->cap_s;
      v1::PresignRound1Direct d;
      d.set_pi_enc(SerializeEmbedded(zk::PiEncProofToProto(*proof)));
      s.Tamper(1, j, d);
      out.outbound.push_back(Message::Direct(j, SerializePayload(d)));
    }
    k_int.Wipe();
    out.next = std::make_unique<PresignRound1>(s_);
    return out;
  }

 private:
  std::shared_ptr<PresignState> s_;
};

// Judges complaints about presign direct messages (round.h ComplaintJudge)
// with public data only, through the rounds' decoders and checks: round 1
// (Πenc of K_j to the complainer), round 2 (both Πaff-g, and an
// out-of-range α shown by the complainer's opening of D), round 4 (Πlog-rp
// against the S of the accused's round-1 Πenc to the complainer, which the
// complaint carries). The reveal rounds' direct proofs are not judged
// (undecidable: both parties are suspects).
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
      zk::PiEncStatement st{accused.paillier, complainer.ring_pedersen, *cap_k};
      absl::Status v = zk::VerifyPiEnc(
          st, d->pi_enc, s.Ctx(1, c.accused, c.complainer), nullptr);
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
      zk::PiAffGVerifierSecrets none{nullptr, nullptr};
      zk::PiAffGStatement st_g{complainer.paillier,
                               accused.paillier,
                               complainer.ring_pedersen,
                               k_c,
                               d->d_gamma,
                               d->f_gamma,
                               Point::Generator(),
                               gamma};
      const ProofContext ctx = s.Ctx(2, c.accused, c.complainer);
      if (absl::Status v = zk::VerifyPiAffG(st_g, d->aff_gamma, ctx, none);
          !v.ok()) {
        return Guilty(CulpritCode::kBadProof,
                      absl::StrCat("presign: mta gamma: ", v.message()));
      }
      zk::PiAffGStatement st_w{complainer.paillier,
                               accused.paillier,
                               complainer.ring_pedersen,
                               k_c,
                               d->d_w,
                               d->f_w,
                               Point::Generator(),
                               s.w_points.at(c.accused)};
      if (absl::Status v = zk::VerifyPiAffG(st_w, d->aff_w, ctx, none);
          !v.ok()) {
        return Guilty(CulpritCode::kBadProof,
                      absl::StrCat("presign: mta w: ", v.message()));
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
        r_bar = s.big_r.Mul(s.k);
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
  // outside ±2^(ℓ'+ε+1) proves the accused's response out of range.
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
    if (zk::InSignedRange(*plain, zk::kEllPrime + zk::kEpsilon + 1)) {
      return False("the opened alpha is in range");
    }
    return Guilty(CulpritCode::kBadShare,
                  "presign: mta alpha out of range (opening of D verified)");
  }

  std::shared_ptr<const PresignState> s_;
};

}  // namespace

std::vector<uint8_t> PresignConfigDigest(const PresignConfig& config) {
  std::vector<PartyId> signers = config.signers;
  std::sort(signers.begin(), signers.end());
  Transcript t("nitro-tss/gg20/presign-config/v1");
  t.AppendBytes("session", config.session_id);
  if (config.key_share) {
    t.AppendBytes("key_id", config.key_share->key_id);
    t.AppendU64("threshold", config.key_share->threshold);
  }
  t.AppendU64("signers", signers.size());
  for (PartyId p : signers) {
    t.AppendU64("id", p);
    const PartyPublicInfo* info =
        config.key_share ? config.key_share->Party(p) : nullptr;
    if (info != nullptr) t.AppendBytes("identity_key", info->identity_key);
  }
  std::string tweak = EncodeSc(config.tweak);
  t.AppendBytes("tweak", absl::Span<const uint8_t>(
                             reinterpret_cast<const uint8_t*>(tweak.data()),
                             tweak.size()));
  return t.ChallengeBytes("config_digest", 32);
}

std::array<uint8_t, 32> ReceivedMtaDigest(
    absl::Span<const uint8_t> session_id, PartyId receiver,
    absl::Span<const ReceivedMtaEntry> entries) {
  Transcript t("nitro-tss/gg20/presign-received-mta/v1");
  t.AppendBytes("session", session_id);
  t.AppendU64("receiver", receiver);
  t.AppendU64("count", entries.size());
  for (const ReceivedMtaEntry& e : entries) {
    t.AppendU64("from", e.from);
    t.AppendString("d_gamma", e.d_gamma);
    t.AppendString("f_gamma", e.f_gamma);
    t.AppendString("pi_aff_gamma", e.pi_aff_gamma);
  }
  std::vector<uint8_t> c = t.ChallengeBytes("digest", 32);
  std::array<uint8_t, 32> out;
  std::copy(c.begin(), c.end(), out.begin());
  return out;
}

PresignatureId ComputePresignatureId(const PresignaturePublic& pub,
                                     absl::Span<const uint8_t> session_id) {
  Transcript t("nitro-tss/gg20/presignature-id/v1");
  t.AppendBytes("session", session_id);
  t.AppendBytes("key_id", pub.binding.key_id);
  t.AppendU64("signers", pub.binding.signers.size());
  for (PartyId p : pub.binding.signers) t.AppendU64("signer", p);
  t.AppendBytes("tweak", pub.binding.tweak.ToBytes());
  t.AppendBytes("public_key", pub.public_key.EncodeOrZeros());
  t.AppendBytes("R", pub.big_r.EncodeOrZeros());
  std::vector<uint8_t> c = t.ChallengeBytes("id", 32);
  PresignatureId id;
  std::copy(c.begin(), c.end(), id.begin());
  return id;
}

std::shared_ptr<PresignAccelerators> BuildPresignAccelerators(
    const KeyShare& key_share) {
  auto acc = std::make_shared<PresignAccelerators>();
  for (const PartyPublicInfo& p : key_share.parties) {
    if (p.id == key_share.self) continue;
    acc->tables[p.id] = key_share.PeerTable(p.id);
    acc->nonce_pools[p.id] =
        std::make_shared<zk::PaillierNoncePool>(p.paillier);
  }
  return acc;
}

Presignature::Presignature(PresignaturePublic pub, round::PartyId self,
                           Scalar k, Scalar sigma)
    : public_(std::move(pub)), self_(self), k_(k), sigma_(sigma) {}

Presignature::~Presignature() {
  k_.Wipe();
  sigma_.Wipe();
}

absl::StatusOr<std::unique_ptr<round::Session>> NewPresignSession(
    const PresignConfig& config, RandomSource& rng) {
  if (!config.key_share) return Bad("key share missing");
  const KeyShare& ks = *config.key_share;
  std::vector<PartyId> signers = config.signers;
  std::sort(signers.begin(), signers.end());
  if (std::adjacent_find(signers.begin(), signers.end()) != signers.end()) {
    return Bad("duplicate signer");
  }
  if (signers.size() != ks.threshold + 1) {
    return Bad(absl::StrCat("signer set has ", signers.size(),
                            " parties, threshold ", ks.threshold,
                            " needs exactly ", ks.threshold + 1));
  }
  for (PartyId p : signers) {
    if (ks.Party(p) == nullptr) {
      return Bad(absl::StrCat("signer ", p, " is not a party of the key"));
    }
  }
  if (!std::binary_search(signers.begin(), signers.end(), ks.self)) {
    return Bad("self is not in the signer set");
  }
  if (config.identity == nullptr) return Bad("identity key missing");
  if (config.identity->public_key() != ks.Party(ks.self)->identity_key) {
    return Bad("identity key is not the one the key share binds to this party");
  }
  auto state = std::make_shared<PresignState>();
  state->config = config;
  state->ctx =
      ProtocolContext{config.session_id, kPresignProtocol, ks.self, signers};
  state->ks = config.key_share.get();
  state->self = ks.self;
  state->signers = signers;
  std::vector<Scalar> ids;
  for (PartyId p : signers) ids.push_back(Scalar::FromU64(p));
  absl::StatusOr<std::vector<Scalar>> lambdas = LagrangeCoefficientsAtZero(ids);
  if (!lambdas.ok()) return Prefixed(lambdas.status());
  for (size_t i = 0; i < signers.size(); ++i) {
    Point w = ks.Party(signers[i])->public_share.Mul((*lambdas)[i]);
    if (i == 0) w = w + Point::MulBase(config.tweak);
    if (w.IsIdentity()) return Bad("a W_j is the identity");
    state->w_points[signers[i]] = w;
    if (signers[i] == ks.self) {
      state->w = ks.secret_share * (*lambdas)[i];
      if (i == 0) state->w = state->w + config.tweak;
    }
  }
  state->public_key = ks.public_key + Point::MulBase(config.tweak);
  if (state->public_key.IsIdentity()) return Bad("tweaked key is the identity");
  for (PartyId p : signers) {
    if (p == ks.self) continue;
    if (config.accelerators && config.accelerators->tables.count(p)) continue;
    state->tables[p] = ks.PeerTable(p);  // built on first use of the key
  }
  round::SessionConfig sc;
  sc.session_id = config.session_id;
  sc.protocol = kPresignProtocol;
  sc.self = ks.self;
  sc.parties = signers;
  sc.identity = config.identity;
  for (PartyId p : signers) sc.identity_keys[p] = ks.Party(p)->identity_key;
  sc.config_digest = PresignConfigDigest(config);
  sc.judge = std::make_shared<PresignJudge>(state);
  return round::Session::Create(std::move(sc),
                                std::make_unique<PresignRound0>(state), rng);
}

}  // namespace nitro_tss::mpc::gg20
