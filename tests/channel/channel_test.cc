// End-to-end tests of the attested handshake and the secure session, with
// real simulated NSMs (DevCa-signed Nitro documents) and the real verifier.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "mpc/round/identity.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/errors.h"
#include "node/attestation/measurement.h"
#include "node/attestation/simulated_nsm.h"
#include "node/channel/attested.h"
#include "node/channel/errors.h"
#include "node/channel/handshake.h"
#include "node/channel/session.h"
#include "node/channel/wire.h"
#include "node/eif/eif.h"
#include "node/kms/recipient_key.h"
#include "node/kms/sealed_share.h"
#include "tests/kms/fake_kms.h"

namespace nitro_tss::channel {
namespace {

namespace att = ::nitro_tss::attestation;
using ::testing::HasSubstr;

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

att::EnclaveImageParts ImageParts(const std::string& app) {
  att::EnclaveImageParts parts;
  parts.kernel = Bytes("nitro-tss test kernel");
  parts.cmdline = Bytes("console=ttyS0 reboot=k");
  parts.ramdisks = {Bytes("bootstrap ramdisk"), Bytes(app)};
  return parts;
}

// The production policy pins PCR0/1/2 as `tssctl eif pcrs` reports them for
// the image (computed by node/eif from an EIF, independently of the
// simulated NSM's own measurement code).
att::AttestationPolicy ProductionPolicy(const att::EnclaveImageParts& parts) {
  eif::EifBuildSpec spec;
  spec.kernel.assign(parts.kernel.begin(), parts.kernel.end());
  spec.cmdline.assign(parts.cmdline.begin(), parts.cmdline.end());
  for (const auto& r : parts.ramdisks)
    spec.ramdisks.emplace_back(r.begin(), r.end());
  absl::StatusOr<eif::EifImage> image = eif::ParseEif(*eif::BuildEif(spec));
  EXPECT_TRUE(image.ok());
  absl::StatusOr<eif::EifPcrs> pcrs = eif::ComputeEifPcrs(*image);
  EXPECT_TRUE(pcrs.ok());
  att::AttestationPolicy policy;
  policy.expected_pcrs[0].assign(pcrs->pcr0.begin(), pcrs->pcr0.end());
  policy.expected_pcrs[1].assign(pcrs->pcr1.begin(), pcrs->pcr1.end());
  policy.expected_pcrs[2].assign(pcrs->pcr2.begin(), pcrs->pcr2.end());
  policy.allow_debug = false;
  policy.max_age_ms = 5 * 60 * 1000;
  return policy;
}

const std::string kGoodApp = "nitro-tss enclave application v1";

class ChannelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<att::DevCa> ca = att::DevCa::Generate(att::WallClockMs());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = new att::DevCa(*std::move(ca));
  }
  static void TearDownTestSuite() {
    delete ca_;
    ca_ = nullptr;
  }

 public:
  struct Party {
    uint32_t id = 0;
    std::unique_ptr<ChannelIdentity> identity;
    std::unique_ptr<mpc::round::PartyIdentityKey> party_identity;
    std::string instance_id;
    std::unique_ptr<att::SimulatedNsm> nsm;
    std::unique_ptr<Handshake> handshake;
    std::unique_ptr<SecureSession> session;
  };

 protected:
  std::unique_ptr<att::SimulatedNsm> BootNsm(
      const std::string& app, bool debug = false,
      const std::string& instance_id = "i-0123456789abcdef0",
      std::optional<std::string> iam_role = std::nullopt) {
    att::SimulatedNsmConfig config;
    config.image = ImageParts(app);
    config.debug_mode = debug;
    config.instance_id = instance_id;
    config.iam_role_arn = std::move(iam_role);
    absl::StatusOr<std::unique_ptr<att::SimulatedNsm>> nsm =
        att::SimulatedNsm::Boot(*ca_, std::move(config));
    EXPECT_TRUE(nsm.ok()) << nsm.status();
    return *std::move(nsm);
  }

  // Boots n parties (ids 1..n); party i runs `apps[i-1]` (default: the good
  // image), in debug mode if listed in `debug`.
  std::vector<Party> MakeParties(int n,
                                 std::map<uint32_t, std::string> apps = {},
                                 std::set<uint32_t> debug = {}) {
    std::vector<Party> parties(n);
    for (int i = 0; i < n; ++i) {
      Party& p = parties[i];
      p.id = i + 1;
      p.identity = *ChannelIdentity::Generate();
      p.party_identity = *mpc::round::PartyIdentityKey::Generate();
      p.instance_id = InstanceId(p.id);
      const std::string app = apps.count(p.id) ? apps[p.id] : kGoodApp;
      p.nsm = BootNsm(app, debug.count(p.id) != 0, p.instance_id);
    }
    return parties;
  }

  // Party k's parent instance: distinct per party, so PCR4 differs.
  static std::string InstanceId(uint32_t party) {
    return absl::StrFormat("i-%017u", party);
  }

  void StartAll(std::vector<Party>& parties, const std::string& session_id,
                const att::AttestationPolicy& policy,
                const std::map<uint32_t, PeerExpectation>& peers = {}) {
    std::vector<uint32_t> ids;
    for (const Party& p : parties) ids.push_back(p.id);
    for (Party& p : parties) {
      StartOne(p, ids, session_id, policy, peers, p.party_identity.get());
    }
  }

  // Starts `p`'s handshake, proving `party_identity` (normally its own).
  void StartOne(Party& p, const std::vector<uint32_t>& ids,
                const std::string& session_id,
                const att::AttestationPolicy& policy,
                const std::map<uint32_t, PeerExpectation>& peers,
                const mpc::round::PartyIdentityKey* party_identity) {
    HandshakeConfig config;
    config.session_id = session_id;
    config.self_id = p.id;
    config.party_ids = ids;
    config.attest = MakeNsmAttester(*p.nsm);
    absl::StatusOr<VerifyFunction> verify =
        MakePolicyVerifier(ca_->RootDer(), policy, att::WallClockMs);
    ASSERT_TRUE(verify.ok()) << verify.status();
    config.verify = *std::move(verify);
    config.party_identity = party_identity;
    config.peers = peers;
    absl::StatusOr<std::unique_ptr<Handshake>> h =
        Handshake::Start(*p.identity, std::move(config));
    ASSERT_TRUE(h.ok()) << h.status();
    p.handshake = *std::move(h);
  }

  void ExchangeHellos(std::vector<Party>& parties) {
    for (Party& to : parties) {
      for (Party& from : parties) {
        if (to.id == from.id) continue;
        ASSERT_TRUE(to.handshake->AddHello(from.handshake->hello()).ok());
      }
      ASSERT_TRUE(to.handshake->has_all_hellos());
    }
  }

  // Returns each party's HandshakeAttestation message by id.
  std::map<uint32_t, std::string> MakeAttestations(
      std::vector<Party>& parties) {
    std::map<uint32_t, std::string> out;
    for (Party& p : parties) {
      absl::StatusOr<std::string> msg = p.handshake->MakeAttestation();
      EXPECT_TRUE(msg.ok()) << msg.status();
      out[p.id] = *msg;
    }
    return out;
  }

