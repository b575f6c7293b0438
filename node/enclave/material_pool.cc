#include "node/enclave/material_pool.h"

#include "absl/strings/str_cat.h"
#include "mpc/math/random.h"

namespace nitro_tss::enclave {

MaterialPool::MaterialPool(MaterialPoolOptions options) : options_(options) {
  if (options_.size == 0) options_.size = 1;
  if (options_.threads <= 0) options_.threads = 1;
  thread_ = std::thread([this] { Run(); });
}

MaterialPool::~MaterialPool() {
  StopGenerator();
  thread_.join();
}

void MaterialPool::StopGenerator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_.store(true, std::memory_order_relaxed);
  }
  cv_.notify_all();
}

void MaterialPool::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || ready_.size() < options_.size; });
      if (stop_) return;
    }
    absl::StatusOr<mpc::gg20::KeygenMaterial> m =
        mpc::gg20::GenerateKeygenMaterial(mpc::SystemRandom(), options_.threads,
                                          !options_.share_ring_pedersen_modulus,
                                          &cancel_);
    std::lock_guard<std::mutex> lock(mu_);
    // Stopping: a set found anyway is dropped (wiped with m); a cancelled
    // search is not an error.
    if (stop_) return;
    if (m.ok()) {
      ready_.push_back(*std::move(m));
    } else {
      last_error_ = m.status();
    }
    cv_.notify_all();
  }
}

absl::StatusOr<mpc::gg20::KeygenMaterial> MaterialPool::Take(
    absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool woken = cv_.wait_until(lock, absl::ToChronoTime(deadline), [&] {
    return !ready_.empty() || takes_ended_;
  });
  if (takes_ended_) {
    return absl::UnavailableError(
        "keygen material: the enclave is shutting down");
  }
  if (!woken) {
    return absl::DeadlineExceededError(absl::StrCat(
        "keygen material: none ready before the deadline (safe-prime search "
        "still running",
        last_error_.ok()
            ? ""
            : absl::StrCat("; last error: ", last_error_.ToString()),
        ")"));
  }
  mpc::gg20::KeygenMaterial m = std::move(ready_.front());
  ready_.pop_front();
  cv_.notify_all();
  return m;
}

void MaterialPool::EndTakes() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    takes_ended_ = true;
  }
  StopGenerator();
}

size_t MaterialPool::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

}  // namespace nitro_tss::enclave
