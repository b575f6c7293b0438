#include "mpc/round/round.h"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_payload.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "nitro_tss/mpc/v1/round.pb.h"

namespace nitro_tss::mpc::round {
namespace {

constexpr size_t kDigestBytes = 32;
constexpr char kSignatureTag[] = "nitro-tss/round/v1/signature";
constexpr size_t kMaxProtocolChars = 64;
constexpr size_t kMaxEchoEntries = 256;

std::string Blame(PartyId p) { return absl::StrCat("party ", p); }

// Wipes the payload copy held by an envelope proto when it goes out of
// scope (declare it right after the proto).
class WipePayloadOnExit {
 public:
  explicit WipePayloadOnExit(nitro_tss::mpc::v1::RoundMessage* pb) : pb_(pb) {}
  WipePayloadOnExit(const WipePayloadOnExit&) = delete;
  WipePayloadOnExit& operator=(const WipePayloadOnExit&) = delete;
  ~WipePayloadOnExit() { SecureWipe(*pb_->mutable_payload()); }

 private:
  nitro_tss::mpc::v1::RoundMessage* pb_;
};

}  // namespace

std::vector<uint8_t> EncodeMessage(const Message& msg) {
  nitro_tss::mpc::v1::RoundMessage pb;
  WipePayloadOnExit wipe_payload(&pb);
  pb.set_session_id(msg.session_id.data(), msg.session_id.size());
  pb.set_protocol(msg.protocol);
  pb.set_round(msg.round);
  pb.set_from(msg.from);
  pb.set_to(msg.to);
  for (const EchoEntry& e : msg.echo) {
    auto* entry = pb.add_echo();
    entry->set_sender(e.sender);
    entry->set_digest(e.digest.data(), e.digest.size());
  }
  pb.set_payload(msg.payload.data(), msg.payload.size());
  pb.set_config_digest(msg.config_digest.data(), msg.config_digest.size());
  pb.set_signature(msg.signature.data(), msg.signature.size());
  pb.set_complaint(msg.complaint);
  // Serialized in place into a buffer of the final size: no intermediate
  // copy of the payload (a growing string would leave fragments behind).
  std::vector<uint8_t> out(pb.ByteSizeLong());
  {
    google::protobuf::io::ArrayOutputStream stream(
        out.data(), static_cast<int>(out.size()));
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    pb.SerializeWithCachedSizes(&coded);
  }
  return out;
}

absl::StatusOr<Message> DecodeMessage(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("round message: ", bytes.size(), " bytes exceeds limit ",
                     kMaxEnvelopeBytes));
  }
  nitro_tss::mpc::v1::RoundMessage pb;
  WipePayloadOnExit wipe_payload(&pb);
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("round message: malformed protobuf");
  }
  if (!pb.GetReflection()->GetUnknownFields(pb).empty()) {
    return absl::InvalidArgumentError("round message: unknown fields");
  }
  Message m;
  m.session_id.assign(pb.session_id().begin(), pb.session_id().end());
  m.protocol = pb.protocol();
  m.round = pb.round();
  m.from = pb.from();
  m.to = pb.to();
  m.payload.assign(pb.payload().begin(), pb.payload().end());
  m.config_digest.assign(pb.config_digest().begin(), pb.config_digest().end());
  m.signature.assign(pb.signature().begin(), pb.signature().end());
  m.complaint = pb.complaint();
  if (!m.config_digest.empty() && m.config_digest.size() != kDigestBytes) {
    return absl::InvalidArgumentError(
        "round message: config digest must be empty or 32 bytes");
  }
  if (!m.signature.empty() && m.signature.size() != kIdentitySignatureBytes) {
    return absl::InvalidArgumentError(
        "round message: signature must be empty or 64 bytes");
  }
  if (m.complaint && m.to != kBroadcast) {
    return absl::InvalidArgumentError(
        "round message: a complaint must be a broadcast");
  }
  if (m.session_id.size() < kMinSessionIdBytes ||
      m.session_id.size() > kMaxSessionIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "round message: session id of ", m.session_id.size(), " bytes"));
  }
  if (m.protocol.empty() || m.protocol.size() > kMaxProtocolChars) {
    return absl::InvalidArgumentError("round message: bad protocol name");
  }
  for (char c : m.protocol) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("round message: bad protocol name");
    }
  }
  if (m.round == 0) {
    return absl::InvalidArgumentError("round message: round 0");
  }
  if (m.from == 0 || m.from == m.to) {
    return absl::InvalidArgumentError("round message: bad sender");
  }
  if (m.payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError("round message: payload too large");
  }
  if (pb.echo_size() > static_cast<int>(kMaxEchoEntries)) {
    return absl::InvalidArgumentError("round message: too many echo entries");
  }
  for (const auto& e : pb.echo()) {
    if (e.digest().size() != kDigestBytes) {
      return absl::InvalidArgumentError("round message: echo digest size");
    }
    if (!m.echo.empty() && e.sender() <= m.echo.back().sender) {
      return absl::InvalidArgumentError(
          "round message: echo entries not strictly sorted by sender");
    }
    if (e.sender() == 0) {
      return absl::InvalidArgumentError("round message: echo sender 0");
    }
    m.echo.push_back(
        EchoEntry{e.sender(),
                  std::vector<uint8_t>(e.digest().begin(), e.digest().end())});
  }
  // Canonical encoding only: one encoding per message.
  std::vector<uint8_t> again = EncodeMessage(m);
  const bool canonical =
      std::equal(again.begin(), again.end(), bytes.begin(), bytes.end());
  SecureWipe(again.data(), again.size());
  if (!canonical) {
    return absl::InvalidArgumentError("round message: non-canonical encoding");
  }
  return m;
}

