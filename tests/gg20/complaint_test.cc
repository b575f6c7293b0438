// Verifiable complaints about direct messages (issue 12, finding 1) and the
// session configuration binding (finding 5b).
//
// A cheater that sends a bad direct message to ONE victim only used to get
// the victim blamed: the victim aborted naming the cheater and went quiet,
// every other honest party moved on and, at the deadline, named the victim
// as silent. Now the victim broadcasts a complaint carrying the cheater's
// signed messages (and, where the check needed the victim's decryption, an
// opening), every other party re-runs the check and names the cheater; a
// forged complaint names the complainer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/keygen.h"
#include "mpc/gg20/presign.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"
#include "nitro_tss/mpc/v1/round.pb.h"
#include "tests/gg20/gg20_test_util.h"

namespace nitro_tss::mpc::gg20::testing {
namespace {

using ::testing::HasSubstr;

constexpr PartyId kVictim = 1;
constexpr PartyId kCheater = 2;
constexpr PartyId kBystander = 3;

// Applies `f` to the payload of type T that the cheater sends in message
// round `round` to `to` only.
template <typename T>
TamperHook TamperToward(uint32_t round, PartyId to, std::function<void(T&)> f) {
  return [round, to, f](uint32_t r, uint32_t recipient,
                        google::protobuf::Message& m) {
    if (r != round || recipient != to) return;
    T* typed = dynamic_cast<T*>(&m);
    if (typed != nullptr) f(*typed);
  };
}

// Every party in `honest` aborted naming exactly {culprit}, the first
// reason containing `reason`.
void ExpectNamedByAll(const RunResult& r, const std::set<PartyId>& honest,
                      PartyId culprit, absl::string_view reason) {
  EXPECT_FALSE(r.all_done);
  for (PartyId h : honest) {
    auto it = r.aborts.find(h);
    ASSERT_NE(it, r.aborts.end()) << "party " << h << " did not abort";
    EXPECT_EQ(it->second.CulpritIds(), std::set<PartyId>{culprit})
        << "party " << h << ": " << it->second.ToString();
    ASSERT_FALSE(it->second.culprits.empty());
    EXPECT_THAT(it->second.culprits[0].reason, HasSubstr(reason))
        << "party " << h << ": " << it->second.ToString();
  }
}

// Every culprit that each party in `honest` names carries `code` (issue 13).
void ExpectCodeByAll(const RunResult& r, const std::set<PartyId>& honest,
                     round::CulpritCode code) {
  for (PartyId h : honest) {
    auto it = r.aborts.find(h);
    ASSERT_NE(it, r.aborts.end()) << "party " << h << " did not abort";
    ASSERT_FALSE(it->second.culprits.empty());
    for (const round::Culprit& c : it->second.culprits) {
      EXPECT_EQ(c.code, code) << "party " << h << ": " << it->second.ToString();
    }
  }
}

// ------------------------------------------------------------------ keygen

KeygenRun KeygenWithCheater(uint64_t tag) {
  KeygenRun run;
  run.t = 1;
  run.n = 3;
  run.session_tag = tag;
  run.seed = tag;
  run.expire_stalled = true;  // a stalled party expires as at a deadline
  return run;
}

TEST(DirectComplaint, KeygenVssShareTamperedTowardOnePartyNamesTheDealer) {
  KeygenRun run = KeygenWithCheater(7001);
  run.cheats[kCheater].tamper =
      TamperToward<v1::KeygenShare>(2, kVictim, [](v1::KeygenShare& m) {
        absl::StatusOr<Scalar> s = DecodeSc(m.share(), "t", "share");
        ASSERT_TRUE(s.ok());
        m.set_share(EncodeSc(*s + Scalar::One()));
      });
  RunResult r = RunKeygen(run);
  ExpectNamedByAll(r, {kVictim, kBystander}, kCheater,
                   "does not match the commitments");
  EXPECT_THAT(r.aborts.at(kBystander).culprits[0].reason,
              HasSubstr("complaint of party 1 upheld"));
  ExpectCodeByAll(r, {kVictim, kBystander}, round::CulpritCode::kBadShare);
}

TEST(DirectComplaint, KeygenUndecodableShareTowardOnePartyNamesTheDealer) {
  KeygenRun run = KeygenWithCheater(7002);
  run.cheats[kCheater].tamper = TamperToward<v1::KeygenShare>(
      2, kVictim, [](v1::KeygenShare& m) { m.set_share(std::string(31, 1)); });
  ExpectNamedByAll(RunKeygen(run), {kVictim, kBystander}, kCheater, "share");
}

// ----------------------------------------------------------------- presign

class PresignComplaint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shares_ = new std::vector<std::shared_ptr<const KeyShare>>(
        DealKeyShares(2, 3, 21));
  }
  PresignRun Base(uint64_t tag) {
    PresignRun run;
    run.shares = *shares_;
    run.signers = {1, 2, 3};
    run.session_tag = tag;
    run.expire_stalled = true;
    return run;
  }
  static std::vector<std::shared_ptr<const KeyShare>>* shares_;
};
std::vector<std::shared_ptr<const KeyShare>>* PresignComplaint::shares_;

