#include "mpc/gg20/keygen.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/keygen_proofs.h"
#include "mpc/primes/safe_prime.h"
#include "mpc/transcript/transcript.h"
#include "mpc/vss/feldman.h"
#include "mpc/vss/lagrange.h"
#include "mpc/zk/schnorr.h"

namespace nitro_tss::mpc::gg20 {
namespace {

using round::AbortOutput;
using round::CulpritCode;
using round::DirectAbortOutput;
using round::Message;
using round::PartyId;
using round::RoundOutput;
using round::WithCulpritCode;

constexpr char kWhat[] = "keygen";

absl::Status Bad(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("keygen: ", msg));
}
absl::Status Prefixed(const absl::Status& st) {
  return absl::InvalidArgumentError(absl::StrCat("keygen: ", st.message()));
}

struct PeerData {
  std::vector<Point> vss;  // t+1
  std::optional<PaillierPublicKey> paillier;
  std::optional<RingPedersenParams> ring_pedersen;
  Scalar share_for_me;  // f_j(self)
};

struct KeygenState {
  KeygenConfig config;
  std::vector<uint8_t> config_digest;
  std::vector<Scalar> ids;  // Scalar ids, same order as config.parties
  FeldmanDealing dealing;
  v1::KeygenDecommit decommit;
  std::map<PartyId, std::array<uint8_t, 32>> commitments;
  std::map<PartyId, PeerData> peers;
  Scalar x;  // own final share
  Point public_key;
  std::map<PartyId, Point> public_shares;
  std::shared_ptr<KeyShare> key_share;

