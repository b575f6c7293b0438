// PaillierPublicKey::FromProto on arbitrary bytes; accepted keys are
// canonical and usable (ciphertext validation does not crash).
#include "mpc/paillier/paillier.h"
#include "tests/fuzz/mpc/paillier/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nitro_tss::mpc::PaillierPublicKey;
  FuzzRoundTrip<nitro_tss::mpc::v1::PaillierPublicKey>(
      data, size,
      [](const nitro_tss::mpc::v1::PaillierPublicKey& p) {
        absl::StatusOr<PaillierPublicKey> key = PaillierPublicKey::FromProto(p);
        if (key.ok()) {
          PAILLIER_FUZZ_CHECK(key->n().BitLength() == 2048);
          PAILLIER_FUZZ_CHECK(!key->ValidateCiphertext(key->n()).ok());
        }
        return key;
      },
      [](const PaillierPublicKey& k) { return k.ToProto(); });
  return 0;
}