TEST_F(PresignComplaint, PiEncTamperedTowardOnePartyNamesTheProver) {
  PresignRun run = Base(7101);
  run.cheats[kCheater].tamper = TamperToward<v1::PresignRound1Direct>(
      1, kVictim, [](v1::PresignRound1Direct& m) {
        v1::PiEncProof p;
        ASSERT_TRUE(p.ParseFromString(m.pi_enc()));
        auto z3 = DecodeInt(p.z3(), 1024, "t", "z3");
        ASSERT_TRUE(z3.ok());
        p.set_z3(EncodeInt(*z3 + BigInt(1)));
        m.set_pi_enc(p.SerializeAsString());
      });
  RunResult r = RunPresign(run);
  ExpectNamedByAll(r, {kVictim, kBystander}, kCheater, "pi_enc:");
  EXPECT_THAT(r.aborts.at(kBystander).culprits[0].reason,
              HasSubstr("complaint of party 1 upheld"));
  ExpectCodeByAll(r, {kVictim, kBystander}, round::CulpritCode::kBadProof);
}

TEST_F(PresignComplaint, UndecodablePiEncTowardOnePartyNamesTheProver) {
  PresignRun run = Base(7102);
  run.cheats[kCheater].tamper = TamperToward<v1::PresignRound1Direct>(
      1, kVictim, [](v1::PresignRound1Direct& m) { m.set_pi_enc("junk"); });
  ExpectNamedByAll(RunPresign(run), {kVictim, kBystander}, kCheater, "pi_enc");
}

TEST_F(PresignComplaint, PiAffGTamperedTowardOnePartyNamesBob) {
  PresignRun run = Base(7103);
  run.cheats[kCheater].tamper = TamperToward<v1::PresignRound2Direct>(
      2, kVictim, [](v1::PresignRound2Direct& m) {
        auto d = DecodeInt(m.d_w(), 512, "t", "d");
        ASSERT_TRUE(d.ok());
        m.set_d_w(EncodeInt(*d + BigInt(1)));
      });
  ExpectNamedByAll(RunPresign(run), {kVictim, kBystander}, kCheater,
                   "mta pair: pi_aff_g pair: N0 equation failed");
}

TEST_F(PresignComplaint, PairSecondPartWithAAndWTowardOnePartyNamesBob) {
  // The MtAwc part of Bob's Πaff-g pair carries A and w towards party 1
  // only: its decoder refuses it, and the judge (the same decoder) upholds
  // the complaint.
  PresignRun run = Base(7106);
  run.cheats[kCheater].tamper = TamperToward<v1::PresignRound2Direct>(
      2, kVictim, CopyPairAAndWIntoSecondPart);
  ExpectNamedByAll(RunPresign(run), {kVictim, kBystander}, kCheater,
                   "A and w must be absent in a pair's second part");
}