  ProofContext Ctx(uint32_t round, PartyId prover, PartyId verifier) const {
    ProofContext c;
    c.session_id = config.session_id;
    c.protocol = kKeygenProtocol;
    c.round = round;
    c.prover = prover;
    c.verifier = verifier == 0 ? ProofContext::kBroadcast : verifier;
    return c;
  }
  void Tamper(uint32_t round, PartyId to, google::protobuf::Message& m) const {
    if (config.testing != nullptr && config.testing->tamper) {
      config.testing->tamper(round, to, m);
    }
  }
};

std::array<uint8_t, 32> CommitmentOf(const KeygenState& s, PartyId party,
                                     const std::string& decommit_bytes) {
  Transcript t("nitro-tss/gg20/keygen-commit/v1");
  t.AppendBytes("session", s.config.session_id);
  t.AppendBytes("config", s.config_digest);
  t.AppendU64("party", party);
  t.AppendBytes("decommit",
                absl::Span<const uint8_t>(
                    reinterpret_cast<const uint8_t*>(decommit_bytes.data()),
                    decommit_bytes.size()));
  std::vector<uint8_t> c = t.ChallengeBytes("commitment", 32);
  std::array<uint8_t, 32> out;
  std::copy(c.begin(), c.end(), out.begin());
  return out;
}

absl::StatusOr<std::string> SchnorrBytes(const Point& x_point,
                                         const Scalar& witness,
                                         const ProofContext& ctx,
                                         RandomSource& rng) {
  absl::StatusOr<SchnorrProof> p = SchnorrProof::Prove(
      SchnorrStatement::ForGenerator(x_point), witness, ctx, rng);
  if (!p.ok()) return p.status();
  return SerializeEmbedded(p->ToProto());
}

absl::Status VerifySchnorrBytes(const std::string& bytes, const Point& x_point,
                                const ProofContext& ctx,
                                absl::string_view field) {
  v1::SchnorrProof pb;
  if (absl::Status st = ParseEmbedded(bytes, 4096, pb, kWhat, field);
      !st.ok()) {
    return st;
  }
  absl::StatusOr<SchnorrProof> p = SchnorrProof::FromProto(pb);
  if (!p.ok()) return Prefixed(p.status());
  absl::Status st =
      SchnorrProof::Verify(SchnorrStatement::ForGenerator(x_point), *p, ctx);
  if (!st.ok()) {
    return WithCulpritCode(Bad(absl::StrCat(field, ": ", st.message())),
                           CulpritCode::kBadProof);
  }
  return absl::OkStatus();
}

// Round-2 messages of `msg.from`: the decommitment (broadcast; opens the
// round-1 commitment, t+1 VSS commitments, Schnorr proof of u, Paillier and
// ring-Pedersen parameters with Πmod/Πprm when `verify_proofs`) or the VSS
// share (direct). Used by the round and by the complaint judge.
absl::Status DecodeRound2(const KeygenState& s, const Message& msg,
                          PeerData& peer, bool verify_proofs) {
  const KeygenConfig& cfg = s.config;
  if (!msg.is_broadcast()) {
    v1::KeygenShare pb;
    if (absl::Status st = ParsePayload(msg.payload, pb, kWhat); !st.ok()) {
      return st;
    }
    absl::StatusOr<Scalar> share = DecodeSc(pb.share(), kWhat, "share");
    sodium_memzero(pb.mutable_share()->data(), pb.share().size());
    if (!share.ok()) return share.status();
    peer.share_for_me = *share;
    share->Wipe();
    return absl::OkStatus();
  }
  v1::KeygenDecommit pb;
  if (absl::Status st = ParsePayload(msg.payload, pb, kWhat); !st.ok()) {
    return st;
  }
  // The decommitment must open the round-1 commitment.
  std::array<uint8_t, 32> c = CommitmentOf(
      s, msg.from, std::string(msg.payload.begin(), msg.payload.end()));
  if (sodium_memcmp(c.data(), s.commitments.at(msg.from).data(), 32) != 0) {
    return WithCulpritCode(
        Bad("decommitment does not open the round-1 commitment"),
        CulpritCode::kBadOpening);
  }
  if (pb.salt().size() != 32) return Bad("salt must be 32 bytes");
  // Exactly t+1 VSS commitments (checked before decoding any point).
  if (static_cast<size_t>(pb.vss_commitments_size()) != cfg.threshold + 1) {
    return Bad(absl::StrCat("vss: dealer ", msg.from, ": expected exactly ",
                            cfg.threshold + 1, " commitments, got ",
                            pb.vss_commitments_size()));
  }
  std::vector<Point> vss;
  for (const std::string& b : pb.vss_commitments()) {
    absl::StatusOr<Point> p = DecodePt(b, kWhat, "vss_commitment");
    if (!p.ok()) return p.status();
    vss.push_back(*p);
  }
  if (absl::Status st = ValidateCommitments(vss, cfg.threshold, msg.from);
      !st.ok()) {
    return Prefixed(st);
  }
  if (absl::Status st =
          verify_proofs ? VerifySchnorrBytes(pb.schnorr_u(), vss[0],
                                             s.Ctx(2, msg.from, 0), "schnorr_u")
                        : absl::OkStatus();
      !st.ok()) {
    return st;
  }
  absl::StatusOr<BigInt> n = DecodeInt(
      pb.paillier_n(), kMaxModulusMagnitudeBytes, kWhat, "paillier_n");
  if (!n.ok()) return n.status();
  absl::StatusOr<PaillierPublicKey> pk = PaillierPublicKey::FromModulus(*n);
  if (!pk.ok()) return Prefixed(pk.status());
  absl::StatusOr<BigInt> rn =
      DecodeInt(pb.rp_n(), kMaxModulusMagnitudeBytes, kWhat, "rp_n");
  if (!rn.ok()) return rn.status();
  absl::StatusOr<BigInt> rs =
      DecodeInt(pb.rp_s(), kMaxModulusMagnitudeBytes, kWhat, "rp_s");
  if (!rs.ok()) return rs.status();
  absl::StatusOr<BigInt> rt =
      DecodeInt(pb.rp_t(), kMaxModulusMagnitudeBytes, kWhat, "rp_t");
  if (!rt.ok()) return rt.status();
  absl::StatusOr<RingPedersenParams> rp =
      RingPedersenParams::Create(*rn, *rs, *rt);
  if (!rp.ok()) return Prefixed(rp.status());
  if (pb.pi_mod().size() > kMaxProofBytes) return Bad("pi_mod too large");
  if (pb.pi_prm().size() > kMaxProofBytes) return Bad("pi_prm too large");
  if (verify_proofs) {
    if (absl::Status st =
            VerifyPaillierBlum(*pk, pb.pi_mod(), s.Ctx(2, msg.from, 0));
        !st.ok()) {
      return WithCulpritCode(Prefixed(st), CulpritCode::kBadProof);
    }
    if (absl::Status st =
            VerifyRingPedersenParams(*rp, pb.pi_prm(), s.Ctx(2, msg.from, 0));
        !st.ok()) {
      return WithCulpritCode(Prefixed(st), CulpritCode::kBadProof);
    }
  }
  peer.vss = std::move(vss);
  peer.paillier = *std::move(pk);
  peer.ring_pedersen = *std::move(rp);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- round 4
class KeygenRound4 : public round::Round {
 public:
  explicit KeygenRound4(std::shared_ptr<KeygenState> s) : s_(std::move(s)) {}
  uint32_t Number() const override { return 4; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return false; }
  absl::Status Verify(const Message& msg) const override {
    v1::KeygenConfirm pb;
    if (absl::Status st = ParsePayload(msg.payload, pb, kWhat); !st.ok()) {
      return st;
    }
    absl::StatusOr<std::array<uint8_t, 32>> id =
        DecodeDigest(pb.key_id(), kWhat, "key_id");
    if (!id.ok()) return id.status();
    if (sodium_memcmp(id->data(), s_->key_share->key_id.data(), 32) != 0) {
      return WithCulpritCode(Bad("confirmation names a different key id"),
                             CulpritCode::kWrongValue);
    }
    return absl::OkStatus();
  }
  void Store(const Message&) override {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    RoundOutput out;
    out.result = std::shared_ptr<const KeyShare>(s_->key_share);
    return out;
  }

 private:
  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 3
class KeygenRound3 : public round::Round {
 public:
  explicit KeygenRound3(std::shared_ptr<KeygenState> s) : s_(std::move(s)) {}
  uint32_t Number() const override { return 3; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return true; }
  absl::Status Verify(const Message& msg) const override {
    const PeerData& peer = s_->peers.at(msg.from);
    if (msg.is_broadcast()) {
      v1::KeygenShareProof pb;
      if (absl::Status st = ParsePayload(msg.payload, pb, kWhat); !st.ok()) {
        return st;
      }
      return VerifySchnorrBytes(pb.schnorr_x(), s_->public_shares.at(msg.from),
                                s_->Ctx(3, msg.from, 0), "schnorr_x");
    }
    v1::KeygenFacProof pb;
    if (absl::Status st = ParsePayload(msg.payload, pb, kWhat); !st.ok()) {
      return st;
    }
    if (pb.pi_fac().size() > kMaxProofBytes) return Bad("pi_fac too large");
    return WithCulpritCode(
        VerifyNoSmallFactor(*peer.paillier,
                            s_->config.material.ring_pedersen->params(),
                            pb.pi_fac(), s_->Ctx(3, msg.from, s_->config.self),
                            s_->config.material.ring_pedersen.get()),
        CulpritCode::kBadProof);
  }
  void Store(const Message&) override {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    auto ks = std::make_shared<KeyShare>();
    ks->self = s_->config.self;
    ks->threshold = s_->config.threshold;
    ks->public_key = s_->public_key;
    ks->secret_share = s_->x;
    ks->paillier = s_->config.material.paillier;
    ks->ring_pedersen = s_->config.material.ring_pedersen;
    std::vector<PartyId> sorted = s_->config.parties;
    std::sort(sorted.begin(), sorted.end());
    for (PartyId id : sorted) {
      const round::IdentityPublicKey& identity =
          s_->config.identity_keys.at(id);
      if (id == s_->config.self) {
        ks->parties.push_back(PartyPublicInfo{
            id, s_->public_shares.at(id),
            s_->config.material.paillier->public_key(),
            s_->config.material.ring_pedersen->params(), identity});
      } else {
        const PeerData& p = s_->peers.at(id);
        ks->parties.push_back(PartyPublicInfo{id, s_->public_shares.at(id),
                                              *p.paillier, *p.ring_pedersen,
                                              identity});
      }
    }
    ks->key_id = ComputeKeyId(ks->threshold, ks->public_key, ks->parties);
    s_->key_share = ks;
    v1::KeygenConfirm confirm;
    confirm.set_key_id(std::string(ks->key_id.begin(), ks->key_id.end()));
    s_->Tamper(4, 0, confirm);
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(confirm)));
    out.next = std::make_unique<KeygenRound4>(s_);
    return out;
  }

 private:
  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 2
class KeygenRound2 : public round::Round {
 public:
  explicit KeygenRound2(std::shared_ptr<KeygenState> s) : s_(std::move(s)) {}
  uint32_t Number() const override { return 2; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return true; }

  absl::Status Verify(const Message& msg) const override {
    PeerData unused;
    return DecodeRound2(*s_, msg, unused, /*verify_proofs=*/true);
  }
  void Store(const Message& msg) override {
    PeerData& peer = s_->peers[msg.from];
    // Verify already succeeded on the same message: decode without
    // re-running the proofs.
    absl::Status st = DecodeRound2(*s_, msg, peer, /*verify_proofs=*/false);
    (void)st;
  }

  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    const KeygenConfig& cfg = s_->config;
    const Scalar my_id = Scalar::FromU64(cfg.self);
    // Shares against their dealers' commitments.
    Scalar x = s_->dealing.shares[SelfIndex()].value;
    for (auto& [j, peer] : s_->peers) {
      absl::Status st =
          VerifyShare(peer.share_for_me, my_id, peer.vss, cfg.threshold, j);
      if (!st.ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadShare,
                                 absl::StrCat("keygen: ", st.message()));
      }
      x = x + peer.share_for_me;
      peer.share_for_me.Wipe();
    }
    s_->x = x;
    x.Wipe();
    // Public key and public shares.
    auto all_vss = [&](PartyId j) -> const std::vector<Point>& {
      return j == cfg.self ? s_->dealing.commitments : s_->peers.at(j).vss;
    };
    Point y;
    for (PartyId j : cfg.parties) y = y + all_vss(j)[0];
    if (y.IsIdentity())
      return absl::InternalError("keygen: public key is the identity");
    s_->public_key = y;
    for (PartyId i : cfg.parties) {
      Point xi;
      for (PartyId j : cfg.parties) {
        absl::StatusOr<Point> p =
            PublicShare(all_vss(j), cfg.threshold, Scalar::FromU64(i), j);
        if (!p.ok())
          return AbortOutput(j, CulpritCode::kBadMessage,
                             absl::StrCat("keygen: ", p.status().message()));
        xi = xi + *p;
      }
      if (xi.IsIdentity()) {
        return absl::InternalError("keygen: a public share is the identity");
      }
      s_->public_shares[i] = xi;
    }
    if (Point::MulBase(s_->x) != s_->public_shares.at(cfg.self)) {
      return absl::InternalError("keygen: own share inconsistent");
    }
    RoundOutput out;
    v1::KeygenShareProof proof;
    absl::StatusOr<std::string> sch = SchnorrBytes(
        s_->public_shares.at(cfg.self), s_->x, s_->Ctx(3, cfg.self, 0), rng);
    if (!sch.ok()) return sch.status();
    proof.set_schnorr_x(*sch);
    s_->Tamper(3, 0, proof);
    out.outbound.push_back(Message::Broadcast(SerializePayload(proof)));
    for (PartyId j : cfg.parties) {
      if (j == cfg.self) continue;
      v1::KeygenFacProof fac;
      absl::StatusOr<std::string> pf = ProveNoSmallFactor(
          *cfg.material.paillier, *s_->peers.at(j).ring_pedersen,
          s_->Ctx(3, cfg.self, j), rng);
      if (!pf.ok()) return pf.status();
      fac.set_pi_fac(*pf);
      s_->Tamper(3, j, fac);
      out.outbound.push_back(Message::Direct(j, SerializePayload(fac)));
    }
    out.next = std::make_unique<KeygenRound3>(s_);
    return out;
  }

