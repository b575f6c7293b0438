// Internal to mpc/gg20's presigning (presign_*.cc): the session state the
// rounds share, the checks that the rounds and the complaint judge share,
// and one factory per round. Protocol order, one file each:
//   presign_round0.cc        k_i, γ_i, K_i, Γ commitment, Πenc  -> round 1
//   presign_round1.cc        checks Πenc; Γ_i, MtA / MtAwc as Bob -> round 2
//   presign_round2.cc        checks Γ opening, Πaff-g, α; δ_i, T_i -> round 3
//   presign_round3.cc        checks T_j's PoK; R; R̄_i, S_i, Πlog-rp -> round 4
//   presign_round4.cc        checks; the presignature, or a reveal round
//   presign_delta_reveal.cc  identification of a wrong δ_j
//   presign_sigma_reveal.cc  identification of a wrong σ_j
//   presign_judge.cc         third-party judging of complaints
// presign.cc keeps the public API (presign.h).
//
// NewPresignSession (presign.h) is the production entry point. The session's
// parts (NewPresignSessionParts) and the helpers below are also used by the
// test-only cheating rules in mpc/testing/gg20_cheats.h, which wrap the first
// round (mpc/testing/rules.h) and read or change this state around the
// rounds; the rounds themselves carry no test hook.
//
// Secrets: the own k_i, γ_i, σ_i, l_i, w_i, ρ and Bob's β live in
// PresignState, which outlives the rounds (the judge holds it), so they are
// wiped explicitly when the presignature is produced or discarded
// (PresignState::WipeSecrets); a round's received values (decoded payloads)
// live in that round's object and wipe themselves (BigInt, Scalar) when the
// engine moves to the next round.
#ifndef NITRO_TSS_MPC_GG20_PRESIGN_STATE_H_
#define NITRO_TSS_MPC_GG20_PRESIGN_STATE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/presign.h"
#include "mpc/gg20/protocol_context.h"
#include "mpc/mta/mta.h"
#include "mpc/round/round.h"
#include "mpc/zk/nonce_pool.h"
#include "mpc/zk/pedersen_pok.h"
#include "mpc/zk/ring_pedersen_table.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {

using round::AbortOutput;
using round::Culprit;
using round::CulpritCode;
using round::DirectAbortOutput;
using round::Message;
using round::PartyId;
using round::RoundOutput;
using round::WithCulpritCode;

inline constexpr char kWhat[] = "presign";

inline absl::Status Bad(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("presign: ", msg));
}
inline absl::Status Prefixed(const absl::Status& st) {
  return absl::InvalidArgumentError(absl::StrCat("presign: ", st.message()));
}