TEST_F(PresignComplaint, OutOfRangeMtaValueTowardOnePartyNamesBob) {
  // Alpha-Rays towards party 1 only: Bob's mask beyond ±2^ℓ' with the
  // unchecked prover (drawn until its z2 is past the bound, so that every
  // run tests it); Πaff-g's exact range check is what rejects it.
  PresignRun run = Base(7104);
  run.cheats[kCheater].mta_beta_extra_bits = 260;
  run.cheats[kCheater].mta_beta_until_out_of_range = true;
  run.cheats[kCheater].mta_beta_extra_bits_only_to = kVictim;
  ExpectNamedByAll(RunPresign(run), {kVictim, kBystander}, kCheater,
                   "pi_aff_g: z2 out of range");
}

TEST_F(PresignComplaint, MtawcPartProvenForGammaTowardOnePartyNamesBob) {
  // Bob's MtAwc part made for γ_i while its statement names W_i, towards
  // party 1 only (the bystander gets an honest pair): every equation holds
  // but that part's group x equation; the victim's complaint is upheld by
  // every honest party, and none names the victim.
  PresignRun run = Base(7107);
  run.cheats[kCheater].mta_w_part_for_gamma = true;
  run.cheats[kCheater].mta_pair_cheat_only_to = kVictim;
  RunResult r = RunPresign(run);
  ExpectNamedByAll(r, {kVictim, kBystander}, kCheater,
                   "mta w: pi_aff_g: group equation failed");
  // The bystander got an honest pair: it names Bob through the complaint.
  EXPECT_THAT(r.aborts.at(kBystander).culprits[0].reason,
              HasSubstr("complaint of party 1 upheld"));
}

TEST_F(PresignComplaint, LogRpTamperedTowardOnePartyNamesTheProver) {
  PresignRun run = Base(7105);
  run.cheats[kCheater].tamper = TamperToward<v1::PresignRound4Direct>(
      4, kVictim, [](v1::PresignRound4Direct& m) {
        v1::PiLogRpProof p;
        ASSERT_TRUE(p.ParseFromString(m.pi_log_rp()));
        auto z3 = DecodeInt(p.z3(), 1024, "t", "z3");
        ASSERT_TRUE(z3.ok());
        p.set_z3(EncodeInt(*z3 + BigInt(1)));
        m.set_pi_log_rp(p.SerializeAsString());
      });
  ExpectNamedByAll(RunPresign(run), {kVictim, kBystander}, kCheater,
                   "pi_log_rp:");
}

// ------------------------------------------------------- forged complaints

// Party 1's signed complaint about `accused`, built as the engine would.
round::Message ForgedComplaint(const std::vector<uint8_t>& session_id,
                               const std::string& protocol, uint32_t round,
                               const std::vector<uint8_t>& config_digest,
                               PartyId accused,
                               const std::vector<round::Message>& directs,
                               const std::optional<round::Message>& broadcast,
                               const std::string& evidence) {
  v1::Complaint pb;
  pb.set_accused(accused);
  for (const round::Message& d : directs) {
    std::vector<uint8_t> enc = round::EncodeMessage(d);
    pb.add_directs(enc.data(), enc.size());
  }
  if (broadcast) {
    std::vector<uint8_t> enc = round::EncodeMessage(*broadcast);
    pb.set_broadcast(enc.data(), enc.size());
  }
  pb.set_evidence(evidence);
  std::string bytes = pb.SerializeAsString();
  round::Message m;
  m.session_id = session_id;
  m.protocol = protocol;
  m.round = round;
  m.from = kVictim;
  m.complaint = true;
  m.config_digest = config_digest;
  m.payload.assign(bytes.begin(), bytes.end());
  round::IdentitySignature sig =
      TestIdentity(kVictim)->Sign(round::SignedBytes(m));
  m.signature.assign(sig.begin(), sig.end());
  return m;
}