  // Full honest handshake; returns the parties with sessions established.
  std::vector<Party> Establish(int n, const std::string& session_id) {
    std::vector<Party> parties = MakeParties(n);
    StartAll(parties, session_id, ProductionPolicy(ImageParts(kGoodApp)));
    ExchangeHellos(parties);
    std::map<uint32_t, std::string> atts = MakeAttestations(parties);
    for (Party& to : parties) {
      for (auto& [from, msg] : atts) {
        if (from == to.id) continue;
        absl::Status s = to.handshake->AddAttestation(msg);
        EXPECT_TRUE(s.ok()) << s;
      }
      absl::StatusOr<std::unique_ptr<SecureSession>> session =
          to.handshake->Finish();
      EXPECT_TRUE(session.ok()) << session.status();
      if (session.ok()) to.session = *std::move(session);
    }
    return parties;
  }

  static att::DevCa* ca_;
};

att::DevCa* ChannelTest::ca_ = nullptr;

void ExpectChannelError(const absl::Status& status, ChannelError error) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(GetChannelError(status), error)
      << status << " (expected " << ChannelErrorName(error) << ")";
}

template <typename T>
void ExpectChannelError(const absl::StatusOr<T>& result, ChannelError error) {
  ExpectChannelError(result.status(), error);
}

void ExpectRejectedAttestation(const absl::Status& status,
                               att::VerifyError why) {
  ExpectChannelError(status, ChannelError::kAttestationRejected);
  EXPECT_EQ(att::GetVerifyError(status), why)
      << status << " (expected " << att::VerifyErrorName(why) << ")";
}

// Re-encodes an envelope after `edit` (a relay rewriting header fields).
std::string Rewrite(const std::string& envelope,
                    const std::function<void(v1::Envelope&)>& edit) {
  v1::Envelope e;
  EXPECT_TRUE(e.ParseFromString(envelope));
  edit(e);
  return EncodeCanonical(e);
}