std::vector<uint8_t> BroadcastDigest(const Message& msg) {
  std::vector<uint8_t> enc = EncodeMessage(msg);
  std::vector<uint8_t> digest(kDigestBytes);
  static const char kKey[] = "nitro-tss/echo/v1";
  crypto_generichash_blake2b(digest.data(), digest.size(), enc.data(),
                             enc.size(), reinterpret_cast<const uint8_t*>(kKey),
                             sizeof(kKey) - 1);
  return digest;
}

std::vector<uint8_t> SignedBytes(const Message& msg) {
  Message unsigned_copy = msg;
  unsigned_copy.signature.clear();
  std::vector<uint8_t> out(kSignatureTag,
                           kSignatureTag + sizeof(kSignatureTag));
  std::vector<uint8_t> enc = EncodeMessage(unsigned_copy);
  out.insert(out.end(), enc.begin(), enc.end());
  sodium_memzero(enc.data(), enc.size());
  return out;
}

namespace {
// The code a Verify error carries (common/status_payload.h).
constexpr EnumStatusPayload<CulpritCode> kCulpritCodePayload(
    "type.nitro-tss/mpc.round.CulpritCode", CulpritCode::kBadMessage,
    CulpritCode::kInternal);
}  // namespace

CulpritAction ActionFor(CulpritCode code) {
  switch (code) {
    case CulpritCode::kSilent:
    case CulpritCode::kSuspect:
      return CulpritAction::kRetry;
    case CulpritCode::kInternal:
      return CulpritAction::kSelf;
    case CulpritCode::kBadMessage:
    case CulpritCode::kBadProof:
    case CulpritCode::kBadShare:
    case CulpritCode::kBadOpening:
    case CulpritCode::kEquivocation:
    case CulpritCode::kFalseComplaint:
    case CulpritCode::kWrongValue:
      return CulpritAction::kExclude;
  }
  return CulpritAction::kRetry;
}

absl::string_view CulpritCodeName(CulpritCode code) {
  switch (code) {
    case CulpritCode::kBadMessage:
      return "bad_message";
    case CulpritCode::kBadProof:
      return "bad_proof";
    case CulpritCode::kBadShare:
      return "bad_share";
    case CulpritCode::kBadOpening:
      return "bad_opening";
    case CulpritCode::kEquivocation:
      return "equivocation";
    case CulpritCode::kFalseComplaint:
      return "false_complaint";
    case CulpritCode::kWrongValue:
      return "wrong_value";
    case CulpritCode::kSilent:
      return "silent";
    case CulpritCode::kSuspect:
      return "suspect";
    case CulpritCode::kInternal:
      return "internal";
  }
  return "unknown";
}

absl::Status WithCulpritCode(absl::Status status, CulpritCode code) {
  return kCulpritCodePayload.Attach(std::move(status), code);
}

CulpritCode CulpritCodeOf(const absl::Status& status, CulpritCode fallback) {
  return kCulpritCodePayload.Get(status).value_or(fallback);
}

RoundOutput AbortOutput(std::vector<Culprit> culprits) {
  RoundOutput out;
  Abort a;
  a.culprits = std::move(culprits);
  out.abort = std::move(a);
  return out;
}

RoundOutput AbortOutput(PartyId culprit, CulpritCode code,
                        absl::string_view reason) {
  return AbortOutput({Culprit{culprit, code, std::string(reason)}});
}

