// Every request decoder of tss-enclave's service, on the production
// EnclaveCore: byte 0 picks the RPC (GetInfo, OpenLink, AttestLink,
// FinishLink, CloseLink, ProbeLinks, a Sessions stream's start), the rest is
// the request's protobuf bytes as gRPC would hand them over. The core runs with
// a simulated NSM, the real allowlist verifier, no KMS answer and an empty
// host; it must refuse bad input with a status and never crash.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"
#include "node/channel/attested.h"
#include "node/enclave/core.h"

namespace {

using namespace nitro_tss;  // NOLINT

class NoKms final : public kms::KmsInterface {
 public:
  absl::StatusOr<kms::EncryptResponse> Encrypt(
      const kms::EncryptRequest&) override {
    return absl::UnavailableError("fuzz: no KMS");
  }
  absl::StatusOr<kms::DecryptResponse> Decrypt(
      const kms::DecryptRequest&) override {
    return absl::UnavailableError("fuzz: no KMS");
  }
  absl::StatusOr<kms::GenerateDataKeyResponse> GenerateDataKey(
      const kms::GenerateDataKeyRequest&) override {
    return absl::UnavailableError("fuzz: no KMS");
  }
  absl::StatusOr<kms::GenerateRandomResponse> GenerateRandom(
      const kms::GenerateRandomRequest&) override {
    return absl::UnavailableError("fuzz: no KMS");
  }
  absl::StatusOr<kms::DescribeKeyResponse> DescribeKey(
      const kms::DescribeKeyRequest&) override {
    return absl::UnavailableError("fuzz: no KMS");
  }
};

class EmptyHost final : public enclave::BlobHost {
 public:
  absl::Status Put(const std::string&, uint32_t, uint64_t,
                   const std::vector<uint8_t>&) override {
    return absl::UnavailableError("fuzz: no host");
  }
  absl::StatusOr<std::vector<uint8_t>> Get(const std::string&,
                                           uint32_t) override {
    return absl::NotFoundError("fuzz: empty host");
  }
};

struct World {
  std::unique_ptr<attestation::SimulatedNsm> nsm;
  NoKms kms;
  EmptyHost host;
  std::unique_ptr<enclave::EnclaveCore> core;
};

World& TheWorld() {
  static World* w = [] {
    auto* w = new World();
    auto ca = attestation::DevCa::Generate(attestation::WallClockMs());
    if (!ca.ok()) std::abort();
    attestation::SimulatedNsmConfig nc;
    nc.measurements = attestation::BootMeasurements{
        std::vector<uint8_t>(48, 1), std::vector<uint8_t>(48, 2),
        std::vector<uint8_t>(48, 3)};
    auto nsm = attestation::SimulatedNsm::Boot(*ca, nc);
    if (!nsm.ok()) std::abort();
    w->nsm = *std::move(nsm);
    attestation::AttestationPolicy policy;
    policy.expected_pcrs[0] = std::vector<uint8_t>(48, 1);
    auto verify = channel::MakeAllowlistVerifier(ca->RootDer(), {policy},
                                                 attestation::WallClockMs);
    if (!verify.ok()) std::abort();
    enclave::EnclaveDeps deps;
    deps.nsm = w->nsm.get();
    deps.verify = *verify;
    deps.kms = &w->kms;
    deps.kms_key_id = "alias/fuzz";
    deps.host = &w->host;
    deps.material =
        [](absl::Time) -> absl::StatusOr<mpc::gg20::KeygenMaterial> {
      return absl::DeadlineExceededError("fuzz: no material");
    };
    deps.limits.max_links = 64;
    auto core = enclave::EnclaveCore::Create(std::move(deps));
    if (!core.ok()) std::abort();
    w->core = *std::move(core);
    return w;
  }();
  return *w;
}

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* out) {
  return out->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 16)) return 0;
  World& w = TheWorld();
  const uint8_t which = data[0] % 7;
  ++data;
  --size;
  namespace ev1 = enclave::v1;
  switch (which) {
    case 0: {
      ev1::GetInfoRequest r;
      if (Parse(data, size, &r)) (void)w.core->GetInfo(r);
      break;
    }
    case 1: {
      ev1::OpenLinkRequest r;
      if (Parse(data, size, &r)) (void)w.core->OpenLink(r);
      break;
    }
    case 2: {
      ev1::AttestLinkRequest r;
      if (Parse(data, size, &r)) (void)w.core->AttestLink(r);
      break;
    }
    case 3: {
      ev1::FinishLinkRequest r;
      if (Parse(data, size, &r)) (void)w.core->FinishLink(r);
      break;
    }
    case 4: {
      ev1::CloseLinkRequest r;
      if (Parse(data, size, &r)) (void)w.core->CloseLink(r);
      break;
    }
    case 5: {
      ev1::ProbeLinksRequest r;
      if (Parse(data, size, &r)) (void)w.core->ProbeLinks(r);
      break;
    }
    default: {
      ev1::StartSession r;
      if (Parse(data, size, &r)) (void)w.core->StartSession(r);
      break;
    }
  }
  // Links accumulate across inputs; keep the table from filling up.
  if (size > 0 && data[0] == 0xFF) {
    ev1::CloseLinkRequest close;
    close.set_link_id("fuzz-link");
    (void)w.core->CloseLink(close);
  }
  return 0;
}
