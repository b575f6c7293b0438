#include "mpc/gg20/key_share.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/transcript/transcript.h"
#include "mpc/vss/lagrange.h"

namespace nitro_tss::mpc::gg20 {
namespace {

constexpr char kWhat[] = "key_share";

absl::Status Bad(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("key_share: ", msg));
}

void AppendPointBytes(Transcript& t, absl::string_view label, const Point& p) {
  auto enc = p.EncodeOrZeros();
  t.AppendBytes(label, enc);
}

}  // namespace

const PartyPublicInfo* KeyShare::Party(uint32_t id) const {
  for (const PartyPublicInfo& p : parties) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::vector<uint32_t> KeyShare::PartyIds() const {
  std::vector<uint32_t> ids;
  for (const PartyPublicInfo& p : parties) ids.push_back(p.id);
  return ids;
}

KeyId ComputeKeyId(uint32_t threshold, const Point& public_key,
                   absl::Span<const PartyPublicInfo> parties,
                   absl::Span<const uint8_t> policy_digest) {
  Transcript t("nitro-tss/gg20/key-id/v1");
  t.AppendU64("version", kKeyShareVersion);
  t.AppendU64("threshold", threshold);
  AppendPointBytes(t, "public_key", public_key);
  t.AppendU64("parties", parties.size());
  for (const PartyPublicInfo& p : parties) {
    t.AppendU64("id", p.id);
    AppendPointBytes(t, "public_share", p.public_share);
    t.AppendBigInt("paillier_n", p.paillier.n());
    t.AppendBigInt("rp_n", p.ring_pedersen.n());
    t.AppendBigInt("rp_s", p.ring_pedersen.s());
    t.AppendBigInt("rp_t", p.ring_pedersen.t());
    t.AppendBytes("identity_key", p.identity_key);
  }
  // Keys without a policy keep the ids they always had.
  if (!policy_digest.empty()) t.AppendBytes("policy_digest", policy_digest);
  std::vector<uint8_t> c = t.ChallengeBytes("key_id", 32);
  KeyId id;
  std::copy(c.begin(), c.end(), id.begin());
  return id;
}

v1::KeySharePublic KeyShare::PublicToProto() const {
  v1::KeySharePublic out;
  out.set_version(kKeyShareVersion);
  out.set_threshold(threshold);
  out.set_public_key(EncodePt(public_key));
  if (!policy_digest.empty()) {
    out.set_policy_digest(
        std::string(policy_digest.begin(), policy_digest.end()));
  }
  for (const PartyPublicInfo& p : parties) {
    v1::PartyPublic* pp = out.add_parties();
    pp->set_id(p.id);
    pp->set_public_share(EncodePt(p.public_share));
    pp->set_paillier_n(EncodeInt(p.paillier.n()));
    pp->set_rp_n(EncodeInt(p.ring_pedersen.n()));
    pp->set_rp_s(EncodeInt(p.ring_pedersen.s()));
    pp->set_rp_t(EncodeInt(p.ring_pedersen.t()));
    pp->set_identity_key(
        std::string(p.identity_key.begin(), p.identity_key.end()));
  }
  return out;
}

v1::KeyShareRecord KeyShare::ToRecord() const {
  v1::KeyShareRecord out;
  out.set_version(kKeyShareVersion);
  out.set_key_id(std::string(key_id.begin(), key_id.end()));
  out.set_self(self);
  *out.mutable_public_() = PublicToProto();
  out.set_secret_share(EncodeSc(secret_share));
  out.set_paillier_p(EncodeInt(paillier->p()));
  out.set_paillier_q(EncodeInt(paillier->q()));
  out.set_rp_p(EncodeInt(ring_pedersen->p()));
  out.set_rp_q(EncodeInt(ring_pedersen->q()));
  out.set_rp_tau(EncodeInt(ring_pedersen->tau()));
  out.set_rp_lambda(EncodeInt(ring_pedersen->lambda()));
  return out;
}

SecureBytes KeyShare::ToRecordBytes() const {
  v1::KeyShareRecord rec = ToRecord();
  SecureBytes out(rec.ByteSizeLong());
  rec.SerializeWithCachedSizesToArray(out.data());
  WipeSecrets(rec);
  return out;
}

void KeyShare::WipeSecrets(v1::KeyShareRecord& record) {
  for (std::string* s :
       {record.mutable_secret_share(), record.mutable_paillier_p(),
        record.mutable_paillier_q(), record.mutable_rp_p(),
        record.mutable_rp_q(), record.mutable_rp_tau(),
        record.mutable_rp_lambda()}) {
    SecureWipe(*s);
  }
}

absl::StatusOr<std::vector<PartyPublicInfo>> DecodePublicParties(
    const v1::KeySharePublic& proto, uint32_t* threshold, Point* public_key) {
  if (proto.version() != kKeyShareVersion) {
    return Bad(absl::StrCat("unsupported version ", proto.version()));
  }
  const size_t n = static_cast<size_t>(proto.parties_size());
  if (n < 2 || n > kMaxParties) {
    return Bad(absl::StrCat("party count ", n, " out of range [2, ",
                            kMaxParties, "]"));
  }
  if (proto.threshold() < 1 || proto.threshold() >= n) {
    return Bad(absl::StrCat("threshold ", proto.threshold(),
                            " out of range [1, ", n - 1, "]"));
  }
  absl::StatusOr<Point> y = DecodePt(proto.public_key(), kWhat, "public_key");
  if (!y.ok()) return y.status();
  std::vector<PartyPublicInfo> parties;
  uint32_t prev = 0;
  for (const v1::PartyPublic& pp : proto.parties()) {
    if (pp.id() == 0) return Bad("party id is zero");
    if (pp.id() <= prev) return Bad("party ids not sorted and distinct");
    prev = pp.id();
    absl::StatusOr<Point> x =
        DecodePt(pp.public_share(), kWhat, "public_share");
    if (!x.ok()) return x.status();
    absl::StatusOr<BigInt> nn = DecodeInt(
        pp.paillier_n(), kMaxModulusMagnitudeBytes, kWhat, "paillier_n");
    if (!nn.ok()) return nn.status();
    absl::StatusOr<PaillierPublicKey> pk = PaillierPublicKey::FromModulus(*nn);
    if (!pk.ok()) return Bad(pk.status().message());
    absl::StatusOr<BigInt> rn =
        DecodeInt(pp.rp_n(), kMaxModulusMagnitudeBytes, kWhat, "rp_n");
    if (!rn.ok()) return rn.status();
    absl::StatusOr<BigInt> rs =
        DecodeInt(pp.rp_s(), kMaxModulusMagnitudeBytes, kWhat, "rp_s");
    if (!rs.ok()) return rs.status();
    absl::StatusOr<BigInt> rt =
        DecodeInt(pp.rp_t(), kMaxModulusMagnitudeBytes, kWhat, "rp_t");
    if (!rt.ok()) return rt.status();
    absl::StatusOr<RingPedersenParams> rp =
        RingPedersenParams::Create(*rn, *rs, *rt);
    if (!rp.ok()) return Bad(rp.status().message());
    absl::StatusOr<round::IdentityPublicKey> identity =
        round::DecodeIdentityPublicKey(
            absl::Span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(pp.identity_key().data()),
                pp.identity_key().size()),
            absl::StrCat("key_share: party ", pp.id(), " identity_key"));
    if (!identity.ok()) return identity.status();
    parties.push_back(PartyPublicInfo{pp.id(), *x, *std::move(pk),
                                      *std::move(rp), *identity});
  }
  for (size_t i = 0; i < parties.size(); ++i) {
    for (size_t j = i + 1; j < parties.size(); ++j) {
      if (parties[i].identity_key == parties[j].identity_key) {
        return Bad(absl::StrCat("parties ", parties[i].id, " and ",
                                parties[j].id, " share one identity key"));
      }
    }
  }
  // Every public share lies on one degree-t polynomial whose value at 0 is Y:
  // interpolate Y from the first t+1 shares, then check that each further
  // share is the interpolation of the first t shares plus itself.
  const size_t t = proto.threshold();
  std::vector<Scalar> ids;
  std::vector<Point> pts;
  for (size_t i = 0; i <= t; ++i) {
    ids.push_back(Scalar::FromU64(parties[i].id));
    pts.push_back(parties[i].public_share);
  }
  absl::StatusOr<Point> y0 = InterpolatePointsAtZero(ids, pts);
  if (!y0.ok()) return Bad(y0.status().message());
  if (*y0 != *y) return Bad("public key does not match the public shares");
  for (size_t j = t + 1; j < n; ++j) {
    ids.back() = Scalar::FromU64(parties[j].id);
    pts.back() = parties[j].public_share;
    absl::StatusOr<Point> yj = InterpolatePointsAtZero(ids, pts);
    if (!yj.ok()) return Bad(yj.status().message());
    if (*yj != *y) {
      return Bad(absl::StrCat("public share of party ", parties[j].id,
                              " is not on the key's polynomial"));
    }
  }
  *threshold = proto.threshold();
  *public_key = *y;
  return parties;
}

