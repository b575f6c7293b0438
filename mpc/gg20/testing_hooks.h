// Hooks that let tests play a cheating party. Production configurations
// leave them empty; they never weaken any verification, they only change
// what the party itself sends.
#ifndef NITRO_TSS_MPC_GG20_TESTING_HOOKS_H_
#define NITRO_TSS_MPC_GG20_TESTING_HOOKS_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <functional>

namespace nitro_tss::mpc::gg20 {

// Called with every payload this party is about to send (before it is
// committed to or serialized): `message_round` is the round number the
// message is stamped with, `to` the recipient (0 for broadcasts). The hook
// may modify the payload.
using TamperHook = std::function<void(uint32_t message_round, uint32_t to,
                                      google::protobuf::Message& payload)>;

}  // namespace nitro_tss::mpc::gg20

#endif  // NITRO_TSS_MPC_GG20_TESTING_HOOKS_H_