 private:
  size_t SelfIndex() const {
    for (size_t i = 0; i < s_->config.parties.size(); ++i) {
      if (s_->config.parties[i] == s_->config.self) return i;
    }
    return 0;
  }

  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 1
class KeygenRound1 : public round::Round {
 public:
  explicit KeygenRound1(std::shared_ptr<KeygenState> s) : s_(std::move(s)) {}
  uint32_t Number() const override { return 1; }
  bool ExpectsBroadcast() const override { return true; }
  bool ExpectsDirect() const override { return false; }
  absl::Status Verify(const Message& msg) const override {
    v1::KeygenCommit pb;
    if (absl::Status st = ParsePayload(msg.payload, pb, kWhat); !st.ok()) {
      return st;
    }
    return DecodeDigest(pb.commitment(), kWhat, "commitment").status();
  }
  void Store(const Message& msg) override {
    v1::KeygenCommit pb;
    (void)ParsePayload(msg.payload, pb, kWhat);
    std::copy(pb.commitment().begin(), pb.commitment().end(),
              s_->commitments[msg.from].begin());
  }
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    const KeygenConfig& cfg = s_->config;
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(s_->decommit)));
    for (size_t i = 0; i < cfg.parties.size(); ++i) {
      PartyId j = cfg.parties[i];
      if (j == cfg.self) continue;
      v1::KeygenShare share;
      share.set_share(EncodeSc(s_->dealing.shares[i].value));
      s_->Tamper(2, j, share);
      out.outbound.push_back(Message::Direct(j, SerializePayload(share)));
      sodium_memzero(share.mutable_share()->data(), share.share().size());
    }
    out.next = std::make_unique<KeygenRound2>(s_);
    return out;
  }

 private:
  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 0
