// Fuzzes the key-share record decoder (KeyShare::FromRecordBytes): any
// input is rejected with a message or decodes to a record that re-encodes
// to an equivalent record.
#include <cstdint>
#include <cstdlib>

#include "mpc/gg20/key_share.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::gg20::KeyShare;
  auto ks = KeyShare::FromRecordBytes(absl::Span<const uint8_t>(data, size));
  if (!ks.ok()) {
    if (ks.status().message().empty()) std::abort();
    return 0;
  }
  nitro_tss::mpc::SecureBytes again = ks->ToRecordBytes();
  auto back = KeyShare::FromRecordBytes(again);
  if (!back.ok() || back->key_id != ks->key_id) std::abort();
  return 0;
}
