// The round engine: protocols as sequences of pure rounds.
//
// A protocol (DKG, presigning, signing) is written as a chain of Round
// objects. The engine (Session) owns the chain and enforces, for every
// protocol alike:
//   * envelope checks: session id, protocol, membership, addressing;
//   * exactly one message per sender per round and kind (broadcast/direct):
//     an identical duplicate is rejected without effect, a conflicting copy
//     aborts naming the sender;
//   * messages for the next round are queued until it starts (one
//     broadcast and one direct per sender; a conflicting copy aborts naming
//     the sender); messages for any later round are refused, since an
//     honest peer is at most one round ahead;
//   * echo broadcast: every message of round r carries a digest of each
//     round r-1 broadcast its sender saw; a mismatch aborts naming the party
//     whose broadcast differed;
//   * Verify (pure, no state change) -> Store -> Finalize when complete;
//   * every failure ends in an Abort with culprits and reasons;
//   * with identity keys (SessionConfig::identity): every envelope carries
//     the session's configuration digest and the sender's Ed25519 signature;
//     direct messages without a valid signature are refused, and a party
//     that aborts because of a direct message only it received broadcasts a
//     Complaint carrying the accused's signed messages (and the evidence the
//     protocol asks for), which every other party judges with the protocol's
//     ComplaintJudge: a valid complaint names the accused, a false one the
//     complainer (verifiable complaints, as CGGMP21's identification).
// Rounds do no I/O; all randomness comes from the RandomSource passed in.
#ifndef NITRO_TSS_MPC_ROUND_ROUND_H_
#define NITRO_TSS_MPC_ROUND_ROUND_H_

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mpc/math/random.h"
#include "mpc/math/secure_bytes.h"
#include "mpc/round/identity.h"

namespace nitro_tss::mpc::round {

using PartyId = uint32_t;
inline constexpr PartyId kBroadcast = 0;

// Limits on envelopes from the outside world.
inline constexpr size_t kMaxSessionIdBytes = 64;
inline constexpr size_t kMinSessionIdBytes = 16;
inline constexpr size_t kMaxPayloadBytes = 4 << 20;
inline constexpr size_t kMaxEnvelopeBytes = kMaxPayloadBytes + (64 << 10);
// Cap on queued next-round messages (defence in depth: the per-sender and
// per-kind limit already bounds the queue by 2 * (parties - 1)).
inline constexpr size_t kMaxQueuedMessages = 1024;

struct EchoEntry {
  PartyId sender = 0;
  std::vector<uint8_t> digest;  // 32 bytes
  bool operator==(const EchoEntry&) const = default;
};

struct Message {
  std::vector<uint8_t> session_id;
  std::string protocol;
  uint32_t round = 0;
  PartyId from = 0;
  PartyId to = kBroadcast;  // kBroadcast (0) or a party id
  std::vector<EchoEntry> echo;
  // May carry secrets (direct messages): wiped when freed, as is every copy
  // (stored messages, abort evidence, queues).
  SecureBytes payload;
  std::vector<uint8_t> config_digest = {};  // empty or 32 bytes
  std::vector<uint8_t> signature = {};      // empty or 64 bytes
  bool complaint = false;                   // payload is a v1::Complaint

  bool is_broadcast() const { return to == kBroadcast; }
  bool operator==(const Message&) const = default;

