// Audit finding 4 (docs/AUDIT.md): in the presign reveal round a rushing
// party could misreport the MtA response it received from an honest Bob, with
// a valid Πaff-g built from the γ that Bob has just revealed, and get that
// honest Bob named alone. Fixed by committing, in the (echoed) round-3
// broadcast, to a digest of the received MtA responses: the reveal must hash
// to it, and a forged entry committed before γ is public cannot carry a valid
// Πaff-g. These tests check who is named in each case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "mpc/gg20/codec.h"
#include "mpc/gg20/presign.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/zk/pi_aff_g.h"
#include "nitro_tss/mpc/v1/gg20.pb.h"
#include "tests/gg20/gg20_test_util.h"

namespace nitro_tss::mpc::gg20::testing {
namespace {

using round::PartyId;

constexpr PartyId kRusher = 2;   // broadcasts a wrong δ, then misreports
constexpr PartyId kVictim = 1;   // honest Bob towards the rusher
constexpr PartyId kWitness = 3;  // honest third party

BigInt Int(const std::string& bytes) {
  return *DecodeInt(bytes, 1 << 12, "audit", "int");
}

struct RushState {
  std::optional<BigInt> rusher_k;      // K of the rusher (round 1)
  std::optional<Scalar> victim_gamma;  // γ of the victim (its reveal)
  std::optional<round::Message> held;  // rusher's genuine reveal to kWitness
  bool injected = false;
};

TEST(AuditPresignReveal, RushingPartyCannotFrameHonestBob) {
  std::vector<std::shared_ptr<const KeyShare>> shares = DealKeyShares(2, 3, 21);
  const KeyShare& rusher = *shares[kRusher - 1];
  ASSERT_EQ(rusher.self, kRusher);
  const PaillierPrivateKey& sk = *rusher.paillier;
  auto st = std::make_shared<RushState>();

  // Rewrites the rusher's reveal once the victim's γ is known.
  auto forge = [&, st](round::Message msg) {
    v1::PresignReveal rev;
    EXPECT_TRUE(rev.ParseFromArray(msg.payload.data(),
                                   static_cast<int>(msg.payload.size())));
    DeterministicRandom rng(77);
    BigInt gamma_v = st->victim_gamma->ToBigInt();
    BigInt k = *sk.DecryptSigned(*st->rusher_k);
    for (int i = 0; i < rev.received_size(); ++i) {
      v1::ReceivedMtaResponse* e = rev.mutable_received(i);
      if (e->from() != kVictim) continue;
      BigInt d_real = Int(e->d_gamma());
      BigInt beta = *sk.DecryptSigned(d_real) - k * gamma_v;
      BigInt beta2 = beta + BigInt(1);  // matches the +1 on the broadcast δ
      BigInt r = BigInt::RandomUnit(sk.n(), rng);
      BigInt d2 = *sk.public_key().Add(
          *sk.public_key().MulScalar(*st->rusher_k, gamma_v),
          *sk.public_key().EncryptWithNonce(beta2, r));
      const Point y2 = Point::MulBase(Scalar::FromBigIntReduce(beta2));
      const Point victim_gamma_point = Point::MulBase(*st->victim_gamma);
      zk::PiAffGStatement aff{sk.public_key(),
                              rusher.ring_pedersen->params(),
                              *st->rusher_k,
                              d2,
                              Point::Generator(),
                              victim_gamma_point,
                              y2};
      ProofContext ctx;
      ctx.session_id = SessionId(300);
      ctx.protocol = kPresignProtocol;
      ctx.round = 2;
      ctx.prover = kVictim;
      ctx.verifier = kRusher;
      auto proof =
          zk::ProvePiAffG(aff, zk::PiAffGWitness{gamma_v, beta2, r}, ctx, rng);
      EXPECT_TRUE(proof.ok()) << proof.status();
      e->set_d_gamma(EncodeInt(d2));
      e->set_y_gamma(EncodePt(y2));
      e->set_pi_aff_gamma(SerializeEmbedded(zk::PiAffGProofToProto(*proof)));
    }
    std::string s = rev.SerializeAsString();
    msg.payload.assign(s.begin(), s.end());
    return msg;
  };

  PresignCheat cheat;
  cheat.wrong_delta = true;
  PresignRun run;
  run.shares = shares;
  run.signers = {1, 2, 3};
  run.session_tag = 300;
  run.cheats[kRusher] = cheat;
  run.hook = [st, forge](const round::Delivery& d) {
    std::vector<round::Delivery> out{d};
    const round::Message& m = d.message;
    if (m.from == kRusher && m.round == 1 && m.is_broadcast()) {
      v1::PresignRound1 pb;
      pb.ParseFromArray(m.payload.data(), static_cast<int>(m.payload.size()));
      st->rusher_k = Int(pb.cap_k());
    }
    if (m.from == kVictim && m.round == 5) {
      v1::PresignReveal pb;
      pb.ParseFromArray(m.payload.data(), static_cast<int>(m.payload.size()));
      st->victim_gamma = *DecodeSc(pb.gamma(), "audit", "gamma");
      if (st->held && !st->injected) {  // the rusher waited for this
        out.push_back(round::Delivery{kWitness, forge(*st->held)});
        st->injected = true;
      }
    }
    if (m.from == kRusher && m.round == 5 && d.recipient == kWitness) {
      if (!st->victim_gamma) {
        st->held = m;  // rush: hold until the victim's γ is public
        return std::vector<round::Delivery>{};
      }
      out[0].message = forge(m);
      st->injected = true;
    }
    return out;
  };
  RunResult r = RunPresign(run);
  ASSERT_TRUE(st->injected);
  auto it = r.aborts.find(kWitness);
  ASSERT_NE(it, r.aborts.end());
  // Correct behaviour: the honest victim is never named by an honest party;
  // the rusher is. Since gg20/presign/v4 the forged MtA(γ) entry does not
  // even verify: Bob's two responses are one Πaff-g pair, and the rusher,
  // who knows γ_1 now, cannot make the MtAwc part without w_1. (Had it a
  // valid entry, the digest it committed to in round 3 would name it:
  // RevealNotMatchingCommittedDigestNamesRevealer.)
  EXPECT_EQ(it->second.CulpritIds().count(kVictim), 0u)
      << it->second.ToString();
  EXPECT_EQ(it->second.CulpritIds(), std::set<PartyId>{kRusher})
      << it->second.ToString();
  ASSERT_FALSE(it->second.culprits.empty());
  EXPECT_THAT(
      it->second.culprits[0].reason,
      ::testing::HasSubstr("revealed MtA/MtAwc pair of 1 does not verify"));
  // The victim itself never names itself, and if it aborted, only the rusher.
  auto v = r.aborts.find(kVictim);
  if (v != r.aborts.end()) {
    EXPECT_EQ(v->second.CulpritIds().count(kVictim), 0u);
  }
}

// --------------------------------------------------- collusion (t >= 2)
// docs/AUDIT.md "Non-identifiable δ abort under collusion": Alice 1 gives
// Bob 2 the order of her ring-Pedersen group, so his Πaff-g towards her
// binds nothing about the size of his mask (PresignCheat::
// mta_gamma_half_mask_to): D carries "y/2", about N/2, so Alice's α wraps
// modulo her N, while Y = (y/2 mod q)·G stays what Bob's share β is made
// of. Alice accepts (accept_mta_from) and broadcasts her δ_1 (σ_1) with the
// wrapped α: Σ δ_j != k·γ (Σ S_j != Y') and a reveal runs. Every Πaff-g
// verifies against Alice's parameters, so a reveal that only re-checks
// those names nobody (gg20/presign/v1 aborted with an empty culprit list);
// the reveals' equations in the exponent name Alice, whose share is not
// k_1·x plus the shares Y binds. The honest party 3 names a colluder, and
// only colluders.
constexpr PartyId kColludingAlice = 1;
constexpr PartyId kColludingBob = 2;
constexpr PartyId kHonest = 3;

RunResult RunColludingPair(uint64_t tag, bool mtawc) {
  std::vector<std::shared_ptr<const KeyShare>> shares = DealKeyShares(2, 3, 21);
  const RingPedersenSecret& rp = *shares[kColludingAlice - 1]->ring_pedersen;
  const BigInt p_prime = (rp.p() - BigInt(1)).ShiftRight(1);
  const BigInt q_prime = (rp.q() - BigInt(1)).ShiftRight(1);
  PresignCheat bob;
  bob.mta_gamma_half_mask_to = kColludingAlice;
  bob.colluding_alice_rp_order = p_prime * q_prime;
  bob.mta_half_mask_w = mtawc;
  PresignCheat alice;
  alice.accept_mta_from = kColludingBob;
  PresignRun run;
  run.shares = shares;
  run.signers = {1, 2, 3};
  run.session_tag = tag;
  run.cheats[kColludingBob] = bob;
  run.cheats[kColludingAlice] = alice;
  return RunPresign(run);
}

// The honest party's abort: in round 5 (a reveal), naming only the
// colluding Alice, first reason `reason`.
void ExpectColludingAliceNamed(const RunResult& r, absl::string_view reason) {
  EXPECT_FALSE(r.all_done);
  auto it = r.aborts.find(kHonest);
  ASSERT_NE(it, r.aborts.end()) << "the honest party did not abort";
  const round::Abort& abort = it->second;
  EXPECT_EQ(abort.round, 5u) << abort.ToString();
  // Identifiable: somebody is named, and only colluders.
  ASSERT_FALSE(abort.culprits.empty()) << abort.ToString();
  for (PartyId c : abort.CulpritIds()) {
    EXPECT_TRUE(c == kColludingAlice || c == kColludingBob) << abort.ToString();
  }
  EXPECT_EQ(abort.CulpritIds(), std::set<PartyId>{kColludingAlice})
      << abort.ToString();
  EXPECT_THAT(abort.culprits[0].reason, ::testing::HasSubstr(reason))
      << abort.ToString();
}

TEST(AuditPresignReveal, ColludingPairsHalfMaskIsNamedByTheDeltaReveal) {
  ExpectColludingAliceNamed(RunColludingPair(360, /*mtawc=*/false),
                            "broadcast delta differs from its MtA values");
}

TEST(AuditPresignReveal, ColludingPairsHalfMaskOnMtawcIsNamedByTheSigmaReveal) {
  ExpectColludingAliceNamed(RunColludingPair(362, /*mtawc=*/true),
                            "sigma_i is not k_i*w_i plus its MtAwc shares");
}

// ------------------------------------------------- the round-3 digest check

constexpr PartyId kCheater = 2;

RunResult RunWithCheater(PresignCheat opts,
                         round::Simulator::DeliveryHook hook = nullptr) {
  static const auto* shares =
      new std::vector<std::shared_ptr<const KeyShare>>(DealKeyShares(2, 3, 21));
  PresignRun run;
  run.shares = *shares;
  run.signers = {1, 2, 3};
  run.session_tag = 300;
  run.cheats[kCheater] = std::move(opts);
  run.hook = std::move(hook);
  return RunPresign(run);
}

// Both honest parties abort naming the cheater alone, first reason `reason`.
void ExpectOnlyCheaterNamed(const RunResult& r, absl::string_view reason) {
  EXPECT_FALSE(r.all_done);
  for (PartyId h : {1u, 3u}) {
    auto it = r.aborts.find(h);
    ASSERT_NE(it, r.aborts.end()) << "party " << h << " did not abort";
    EXPECT_EQ(it->second.CulpritIds(), std::set<PartyId>{kCheater})
        << it->second.ToString();
    ASSERT_FALSE(it->second.culprits.empty());
    EXPECT_THAT(it->second.culprits[0].reason, ::testing::HasSubstr(reason))
        << it->second.ToString();
  }
}

TamperHook TamperRound3(std::function<void(v1::PresignRound3&)> f) {
  return [f](uint32_t round, uint32_t, google::protobuf::Message& m) {
    auto* pb = dynamic_cast<v1::PresignRound3*>(&m);
    if (round == 3 && pb != nullptr) f(*pb);
  };
}

TEST(AuditPresignReveal, RoundThreeDigestOfWrongSizeNamesSender) {
  PresignCheat o;
  o.tamper = TamperRound3([](v1::PresignRound3& m) {
    m.set_received_mta_digest(m.received_mta_digest().substr(0, 31));
  });
  ExpectOnlyCheaterNamed(RunWithCheater(o),
                         "received_mta_digest: expected 32 bytes, got 31");
}

TEST(AuditPresignReveal, RoundThreeDigestMissingNamesSender) {
  PresignCheat o;
  o.tamper =
      TamperRound3([](v1::PresignRound3& m) { m.clear_received_mta_digest(); });
  ExpectOnlyCheaterNamed(RunWithCheater(o),
                         "received_mta_digest: expected 32 bytes, got 0");
}

TEST(AuditPresignReveal, RevealNotMatchingCommittedDigestNamesRevealer) {
  // The cheater commits in round 3 to a digest other than that of what it
  // received, then reveals the genuine responses (each with a valid Πaff-g):
  // the reveal does not hash to its commitment and the cheater is named.
  PresignCheat o;
  o.wrong_delta = true;
  o.tamper = TamperRound3([](v1::PresignRound3& m) {
    std::string d = m.received_mta_digest();
    d[0] = static_cast<char>(d[0] ^ 1);
    m.set_received_mta_digest(d);
  });
  ExpectOnlyCheaterNamed(
      RunWithCheater(o),
      "revealed MtA responses do not match the round-3 received_mta_digest");
}

TEST(AuditPresignReveal, ForgedEntryCommittedBeforeGammaIsOpenFailsItsProof) {
  // Case (b) with the commitment honoured: the cheater commits in round 3 to
  // a misreported response from Bob 1 (D + 1, the proof it received) and
  // reveals exactly that. Without γ_1 (still secret in round 3) it cannot
  // make the proof match, so the reveal fails Πaff-g and the cheater alone
  // is named; Bob 1 is not.
  struct Seen {
    std::map<PartyId, ReceivedMtaEntry> to_cheater;
  };
  auto seen = std::make_shared<Seen>();
  auto forge = [](ReceivedMtaEntry e) {
    BigInt d = Int(e.d_gamma);
    e.d_gamma = EncodeInt(d + BigInt(1));
    return e;
  };
  PresignCheat o;
  o.wrong_delta = true;
  o.tamper = [seen, forge](uint32_t round, uint32_t,
                           google::protobuf::Message& m) {
    if (auto* r3 = dynamic_cast<v1::PresignRound3*>(&m);
        r3 != nullptr && round == 3) {
      ASSERT_EQ(seen->to_cheater.size(), 2u);
      std::vector<ReceivedMtaEntry> entries;
      for (const auto& [from, e] : seen->to_cheater) {
        entries.push_back(from == kVictim ? forge(e) : e);
      }
      std::array<uint8_t, 32> dg =
          ReceivedMtaDigest(SessionId(300), kCheater, entries);
      r3->set_received_mta_digest(std::string(dg.begin(), dg.end()));
    }
    if (auto* rev = dynamic_cast<v1::PresignReveal*>(&m);
        rev != nullptr && round == 5) {
      for (int i = 0; i < rev->received_size(); ++i) {
        if (rev->received(i).from() != kVictim) continue;
        ReceivedMtaEntry f = forge(seen->to_cheater.at(kVictim));
        rev->mutable_received(i)->set_d_gamma(f.d_gamma);
      }
    }
  };
  RunResult r = RunWithCheater(o, [seen](const round::Delivery& d) {
    const round::Message& m = d.message;
    if (m.round == 2 && !m.is_broadcast() && m.to == kCheater) {
      v1::PresignRound2Direct pb;
      EXPECT_TRUE(pb.ParseFromArray(m.payload.data(),
                                    static_cast<int>(m.payload.size())));
      seen->to_cheater[m.from] = ReceivedMtaEntry{
          m.from, pb.d_gamma(), pb.y_gamma(), pb.pi_aff_gamma()};
    }
    return std::vector<round::Delivery>{d};
  });
  ExpectOnlyCheaterNamed(r, "revealed MtA/MtAwc pair of 1 does not verify");
}

}  // namespace
}  // namespace nitro_tss::mpc::gg20::testing
