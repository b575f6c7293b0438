// Internal to mpc/gg20's key generation (keygen.cc): the session state its
// rounds and its complaint judge share, the round-1 commitment, and the
// session's parts before they are assembled.
//
// NewKeygenSession (keygen.h) is the production entry point. The parts are
// exposed for the test-only cheating rules in mpc/testing/gg20_cheats.h,
// which wrap the first round (mpc/testing/rules.h) and read or change this
// state around the rounds; the rounds themselves carry no test hook.
#ifndef NITRO_TSS_MPC_GG20_KEYGEN_STATE_H_
#define NITRO_TSS_MPC_GG20_KEYGEN_STATE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/gg20/keygen.h"
#include "mpc/gg20/protocol_context.h"
#include "mpc/round/round.h"
#include "mpc/vss/feldman.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"

namespace nitro_tss::mpc::gg20::keygen_detail {

using round::PartyId;

struct PeerData {
  std::vector<Point> vss;  // t+1
  std::optional<PaillierPublicKey> paillier;
  std::optional<RingPedersenParams> ring_pedersen;
};

struct KeygenState {
  KeygenConfig config;
  ProtocolContext ctx;
  std::vector<uint8_t> config_digest;
  std::vector<Scalar> ids;  // Scalar ids, same order as config.parties
  FeldmanDealing dealing;
  v1::KeygenDecommit decommit;  // this party's, committed to in round 1
  std::map<PartyId, std::array<uint8_t, 32>> commitments;
  std::map<PartyId, PeerData> peers;
  Scalar x;  // own final share
  Point public_key;
  std::map<PartyId, Point> public_shares;
  std::shared_ptr<KeyShare> key_share;

  ProofContext Ctx(uint32_t round, PartyId prover, PartyId verifier) const {
    return ctx.Proof(round, prover, verifier);
  }
};

// The round-1 commitment of `party` to its decommitment's payload bytes.
std::array<uint8_t, 32> CommitmentOf(const KeygenState& s, PartyId party,
                                     absl::Span<const uint8_t> decommit_bytes);

using KeygenSessionParts = SessionParts<KeygenState>;

// NewKeygenSession's validation (same errors) and assembly, without
// creating the session.
absl::StatusOr<KeygenSessionParts> NewKeygenSessionParts(
    const KeygenConfig& config);

}  // namespace nitro_tss::mpc::gg20::keygen_detail

#endif  // NITRO_TSS_MPC_GG20_KEYGEN_STATE_H_