  // Outbound messages as rounds create them (the engine fills the rest).
  static Message Broadcast(SecureBytes payload) {
    Message m;
    m.payload = std::move(payload);
    return m;
  }
  static Message Direct(PartyId to, SecureBytes payload) {
    Message m;
    m.to = to;
    m.payload = std::move(payload);
    return m;
  }
  // The same from a plain vector: the bytes are copied and the source is
  // wiped before it is freed.
  static Message Broadcast(std::vector<uint8_t> payload) {
    return Broadcast(CopyAndWipe(payload));
  }
  static Message Direct(PartyId to, std::vector<uint8_t> payload) {
    return Direct(to, CopyAndWipe(payload));
  }
};

// Strict (de)serialization of the envelope (protos RoundMessage). Decode
// rejects oversized input, unknown/missing fields' invalid values and
// non-canonical echo lists (unsorted, duplicate senders, wrong digest size).
// Their own temporary copies of the payload are wiped; the encoding that
// EncodeMessage returns holds the payload in the clear, so for a direct
// message the caller wipes it (SecureWipe) once it has been sealed or sent.
std::vector<uint8_t> EncodeMessage(const Message& msg);
absl::StatusOr<Message> DecodeMessage(absl::Span<const uint8_t> bytes);

// BLAKE2b-256 over the whole encoded envelope (echo list included): what
// echo entries commit to.
std::vector<uint8_t> BroadcastDigest(const Message& msg);

// The bytes an identity signature covers: a domain tag and the envelope
// encoded with `signature` cleared.
std::vector<uint8_t> SignedBytes(const Message& msg);

// Why a party is named, for machines: the coordinator decides from the code
// whether to exclude the node or to retry; `Culprit::reason` is for people.
//
// Exclude this node (it provably misbehaved; every honest party that checks
// the same data names it):
//   kBadMessage      undecodable or malformed payload (strict syntax, field
//                    sizes, canonical encodings), or a message of a kind the
//                    round does not expect;
//   kBadProof        a zero-knowledge proof (or Schnorr / equality / PoK
//                    proof) does not verify;
//   kBadShare        a VSS share, an MtA share (α out of range) or a
//                    signature share fails its check;
//   kBadOpening      a commitment or reveal does not open (decommitment,
//                    Γ opening, revealed γ / k / δ, committed MtA digest);
//   kEquivocation    conflicting copies of one message, an own echo that
//                    contradicts the own broadcast, or two signed broadcasts
//                    of one round;
//   kFalseComplaint  a complaint that does not hold (or is malformed);
//   kWrongValue      a value the identification rounds show to be wrong
//                    (δ_i, σ_i, a key id that differs).
// Retry / suspect (not provable on its own; the party may be honest):
//   kSilent          no message before the deadline (Session::ExpireRound;
//                    a relay that drops messages looks the same);
//   kSuspect         two parties of which one misbehaved and third parties
//                    cannot tell which (an undecidable complaint; an echo
//                    mismatch between two different parties).
// Self:
//   kInternal        this party's own internal error (names itself).
enum class CulpritCode : uint8_t {
  kBadMessage = 1,
  kBadProof,
  kBadShare,
  kBadOpening,
  kEquivocation,
  kFalseComplaint,
  kWrongValue,
  kSilent,
  kSuspect,
  kInternal,
};

// What the coordinator should do about a culprit with `code`.
enum class CulpritAction : uint8_t { kExclude, kRetry, kSelf };
CulpritAction ActionFor(CulpritCode code);
// "bad_message", "bad_proof", ... (stable, for logs and metrics).
absl::string_view CulpritCodeName(CulpritCode code);

// Attaches `code` to a non-OK status that a round returns from Verify (the
// engine then names the sender with that code; a Verify error without one
// is kBadMessage). OK statuses are returned unchanged.
absl::Status WithCulpritCode(absl::Status status, CulpritCode code);
// The code attached by WithCulpritCode, else `fallback`.
CulpritCode CulpritCodeOf(const absl::Status& status, CulpritCode fallback);

struct Culprit {
  Culprit() = default;
  Culprit(PartyId p, CulpritCode c, std::string r)
      : party(p), code(c), reason(std::move(r)) {}

