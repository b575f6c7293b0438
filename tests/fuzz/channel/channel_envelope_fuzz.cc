// Fuzzes every strict decoder of the channel wire formats with the same
// input: Envelope, HandshakeHello, HandshakeAttestation, AttestationBinding.
#include <cstddef>
#include <cstdint>

#include "node/channel/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace nitro_tss::channel;
  absl::StatusOr<nitro_tss::channel::v1::Envelope> env =
      DecodeEnvelope(bytes, 1 << 16);
  if (env.ok() && EncodeCanonical(*env) != bytes) __builtin_trap();
  (void)DecodeHello(bytes);
  (void)DecodeHandshakeAttestation(bytes);
  (void)DecodeBinding(bytes);
  return 0;
}
