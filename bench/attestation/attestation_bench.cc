// Benchmarks of Nitro attestation verification and generation.
//
//   BM_Baseline_PaillierPowm      one mpz_powm: random 2048-bit exponent
//                                 modulo the square of a random odd 2048-bit
//                                 number (read other figures as ratios)
//   BM_VerifyRealDocument         full verification of the real AWS
//                                 production document (parse, ES384 COSE
//                                 signature, 5-certificate P-384 chain to the
//                                 pinned AWS root, PCR0/1/2/4 policy)
//   BM_ParseRealDocument          strict parsing only (no cryptography)
//   BM_SimulatedDocumentGenerate  SimulatedNsm::GetAttestationDocument (fresh
//                                 P-384 leaf key + certificate + ES384)
//   BM_VerifySimulatedDocument    full verification of a simulated document
#include <benchmark/benchmark.h>
#include <gmp.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "node/attestation/aws_root.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"
#include "node/attestation/verifier.h"

namespace nitro_tss::attestation {
namespace {

constexpr int64_t kProdTimestampMs = 1725719859545;

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

std::vector<uint8_t> ReadRealDocument() {
  // Benchmarks run from the build tree or the repo root.
  for (const char* path :
       {"../shared/testdata/nitro/nitro_attestation_2024-09-07.cbor",
        "../../shared/testdata/nitro/nitro_attestation_2024-09-07.cbor",
        "/work/shared/testdata/nitro/nitro_attestation_2024-09-07.cbor"}) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    }
  }
  return {};
}

std::vector<uint8_t> Hex(const char* hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(b.begin(), b.end());
}

AttestationPolicy ProductionPolicy() {
  AttestationPolicy p;
  p.expected_pcrs[0] = Hex(
      "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710"
      "a27aa94ae3949dd54e7c9fe86a");
  p.expected_pcrs[1] = Hex(
      "0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d6"
      "23e8805f3f605946b3d8b0c6aa");
  p.expected_pcrs[2] = Hex(
      "d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c9090642669106"
      "a062a3e24ee2805a3024b9b75c");
  p.expected_pcrs[4] = Hex(
      "45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a78"
      "6ad1c10102b955799a9dc96b44");
  return p;
}

void BM_VerifyRealDocument(benchmark::State& state) {
  const std::vector<uint8_t> doc = ReadRealDocument();
  if (doc.empty()) {
    state.SkipWithError("real document not found");
    return;
  }
  const VerifyOptions options{AwsNitroRootG1Der(), kProdTimestampMs};
  const AttestationPolicy policy = ProductionPolicy();
  for (auto _ : state) {
    auto result = VerifyAttestationDocument(doc, options, policy);
    if (!result.ok()) {
      state.SkipWithError("verification failed");
      return;
    }
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_VerifyRealDocument)->Unit(benchmark::kMicrosecond);

void BM_ParseRealDocument(benchmark::State& state) {
  const std::vector<uint8_t> doc = ReadRealDocument();
  if (doc.empty()) {
    state.SkipWithError("real document not found");
    return;
  }
  for (auto _ : state) {
    auto result = ParseAttestationDocument(doc);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ParseRealDocument)->Unit(benchmark::kMicrosecond);

struct SimulatedSetup {
  SimulatedSetup() {
    auto generated = DevCa::Generate(WallClockMs());
    if (!generated.ok()) std::abort();
    ca.emplace(std::move(*generated));
    SimulatedNsmConfig config;
    config.image.kernel = {1, 2, 3};
    auto booted = SimulatedNsm::Boot(*ca, config);
    if (!booted.ok()) std::abort();
    nsm = std::move(*booted);
  }
  std::optional<DevCa> ca;
  std::unique_ptr<SimulatedNsm> nsm;
};

void BM_SimulatedDocumentGenerate(benchmark::State& state) {
  SimulatedSetup setup;
  const std::vector<uint8_t> nonce(32, 7);
  for (auto _ : state) {
    auto doc =
        setup.nsm->GetAttestationDocument(std::nullopt, nonce, std::nullopt);
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_SimulatedDocumentGenerate)->Unit(benchmark::kMicrosecond);

void BM_VerifySimulatedDocument(benchmark::State& state) {
  SimulatedSetup setup;
  auto doc = setup.nsm->GetAttestationDocument(
      std::nullopt, std::vector<uint8_t>(32, 7), std::nullopt);
  if (!doc.ok()) std::abort();
  AttestationPolicy policy;
  policy.expected_nonce = std::vector<uint8_t>(32, 7);
  for (auto _ : state) {
    auto result = VerifyAttestationDocument(
        *doc, VerifyOptions{setup.ca->RootDer(), WallClockMs()}, policy);
    if (!result.ok()) {
      state.SkipWithError("verification failed");
      return;
    }
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_VerifySimulatedDocument)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace nitro_tss::attestation

BENCHMARK_MAIN();
