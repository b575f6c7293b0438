// What every GG20 protocol's rounds share about their session: the session
// id, protocol name, this party, the participants, and the proof contexts
// (session id, protocol, round, prover, verifier) their proofs are bound to.
#ifndef NITRO_TSS_MPC_GG20_PROTOCOL_CONTEXT_H_
#define NITRO_TSS_MPC_GG20_PROTOCOL_CONTEXT_H_

#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_PROTOCOL_CONTEXT_H_
