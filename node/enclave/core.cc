#include "node/enclave/core.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "mpc/gg20/key_share.h"
#include "mpc/gg20/sign.h"
#include "mpc/round/identity.h"
#include "mpc/round/round.h"
#include "node/approval/proto.h"
#include "node/approval/verifier.h"
#include "node/attestation/simulated_nsm.h"
#include "node/channel/attested.h"
#include "node/channel/identity.h"
#include "node/channel/session.h"
#include "node/enclave/locked_share.h"
#include "node/kms/sealed_share.h"

namespace nitro_tss::enclave {

namespace gg20 = mpc::gg20;
namespace round = mpc::round;

namespace {

// A sign's presignature_id names nothing held here (checked before the
// approvals, and again when it is taken after them).
constexpr char kNoSuchPresignature[] =
    "sign.presignature_id: no such presignature here (never made, already "
    "used, or lost in an enclave restart)";

constexpr size_t kMaxIdBytes = 64;
constexpr size_t kMaxParties = 255;
constexpr size_t kMinSessionIdBytes = 16;
constexpr uint64_t kFirstEpoch = 1;

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

absl::Status CheckId(absl::string_view id, absl::string_view what) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": must be 1..", kMaxIdBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint32_t>> CheckParties(
    const google::protobuf::RepeatedField<uint32_t>& parties, uint32_t self) {
  if (parties.size() < 2 || parties.size() > static_cast<int>(kMaxParties)) {
    return absl::InvalidArgumentError("parties: must list 2..255 party ids");
  }
  std::set<uint32_t> set(parties.begin(), parties.end());
  if (set.size() != static_cast<size_t>(parties.size()) || set.count(0)) {
    return absl::InvalidArgumentError(
        "parties: ids must be distinct and non-zero");
  }
  if (self == 0 || set.count(self) == 0) {
    return absl::InvalidArgumentError("self: must be one of parties");
  }
  return std::vector<uint32_t>(set.begin(), set.end());
}

v1::SessionAbort AbortToProto(const round::Abort& abort) {
  v1::SessionAbort out;
  out.set_round(abort.round);
  out.set_cause(abort.cause);
  for (const round::Culprit& c : abort.culprits) {
    v1::Culprit* p = out.add_culprits();
    p->set_party_id(c.party);
    p->set_code(std::string(round::CulpritCodeName(c.code)));
    switch (round::ActionFor(c.code)) {
      case round::CulpritAction::kExclude:
        p->set_action("exclude");
        break;
      case round::CulpritAction::kRetry:
        p->set_action("retry");
        break;
      case round::CulpritAction::kSelf:
        p->set_action("self");
        break;
    }
    p->set_reason(c.reason);
  }
  return out;
}

v1::SessionOutput SelfAbort(uint32_t self, uint32_t round,
                            const absl::Status& why) {
  round::Abort abort;
  abort.round = round;
  abort.culprits.push_back(
      round::Culprit(self, round::CulpritCode::kInternal, why.ToString()));
  v1::SessionOutput out;
  *out.mutable_abort() = AbortToProto(abort);
  return out;
}

}  // namespace

struct EnclaveCore::LoadedKey {
  std::mutex mu;
  // The key's approval policy, once a caller supplied one matching the
  // digest bound at DKG (kept for the key's life in memory).
  std::shared_ptr<const approval::ApprovalPolicy> policy;
  std::shared_ptr<const gg20::KeyShare> share;
  std::shared_ptr<const round::PartyIdentityKey> identity;
  std::shared_ptr<gg20::PresignAccelerators> accelerators;
  uint64_t epoch = kFirstEpoch;
};

struct EnclaveCore::Link {
  std::mutex mu;
  std::string id;
  uint32_t self = 0;
  std::vector<uint32_t> parties;
  bool dkg = false;
  bool keygen_started = false;     // a DKG link runs one keygen
  std::shared_ptr<LoadedKey> key;  // key links
  std::shared_ptr<const approval::ApprovalPolicy> policy;  // key links
  std::shared_ptr<const round::PartyIdentityKey> identity;
  std::unique_ptr<channel::Handshake> handshake;
  std::string own_attestation;
  std::unique_ptr<channel::SecureSession> session;  // once established
  // When it was established (steady clock, ns; 0 before): read without
  // `mu` by the expiry checks.
  std::atomic<int64_t> established_ns{0};
};

namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool EnclaveCore::Expired(const Link& link) const {
  const int64_t at = link.established_ns.load();
  return at != 0 && SteadyNowNs() - at >
                        absl::ToInt64Nanoseconds(deps_.limits.link_max_age);
}

void EnclaveCore::DropExpiredLinksLocked() {
  for (auto it = links_.begin(); it != links_.end();) {
    if (!Expired(*it->second)) {
      ++it;
      continue;
    }
    if (expired_ids_.insert(it->first).second) {
      expired_order_.push_back(it->first);
      if (expired_order_.size() > 256) {
        expired_ids_.erase(expired_order_.front());
        expired_order_.pop_front();
      }
    }
    it = links_.erase(it);
  }
}

absl::Status EnclaveCore::ExpiredLinkError() const {
  return absl::FailedPreconditionError(absl::StrCat(
      "link: established more than attestation.link_max_age_ms (",
      absl::ToInt64Milliseconds(deps_.limits.link_max_age),
      " ms) ago, so it was dropped; establish a new link (a fresh attested "
      "handshake)"));
}

EnclaveCore::EnclaveCore(EnclaveDeps deps) : deps_(std::move(deps)) {}
EnclaveCore::~EnclaveCore() = default;

absl::StatusOr<std::unique_ptr<EnclaveCore>> EnclaveCore::Create(
    EnclaveDeps deps) {
  if (deps.nsm == nullptr || deps.kms == nullptr || deps.host == nullptr ||
      !deps.verify || deps.kms_key_id.empty()) {
    return absl::InvalidArgumentError(
        "enclave: needs an NSM, a peer verifier, KMS with a key id and a host");
  }
  if (!deps.sessions.keygen) deps.sessions.keygen = gg20::NewKeygenSession;
  if (!deps.sessions.presign) deps.sessions.presign = gg20::NewPresignSession;
  std::unique_ptr<EnclaveCore> core(new EnclaveCore(std::move(deps)));
  ASSIGN_OR_RETURN(core->channel_identity_,
                   channel::ChannelIdentity::Generate());
  ASSIGN_OR_RETURN(kms::RecipientKey recipient, kms::RecipientKey::Generate());
  core->recipient_ = std::make_unique<kms::RecipientKey>(std::move(recipient));
  core->replay_cache_ = std::make_unique<approval::ReplayCache>(
      core->deps_.limits.replay_cache_capacity);
  return core;
}

absl::StatusOr<v1::GetInfoResponse> EnclaveCore::GetInfo(
    const v1::GetInfoRequest& req) {
  if (req.nonce().size() > 64) {
    return absl::InvalidArgumentError("nonce: at most 64 bytes");
  }
  ASSIGN_OR_RETURN(
      std::vector<uint8_t> doc,
      deps_.nsm->GetAttestationDocument(
          std::nullopt,
          std::vector<uint8_t>(req.nonce().begin(), req.nonce().end()),
          std::nullopt));
  v1::GetInfoResponse resp;
  resp.set_attestation_document(std::string(doc.begin(), doc.end()));
  resp.set_version(deps_.version);
  if (deps_.material_ready) {
    resp.set_keygen_material_ready(
        static_cast<uint32_t>(deps_.material_ready()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, key] : keys_) {
    v1::KeyInfo* k = resp.add_keys();
    k->set_key_id(id);
    k->set_party_id(key->share->self);
    k->set_threshold(key->share->threshold);
    for (uint32_t p : key->share->PartyIds()) k->add_parties(p);
    auto pk = key->share->public_key.EncodeOrZeros();
    k->set_public_key(std::string(pk.begin(), pk.end()));
    k->set_epoch(key->epoch);
    const auto& ipk = key->identity->public_key();
    k->set_identity_public_key(std::string(ipk.begin(), ipk.end()));
  }
  return resp;
}

absl::StatusOr<std::shared_ptr<EnclaveCore::Link>> EnclaveCore::FindLink(
    const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(id);
  if (it == links_.end()) {
    if (expired_ids_.count(id) != 0) return ExpiredLinkError();
    return absl::NotFoundError(
        "link: unknown link id (never opened here, "
        "closed, or lost in an enclave restart)");
  }
  return it->second;
}

absl::StatusOr<v1::OpenLinkResponse> EnclaveCore::OpenLink(
    const v1::OpenLinkRequest& req) {
  RETURN_IF_ERROR(CheckId(req.link_id(), "link_id"));
  ASSIGN_OR_RETURN(std::vector<uint32_t> parties,
                   CheckParties(req.parties(), req.self()));
  auto link = std::make_shared<Link>();
  link->id = req.link_id();
  link->self = req.self();
  link->parties = parties;
  channel::HandshakeConfig config;
  config.session_id = req.link_id();
  config.self_id = req.self();
  config.party_ids = parties;
  config.attest = channel::MakeNsmAttester(*deps_.nsm);
  config.verify = deps_.verify;
  switch (req.purpose_case()) {
    case v1::OpenLinkRequest::kDkg: {
      link->dkg = true;
      ASSIGN_OR_RETURN(std::unique_ptr<round::PartyIdentityKey> identity,
                       round::PartyIdentityKey::Generate());
      link->identity = std::move(identity);
      break;
    }
    case v1::OpenLinkRequest::kKeyId: {
      ASSIGN_OR_RETURN(link->key, LoadKey(req.key_id(), req.self()));
      const gg20::KeyShare& share = *link->key->share;
      for (uint32_t p : parties) {
        const gg20::PartyPublicInfo* info = share.Party(p);
        if (info == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "parties: party ", p, " is not a party of key ", req.key_id()));
        }
        if (p != req.self()) {
          config.peers[p].identity_public_key = info->identity_key;
        }
      }
      link->identity = link->key->identity;
      if (!req.has_approval_policy()) {
        return absl::InvalidArgumentError(
            "approval_policy: required with key_id (the key's policy)");
      }
      ASSIGN_OR_RETURN(approval::ApprovalPolicy policy,
                       approval::PolicyFromProto(req.approval_policy()));
      const approval::Digest32 digest = approval::PolicyDigest(policy);
      if (share.policy_digest.size() != digest.size() ||
          !std::equal(digest.begin(), digest.end(),
                      share.policy_digest.begin())) {
        return absl::PermissionDeniedError(
            absl::StrCat("approval_policy: not the policy bound to key ",
                         req.key_id(), " at DKG (digest differs)"));
      }
      link->policy =
          std::make_shared<const approval::ApprovalPolicy>(std::move(policy));
      break;
    }
    default:
      return absl::InvalidArgumentError("purpose: key_id or dkg is required");
  }
  config.party_identity = link->identity.get();
  ASSIGN_OR_RETURN(link->handshake,
                   channel::Handshake::Start(*channel_identity_, config));
  v1::OpenLinkResponse resp;
  resp.set_hello(link->handshake->hello());
  std::lock_guard<std::mutex> lock(mu_);
  DropExpiredLinksLocked();
  if (links_.count(link->id) != 0) {
    return absl::AlreadyExistsError("link_id: a link with this id exists");
  }
  if (links_.size() >= deps_.limits.max_links) {
    return absl::ResourceExhaustedError(
        "link: too many links; close unused ones");
  }
  links_[link->id] = link;
  return resp;
}

