// Fiat–Shamir transcripts with unambiguous, domain-separated encoding.
//
// Every element is appended as
//   type tag (1 byte) || u32 label length || label || u64 data length || data
// into a running BLAKE2b-512 state, so no two different sequences of
// (label, value) pairs can hash alike (the TSSHOCK α-shuffle class of
// attacks). Integers are appended in BigInt's canonical signed encoding;
// points in their canonical compressed encoding (callers pass the bytes).
//
// Proofs bind their context with ForProof(): session id, protocol, proof
// name, round, prover and verifier ids all enter the hash, so a proof cannot
// be replayed in another session, by another party, or to another verifier.
#ifndef NITRO_TSS_MPC_TRANSCRIPT_TRANSCRIPT_H_
#define NITRO_TSS_MPC_TRANSCRIPT_TRANSCRIPT_H_

#include <sodium.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mpc/math/bigint.h"

namespace nitro_tss::mpc {

// Who proves what to whom, where. `verifier` is kBroadcast for proofs sent
// to every party.
struct ProofContext {
  static constexpr uint32_t kBroadcast = 0xFFFFFFFFu;
  std::vector<uint8_t> session_id;  // unique per protocol run
  std::string protocol;             // e.g. "gg20/keygen"
  uint32_t round = 0;
  uint32_t prover = 0;  // party id of the prover
  uint32_t verifier = kBroadcast;
};

class Transcript {
 public:
  // A fresh transcript for the given domain (e.g. "nitro-tss/v1").
  explicit Transcript(absl::string_view domain);

  // The transcript a proof named `proof_name` must use: domain
  // "nitro-tss/proof/v1", then every field of `ctx`.
  static Transcript ForProof(absl::string_view proof_name,
                             const ProofContext& ctx);

  void AppendBytes(absl::string_view label, absl::Span<const uint8_t> data);
  void AppendString(absl::string_view label, absl::string_view data);
  void AppendU64(absl::string_view label, uint64_t v);
  // Appends the canonical signed encoding of v.
  void AppendBigInt(absl::string_view label, const BigInt& v);
  // Every field of `ctx` (session id, protocol, round, prover, verifier), as
  // ForProof absorbs them.
  void AppendProofContext(const ProofContext& ctx);

  // An independent copy that has additionally absorbed `label`; the parent
  // is unchanged. Use it to derive per-repetition or per-sub-proof
  // transcripts.
  Transcript Fork(absl::string_view label) const;

  // Squeezes `len` challenge bytes. The challenge is absorbed back into the
  // state, so consecutive challenges differ.
  std::vector<uint8_t> ChallengeBytes(absl::string_view label, size_t len);
  // Uniform in [0, bound) for bound > 0, by rejection sampling over an XOF
  // stream (no modulo bias).
  BigInt ChallengeBelow(absl::string_view label, const BigInt& bound);
  // Uniform in [-bound, bound] for bound > 0 (CGGMP21's e ← ±q).
  BigInt ChallengeSymmetric(absl::string_view label, const BigInt& bound);
  // `count` uniform bits (Πmod-style binary challenges).
  std::vector<bool> ChallengeBits(absl::string_view label, size_t count);

 private:
  enum Tag : uint8_t {
    kTagDomain = 1,
    kTagBytes = 2,
    kTagString = 3,
    kTagU64 = 4,
    kTagBigInt = 5,
    kTagFork = 6,
    kTagChallenge = 7,
  };
  void Absorb(Tag tag, absl::string_view label, absl::Span<const uint8_t> data);
  // A deterministic random source keyed by the current state and `label`.
  std::vector<uint8_t> Squeeze(absl::string_view label, size_t len);

  crypto_generichash_blake2b_state state_;
};

}  // namespace nitro_tss::mpc

#endif  // NITRO_TSS_MPC_TRANSCRIPT_TRANSCRIPT_H_