TEST_F(ChannelTest, HonestThreePartiesAgreeAndExchangeMessages) {
  std::vector<Party> p = Establish(3, "session-honest");
  for (const Party& party : p) ASSERT_NE(party.session, nullptr);
  EXPECT_EQ(p[0].session->session_nonce(), p[1].session->session_nonce());
  EXPECT_EQ(p[0].session->session_nonce(), p[2].session->session_nonce());
  EXPECT_EQ(p[0].session->peers(), (std::vector<uint32_t>{2, 3}));
  ASSERT_NE(p[0].session->peer(2), nullptr);
  EXPECT_EQ(p[0].session->peer(2)->module_id, p[1].nsm->module_id());
  EXPECT_EQ(p[0].session->peer(2)->kx_public_key,
            p[1].identity->kx_public_key());
  EXPECT_EQ(p[2].session->peer(1)->signing_public_key,
            p[0].identity->signing_public_key());

  // Every ordered pair, two rounds each.
  for (uint32_t round = 1; round <= 2; ++round) {
    for (Party& from : p) {
      for (Party& to : p) {
        if (from.id == to.id) continue;
        const std::string payload = "round " + std::to_string(round) +
                                    " from " + std::to_string(from.id) +
                                    " to " + std::to_string(to.id);
        absl::StatusOr<std::string> env =
            from.session->SealDirect(to.id, round, payload);
        ASSERT_TRUE(env.ok()) << env.status();
        EXPECT_EQ(env->find(payload), std::string::npos)
            << "payload must not travel in the clear";
        absl::StatusOr<ReceivedMessage> got = to.session->Open(*env);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_FALSE(got->broadcast);
        EXPECT_EQ(got->sender, from.id);
        EXPECT_EQ(got->round, round);
        EXPECT_EQ(got->payload, payload);
      }
    }
    for (Party& from : p) {
      const std::string payload = "broadcast " + std::to_string(round);
      absl::StatusOr<std::string> env =
          from.session->SignBroadcast(round, payload);
      ASSERT_TRUE(env.ok()) << env.status();
      for (Party& to : p) {
        if (from.id == to.id) continue;
        absl::StatusOr<ReceivedMessage> got = to.session->Open(*env);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_TRUE(got->broadcast);
        EXPECT_EQ(got->sender, from.id);
        EXPECT_EQ(got->payload, payload);
      }
    }
  }
  // Empty payloads work too.
  absl::StatusOr<std::string> empty = p[0].session->SealDirect(3, 9, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(p[2].session->Open(*empty)->payload, "");
}

TEST_F(ChannelTest, PeerWithWrongPcr0IsRefused) {
  std::vector<Party> p = MakeParties(3, {{3, "tampered application"}});
  StartAll(p, "session-pcr", ProductionPolicy(ImageParts(kGoodApp)));
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  EXPECT_TRUE(p[0].handshake->AddAttestation(atts[2]).ok());
  ExpectRejectedAttestation(p[0].handshake->AddAttestation(atts[3]),
                            att::VerifyError::kPcrMismatch);
  ExpectChannelError(p[0].handshake->Finish().status(),
                     ChannelError::kWrongState);
}

TEST_F(ChannelTest, DebugModeDocumentRefusedUnderProductionPolicy) {
  std::vector<Party> p = MakeParties(3, {}, {2});
  StartAll(p, "session-debug", ProductionPolicy(ImageParts(kGoodApp)));
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  ExpectRejectedAttestation(p[0].handshake->AddAttestation(atts[2]),
                            att::VerifyError::kDebugMode);
  EXPECT_TRUE(p[0].handshake->AddAttestation(atts[3]).ok());

  // The same debug document passes a development policy (no PCR pins,
  // allow_debug), proving the refusal above is the debug check.
  std::vector<Party> dev = MakeParties(2, {}, {2});
  att::AttestationPolicy dev_policy;
  dev_policy.allow_debug = true;
  // A development policy still pins an image: the debug enclave's all-zero
  // PCR0 (a policy without PCRs cannot build a verifier, finding 5a).
  dev_policy.expected_pcrs[0].assign(48, 0);
  dev_policy.max_age_ms = 5 * 60 * 1000;
  StartAll(dev, "session-dev", dev_policy);
  ExchangeHellos(dev);
  auto dev_atts = MakeAttestations(dev);
  EXPECT_TRUE(dev[0].handshake->AddAttestation(dev_atts[2]).ok());
}

TEST_F(ChannelTest, AllowlistAcceptsAnyListedImageOnly) {
  const std::string v2 = "nitro-tss enclave application v2";
  VerifyFunction verify =
      *MakeAllowlistVerifier(ca_->RootDer(),
                             {ProductionPolicy(ImageParts(kGoodApp)),
                              ProductionPolicy(ImageParts(v2))},
                             att::WallClockMs);
  const std::vector<uint8_t> nonce(32, 9), key(32, 5);
  auto doc_of = [&](const std::string& app, bool debug = false) {
    std::unique_ptr<att::SimulatedNsm> nsm = BootNsm(app, debug);
    absl::StatusOr<std::vector<uint8_t>> doc =
        nsm->GetAttestationDocument(Bytes("u"), nonce, key);
    EXPECT_TRUE(doc.ok());
    return std::string(doc->begin(), doc->end());
  };
  const std::string n(nonce.begin(), nonce.end());
  absl::StatusOr<VerifiedDocument> old_image = verify(doc_of(kGoodApp), n, 2);
  ASSERT_TRUE(old_image.ok()) << old_image.status();
  EXPECT_EQ(old_image->public_key, std::string(key.begin(), key.end()));
  EXPECT_EQ(old_image->user_data, "u");
  EXPECT_TRUE(verify(doc_of(v2), n, 2).ok());
  absl::StatusOr<VerifiedDocument> v3 = verify(doc_of("v3"), n, 2);
  EXPECT_EQ(att::GetVerifyError(v3.status()), att::VerifyError::kPcrMismatch)
      << v3.status();
  absl::StatusOr<VerifiedDocument> debug = verify(doc_of(v2, true), n, 2);
  EXPECT_EQ(att::GetVerifyError(debug.status()), att::VerifyError::kDebugMode)
      << debug.status();
  absl::StatusOr<VerifiedDocument> stale = verify(doc_of(v2), "other nonce", 2);
  EXPECT_EQ(att::GetVerifyError(stale.status()),
            att::VerifyError::kNonceMismatch)
      << stale.status();
  EXPECT_EQ(MakeAllowlistVerifier(ca_->RootDer(), {}, att::WallClockMs)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // A document chaining to another root is refused before any policy.
  absl::StatusOr<att::DevCa> other_ca =
      att::DevCa::Generate(att::WallClockMs());
  ASSERT_TRUE(other_ca.ok());
  VerifyFunction other_root = *MakeAllowlistVerifier(
      other_ca->RootDer(), {ProductionPolicy(ImageParts(kGoodApp))},
      att::WallClockMs);
  EXPECT_EQ(att::GetVerifyError(other_root(doc_of(kGoodApp), n, 2).status()),
            att::VerifyError::kUntrustedRoot);
}

TEST_F(ChannelTest, DocumentReplayedFromAnotherSessionIsRefused) {
  const att::AttestationPolicy policy = ProductionPolicy(ImageParts(kGoodApp));
  // Session A, same session id as B (a coordinator reusing ids).
  std::vector<Party> a = MakeParties(3);
  StartAll(a, "session-replay", policy);
  ExchangeHellos(a);
  auto atts_a = MakeAttestations(a);

  std::vector<Party> b = MakeParties(3);
  StartAll(b, "session-replay", policy);
  ExchangeHellos(b);
  auto atts_b = MakeAttestations(b);
  // Party 2 of A attested for A's nonce: B's party 1 refuses it.
  ExpectRejectedAttestation(b[0].handshake->AddAttestation(atts_a[2]),
                            att::VerifyError::kNonceMismatch);
  // A relay re-wrapping an old document under another session id: the
  // outer session id matches, the nonce inside does not.
  std::vector<Party> c = MakeParties(3);
  StartAll(c, "session-other", policy);
  ExchangeHellos(c);
  v1::HandshakeAttestation rewrapped;
  ASSERT_TRUE(rewrapped.ParseFromString(atts_a[2]));
  ExpectChannelError(c[0].handshake->AddAttestation(atts_a[2]),
                     ChannelError::kWrongSession);
  rewrapped.set_session_id("session-other");
  ExpectRejectedAttestation(
      c[0].handshake->AddAttestation(EncodeCanonical(rewrapped)),
      att::VerifyError::kNonceMismatch);
  // The genuine document still goes through.
  EXPECT_TRUE(b[0].handshake->AddAttestation(atts_b[2]).ok());
}

TEST_F(ChannelTest, RelaySubstitutingKeysOrDocumentsIsRefused) {
  const att::AttestationPolicy policy = ProductionPolicy(ImageParts(kGoodApp));
  std::vector<Party> p = MakeParties(3);
  StartAll(p, "session-mitm", policy);
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  std::unique_ptr<ChannelIdentity> relay = *ChannelIdentity::Generate();

  // (1) Swap party 2's X25519 key inside its document for the relay's.
  v1::HandshakeAttestation msg;
  ASSERT_TRUE(msg.ParseFromString(atts[2]));
  std::string doc = msg.attestation_document();
  const std::string genuine(p[1].identity->kx_public_key().begin(),
                            p[1].identity->kx_public_key().end());
  const size_t at = doc.find(genuine);
  ASSERT_NE(at, std::string::npos);
  doc.replace(at, genuine.size(),
              std::string(relay->kx_public_key().begin(),
                          relay->kx_public_key().end()));
  msg.set_attestation_document(doc);
  ExpectRejectedAttestation(
      p[0].handshake->AddAttestation(EncodeCanonical(msg)),
      att::VerifyError::kBadSignature);

  // (2) The relay attests its own key from its own enclave (a different
  // image), claiming to be party 2, with the right nonce and binding.
  std::unique_ptr<att::SimulatedNsm> relay_nsm = BootNsm("relay application");
  v1::AttestationBinding binding;
  binding.set_protocol(kProtocolTag);
  binding.set_session_id("session-mitm");
  binding.set_party_id(2);
  binding.set_signing_public_key(std::string(
      relay->signing_public_key().begin(), relay->signing_public_key().end()));
  const auto& nonce = p[0].handshake->session_nonce();
  absl::StatusOr<std::vector<uint8_t>> forged =
      relay_nsm->GetAttestationDocument(
          Bytes(EncodeCanonical(binding)),
          std::vector<uint8_t>(nonce.begin(), nonce.end()),
          std::vector<uint8_t>(relay->kx_public_key().begin(),
                               relay->kx_public_key().end()));
  ASSERT_TRUE(forged.ok());
  msg.set_attestation_document(std::string(forged->begin(), forged->end()));
  ExpectRejectedAttestation(
      p[0].handshake->AddAttestation(EncodeCanonical(msg)),
      att::VerifyError::kPcrMismatch);

  // (3) Party 3's genuine document presented as party 2's.
  v1::HandshakeAttestation swapped;
  ASSERT_TRUE(swapped.ParseFromString(atts[3]));
  swapped.set_party_id(2);
  absl::Status s = p[0].handshake->AddAttestation(EncodeCanonical(swapped));
  ExpectChannelError(s, ChannelError::kBindingMismatch);
  EXPECT_THAT(std::string(s.message()), HasSubstr("binds party 3"));

  // (4) Party 1's own document reflected back as party 2's.
  v1::HandshakeAttestation reflected;
  ASSERT_TRUE(reflected.ParseFromString(atts[1]));
  reflected.set_party_id(2);
  ExpectChannelError(p[0].handshake->AddAttestation(EncodeCanonical(reflected)),
                     ChannelError::kBindingMismatch);

  // The genuine documents still complete the handshake.
  EXPECT_TRUE(p[0].handshake->AddAttestation(atts[2]).ok());
  EXPECT_TRUE(p[0].handshake->AddAttestation(atts[3]).ok());
  EXPECT_TRUE(p[0].handshake->Finish().ok());
}

// Each binding check, broken alone, by a document that passes verification
// (an enclave of the allowed image with correct nonce) but binds the wrong
// thing: a buggy or compromised enclave of the allowed image.
TEST_F(ChannelTest, EachBindingCheckRefusesARogueDocument) {
  std::vector<Party> p = MakeParties(3);
  StartAll(p, "session-binding", ProductionPolicy(ImageParts(kGoodApp)));
  ExchangeHellos(p);
  std::unique_ptr<att::SimulatedNsm> rogue = BootNsm(kGoodApp);
  std::unique_ptr<ChannelIdentity> rogue_id = *ChannelIdentity::Generate();
  std::unique_ptr<mpc::round::PartyIdentityKey> rogue_party =
      *mpc::round::PartyIdentityKey::Generate();
  const auto& nonce = p[0].handshake->session_nonce();
  const std::string rogue_kx(rogue_id->kx_public_key().begin(),
                             rogue_id->kx_public_key().end());
  // A binding whose identity signature is valid for `signed_nonce` and the
  // rogue's own X25519 key.
  auto binding_with = [&](const std::string& session, uint32_t party,
                          const std::array<uint8_t, 32>& signed_nonce,
                          const std::string& kx) {
    v1::AttestationBinding b;
    b.set_protocol(kProtocolTag);
    b.set_session_id(session);
    b.set_party_id(party);
    b.set_signing_public_key(std::string(rogue_id->signing_public_key().begin(),
                                         rogue_id->signing_public_key().end()));
    const auto& ik = rogue_party->public_key();
    b.set_identity_public_key(std::string(ik.begin(), ik.end()));
    const std::string statement = IdentityStatement(
        signed_nonce, session, party, b.signing_public_key(), kx);
    const mpc::round::IdentitySignature sig =
        rogue_party->Sign(Bytes(statement));
    b.set_identity_signature(std::string(sig.begin(), sig.end()));
    return b;
  };
  auto binding_for = [&](const std::string& session, uint32_t party) {
    return EncodeCanonical(binding_with(session, party, nonce, rogue_kx));
  };
  auto message = [&](const std::string& user_data,
                     const std::vector<uint8_t>& public_key) {
    absl::StatusOr<std::vector<uint8_t>> doc = rogue->GetAttestationDocument(
        Bytes(user_data), std::vector<uint8_t>(nonce.begin(), nonce.end()),
        public_key);
    EXPECT_TRUE(doc.ok()) << doc.status();
    v1::HandshakeAttestation m;
    m.set_version(1);
    m.set_session_id("session-binding");
    m.set_party_id(2);
    m.set_attestation_document(std::string(doc->begin(), doc->end()));
    return EncodeCanonical(m);
  };
  const std::vector<uint8_t> rogue_pk(rogue_id->kx_public_key().begin(),
                                      rogue_id->kx_public_key().end());
  auto expect_binding = [&](const std::string& msg, const std::string& what) {
    absl::Status s = p[0].handshake->AddAttestation(msg);
    ExpectChannelError(s, ChannelError::kBindingMismatch);
    EXPECT_THAT(std::string(s.message()), HasSubstr(what));
  };
  // A control: the rogue enclave's well-formed document for party 2 passes
  // every check (which is why each case below changes exactly one thing).
  {
    std::vector<Party> q = MakeParties(2);
    StartAll(q, "session-binding", ProductionPolicy(ImageParts(kGoodApp)));
    ExchangeHellos(q);
    const auto& qn = q[0].handshake->session_nonce();
    absl::StatusOr<std::vector<uint8_t>> doc = rogue->GetAttestationDocument(
        Bytes(
            EncodeCanonical(binding_with("session-binding", 2, qn, rogue_kx))),
        std::vector<uint8_t>(qn.begin(), qn.end()), rogue_pk);
    ASSERT_TRUE(doc.ok());
    v1::HandshakeAttestation m;
    m.set_version(1);
    m.set_session_id("session-binding");
    m.set_party_id(2);
    m.set_attestation_document(std::string(doc->begin(), doc->end()));
    EXPECT_TRUE(q[0].handshake->AddAttestation(EncodeCanonical(m)).ok());
  }
  expect_binding(
      message(binding_for("session-binding", 2), std::vector<uint8_t>(31, 7)),
      "not a 32-byte X25519 key");
  expect_binding(message(binding_for("session-binding", 2), {}),
                 "not a 32-byte X25519 key");
  expect_binding(message("not a binding", rogue_pk),
                 "user_data is not a channel binding");
  expect_binding(message(binding_for("session-elsewhere", 2), rogue_pk),
                 "binds another session");
  expect_binding(message(binding_for("session-binding", 3), rogue_pk),
                 "binds party 3");
  expect_binding(
      message(binding_for("session-binding", 2),
              std::vector<uint8_t>(p[0].identity->kx_public_key().begin(),
                                   p[0].identity->kx_public_key().end())),
      "own key (reflection)");
  // The identity key must be a valid Ed25519 key and its signature must
  // verify (over this session's nonce, this party id and these keys).
  {
    v1::AttestationBinding b =
        binding_with("session-binding", 2, nonce, rogue_kx);
    b.set_identity_public_key(std::string(32, '\0'));  // small order
    expect_binding(message(EncodeCanonical(b), rogue_pk),
                   "identity_public_key");
    b = binding_with("session-binding", 2, nonce, rogue_kx);
    b.mutable_identity_signature()->at(5) ^= 1;
    expect_binding(message(EncodeCanonical(b), rogue_pk),
                   "identity_signature does not verify");
    std::array<uint8_t, 32> other_nonce = nonce;
    other_nonce[0] ^= 1;
    expect_binding(message(EncodeCanonical(binding_with("session-binding", 2,
                                                        other_nonce, rogue_kx)),
                           rogue_pk),
                   "identity_signature does not verify");
    b = binding_with("session-binding", 2, nonce, rogue_kx);
    b.set_signing_public_key(std::string(32, 'x'));  // not what was signed
    expect_binding(message(EncodeCanonical(b), rogue_pk),
                   "identity_signature does not verify");
  }
  // A low-order X25519 point passes the size check but yields no shared
  // secret: refused when deriving keys.
  ASSERT_TRUE(p[0].handshake
                  ->AddAttestation(message(
                      EncodeCanonical(binding_with("session-binding", 2, nonce,
                                                   std::string(32, '\0'))),
                      std::vector<uint8_t>(32, 0)))
                  .ok());
  auto atts = MakeAttestations(p);
  ASSERT_TRUE(p[0].handshake->AddAttestation(atts[3]).ok());
  ExpectChannelError(p[0].handshake->Finish().status(),
                     ChannelError::kBindingMismatch);
}

TEST_F(ChannelTest, EquivocatedHelloMakesTheHandshakeFailNotSucceed) {
  std::vector<Party> p = MakeParties(3);
  StartAll(p, "session-equivocate", ProductionPolicy(ImageParts(kGoodApp)));
  // The coordinator gives party 1 a different contribution for party 3.
  v1::HandshakeHello fake;
  ASSERT_TRUE(fake.ParseFromString(p[2].handshake->hello()));
  fake.set_contribution(std::string(32, '\x42'));
  ASSERT_TRUE(p[0].handshake->AddHello(p[1].handshake->hello()).ok());
  ASSERT_TRUE(p[0].handshake->AddHello(EncodeCanonical(fake)).ok());
  for (int to : {1, 2}) {
    for (int from : {0, 1, 2}) {
      if (to != from) {
        ASSERT_TRUE(p[to].handshake->AddHello(p[from].handshake->hello()).ok());
      }
    }
  }
  EXPECT_NE(p[0].handshake->session_nonce(), p[1].handshake->session_nonce());
  auto atts = MakeAttestations(p);
  ExpectRejectedAttestation(p[0].handshake->AddAttestation(atts[2]),
                            att::VerifyError::kNonceMismatch);
  ExpectRejectedAttestation(p[1].handshake->AddAttestation(atts[1]),
                            att::VerifyError::kNonceMismatch);
}

TEST_F(ChannelTest, HandshakeStateAndDuplicateChecks) {
  std::vector<Party> p = MakeParties(3);
  StartAll(p, "session-state", ProductionPolicy(ImageParts(kGoodApp)));
  ExpectChannelError(p[0].handshake->MakeAttestation().status(),
                     ChannelError::kWrongState);
  ExpectChannelError(p[0].handshake->AddAttestation("x"),
                     ChannelError::kWrongState);
  ExpectChannelError(p[0].handshake->AddHello(p[0].handshake->hello()),
                     ChannelError::kUnknownParty);
  ASSERT_TRUE(p[0].handshake->AddHello(p[1].handshake->hello()).ok());
  ASSERT_TRUE(
      p[0].handshake->AddHello(p[1].handshake->hello()).ok());  // resend
  v1::HandshakeHello other;
  ASSERT_TRUE(other.ParseFromString(p[1].handshake->hello()));
  other.set_contribution(std::string(32, 'z'));
  ExpectChannelError(p[0].handshake->AddHello(EncodeCanonical(other)),
                     ChannelError::kDuplicate);
  other.set_party_id(7);
  ExpectChannelError(p[0].handshake->AddHello(EncodeCanonical(other)),
                     ChannelError::kUnknownParty);
  other.set_party_id(3);
  other.set_session_id("another");
  ExpectChannelError(p[0].handshake->AddHello(EncodeCanonical(other)),
                     ChannelError::kWrongSession);
  ExpectChannelError(p[0].handshake->AddHello("garbage"),
                     ChannelError::kMalformed);
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  ExpectChannelError(p[0].handshake->Finish().status(),
                     ChannelError::kWrongState);
  ASSERT_TRUE(p[0].handshake->AddAttestation(atts[2]).ok());
  ExpectChannelError(p[0].handshake->AddAttestation(atts[2]),
                     ChannelError::kDuplicate);
  ASSERT_TRUE(p[0].handshake->AddAttestation(atts[3]).ok());
  ASSERT_TRUE(p[0].handshake->Finish().ok());
  ExpectChannelError(p[0].handshake->Finish().status(),
                     ChannelError::kWrongState);

  HandshakeConfig bad;
  bad.session_id = "s";
  bad.self_id = 4;
  bad.party_ids = {1, 2, 3};
  ExpectChannelError(Handshake::Start(*p[0].identity, bad).status(),
                     ChannelError::kMalformed);
  // A config without the party's identity key, with expectations for a
  // non-peer, or with a PCR value of the wrong size is refused.
  HandshakeConfig good;
  good.session_id = "s";
  good.self_id = 1;
  good.party_ids = {1, 2, 3};
  good.attest = MakeNsmAttester(*p[0].nsm);
  good.verify = *MakePolicyVerifier(
      ca_->RootDer(), ProductionPolicy(ImageParts(kGoodApp)), att::WallClockMs);
  good.party_identity = p[0].party_identity.get();
  ASSERT_TRUE(Handshake::Start(*p[0].identity, good).ok());
  bad = good;
  bad.party_identity = nullptr;
  absl::Status s = Handshake::Start(*p[0].identity, bad).status();
  ExpectChannelError(s, ChannelError::kMalformed);
  EXPECT_THAT(std::string(s.message()), HasSubstr("party_identity"));
  bad = good;
  bad.peers[4].pcr4 = std::string(48, 'x');
  s = Handshake::Start(*p[0].identity, bad).status();
  ExpectChannelError(s, ChannelError::kMalformed);
  EXPECT_THAT(std::string(s.message()), HasSubstr("party 4"));
  bad = good;
  bad.peers[2].pcr3 = std::string(47, 'x');
  s = Handshake::Start(*p[0].identity, bad).status();
  ExpectChannelError(s, ChannelError::kMalformed);
  EXPECT_THAT(std::string(s.message()), HasSubstr("48 bytes"));
}

class SessionTest : public ChannelTest {
 protected:
  void SetUp() override { p_ = Establish(3, "session-messages"); }
  std::vector<Party> p_;
};

TEST_F(SessionTest, TamperedDirectMessageIsRefused) {
  const std::string env = *p_[0].session->SealDirect(2, 1, "secret share");
  v1::Envelope e;
  ASSERT_TRUE(e.ParseFromString(env));
  std::string body = e.body();
  body[3] ^= 1;
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         env, [&](v1::Envelope& m) { m.set_body(body); })),
                     ChannelError::kBadTag);
  ExpectChannelError(p_[1].session->Open(
                         Rewrite(env, [](v1::Envelope& m) { m.set_round(2); })),
                     ChannelError::kBadTag);
  // Claiming another (attested) sender: wrong key for that direction.
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         env, [](v1::Envelope& m) { m.set_sender(3); })),
                     ChannelError::kBadTag);
  // Failed attempts leave the state untouched: the genuine one opens.
  absl::StatusOr<ReceivedMessage> got = p_[1].session->Open(env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->payload, "secret share");
}