absl::StatusOr<v1::AttestLinkResponse> EnclaveCore::AttestLink(
    const v1::AttestLinkRequest& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<Link> link, FindLink(req.link_id()));
  std::lock_guard<std::mutex> lock(link->mu);
  if (link->handshake == nullptr) {
    return absl::FailedPreconditionError("link: already established");
  }
  for (const std::string& hello : req.hellos()) {
    if (hello == link->handshake->hello()) continue;
    RETURN_IF_ERROR(link->handshake->AddHello(hello));
  }
  if (!link->handshake->has_all_hellos()) {
    return absl::FailedPreconditionError("link: a peer's hello is missing");
  }
  ASSIGN_OR_RETURN(link->own_attestation, link->handshake->MakeAttestation());
  v1::AttestLinkResponse resp;
  resp.set_attestation(link->own_attestation);
  return resp;
}

absl::StatusOr<v1::FinishLinkResponse> EnclaveCore::FinishLink(
    const v1::FinishLinkRequest& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<Link> link, FindLink(req.link_id()));
  std::lock_guard<std::mutex> lock(link->mu);
  if (link->handshake == nullptr) {
    return absl::FailedPreconditionError("link: already established");
  }
  for (const std::string& att : req.attestations()) {
    if (att == link->own_attestation) continue;
    absl::Status s = link->handshake->AddAttestation(att);
    if (!s.ok()) {
      // A refused peer spoils the handshake: the link is dropped so that a
      // new one (without that peer, or after it is fixed) can be opened.
      std::lock_guard<std::mutex> l(mu_);
      links_.erase(link->id);
      return s;
    }
  }
  absl::StatusOr<std::unique_ptr<channel::SecureSession>> session =
      link->handshake->Finish();
  if (!session.ok()) return session.status();
  link->session = *std::move(session);
  link->handshake.reset();
  link->established_ns.store(SteadyNowNs());
  v1::FinishLinkResponse resp;
  for (uint32_t p : link->session->peers()) {
    const channel::AttestedPeer* peer = link->session->peer(p);
    v1::AttestedPeer* out = resp.add_peers();
    out->set_party_id(p);
    out->set_module_id(peer->module_id);
    out->set_identity_public_key(std::string(peer->identity_public_key.begin(),
                                             peer->identity_public_key.end()));
    for (const auto& [index, value] : peer->pcrs) {
      (*out->mutable_pcrs())[static_cast<uint32_t>(index)] = value;
    }
  }
  return resp;
}

