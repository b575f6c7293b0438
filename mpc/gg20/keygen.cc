#include "mpc/gg20/keygen.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/keygen_proofs.h"
#include "mpc/gg20/keygen_state.h"
#include "mpc/gg20/payloads.h"
#include "mpc/gg20/protocol_context.h"
#include "mpc/primes/safe_prime.h"
#include "mpc/round/typed_round.h"
#include "mpc/transcript/transcript.h"
#include "mpc/vss/feldman.h"
#include "mpc/vss/lagrange.h"
#include "mpc/zk/schnorr.h"

namespace nitro_tss::mpc::gg20 {

namespace keygen_detail {

std::array<uint8_t, 32> CommitmentOf(const KeygenState& s, PartyId party,
                                     absl::Span<const uint8_t> decommit_bytes) {
  Transcript t("nitro-tss/gg20/keygen-commit/v1");
  t.AppendBytes("session", s.config.session_id);
  t.AppendBytes("config", s.config_digest);
  t.AppendU64("party", party);
  t.AppendBytes("decommit", decommit_bytes);
  std::vector<uint8_t> c = t.ChallengeBytes("commitment", 32);
  std::array<uint8_t, 32> out;
  std::copy(c.begin(), c.end(), out.begin());
  return out;
}

}  // namespace keygen_detail

namespace {

using keygen_detail::CommitmentOf;
using keygen_detail::KeygenState;
using keygen_detail::PeerData;
using round::AbortOutput;
using round::CulpritCode;
using round::DirectAbortOutput;
using round::Message;
using round::PartyId;
using round::RoundOutput;
using round::WithCulpritCode;

absl::Status Bad(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("keygen: ", msg));
}
absl::Status Prefixed(const absl::Status& st) {
  return absl::InvalidArgumentError(absl::StrCat("keygen: ", st.message()));
}

absl::StatusOr<std::string> SchnorrBytes(const Point& x_point,
                                         const Scalar& witness,
                                         const ProofContext& ctx,
                                         RandomSource& rng) {
  absl::StatusOr<zk::SchnorrProof> p =
      zk::ProveSchnorr(zk::SchnorrStatement::ForGenerator(x_point),
                       zk::SchnorrWitness{witness}, ctx, rng);
  if (!p.ok()) return p.status();
  return SerializeEmbedded(zk::SchnorrProofToProto(*p));
}

absl::Status VerifySchnorr(const zk::SchnorrProof& proof, const Point& x_point,
                           const ProofContext& ctx, absl::string_view field) {
  absl::Status st = zk::VerifySchnorr(
      zk::SchnorrStatement::ForGenerator(x_point), proof, ctx);
  if (!st.ok()) {
    return WithCulpritCode(Bad(absl::StrCat(field, ": ", st.message())),
                           CulpritCode::kBadProof);
  }
  return absl::OkStatus();
}

// `msg.from`'s round-2 decommitment: its bytes must open the round-1
// commitment (checked on the raw payload, before it is decoded), then it
// must decode (DecodeKeygenDecommit). Used by the round and by the
// complaint judge.
absl::StatusOr<KeygenDecommitPayload> OpenDecommit(const KeygenState& s,
                                                   const Message& msg) {
  std::array<uint8_t, 32> c = CommitmentOf(s, msg.from, msg.payload);
  if (sodium_memcmp(c.data(), s.commitments.at(msg.from).data(), 32) != 0) {
    return WithCulpritCode(
        Bad("decommitment does not open the round-1 commitment"),
        CulpritCode::kBadOpening);
  }
  return DecodeKeygenDecommit(msg.payload, s.config.threshold);
}

// The statement of an opened decommitment: its t+1 VSS commitments are
// valid, the Schnorr proof of u and (when `verify_proofs`) Πmod/Πprm
// verify, N and (N̂, s, t) are usable. Fills `peer` on success. Used by the
// round and by the complaint judge.
absl::Status CheckDecommit(const KeygenState& s, const Message& msg,
                           const KeygenDecommitPayload& d, PeerData& peer,
                           bool verify_proofs) {
  const KeygenConfig& cfg = s.config;
  if (absl::Status st = ValidateCommitments(d.vss, cfg.threshold, msg.from);
      !st.ok()) {
    return Prefixed(st);
  }
  if (verify_proofs) {
    if (absl::Status st = VerifySchnorr(d.schnorr_u, d.vss[0],
                                        s.Ctx(2, msg.from, 0), "schnorr_u");
        !st.ok()) {
      return st;
    }
  }
  absl::StatusOr<PaillierPublicKey> pk =
      PaillierPublicKey::FromModulus(d.paillier_n);
  if (!pk.ok()) return Prefixed(pk.status());
  absl::StatusOr<RingPedersenParams> rp =
      RingPedersenParams::Create(d.rp_n, d.rp_s, d.rp_t);
  if (!rp.ok()) return Prefixed(rp.status());
  if (verify_proofs) {
    if (absl::Status st =
            VerifyPaillierBlum(*pk, d.pi_mod, s.Ctx(2, msg.from, 0));
        !st.ok()) {
      return WithCulpritCode(Prefixed(st), CulpritCode::kBadProof);
    }
    if (absl::Status st =
            VerifyRingPedersenParams(*rp, d.pi_prm, s.Ctx(2, msg.from, 0));
        !st.ok()) {
      return WithCulpritCode(Prefixed(st), CulpritCode::kBadProof);
    }
  }
  peer.vss = d.vss;
  peer.paillier = *std::move(pk);
  peer.ring_pedersen = *std::move(rp);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- round 4
class KeygenRound4
    : public round::TypedRound<KeygenConfirmPayload, round::NoMessage> {
 public:
  explicit KeygenRound4(std::shared_ptr<KeygenState> s)
      : TypedRound(4), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    RoundOutput out;
    out.result = std::shared_ptr<const KeyShare>(s_->key_share);
    return out;
  }

 private:
  absl::StatusOr<KeygenConfirmPayload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodeKeygenConfirm(msg.payload);
  }
  absl::Status CheckBroadcast(const Message&,
                              const KeygenConfirmPayload& v) const override {
    if (sodium_memcmp(v.key_id.data(), s_->key_share->key_id.data(), 32) != 0) {
      return WithCulpritCode(Bad("confirmation names a different key id"),
                             CulpritCode::kWrongValue);
    }
    return absl::OkStatus();
  }

  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 3
class KeygenRound3
    : public round::TypedRound<KeygenShareProofPayload, KeygenFacProofPayload> {
 public:
  explicit KeygenRound3(std::shared_ptr<KeygenState> s)
      : TypedRound(3), s_(std::move(s)) {}
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
    ks->policy_digest = s_->config.policy_digest;
    ks->key_id = ComputeKeyId(ks->threshold, ks->public_key, ks->parties,
                              ks->policy_digest);
    s_->key_share = ks;
    v1::KeygenConfirm confirm;
    confirm.set_key_id(std::string(ks->key_id.begin(), ks->key_id.end()));
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(confirm)));
    out.next = std::make_unique<KeygenRound4>(s_);
    return out;
  }

 private:
  absl::StatusOr<KeygenShareProofPayload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodeKeygenShareProof(msg.payload);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const KeygenShareProofPayload& v) const override {
    return VerifySchnorr(v.schnorr_x, s_->public_shares.at(msg.from),
                         s_->Ctx(3, msg.from, 0), "schnorr_x");
  }
  absl::StatusOr<KeygenFacProofPayload> DecodeDirect(
      const Message& msg) const override {
    return DecodeKeygenFacProof(msg.payload);
  }
  absl::Status CheckDirect(const Message& msg,
                           const KeygenFacProofPayload& v) const override {
    return WithCulpritCode(
        VerifyNoSmallFactor(*s_->peers.at(msg.from).paillier,
                            s_->config.material.ring_pedersen->params(),
                            v.pi_fac, s_->Ctx(3, msg.from, s_->config.self),
                            s_->config.material.ring_pedersen.get()),
        CulpritCode::kBadProof);
  }

  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 2
