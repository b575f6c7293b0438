// CommitmentsFromProto: the first input byte is the verifier's threshold
// (mod 8), the rest is the wire message. Accepted vectors have exactly t + 1
// non-identity points and round-trip.
#include "mpc/vss/feldman.h"
#include "tests/fuzz/mpc/curve/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > kMaxFuzzWireBytes) return 0;
  const size_t threshold = data[0] % 8;
  nitro_tss::mpc::v1::VssCommitments proto;
  if (!proto.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  auto points = nitro_tss::mpc::CommitmentsFromProto(proto, threshold, 1);
  if (!points.ok()) return 0;
  FUZZ_CHECK(points->size() == threshold + 1);
  FUZZ_CHECK(nitro_tss::mpc::ValidateCommitments(*points, threshold, 1).ok());
  FUZZ_CHECK(nitro_tss::mpc::CommitmentsToProto(*points).SerializeAsString() ==
             proto.SerializeAsString());
  // Evaluating a public share never fails on validated input.
  FUZZ_CHECK(nitro_tss::mpc::PublicShare(*points, threshold,
                                         nitro_tss::mpc::Scalar::FromU64(3), 1)
                 .ok());
  return 0;
}
