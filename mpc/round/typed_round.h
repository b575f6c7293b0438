// Typed rounds: a Round whose payloads are decoded once, checked, and kept.
//
// TypedRound<BroadcastT, DirectT> implements the engine's Verify/Store for a
// round whose broadcast payload decodes to BroadcastT and whose direct
// payload decodes to DirectT (NoMessage for a kind the round does not
// expect; ExpectsBroadcast/ExpectsDirect follow from the types):
//   Verify(msg) = Decode*(msg)   syntax (the payload's strict decoder)
//               + Check*(from, v) the statement check: pure, no state change
//   Store(msg)  = keeps v (the value Verify decoded; no second decode) in
//                 broadcasts() / directs(), by sender, then calls Stored*.
// A failed Decode is kBadMessage unless the status carries a culprit code
// (WithCulpritCode); a failed Check names its own code the same way.
//
// FirstRound is round 0 of every protocol: it expects nothing and only
// finalizes.
#ifndef NITRO_TSS_MPC_ROUND_TYPED_ROUND_H_
#define NITRO_TSS_MPC_ROUND_TYPED_ROUND_H_

#include <map>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/round/round.h"

namespace nitro_tss::mpc::round {

// Marks a message kind a TypedRound does not expect.
struct NoMessage {};

template <class BroadcastT, class DirectT>
class TypedRound : public Round {
 public:
  static constexpr bool kBroadcast = !std::is_same_v<BroadcastT, NoMessage>;
  static constexpr bool kDirect = !std::is_same_v<DirectT, NoMessage>;
  static_assert(kBroadcast || kDirect,
                "every round after the first expects a message");

  explicit TypedRound(uint32_t number) : number_(number) {}

  uint32_t Number() const final { return number_; }
  bool ExpectsBroadcast() const final { return kBroadcast; }
  bool ExpectsDirect() const final { return kDirect; }

  // Decodes and checks `msg`; the decoded value is held for the Store of
  // the same message that follows (the engine calls Store right after a
  // successful Verify), so Verify is pure as far as the protocol state is
  // concerned.
  absl::Status Verify(const Message& msg) const final {
    pending_.reset();
    if (msg.is_broadcast()) {
      if constexpr (kBroadcast) {
        absl::StatusOr<BroadcastT> v = DecodeBroadcast(msg);
        if (!v.ok()) return v.status();
        if (absl::Status st = CheckBroadcast(msg, *v); !st.ok()) return st;
        pending_.emplace(msg.from, true, Value{std::move(*v), DirectT{}});
        return absl::OkStatus();
      }
    } else {
      if constexpr (kDirect) {
        absl::StatusOr<DirectT> v = DecodeDirect(msg);
        if (!v.ok()) return v.status();
        if (absl::Status st = CheckDirect(msg, *v); !st.ok()) return st;
        pending_.emplace(msg.from, false, Value{BroadcastT{}, std::move(*v)});
        return absl::OkStatus();
      }
    }
    return absl::InternalError("typed round: unexpected message kind");
  }

  void Store(const Message& msg) final {
    std::optional<Pending> p = std::move(pending_);
    pending_.reset();
    if (!p.has_value() || p->from != msg.from ||
        p->broadcast != msg.is_broadcast()) {
      // Not the message Verify just accepted (not how the engine calls):
      // verify it again.
      if (!Verify(msg).ok()) return;
      p = std::move(pending_);
      pending_.reset();
    }
    if constexpr (kBroadcast) {
      if (p->broadcast) {
        auto [it, inserted] =
            broadcasts_.insert_or_assign(msg.from, std::move(p->value.b));
        StoredBroadcast(msg, it->second);
        return;
      }
    }
    if constexpr (kDirect) {
      if (!p->broadcast) {
        auto [it, inserted] =
            directs_.insert_or_assign(msg.from, std::move(p->value.d));
        StoredDirect(msg, it->second);
      }
    }
  }

 protected:
  // Syntax: the payload's strict decoder (statement-independent). A check
  // bound to the raw bytes (e.g. that they open a hash commitment) may come
  // first, where a tampered payload must fail it before any field.
  virtual absl::StatusOr<BroadcastT> DecodeBroadcast(const Message&) const {
    return absl::InternalError("typed round: no broadcast decoder");
  }
  virtual absl::StatusOr<DirectT> DecodeDirect(const Message&) const {
    return absl::InternalError("typed round: no direct decoder");
  }
  // Statement: pure checks of a decoded value against the protocol state
  // (proofs, openings, ranges). OK by default.
  virtual absl::Status CheckBroadcast(const Message&, const BroadcastT&) const {
    return absl::OkStatus();
  }
  virtual absl::Status CheckDirect(const Message&, const DirectT&) const {
    return absl::OkStatus();
  }
  // Called once a verified value is kept (e.g. to copy it into state that
  // later rounds or a complaint judge read).
  virtual void StoredBroadcast(const Message&, BroadcastT&) {}
  virtual void StoredDirect(const Message&, DirectT&) {}

  // Decoded, checked values by sender.
  std::map<PartyId, BroadcastT>& broadcasts() { return broadcasts_; }
  std::map<PartyId, DirectT>& directs() { return directs_; }

 private:
  struct Value {
    BroadcastT b;
    DirectT d;
  };
  struct Pending {
    Pending(PartyId f, bool is_broadcast, Value v)
        : from(f), broadcast(is_broadcast), value(std::move(v)) {}
    PartyId from;
    bool broadcast;
    Value value;
  };

  uint32_t number_;
  mutable std::optional<Pending> pending_;
  std::map<PartyId, BroadcastT> broadcasts_;
  std::map<PartyId, DirectT> directs_;
};

// Round 0: expects no messages; Finalize produces the first messages.
class FirstRound : public Round {
 public:
  uint32_t Number() const final { return 0; }
  bool ExpectsBroadcast() const final { return false; }
  bool ExpectsDirect() const final { return false; }
  absl::Status Verify(const Message&) const final {
    return absl::InternalError("round 0 expects no messages");
  }
  void Store(const Message&) final {}
};

}  // namespace nitro_tss::mpc::round

#endif  // NITRO_TSS_MPC_ROUND_TYPED_ROUND_H_
