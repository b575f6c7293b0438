// tss-cheating-enclave (TEST-ONLY): the tss-enclave process
// (node/enclave/process.h, the same library and main logic) whose presign
// sessions are made by mpc/testing/gg20_cheats.h, so that one node of a
// local cluster plays a compromised enclave that still attests as the
// released image. Tests start it through the cluster harness
// (tests/node/cluster, ClusterOptions::cheaters) to check identifiable
// abort end to end: the honest enclaves name it, the coordinator excludes
// it for the key and signs with another signer set.
//
//   tss-cheating-enclave --cheat NAME [every tss-enclave flag]
//
// NAME (what the cheater sends in every presign run; DKG and online
// signing stay honest):
//   none                  nothing wrong (the control)
//   presign-bad-pi-enc    round 1: each Πenc proof (range proof of K_i)
//                         with z3 + 1, towards every peer
//   presign-bad-pi-aff-g  round 2: each MtAwc response D_w + 1, so the
//                         Πaff-g pair does not verify, towards every peer
//   presign-mta-oversized round 2: Bob's MtA masks 2^262 times too large,
//                         proven with the unchecked prover (Alpha-Rays),
//                         each drawn again until its z2 is past Πaff-g's
//                         range bound (a small challenge can leave it in
//                         range): every run is caught by the exact range
//                         check
//
// Exit codes as tss-enclave; 2 for a missing or unknown --cheat.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mpc/gg20/codec.h"
#include "mpc/testing/gg20_cheats.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"
#include "node/enclave/process.h"

namespace {

namespace gg20 = nitro_tss::mpc::gg20;
namespace mpcv1 = nitro_tss::mpc::v1;
using gg20::testing::PresignCheat;
using nitro_tss::mpc::BigInt;

// An encoded signed integer plus one (unchanged if it does not decode).
std::string PlusOne(const std::string& encoded) {
  auto v = gg20::DecodeInt(encoded, gg20::kMaxCiphertextMagnitudeBytes, "cheat",
                           "field");
  return v.ok() ? gg20::EncodeInt(*v + BigInt(1)) : encoded;
}

bool CheatNamed(const std::string& name, PresignCheat* cheat) {
  if (name == "none") return true;
  if (name == "presign-bad-pi-enc") {
    cheat->tamper = [](uint32_t round, uint32_t,
                       google::protobuf::Message& payload) {
      auto* m = dynamic_cast<mpcv1::PresignRound1Direct*>(&payload);
      if (round != 1 || m == nullptr) return;
      mpcv1::PiEncProof proof;
      if (!proof.ParseFromString(m->pi_enc())) return;
      proof.set_z3(PlusOne(proof.z3()));
      m->set_pi_enc(proof.SerializeAsString());
    };
    return true;
  }
  if (name == "presign-bad-pi-aff-g") {
    cheat->tamper = [](uint32_t round, uint32_t,
                       google::protobuf::Message& payload) {
      auto* m = dynamic_cast<mpcv1::PresignRound2Direct*>(&payload);
      if (round != 2 || m == nullptr) return;
      m->set_d_w(PlusOne(m->d_w()));
    };
    return true;
  }
  if (name == "presign-mta-oversized") {
    cheat->mta_beta_extra_bits = 262;
    cheat->mta_beta_until_out_of_range = true;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // --cheat NAME / --cheat=NAME is taken out; the rest is tss-enclave's.
  std::string name;
  bool given = false;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strcmp(argv[i], "--cheat") == 0 && i + 1 < argc) {
      name = argv[++i];
      given = true;
    } else if (i > 0 && std::strncmp(argv[i], "--cheat=", 8) == 0) {
      name = argv[i] + 8;
      given = true;
    } else {
      rest.push_back(argv[i]);
    }
  }
  PresignCheat cheat;
  if (!given || !CheatNamed(name, &cheat)) {
    std::fprintf(stderr,
                 "tss-cheating-enclave: --cheat: one of none, "
                 "presign-bad-pi-enc, presign-bad-pi-aff-g, "
                 "presign-mta-oversized required\n");
    return 2;
  }
  std::fprintf(stderr,
               "{\"level\":\"warn\",\"msg\":\"cheating_enclave\","
               "\"cheat\":\"%s\"}\n",
               name.c_str());
  nitro_tss::enclave::SessionFactories sessions;
  sessions.presign = [cheat](const gg20::PresignConfig& config,
                             nitro_tss::mpc::RandomSource& rng) {
    return gg20::testing::NewPresignSessionWithCheat(config, cheat, rng);
  };
  rest.push_back(nullptr);
  return nitro_tss::enclave::RunEnclaveProcess(
      static_cast<int>(rest.size()) - 1, rest.data(), std::move(sessions));
}