TEST_F(SessionTest, ReplayedAndReorderedMessagesAreRefused) {
  const std::string m1 = *p_[0].session->SealDirect(2, 1, "first");
  const std::string m2 = *p_[0].session->SealDirect(2, 1, "second");
  ExpectChannelError(p_[1].session->Open(m2).status(),
                     ChannelError::kOutOfOrder);
  ASSERT_TRUE(p_[1].session->Open(m1).ok());
  ExpectChannelError(p_[1].session->Open(m1).status(), ChannelError::kReplayed);
  ASSERT_TRUE(p_[1].session->Open(m2).ok());
  ExpectChannelError(p_[1].session->Open(m2).status(), ChannelError::kReplayed);
  // A relay renumbering a replay cannot make it fit the next slot.
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         m1, [](v1::Envelope& m) { m.set_sequence(3); })),
                     ChannelError::kBadTag);

  const std::string b1 = *p_[2].session->SignBroadcast(1, "b1");
  const std::string b2 = *p_[2].session->SignBroadcast(1, "b2");
  ExpectChannelError(p_[0].session->Open(b2).status(),
                     ChannelError::kOutOfOrder);
  ASSERT_TRUE(p_[0].session->Open(b1).ok());
  ExpectChannelError(p_[0].session->Open(b1).status(), ChannelError::kReplayed);
  ASSERT_TRUE(p_[0].session->Open(b2).ok());
}