// This party as Bob towards Alice j (mpc/mta BobRespond, sign convention
// of mpc/mta/mta.h: Y = y·G, Bob's share β = −y mod q). The responses sent
// (D, Y, Πaff-g) are public to their Alice, who reports them in a reveal.
struct MtaBob {
  Scalar beta_gamma, beta_w;  // Bob's shares, wiped in round 2
  void Wipe() {
    beta_gamma.Wipe();
    beta_w.Wipe();
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

// Runs task(0), ..., task(count - 1) on up to `threads` threads, the
// calling thread included, and returns when all are done. A task may only
// write what its index owns (a slot of a vector sized before the call) and
// read shared state that no task writes. With threads <= 1 or count <= 1 the
// tasks run in index order on the calling thread.
void ForEachPeerTask(size_t count, int threads,
                     const std::function<void(size_t)>& task);

// One RandomSource per task for ForEachPeerTask: with threads <= 1 every
// entry is `rng` itself (the draws stay in the order of a sequential run);
// otherwise rng.Fork() for each index, in index order.
class PeerRandom {
 public:
  PeerRandom(RandomSource& rng, size_t count, int threads);
  RandomSource& operator[](size_t i) {
    return forks_.empty() ? rng_ : *forks_[i];
  }

 private:
  RandomSource& rng_;
  std::vector<std::unique_ptr<RandomSource>> forks_;
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
  Scalar k, gamma, sigma, l;
  Scalar delta;  // δ_i as broadcast in round 3 (public)
  BigInt rho;    // nonce of K_i
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
  Point own_r_bar;  // the R̄_i this party broadcast (public; for the judge)

  ProofContext Ctx(uint32_t round, PartyId prover, PartyId verifier) const {
    return ctx.Proof(round, prover, verifier);
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

// Checks of each round's messages against the protocol state, shared by the
// rounds and the complaint judge (which sees the same decoded values), and
// the identification rounds' helpers (presign_state.cc).

std::array<uint8_t, 32> GammaCommitment(const PresignState& s, PartyId party,
                                        const Point& gamma,
                                        const std::string& salt);

// ReceivedMtaDigest over the responses held by Alice `receiver`, keyed by
// Bob (std::map: signer order).
std::array<uint8_t, 32> ReceivedMtaDigestOf(
    const PresignState& s, PartyId receiver,
    const std::map<PartyId, ReceivedGamma>& received);

// A decoded ciphertext must be valid under `key` ("presign: <field>: ...").
absl::Status CheckCiphertext(const BigInt& c, const PaillierPublicKey& key,
                             absl::string_view field);

// The own copy of a point this party sent or received (its bytes were
// produced or decoded by this party: they decode).
Point OwnPoint(const std::string& bytes);

// Round 1 broadcast: K_j is a ciphertext under N_j.
absl::Status CheckRound1(const PresignState& s, PartyId from,
                         const PresignRound1Payload& v);

// Round 2 broadcast: Γ_j opens j's round-1 commitment.
absl::Status CheckRound2(const PresignState& s, PartyId from,
                         const std::array<uint8_t, 32>& gamma_commitment,
                         const PresignRound2Payload& v);

// Round 2 direct: D under the recipient's (Alice's) key (the mask points Y
// are checked by the proofs).
absl::Status CheckRound2Direct(const PresignState& s, const Message& msg,
                               const PresignRound2DirectPayload& v);

// Round 2 direct: Bob's two MtA responses to Alice, their Πaff-g checked as
// a pair (mta::VerifyResponses: the decision does not depend on the secrets
// passed, so the judge and the reveal rounds reach Alice's) against Alice's
// K (`alice_k`) and the points Bob binds: Γ_bob (`bob_gamma`; "presign: mta
// gamma: ...") and W_bob ("presign: mta w: ..."; the shared part, the
// pair's Paillier equation: "presign: mta pair: ..."), code kBadProof.
// `alice_secrets`: Alice's own (CRT, and the plaintext k of her K) in the
// round, none when judging a complaint. With the plaintext of K, `alpha_gamma`
// / `alpha_w` (optional) receive Dec(D) of each response (centered: α before
// the range check), which the verification computes
// (zk::PiAffGVerifierSecrets); they are set only when this returns OK.
absl::Status CheckRound2Responses(
    const PresignState& s, PartyId bob, PartyId alice, const BigInt& alice_k,
    const Point& bob_gamma, const PresignRound2DirectPayload& v,
    const zk::PiAffGVerifierSecrets& alice_secrets,
    BigInt* alpha_gamma = nullptr, BigInt* alpha_w = nullptr);

// A revealed Paillier opening under `key`: the centered plaintext
// (|m| < N/2, else "<plain_field> out of range (|m| >= N/2)") and a nonce in
// Z*_N. Whether it opens a given ciphertext is the caller's check.
absl::Status CheckOpening(const BigInt& plain, const BigInt& nonce,
                          const PaillierPublicKey& key,
                          absl::string_view plain_field,
                          absl::string_view nonce_field);

// An MtA response that Alice `alice` reports having received from Bob `bob`
// in round 2, with the same Bob's other response (`r.other`): the MtA(k·γ)
// response (`reported_w` false, the δ reveal; its MtAwc partner in
// r.other) or the MtAwc one (`reported_w`, the σ reveal). D under N_alice
// ("presign: d_gamma: ...", "d_w: ...": the reported response's first),
// and Bob's two Πaff-g for Γ_bob and W_bob (and the mask points Y) against
// K_alice, with their round-2 context, checked as a pair exactly as Alice
// checked them in round 2 (mta::VerifyResponses: the same decision, by
// construction). Only Bob can have made a valid pair (the proofs show
// knowledge of γ_bob and w_bob). Error, when the pair fails: "revealed
// <MtA response|MtAwc response|MtA/MtAwc pair> of <bob> does not verify:
// ..." for the part the pair's check names.
absl::Status VerifyReportedResponses(const PresignState& s, PartyId alice,
                                     PartyId bob, const RevealedMtaResponse& r,
                                     bool reported_w);

// The mask points Y[bob][alice] of one kind of response (MtA(k·γ) in the δ
// reveal, MtAwc in the σ reveal) as each Alice received them: this party's
// own copies (`own_received`, by Bob) and the other parties' reports
// (`reports`, by Alice, each entry bound to its Bob by his Πaff-g pair).
using MaskPoints = std::map<PartyId, std::map<PartyId, Point>>;
MaskPoints ReceivedMaskPoints(
    const PresignState& s,
    const std::map<PartyId, MtaResponseBytes>& own_received,
    const std::map<PartyId, const std::vector<RevealedMtaResponse>*>& reports);

// Σ_{j != i} (Y[j][i] − Y[i][j]) over the signers: party i's share of the
// masks in the exponent (what it received as Alice minus what it sent as
// Bob; β = −y).
Point MaskBalance(const PresignState& s, const MaskPoints& y, PartyId i);

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

// Bob's side of the MtA (γ_i) and MtAwc (w_i) towards Alice j, proven as
// one Πaff-g pair: mta::BobRespondPair with j's keys and K_j, this party's
// accelerators for j, round-2 context (round 1).
absl::StatusOr<mta::BobPairResult> BobMtaPair(const PresignState& s, PartyId j,
                                              RandomSource& rng);

// Keeps what this party needs of its two responses to j (s.bob[j]: the
// shares β) and returns j's round-2 direct payload carrying them (round 1;
// pi_aff_w is the pair's second part, without A and w).
v1::PresignRound2Direct KeepBobResponses(PresignState& s, PartyId j,
                                         mta::BobPairResult pair);

// T_i = σ_i·G + l_i·H for a fresh l_i (kept in s) and its Pedersen PoK
// (round 2, from s.sigma).
absl::StatusOr<zk::PedersenPokProof> CommitSigma(PresignState& s,
                                                 RandomSource& rng);

// The rounds (each in its own file), in protocol order. Round 0 is the
// session's first round; each later one is made by its predecessor.
std::unique_ptr<round::Round> NewPresignRound0(std::shared_ptr<PresignState> s);
std::unique_ptr<round::Round> NewPresignRound1(std::shared_ptr<PresignState> s);
std::unique_ptr<round::Round> NewPresignRound2(std::shared_ptr<PresignState> s);
std::unique_ptr<round::Round> NewPresignRound3(std::shared_ptr<PresignState> s);
std::unique_ptr<round::Round> NewPresignRound4(std::shared_ptr<PresignState> s);
// This party's δ reveal (message round `round`: 5, or 4 when round 3 finds
// δ = 0 or R = identity) and the round that checks the others'. Wipes the
// state's secrets once the message is made (presign_delta_reveal.cc).
absl::StatusOr<RoundOutput> DeltaRevealOutput(
    const std::shared_ptr<PresignState>& state, uint32_t round);
// This party's σ reveal (message round 5) and the round that checks the
// others'.
absl::StatusOr<RoundOutput> SigmaRevealOutput(
    const std::shared_ptr<PresignState>& state);
std::shared_ptr<const round::ComplaintJudge> NewPresignJudge(
    std::shared_ptr<const PresignState> s);

using PresignSessionParts = SessionParts<PresignState>;

// NewPresignSession's validation (same errors) and assembly, without
// creating the session (presign.cc).
absl::StatusOr<PresignSessionParts> NewPresignSessionParts(
    const PresignConfig& config);

}  // namespace nitro_tss::mpc::gg20::presign_detail

#endif  // NITRO_TSS_MPC_GG20_PRESIGN_STATE_H_