RoundOutput DirectAbortOutput(PartyId culprit, CulpritCode code,
                              absl::string_view reason,
                              std::vector<uint8_t> evidence) {
  Culprit c{culprit, code, std::string(reason)};
  c.direct_message = true;
  c.evidence = std::move(evidence);
  return AbortOutput({std::move(c)});
}

std::set<PartyId> Abort::CulpritIds() const {
  std::set<PartyId> ids;
  for (const Culprit& c : culprits) ids.insert(c.party);
  return ids;
}

std::string Abort::ToString() const {
  std::vector<std::string> parts;
  for (const Culprit& c : culprits) {
    parts.push_back(absl::StrCat(Blame(c.party), ": ", c.reason));
  }
  if (parts.empty()) parts.push_back(cause);
  return absl::StrCat(protocol, " aborted in round ", round, ": ",
                      absl::StrJoin(parts, "; "));
}

absl::StatusOr<std::unique_ptr<Session>> Session::Create(
    SessionConfig config, std::unique_ptr<Round> first, RandomSource& rng) {
  if (config.session_id.size() < kMinSessionIdBytes ||
      config.session_id.size() > kMaxSessionIdBytes) {
    return absl::InvalidArgumentError("session: session id size");
  }
  if (config.protocol.empty() || config.protocol.size() > kMaxProtocolChars) {
    return absl::InvalidArgumentError("session: protocol name");
  }
  std::vector<PartyId> sorted = config.parties;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.empty() || sorted.front() == 0 ||
      std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return absl::InvalidArgumentError(
        "session: party ids must be distinct and non-zero");
  }
  if (!std::binary_search(sorted.begin(), sorted.end(), config.self)) {
    return absl::InvalidArgumentError("session: self is not a party");
  }
  if (first == nullptr || first->ExpectsBroadcast() || first->ExpectsDirect()) {
    return absl::InvalidArgumentError(
        "session: the first round must expect no messages");
  }
  if (config.identity != nullptr) {
    if (config.identity_keys.size() != sorted.size()) {
      return absl::InvalidArgumentError(
          "session: identity_keys must hold exactly one key per party");
    }
    for (PartyId p : sorted) {
      if (!config.identity_keys.count(p)) {
        return absl::InvalidArgumentError(
            absl::StrCat("session: identity_keys lacks party ", p));
      }
    }
    if (config.identity_keys.at(config.self) != config.identity->public_key()) {
      return absl::InvalidArgumentError(
          "session: identity_keys[self] is not this party's identity key");
    }
    if (config.config_digest.size() != kDigestBytes) {
      return absl::InvalidArgumentError(
          "session: config_digest must be 32 bytes");
    }
    if (config.judge == nullptr) {
      return absl::InvalidArgumentError(
          "session: a signed session needs a complaint judge");
    }
  } else if (!config.identity_keys.empty() || !config.config_digest.empty()) {
    return absl::InvalidArgumentError(
        "session: identity_keys / config_digest without an identity key");
  }
  config.parties = std::move(sorted);
  return std::unique_ptr<Session>(
      new Session(std::move(config), std::move(first), rng));
}

Session::Session(SessionConfig config, std::unique_ptr<Round> first,
                 RandomSource& rng)
    : config_(std::move(config)), round_(std::move(first)), rng_(rng) {}

uint32_t Session::current_round() const {
  return round_ ? round_->Number() : 0;
}

absl::Status Session::Start() {
  if (state_ != State::kCreated) {
    return absl::FailedPreconditionError("session: already started");
  }
  state_ = State::kRunning;
  return Advance();
}

std::vector<Message> Session::TakeOutbound() {
  std::vector<Message> out;
  out.swap(outbound_);
  return out;
}

void Session::AbortWith(Abort abort) {
  abort.protocol = config_.protocol;
  if (abort.round == 0) abort.round = current_round();
  abort_ = std::move(abort);
  state_ = State::kAborted;
  round_.reset();
  queue_.clear();
  result_.reset();
}

std::vector<EchoEntry> Session::EchoOfCurrentRound() const {
  std::vector<EchoEntry> echo;
  for (const auto& [sender, digest] : cur_broadcast_digests_) {
    echo.push_back(EchoEntry{sender, digest});
  }
  return echo;
}

