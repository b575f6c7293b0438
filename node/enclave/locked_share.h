// Key shares in locked memory (mpc/math/locked_memory.h): how the enclave
// holds every share it keeps, whether unsealed after a restart or made by a
// DKG.
#ifndef NITRO_TSS_NODE_ENCLAVE_LOCKED_SHARE_H_
#define NITRO_TSS_NODE_ENCLAVE_LOCKED_SHARE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mpc/gg20/key_share.h"

namespace nitro_tss::enclave {

// Default size of the enclave's locked arena (limits.locked_memory_bytes):
// a loaded 2048-bit share takes about 77 KiB of it (see node/README.md), so
// this holds a few dozen keys at once; it stays under the 8 MiB
// RLIMIT_MEMLOCK most systems give unprivileged processes.
inline constexpr uint64_t kDefaultLockedMemoryBytes = 4ull << 20;

// Decodes and fully validates a key share record (KeyShare::FromRecordBytes)
// inside a LockedScope and places the KeyShare object itself in the arena,
// so the secret share x_i, the Paillier key (p, q, φ, λ, μ, the CRT values
// and its fixed-base tables) and the ring-Pedersen secrets are all in
// locked, wiped-on-free memory. Peer tables (public) are not built here.
// Errors: those of FromRecordBytes; FAILED_PRECONDITION when the arena was
// never initialized; RESOURCE_EXHAUSTED when the share did not fit the
// arena (nothing of it is kept; raise limits.locked_memory_bytes).
absl::StatusOr<std::shared_ptr<const mpc::gg20::KeyShare>> LoadLockedKeyShare(
    absl::Span<const uint8_t> record);

// The same for a share already in memory (a DKG's result): a copy through
// its record. The original is left to its owner (its secrets are wiped when
// it is destroyed).
absl::StatusOr<std::shared_ptr<const mpc::gg20::KeyShare>> LockKeyShare(
    const mpc::gg20::KeyShare& share);

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_LOCKED_SHARE_H_
