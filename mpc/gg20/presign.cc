#include "mpc/gg20/presign.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "mpc/gg20/codec.h"
#include "mpc/gg20/presign_internal.h"
#include "mpc/gg20/presign_state.h"
#include "mpc/transcript/transcript.h"
#include "mpc/vss/lagrange.h"

namespace nitro_tss::mpc::gg20 {

using presign_detail::Bad;
using presign_detail::Prefixed;
using round::PartyId;

std::vector<uint8_t> PresignConfigDigest(const PresignConfig& config) {
  std::vector<PartyId> signers = config.signers;
  std::sort(signers.begin(), signers.end());
  Transcript t("nitro-tss/gg20/presign-config/v1");
  t.AppendBytes("session", config.session_id);
  if (config.key_share) {
    t.AppendBytes("key_id", config.key_share->key_id);
    t.AppendU64("threshold", config.key_share->threshold);
  }
  t.AppendU64("signers", signers.size());
  for (PartyId p : signers) {
    t.AppendU64("id", p);
    const PartyPublicInfo* info =
        config.key_share ? config.key_share->Party(p) : nullptr;
    if (info != nullptr) t.AppendBytes("identity_key", info->identity_key);
  }
  std::string tweak = EncodeSc(config.tweak);
  t.AppendBytes("tweak", absl::Span<const uint8_t>(
                             reinterpret_cast<const uint8_t*>(tweak.data()),
                             tweak.size()));
  return t.ChallengeBytes("config_digest", 32);
}

std::array<uint8_t, 32> ReceivedMtaDigest(
    absl::Span<const uint8_t> session_id, PartyId receiver,
    absl::Span<const ReceivedMtaEntry> entries) {
  Transcript t("nitro-tss/gg20/presign-received-mta/v2");
  t.AppendBytes("session", session_id);
  t.AppendU64("receiver", receiver);
  t.AppendU64("count", entries.size());
  for (const ReceivedMtaEntry& e : entries) {
    t.AppendU64("from", e.from);
    t.AppendString("d_gamma", e.d_gamma);
    t.AppendString("y_gamma", e.y_gamma);
    t.AppendString("pi_aff_gamma", e.pi_aff_gamma);
  }
  std::vector<uint8_t> c = t.ChallengeBytes("digest", 32);
  std::array<uint8_t, 32> out;
  std::copy(c.begin(), c.end(), out.begin());
  return out;
}

PresignatureId ComputePresignatureId(const PresignaturePublic& pub,
                                     absl::Span<const uint8_t> session_id) {
  Transcript t("nitro-tss/gg20/presignature-id/v1");
  t.AppendBytes("session", session_id);
  t.AppendBytes("key_id", pub.binding.key_id);
  t.AppendU64("signers", pub.binding.signers.size());
  for (PartyId p : pub.binding.signers) t.AppendU64("signer", p);
  t.AppendBytes("tweak", pub.binding.tweak.ToBytes());
  t.AppendBytes("public_key", pub.public_key.EncodeOrZeros());
  t.AppendBytes("R", pub.big_r.EncodeOrZeros());
  std::vector<uint8_t> c = t.ChallengeBytes("id", 32);
  PresignatureId id;
  std::copy(c.begin(), c.end(), id.begin());
  return id;
}

std::shared_ptr<PresignAccelerators> BuildPresignAccelerators(
    const KeyShare& key_share) {
  auto acc = std::make_shared<PresignAccelerators>();
  for (const PartyPublicInfo& p : key_share.parties) {
    if (p.id == key_share.self) continue;
    acc->tables[p.id] = key_share.PeerTable(p.id);
    acc->nonce_pools[p.id] =
        std::make_shared<zk::PaillierNoncePool>(p.paillier);
  }
  return acc;
}

Presignature::Presignature(PresignaturePublic pub, round::PartyId self,
                           Scalar k, Scalar sigma)
    : public_(std::move(pub)), self_(self), k_(k), sigma_(sigma) {}

Presignature::~Presignature() {
  k_.Wipe();
  sigma_.Wipe();
}

absl::StatusOr<presign_detail::PresignSessionParts>
presign_detail::NewPresignSessionParts(const PresignConfig& config) {
  if (!config.key_share) return Bad("key share missing");
  const KeyShare& ks = *config.key_share;
  std::vector<PartyId> signers = config.signers;
  std::sort(signers.begin(), signers.end());
  if (std::adjacent_find(signers.begin(), signers.end()) != signers.end()) {
    return Bad("duplicate signer");
  }
  if (signers.size() != ks.threshold + 1) {
    return Bad(absl::StrCat("signer set has ", signers.size(),
                            " parties, threshold ", ks.threshold,
                            " needs exactly ", ks.threshold + 1));
  }
  for (PartyId p : signers) {
    if (ks.Party(p) == nullptr) {
      return Bad(absl::StrCat("signer ", p, " is not a party of the key"));
    }
  }
  if (!std::binary_search(signers.begin(), signers.end(), ks.self)) {
    return Bad("self is not in the signer set");
  }
  if (config.threads < 1 || config.threads > kMaxPresignThreads) {
    return Bad(absl::StrCat("threads must be in [1, ", kMaxPresignThreads,
                            "], got ", config.threads));
  }
  if (config.identity == nullptr) return Bad("identity key missing");
  if (config.identity->public_key() != ks.Party(ks.self)->identity_key) {
    return Bad("identity key is not the one the key share binds to this party");
  }
  auto state = std::make_shared<presign_detail::PresignState>();
  state->config = config;
  state->ctx =
      ProtocolContext{config.session_id, kPresignProtocol, ks.self, signers};
  state->ks = config.key_share.get();
  state->self = ks.self;
  state->signers = signers;
  std::vector<Scalar> ids;
  for (PartyId p : signers) ids.push_back(Scalar::FromU64(p));
  absl::StatusOr<std::vector<Scalar>> lambdas = LagrangeCoefficientsAtZero(ids);
  if (!lambdas.ok()) return Prefixed(lambdas.status());
  for (size_t i = 0; i < signers.size(); ++i) {
    Point w = ks.Party(signers[i])->public_share.Mul((*lambdas)[i]);
    if (i == 0) w = w + Point::MulBase(config.tweak);
    if (w.IsIdentity()) return Bad("a W_j is the identity");
    state->w_points[signers[i]] = w;
    if (signers[i] == ks.self) {
      state->w = ks.secret_share * (*lambdas)[i];
      if (i == 0) state->w = state->w + config.tweak;
    }
  }
  state->public_key = ks.public_key + Point::MulBase(config.tweak);
  if (state->public_key.IsIdentity()) return Bad("tweaked key is the identity");
  for (PartyId p : signers) {
    if (p == ks.self) continue;
    if (config.accelerators && config.accelerators->tables.count(p)) continue;
    state->tables[p] = ks.PeerTable(p);  // built on first use of the key
  }
  round::SessionConfig sc;
  sc.session_id = config.session_id;
  sc.protocol = kPresignProtocol;
  sc.self = ks.self;
  sc.parties = signers;
  sc.identity = config.identity;
  for (PartyId p : signers) sc.identity_keys[p] = ks.Party(p)->identity_key;
  sc.config_digest = PresignConfigDigest(config);
  sc.judge = presign_detail::NewPresignJudge(state);
  return presign_detail::PresignSessionParts{
      std::move(sc), presign_detail::NewPresignRound0(state), state};
}

absl::StatusOr<std::unique_ptr<round::Session>> NewPresignSession(
    const PresignConfig& config, RandomSource& rng) {
  return CreateSession(presign_detail::NewPresignSessionParts(config), rng);
}

}  // namespace nitro_tss::mpc::gg20
