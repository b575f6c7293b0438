#include "mpc/testing/simulator.h"

#include <utility>
#include <vector>

namespace nitro_tss::mpc::round {

Simulator::Simulator(std::map<PartyId, std::unique_ptr<Session>> sessions)
    : sessions_(std::move(sessions)) {}

bool Simulator::AllDone() const {
  for (const auto& [id, s] : sessions_) {
    if (s->state() != Session::State::kDone) return false;
  }
  return true;
}

void Simulator::Collect(PartyId from) {
  for (Message& m : sessions_.at(from)->TakeOutbound()) {
    std::vector<PartyId> recipients;
    if (m.is_broadcast()) {
      for (const auto& [id, s] : sessions_) {
        if (id != from) recipients.push_back(id);
      }
    } else {
      recipients.push_back(m.to);
    }
    for (PartyId r : recipients) {
      Delivery d{r, m};
      if (hook_) {
        for (Delivery& x : hook_(d)) queue_.push_back(std::move(x));
      } else {
        queue_.push_back(std::move(d));
      }
    }
  }
}

absl::Status Simulator::Run(size_t max_deliveries) {
  for (auto& [id, s] : sessions_) {
    if (s->state() == Session::State::kCreated) {
      if (absl::Status st = s->Start(); !st.ok()) return st;
    }
    Collect(id);
  }
  size_t steps = 0;
  while (!queue_.empty() && steps < max_deliveries) {
    ++steps;
    size_t index = 0;
    if (shuffle_ != nullptr) index = shuffle_->NextU64() % queue_.size();
    Delivery d = std::move(queue_[index]);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(index));
    auto it = sessions_.find(d.recipient);
    if (it == sessions_.end()) continue;  // misrouted to nobody
    Message msg = std::move(d.message);
    if (wire_) {
      std::vector<uint8_t> wire = EncodeMessage(msg);
      absl::StatusOr<Message> decoded = DecodeMessage(wire);
      SecureWipe(wire.data(), wire.size());  // may hold a direct payload
      if (!decoded.ok()) {
        refusals_.push_back(decoded.status());
        continue;
      }
      msg = *std::move(decoded);
    }
    absl::Status st = it->second->Receive(msg);
    ++delivered_;
    if (!st.ok()) refusals_.push_back(st);
    Collect(d.recipient);
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::mpc::round
