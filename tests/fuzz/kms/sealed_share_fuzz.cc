// Fuzz target: the sealed-share envelope decoder (and the AEAD open path).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node/kms/sealed_share.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> in(data, size);
  absl::StatusOr<nitro_tss::kms::SealedShare> share =
      nitro_tss::kms::DecodeSealedShare(in);
  if (!share.ok()) return 0;
  // The encoding is canonical: re-encoding gives back the input.
  absl::StatusOr<std::vector<uint8_t>> again =
      nitro_tss::kms::EncodeSealedShare(*share);
  if (!again.ok() || *again != std::vector<uint8_t>(in.begin(), in.end())) {
    abort();
  }
  // Opening with a fixed key must fail authentication, never crash.
  nitro_tss::kms::SecureBytes key(32);
  if (nitro_tss::kms::OpenWithDataKey(*share, key).ok()) abort();
  return 0;
}
