// Tests of the round engine and simulator with a toy protocol:
//   round 0: broadcast a value b_i and send each peer j the value d_ij;
//   round 1: check every value is < 1000 (the "proof"), then broadcast the
//            sum of everything received;
//   round 2: check all sums agree; result = the common sum.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <any>
#include <optional>

#include "absl/strings/match.h"
#include "mpc/round/round.h"
#include "mpc/round/typed_round.h"
#include "mpc/testing/simulator.h"

namespace nitro_tss::mpc::round {
namespace {

using ::testing::HasSubstr;

uint64_t Decode64(absl::Span<const uint8_t> p) {
  uint64_t v = 0;
  for (uint8_t b : p) v = (v << 8) | b;
  return v;
}
SecureBytes Encode64(uint64_t v) {
  SecureBytes out(8);
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<uint8_t>(v);
  return out;
}

struct ToyState {
  PartyId self;
  std::vector<PartyId> parties;
  uint64_t own_total = 0;
};

class ToyRound2 : public Round {
 public:
  ToyRound2(ToyState st, uint64_t my_sum) : st_(std::move(st)), sum_(my_sum) {}
  uint32_t Number() const override { return 2; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return false; }
  absl::Status Verify(const Message& m) const override {
    if (m.payload.size() != 8) return absl::InvalidArgumentError("toy: size");
    return absl::OkStatus();
  }
  void Store(const Message& m) override { sums_[m.from] = Decode64(m.payload); }
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    RoundOutput out;
    for (auto& [p, s] : sums_) {
      if (s != sum_) {
        Abort a;
        a.culprits.push_back(
            {p, CulpritCode::kWrongValue, "toy: sum mismatch"});
        out.abort = a;
        return out;
      }
    }
    out.result = sum_;
    return out;
  }

 private:
  ToyState st_;
  uint64_t sum_;
  std::map<PartyId, uint64_t> sums_;
};

class ToyRound1 : public Round {
 public:
  ToyRound1(ToyState st, uint64_t own) : st_(std::move(st)), total_(own) {}
  uint32_t Number() const override { return 1; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return true; }
  absl::Status Verify(const Message& m) const override {
    if (m.payload.size() != 8) return absl::InvalidArgumentError("toy: size");
    if (Decode64(m.payload) >= 1000) {
      return absl::InvalidArgumentError("toy: value out of range");
    }
    return absl::OkStatus();
  }
  void Store(const Message& m) override { total_ += Decode64(m.payload); }
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(Encode64(total_)));
    out.next = std::make_unique<ToyRound2>(st_, total_);
    return out;
  }

 private:
  ToyState st_;
  uint64_t total_;
};

// Each party contributes b_i (broadcast) + sum_j d_ij; the common total is
// the sum over all parties' contributions since everyone sums everything
// they *receive* plus its own... to make totals equal we use d_ij = b_i too:
// total_i = own b_i + sum_{j != i} (b_j + b_j)?  Not equal across parties.
// So: everyone sums all broadcasts (incl. own) and ignores direct values in
// the total; directs are only range-checked.
class ToyRound0 : public Round {
 public:
  explicit ToyRound0(ToyState st) : st_(std::move(st)) {}
  uint32_t Number() const override { return 0; }
  bool ExpectsBroadcast() const override { return false; }
  bool ExpectsDirect() const override { return false; }
  absl::Status Verify(const Message&) const override {
    return absl::InternalError("unused");
  }
  void Store(const Message&) override {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    RoundOutput out;
    uint64_t b = rng.NextU64() % 1000;
    out.outbound.push_back(Message::Broadcast(Encode64(b)));
    for (PartyId p : st_.parties) {
      if (p == st_.self) continue;
      out.outbound.push_back(Message::Direct(p, Encode64(0)));
    }
    out.next = std::make_unique<ToyRound1Wrapper>(st_, b);
    return out;
  }

