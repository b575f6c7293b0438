// An in-process router that runs every party's Session of one protocol run,
// for tests and benchmarks. Hooks let a test drop, duplicate, reorder, delay
// or modify any message of any party on its way to any recipient.
//
// Test-only: it lives in nitro_mpc_testing (mpc/testing/CMakeLists.txt),
// which only tests/, bench/ and tests/fuzz/ may link; the configure step
// fails if a production target reaches it.
#ifndef NITRO_TSS_MPC_TESTING_SIMULATOR_H_
#define NITRO_TSS_MPC_TESTING_SIMULATOR_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "mpc/math/random.h"
#include "mpc/round/round.h"

namespace nitro_tss::mpc::round {

// One message on its way to one recipient (a broadcast is fanned out into
// one Delivery per recipient, so hooks can equivocate).
struct Delivery {
  PartyId recipient = 0;
  Message message;
};

class Simulator {
 public:
  // Called for every delivery before it is queued. The hook returns the
  // deliveries to queue instead: empty drops it, two copies duplicate it,
  // a modified message tampers with it, another recipient misroutes it.
  using DeliveryHook = std::function<std::vector<Delivery>(const Delivery&)>;

  explicit Simulator(std::map<PartyId, std::unique_ptr<Session>> sessions);

  void SetDeliveryHook(DeliveryHook hook) { hook_ = std::move(hook); }
  // Deliver queued messages in a random order drawn from `rng` instead of
  // FIFO (reordering and delays).
  void ShuffleWith(RandomSource* rng) { shuffle_ = rng; }
  // Round-trip every message through EncodeMessage/DecodeMessage (on by
  // default), as a real transport would.
  void SetWireEncoding(bool on) { wire_ = on; }

  // Starts every session and routes until no message is left or
  // `max_deliveries` is reached. Returns an error only for internal errors.
  absl::Status Run(size_t max_deliveries = 1000000);

  Session& party(PartyId id) { return *sessions_.at(id); }
  const std::map<PartyId, std::unique_ptr<Session>>& sessions() const {
    return sessions_;
  }
  // True when every session finished without abort.
  bool AllDone() const;
  // Statuses of deliveries a session refused (not for it, duplicates...).
  const std::vector<absl::Status>& refusals() const { return refusals_; }
  size_t delivered() const { return delivered_; }

 private:
  void Collect(PartyId from);

  std::map<PartyId, std::unique_ptr<Session>> sessions_;
  DeliveryHook hook_;
  RandomSource* shuffle_ = nullptr;
  bool wire_ = true;
  std::deque<Delivery> queue_;
  std::vector<absl::Status> refusals_;
  size_t delivered_ = 0;
};

}  // namespace nitro_tss::mpc::round

#endif  // NITRO_TSS_MPC_TESTING_SIMULATOR_H_