TEST_F(SessionTest, MisaddressedMessageIsRefused) {
  const std::string env = *p_[0].session->SealDirect(2, 1, "for party 2");
  ExpectChannelError(p_[2].session->Open(env).status(),
                     ChannelError::kWrongReceiver);
  // Rewriting the receiver does not help: the receiver is authenticated.
  ExpectChannelError(p_[2].session->Open(Rewrite(
                         env, [](v1::Envelope& m) { m.set_receiver(3); })),
                     ChannelError::kBadTag);
  EXPECT_TRUE(p_[1].session->Open(env).ok());
}

TEST_F(SessionTest, CrossSessionMessagesAreRefused) {
  std::vector<Party> other = Establish(3, "session-other");
  const std::string env = *other[0].session->SealDirect(2, 1, "other session");
  ExpectChannelError(p_[1].session->Open(env).status(),
                     ChannelError::kWrongSession);
  // Same session id, earlier handshake (different nonce and keys).
  std::vector<Party> again = Establish(3, "session-messages");
  const std::string old = *again[0].session->SealDirect(2, 1, "old run");
  ExpectChannelError(p_[1].session->Open(old).status(), ChannelError::kBadTag);
  const std::string old_broadcast = *again[0].session->SignBroadcast(1, "old");
  ExpectChannelError(p_[1].session->Open(old_broadcast).status(),
                     ChannelError::kBadSignature);
}