// A hook that, when party 2's honest round-`round` direct message to party
// 1 passes, lets `mutate` change the captured copy and injects party 1's
// complaint about it to parties 2 and 3.
round::Simulator::DeliveryHook InjectComplaint(
    uint32_t round, std::function<void(round::Message&)> mutate,
    std::string evidence = "") {
  auto directs = std::make_shared<std::vector<round::Message>>();
  auto broadcast = std::make_shared<std::optional<round::Message>>();
  return [=](const round::Delivery& d) {
    std::vector<round::Delivery> out{d};
    const round::Message& m = d.message;
    if (m.from == kCheater && d.recipient == kVictim && m.is_broadcast() &&
        m.round == round) {
      *broadcast = m;
    }
    if (m.from == kCheater && d.recipient == kVictim && !m.is_broadcast() &&
        !m.complaint) {
      directs->push_back(m);
      if (m.round == round) {
        std::vector<round::Message> shown = *directs;
        mutate(shown.back());
        round::Message c =
            ForgedComplaint(m.session_id, m.protocol, round, m.config_digest,
                            kCheater, shown, *broadcast, evidence);
        out.push_back(round::Delivery{kCheater, c});
        out.push_back(round::Delivery{kBystander, c});
      }
    }
    return out;
  };
}

TEST_F(PresignComplaint, ForgedComplaintAgainstHonestProverNamesComplainer) {
  // The honest Πenc of party 2, shown as it is: it verifies.
  PresignRun run = Base(7201);
  run.hook = InjectComplaint(1, [](round::Message&) {});
  RunResult r = RunPresign(run);
  ExpectNamedByAll(r, {kCheater, kBystander}, kVictim,
                   "false complaint against party 2: pi_enc verifies");
  ExpectCodeByAll(r, {kCheater, kBystander},
                  round::CulpritCode::kFalseComplaint);
}

// The reveal rounds have no direct messages (since gg20/presign/v3: no
// proof in them is made for one verifier), so no complaint about them can
// carry one the accused signed; a direct message the cheater sends in a
// reveal round anyway is refused by its recipient, naming the sender.
TEST_F(PresignComplaint, DirectMessageInARevealRoundNamesTheSender) {
  PresignRun run = Base(7206);
  run.cheats[kCheater].wrong_sigma = true;
  run.hook = [](const round::Delivery& d) {
    std::vector<round::Delivery> out{d};
    const round::Message& m = d.message;
    if (m.from == kCheater && m.round == 5 && m.is_broadcast() &&
        d.recipient == kVictim) {
      round::Message direct = m;
      direct.to = kVictim;
      out.insert(out.begin(), round::Delivery{kVictim, direct});
    }
    return out;
  };
  RunResult r = RunPresign(run);
  EXPECT_FALSE(r.all_done);
  const round::Abort& a = r.aborts.at(kVictim);
  EXPECT_EQ(a.CulpritIds(), std::set<PartyId>{kCheater}) << a.ToString();
  ASSERT_FALSE(a.culprits.empty());
  EXPECT_THAT(a.culprits[0].reason,
              ::testing::HasSubstr("unexpected direct message in round 5"));
}

TEST_F(PresignComplaint, ComplaintWithAlteredMessageNamesComplainer) {
  // Party 1 alters what party 2 sent: the signature no longer verifies.
  PresignRun run = Base(7202);
  run.hook = InjectComplaint(1, [](round::Message& m) { m.payload[5] ^= 1; });
  ExpectNamedByAll(RunPresign(run), {kCheater, kBystander}, kVictim,
                   "did not sign");
}

TEST_F(PresignComplaint, ForgedMtaResponseComplaintNamesComplainer) {
  PresignRun run = Base(7203);
  run.hook = InjectComplaint(2, [](round::Message&) {});
  ExpectNamedByAll(RunPresign(run), {kCheater, kBystander}, kVictim,
                   "false complaint against party 2: both");
}