absl::Status EnclaveCore::CloseLink(const v1::CloseLinkRequest& req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (links_.erase(req.link_id()) == 0) {
    return absl::NotFoundError("link: unknown link id");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ProbeLinksResponse> EnclaveCore::ProbeLinks(
    const v1::ProbeLinksRequest& req) {
  if (req.link_ids_size() > 255) {
    return absl::InvalidArgumentError("link_ids: at most 255");
  }
  std::vector<std::shared_ptr<Link>> found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // An expired link is not listed: the coordinator re-links.
    DropExpiredLinksLocked();
    for (const std::string& id : req.link_ids()) {
      if (id.empty() || id.size() > 64) {
        return absl::InvalidArgumentError("link_ids: each 1..64 bytes");
      }
      auto it = links_.find(id);
      found.push_back(it == links_.end() ? nullptr : it->second);
    }
  }
  v1::ProbeLinksResponse resp;
  for (size_t i = 0; i < found.size(); ++i) {
    if (found[i] == nullptr) continue;
    std::lock_guard<std::mutex> lock(found[i]->mu);
    if (found[i]->session != nullptr) resp.add_established(req.link_ids(i));
  }
  return resp;
}

absl::StatusOr<std::vector<uint8_t>> EnclaveCore::RecipientDocument() {
  ASSIGN_OR_RETURN(std::vector<uint8_t> der, recipient_->PublicKeyDer());
  return deps_.nsm->GetAttestationDocument(std::nullopt, std::nullopt, der);
}

absl::StatusOr<std::vector<uint8_t>> EnclaveCore::Seal(
    const gg20::KeyShare& share, const round::PartyIdentityKey& identity,
    uint64_t epoch) {
  kms::ShareContext context;
  context.kms_key_id = deps_.kms_key_id;
  context.party_id = share.self;
  context.epoch = epoch;
  auto pk = share.public_key.EncodeOrZeros();
  context.group_public_key.assign(pk.begin(), pk.end());
  ASSIGN_OR_RETURN(std::vector<uint8_t> doc, RecipientDocument());
  kms::AttestedRecipient recipient{recipient_.get(), std::move(doc)};
  mpc::SecureBytes record = share.ToRecordBytes();
  return kms::SealShare(*deps_.kms, context, identity,
                        absl::MakeConstSpan(record.data(), record.size()),
                        recipient);
}

absl::StatusOr<v1::KeyInfo> EnclaveCore::AdoptKey(
    std::shared_ptr<const gg20::KeyShare> share,
    std::shared_ptr<const round::PartyIdentityKey> identity) {
  auto key = std::make_shared<LoadedKey>();
  key->identity = std::move(identity);
  key->epoch = kFirstEpoch;
  const std::string id = Hex(share->key_id);
  // Sealed and stored first: a share that then does not fit the locked
  // arena is not lost (it loads on first use once there is room).
  ASSIGN_OR_RETURN(std::vector<uint8_t> blob,
                   Seal(*share, *key->identity, key->epoch));
  RETURN_IF_ERROR(deps_.host->Put(id, share->self, key->epoch, blob));
  // The enclave keeps a copy in locked memory (locked_share.h); the DKG's
  // own copy is wiped when the session that made it is destroyed.
  ASSIGN_OR_RETURN(key->share, LockKeyShare(*share));
  share.reset();
  key->accelerators = gg20::BuildPresignAccelerators(*key->share);
  v1::KeyInfo info;
  info.set_key_id(id);
  info.set_party_id(key->share->self);
  info.set_threshold(key->share->threshold);
  for (uint32_t p : key->share->PartyIds()) info.add_parties(p);
  auto pk = key->share->public_key.EncodeOrZeros();
  info.set_public_key(std::string(pk.begin(), pk.end()));
  info.set_epoch(key->epoch);
  const auto& ipk = key->identity->public_key();
  info.set_identity_public_key(std::string(ipk.begin(), ipk.end()));
  std::lock_guard<std::mutex> lock(mu_);
  keys_[id] = std::move(key);
  return info;
}

absl::StatusOr<std::shared_ptr<EnclaveCore::LoadedKey>> EnclaveCore::LoadKey(
    const std::string& key_id, uint32_t party) {
  if (key_id.size() != 64 ||
      key_id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(
        "key_id: must be 64 lowercase hex digits");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(key_id);
    if (it != keys_.end()) {
      if (it->second->share->self != party) {
        return absl::InvalidArgumentError(
            absl::StrCat("self: this enclave is party ",
                         it->second->share->self, " of key ", key_id));
      }
      return it->second;
    }
  }
  std::lock_guard<std::mutex> load_lock(load_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(key_id);
    if (it != keys_.end()) return it->second;
  }
  absl::StatusOr<std::vector<uint8_t>> blob = deps_.host->Get(key_id, party);
  if (!blob.ok()) {
    return absl::Status(blob.status().code(),
                        absl::StrCat("key ", key_id, " party ", party,
                                     ": fetching the sealed share from the "
                                     "host: ",
                                     blob.status().message()));
  }
  ASSIGN_OR_RETURN(kms::SealedShare header, kms::DecodeSealedShare(*blob));
  kms::UnsealExpectation expected;
  expected.kms_key_id = deps_.kms_key_id;
  expected.party_id = party;
  expected.group_public_key = header.context.group_public_key;
  // Until the key's epoch is confirmed by co-signers (key lifecycle), the
  // enclave trusts the first epoch: every record of this key so far.
  expected.min_epoch = kFirstEpoch;
  ASSIGN_OR_RETURN(std::vector<uint8_t> doc, RecipientDocument());
  kms::AttestedRecipient recipient{recipient_.get(), std::move(doc)};
  ASSIGN_OR_RETURN(kms::UnsealedShare opened,
                   kms::UnsealShare(*deps_.kms, expected, *blob, recipient));
  // Decoded straight into locked memory (locked_share.h).
  ASSIGN_OR_RETURN(std::shared_ptr<const gg20::KeyShare> share,
                   LoadLockedKeyShare(absl::MakeConstSpan(
                       opened.share.data(), opened.share.size())));
  auto pk = share->public_key.EncodeOrZeros();
  const gg20::PartyPublicInfo* self_info = share->Party(party);
  if (Hex(share->key_id) != key_id || share->self != party ||
      std::vector<uint8_t>(pk.begin(), pk.end()) !=
          header.context.group_public_key ||
      self_info == nullptr ||
      self_info->identity_key != opened.identity->public_key()) {
    return absl::DataLossError(absl::StrCat(
        "key ", key_id, " party ", party,
        ": the host served a sealed record of another key or party"));
  }
  auto key = std::make_shared<LoadedKey>();
  key->share = std::move(share);
  key->identity = std::move(opened.identity);
  key->epoch = opened.context.epoch;
  key->share->BuildPeerTables();
  key->accelerators = gg20::BuildPresignAccelerators(*key->share);
  std::lock_guard<std::mutex> lock(mu_);
  keys_[key_id] = key;
  return key;
}

void EnclaveCore::AddPresignature(const std::string& /*link_id*/,
                                  std::shared_ptr<gg20::Presignature> p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (presignatures_.size() >= deps_.limits.max_presignatures) {
    // Full: drop one (the lowest id, i.e. an arbitrary one). A dropped
    // presignature is never used, which is always safe.
    presignatures_.erase(presignatures_.begin());
  }
  presignatures_[Hex(p->public_data().id)] = std::move(p);
}

std::shared_ptr<gg20::Presignature> EnclaveCore::TakePresignature(
    const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = presignatures_.find(id);
  if (it == presignatures_.end()) return nullptr;
  std::shared_ptr<gg20::Presignature> p = std::move(it->second);
  presignatures_.erase(it);
  return p;
}

size_t EnclaveCore::presignature_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return presignatures_.size();
}

