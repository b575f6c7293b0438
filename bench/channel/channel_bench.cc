// Benchmarks of the attested channel layer and the EIF PCR computation.
//
//   BM_Baseline_PaillierPowm   one mpz_powm: random 2048-bit exponent modulo
//                              the square of a random odd 2048-bit number
//                              (read every other figure as a ratio of it)
//   BM_Handshake3Party         a full 3-party handshake with simulated NSMs:
//                              hellos, 3 document generations (fresh leaf
//                              key + ES384 signature each), 6 verifications
//                              (COSE signature, 5-certificate chain, policy),
//                              key derivation
//   BM_AttestationDocumentGenerate / BM_AttestationDocumentVerify
//                              the two halves of the handshake's cost
//   BM_DirectSealOpen/size     XChaCha20-Poly1305 seal + open of one message
//   BM_BroadcastSignVerify/size  Ed25519 sign + verify of one broadcast
//   BM_EifParsePcrs/size       strict EIF parse (CRC32) + PCR0/1/2
#include <benchmark/benchmark.h>
#include <gmp.h>
#include <sodium.h>

#include <map>
#include <memory>
#include <vector>

#include "mpc/round/identity.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"
#include "node/channel/attested.h"
#include "node/channel/handshake.h"
#include "node/eif/eif.h"

namespace nitro_tss::channel {
namespace {

namespace att = ::nitro_tss::attestation;

// BM_Baseline_PaillierPowm comes from bench/common/baseline.cc.

att::EnclaveImageParts Image() {
  att::EnclaveImageParts parts;
  const std::string k = "bench kernel", c = "console=ttyS0", r0 = "boot",
                    r1 = "app";
  parts.kernel.assign(k.begin(), k.end());
  parts.cmdline.assign(c.begin(), c.end());
  parts.ramdisks = {std::vector<uint8_t>(r0.begin(), r0.end()),
                    std::vector<uint8_t>(r1.begin(), r1.end())};
  return parts;
}

struct Cluster {
  std::unique_ptr<att::DevCa> ca;
  std::vector<std::unique_ptr<ChannelIdentity>> identities;
  std::vector<std::unique_ptr<mpc::round::PartyIdentityKey>> party_identities;
  std::vector<std::unique_ptr<att::SimulatedNsm>> nsms;
  att::AttestationPolicy policy;
};

Cluster BootCluster(int n) {
  Cluster c;
  c.ca =
      std::make_unique<att::DevCa>(*att::DevCa::Generate(att::WallClockMs()));
  for (int i = 0; i < n; ++i) {
    att::SimulatedNsmConfig config;
    config.image = Image();
    c.nsms.push_back(*att::SimulatedNsm::Boot(*c.ca, config));
    c.identities.push_back(*ChannelIdentity::Generate());
    c.party_identities.push_back(*mpc::round::PartyIdentityKey::Generate());
  }
  const att::BootMeasurements m = att::MeasureEnclaveImage(Image());
  c.policy.expected_pcrs = {{0, m.pcr0}, {1, m.pcr1}, {2, m.pcr2}};
  c.policy.max_age_ms = 5 * 60 * 1000;
  return c;
}

// Runs one full handshake; returns the sessions (empty on failure).
std::vector<std::unique_ptr<SecureSession>> RunHandshake(
    Cluster& c, const std::string& sid) {
  const int n = static_cast<int>(c.nsms.size());
  std::vector<uint32_t> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(i);
  std::vector<std::unique_ptr<Handshake>> hs;
  for (int i = 0; i < n; ++i) {
    HandshakeConfig config;
    config.session_id = sid;
    config.self_id = i + 1;
    config.party_ids = ids;
    config.attest = MakeNsmAttester(*c.nsms[i]);
    config.verify =
        *MakePolicyVerifier(c.ca->RootDer(), c.policy, att::WallClockMs);
    config.party_identity = c.party_identities[i].get();
    hs.push_back(*Handshake::Start(*c.identities[i], std::move(config)));
  }
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i != j && !hs[i]->AddHello(hs[j]->hello()).ok()) return {};
    }
  }
  std::vector<std::string> atts;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<std::string> a = hs[i]->MakeAttestation();
    if (!a.ok()) return {};
    atts.push_back(*a);
  }
  std::vector<std::unique_ptr<SecureSession>> sessions;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i != j && !hs[i]->AddAttestation(atts[j]).ok()) return {};
    }
    absl::StatusOr<std::unique_ptr<SecureSession>> s = hs[i]->Finish();
    if (!s.ok()) return {};
    sessions.push_back(*std::move(s));
  }
  return sessions;
}

