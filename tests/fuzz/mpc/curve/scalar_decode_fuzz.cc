// Scalar::FromBytes: accepted values are < n and re-encode identically;
// arithmetic identities hold.
#include <cstring>

#include "mpc/curve/secp256k1.h"
#include "tests/fuzz/mpc/curve/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::BigInt;
  using nitro_tss::mpc::Scalar;
  absl::StatusOr<Scalar> s = Scalar::FromBytes(absl::MakeConstSpan(data, size));
  bool below_order = size == 32 && BigInt::FromBytes(absl::MakeConstSpan(
                                       data, size)) < Scalar::Order();
  FUZZ_CHECK(s.ok() == below_order);
  if (!s.ok()) return 0;
  FUZZ_CHECK(std::memcmp(s->bytes().data(), data, 32) == 0);
  FUZZ_CHECK((*s + s->Negate()).IsZero());
  if (!s->IsZero()) {
    auto inv = s->Inverse();
    FUZZ_CHECK(inv.ok());
    FUZZ_CHECK(s->Mul(*inv) == Scalar::One());
  }
  return 0;
}