// Sessions derived from an established link (one handshake, many runs).
TEST_F(SessionTest, DerivedSessionsTalkAndAreIsolatedFromEachOtherAndTheLink) {
  auto a0 = p_[0].session->Derive("run-A");
  auto a1 = p_[1].session->Derive("run-A");
  auto b1 = p_[1].session->Derive("run-B");
  ASSERT_TRUE(a0.ok() && a1.ok() && b1.ok());
  EXPECT_EQ((*a0)->session_nonce(), (*a1)->session_nonce());
  EXPECT_NE((*a0)->session_nonce(), p_[0].session->session_nonce());
  EXPECT_NE((*a1)->session_nonce(), (*b1)->session_nonce());
  EXPECT_EQ((*a1)->peer(1)->identity_public_key,
            p_[1].session->peer(1)->identity_public_key);

  const std::string direct = *(*a0)->SealDirect(2, 1, "run A secret");
  const std::string bcast = *(*a0)->SignBroadcast(1, "run A broadcast");
  // Another run of the same link refuses them, also with the id rewritten.
  ExpectChannelError((*b1)->Open(direct).status(), ChannelError::kWrongSession);
  ExpectChannelError(
      (*b1)->Open(
          Rewrite(direct, [](v1::Envelope& m) { m.set_session_id("run-B"); })),
      ChannelError::kBadTag);
  ExpectChannelError(
      (*b1)->Open(
          Rewrite(bcast, [](v1::Envelope& m) { m.set_session_id("run-B"); })),
      ChannelError::kBadSignature);
  // So does the link itself.
  const std::string link_id = p_[1].session->session_id();
  ExpectChannelError(
      p_[1].session->Open(
          Rewrite(direct, [&](v1::Envelope& m) { m.set_session_id(link_id); })),
      ChannelError::kBadTag);
  // The run they belong to opens them.
  auto got = (*a1)->Open(direct);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->payload, "run A secret");
  ASSERT_TRUE((*a1)->Open(bcast).ok());
  // And its replies reach party 1's run A only.
  const std::string reply = *(*a1)->SealDirect(1, 2, "reply");
  ASSERT_TRUE((*a0)->Open(reply).ok());
}

TEST_F(SessionTest, ASessionIdIsDerivedOncePerLink) {
  ASSERT_TRUE(p_[0].session->Derive("run-once").ok());
  auto again = p_[0].session->Derive("run-once");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  auto derived = p_[0].session->Derive("run-twice");
  ASSERT_TRUE(derived.ok());
  auto nested = (*derived)->Derive("nested");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(p_[0].session->Derive("").ok());
  EXPECT_FALSE(p_[0].session->Derive(std::string(65, 'x')).ok());
  // A bounded number of runs per link.
  auto full = p_[1].session->Derive("one-more", /*max_derived=*/0);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  // The same run id on a new link (a new handshake) is a new run.
  std::vector<Party> relinked = Establish(3, "session-messages");
  auto fresh = relinked[0].session->Derive("run-once");
  ASSERT_TRUE(fresh.ok());
  auto old = p_[1].session->Derive("run-once");
  ASSERT_TRUE(old.ok());
  EXPECT_NE((*fresh)->session_nonce(), (*old)->session_nonce());
  const std::string env = *(*fresh)->SealDirect(2, 1, "new link");
  ExpectChannelError((*old)->Open(env).status(), ChannelError::kBadTag);
}

// CheckDerive answers what Derive would, spending nothing: the id it
// passed is still derivable, and the refusals are Derive's.
TEST_F(SessionTest, CheckDeriveRefusesAsDeriveWouldAndSpendsNothing) {
  SecureSession& link = *p_[0].session;
  ASSERT_TRUE(link.CheckDerive("checked", /*max_derived=*/1).ok());
  ASSERT_TRUE(link.CheckDerive("checked", /*max_derived=*/1).ok());
  ASSERT_TRUE(link.Derive("checked", /*max_derived=*/1).ok());
  EXPECT_EQ(link.CheckDerive("checked").code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(link.CheckDerive("next", /*max_derived=*/1).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(link.CheckDerive("next", /*max_derived=*/2).ok());
  EXPECT_EQ(link.CheckDerive("").code(), absl::StatusCode::kInvalidArgument);
  auto derived = link.Derive("next");
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ((*derived)->CheckDerive("nested").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SessionTest, ForgedBroadcastSignatureIsRefused) {
  const std::string env = *p_[0].session->SignBroadcast(4, "commitment");
  v1::Envelope e;
  ASSERT_TRUE(e.ParseFromString(env));
  std::string sig = e.signature();
  sig[10] ^= 0x80;
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         env, [&](v1::Envelope& m) { m.set_signature(sig); })),
                     ChannelError::kBadSignature);
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         env, [](v1::Envelope& m) { m.set_body("changed"); })),
                     ChannelError::kBadSignature);
  ExpectChannelError(p_[1].session->Open(
                         Rewrite(env, [](v1::Envelope& m) { m.set_round(5); })),
                     ChannelError::kBadSignature);
  // Party 3 signs and claims to be party 1.
  const std::string by3 = *p_[2].session->SignBroadcast(4, "commitment");
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         by3, [](v1::Envelope& m) { m.set_sender(1); })),
                     ChannelError::kBadSignature);
  // An unattested key signing for a party not in the session.
  ExpectChannelError(p_[1].session->Open(Rewrite(
                         by3, [](v1::Envelope& m) { m.set_sender(9); })),
                     ChannelError::kUnknownParty);
  EXPECT_TRUE(p_[1].session->Open(env).ok());
}

TEST_F(SessionTest, SealChecksItsArguments) {
  ExpectChannelError(p_[0].session->SealDirect(1, 1, "self").status(),
                     ChannelError::kUnknownParty);
  ExpectChannelError(p_[0].session->SealDirect(9, 1, "nobody").status(),
                     ChannelError::kUnknownParty);
  ExpectChannelError(
      p_[0]
          .session
          ->SealDirect(2, 1, std::string(kDefaultMaxPayloadBytes + 1, 'x'))
          .status(),
      ChannelError::kTooLarge);
  ExpectChannelError(
      p_[0]
          .session
          ->SignBroadcast(1, std::string(kDefaultMaxPayloadBytes + 1, 'x'))
          .status(),
      ChannelError::kTooLarge);
}

