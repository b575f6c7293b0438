// Fuzzes every strict decoder of the channel wire formats with the same
// input (Envelope, HandshakeHello, HandshakeAttestation, AttestationBinding)
// and feeds it to SecureSession::Open of a real session established once
// between two simulated-NSM enclaves.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "mpc/round/identity.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"
#include "node/channel/attested.h"
#include "node/channel/handshake.h"
#include "node/channel/wire.h"

namespace {

namespace att = ::nitro_tss::attestation;
using namespace ::nitro_tss::channel;

// Party 2's session with party 1 (nullptr if setup failed).
SecureSession* EstablishedSession() {
  static SecureSession* session = []() -> SecureSession* {
    absl::StatusOr<att::DevCa> ca = att::DevCa::Generate(att::WallClockMs());
    if (!ca.ok()) return nullptr;
    std::unique_ptr<att::SimulatedNsm> nsm[2];
    std::unique_ptr<ChannelIdentity> id[2];
    std::unique_ptr<nitro_tss::mpc::round::PartyIdentityKey> party[2];
    std::unique_ptr<Handshake> hs[2];
    for (int i = 0; i < 2; ++i) {
      att::SimulatedNsmConfig config;
      config.image.kernel = {1};
      config.image.ramdisks = {{2}};
      auto booted = att::SimulatedNsm::Boot(*ca, config);
      auto identity = ChannelIdentity::Generate();
      auto party_identity = nitro_tss::mpc::round::PartyIdentityKey::Generate();
      if (!booted.ok() || !identity.ok() || !party_identity.ok()) {
        return nullptr;
      }
      nsm[i] = *std::move(booted);
      id[i] = *std::move(identity);
      party[i] = *std::move(party_identity);
      // The simulated image is measured as a debug enclave would report it
      // (this config is not debug mode, so pin its real PCR0).
      att::AttestationPolicy policy;
      policy.allow_debug = true;
      policy.expected_pcrs[0] = (*nsm[i]->DescribePcr(0)).value;
      HandshakeConfig hc;
      hc.session_id = "fuzz-session";
      hc.self_id = i + 1;
      hc.party_ids = {1, 2};
      hc.attest = MakeNsmAttester(*nsm[i]);
      auto verify = MakePolicyVerifier(ca->RootDer(), policy, att::WallClockMs);
      if (!verify.ok()) return nullptr;
      hc.verify = *std::move(verify);
      hc.party_identity = party[i].get();
      auto h = Handshake::Start(*id[i], std::move(hc));
      if (!h.ok()) return nullptr;
      hs[i] = *std::move(h);
    }
    if (!hs[0]->AddHello(hs[1]->hello()).ok() ||
        !hs[1]->AddHello(hs[0]->hello()).ok()) {
      return nullptr;
    }
    auto a0 = hs[0]->MakeAttestation();
    auto a1 = hs[1]->MakeAttestation();
    if (!a0.ok() || !a1.ok() || !hs[1]->AddAttestation(*a0).ok()) {
      return nullptr;
    }
    auto s = hs[1]->Finish();
    if (!s.ok()) return nullptr;
    // Leaked on purpose: lives for the whole fuzzing process.
    return s->release();
  }();
  return session;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<v1::Envelope> env = DecodeEnvelope(bytes, 1 << 16);
  if (env.ok() && EncodeCanonical(*env) != bytes) __builtin_trap();
  (void)DecodeHello(bytes);
  (void)DecodeHandshakeAttestation(bytes);
  (void)DecodeBinding(bytes);
  if (SecureSession* session = EstablishedSession()) {
    absl::StatusOr<ReceivedMessage> opened = session->Open(bytes);
    // No input the fuzzer can build carries a valid tag or signature.
    if (opened.ok()) __builtin_trap();
  } else {
    __builtin_trap();
  }
  return 0;
}