TEST_F(PresignComplaint, ForgedAlphaOpeningNamesComplainer) {
  // Party 1 claims D_w decrypts out of range with an opening that does not
  // open D_w.
  v1::PresignMtaOpening opening;
  opening.set_which(2);
  opening.set_plaintext(EncodeInt(BigInt::PowerOfTwo(1800)));
  opening.set_nonce(EncodeInt(BigInt(3)));
  PresignRun run = Base(7204);
  run.hook = InjectComplaint(
      2, [](round::Message&) {}, opening.SerializeAsString());
  ExpectNamedByAll(RunPresign(run), {kCheater, kBystander}, kVictim,
                   "the opening does not match D");
}

TEST(DirectComplaint, ForgedVssComplaintNamesComplainer) {
  KeygenRun run = KeygenWithCheater(7205);
  run.hook = InjectComplaint(2, [](round::Message&) {});
  ExpectNamedByAll(RunKeygen(run), {kCheater, kBystander}, kVictim,
                   "revealed share matches");
}

// ------------------------------------------- review of the complaint design

TEST(DirectComplaint, UnsignedBroadcastIsRefusedSoNoComplaintCarriesOne) {
  // A complaint carries the accused's broadcast of the round; if an unsigned
  // broadcast were accepted, a dealer could broadcast one (the same bytes to
  // everyone) and send a bad share to party 1 only: party 1's complaint
  // would carry the unsigned broadcast and be judged false, framing party 1.
  // So every envelope, broadcast too, is refused without a valid signature
  // (no blame: a relay cannot sign), and the dealer is named silent.
  KeygenRun run = KeygenWithCheater(7501);
  run.resign_tampered = false;
  run.hook = [](const round::Delivery& d) {
    std::vector<round::Delivery> out{d};
    if (d.message.from == kCheater && d.message.round == 2 &&
        d.message.is_broadcast()) {
      out[0].message.signature.clear();
    }
    return out;
  };
  RunResult r = RunKeygen(run);
  ExpectNamedByAll(r, {kVictim, kBystander}, kCheater, "no round-2");
  size_t refused = 0;
  for (const absl::Status& st : r.refusals) {
    if (absl::IsUnauthenticated(st) &&
        absl::StrContains(st.message(), "broadcast message without a valid")) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, 2u);  // at party 1 and at party 3
}

TEST_F(PresignComplaint, AccusedWhoseEchoDiffersIsOnlyASuspect) {
  // Party 1 shows party 3 another round-1 broadcast than party 2 saw, holds
  // back its and party 2's round-2 messages to party 3 (the relay may
  // reorder; otherwise the echo in them exposes party 1 at once) and
  // complains about party 2's round-2 response. Party 3 judges with its own
  // copy of round 1, which party 2 never saw: it must not convict party 2
  // alone. Both are suspects.
  PresignRun run = Base(7502);
  round::Simulator::DeliveryHook complain =
      InjectComplaint(2, [](round::Message&) {});
  run.hook = [complain](const round::Delivery& d) {
    const round::Message& m = d.message;
    if ((m.from == kCheater || m.from == kVictim) &&
        d.recipient == kBystander && m.round == 2 && !m.complaint) {
      return std::vector<round::Delivery>{};  // held back
    }
    std::vector<round::Delivery> out = complain(d);
    for (round::Delivery& x : out) {
      if (x.message.from == kVictim && x.recipient == kBystander &&
          x.message.round == 1 && x.message.is_broadcast()) {
        v1::PresignRound1 pb;
        EXPECT_TRUE(
            pb.ParseFromArray(x.message.payload.data(),
                              static_cast<int>(x.message.payload.size())));
        std::string c = pb.gamma_commitment();
        c[0] ^= 1;
        pb.set_gamma_commitment(c);
        std::string bytes = pb.SerializeAsString();
        x.message.payload.assign(bytes.begin(), bytes.end());
      }
    }
    return out;
  };
  RunResult r = RunPresign(run);
  ASSERT_TRUE(r.aborts.count(kBystander));
  const round::Abort& a = r.aborts.at(kBystander);
  EXPECT_EQ(a.CulpritIds(), (std::set<PartyId>{kVictim, kCheater}))
      << a.ToString();
  EXPECT_THAT(a.culprits[0].reason, HasSubstr("suspect"));
}