// The VSS shares received (secrets) live in this round's directs() and are
// wiped with it (Scalar wipes itself).
class KeygenRound2
    : public round::TypedRound<KeygenDecommitPayload, KeygenSharePayload> {
 public:
  explicit KeygenRound2(std::shared_ptr<KeygenState> s)
      : TypedRound(2), s_(std::move(s)) {}

  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    const KeygenConfig& cfg = s_->config;
    const Scalar my_id = Scalar::FromU64(cfg.self);
    // Shares against their dealers' commitments.
    Scalar x = s_->dealing.shares[SelfIndex()].value;
    for (auto& [j, peer] : s_->peers) {
      const Scalar& share = directs().at(j).share;
      absl::Status st = VerifyShare(share, my_id, peer.vss, cfg.threshold, j);
      if (!st.ok()) {
        return DirectAbortOutput(j, CulpritCode::kBadShare,
                                 absl::StrCat("keygen: ", st.message()));
      }
      x = x + share;
    }
    s_->x = x;
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
    out.outbound.push_back(Message::Broadcast(SerializePayload(proof)));
    for (PartyId j : cfg.parties) {
      if (j == cfg.self) continue;
      v1::KeygenFacProof fac;
      absl::StatusOr<std::string> pf = ProveNoSmallFactor(
          *cfg.material.paillier, *s_->peers.at(j).ring_pedersen,
          s_->Ctx(3, cfg.self, j), rng);
      if (!pf.ok()) return pf.status();
      fac.set_pi_fac(*pf);
      out.outbound.push_back(Message::Direct(j, SerializePayload(fac)));
    }
    out.next = std::make_unique<KeygenRound3>(s_);
    return out;
  }

 private:
  absl::StatusOr<KeygenDecommitPayload> DecodeBroadcast(
      const Message& msg) const override {
    return OpenDecommit(*s_, msg);
  }
  absl::Status CheckBroadcast(const Message& msg,
                              const KeygenDecommitPayload& v) const override {
    PeerData unused;
    return CheckDecommit(*s_, msg, v, unused, /*verify_proofs=*/true);
  }
  void StoredBroadcast(const Message& msg, KeygenDecommitPayload& v) override {
    // Checked in Verify: keep the dealer's parameters for later rounds and
    // the judge.
    (void)CheckDecommit(*s_, msg, v, s_->peers[msg.from],
                        /*verify_proofs=*/false);
  }
  absl::StatusOr<KeygenSharePayload> DecodeDirect(
      const Message& msg) const override {
    return DecodeKeygenShare(msg.payload);
  }

  size_t SelfIndex() const {
    for (size_t i = 0; i < s_->config.parties.size(); ++i) {
      if (s_->config.parties[i] == s_->config.self) return i;
    }
    return 0;
  }

  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 1