class KeygenRound0 : public round::Round {
 public:
  explicit KeygenRound0(std::shared_ptr<KeygenState> s) : s_(std::move(s)) {}
  uint32_t Number() const override { return 0; }
  bool ExpectsBroadcast() const override { return false; }
  bool ExpectsDirect() const override { return false; }
  absl::Status Verify(const Message&) const override {
    return Bad("round 0 expects no messages");
  }
  void Store(const Message&) override {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    const KeygenConfig& cfg = s_->config;
    const size_t degree =
        cfg.threshold +
        (cfg.testing != nullptr ? cfg.testing->extra_vss_degree : 0);
    Scalar u = Scalar::RandomNonZero(rng);
    absl::StatusOr<FeldmanDealing> dealing =
        FeldmanShare(u, degree, s_->ids, rng);
    if (!dealing.ok()) return dealing.status();
    s_->dealing = *std::move(dealing);
    v1::KeygenDecommit& d = s_->decommit;
    std::vector<uint8_t> salt(32);
    rng.Fill(salt.data(), salt.size());
    d.set_salt(std::string(salt.begin(), salt.end()));
    for (const Point& c : s_->dealing.commitments) {
      d.add_vss_commitments(EncodePt(c));
    }
    absl::StatusOr<std::string> sch = SchnorrBytes(
        s_->dealing.commitments[0], u, s_->Ctx(2, cfg.self, 0), rng);
    u.Wipe();
    if (!sch.ok()) return sch.status();
    d.set_schnorr_u(*sch);
    d.set_paillier_n(EncodeInt(cfg.material.paillier->n()));
    const RingPedersenParams& rp = cfg.material.ring_pedersen->params();
    d.set_rp_n(EncodeInt(rp.n()));
    d.set_rp_s(EncodeInt(rp.s()));
    d.set_rp_t(EncodeInt(rp.t()));
    absl::StatusOr<std::string> pmod =
        ProvePaillierBlum(*cfg.material.paillier, s_->Ctx(2, cfg.self, 0), rng);
    if (!pmod.ok()) return pmod.status();
    d.set_pi_mod(*pmod);
    absl::StatusOr<std::string> pprm = ProveRingPedersenParams(
        *cfg.material.ring_pedersen, s_->Ctx(2, cfg.self, 0), rng);
    if (!pprm.ok()) return pprm.status();
    d.set_pi_prm(*pprm);
    s_->Tamper(2, 0, d);
    v1::KeygenCommit commit;
    std::array<uint8_t, 32> c =
        CommitmentOf(*s_, cfg.self, SerializeEmbedded(d));
    commit.set_commitment(std::string(c.begin(), c.end()));
    s_->Tamper(1, 0, commit);
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(commit)));
    out.next = std::make_unique<KeygenRound1>(s_);
    return out;
  }

 private:
  std::shared_ptr<KeygenState> s_;
};

