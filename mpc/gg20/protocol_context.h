// What every GG20 protocol's rounds share about their session: the session
// id, protocol name, this party, the participants, and the proof contexts
// (session id, protocol, round, prover, verifier) their proofs are bound to;
// and a validated session's parts before the session is created.
#ifndef NITRO_TSS_MPC_GG20_PROTOCOL_CONTEXT_H_
#define NITRO_TSS_MPC_GG20_PROTOCOL_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/math/random.h"
#include "mpc/round/round.h"
#include "mpc/transcript/transcript.h"

namespace nitro_tss::mpc::gg20 {

struct ProtocolContext {
  std::vector<uint8_t> session_id;
  std::string protocol;
  round::PartyId self = 0;
  // Every participant (self included), in the order the protocol uses.
  std::vector<round::PartyId> parties;

  // The context of `prover`'s proof in message round `round` to `verifier`
  // (round::kBroadcast, 0, for a broadcast proof).
  ProofContext Proof(uint32_t round, round::PartyId prover,
                     round::PartyId verifier) const {
    ProofContext c;
    c.session_id = session_id;
    c.protocol = protocol;
    c.round = round;
    c.prover = prover;
    c.verifier =
        verifier == round::kBroadcast ? ProofContext::kBroadcast : verifier;
    return c;
  }
};

// A validated session before it is created: its engine configuration, its
// first round (round 0) and the state its rounds (and its judge) share.
// NewKeygenSession / NewPresignSession create the session from it at once;
// the test-only cheating rules (mpc/testing/gg20_cheats.h) wrap `first` and
// keep `state` first.
template <typename State>
struct SessionParts {
  round::SessionConfig session;
  std::unique_ptr<round::Round> first;
  std::shared_ptr<State> state;
};

// round::Session::Create from `parts` (or its error).
template <typename State>
absl::StatusOr<std::unique_ptr<round::Session>> CreateSession(
    absl::StatusOr<SessionParts<State>> parts, RandomSource& rng) {
  if (!parts.ok()) return parts.status();
  return round::Session::Create(std::move(parts->session),
                                std::move(parts->first), rng);
}

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_PROTOCOL_CONTEXT_H_
