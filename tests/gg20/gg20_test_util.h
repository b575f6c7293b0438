// Test harness for the GG20 protocols: fixture Paillier / ring-Pedersen
// material, in-process runs of keygen and presign through the round
// simulator (with per-party cheats, mpc/testing/gg20_cheats.h, and delivery
// hooks), and a trusted dealer for presign tests that do not need a fresh
// DKG.
#ifndef NITRO_TSS_TESTS_GG20_GG20_TEST_UTIL_H_
#define NITRO_TSS_TESTS_GG20_GG20_TEST_UTIL_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/time/time.h"
#include "mpc/gg20/keygen.h"
#include "mpc/gg20/presign.h"
#include "mpc/gg20/sign.h"
#include "mpc/testing/gg20_cheats.h"
#include "mpc/testing/simulator.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::testing {

using round::PartyId;

// Material of fixture slot i (Paillier key i, ring-Pedersen set i); i < 8.
KeygenMaterial FixtureMaterial(size_t i);

std::vector<uint8_t> SessionId(uint64_t tag);

std::vector<PartyId> PartyIds(size_t n);  // 1..n

// Party `id`'s identity key in tests: deterministic (seeded from the id),
// the same for every key and session.
std::shared_ptr<const round::PartyIdentityKey> TestIdentity(PartyId id);
// TestIdentity(p)->public_key() for every p in `ids`.
std::map<PartyId, round::IdentityPublicKey> TestIdentityKeys(
    const std::vector<PartyId>& ids);

struct RunResult {
  bool all_done = false;
  // Aborts of the honest parties (by party id).
  std::map<PartyId, round::Abort> aborts;
  std::map<PartyId, std::any> results;
  std::vector<absl::Status> refusals;
  // Culprit ids named by every aborted honest party, if they all agree;
  // otherwise empty.
  std::set<PartyId> AgreedCulprits(const std::set<PartyId>& honest) const;
};

// Runs the sessions through the simulator and collects the outcome. With
// `expire_stalled`, sessions still waiting when no message is left in
// flight get their round expired (as a coordinator's deadline would), so
// their aborts name the silent parties.
//
// Every envelope is signed with its sender's identity key, and honest
// parties refuse unsigned ones. A hook that changes a message therefore
// plays the *sender* cheating: with `resign_tampered` (default) every
// delivery the hook changed or added is re-signed with its sender's
// TestIdentity. Set it to false to play a relay that cannot sign.
RunResult Drive(std::map<PartyId, std::unique_ptr<round::Session>> sessions,
                const round::Simulator::DeliveryHook& hook,
                bool expire_stalled = false, bool resign_tampered = true);

// Runs every session on its own thread, as the nodes of a cluster would:
// each party blocks on its inbox, feeds messages to its session (wire
// encoded and decoded) and posts its outbound messages to the recipients'
// inboxes; broadcasts are fanned out to every other party. Returns when
// every session is done or aborted (or after `timeout`, with
// all_done = false). Each session must own a RandomSource not shared with
// another session.
RunResult DriveConcurrently(
    std::map<PartyId, std::unique_ptr<round::Session>> sessions,
    absl::Duration timeout = absl::Minutes(5));

struct KeygenRun {
  size_t t = 1, n = 2;
  uint64_t session_tag = 1;
  uint64_t seed = 1;
  std::map<PartyId, KeygenCheat> cheats;  // honest parties: none
  round::Simulator::DeliveryHook hook;
  bool expire_stalled = false;  // see Drive
  bool resign_tampered = true;  // see Drive
  // Per-party overrides of the threshold (a relay that configures parties
  // differently).
  std::map<PartyId, size_t> threshold_of;
};
RunResult RunKeygen(const KeygenRun& run);
std::vector<std::shared_ptr<const KeyShare>> KeySharesOf(const RunResult& r);

// Trusted-dealer key shares over fixture material (for presign tests).
std::vector<std::shared_ptr<const KeyShare>> DealKeyShares(size_t t, size_t n,
                                                           uint64_t seed);

struct PresignRun {
  std::vector<std::shared_ptr<const KeyShare>> shares;  // all n parties
  std::vector<PartyId> signers;
  Scalar tweak;
  uint64_t session_tag = 100;
  uint64_t seed = 7;
  std::map<PartyId, PresignCheat> cheats;  // honest parties: none
  round::Simulator::DeliveryHook hook;
  std::map<PartyId, std::shared_ptr<PresignAccelerators>> accelerators;
  bool expire_stalled = false;  // see Drive
  bool resign_tampered = true;  // see Drive
  int threads = 1;              // PresignConfig::threads of every party
};
RunResult RunPresign(const PresignRun& run);
std::map<PartyId, std::shared_ptr<Presignature>> PresignaturesOf(
    const RunResult& r);

// Signs `message` with every presignature and combines.
absl::StatusOr<EcdsaSignature> SignAll(
    std::map<PartyId, std::shared_ptr<Presignature>>& presigs,
    const SignRequest& request, std::vector<round::Culprit>* culprits);

SignRequest RequestFor(const PresignaturePublic& pub,
                       const std::vector<uint8_t>& message,
                       DigestAlgorithm alg = DigestAlgorithm::kSha256);

// Tampers a round-2 direct message: the Πaff-g pair's second part (MtAwc)
// gets the first part's A and w, which its decoder refuses.
void CopyPairAAndWIntoSecondPart(v1::PresignRound2Direct& m);

}  // namespace nitro_tss::mpc::gg20::testing

#endif  // NITRO_TSS_TESTS_GG20_GG20_TEST_UTIL_H_

namespace nitro_tss::mpc::gg20::testing {
// Keygen with fixtures, run once per (t, n) per test binary and cached.
const std::vector<std::shared_ptr<const KeyShare>>& CachedKeygen(size_t t,
                                                                 size_t n);
}  // namespace nitro_tss::mpc::gg20::testing