void EnclaveCore::SessionEnded() {
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_ > 0) --sessions_;
}

SessionRunner::~SessionRunner() { core_->SessionEnded(); }

namespace {

// Keygen and presign: an mpc round session over a derived channel session.
class RoundRunner : public SessionRunner {
 public:
  using OnDone =
      std::function<absl::StatusOr<v1::SessionResult>(const std::any& result)>;
  using OnOverturned = std::function<void()>;

  RoundRunner(EnclaveCore* core,
              std::unique_ptr<channel::SecureSession> channel,
              std::unique_ptr<round::Session> session, OnDone on_done,
              OnOverturned on_overturned)
      : SessionRunner(core),
        channel_(std::move(channel)),
        session_(std::move(session)),
        on_done_(std::move(on_done)),
        on_overturned_(std::move(on_overturned)) {}

  absl::StatusOr<std::vector<v1::SessionOutput>> Start() override {
    RETURN_IF_ERROR(session_->Start());
    return Flush();
  }

  absl::StatusOr<std::vector<v1::SessionOutput>> Receive(
      const std::string& envelope) override {
    ASSIGN_OR_RETURN(channel::ReceivedMessage received,
                     channel_->Open(envelope));
    absl::StatusOr<round::Message> msg =
        round::DecodeMessage(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(received.payload.data()),
            received.payload.size()));
    mpc::SecureWipe(received.payload.data(), received.payload.size());
    if (!msg.ok()) return msg.status();
    if (msg->from != received.sender ||
        msg->is_broadcast() != received.broadcast ||
        msg->round != received.round) {
      return absl::InvalidArgumentError(
          "envelope: sender, kind or round differ from the protocol message");
    }
    RETURN_IF_ERROR(session_->Receive(*msg));
    return Flush();
  }