  PartyId party = 0;
  CulpritCode code = CulpritCode::kInternal;
  std::string reason;
  // Set by a round when the culprit's *direct* message to this party (of the
  // round being verified or finalized) failed a check that the other parties
  // could not make themselves. With identity keys the engine then
  // broadcasts a Complaint carrying `evidence` (protocol-specific, e.g. the
  // opening of a ciphertext this party decrypted).
  bool direct_message = false;
  std::vector<uint8_t> evidence;
};

// Why a session stopped. `culprits` is never empty for misbehaviour that can
// be attributed; `evidence` holds the offending envelopes when available.
struct Abort {
  std::string protocol;
  uint32_t round = 0;
  std::vector<Culprit> culprits;
  std::vector<Message> evidence;
  // Why the session stopped when no one can be named (e.g. a peer runs this
  // session id with another configuration).
  std::string cause = {};

  std::set<PartyId> CulpritIds() const;
  std::string ToString() const;
};

// What a round hands to the engine when it finalizes.
struct RoundOutput {
  // Outbound messages: the round fills `to` and `payload` (and nothing
  // else); the engine stamps session id, protocol, round number, sender and
  // echo entries.
  std::vector<Message> outbound;
  // The next round, or null when the protocol is finished.
  std::unique_ptr<class Round> next;
  // Set on the last round: the protocol's result (e.g. a KeyShare).
  std::any result;
  // Set when the round detected misbehaviour while finalizing (e.g. a
  // combined value fails a check and the round identifies who caused it).
  std::optional<Abort> abort;
};

class Round {
 public:
  virtual ~Round() = default;

  // Number of the messages this round consumes (the messages sent by the
  // previous round's finalize are stamped with this number). The first round
  // of every protocol is number 0 and consumes nothing: ExpectsBroadcast()
  // and ExpectsDirect() are false. Numbers increase by one per round, and
  // every later round expects at least one kind (so that no peer can be
  // more than one round ahead; the engine refuses messages for later
  // rounds).
  virtual uint32_t Number() const = 0;
  virtual bool ExpectsBroadcast() const = 0;
  virtual bool ExpectsDirect() const = 0;

  // Pure: checks one inbound message (envelope already validated by the
  // engine) without changing any state. A non-OK status names what is wrong;
  // the engine aborts blaming msg.from with the status's culprit code
  // (WithCulpritCode; kBadMessage if none).
  virtual absl::Status Verify(const Message& msg) const = 0;

  // Stores a message that passed Verify.
  virtual void Store(const Message& msg) = 0;

  // Called once every expected message of this round has been stored.
  // Non-OK status means an internal error (not attributable misbehaviour).
  virtual absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) = 0;
};

// RoundOutput helpers for a round that detects misbehaviour (typically in
// Finalize): an output holding only an Abort with `culprits`.
RoundOutput AbortOutput(std::vector<Culprit> culprits);
RoundOutput AbortOutput(PartyId culprit, CulpritCode code,
                        absl::string_view reason);
// An abort caused by `culprit`'s *direct* message to this party: the culprit
// is marked direct_message, so that with identity keys the engine broadcasts
// a complaint carrying `evidence` that the others judge.
RoundOutput DirectAbortOutput(PartyId culprit, CulpritCode code,
                              absl::string_view reason,
                              std::vector<uint8_t> evidence = {});