// Issue 12, finding 5a: a policy that pins no image would accept every
// non-debug image; such a verifier cannot be built.
TEST_F(ChannelTest, PolicyWithoutImagePcrsCannotBuildAVerifier) {
  att::AttestationPolicy empty;
  empty.max_age_ms = 5 * 60 * 1000;
  absl::StatusOr<VerifyFunction> v =
      MakePolicyVerifier(ca_->RootDer(), empty, att::WallClockMs);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("pins no image"));
  // Pinning only the instance (PCR4) or the role (PCR3) pins no image either.
  att::AttestationPolicy instance_only = empty;
  instance_only.expected_pcrs[4] = att::MeasureRaw(std::string("i-1"));
  instance_only.expected_pcrs[3] = att::MeasureRaw(std::string("role"));
  EXPECT_EQ(MakePolicyVerifier(ca_->RootDer(), instance_only, att::WallClockMs)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // One unpinned policy in an allowlist is enough to refuse the allowlist.
  absl::StatusOr<VerifyFunction> list = MakeAllowlistVerifier(
      ca_->RootDer(), {ProductionPolicy(ImageParts(kGoodApp)), empty},
      att::WallClockMs);
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(list.status().message()), HasSubstr("policy 1"));
  // A PCR value of the wrong size is refused too.
  att::AttestationPolicy short_pcr = ProductionPolicy(ImageParts(kGoodApp));
  short_pcr.expected_pcrs[0].resize(47);
  EXPECT_EQ(MakePolicyVerifier(ca_->RootDer(), short_pcr, att::WallClockMs)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // PCR2 alone (the application) or PCR8 alone (the signing certificate)
  // pins an image.
  att::AttestationPolicy app_only = empty;
  app_only.expected_pcrs[2] =
      ProductionPolicy(ImageParts(kGoodApp)).expected_pcrs[2];
  EXPECT_TRUE(
      MakePolicyVerifier(ca_->RootDer(), app_only, att::WallClockMs).ok());
  att::AttestationPolicy signer_only = empty;
  signer_only.expected_pcrs[8].assign(48, 8);
  EXPECT_TRUE(
      MakePolicyVerifier(ca_->RootDer(), signer_only, att::WallClockMs).ok());
}

// --- Issue 12, finding 3: party id <-> enclave binding. ---------------------

std::string Pcr(const std::string& measured) {
  const std::vector<uint8_t> v = att::MeasureRaw(measured);
  return std::string(v.begin(), v.end());
}

std::string RoleArn(uint32_t party) {
  return absl::StrCat("arn:aws:iam::111122223333:role/tss-party-", party);
}

// What a signing session (after DKG) expects: every party's identity key
// from the KeyShare, and its parent instance (PCR4).
std::map<uint32_t, PeerExpectation> SigningExpectations(
    const std::vector<ChannelTest::Party>& parties) {
  std::map<uint32_t, PeerExpectation> out;
  for (const ChannelTest::Party& p : parties) {
    out[p.id].identity_public_key = p.party_identity->public_key();
    out[p.id].pcr4 = Pcr(p.instance_id);
  }
  return out;
}

void ExpectIdentityMismatch(const absl::Status& s,
                            const std::string& fragment) {
  ExpectChannelError(s, ChannelError::kIdentityMismatch);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(fragment)) << s;
}

TEST_F(ChannelTest, ValidDocumentClaimingParty3WithParty2IdentityKeyIsRefused) {
  std::vector<Party> p = MakeParties(3);
  const std::map<uint32_t, PeerExpectation> expected = SigningExpectations(p);
  StartAll(p, "session-identity", ProductionPolicy(ImageParts(kGoodApp)),
           expected);
  // Party 3's enclave (genuine, allowed image, right instance, right nonce)
  // proves party 2's identity key.
  StartOne(p[2], {1, 2, 3}, "session-identity",
           ProductionPolicy(ImageParts(kGoodApp)), expected,
           p[1].party_identity.get());
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  EXPECT_TRUE(p[0].handshake->AddAttestation(atts[2]).ok());
  ExpectIdentityMismatch(p[0].handshake->AddAttestation(atts[3]),
                         "party 3 identity key binding failed");
  ExpectChannelError(p[0].handshake->Finish().status(),
                     ChannelError::kWrongState);

  // Without expectations (a DKG), a second peer with the same identity key,
  // or a peer with this party's own identity key, is refused as well.
  std::vector<Party> q = MakeParties(3);
  StartAll(q, "session-identity-dkg", ProductionPolicy(ImageParts(kGoodApp)));
  StartOne(q[2], {1, 2, 3}, "session-identity-dkg",
           ProductionPolicy(ImageParts(kGoodApp)), {},
           q[1].party_identity.get());
  ExchangeHellos(q);
  atts = MakeAttestations(q);
  EXPECT_TRUE(q[0].handshake->AddAttestation(atts[2]).ok());
  ExpectIdentityMismatch(q[0].handshake->AddAttestation(atts[3]),
                         "it is the identity key of party 2");
  ExpectIdentityMismatch(q[1].handshake->AddAttestation(atts[3]),
                         "this party's own identity key");
}

TEST_F(ChannelTest, ValidDocumentClaimingParty3WithParty2Pcr4IsRefused) {
  std::vector<Party> p = MakeParties(3);
  // Party 3's enclave runs on party 2's parent instance (so its PCR4 is
  // party 2's), with party 3's genuine identity key.
  p[2].nsm = BootNsm(kGoodApp, false, InstanceId(2));
  StartAll(p, "session-pcr4", ProductionPolicy(ImageParts(kGoodApp)),
           SigningExpectations(p));
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  EXPECT_TRUE(p[0].handshake->AddAttestation(atts[2]).ok());
  ExpectIdentityMismatch(p[0].handshake->AddAttestation(atts[3]),
                         "party 3 PCR4 binding failed");

  // PCR3 (the parent's IAM role) likewise.
  std::vector<Party> q = MakeParties(3);
  for (Party& party : q) {
    party.nsm = BootNsm(kGoodApp, false, party.instance_id,
                        RoleArn(party.id == 3 ? 2 : party.id));
  }
  std::map<uint32_t, PeerExpectation> expected;
  for (uint32_t id : {1u, 2u, 3u}) expected[id].pcr3 = Pcr(RoleArn(id));
  StartAll(q, "session-pcr3", ProductionPolicy(ImageParts(kGoodApp)), expected);
  ExchangeHellos(q);
  atts = MakeAttestations(q);
  EXPECT_TRUE(q[0].handshake->AddAttestation(atts[2]).ok());
  ExpectIdentityMismatch(q[0].handshake->AddAttestation(atts[3]),
                         "party 3 PCR3 binding failed");

  // Control: without per-party PCR expectations the same documents pass.
  std::vector<Party> r = MakeParties(3);
  r[2].nsm = BootNsm(kGoodApp, false, InstanceId(2));
  StartAll(r, "session-pcr4-unpinned", ProductionPolicy(ImageParts(kGoodApp)));
  ExchangeHellos(r);
  atts = MakeAttestations(r);
  EXPECT_TRUE(r[0].handshake->AddAttestation(atts[3]).ok());
}