absl::StatusOr<KeyShare> KeyShare::FromRecord(const v1::KeyShareRecord& rec) {
  if (rec.version() != kKeyShareVersion) {
    return Bad(absl::StrCat("unsupported record version ", rec.version()));
  }
  if (!rec.has_public_()) return Bad("public part missing");
  KeyShare ks;
  absl::StatusOr<std::vector<PartyPublicInfo>> parties =
      DecodePublicParties(rec.public_(), &ks.threshold, &ks.public_key);
  if (!parties.ok()) return parties.status();
  ks.parties = *std::move(parties);
  ks.self = rec.self();
  const PartyPublicInfo* me = ks.Party(ks.self);
  if (me == nullptr) return Bad("self is not a party");
  absl::StatusOr<std::array<uint8_t, 32>> kid =
      DecodeDigest(rec.key_id(), kWhat, "key_id");
  if (!kid.ok()) return kid.status();
  if (!rec.public_().policy_digest().empty() &&
      rec.public_().policy_digest().size() != 32) {
    return Bad("policy_digest must be empty or 32 bytes");
  }
  ks.policy_digest.assign(rec.public_().policy_digest().begin(),
                          rec.public_().policy_digest().end());
  ks.key_id =
      ComputeKeyId(ks.threshold, ks.public_key, ks.parties, ks.policy_digest);
  if (sodium_memcmp(ks.key_id.data(), kid->data(), 32) != 0) {
    return Bad("key id does not match the public data");
  }
  absl::StatusOr<Scalar> x =
      DecodeSc(rec.secret_share(), kWhat, "secret_share");
  if (!x.ok()) return x.status();
  if (Point::MulBase(*x) != me->public_share) {
    return Bad("secret share does not match the public share");
  }
  ks.secret_share = *x;
  auto get = [&](const std::string& f, absl::string_view name) {
    return DecodeInt(f, kMaxModulusMagnitudeBytes, kWhat, name);
  };
  absl::StatusOr<BigInt> pp = get(rec.paillier_p(), "paillier_p");
  if (!pp.ok()) return pp.status();
  absl::StatusOr<BigInt> pq = get(rec.paillier_q(), "paillier_q");
  if (!pq.ok()) return pq.status();
  absl::StatusOr<PaillierPrivateKey> sk =
      PaillierPrivateKey::FromPrimes(*pp, *pq);
  if (!sk.ok()) return Bad(sk.status().message());
  if (!(sk->public_key() == me->paillier)) {
    return Bad("Paillier factors do not match the public modulus");
  }
  ks.paillier = std::make_shared<const PaillierPrivateKey>(*std::move(sk));
  absl::StatusOr<BigInt> rp = get(rec.rp_p(), "rp_p");
  if (!rp.ok()) return rp.status();
  absl::StatusOr<BigInt> rq = get(rec.rp_q(), "rp_q");
  if (!rq.ok()) return rq.status();
  absl::StatusOr<BigInt> tau = get(rec.rp_tau(), "rp_tau");
  if (!tau.ok()) return tau.status();
  absl::StatusOr<BigInt> lambda =
      DecodeInt(rec.rp_lambda(), kMaxModulusMagnitudeBytes, kWhat, "rp_lambda");
  if (!lambda.ok()) return lambda.status();
  absl::StatusOr<RingPedersenSecret> rps =
      RingPedersenSecret::FromParts(*rp, *rq, *tau, *lambda);
  if (!rps.ok()) return Bad(rps.status().message());
  if (!(rps->params() == me->ring_pedersen)) {
    return Bad("ring-Pedersen secret does not match the public parameters");
  }
  ks.ring_pedersen =
      std::make_shared<const RingPedersenSecret>(*std::move(rps));
  return ks;
}