  absl::StatusOr<std::vector<v1::SessionOutput>> ExpireRound() override {
    if (session_->state() == round::Session::State::kRunning) {
      RETURN_IF_ERROR(session_->ExpireRound());
    }
    return Flush();
  }

  bool finished() const override { return reported_; }
  uint32_t current_round() const override { return session_->current_round(); }

 private:
  absl::StatusOr<std::vector<v1::SessionOutput>> Flush() {
    std::vector<v1::SessionOutput> out;
    for (round::Message& m : session_->TakeOutbound()) {
      std::vector<uint8_t> bytes = round::EncodeMessage(m);
      absl::string_view view(reinterpret_cast<const char*>(bytes.data()),
                             bytes.size());
      absl::StatusOr<std::string> env =
          m.is_broadcast() ? channel_->SignBroadcast(m.round, view)
                           : channel_->SealDirect(m.to, m.round, view);
      mpc::SecureWipe(bytes.data(), bytes.size());
      if (!env.ok()) return env.status();
      v1::SessionOutput o;
      o.mutable_envelope()->set_to(m.is_broadcast() ? 0 : m.to);
      o.mutable_envelope()->set_envelope(*std::move(env));
      out.push_back(std::move(o));
    }
    const auto state = session_->state();
    if (state == round::Session::State::kDone && !reported_) {
      reported_ = true;
      absl::StatusOr<v1::SessionResult> result = on_done_(session_->result());
      if (result.ok()) {
        v1::SessionOutput o;
        *o.mutable_result() = *std::move(result);
        out.push_back(std::move(o));
        result_reported_ = true;
      } else {
        out.push_back(SelfAbort(session_->config().self,
                                session_->current_round(), result.status()));
      }
    } else if (state == round::Session::State::kAborted && !aborted_) {
      aborted_ = true;
      reported_ = true;
      if (result_reported_ && on_overturned_) on_overturned_();
      v1::SessionOutput o;
      *o.mutable_abort() = AbortToProto(*session_->abort());
      out.push_back(std::move(o));
    }
    return out;
  }

  std::unique_ptr<channel::SecureSession> channel_;
  std::unique_ptr<round::Session> session_;
  OnDone on_done_;
  OnOverturned on_overturned_;
  bool reported_ = false;
  bool result_reported_ = false;
  bool aborted_ = false;
};

// Online signing: one broadcast round of signature shares over the derived
// channel; every signer combines and verifies.
class SignRunner : public SessionRunner {
 public:
  SignRunner(EnclaveCore* core, std::unique_ptr<channel::SecureSession> ch,
             std::shared_ptr<gg20::Presignature> presignature,
             gg20::SignRequest request)
      : SessionRunner(core),
        channel_(std::move(ch)),
        presignature_(std::move(presignature)),
        request_(std::move(request)),
        public_(presignature_->public_data()) {}