absl::Status Session::Advance() {
  while (state_ == State::kRunning && RoundComplete()) {
    absl::StatusOr<RoundOutput> out = round_->Finalize(rng_);
    if (!out.ok()) {
      AbortWith(Abort{
          config_.protocol,
          current_round(),
          {Culprit{config_.self, CulpritCode::kInternal,
                   absl::StrCat("internal error: ", out.status().message())}},
          {}});
      return out.status();
    }
    if (out->abort.has_value()) {
      AbortAndComplain(*std::move(out->abort), nullptr);
      return absl::OkStatus();
    }
    if (out->next == nullptr && !out->outbound.empty()) {
      return absl::InternalError("session: final round produced messages");
    }
    std::vector<EchoEntry> echo = EchoOfCurrentRound();
    std::map<PartyId, std::vector<uint8_t>> own_digests;
    for (Message& m : out->outbound) {
      if (m.to != kBroadcast &&
          (m.to == config_.self ||
           !std::binary_search(config_.parties.begin(), config_.parties.end(),
                               m.to))) {
        return absl::InternalError("session: message to a non-member");
      }
      m.session_id = config_.session_id;
      m.protocol = config_.protocol;
      m.round = out->next->Number();
      m.from = config_.self;
      m.echo = echo;
      Sign(m);
      if (m.is_broadcast()) {
        if (own_digests.count(config_.self)) {
          return absl::InternalError("session: two broadcasts in one round");
        }
        own_digests[config_.self] = BroadcastDigest(m);
        broadcast_digests_[{m.round, config_.self}] = own_digests[config_.self];
      }
      outbound_.push_back(m);
    }
    broadcasts_.clear();
    directs_.clear();
    prev_broadcast_digests_ = std::move(cur_broadcast_digests_);
    cur_broadcast_digests_ = std::move(own_digests);
    if (out->next == nullptr) {
      result_ = std::move(out->result);
      state_ = State::kDone;
      round_.reset();
      queue_.clear();
      // A complaint about the last round that arrived early still counts.
      JudgePendingComplaint();
      return absl::OkStatus();
    }
    round_ = std::move(out->next);
    // Deliver queued messages that belong to the new round.
    std::vector<Message> ready;
    std::vector<Message> later;
    for (Message& m : queue_) {
      (m.round == round_->Number() ? ready : later).push_back(std::move(m));
    }
    queue_ = std::move(later);
    for (const Message& m : ready) {
      absl::Status s = Receive(m);
      if (state_ != State::kRunning) return absl::OkStatus();
      (void)s;  // duplicates among queued copies are simply dropped
    }
    // Complaints about a round this session has now reached.
    if (state_ == State::kRunning) JudgePendingComplaint();
    // Receive() already advanced if the round completed.
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

std::string Session::MissingKinds(PartyId p) const {
  const bool broadcast = round_->ExpectsBroadcast() && !broadcasts_.count(p);
  const bool direct = round_->ExpectsDirect() && !directs_.count(p);
  if (broadcast && direct) return "broadcast and direct";
  if (broadcast) return "broadcast";
  if (direct) return "direct";
  return "";
}

std::vector<PartyId> Session::MissingSenders() const {
  std::vector<PartyId> missing;
  if (state_ != State::kRunning || !round_) return missing;
  for (PartyId p : config_.parties) {
    if (p != config_.self && !MissingKinds(p).empty()) missing.push_back(p);
  }
  return missing;
}

absl::Status Session::ExpireRound() {
  if (state_ != State::kRunning || !round_) {
    return absl::FailedPreconditionError("session: not running");
  }
  Abort abort;
  abort.round = current_round();
  for (PartyId p : MissingSenders()) {
    abort.culprits.push_back(
        Culprit{p, CulpritCode::kSilent,
                absl::StrCat("no round-", abort.round, " ", MissingKinds(p),
                             " message before the deadline (silent sender, or "
                             "dropped by the relay)")});
  }
  AbortWith(std::move(abort));
  return absl::OkStatus();
}

bool Session::RoundComplete() const {
  if (!round_) return false;
  for (PartyId p : config_.parties) {
    if (p != config_.self && !MissingKinds(p).empty()) return false;
  }
  return true;
}

absl::Status Session::CheckEnvelope(const Message& msg) const {
  if (msg.session_id != config_.session_id) {
    return absl::InvalidArgumentError("session: message from another session");
  }
  if (msg.protocol != config_.protocol) {
    return absl::InvalidArgumentError("session: message for another protocol");
  }
  if (msg.from == config_.self ||
      !std::binary_search(config_.parties.begin(), config_.parties.end(),
                          msg.from)) {
    return absl::PermissionDeniedError(
        absl::StrCat("session: message from non-member ", msg.from));
  }
  if (msg.to != kBroadcast && msg.to != config_.self) {
    return absl::InvalidArgumentError("session: message addressed elsewhere");
  }
  if (msg.round == 0) {
    return absl::InvalidArgumentError("session: round 0");
  }
  return absl::OkStatus();
}

absl::Status Session::Receive(const Message& msg) {
  if (state_ == State::kDone && msg.complaint && signed_session()) {
    // A complaint about the last round reaches parties that already
    // finished: a valid one still voids the result (e.g. a presignature
    // must not be used when a co-signer's last-round message was bad).
    if (absl::Status s = CheckEnvelope(msg); !s.ok()) return s;
    if (msg.config_digest != config_.config_digest) {
      return absl::InvalidArgumentError(
          "session: complaint with another configuration");
    }
    return ReceiveComplaint(msg);
  }
  if (state_ != State::kRunning) {
    return absl::FailedPreconditionError("session: not running");
  }
  if (absl::Status s = CheckEnvelope(msg); !s.ok()) return s;
  if (signed_session()) {
    if (msg.config_digest != config_.config_digest) {
      if (!SignatureValid(msg)) {
        return absl::UnauthenticatedError(
            absl::StrCat("session: message of party ", msg.from,
                         " with another configuration and no valid signature"));
      }
      if (agreed_config_.count(msg.from)) {
        AbortWith(Abort{
            config_.protocol,
            current_round(),
            {Culprit(msg.from, CulpritCode::kEquivocation,
                     absl::StrCat("equivocation: party ", msg.from,
                                  " signed messages of this session under "
                                  "two configurations"))},
            {msg},
            ""});
        return absl::OkStatus();
      }
      Abort abort;
      abort.cause = absl::StrCat(
          "party ", msg.from,
          " runs this session id with another configuration (threshold, "
          "party set, identity keys or key differ): not attributable, the "
          "relay may have configured the parties differently");
      abort.evidence.push_back(msg);
      AbortWith(std::move(abort));
      return absl::OkStatus();
    }
    if (msg.complaint) return ReceiveComplaint(msg);
    // Every envelope, broadcast or direct: a complaint may carry it, and an
    // unsigned one there would frame the complainer.
    if (!SignatureValid(msg)) {
      return absl::UnauthenticatedError(absl::StrCat(
          "session: ", msg.is_broadcast() ? "broadcast" : "direct",
          " message without a valid identity signature of party ", msg.from));
    }
    agreed_config_.insert(msg.from);
  } else if (msg.complaint || !msg.signature.empty() ||
             !msg.config_digest.empty()) {
    return absl::InvalidArgumentError(
        "session: signed message or complaint in an unsigned session");
  }
  const uint32_t current = round_->Number();
  if (msg.round < current) {
    return absl::FailedPreconditionError(
        absl::StrCat("session: stale message for round ", msg.round, " (now ",
                     current, ")"));
  }
  if (msg.round > current) {
    // An honest peer is at most one round ahead (it cannot finish round
    // current + 1 without our message for it): later rounds are refused.
    if (msg.round - current > 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("session: message for round ", msg.round,
                       " while at round ", current));
    }
    // One broadcast and one direct per sender: an exact copy is refused, a
    // different one is equivocation, as in the current round.
    for (const Message& q : queue_) {
      if (q.round != msg.round || q.from != msg.from ||
          q.is_broadcast() != msg.is_broadcast()) {
        continue;
      }
      if (q == msg) return absl::AlreadyExistsError("session: duplicate");
      AbortWith(Abort{config_.protocol,
                      msg.round,
                      {Culprit{msg.from, CulpritCode::kEquivocation,
                               "conflicting copies of one message"}},
                      {q, msg}});
      return absl::OkStatus();
    }
    // At most 2 * (parties - 1) by now; the cap is defence in depth.
    if (queue_.size() >= kMaxQueuedMessages) {
      return absl::ResourceExhaustedError("session: queue full");
    }
    queue_.push_back(msg);
    return absl::OkStatus();
  }

  const bool broadcast = msg.is_broadcast();
  std::map<PartyId, Message>& slot = broadcast ? broadcasts_ : directs_;
  if (auto it = slot.find(msg.from); it != slot.end()) {
    if (it->second == msg) {
      return absl::AlreadyExistsError("session: duplicate message");
    }
    AbortWith(Abort{config_.protocol,
                    current,
                    {Culprit{msg.from, CulpritCode::kEquivocation,
                             "conflicting copies of one message"}},
                    {it->second, msg}});
    return absl::OkStatus();
  }

  // Echo broadcast: compare the sender's view of the previous round's
  // broadcasts with ours.
  if (msg.echo.size() != prev_broadcast_digests_.size()) {
    // Sets differ: find a sender present in one and not the other.
    AbortWith(Abort{config_.protocol,
                    current,
                    {Culprit{msg.from, CulpritCode::kEquivocation,
                             "echo lists a different set of broadcasts"}},
                    {msg}});
    return absl::OkStatus();
  }
  for (const EchoEntry& e : msg.echo) {
    auto it = prev_broadcast_digests_.find(e.sender);
    if (it == prev_broadcast_digests_.end()) {
      AbortWith(Abort{config_.protocol,
                      current,
                      {Culprit{msg.from, CulpritCode::kEquivocation,
                               "echo lists a different set of broadcasts"}},
                      {msg}});
      return absl::OkStatus();
    }
    if (sodium_memcmp(it->second.data(), e.digest.data(), kDigestBytes) != 0) {
      // Either e.sender sent different broadcasts, or msg.from lies about
      // what it received: the two cannot be told apart here, so both are
      // named (blaming e.sender alone would let msg.from frame an honest
      // party). When they are the same party, its own echo contradicts the
      // broadcast it sent us: it alone equivocated.
      // Both named: suspects (one of them is honest); one party whose own
      // echo contradicts its broadcast equivocated.
      const CulpritCode code = e.sender == msg.from ? CulpritCode::kEquivocation
                                                    : CulpritCode::kSuspect;
      std::vector<Culprit> culprits{
          Culprit{e.sender, code,
                  absl::StrCat("equivocation: the round ", current - 1,
                               " broadcast of party ", e.sender,
                               " differs between party ", config_.self,
                               " and party ", msg.from)}};
      if (e.sender != msg.from) {
        culprits.push_back(Culprit{
            msg.from, code,
            absl::StrCat("equivocation: party ", msg.from,
                         " echoes a different round ", current - 1,
                         " broadcast of party ", e.sender, " than party ",
                         config_.self, " received (false echo, or party ",
                         e.sender, " equivocated)")});
      }
      AbortWith(Abort{config_.protocol, current, std::move(culprits), {msg}});
      return absl::OkStatus();
    }
  }

  // The kind after the echo: which round follows can depend on the
  // previous round's broadcasts (GG20 presign goes to the δ reveal, which
  // expects no direct message, when round 3's δ is 0). A party shown other
  // broadcasts than ours took the other branch honestly: its echo names
  // the equivocation (both as suspects) instead of the kind check naming
  // it alone.
  if ((broadcast && !round_->ExpectsBroadcast()) ||
      (!broadcast && !round_->ExpectsDirect())) {
    AbortWith(Abort{
        config_.protocol,
        current,
        {Culprit{msg.from, CulpritCode::kBadMessage,
                 absl::StrCat("unexpected ", broadcast ? "broadcast" : "direct",
                              " message in round ", current)}},
        {msg}});
    return absl::OkStatus();
  }

  if (absl::Status v = round_->Verify(msg); !v.ok()) {
    Culprit culprit{msg.from, CulpritCodeOf(v, CulpritCode::kBadMessage),
                    std::string(v.message())};
    culprit.direct_message = !broadcast;
    AbortAndComplain(
        Abort{config_.protocol, current, {std::move(culprit)}, {msg}, ""},
        &msg);
    return absl::OkStatus();
  }
  round_->Store(msg);
  slot.emplace(msg.from, msg);
  if (broadcast) {
    cur_broadcast_digests_[msg.from] = BroadcastDigest(msg);
    broadcast_digests_[{msg.round, msg.from}] =
        cur_broadcast_digests_[msg.from];
  } else if (signed_session()) {
    received_directs_[msg.from].push_back(msg);
  }
  return Advance();
}

// ------------------------------------------------------------ signatures

void Session::Sign(Message& m) const {
  if (!signed_session()) return;
  m.config_digest = config_.config_digest;
  m.signature.clear();
  std::vector<uint8_t> bytes = SignedBytes(m);
  IdentitySignature sig = config_.identity->Sign(bytes);
  sodium_memzero(bytes.data(), bytes.size());  // holds the payload
  m.signature.assign(sig.begin(), sig.end());
}

bool Session::SignatureValid(const Message& m) const {
  auto it = config_.identity_keys.find(m.from);
  if (it == config_.identity_keys.end()) return false;
  std::vector<uint8_t> bytes = SignedBytes(m);
  const bool valid = VerifyIdentitySignature(it->second, bytes, m.signature);
  sodium_memzero(bytes.data(), bytes.size());  // holds the payload
  return valid;
}

// ------------------------------------------------------------ complaints

void Session::Complain(PartyId accused, const Message* failed,
                       std::vector<uint8_t> evidence) {
  nitro_tss::mpc::v1::Complaint pb;
  pb.set_accused(accused);
  for (const Message& m : received_directs_[accused]) {
    std::vector<uint8_t> enc = EncodeMessage(m);
    pb.add_directs(enc.data(), enc.size());
  }
  if (failed != nullptr && failed->from == accused && !failed->is_broadcast()) {
    std::vector<uint8_t> enc = EncodeMessage(*failed);
    pb.add_directs(enc.data(), enc.size());
  }
  if (auto it = broadcasts_.find(accused); it != broadcasts_.end()) {
    std::vector<uint8_t> enc = EncodeMessage(it->second);
    pb.set_broadcast(enc.data(), enc.size());
  }
  pb.set_evidence(evidence.data(), evidence.size());
  std::string bytes = pb.SerializeAsString();
  Message m;
  m.session_id = config_.session_id;
  m.protocol = config_.protocol;
  m.round = current_round();
  m.from = config_.self;
  m.to = kBroadcast;
  m.complaint = true;
  m.payload.assign(bytes.begin(), bytes.end());
  Sign(m);
  outbound_.push_back(std::move(m));
}

void Session::AbortAndComplain(Abort abort, const Message* failed) {
  if (signed_session() && state_ == State::kRunning && round_) {
    for (Culprit& c : abort.culprits) {
      if (c.direct_message && c.party != config_.self) {
        Complain(c.party, failed, c.evidence);
      }
    }
  }
  AbortWith(std::move(abort));
}

absl::Status Session::ReceiveComplaint(const Message& msg) {
  if (!msg.is_broadcast()) {
    return absl::InvalidArgumentError("session: a complaint must be broadcast");
  }
  if (!SignatureValid(msg)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "session: complaint without a valid identity signature of party ",
        msg.from));
  }
  const uint32_t current = current_round();
  if (state_ == State::kRunning && msg.round > current) {
    // The complainer is at most one round ahead of an honest peer.
    if (msg.round > current + 1) {
      return absl::OutOfRangeError(
          absl::StrCat("session: complaint about round ", msg.round,
                       " while at round ", current));
    }
    if (pending_complaints_.count(msg.from)) {
      return absl::AlreadyExistsError("session: a complaint is pending");
    }
    pending_complaints_.emplace(msg.from, msg);
    return absl::OkStatus();
  }
  JudgeComplaint(msg);
  return absl::OkStatus();
}