absl::StatusOr<KeyShare> KeyShare::FromRecordBytes(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxKeyShareRecordBytes) return Bad("record too large");
  v1::KeyShareRecord rec;
  absl::Status parsed = ParsePayload(bytes, rec, kWhat);
  absl::StatusOr<KeyShare> ks =
      parsed.ok() ? FromRecord(rec) : absl::StatusOr<KeyShare>(parsed);
  WipeSecrets(rec);
  return ks;
}

KeyShare::PeerTableCache::PeerTableCache(const PeerTableCache& other) {
  std::lock_guard<std::mutex> lock(other.mu);
  tables = other.tables;
}

KeyShare::PeerTableCache& KeyShare::PeerTableCache::operator=(
    const PeerTableCache& other) {
  if (this == &other) return *this;
  std::map<uint32_t, std::shared_ptr<const zk::RingPedersenTable>> copy;
  {
    std::lock_guard<std::mutex> lock(other.mu);
    copy = other.tables;
  }
  std::lock_guard<std::mutex> lock(mu);
  tables = std::move(copy);
  return *this;
}

std::shared_ptr<const zk::RingPedersenTable> KeyShare::PeerTable(
    uint32_t id) const {
  const PartyPublicInfo* party = Party(id);
  if (party == nullptr || id == self) return nullptr;
  {
    std::lock_guard<std::mutex> lock(peer_table_cache_.mu);
    auto it = peer_table_cache_.tables.find(id);
    // A table is only reused for the exact parameters it was built for.
    if (it != peer_table_cache_.tables.end() &&
        it->second->params().n() == party->ring_pedersen.n() &&
        it->second->params().s() == party->ring_pedersen.s() &&
        it->second->params().t() == party->ring_pedersen.t()) {
      return it->second;
    }
  }
  // Built outside the lock; concurrent builders make identical tables.
  auto table =
      std::make_shared<const zk::RingPedersenTable>(party->ring_pedersen);
  std::lock_guard<std::mutex> lock(peer_table_cache_.mu);
  peer_table_cache_.tables.insert_or_assign(id, table);
  return table;
}

void KeyShare::BuildPeerTables() const {
  for (const PartyPublicInfo& p : parties) {
    if (p.id != self) PeerTable(p.id);
  }
}

std::vector<uint32_t> KeyShare::BuiltPeerTables() const {
  std::lock_guard<std::mutex> lock(peer_table_cache_.mu);
  std::vector<uint32_t> ids;
  for (const auto& [id, table] : peer_table_cache_.tables) ids.push_back(id);
  return ids;
}

void KeyShare::ClearPeerTables() const {
  std::lock_guard<std::mutex> lock(peer_table_cache_.mu);
  peer_table_cache_.tables.clear();
}

}  // namespace nitro_tss::mpc::gg20