// The DKG's handshake: three parties, each pinned to its parent instance and
// IAM role (no identity keys exist yet). The relay routes party 3's traffic
// to another genuine enclave of the same image (the coordinator's own
// instance, a fresh identity key): every honest party refuses it during the
// handshake, so no session exists and no protocol round is ever sent.
TEST_F(ChannelTest,
       DkgRelaySubstitutingAnotherGenuineEnclaveFailsBeforeRound1) {
  std::vector<Party> p = MakeParties(3);
  std::map<uint32_t, PeerExpectation> dkg;
  for (Party& party : p) {
    party.nsm = BootNsm(kGoodApp, false, party.instance_id, RoleArn(party.id));
    dkg[party.id].pcr3 = Pcr(RoleArn(party.id));
    dkg[party.id].pcr4 = Pcr(party.instance_id);
  }
  // Control: the honest DKG handshake succeeds, and every party obtains the
  // same identity table, which the DKG binds into its transcript/KeyShare.
  StartAll(p, "dkg-honest", ProductionPolicy(ImageParts(kGoodApp)), dkg);
  ExchangeHellos(p);
  auto atts = MakeAttestations(p);
  std::map<uint32_t, mpc::round::IdentityPublicKey> table;
  for (const Party& party : p) {
    table[party.id] = party.party_identity->public_key();
  }
  for (Party& to : p) {
    for (auto& [from, msg] : atts) {
      if (from != to.id) {
        ASSERT_TRUE(to.handshake->AddAttestation(msg).ok());
      }
    }
    absl::StatusOr<std::unique_ptr<SecureSession>> session =
        to.handshake->Finish();
    ASSERT_TRUE(session.ok()) << session.status();
    EXPECT_EQ((*session)->identity_keys(), table);
    const AttestedPeer* peer3 = (*session)->peer(to.id == 3 ? 1 : 3);
    ASSERT_NE(peer3, nullptr);
    EXPECT_EQ(peer3->pcrs.at(4),
              Pcr(to.id == 3 ? InstanceId(1) : InstanceId(3)));
  }

  // The substitution.
  Party attacker;
  attacker.id = 3;
  attacker.identity = *ChannelIdentity::Generate();
  attacker.party_identity = *mpc::round::PartyIdentityKey::Generate();
  attacker.instance_id = "i-0c00rd1na7070000";
  attacker.nsm = BootNsm(kGoodApp, false, attacker.instance_id, RoleArn(3));
  std::vector<Party> q;
  q.push_back(std::move(p[0]));
  q.push_back(std::move(p[1]));
  q.push_back(std::move(attacker));
  StartAll(q, "dkg-substituted", ProductionPolicy(ImageParts(kGoodApp)), dkg);
  ExchangeHellos(q);
  atts = MakeAttestations(q);
  for (int honest : {0, 1}) {
    const uint32_t other = honest == 0 ? 2 : 1;
    EXPECT_TRUE(q[honest].handshake->AddAttestation(atts[other]).ok());
    ExpectIdentityMismatch(q[honest].handshake->AddAttestation(atts[3]),
                           "party 3 PCR4 binding failed");
    ExpectChannelError(q[honest].handshake->Finish().status(),
                       ChannelError::kWrongState);
  }

  // Where identity keys are already known (a re-run of the DKG or a reshare
  // with registered identities), the same substitution on party 3's own
  // instance is refused on the identity key.
  std::map<uint32_t, PeerExpectation> with_identities = dkg;
  for (uint32_t id : {1u, 2u, 3u}) {
    with_identities[id].identity_public_key = table[id];
  }
  q[2].nsm = BootNsm(kGoodApp, false, InstanceId(3), RoleArn(3));
  StartAll(q, "dkg-substituted-2", ProductionPolicy(ImageParts(kGoodApp)),
           with_identities);
  ExchangeHellos(q);
  atts = MakeAttestations(q);
  ExpectIdentityMismatch(q[0].handshake->AddAttestation(atts[3]),
                         "party 3 identity key binding failed");
}

// A signing session after a restart: party 2's enclave restarts (new channel
// keys, new NSM boot on its instance), unseals its share and identity from
// the KMS-sealed record, and proves the identity the KeyShare expects. A
// party 2 with any other identity (e.g. an enclave that never held the
// record) is refused.
TEST_F(ChannelTest, RestartedEnclaveProvesItsSealedIdentityAnotherIsRefused) {
  std::vector<Party> p = MakeParties(3);
  const std::map<uint32_t, PeerExpectation> expected = SigningExpectations(p);
  kms::testing::FakeKms kms("1234abcd-12ab-34cd-56ef-1234567890ab");
  absl::StatusOr<kms::RecipientKey> recipient_key =
      kms::RecipientKey::Generate();
  ASSERT_TRUE(recipient_key.ok());
  const kms::AttestedRecipient me{&*recipient_key,
                                  *recipient_key->PublicKeyDer()};
  kms::ShareContext context;
  context.kms_key_id = "1234abcd-12ab-34cd-56ef-1234567890ab";
  context.party_id = 2;
  context.epoch = 5;
  context.group_public_key.assign(33, 0x02);
  const std::vector<uint8_t> share(64, 0x2a);
  absl::StatusOr<std::vector<uint8_t>> record =
      kms::SealShare(kms, context, *p[1].party_identity, share, me);
  ASSERT_TRUE(record.ok()) << record.status();

  // Restart: everything of party 2's enclave is gone but the sealed record.
  p[1].party_identity.reset();
  p[1].identity = *ChannelIdentity::Generate();
  p[1].nsm = BootNsm(kGoodApp, false, p[1].instance_id);
  absl::StatusOr<kms::UnsealedShare> opened = kms::UnsealShare(
      kms,
      kms::UnsealExpectation{context.kms_key_id, 2, context.group_public_key,
                             /*min_epoch=*/5},
      *record, me);
  ASSERT_TRUE(opened.ok()) << opened.status();
  p[1].party_identity = std::move(opened->identity);

  auto run = [&](const std::string& sid) {
    StartAll(p, sid, ProductionPolicy(ImageParts(kGoodApp)), expected);
    ExchangeHellos(p);
    return MakeAttestations(p);
  };
  auto atts = run("sign-after-restart");
  for (Party& to : p) {
    for (auto& [from, msg] : atts) {
      if (from != to.id) {
        absl::Status s = to.handshake->AddAttestation(msg);
        EXPECT_TRUE(s.ok()) << s;
      }
    }
    EXPECT_TRUE(to.handshake->Finish().ok());
  }

  // Another identity for party 2: refused by every peer, naming the binding.
  p[1].party_identity = *mpc::round::PartyIdentityKey::Generate();
  atts = run("sign-after-restart-2");
  for (int peer : {0, 2}) {
    ExpectIdentityMismatch(p[peer].handshake->AddAttestation(atts[2]),
                           "party 2 identity key binding failed");
  }
}

}  // namespace
}  // namespace nitro_tss::channel