  absl::StatusOr<std::vector<v1::SessionOutput>> Start() override {
    ASSIGN_OR_RETURN(digest_, gg20::RequestDigest(request_));
    // The presignature was taken out of the enclave's table: whatever
    // happens now, it is never used again.
    ASSIGN_OR_RETURN(gg20::SignatureShare share,
                     gg20::SignShare(*presignature_, request_,
                                     [](const gg20::PresignatureId&) {
                                       return absl::OkStatus();
                                     }));
    presignature_.reset();
    const std::string bytes =
        gg20::SignatureShareToProto(share).SerializeAsString();
    shares_[share.signer] = share;
    ASSIGN_OR_RETURN(std::string env, channel_->SignBroadcast(1, bytes));
    std::vector<v1::SessionOutput> out(1);
    out[0].mutable_envelope()->set_to(0);
    out[0].mutable_envelope()->set_envelope(std::move(env));
    return MaybeCombine(std::move(out));
  }

  absl::StatusOr<std::vector<v1::SessionOutput>> Receive(
      const std::string& envelope) override {
    if (finished_) {
      return absl::FailedPreconditionError("sign: session already finished");
    }
    ASSIGN_OR_RETURN(channel::ReceivedMessage received,
                     channel_->Open(envelope));
    if (!received.broadcast || received.round != 1) {
      return absl::InvalidArgumentError(
          "sign: expected a round-1 broadcast signature share");
    }
    absl::StatusOr<gg20::SignatureShare> share =
        gg20::SignatureShareFromBytes(absl::MakeConstSpan(
            reinterpret_cast<const uint8_t*>(received.payload.data()),
            received.payload.size()));
    std::vector<v1::SessionOutput> out;
    if (!share.ok() || share->signer != received.sender ||
        share->presignature_id != public_.id) {
      // Authenticated by the sender's attested channel key: its fault.
      round::Abort abort;
      abort.protocol = "gg20/sign/v1";
      abort.round = 1;
      abort.culprits.push_back(
          round::Culprit(received.sender, round::CulpritCode::kBadMessage,
                         share.ok() ? "share for another signer or presignature"
                                    : std::string(share.status().message())));
      return Finish(std::move(out), abort);
    }
    if (shares_.count(share->signer) != 0) {
      return absl::AlreadyExistsError("sign: duplicate share");
    }
    shares_[share->signer] = *share;
    return MaybeCombine(std::move(out));
  }

  absl::StatusOr<std::vector<v1::SessionOutput>> ExpireRound() override {
    if (finished_) return std::vector<v1::SessionOutput>{};
    round::Abort abort;
    abort.protocol = "gg20/sign/v1";
    abort.round = 1;
    for (uint32_t p : public_.binding.signers) {
      if (shares_.count(p) == 0) {
        abort.culprits.push_back(round::Culprit(
            p, round::CulpritCode::kSilent,
            "no round-1 broadcast message before the deadline (silent "
            "sender, or dropped by the relay)"));
      }
    }
    return Finish({}, abort);
  }

  bool finished() const override { return finished_; }
  uint32_t current_round() const override { return 1; }

 private:
  absl::StatusOr<std::vector<v1::SessionOutput>> Finish(
      std::vector<v1::SessionOutput> out, const round::Abort& abort) {
    finished_ = true;
    v1::SessionOutput o;
    *o.mutable_abort() = AbortToProto(abort);
    out.push_back(std::move(o));
    return out;
  }

  absl::StatusOr<std::vector<v1::SessionOutput>> MaybeCombine(
      std::vector<v1::SessionOutput> out) {
    if (shares_.size() < public_.binding.signers.size()) return out;
    std::vector<gg20::SignatureShare> shares;
    for (const auto& [id, s] : shares_) shares.push_back(s);
    std::vector<round::Culprit> culprits;
    absl::StatusOr<mpc::EcdsaSignature> sig =
        gg20::CombineShares(public_, digest_, shares, &culprits);
    if (!sig.ok()) {
      round::Abort abort;
      abort.protocol = "gg20/sign/v1";
      abort.round = 1;
      abort.culprits = culprits;
      abort.cause = std::string(sig.status().message());
      return Finish(std::move(out), abort);
    }
    finished_ = true;
    v1::SessionOutput o;
    v1::Signature* s = o.mutable_result()->mutable_signature();
    auto r = sig->r.ToBytes();
    auto sv = sig->s.ToBytes();
    s->set_r(std::string(r.begin(), r.end()));
    s->set_s(std::string(sv.begin(), sv.end()));
    s->set_recovery_id(static_cast<uint32_t>(sig->recovery_id));
    s->set_digest(std::string(digest_.begin(), digest_.end()));
    auto pk = public_.public_key.EncodeOrZeros();
    s->set_public_key(std::string(pk.begin(), pk.end()));
    out.push_back(std::move(o));
    return out;
  }