// Judges complaints about keygen direct messages (round.h ComplaintJudge):
// round 2 (the VSS share f_j(i), revealed by the complaint: the DKG is
// aborted, so the share is worthless) against the dealer's signed
// decommitment; round 3 (Πfac against the complainer's ring-Pedersen
// parameters).
class KeygenJudge : public round::ComplaintJudge {
 public:
  explicit KeygenJudge(std::shared_ptr<const KeygenState> s)
      : s_(std::move(s)) {}

  absl::StatusOr<Verdict> Judge(const Case& c) const override {
    const KeygenState& s = *s_;
    const Message& direct = *c.directs.at(c.round);
    if (c.round == 2) {
      PeerData from_direct;
      if (absl::Status st = DecodeRound2(s, direct, from_direct, false);
          !st.ok()) {
        return Guilty(st);
      }
      std::vector<Point> vss;
      if (c.accused == s.config.self) {
        vss = s.dealing.commitments;
      } else if (c.broadcast != nullptr) {
        PeerData from_broadcast;
        if (absl::Status st =
                DecodeRound2(s, *c.broadcast, from_broadcast, false);
            !st.ok()) {
          return Guilty(st);
        }
        vss = std::move(from_broadcast.vss);
      } else {
        return False("the share decodes and no decommitment was received");
      }
      absl::Status st =
          VerifyShare(from_direct.share_for_me, Scalar::FromU64(c.complainer),
                      vss, s.config.threshold, c.accused);
      from_direct.share_for_me.Wipe();
      if (!st.ok()) {
        return Guilty(CulpritCode::kBadShare,
                      absl::StrCat("keygen: ", st.message()));
      }
      return False("the revealed share matches the dealer's commitments");
    }
    if (c.round == 3) {
      v1::KeygenFacProof pb;
      if (absl::Status st = ParsePayload(direct.payload, pb, kWhat); !st.ok()) {
        return Guilty(st);
      }
      if (pb.pi_fac().size() > kMaxProofBytes) {
        return Guilty(CulpritCode::kBadMessage, "pi_fac too large");
      }
      const PaillierPublicKey* key = PaillierOf(c.accused);
      const RingPedersenParams* rp = RingPedersenOf(c.complainer);
      if (key == nullptr || rp == nullptr) {
        return absl::InternalError("keygen judge: round-2 data missing");
      }
      absl::Status st = VerifyNoSmallFactor(
          *key, *rp, pb.pi_fac(), s.Ctx(3, c.accused, c.complainer), nullptr);
      if (!st.ok()) return Guilty(CulpritCode::kBadProof, st.message());
      return False("pi_fac verifies");
    }
    return Verdict{Outcome::kUndecidable,
                   absl::StrCat("no direct messages in round ", c.round)};
  }