 private:
  // Round 1 adds broadcasts only; direct payloads are 0 in honest runs.
  using ToyRound1Wrapper = ToyRound1;
  ToyState st_;
};

std::vector<uint8_t> Sid(uint8_t tag) { return std::vector<uint8_t>(16, tag); }

struct Harness {
  explicit Harness(int n, uint8_t sid_tag = 1) : rng(99) {
    std::vector<PartyId> ids;
    for (int i = 1; i <= n; ++i) ids.push_back(static_cast<PartyId>(i));
    std::map<PartyId, std::unique_ptr<Session>> sessions;
    for (PartyId id : ids) {
      rngs.push_back(std::make_unique<DeterministicRandom>(id));
      auto s = Session::Create(SessionConfig{Sid(sid_tag), "toy/v1", id, ids},
                               std::make_unique<ToyRound0>(ToyState{id, ids}),
                               *rngs.back());
      EXPECT_TRUE(s.ok()) << s.status();
      sessions.emplace(id, *std::move(s));
    }
    sim = std::make_unique<Simulator>(std::move(sessions));
  }
  DeterministicRandom rng;
  std::vector<std::unique_ptr<DeterministicRandom>> rngs;
  std::unique_ptr<Simulator> sim;
};

TEST(RoundEngine, HonestRunAgreesEvenWhenShuffled) {
  for (int n : {2, 3, 5}) {
    Harness h(n);
    h.sim->ShuffleWith(&h.rng);
    ASSERT_TRUE(h.sim->Run().ok());
    ASSERT_TRUE(h.sim->AllDone());
    uint64_t first = std::any_cast<uint64_t>(h.sim->party(1).result());
    for (const auto& [id, s] : h.sim->sessions()) {
      EXPECT_EQ(std::any_cast<uint64_t>(s->result()), first);
    }
    EXPECT_TRUE(h.sim->refusals().empty());
  }
}