  std::unique_ptr<channel::SecureSession> channel_;
  std::shared_ptr<gg20::Presignature> presignature_;
  gg20::SignRequest request_;
  gg20::PresignaturePublic public_;
  std::array<uint8_t, 32> digest_{};
  std::map<uint32_t, gg20::SignatureShare> shares_;
  bool finished_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SessionRunner>> EnclaveCore::StartSession(
    const v1::StartSession& start, bool* approvals_consumed) {
  if (start.session_id().size() < kMinSessionIdBytes ||
      start.session_id().size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("session_id: must be 16..64 bytes");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Link> link, FindLink(start.link_id()));
  if (Expired(*link)) {
    std::lock_guard<std::mutex> lock(mu_);
    DropExpiredLinksLocked();
    return ExpiredLinkError();
  }
  std::unique_lock<std::mutex> link_lock(link->mu);
  if (link->session == nullptr) {
    return absl::FailedPreconditionError("link: not established yet");
  }
  // The protocol's parameters are validated before anything is spent.
  std::shared_ptr<gg20::Presignature> presignature;
  gg20::SignRequest sign_request;
  approval::ApprovalRequest approval_request;  // a sign's
  std::vector<approval::Approval> approvals;   // a sign's
  std::vector<uint8_t> policy_digest;
  switch (start.protocol_case()) {
    case v1::StartSession::kKeygen:
      if (!link->dkg) {
        return absl::FailedPreconditionError(
            "keygen: the link was opened for an existing key, not a DKG");
      }
      if (link->keygen_started) {
        return absl::FailedPreconditionError(
            "keygen: this link already ran its DKG (open a new one)");
      }
      if (!start.keygen().has_approval_policy()) {
        return absl::InvalidArgumentError(
            "keygen.approval_policy: required (who approves operations on "
            "the key)");
      }
      {
        ASSIGN_OR_RETURN(
            approval::ApprovalPolicy policy,
            approval::PolicyFromProto(start.keygen().approval_policy()));
        const approval::Digest32 d = approval::PolicyDigest(policy);
        policy_digest.assign(d.begin(), d.end());
      }
      break;
    case v1::StartSession::kPresign:
      if (link->dkg) {
        return absl::FailedPreconditionError(
            "presign: the link was opened for a DKG, not for a key");
      }
      if (!start.presign().derivation_path().empty()) {
        return absl::UnimplementedError(
            "presign: derivation paths are not supported yet");
      }
      break;
    case v1::StartSession::kSign: {
      if (link->dkg) {
        return absl::FailedPreconditionError(
            "sign: the link was opened for a DKG, not for a key");
      }
      const v1::SignParams& p = start.sign();
      if (!p.derivation_path().empty()) {
        return absl::UnimplementedError(
            "sign: derivation paths are not supported yet");
      }
      if (p.message().size() > gg20::kMaxSignMessageBytes) {
        return absl::InvalidArgumentError("sign.message: larger than 1 MiB");
      }
      if (!p.digest().empty() &&
          (!p.message().empty() || p.digest().size() != 32)) {
        return absl::InvalidArgumentError(
            "sign.digest: 32 bytes, and only without `message`");
      }
      switch (p.hash()) {
        case v1::HASH_FUNCTION_SHA256:
          sign_request.algorithm = gg20::DigestAlgorithm::kSha256;
          break;
        case v1::HASH_FUNCTION_KECCAK256:
          sign_request.algorithm = gg20::DigestAlgorithm::kKeccak256;
          break;
        default:
          return absl::InvalidArgumentError(
              "sign.hash: SHA256 or KECCAK256 required");
      }
      sign_request.key_id = link->key->share->key_id;
      sign_request.signers = link->parties;
      if (p.digest().empty()) {
        sign_request.message.assign(p.message().begin(), p.message().end());
      } else {
        // The caller hashed (with `hash`, which the approvals name).
        sign_request.algorithm = gg20::DigestAlgorithm::kRawDigest;
        sign_request.allow_raw_digest = true;
        sign_request.message.assign(p.digest().begin(), p.digest().end());
      }
      // The presignature must exist before approvals are spent on it (it is
      // taken after them, so a refused request consumes no presignature;
      // of two requests racing for one presignature only one takes it).
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it =
            presignatures_.find(absl::BytesToHexString(p.presignature_id()));
        if (it == presignatures_.end()) {
          return absl::NotFoundError(kNoSuchPresignature);
        }
      }
      using Digest = std::array<uint8_t, 32>;
      ASSIGN_OR_RETURN(Digest digest, gg20::RequestDigest(sign_request));
      if (!p.has_approvals()) {
        return absl::PermissionDeniedError(
            "sign.approvals: none (the key's policy requires a quorum)");
      }
      ASSIGN_OR_RETURN(approval::ApprovalBundle bundle,
                       approval::BundleFromProto(p.approvals()));
      approval::Digest32 d;
      std::copy(digest.begin(), digest.end(), d.begin());
      approval_request = approval::RequestForOperation(
          link->key->share->key_id, approval::Operation::kSign,
          p.hash() == v1::HASH_FUNCTION_SHA256
              ? approval::HashFunction::kSha256
              : approval::HashFunction::kKeccak256,
          d, {}, bundle);
      approvals = std::move(bundle.approvals);
      break;
    }
    default:
      return absl::InvalidArgumentError(
          "protocol: keygen, presign or sign is required");
  }
  // The run's slot in this enclave and its session id on the link are
  // checked before a sign spends its approvals: a full enclave or a reused
  // id refuses the request with its approvals still unused. From here on
  // every refusal frees the slot (a runner frees it when it is destroyed).
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sessions_ >= deps_.limits.max_sessions) {
      return absl::ResourceExhaustedError(
          "session: too many sessions running in this enclave");
    }
    ++sessions_;
  }
  auto fail = [this](absl::Status s) {
    SessionEnded();
    return s;
  };
  // Changes nothing; link->mu is held until Derive below, so it holds then.
  if (absl::Status derivable = link->session->CheckDerive(
          start.session_id(), deps_.limits.max_sessions_per_link);
      !derivable.ok()) {
    return fail(derivable);
  }
  if (start.protocol_case() == v1::StartSession::kSign) {
    approval::VerifierOptions options;
    options.max_validity_ms = deps_.limits.max_approval_validity_ms;
    if (absl::Status checked = approval::CheckApprovals(
            *link->policy, approval_request, approvals,
            static_cast<uint64_t>(attestation::WallClockMs()), *replay_cache_,
            options);
        !checked.ok()) {
      return fail(checked);
    }
    // Their nonce is recorded: a start with them is refused from now on.
    if (approvals_consumed != nullptr) *approvals_consumed = true;
    const v1::SignParams& p = start.sign();
    presignature =
        TakePresignature(absl::BytesToHexString(p.presignature_id()));
    if (presignature == nullptr) {
      return fail(absl::NotFoundError(kNoSuchPresignature));
    }
    if (presignature->public_data().binding.key_id !=
            link->key->share->key_id ||
        presignature->public_data().binding.signers != link->parties) {
      return fail(absl::FailedPreconditionError(
          "sign.presignature_id: made for another key or signer set "
          "(it is discarded)"));
    }
  }
  absl::StatusOr<std::unique_ptr<channel::SecureSession>> derived =
      link->session->Derive(start.session_id(),
                            deps_.limits.max_sessions_per_link);
  if (!derived.ok()) return fail(derived.status());
  const std::array<uint8_t, 32>& nonce = (*derived)->session_nonce();
  std::vector<uint8_t> protocol_session_id(nonce.begin(), nonce.end());

  switch (start.protocol_case()) {
    case v1::StartSession::kKeygen: {
      if (!deps_.material) {
        return fail(absl::FailedPreconditionError(
            "keygen: this enclave has no keygen material source"));
      }
      link->keygen_started = true;
      gg20::KeygenConfig config;
      config.session_id = protocol_session_id;
      config.self = link->self;
      config.parties = link->parties;
      config.threshold = start.keygen().threshold();
      absl::StatusOr<gg20::KeygenMaterial> material =
          deps_.material(absl::Now() + deps_.limits.round_deadline);
      if (!material.ok()) return fail(material.status());
      config.material = *std::move(material);
      config.identity = link->identity;
      config.identity_keys = (*derived)->identity_keys();
      config.policy_digest = policy_digest;
      absl::StatusOr<std::unique_ptr<round::Session>> session =
          deps_.sessions.keygen(config, mpc::SystemRandom());
      if (!session.ok()) return fail(session.status());
      auto identity = link->identity;
      return std::unique_ptr<SessionRunner>(new RoundRunner(
          this, *std::move(derived), *std::move(session),
          [this,
           identity](const std::any& any) -> absl::StatusOr<v1::SessionResult> {
            auto share =
                std::any_cast<std::shared_ptr<const gg20::KeyShare>>(any);
            ASSIGN_OR_RETURN(v1::KeyInfo info, AdoptKey(share, identity));
            v1::SessionResult r;
            *r.mutable_key() = std::move(info);
            return r;
          },
          nullptr));
    }
    case v1::StartSession::kPresign: {
      gg20::PresignConfig config;
      config.session_id = protocol_session_id;
      config.key_share = link->key->share;
      config.signers = link->parties;
      config.accelerators = link->key->accelerators;
      config.identity = link->key->identity;
      config.threads = deps_.limits.presign_threads;
      absl::StatusOr<std::unique_ptr<round::Session>> session =
          deps_.sessions.presign(config, mpc::SystemRandom());
      if (!session.ok()) return fail(session.status());
      auto made = std::make_shared<std::string>();
      const std::string link_id = link->id;
      return std::unique_ptr<SessionRunner>(new RoundRunner(
          this, *std::move(derived), *std::move(session),
          [this, made,
           link_id](const std::any& any) -> absl::StatusOr<v1::SessionResult> {
            auto p = std::any_cast<std::shared_ptr<gg20::Presignature>>(any);
            v1::SessionResult r;
            const auto& id = p->public_data().id;
            r.mutable_presignature()->set_presignature_id(
                std::string(id.begin(), id.end()));
            auto rp = p->public_data().big_r.EncodeOrZeros();
            r.mutable_presignature()->set_r_point(
                std::string(rp.begin(), rp.end()));
            *made = Hex(id);
            AddPresignature(link_id, std::move(p));
            return r;
          },
          [this, made] {
            // A valid complaint overturned the run after this party had
            // finished: its presignature must never be used.
            if (!made->empty()) TakePresignature(*made);
          }));
    }
    case v1::StartSession::kSign:
      return std::unique_ptr<SessionRunner>(
          new SignRunner(this, *std::move(derived), std::move(presignature),
                         std::move(sign_request)));
    default:
      return fail(absl::InternalError("unreachable"));
  }
}

}  // namespace nitro_tss::enclave
