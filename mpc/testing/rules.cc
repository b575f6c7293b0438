#include "mpc/testing/rules.h"

#include <utility>

namespace nitro_tss::mpc::round {
namespace {

class RuledRound : public Round {
 public:
  RuledRound(std::unique_ptr<Round> inner, std::shared_ptr<Rule> rule)
      : inner_(std::move(inner)), rule_(std::move(rule)) {}

  uint32_t Number() const override { return inner_->Number(); }
  bool ExpectsBroadcast() const override { return inner_->ExpectsBroadcast(); }
  bool ExpectsDirect() const override { return inner_->ExpectsDirect(); }
  absl::Status Verify(const Message& msg) const override {
    return inner_->Verify(msg);
  }
  void Store(const Message& msg) override { inner_->Store(msg); }

  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    RandomSource& round_rng = rule_->ModifyBefore(*inner_, rng);
    absl::StatusOr<RoundOutput> out = inner_->Finalize(round_rng);
    if (!out.ok()) return out;
    if (absl::Status st = rule_->ModifyAfter(*inner_, *out, rng); !st.ok()) {
      return st;
    }
    if (out->next != nullptr) out->next = WithRule(std::move(out->next), rule_);
    return out;
  }

 private:
  std::unique_ptr<Round> inner_;
  std::shared_ptr<Rule> rule_;
};

}  // namespace

std::unique_ptr<Round> WithRule(std::unique_ptr<Round> first,
                                std::shared_ptr<Rule> rule) {
  return std::make_unique<RuledRound>(std::move(first), std::move(rule));
}

}  // namespace nitro_tss::mpc::round
