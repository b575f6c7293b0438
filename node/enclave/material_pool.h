// Paillier and ring-Pedersen material for DKGs, made ahead of time from
// fresh safe primes on a background thread (a 2048-bit modulus takes
// seconds to minutes), so that a DKG does not wait for prime search.
#ifndef NITRO_TSS_NODE_ENCLAVE_MATERIAL_POOL_H_
#define NITRO_TSS_NODE_ENCLAVE_MATERIAL_POOL_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mpc/gg20/keygen.h"

namespace nitro_tss::enclave {

struct MaterialPoolOptions {
  size_t size = 1;  // sets kept ready
  int threads = 1;  // threads per prime search
  bool share_ring_pedersen_modulus = false;
};

class MaterialPool {
 public:
  explicit MaterialPool(MaterialPoolOptions options);
  // Stops the generator: a running safe-prime search is cancelled
  // (GenerateKeygenMaterial's cancel flag, read between candidate tests) and
  // its primes wiped, so this returns within about one candidate test, not
  // after the search.
  ~MaterialPool();
  MaterialPool(const MaterialPool&) = delete;
  MaterialPool& operator=(const MaterialPool&) = delete;

  // A ready set (removed from the pool; the generator refills), waiting
  // until `deadline` (DEADLINE_EXCEEDED). Each set is handed out once.
  // UNAVAILABLE once EndTakes was called.
  absl::StatusOr<mpc::gg20::KeygenMaterial> Take(absl::Time deadline);
  // The enclave is shutting down: every Take, waiting now or to come, ends
  // UNAVAILABLE at once (a DKG start waiting for material does not hold up
  // the shutdown until its deadline), and the generator stops as in the
  // destructor (a running search is cancelled, nothing new is searched).
  void EndTakes();
  size_t ready() const;

 private:
  void Run();
  // Sets stop_ and cancel_ and wakes the generator. Caller holds no lock.
  void StopGenerator();

  MaterialPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<mpc::gg20::KeygenMaterial> ready_;
  absl::Status last_error_;
  bool stop_ = false;  // the generator starts no new search
  // Set with stop_: cancels the search under way (read by its workers
  // between candidate tests, without mu_).
  std::atomic<bool> cancel_{false};
  bool takes_ended_ = false;
  std::thread thread_;
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_MATERIAL_POOL_H_