// How third parties judge a complaint (protocol-specific; see round.h's
// header comment). Called by the engine only once the judging party's own
// session has reached the complained round, so that its state holds every
// earlier round's public data.
class ComplaintJudge {
 public:
  struct Case {
    PartyId complainer = 0;
    PartyId accused = 0;
    uint32_t round = 0;  // the complained message's round
    // The accused's signed direct messages to the complainer by round (the
    // complained one included; signatures, session and addressing already
    // checked by the engine).
    std::map<uint32_t, const Message*> directs;
    // The accused's signed broadcast of `round`, or null if the complainer
    // had none (the engine checked it against this party's own copy).
    const Message* broadcast = nullptr;
    absl::Span<const uint8_t> evidence;
  };
  enum class Outcome {
    kAccusedGuilty,   // the message fails the check: names the accused
    kComplaintFalse,  // the message passes every check: names the complainer
    // Third parties cannot re-run this check (e.g. a round without
    // complaint support): both are named as suspects.
    kUndecidable,
  };
  struct Verdict {
    Outcome outcome = Outcome::kUndecidable;
    std::string reason;
    // kAccusedGuilty: why the accused is named (kBadMessage, kBadProof,
    // kBadShare, ...). The engine names a false complainer with
    // kFalseComplaint and undecidable parties with kSuspect.
    CulpritCode code = CulpritCode::kSuspect;
  };
  virtual ~ComplaintJudge() = default;
  static Verdict Guilty(CulpritCode code, absl::string_view why) {
    return Verdict{Outcome::kAccusedGuilty, std::string(why), code};
  }
  // Guilty with the code a Verify-style status carries (CulpritCodeOf,
  // kBadMessage when it has none) and its message as the reason.
  static Verdict Guilty(const absl::Status& failed) {
    return Guilty(CulpritCodeOf(failed, CulpritCode::kBadMessage),
                  failed.message());
  }
  static Verdict False(absl::string_view why) {
    return Verdict{Outcome::kComplaintFalse, std::string(why),
                   CulpritCode::kFalseComplaint};
  }
  // Re-runs the complainer's checks of the complained message. Returns a
  // non-OK status only for internal errors.
  virtual absl::StatusOr<Verdict> Judge(const Case& c) const = 0;
};

struct SessionConfig {
  std::vector<uint8_t> session_id;  // kMinSessionIdBytes..kMaxSessionIdBytes
  std::string protocol;
  PartyId self = 0;
  std::vector<PartyId>
      parties;  // every participant incl. self; distinct, non-zero
  // Optional (required by the GG20 protocols): this party's identity key and
  // every party's public identity key (self included, matching `identity`).
  // With them every envelope is signed, direct messages must carry a valid
  // signature and complaints are enabled.
  std::shared_ptr<const PartyIdentityKey> identity = {};
  std::map<PartyId, IdentityPublicKey> identity_keys = {};
  // With identity keys: 32 bytes binding everything the parties must agree
  // on besides the session id (threshold, party set, identity keys, key id,
  // signer set, ...). Computed by the protocol.
  std::vector<uint8_t> config_digest = {};
  // With identity keys: judges other parties' complaints (required).
  std::shared_ptr<const ComplaintJudge> judge = {};
};

// Drives one party's rounds. Not thread-safe.
class Session {
 public:
  enum class State { kCreated, kRunning, kDone, kAborted };

  static absl::StatusOr<std::unique_ptr<Session>> Create(
      SessionConfig config, std::unique_ptr<Round> first, RandomSource& rng);

  // Finalizes the first round (which expects no input). Outbound messages
  // are then available through TakeOutbound().
  absl::Status Start();

  // Feeds one inbound message. A signed session that is already done still
  // judges complaints (about its last round): a valid or false one turns it
  // into kAborted and drops the result. Returns a non-OK status, without any
  // state change, for messages that are not for this session or are exact
  // duplicates, from relays that cannot be blamed (wrong session id,
  // protocol, recipient, non-member sender, stale round), and for a round
  // beyond the next one (FailedPrecondition "message for round R while at
  // round C"). Messages for the next round are queued, one broadcast and
  // one direct per sender (ResourceExhausted only if the defensive
  // kMaxQueuedMessages cap is hit). Misbehaviour attributable to the sender
  // (failed verification, conflicting copy, also of a queued next-round
  // message, echo mismatch) aborts the session and returns OK; check
  // state().
  absl::Status Receive(const Message& msg);

  // Messages produced since the last call.
  std::vector<Message> TakeOutbound();

  // Parties whose message(s) for the current round have not arrived (in
  // party order; empty unless running).
  std::vector<PartyId> MissingSenders() const;