TEST_F(PresignComplaint, ForgedLogRpComplaintNamesComplainerAlsoAtTheAccused) {
  // The accused judges a complaint about its own last-round message after
  // its secrets are wiped: it uses the R̄ it broadcast, not k.
  PresignRun run = Base(7503);
  run.hook = InjectComplaint(4, [](round::Message&) {});
  ExpectNamedByAll(RunPresign(run), {kCheater, kBystander}, kVictim,
                   "pi_log_rp verifies");
}

TEST_F(PresignComplaint, ComplaintPendingWhenTheLastRoundCompletesIsJudged) {
  // Party 1 complains as soon as party 2's undecodable round-4 proof
  // arrives; party 3 is held one round behind (party 2's round-3 broadcast to
  // it is released only after the complaint): the complaint waits, then
  // party 3 finishes the protocol and must still judge it.
  PresignRun run = Base(7504);
  run.cheats[kCheater].tamper = TamperToward<v1::PresignRound4Direct>(
      4, kVictim, [](v1::PresignRound4Direct& m) { m.set_pi_log_rp("junk"); });
  auto held = std::make_shared<std::optional<round::Delivery>>();
  run.hook = [held](const round::Delivery& d) {
    const round::Message& m = d.message;
    if (m.from == kCheater && d.recipient == kBystander && m.round == 3 &&
        m.is_broadcast()) {
      *held = d;
      return std::vector<round::Delivery>{};
    }
    std::vector<round::Delivery> out{d};
    if (m.complaint && m.from == kVictim && d.recipient == kBystander &&
        held->has_value()) {
      out.push_back(**held);
      held->reset();
    }
    return out;
  };
  ExpectNamedByAll(RunPresign(run), {kVictim, kBystander}, kCheater,
                   "pi_log_rp:");
}

TEST_F(PresignComplaint,
       SignedMessageUnderAnotherConfigurationLaterIsEquivocation) {
  // Party 2's round-1 messages carried the agreed configuration; its round-2
  // broadcast to party 3 claims another one (signed): that is equivocation,
  // not a relay's misconfiguration.
  PresignRun run = Base(7505);
  run.hook = [](const round::Delivery& d) {
    std::vector<round::Delivery> out{d};
    if (d.message.from == kCheater && d.recipient == kBystander &&
        d.message.round == 2 && d.message.is_broadcast()) {
      out[0].message.config_digest[0] ^= 1;
    }
    return out;
  };
  RunResult r = RunPresign(run);
  ASSERT_TRUE(r.aborts.count(kBystander));
  ASSERT_FALSE(r.aborts.at(kBystander).culprits.empty());
  EXPECT_EQ(r.aborts.at(kBystander).CulpritIds(), std::set<PartyId>{kCheater});
  EXPECT_THAT(r.aborts.at(kBystander).culprits[0].reason,
              HasSubstr("two configurations"));
}

// ---------------------------------------------- signatures and config (5b)

TEST_F(PresignComplaint, UnsignedDirectMessageIsRefusedNotBlamed) {
  // A relay that alters a direct message cannot re-sign it: the recipient
  // refuses it (no abort, no culprit) and the round stalls to its deadline.
  PresignRun run = Base(7301);
  run.expire_stalled = false;
  run.resign_tampered = false;
  run.hook = [](const round::Delivery& d) {
    std::vector<round::Delivery> out{d};
    if (d.message.from == kCheater && d.recipient == kVictim &&
        d.message.round == 1 && !d.message.is_broadcast()) {
      out[0].message.payload.push_back(0);
    }
    return out;
  };
  RunResult r = RunPresign(run);
  EXPECT_FALSE(r.all_done);
  EXPECT_TRUE(r.aborts.empty());
  bool refused = false;
  for (const absl::Status& st : r.refusals) {
    refused |= absl::IsUnauthenticated(st) &&
               absl::StrContains(st.message(), "identity signature");
  }
  EXPECT_TRUE(refused);
}

