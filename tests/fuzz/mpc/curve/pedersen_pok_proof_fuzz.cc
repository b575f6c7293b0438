// PedersenPokProofFromProto on arbitrary wire bytes: decoding never crashes,
// and whatever it accepts re-serializes to a message that decodes to the same
// canonical bytes.
#include "mpc/zk/pedersen_pok.h"
#include "tests/fuzz/mpc/curve/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::zk::PedersenPokProof;
  using nitro_tss::mpc::zk::PedersenPokProofFromProto;
  using nitro_tss::mpc::zk::PedersenPokProofToProto;
  if (size > kMaxFuzzWireBytes) return 0;
  nitro_tss::mpc::v1::PedersenPokProof proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<PedersenPokProof> proof = PedersenPokProofFromProto(proto);
  if (!proof.ok()) return 0;
  std::string wire = PedersenPokProofToProto(*proof).SerializeAsString();
  nitro_tss::mpc::v1::PedersenPokProof again;
  FUZZ_CHECK(again.ParseFromString(wire));
  absl::StatusOr<PedersenPokProof> proof2 = PedersenPokProofFromProto(again);
  FUZZ_CHECK(proof2.ok());
  FUZZ_CHECK(PedersenPokProofToProto(*proof2).SerializeAsString() == wire);
  // Canonical: the accepted message has no other representation of its
  // fields than the one we emit.
  FUZZ_CHECK(proto.SerializeAsString() == wire);
  return 0;
}