  // The caller's deadline for the current round has passed (the protocol
  // itself has no clock; the coordinator/node owns timeouts). Aborts the
  // session naming every party in MissingSenders() (code kSilent) with the
  // reason
  // "no round-<r> <kind> message before the deadline (silent sender, or
  // dropped by the relay)". A relay that drops messages can make an honest
  // party look silent, so callers should treat these culprits as suspects
  // (the same party missing at several honest peers, or across sessions,
  // points at the party). FailedPrecondition if the session is not running.
  absl::Status ExpireRound();

  State state() const { return state_; }
  const std::optional<Abort>& abort() const { return abort_; }
  const std::any& result() const { return result_; }
  uint32_t current_round() const;
  const SessionConfig& config() const { return config_; }

 private:
  Session(SessionConfig config, std::unique_ptr<Round> first,
          RandomSource& rng);
  absl::Status CheckEnvelope(const Message& msg) const;
  // Processes queued messages of the current round and finalizes rounds as
  // long as they are complete.
  absl::Status Pump();
  absl::Status Advance();
  bool RoundComplete() const;
  // What `p` has not yet sent for the current round: "broadcast",
  // "direct", "broadcast and direct" or "" (round_ must be set).
  std::string MissingKinds(PartyId p) const;
  void AbortWith(Abort abort);
  // Digests of every broadcast of the round being finalized (own included).
  std::vector<EchoEntry> EchoOfCurrentRound() const;
  bool signed_session() const { return config_.identity != nullptr; }
  void Sign(Message& m) const;
  bool SignatureValid(const Message& m) const;
  // Broadcasts a complaint about `accused`'s direct message `failed` (or, if
  // null, the last direct stored from it) with `evidence`.
  void Complain(PartyId accused, const Message* failed,
                std::vector<uint8_t> evidence);
  // Aborts with `abort`, first broadcasting complaints for its culprits
  // marked direct_message.
  void AbortAndComplain(Abort abort, const Message* failed);
  absl::Status ReceiveComplaint(const Message& msg);
  // Judges a complaint whose round this session has reached; aborts.
  void JudgeComplaint(const Message& msg);

  SessionConfig config_;
  std::unique_ptr<Round> round_;
  RandomSource& rng_;
  State state_ = State::kCreated;
  std::optional<Abort> abort_;
  std::any result_;
  std::vector<Message> outbound_;
  // Messages received for the current round, by sender.
  std::map<PartyId, Message> broadcasts_;
  std::map<PartyId, Message> directs_;
  // Digests of the current round's broadcasts (own included), echoed in the
  // next round's messages; and of the previous round's, against which the
  // echo in incoming messages is checked.
  std::map<PartyId, std::vector<uint8_t>> cur_broadcast_digests_;
  std::map<PartyId, std::vector<uint8_t>> prev_broadcast_digests_;
  // Next-round messages: at most one broadcast and one direct per sender.
  std::vector<Message> queue_;
  // Every direct message accepted from each sender, in round order (what a
  // complaint about that sender carries).
  std::map<PartyId, std::vector<Message>> received_directs_;
  // Digests of every broadcast accepted, by (round, sender).
  std::map<std::pair<uint32_t, PartyId>, std::vector<uint8_t>>
      broadcast_digests_;
  // Complaints about a round this session has not reached yet (one per
  // complainer).
  std::map<PartyId, Message> pending_complaints_;
  // Parties from which a message with this session's configuration digest
  // was accepted (a later signed message with another digest is then
  // equivocation, not a configuration mismatch).
  std::set<PartyId> agreed_config_;
  // Judges the first pending complaint whose round this session reached
  // (or any, once done); returns true if one was judged (the session then
  // is aborted).
  bool JudgePendingComplaint();
};

}  // namespace nitro_tss::mpc::round

#endif  // NITRO_TSS_MPC_ROUND_ROUND_H_
