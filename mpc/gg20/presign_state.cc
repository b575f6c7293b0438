#include "mpc/gg20/presign_state.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "mpc/gg20/codec.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/mta/mta.h"
#include "mpc/transcript/transcript.h"
#include "mpc/zk/pi_aff_g.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::presign_detail {

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
    entries.push_back(ReceivedMtaEntry{from, e.d, e.y, e.proof});
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

Point OwnPoint(const std::string& bytes) {
  absl::StatusOr<Point> p = DecodePt(bytes, kWhat, "point");
  return p.ok() ? *std::move(p) : Point::Identity();
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

// Round 2 direct: D under the recipient's (Alice's) key (the Y points are
// checked by the proofs: not the identity, bound by the group equation).
absl::Status CheckRound2Direct(const PresignState& s, const Message& msg,
                               const PresignRound2DirectPayload& v) {
  const PaillierPublicKey& alice = s.Info(msg.to).paillier;
  if (absl::Status st = CheckCiphertext(v.d_gamma, alice, "d_gamma");
      !st.ok()) {
    return st;
  }
  return CheckCiphertext(v.d_w, alice, "d_w");
}

void ForEachPeerTask(size_t count, int threads,
                     const std::function<void(size_t)>& task) {
  const size_t workers =
      std::min(count, static_cast<size_t>(std::max(threads, 1)));
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      task(i);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

PeerRandom::PeerRandom(RandomSource& rng, size_t count, int threads)
    : rng_(rng) {
  if (threads <= 1 || count <= 1) return;
  for (size_t i = 0; i < count; ++i) forks_.push_back(rng.Fork());
}

namespace {

// "mta gamma: ", "mta w: " or "mta pair: " (the shared part).
const char* PairPartLabel(size_t failed) {
  return failed == 0 ? "mta gamma: " : failed == 1 ? "mta w: " : "mta pair: ";
}

}  // namespace

absl::Status CheckRound2Responses(
    const PresignState& s, PartyId bob, PartyId alice, const BigInt& alice_k,
    const Point& bob_gamma, const PresignRound2DirectPayload& v,
    const zk::PiAffGVerifierSecrets& alice_secrets, BigInt* alpha_gamma,
    BigInt* alpha_w) {
  const PartyPublicInfo& a = s.Info(alice);
  const Point g = Point::Generator();
  const ProofContext ctx = s.Ctx(2, bob, alice);
  // One Bob's Πaff-g pair (mpc/zk/pi_aff_g.h: the same decision with
  // Alice's secrets, for the judge and in the reveal rounds,
  // VerifyReportedResponses), its error naming the part.
  zk::PiAffGPairResult r = mta::VerifyResponses(
      a.paillier, a.ring_pedersen, alice_k, g,
      mta::ResponseToCheck{v.d_gamma, v.y_gamma, v.aff_gamma, bob_gamma,
                           alpha_gamma},
      mta::ResponseToCheck{v.d_w, v.y_w, v.aff_w, s.w_points.at(bob), alpha_w},
      ctx, alice_secrets);
  if (!r.status.ok()) {
    return WithCulpritCode(
        Bad(absl::StrCat(PairPartLabel(r.failed), r.status.message())),
        CulpritCode::kBadProof);
  }
  return absl::OkStatus();
}

absl::StatusOr<mta::BobPairResult> BobMtaPair(const PresignState& s, PartyId j,
                                              RandomSource& rng) {
  const PartyPublicInfo& alice = s.Info(j);
  return mta::BobRespondPair(
      alice.paillier, alice.ring_pedersen, s.peers.at(j).cap_k, s.gamma, s.w,
      Point::Generator(), s.Ctx(2, s.self, j), rng, s.Table(j), s.Pool(j));
}

v1::PresignRound2Direct KeepBobResponses(PresignState& s, PartyId j,
                                         mta::BobPairResult pair) {
  v1::PresignRound2Direct d;
  const mta::MtaResponse& gamma = pair.first.response;
  const mta::MtaResponse& w = pair.second.response;
  d.set_d_gamma(EncodeInt(gamma.cap_d));
  d.set_y_gamma(EncodePt(gamma.cap_y));
  d.set_pi_aff_gamma(
      SerializeEmbedded(zk::PiAffGProofToProto(gamma.aff_g_proof)));
  d.set_d_w(EncodeInt(w.cap_d));
  d.set_y_w(EncodePt(w.cap_y));
  d.set_pi_aff_w(SerializeEmbedded(zk::PiAffGPairSecondToProto(w.aff_g_proof)));
  MtaBob& bob = s.bob[j];
  bob.beta_gamma = pair.first.beta;
  bob.beta_w = pair.second.beta;
  return d;
}

absl::StatusOr<zk::PedersenPokProof> CommitSigma(PresignState& s,
                                                 RandomSource& rng) {
  s.l = Scalar::Random(rng);
  s.cap_t = zk::PedersenCommit(s.sigma, s.l);
  return zk::ProvePedersenPok(zk::PedersenPokStatement{s.cap_t},
                              zk::PedersenPokWitness{s.sigma, s.l},
                              s.Ctx(3, s.self, 0), rng);
}

// ------------------------------------------------------- identification
// Reveal rounds: only reached when a combined value fails (Σ R̄_j != G,
// δ = 0, R = identity: the δ reveal; Σ S_j != Y': the σ reveal).

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

namespace {

absl::Status ReportedProofFailed(PartyId bob, size_t failed,
                                 const absl::Status& v) {
  const char* label = failed == 0   ? "MtA response"
                      : failed == 1 ? "MtAwc response"
                                    : "MtA/MtAwc pair";
  return WithCulpritCode(Bad(absl::StrCat("revealed ", label, " of ", bob,
                                          " does not verify: ", v.message())),
                         CulpritCode::kBadProof);
}

}  // namespace

absl::Status VerifyReportedResponses(const PresignState& s, PartyId alice,
                                     PartyId bob, const RevealedMtaResponse& r,
                                     bool reported_w) {
  const PartyPublicInfo& a = s.Info(alice);
  // Both D's under Alice's key, the reported one's first.
  const char* reported = reported_w ? "d_w" : "d_gamma";
  const char* other = reported_w ? "d_gamma" : "d_w";
  if (absl::Status st = CheckCiphertext(r.d, a.paillier, reported); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckCiphertext(r.other.d, a.paillier, other);
      !st.ok()) {
    return st;
  }
  const MtaResponseValues this_one{r.d, r.y, r.proof};
  const MtaResponseValues& gamma = reported_w ? r.other : this_one;
  const MtaResponseValues& w = reported_w ? this_one : r.other;
  const Point g = Point::Generator();
  const Point& bob_gamma =
      bob == s.self ? s.gamma_point : s.peers.at(bob).gamma;
  const Point& bob_w = s.w_points.at(bob);
  const BigInt& alice_k = s.peers.at(alice).cap_k;
  const ProofContext ctx = s.Ctx(2, bob, alice);
  // The pair as Alice checked it in round 2 (CheckRound2Responses: same
  // statements, same context, so the same decision).
  zk::PiAffGPairResult pair = mta::VerifyResponses(
      a.paillier, a.ring_pedersen, alice_k, g,
      mta::ResponseToCheck{gamma.d, gamma.y, gamma.proof, bob_gamma},
      mta::ResponseToCheck{w.d, w.y, w.proof, bob_w}, ctx);
  if (pair.status.ok()) return absl::OkStatus();
  return ReportedProofFailed(bob, pair.failed, pair.status);
}

MaskPoints ReceivedMaskPoints(
    const PresignState& s,
    const std::map<PartyId, MtaResponseBytes>& own_received,
    const std::map<PartyId, const std::vector<RevealedMtaResponse>*>& reports) {
  MaskPoints y;
  for (const auto& [bob, got] : own_received) y[bob][s.self] = OwnPoint(got.y);
  for (const auto& [alice, received] : reports) {
    for (const RevealedMtaResponse& e : *received) y[e.from][alice] = e.y;
  }
  return y;
}

Point MaskBalance(const PresignState& s, const MaskPoints& y, PartyId i) {
  Point sum = Point::Identity();
  for (PartyId j : s.signers) {
    if (j == i) continue;
    sum = sum + y.at(j).at(i) - y.at(i).at(j);
  }
  return sum;
}

}  // namespace nitro_tss::mpc::gg20::presign_detail