TEST(RoundEngine, FailedVerificationNamesTheSender) {
  Harness h(3);
  h.sim->SetDeliveryHook([](const Delivery& d) {
    Delivery x = d;
    if (d.message.from == 2 && d.message.round == 1 &&
        !d.message.is_broadcast()) {
      x.message.payload = Encode64(5000);
    }
    return std::vector<Delivery>{x};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  for (PartyId honest : {1u, 3u}) {
    const Session& s = h.sim->party(honest);
    ASSERT_EQ(s.state(), Session::State::kAborted);
    EXPECT_EQ(s.abort()->CulpritIds(), std::set<PartyId>{2});
    EXPECT_EQ(s.abort()->culprits[0].reason, "toy: value out of range");
    EXPECT_EQ(s.abort()->culprits[0].code, CulpritCode::kBadMessage);
  }
}

TEST(RoundEngine, RouterEquivocationIsCaughtByEcho) {
  Harness h(3);
  // The relay changes party 3's round-1 broadcast for party 1 only.
  h.sim->SetDeliveryHook([](const Delivery& d) {
    Delivery x = d;
    if (d.message.from == 3 && d.message.round == 1 &&
        d.message.is_broadcast() && d.recipient == 1) {
      x.message.payload = Encode64(Decode64(d.message.payload) ^ 1);
    }
    return std::vector<Delivery>{x};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  for (PartyId honest : {1u, 2u}) {
    const Session& s = h.sim->party(honest);
    ASSERT_EQ(s.state(), Session::State::kAborted) << honest;
    // Party 3 is always named; an honest party can only be named next to it
    // (an echo mismatch cannot tell a false echo from equivocation).
    EXPECT_EQ(s.abort()->CulpritIds().count(3), 1u) << s.abort()->ToString();
    EXPECT_NE(s.abort()->culprits[0].reason.find("equivocation"),
              std::string::npos);
  }
}

// Audit: a party that lies in its echo about an honest party's broadcast
// used to get that honest party blamed alone (framing). Now both are named.
TEST(RoundEngine, FalseEchoCannotFrameAnHonestParty) {
  Harness h(3);
  // Party 2 claims (to party 1 only) a different digest of party 3's
  // round-1 broadcast than the one everybody received.
  h.sim->SetDeliveryHook([](const Delivery& d) {
    Delivery x = d;
    if (d.message.from == 2 && d.message.round == 2 && d.recipient == 1) {
      for (EchoEntry& e : x.message.echo) {
        if (e.sender == 3) e.digest[0] ^= 1;
      }
    }
    return std::vector<Delivery>{x};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  const Session& s = h.sim->party(1);
  ASSERT_EQ(s.state(), Session::State::kAborted);
  EXPECT_EQ(s.abort()->CulpritIds(), (std::set<PartyId>{2, 3}))
      << s.abort()->ToString();
  for (const Culprit& c : s.abort()->culprits) {
    EXPECT_EQ(c.code, CulpritCode::kSuspect);  // one of the two is honest
  }
}

// A party whose echo contradicts its own broadcast equivocated by itself:
// it alone is named.
TEST(RoundEngine, EchoContradictingOwnBroadcastNamesOnlyTheSender) {
  Harness h(3);
  h.sim->SetDeliveryHook([](const Delivery& d) {
    Delivery x = d;
    if (d.message.from == 2 && d.message.round == 2 && d.recipient == 1) {
      for (EchoEntry& e : x.message.echo) {
        if (e.sender == 2) e.digest[0] ^= 1;
      }
    }
    return std::vector<Delivery>{x};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  const Session& s = h.sim->party(1);
  ASSERT_EQ(s.state(), Session::State::kAborted);
  EXPECT_EQ(s.abort()->CulpritIds(), std::set<PartyId>{2})
      << s.abort()->ToString();
  EXPECT_EQ(s.abort()->culprits[0].code, CulpritCode::kEquivocation);
}

TEST(RoundEngine, ConflictingCopiesAbortAndExactDuplicatesAreRefused) {
  {
    Harness h(3);
    h.sim->SetDeliveryHook([](const Delivery& d) {
      std::vector<Delivery> out{d};
      if (d.message.from == 2 && d.message.round == 1 && d.recipient == 1 &&
          d.message.is_broadcast()) {
        Delivery copy = d;
        copy.message.payload = Encode64(1);
        out.push_back(copy);
      }
      return out;
    });
    ASSERT_TRUE(h.sim->Run().ok());
    const Session& s = h.sim->party(1);
    ASSERT_EQ(s.state(), Session::State::kAborted);
    EXPECT_EQ(s.abort()->CulpritIds(), std::set<PartyId>{2});
    EXPECT_EQ(s.abort()->culprits[0].reason,
              "conflicting copies of one message");
    EXPECT_EQ(s.abort()->culprits[0].code, CulpritCode::kEquivocation);
    EXPECT_EQ(s.abort()->evidence.size(), 2u);
  }
  {
    Harness h(3);
    h.sim->SetDeliveryHook([](const Delivery& d) {
      return std::vector<Delivery>{d, d};  // everything twice
    });
    ASSERT_TRUE(h.sim->Run().ok());
    EXPECT_TRUE(h.sim->AllDone());
    EXPECT_FALSE(h.sim->refusals().empty());
    for (const absl::Status& st : h.sim->refusals()) {
      EXPECT_TRUE(absl::IsAlreadyExists(st) || absl::IsFailedPrecondition(st))
          << st;
    }
  }
}

// Audit issue 12, finding 2: party 2 floods party 1 with envelopes for
// rounds >= 100. Party 3's round-2 broadcast then reaches party 1 while
// party 1 is still in round 1 (its round-1 direct from party 3 is held
// back). The flood must neither fill the queue nor get party 3 named.
TEST(RoundEngine, FarFutureFloodCannotSilenceAnHonestParty) {
  Harness h(3);
  std::optional<Delivery> held;  // party 3's round-1 direct to party 1
  h.sim->SetDeliveryHook([&held](const Delivery& d) {
    const Message& m = d.message;
    std::vector<Delivery> out;
    if (d.recipient == 1 && m.from == 2 && m.round == 1 && m.is_broadcast()) {
      for (uint32_t i = 0; i < kMaxQueuedMessages; ++i) {
        Delivery flood = d;
        flood.message.round = 100 + i;
        out.push_back(flood);
      }
    }
    if (d.recipient == 1 && m.from == 3 && m.round == 1 && !m.is_broadcast()) {
      held = d;
      return out;
    }
    out.push_back(d);
    if (d.recipient == 1 && m.from == 3 && m.round == 2 && held.has_value()) {
      out.push_back(*held);
      held.reset();
    }
    return out;
  });
  ASSERT_TRUE(h.sim->Run().ok());
  size_t refused_far = 0;
  for (const absl::Status& st : h.sim->refusals()) {
    EXPECT_FALSE(absl::IsResourceExhausted(st)) << st;
    if (absl::IsFailedPrecondition(st) &&
        absl::StrContains(st.message(), "while at round 1")) {
      ++refused_far;
    }
  }
  EXPECT_EQ(refused_far, kMaxQueuedMessages);
  Session& p1 = h.sim->party(1);
  if (p1.state() == Session::State::kRunning) {
    ASSERT_TRUE(p1.ExpireRound().ok());
  }
  if (p1.state() == Session::State::kAborted) {
    EXPECT_EQ(p1.abort()->CulpritIds(), std::set<PartyId>{2})
        << p1.abort()->ToString();
  } else {
    EXPECT_EQ(p1.state(), Session::State::kDone);
  }
  // Party 2 only sent junk on top of its real messages: everyone finishes.
  EXPECT_TRUE(h.sim->AllDone());
}

// Only the next round is queued, and only one broadcast and one direct per
// sender: a far-future envelope is refused without effect, an exact copy is
// refused, a different second copy is equivocation and aborts at once.
TEST(RoundEngine, NextRoundQueueHoldsOneMessagePerSenderAndKind) {
  Harness h(3);
  Session& s = h.sim->party(1);
  ASSERT_TRUE(s.Start().ok());
  ASSERT_EQ(s.current_round(), 1u);
  Message b2{Sid(1), "toy/v1", 2, 2, kBroadcast, {}, Encode64(1)};
  Message far = b2;
  far.round = 3;
  absl::Status st = s.Receive(far);
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("message for round 3 while at round 1"));
  EXPECT_EQ(s.state(), Session::State::kRunning);

  EXPECT_TRUE(s.Receive(b2).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(s.Receive(b2)));
  Message d2 = b2;
  d2.to = 1;
  EXPECT_TRUE(s.Receive(d2).ok());  // the other kind has its own slot
  Message b3 = b2;
  b3.from = 3;
  EXPECT_TRUE(s.Receive(b3).ok());  // other senders are unaffected
  EXPECT_EQ(s.state(), Session::State::kRunning);

  Message conflicting = b2;
  conflicting.payload = Encode64(2);
  EXPECT_TRUE(s.Receive(conflicting).ok());
  ASSERT_EQ(s.state(), Session::State::kAborted);
  EXPECT_EQ(s.abort()->CulpritIds(), std::set<PartyId>{2});
  EXPECT_EQ(s.abort()->culprits[0].reason, "conflicting copies of one message");
  EXPECT_EQ(s.abort()->round, 2u);
  ASSERT_EQ(s.abort()->evidence.size(), 2u);
  EXPECT_EQ(s.abort()->evidence[0], b2);
  EXPECT_EQ(s.abort()->evidence[1], conflicting);
}

// A sender flooding the next round with different copies of one message is
// named at the second copy; it never fills the queue, so party 3's real
// next-round message is still accepted (not RESOURCE_EXHAUSTED).
TEST(RoundEngine, NextRoundFloodNamesOnlyTheFlooder) {
  Harness h(3);
  Session& s = h.sim->party(1);
  ASSERT_TRUE(s.Start().ok());
  Message b{Sid(1), "toy/v1", 2, 2, kBroadcast, {}, {}};
  for (uint32_t i = 0;
       i < kMaxQueuedMessages && s.state() == Session::State::kRunning; ++i) {
    b.payload = Encode64(i);
    (void)s.Receive(b);
  }
  Message b3{Sid(1), "toy/v1", 2, 3, kBroadcast, {}, Encode64(7)};
  absl::Status st = s.Receive(b3);
  EXPECT_FALSE(absl::IsResourceExhausted(st)) << st;
  ASSERT_EQ(s.state(), Session::State::kAborted);
  EXPECT_EQ(s.abort()->CulpritIds(), std::set<PartyId>{2});
  EXPECT_EQ(s.abort()->culprits[0].reason, "conflicting copies of one message");
}

TEST(RoundEngine, ForeignSessionNonMemberAndMisaddressedAreRefused) {
  Harness h(3);
  Session& s = h.sim->party(1);
  ASSERT_TRUE(s.Start().ok());
  Message m{Sid(1), "toy/v1", 1, 2, kBroadcast, {}, Encode64(1)};
  Message other_session = m;
  other_session.session_id = Sid(2);
  EXPECT_TRUE(absl::IsInvalidArgument(s.Receive(other_session)));
  Message non_member = m;
  non_member.from = 7;
  EXPECT_TRUE(absl::IsPermissionDenied(s.Receive(non_member)));
  Message misaddressed = m;
  misaddressed.to = 3;
  EXPECT_TRUE(absl::IsInvalidArgument(s.Receive(misaddressed)));
  Message other_protocol = m;
  other_protocol.protocol = "toy/v2";
  EXPECT_TRUE(absl::IsInvalidArgument(s.Receive(other_protocol)));
  EXPECT_EQ(s.state(), Session::State::kRunning);
}

TEST(RoundEngine, DroppedMessagesStallWithoutResult) {
  Harness h(3);
  h.sim->SetDeliveryHook([](const Delivery& d) {
    if (d.message.from == 3 && d.message.round == 2)
      return std::vector<Delivery>{};
    return std::vector<Delivery>{d};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  EXPECT_EQ(h.sim->party(1).state(), Session::State::kRunning);
  EXPECT_EQ(h.sim->party(1).current_round(), 2u);
}

TEST(RoundEngine, ExpiredRoundNamesTheSilentParties) {
  Harness h(4);
  // Party 3 sends nothing in round 2; party 4's broadcast is dropped on its
  // way to party 1 only.
  h.sim->SetDeliveryHook([](const Delivery& d) {
    if (d.message.from == 3 && d.message.round == 2)
      return std::vector<Delivery>{};
    if (d.message.from == 4 && d.message.round == 2 && d.recipient == 1 &&
        d.message.is_broadcast())
      return std::vector<Delivery>{};
    return std::vector<Delivery>{d};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  Session& p1 = h.sim->party(1);
  Session& p2 = h.sim->party(2);
  EXPECT_EQ(p1.MissingSenders(), (std::vector<PartyId>{3, 4}));
  EXPECT_EQ(p2.MissingSenders(), (std::vector<PartyId>{3}));
  ASSERT_TRUE(p1.ExpireRound().ok());
  ASSERT_TRUE(p2.ExpireRound().ok());
  EXPECT_EQ(p1.state(), Session::State::kAborted);
  EXPECT_EQ(p1.abort()->CulpritIds(), (std::set<PartyId>{3, 4}));
  EXPECT_EQ(p2.abort()->CulpritIds(), std::set<PartyId>{3});
  EXPECT_EQ(p1.abort()->round, 2u);
  EXPECT_THAT(p2.abort()->culprits[0].reason,
              HasSubstr("no round-2 broadcast message before the deadline"));
  for (const Culprit& c : p1.abort()->culprits) {
    EXPECT_EQ(c.code, CulpritCode::kSilent);
    if (c.party == 4) {
      EXPECT_THAT(c.reason, HasSubstr("no round-2 broadcast message"));
    }
  }
  // Not running any more: nothing to expire, nothing missing.
  EXPECT_EQ(p1.ExpireRound().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(p1.MissingSenders().empty());
}

// Issue 13: every culprit carries a reason code the coordinator acts on
// (the engine's own codes are checked next to the tests above).
TEST(RoundEngineCodes, VerifyErrorsCarryTheirCode) {
  absl::Status tagged = WithCulpritCode(absl::InvalidArgumentError("x: bad"),
                                        CulpritCode::kBadProof);
  EXPECT_EQ(CulpritCodeOf(tagged, CulpritCode::kBadMessage),
            CulpritCode::kBadProof);
  EXPECT_EQ(tagged.message(), "x: bad");
  EXPECT_TRUE(WithCulpritCode(absl::OkStatus(), CulpritCode::kBadProof).ok());
  EXPECT_EQ(
      CulpritCodeOf(absl::InvalidArgumentError("y"), CulpritCode::kBadMessage),
      CulpritCode::kBadMessage);
  EXPECT_EQ(ActionFor(CulpritCode::kEquivocation), CulpritAction::kExclude);
  EXPECT_EQ(ActionFor(CulpritCode::kSilent), CulpritAction::kRetry);
  EXPECT_EQ(ActionFor(CulpritCode::kSuspect), CulpritAction::kRetry);
  EXPECT_EQ(ActionFor(CulpritCode::kInternal), CulpritAction::kSelf);
  EXPECT_EQ(CulpritCodeName(CulpritCode::kFalseComplaint), "false_complaint");
}

// A typed round decodes each payload once (in Verify), checks it, and keeps
// the decoded value (Store); the expected kinds follow from its types.
struct ToyValue {
  uint64_t v = 0;
};
class CountingRound : public TypedRound<ToyValue, NoMessage> {
 public:
  CountingRound() : TypedRound(1) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    return RoundOutput{};
  }
  int decodes() const { return decodes_; }
  const std::map<PartyId, ToyValue>& kept() { return broadcasts(); }

 private:
  absl::StatusOr<ToyValue> DecodeBroadcast(const Message& m) const override {
    ++decodes_;
    if (m.payload.size() != 8) return absl::InvalidArgumentError("toy: size");
    return ToyValue{Decode64(m.payload)};
  }
  absl::Status CheckBroadcast(const Message&,
                              const ToyValue& value) const override {
    if (value.v >= 1000) {
      return WithCulpritCode(absl::InvalidArgumentError("toy: too large"),
                             CulpritCode::kBadProof);
    }
    return absl::OkStatus();
  }
  mutable int decodes_ = 0;
};

TEST(TypedRound, DecodesOnceChecksAndKeepsTheValue) {
  CountingRound r;
  EXPECT_EQ(r.Number(), 1u);
  EXPECT_TRUE(r.ExpectsBroadcast());
  EXPECT_FALSE(r.ExpectsDirect());
  Message m = Message::Broadcast(Encode64(42));
  m.from = 2;
  ASSERT_TRUE(r.Verify(m).ok());
  r.Store(m);
  EXPECT_EQ(r.decodes(), 1);
  ASSERT_EQ(r.kept().count(2), 1u);
  EXPECT_EQ(r.kept().at(2).v, 42u);

  Message bad = Message::Broadcast(Encode64(5000));
  bad.from = 3;
  absl::Status st = r.Verify(bad);
  EXPECT_EQ(CulpritCodeOf(st, CulpritCode::kBadMessage),
            CulpritCode::kBadProof);
  Message garbage = Message::Broadcast(SecureBytes(3));
  garbage.from = 3;
  st = r.Verify(garbage);
  EXPECT_EQ(CulpritCodeOf(st, CulpritCode::kBadMessage),
            CulpritCode::kBadMessage);
  Message direct = Message::Direct(1, Encode64(1));
  direct.from = 3;
  EXPECT_FALSE(r.Verify(direct).ok());
  EXPECT_EQ(r.kept().size(), 1u);
}

TEST(RoundEngine, ExpireRoundAfterCompletionIsRefused) {
  Harness h(2);
  ASSERT_TRUE(h.sim->Run().ok());
  ASSERT_TRUE(h.sim->AllDone());
  EXPECT_EQ(h.sim->party(1).ExpireRound().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.sim->party(1).state(), Session::State::kDone);
}

TEST(RoundEngine, UnexpectedKindIsBlamed) {
  Harness h(3);
  h.sim->SetDeliveryHook([](const Delivery& d) {
    Delivery x = d;
    if (d.message.from == 2 && d.message.round == 2) x.message.to = d.recipient;
    return std::vector<Delivery>{x};
  });
  ASSERT_TRUE(h.sim->Run().ok());
  EXPECT_EQ(h.sim->party(1).abort()->CulpritIds(), std::set<PartyId>{2});
}

TEST(RoundEngine, SessionConfigIsValidated) {
  DeterministicRandom rng(1);
  auto make = [&](SessionConfig c) {
    return Session::Create(
        std::move(c), std::make_unique<ToyRound0>(ToyState{1, {1, 2}}), rng);
  };
  EXPECT_FALSE(make({Sid(1), "toy/v1", 1, {1, 1}}).ok());
  EXPECT_FALSE(make({Sid(1), "toy/v1", 1, {0, 1}}).ok());
  EXPECT_FALSE(make({Sid(1), "toy/v1", 3, {1, 2}}).ok());
  EXPECT_FALSE(make({std::vector<uint8_t>(8, 1), "toy/v1", 1, {1, 2}}).ok());
  EXPECT_TRUE(make({Sid(1), "toy/v1", 1, {1, 2}}).ok());
}

TEST(RoundEnvelope, StrictDecoding) {
  Message m{Sid(1),
            "toy/v1",
            2,
            2,
            kBroadcast,
            {EchoEntry{1, std::vector<uint8_t>(32, 7)},
             EchoEntry{2, std::vector<uint8_t>(32, 8)}},
            Encode64(1)};
  std::vector<uint8_t> wire = EncodeMessage(m);
  auto back = DecodeMessage(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
  auto bad = [](Message x) { return DecodeMessage(EncodeMessage(x)).ok(); };
  Message x = m;
  std::swap(x.echo[0], x.echo[1]);
  EXPECT_FALSE(bad(x));  // unsorted echo
  x = m;
  x.echo[0].digest.resize(31);
  EXPECT_FALSE(bad(x));
  x = m;
  x.round = 0;
  EXPECT_FALSE(bad(x));
  x = m;
  x.from = 0;
  EXPECT_FALSE(bad(x));
  x = m;
  x.session_id.resize(8);
  EXPECT_FALSE(bad(x));
  x = m;
  x.protocol = "toy v1";
  EXPECT_FALSE(bad(x));
  // Trailing garbage / non-canonical encodings.
  std::vector<uint8_t> trailing = wire;
  trailing.push_back(0);
  EXPECT_FALSE(DecodeMessage(trailing).ok());
  std::vector<uint8_t> dup = wire;
  dup.insert(dup.end(), {0x18, 0x02});  // round field repeated
  EXPECT_FALSE(DecodeMessage(dup).ok());
  EXPECT_FALSE(DecodeMessage(std::vector<uint8_t>(3, 0xff)).ok());
}

}  // namespace
}  // namespace nitro_tss::mpc::round