class KeygenRound1
    : public round::TypedRound<KeygenCommitPayload, round::NoMessage> {
 public:
  explicit KeygenRound1(std::shared_ptr<KeygenState> s)
      : TypedRound(1), s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource&) override {
    const KeygenConfig& cfg = s_->config;
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(s_->decommit)));
    for (size_t i = 0; i < cfg.parties.size(); ++i) {
      PartyId j = cfg.parties[i];
      if (j == cfg.self) continue;
      v1::KeygenShare share;
      share.set_share(EncodeSc(s_->dealing.shares[i].value));
      out.outbound.push_back(Message::Direct(j, SerializePayload(share)));
      sodium_memzero(share.mutable_share()->data(), share.share().size());
    }
    out.next = std::make_unique<KeygenRound2>(s_);
    return out;
  }

 private:
  absl::StatusOr<KeygenCommitPayload> DecodeBroadcast(
      const Message& msg) const override {
    return DecodeKeygenCommit(msg.payload);
  }
  void StoredBroadcast(const Message& msg, KeygenCommitPayload& v) override {
    s_->commitments[msg.from] = v.commitment;
  }

  std::shared_ptr<KeygenState> s_;
};

// ---------------------------------------------------------------- round 0
class KeygenRound0 : public round::FirstRound {
 public:
  explicit KeygenRound0(std::shared_ptr<KeygenState> s) : s_(std::move(s)) {}
  absl::StatusOr<RoundOutput> Finalize(RandomSource& rng) override {
    const KeygenConfig& cfg = s_->config;
    Scalar u = Scalar::RandomNonZero(rng);
    absl::StatusOr<FeldmanDealing> dealing =
        FeldmanShare(u, cfg.threshold, s_->ids, rng);
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
    v1::KeygenCommit commit;
    const std::string decommit_bytes = SerializeEmbedded(d);
    std::array<uint8_t, 32> c = CommitmentOf(
        *s_, cfg.self,
        absl::Span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(decommit_bytes.data()),
            decommit_bytes.size()));
    commit.set_commitment(std::string(c.begin(), c.end()));
    RoundOutput out;
    out.outbound.push_back(Message::Broadcast(SerializePayload(commit)));
    out.next = std::make_unique<KeygenRound1>(s_);
    return out;
  }

 private:
  std::shared_ptr<KeygenState> s_;
};