bool Session::JudgePendingComplaint() {
  for (const auto& [from, complaint] : pending_complaints_) {
    if (state_ == State::kDone || complaint.round <= current_round()) {
      Message m = complaint;
      pending_complaints_.clear();
      JudgeComplaint(m);  // always aborts
      return true;
    }
  }
  return false;
}

void Session::JudgeComplaint(const Message& msg) {
  const PartyId complainer = msg.from;
  const uint32_t r = msg.round;
  Abort abort;
  abort.round = r;
  abort.evidence.push_back(msg);
  auto blame_complainer = [&](absl::string_view why) {
    abort.culprits.push_back(Culprit{complainer, CulpritCode::kFalseComplaint,
                                     absl::StrCat("false complaint: ", why)});
    AbortWith(std::move(abort));
  };
  nitro_tss::mpc::v1::Complaint pb;
  if (!pb.ParseFromArray(msg.payload.data(),
                         static_cast<int>(msg.payload.size())) ||
      !pb.GetReflection()->GetUnknownFields(pb).empty()) {
    return blame_complainer("malformed complaint");
  }
  const PartyId accused = pb.accused();
  if (accused == complainer ||
      !std::binary_search(config_.parties.begin(), config_.parties.end(),
                          accused)) {
    return blame_complainer(absl::StrCat("accuses non-member ", accused));
  }
  auto check_signed = [&](const Message& m) -> bool {
    return m.session_id == config_.session_id &&
           m.protocol == config_.protocol &&
           m.config_digest == config_.config_digest && !m.complaint &&
           m.from == accused && SignatureValid(m);
  };
  std::vector<Message> directs;
  if (pb.directs_size() == 0) {
    return blame_complainer("carries no direct message");
  }
  for (const std::string& bytes : pb.directs()) {
    absl::StatusOr<Message> m = DecodeMessage(absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!m.ok()) return blame_complainer(m.status().message());
    if (!check_signed(*m) || m->to != complainer) {
      return blame_complainer(absl::StrCat("carries a direct message to party ",
                                           complainer, " that party ", accused,
                                           " did not sign"));
    }
    if (!directs.empty() && m->round <= directs.back().round) {
      return blame_complainer("direct messages not in round order");
    }
    directs.push_back(*std::move(m));
  }
  if (directs.back().round != r) {
    return blame_complainer(
        absl::StrCat("the last direct message is not of round ", r));
  }
  // The judge re-runs the check with its own copies of earlier rounds'
  // broadcasts: the accused must have seen the same round r-1 broadcasts
  // (its signed echo), else a party (the complainer, say) showed it another
  // one, or the accused lies in its echo. Neither can be convicted here:
  // both are named as suspects.
  {
    std::map<PartyId, std::vector<uint8_t>> mine;
    for (const auto& [key, digest] : broadcast_digests_) {
      if (key.first + 1 == r) mine[key.second] = digest;
    }
    std::set<PartyId> suspects;
    std::set<PartyId> listed;
    for (const EchoEntry& e : directs.back().echo) {
      listed.insert(e.sender);
      auto it = mine.find(e.sender);
      if (it == mine.end() || sodium_memcmp(it->second.data(), e.digest.data(),
                                            kDigestBytes) != 0) {
        suspects.insert(e.sender);
      }
    }
    for (const auto& [p, digest] : mine) {
      if (!listed.count(p)) suspects.insert(p);
    }
    if (!suspects.empty()) {
      suspects.insert(accused);
      for (PartyId p : suspects) {
        abort.culprits.push_back(
            Culprit(p, CulpritCode::kSuspect,
                    absl::StrCat("suspect: party ", accused, "'s round-", r,
                                 " message in party ", complainer,
                                 "'s complaint echoes other round-", r - 1,
                                 " broadcasts than party ", config_.self,
                                 " received (equivocation, or a false echo)")));
      }
      AbortWith(std::move(abort));
      return;
    }
  }
  std::optional<Message> broadcast;
  if (!pb.broadcast().empty()) {
    absl::StatusOr<Message> m = DecodeMessage(absl::Span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(pb.broadcast().data()),
        pb.broadcast().size()));
    if (!m.ok()) return blame_complainer(m.status().message());
    if (!check_signed(*m) || !m->is_broadcast() || m->round != r) {
      return blame_complainer(absl::StrCat("carries a round-", r,
                                           " broadcast that party ", accused,
                                           " did not sign"));
    }
    auto own = broadcast_digests_.find({r, accused});
    if (own != broadcast_digests_.end() &&
        sodium_memcmp(own->second.data(), BroadcastDigest(*m).data(),
                      kDigestBytes) != 0) {
      abort.culprits.push_back(
          Culprit{accused, CulpritCode::kEquivocation,
                  absl::StrCat("equivocation: party ", accused,
                               " signed two different round-", r,
                               " broadcasts (one shown by party ", complainer,
                               "'s complaint)")});
      AbortWith(std::move(abort));
      return;
    }
    broadcast = *std::move(m);
  }
  ComplaintJudge::Case c;
  c.complainer = complainer;
  c.accused = accused;
  c.round = r;
  for (const Message& m : directs) c.directs[m.round] = &m;
  c.broadcast = broadcast ? &*broadcast : nullptr;
  c.evidence = absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(pb.evidence().data()),
      pb.evidence().size());
  absl::StatusOr<ComplaintJudge::Verdict> verdict = config_.judge->Judge(c);
  if (!verdict.ok()) {
    abort.culprits.push_back(Culprit{config_.self, CulpritCode::kInternal,
                                     absl::StrCat("internal error judging a "
                                                  "complaint: ",
                                                  verdict.status().message())});
  } else if (verdict->outcome == ComplaintJudge::Outcome::kAccusedGuilty) {
    abort.culprits.push_back(
        Culprit{accused, verdict->code,
                absl::StrCat("complaint of party ", complainer,
                             " upheld: ", verdict->reason)});
  } else if (verdict->outcome == ComplaintJudge::Outcome::kUndecidable) {
    for (PartyId p : {accused, complainer}) {
      abort.culprits.push_back(Culprit{
          p, CulpritCode::kSuspect,
          absl::StrCat("suspect: party ", complainer, " complains about party ",
                       accused, "'s round-", r,
                       " direct message, which third parties cannot "
                       "check (",
                       verdict->reason, ")")});
    }
  } else {
    abort.culprits.push_back(
        Culprit{complainer, CulpritCode::kFalseComplaint,
                absl::StrCat("false complaint against party ", accused, ": ",
                             verdict->reason)});
  }
  AbortWith(std::move(abort));
}

}  // namespace nitro_tss::mpc::round
