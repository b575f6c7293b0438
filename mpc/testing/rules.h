// Test rules applied around one party's rounds, in the style of taurus
// multi-party-sig's round.Rule (ModifyBefore / ModifyAfter / ModifyContent):
// a test plays a cheating party by wrapping that party's first round with
// WithRule; every round the party runs is then wrapped too, and the rule
// sees each round before it finalizes and its output after, before the
// engine stamps, signs and sends the messages. The rounds themselves carry
// no test option and no hook.
//
// Test-only (nitro_mpc_testing, NITRO_TSS_TEST_ONLY): production targets
// cannot link it.
#ifndef NITRO_TSS_MPC_TESTING_RULES_H_
#define NITRO_TSS_MPC_TESTING_RULES_H_

#include <memory>

#include "absl/status/status.h"
#include "mpc/math/random.h"
#include "mpc/round/round.h"

namespace nitro_tss::mpc::round {

class Rule {
 public:
  virtual ~Rule() = default;

  // Called before `round` finalizes (it may change the state the round
  // reads). Returns the randomness the round's Finalize draws from: `rng`,
  // unless the rule redraws in ModifyAfter what the round computes from it
  // (then a scratch source, so that the session's stream is consumed as a
  // party that cheated inside the round would have consumed it).
  virtual RandomSource& ModifyBefore(Round& round, RandomSource& rng) {
    (void)round;
    return rng;
  }

  // Called after `round` finalized into `out` (`out.next` is the round that
  // follows, not yet wrapped): may change the outbound payloads — they are
  // stamped and signed by the engine afterwards, so a changed payload is
  // what this party signs — and the state the next round reads. `rng` is
  // the session's randomness. A non-OK status is an internal error.
  virtual absl::Status ModifyAfter(Round& round, RoundOutput& out,
                                   RandomSource& rng) {
    (void)round;
    (void)out;
    (void)rng;
    return absl::OkStatus();
  }
};

// `first`, and every round it leads to, with `rule` applied around each
// Finalize. Number, Expects*, Verify and Store are the wrapped round's.
std::unique_ptr<Round> WithRule(std::unique_ptr<Round> first,
                                std::shared_ptr<Rule> rule);

}  // namespace nitro_tss::mpc::round

#endif  // NITRO_TSS_MPC_TESTING_RULES_H_