// Judges complaints about keygen direct messages (round.h ComplaintJudge)
// with the rounds' decoders and checks: round 2 (the VSS share f_j(i),
// revealed by the complaint: the DKG is aborted, so the share is worthless)
// against the dealer's signed decommitment; round 3 (Πfac against the
// complainer's ring-Pedersen parameters).
class KeygenJudge : public round::ComplaintJudge {
 public:
  explicit KeygenJudge(std::shared_ptr<const KeygenState> s)
      : s_(std::move(s)) {}

  absl::StatusOr<Verdict> Judge(const Case& c) const override {
    const KeygenState& s = *s_;
    const Message& direct = *c.directs.at(c.round);
    if (c.round == 2) {
      absl::StatusOr<KeygenSharePayload> share =
          DecodeKeygenShare(direct.payload);
      if (!share.ok()) return Guilty(share.status());
      std::vector<Point> vss;
      if (c.accused == s.config.self) {
        vss = s.dealing.commitments;
      } else if (c.broadcast != nullptr) {
        absl::StatusOr<KeygenDecommitPayload> d = OpenDecommit(s, *c.broadcast);
        if (!d.ok()) return Guilty(d.status());
        PeerData from_broadcast;
        if (absl::Status st =
                CheckDecommit(s, *c.broadcast, *d, from_broadcast, false);
            !st.ok()) {
          return Guilty(st);
        }
        vss = std::move(from_broadcast.vss);
      } else {
        return False("the share decodes and no decommitment was received");
      }
      absl::Status st = VerifyShare(share->share, Scalar::FromU64(c.complainer),
                                    vss, s.config.threshold, c.accused);
      if (!st.ok()) {
        return Guilty(CulpritCode::kBadShare,
                      absl::StrCat("keygen: ", st.message()));
      }
      return False("the revealed share matches the dealer's commitments");
    }
    if (c.round == 3) {
      absl::StatusOr<KeygenFacProofPayload> fac =
          DecodeKeygenFacProof(direct.payload);
      if (!fac.ok()) return Guilty(fac.status());
      const PaillierPublicKey* key = PaillierOf(c.accused);
      const RingPedersenParams* rp = RingPedersenOf(c.complainer);
      if (key == nullptr || rp == nullptr) {
        return absl::InternalError("keygen judge: round-2 data missing");
      }
      absl::Status st = VerifyNoSmallFactor(
          *key, *rp, fac->pi_fac, s.Ctx(3, c.accused, c.complainer), nullptr);
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
  if (!config.policy_digest.empty()) {
    t.AppendBytes("policy_digest", config.policy_digest);
  }
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
    RandomSource& rng, int threads, bool separate_ring_pedersen_modulus,
    const std::atomic<bool>* cancel) {
  // The primes wipe themselves (BigInt's destructor) on every return.
  BigInt primes[4];
  const int count = separate_ring_pedersen_modulus ? 4 : 2;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<BigInt> sp =
        GenerateSafePrime(kPaillierPrimeBits, rng, threads, cancel);
    if (!sp.ok()) return sp.status();
    primes[i] = *std::move(sp);
  }
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
    return absl::CancelledError("safe prime search cancelled");
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

absl::StatusOr<keygen_detail::KeygenSessionParts>
keygen_detail::NewKeygenSessionParts(const KeygenConfig& config) {
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
  if (!config.policy_digest.empty() && config.policy_digest.size() != 32) {
    return Bad("policy_digest must be empty or 32 bytes");
  }
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
  state->ctx = ProtocolContext{config.session_id, kKeygenProtocol, config.self,
                               config.parties};
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
  return keygen_detail::KeygenSessionParts{
      std::move(sc), std::make_unique<KeygenRound0>(state), state};
}

absl::StatusOr<std::unique_ptr<round::Session>> NewKeygenSession(
    const KeygenConfig& config, RandomSource& rng) {
  return CreateSession(keygen_detail::NewKeygenSessionParts(config), rng);
}

}  // namespace nitro_tss::mpc::gg20
