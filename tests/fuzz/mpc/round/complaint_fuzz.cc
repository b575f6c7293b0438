// Fuzzes the complaint path of the round engine (Session::Receive of a
// signed Complaint, mpc/round/round.h): the complaint payload, the envelopes
// inside it and the evidence are attacker-controlled once a party signs
// them. Party 3 judges party 1's complaint about party 2. The first input
// byte picks the mode:
//   0: the rest is the raw Complaint payload (strict parsing, envelope
//      decoding, signature checks);
//   1: the rest is split in two: the payload of a direct message that party
//      2 really signed, and the evidence; the harness wraps them in a
//      well-formed complaint, so the judge runs.
// Every complaint must end the session with an abort naming exactly one of
// the two parties (or both as suspects), never crash.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "mpc/math/random.h"
#include "mpc/round/round.h"
#include "nitro_tss/mpc/v1/round.pb.h"

namespace {

using nitro_tss::mpc::DeterministicRandom;
using nitro_tss::mpc::round::ComplaintJudge;
using nitro_tss::mpc::round::Message;
using nitro_tss::mpc::round::PartyId;
using nitro_tss::mpc::round::PartyIdentityKey;
using nitro_tss::mpc::round::Round;
using nitro_tss::mpc::round::RoundOutput;
using nitro_tss::mpc::round::Session;
using nitro_tss::mpc::round::SessionConfig;

class WaitRound : public Round {
 public:
  uint32_t Number() const override { return 1; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return true; }
  absl::Status Verify(const Message&) const override {
    return absl::OkStatus();
  }
  void Store(const Message&) override {}
  absl::StatusOr<RoundOutput> Finalize(nitro_tss::mpc::RandomSource&) override {
    return RoundOutput{};
  }
};

class FirstRound : public Round {
 public:
  uint32_t Number() const override { return 0; }
  bool ExpectsBroadcast() const override { return false; }
  bool ExpectsDirect() const override { return false; }
  absl::Status Verify(const Message&) const override {
    return absl::InternalError("unused");
  }
  void Store(const Message&) override {}
  absl::StatusOr<RoundOutput> Finalize(nitro_tss::mpc::RandomSource&) override {
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(std::vector<uint8_t>{1}));
    out.next = std::make_unique<WaitRound>();
    return out;
  }
};

// Guilty iff the complained direct payload is not exactly 8 bytes.
class ToyJudge : public ComplaintJudge {
 public:
  absl::StatusOr<Verdict> Judge(const Case& c) const override {
    const Message& m = *c.directs.at(c.round);
    if (m.payload.size() != 8) return Verdict{Outcome::kAccusedGuilty, "size"};
    if (c.evidence.size() == 1) return Verdict{Outcome::kUndecidable, "?"};
    return Verdict{Outcome::kComplaintFalse, "ok"};
  }
};

std::shared_ptr<const PartyIdentityKey> Key(PartyId id) {
  static std::shared_ptr<const PartyIdentityKey> keys[4];
  if (!keys[id]) {
    std::vector<uint8_t> seed(32, static_cast<uint8_t>(id));
    keys[id] = *PartyIdentityKey::FromSeed(seed);
  }
  return keys[id];
}

const std::vector<uint8_t> kSession(16, 7);
const std::vector<uint8_t> kDigest(32, 9);

void SignAs(PartyId id, Message& m) {
  m.signature.clear();
  auto sig = Key(id)->Sign(nitro_tss::mpc::round::SignedBytes(m));
  m.signature.assign(sig.begin(), sig.end());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 16)) return 0;
  DeterministicRandom rng(1);
  SessionConfig cfg;
  cfg.session_id = kSession;
  cfg.protocol = "fuzz/v1";
  cfg.self = 3;
  cfg.parties = {1, 2, 3};
  cfg.identity = Key(3);
  for (PartyId p : cfg.parties) cfg.identity_keys[p] = Key(p)->public_key();
  cfg.config_digest = kDigest;
  cfg.judge = std::make_shared<ToyJudge>();
  auto session = Session::Create(cfg, std::make_unique<FirstRound>(), rng);
  if (!session.ok() || !(*session)->Start().ok()) std::abort();

  std::string payload;
  if (data[0] % 2 == 0) {
    payload.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  } else {
    const size_t split = size > 2 ? data[1] % (size - 1) : 0;
    const uint8_t* rest = data + 2;
    const size_t rest_size = size > 2 ? size - 2 : 0;
    const size_t direct_size = split < rest_size ? split : rest_size;
    Message direct;
    direct.session_id = kSession;
    direct.protocol = "fuzz/v1";
    direct.round = 1;
    direct.from = 2;
    direct.to = 1;
    direct.config_digest = kDigest;
    direct.payload.assign(rest, rest + direct_size);
    SignAs(2, direct);
    nitro_tss::mpc::v1::Complaint pb;
    pb.set_accused(2);
    std::vector<uint8_t> enc = nitro_tss::mpc::round::EncodeMessage(direct);
    pb.add_directs(enc.data(), enc.size());
    pb.set_evidence(rest + direct_size, rest_size - direct_size);
    payload = pb.SerializeAsString();
  }
  Message complaint;
  complaint.session_id = kSession;
  complaint.protocol = "fuzz/v1";
  complaint.round = 1;
  complaint.from = 1;
  complaint.complaint = true;
  complaint.config_digest = kDigest;
  complaint.payload.assign(payload.begin(), payload.end());
  SignAs(1, complaint);
  absl::Status st = (*session)->Receive(complaint);
  if (!st.ok()) std::abort();  // a signed complaint is always judged
  if ((*session)->state() != Session::State::kAborted) std::abort();
  const auto& culprits = (*session)->abort()->culprits;
  if (culprits.empty() || culprits.size() > 2) std::abort();
  for (const auto& c : culprits) {
    if (c.party != 1 && c.party != 2) std::abort();
  }
  return 0;
}