void BM_Handshake3Party(benchmark::State& state) {
  Cluster c = BootCluster(3);
  int64_t round = 0;
  for (auto _ : state) {
    auto sessions = RunHandshake(c, "bench-" + std::to_string(round++));
    if (sessions.size() != 3) {
      state.SkipWithError("handshake failed");
      return;
    }
    benchmark::DoNotOptimize(sessions);
  }
}
BENCHMARK(BM_Handshake3Party)->Unit(benchmark::kMillisecond);

// Breakdown of the handshake: one document generation by the simulated NSM
// (fresh P-384 leaf key + certificate + ES384 COSE signature) ...
void BM_AttestationDocumentGenerate(benchmark::State& state) {
  Cluster c = BootCluster(1);
  const std::vector<uint8_t> user_data(80, 'u'), nonce(32, 'n'), pk(32, 'k');
  for (auto _ : state) {
    auto doc = c.nsms[0]->GetAttestationDocument(user_data, nonce, pk);
    if (!doc.ok()) {
      state.SkipWithError("attestation failed");
      return;
    }
    benchmark::DoNotOptimize(doc);
  }
}
BENCHMARK(BM_AttestationDocumentGenerate)->Unit(benchmark::kMillisecond);

// ... and one verification as a peer runs it (COSE signature, chain of five
// P-384 certificates, policy with nonce).
void BM_AttestationDocumentVerify(benchmark::State& state) {
  Cluster c = BootCluster(1);
  const std::vector<uint8_t> user_data(80, 'u'), nonce(32, 'n'), pk(32, 'k');
  const std::vector<uint8_t> doc =
      *c.nsms[0]->GetAttestationDocument(user_data, nonce, pk);
  VerifyFunction verify =
      *MakePolicyVerifier(c.ca->RootDer(), c.policy, att::WallClockMs);
  const std::string doc_bytes(doc.begin(), doc.end());
  const std::string nonce_bytes(nonce.begin(), nonce.end());
  for (auto _ : state) {
    auto verified = verify(doc_bytes, nonce_bytes, 1);
    if (!verified.ok()) {
      state.SkipWithError("verification failed");
      return;
    }
    benchmark::DoNotOptimize(verified);
  }
}
BENCHMARK(BM_AttestationDocumentVerify)->Unit(benchmark::kMillisecond);

// Party 1 seals `state.range(0)` bytes with `seal`, party 2 opens them.
template <typename SealFn>
void SealOpen(benchmark::State& state, const std::string& label, SealFn seal) {
  Cluster c = BootCluster(2);
  auto sessions = RunHandshake(c, label);
  if (sessions.size() != 2) {
    state.SkipWithError("handshake failed");
    return;
  }
  const std::string payload(static_cast<size_t>(state.range(0)), 'p');
  for (auto _ : state) {
    absl::StatusOr<std::string> env = seal(*sessions[0], payload);
    absl::StatusOr<ReceivedMessage> got = sessions[1]->Open(*env);
    if (!got.ok()) {
      state.SkipWithError("open failed");
      return;
    }
    benchmark::DoNotOptimize(got->payload);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}

void BM_DirectSealOpen(benchmark::State& state) {
  SealOpen(state, "bench-direct", [](auto& session, const std::string& p) {
    return session.SealDirect(2, 1, p);
  });
}
BENCHMARK(BM_DirectSealOpen)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(64 * 1024)
    ->Unit(benchmark::kMicrosecond);

void BM_BroadcastSignVerify(benchmark::State& state) {
  SealOpen(state, "bench-broadcast", [](auto& session, const std::string& p) {
    return session.SignBroadcast(1, p);
  });
}
BENCHMARK(BM_BroadcastSignVerify)
    ->Arg(64)
    ->Arg(1024)
    ->Arg(64 * 1024)
    ->Unit(benchmark::kMicrosecond);

void BM_EifParsePcrs(benchmark::State& state) {
  eif::EifBuildSpec spec;
  const size_t size = static_cast<size_t>(state.range(0));
  spec.kernel = std::string(size / 4, 'k');
  spec.cmdline = "console=ttyS0";
  spec.ramdisks = {std::string(size / 4, 'b'), std::string(size / 2, 'a')};
  const std::string bytes = *eif::BuildEif(spec);
  for (auto _ : state) {
    absl::StatusOr<eif::EifImage> image = eif::ParseEif(bytes);
    absl::StatusOr<eif::EifPcrs> pcrs = eif::ComputeEifPcrs(*image);
    benchmark::DoNotOptimize(pcrs);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}
BENCHMARK(BM_EifParsePcrs)
    ->Arg(1 << 20)
    ->Arg(16 << 20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace nitro_tss::channel

BENCHMARK_MAIN();