 private:
  const PaillierPublicKey* PaillierOf(PartyId p) const {
    if (p == s_->config.self)
      return &s_->config.material.paillier->public_key();
    auto it = s_->peers.find(p);
    if (it == s_->peers.end() || !it->second.paillier) return nullptr;
    return &*it->second.paillier;
  }
  const RingPedersenParams* RingPedersenOf(PartyId p) const {
    if (p == s_->config.self) {
      return &s_->config.material.ring_pedersen->params();
    }
    auto it = s_->peers.find(p);
    if (it == s_->peers.end() || !it->second.ring_pedersen) return nullptr;
    return &*it->second.ring_pedersen;
  }

  std::shared_ptr<const KeygenState> s_;
};

}  // namespace

std::vector<uint8_t> KeygenConfigDigest(const KeygenConfig& config) {
  std::vector<PartyId> sorted = config.parties;
  std::sort(sorted.begin(), sorted.end());
  Transcript t("nitro-tss/gg20/keygen-config/v1");
  t.AppendBytes("session", config.session_id);
  t.AppendU64("threshold", config.threshold);
  t.AppendU64("parties", sorted.size());
  for (PartyId p : sorted) {
    t.AppendU64("id", p);
    auto it = config.identity_keys.find(p);
    if (it != config.identity_keys.end()) {
      t.AppendBytes("identity_key", it->second);
    } else {
      t.AppendBytes("identity_key", {});
    }
  }
  return t.ChallengeBytes("config_digest", 32);
}