TEST(ConfigBinding, PartyGivenAnotherThresholdAbortsNamingNoOne) {
  // A relay starts party 3's DKG with t = 2 while 1 and 2 use t = 1. Before
  // the binding, party 3 named an honest party ("expected exactly 3
  // commitments, got 2"); now everyone sees another configuration.
  KeygenRun run;
  run.t = 1;
  run.n = 3;
  run.session_tag = 7401;
  run.seed = 7401;
  run.threshold_of[kBystander] = 2;
  RunResult r = RunKeygen(run);
  EXPECT_FALSE(r.all_done);
  for (PartyId p : {1u, 2u, 3u}) {
    auto it = r.aborts.find(p);
    ASSERT_NE(it, r.aborts.end()) << "party " << p;
    EXPECT_TRUE(it->second.culprits.empty()) << it->second.ToString();
    EXPECT_THAT(it->second.cause, HasSubstr("another configuration"));
  }
}

TEST_F(PresignComplaint, SignerWithAnotherTweakAbortsNamingNoOne) {
  DeterministicRandom rng(5);
  std::map<PartyId, std::unique_ptr<round::Session>> sessions;
  for (PartyId id : {1u, 2u, 3u}) {
    PresignConfig cfg;
    cfg.session_id = SessionId(7402);
    cfg.key_share = (*shares_)[id - 1];
    cfg.signers = {1, 2, 3};
    cfg.identity = TestIdentity(id);
    if (id == kBystander) cfg.tweak = Scalar::One();
    auto s = NewPresignSession(cfg, rng);
    ASSERT_TRUE(s.ok()) << s.status();
    sessions[id] = *std::move(s);
  }
  RunResult r = Drive(std::move(sessions), nullptr);
  for (PartyId p : {1u, 2u, 3u}) {
    auto it = r.aborts.find(p);
    ASSERT_NE(it, r.aborts.end()) << "party " << p;
    EXPECT_TRUE(it->second.culprits.empty()) << it->second.ToString();
  }
}

TEST_F(PresignComplaint, IdentityNotBoundByTheKeyShareIsRefused) {
  // After a restart an enclave with another identity key cannot sign for
  // the party id the key share binds to the old one.
  DeterministicRandom rng(6);
  PresignConfig cfg;
  cfg.session_id = SessionId(7403);
  cfg.key_share = (*shares_)[0];
  cfg.signers = {1, 2, 3};
  cfg.identity = TestIdentity(9);
  EXPECT_THAT(NewPresignSession(cfg, rng).status().message(),
              HasSubstr("not the one the key share binds"));
}

TEST(ConfigBinding, KeygenRefusesDuplicateOrMismatchedIdentityKeys) {
  DeterministicRandom rng(1);
  KeygenConfig cfg;
  cfg.session_id = SessionId(1);
  cfg.self = 1;
  cfg.parties = {1, 2, 3};
  cfg.threshold = 1;
  cfg.material = FixtureMaterial(0);
  cfg.identity = TestIdentity(1);
  cfg.identity_keys = TestIdentityKeys({1, 2, 3});
  cfg.identity_keys[3] = cfg.identity_keys[2];
  EXPECT_THAT(NewKeygenSession(cfg, rng).status().message(),
              HasSubstr("identity key of another party"));
  cfg.identity_keys = TestIdentityKeys({1, 2, 3});
  cfg.identity = TestIdentity(2);
  EXPECT_THAT(NewKeygenSession(cfg, rng).status().message(),
              HasSubstr("not this party's identity key"));
  cfg.identity = nullptr;
  EXPECT_THAT(NewKeygenSession(cfg, rng).status().message(),
              HasSubstr("identity key missing"));
}

}  // namespace
}  // namespace nitro_tss::mpc::gg20::testing
