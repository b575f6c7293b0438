// Point::Decode: anything accepted re-encodes to exactly the input bytes
// (canonical), is not the identity and behaves as a group element.
#include <cstring>

#include "mpc/curve/secp256k1.h"
#include "tests/fuzz/mpc/curve/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::Point;
  using nitro_tss::mpc::Scalar;
  absl::StatusOr<Point> p = Point::Decode(absl::MakeConstSpan(data, size));
  if (!p.ok()) return 0;
  FUZZ_CHECK(size == 33);
  FUZZ_CHECK(!p->IsIdentity());
  auto enc = p->Encode();
  FUZZ_CHECK(enc.ok());
  FUZZ_CHECK(std::memcmp(enc->data(), data, 33) == 0);
  FUZZ_CHECK((*p + p->Negate()).IsIdentity());
  FUZZ_CHECK(p->Mul(Scalar::FromU64(2)) == *p + *p);
  return 0;
}