absl::StatusOr<KeygenMaterial> GenerateKeygenMaterial(
    RandomSource& rng, int threads, bool separate_ring_pedersen_modulus) {
  BigInt primes[4];
  const int count = separate_ring_pedersen_modulus ? 4 : 2;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<BigInt> sp =
        GenerateSafePrime(kPaillierPrimeBits, rng, threads);
    if (!sp.ok()) return sp.status();
    primes[i] = *std::move(sp);
  }
  if (!separate_ring_pedersen_modulus) {
    primes[2] = primes[0];
    primes[3] = primes[1];
  }
  absl::StatusOr<PaillierPrivateKey> sk =
      PaillierPrivateKey::FromPrimes(primes[0], primes[1]);
  if (!sk.ok()) return sk.status();
  absl::StatusOr<RingPedersenSecret> rp =
      RingPedersenSecret::Generate(primes[2], primes[3], rng);
  if (!rp.ok()) return rp.status();
  for (BigInt& p : primes) p.Wipe();
  KeygenMaterial m;
  m.paillier = std::make_shared<const PaillierPrivateKey>(*std::move(sk));
  m.ring_pedersen = std::make_shared<const RingPedersenSecret>(*std::move(rp));
  return m;
}

absl::StatusOr<std::unique_ptr<round::Session>> NewKeygenSession(
    const KeygenConfig& config, RandomSource& rng) {
  const size_t n = config.parties.size();
  if (n < 2 || n > kMaxParties) {
    return Bad(absl::StrCat("party count ", n, " out of range [2, ",
                            kMaxParties, "]"));
  }
  if (config.threshold < 1 || config.threshold >= n) {
    return Bad(absl::StrCat("threshold ", config.threshold,
                            " out of range [1, ", n - 1, "]"));
  }
  std::set<PartyId> seen;
  for (PartyId p : config.parties) {
    if (p == 0) return Bad("party id 0 is reserved");
    if (!seen.insert(p).second) return Bad("duplicate party id");
  }
  if (!seen.count(config.self)) return Bad("self is not a party");
  if (!config.material.paillier || !config.material.ring_pedersen) {
    return Bad("Paillier / ring-Pedersen material missing");
  }
  if (config.identity == nullptr) return Bad("identity key missing");
  if (config.identity_keys.size() != n) {
    return Bad("identity_keys must hold one key per party");
  }
  std::set<round::IdentityPublicKey> distinct_keys;
  for (PartyId p : config.parties) {
    auto it = config.identity_keys.find(p);
    if (it == config.identity_keys.end()) {
      return Bad(absl::StrCat("no identity key for party ", p));
    }
    if (!distinct_keys.insert(it->second).second) {
      return Bad(
          absl::StrCat("party ", p, " has the identity key of another party"));
    }
  }
  if (config.identity_keys.at(config.self) != config.identity->public_key()) {
    return Bad("identity_keys[self] is not this party's identity key");
  }
  auto state = std::make_shared<KeygenState>();
  state->config = config;
  state->config_digest = KeygenConfigDigest(config);
  for (PartyId p : config.parties) state->ids.push_back(Scalar::FromU64(p));
  round::SessionConfig sc;
  sc.session_id = config.session_id;
  sc.protocol = kKeygenProtocol;
  sc.self = config.self;
  sc.parties = config.parties;
  sc.identity = config.identity;
  sc.identity_keys = config.identity_keys;
  sc.config_digest = state->config_digest;
  sc.judge = std::make_shared<KeygenJudge>(state);
  return round::Session::Create(std::move(sc),
                                std::make_unique<KeygenRound0>(state), rng);
}

}  // namespace nitro_tss::mpc::gg20
