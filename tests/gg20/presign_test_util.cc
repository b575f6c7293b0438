#include <gtest/gtest.h>

#include "tests/gg20/gg20_test_util.h"

namespace nitro_tss::mpc::gg20::testing {

RunResult RunPresign(const PresignRun& run) {
  DeterministicRandom rng(run.seed);
  std::map<PartyId, std::unique_ptr<round::Session>> sessions;
  for (PartyId id : run.signers) {
    PresignConfig cfg;
    cfg.session_id = SessionId(run.session_tag);
    for (const auto& ks : run.shares) {
      if (ks->self == id) cfg.key_share = ks;
    }
    cfg.signers = run.signers;
    cfg.tweak = run.tweak;
    cfg.identity = TestIdentity(id);
    cfg.threads = run.threads;
    auto acc = run.accelerators.find(id);
    if (acc != run.accelerators.end()) cfg.accelerators = acc->second;
    auto it = run.cheats.find(id);
    auto s = it == run.cheats.end()
                 ? NewPresignSession(cfg, rng)
                 : NewPresignSessionWithCheat(cfg, it->second, rng);
    EXPECT_TRUE(s.ok()) << s.status();
    sessions[id] = *std::move(s);
  }
  return Drive(std::move(sessions), run.hook, run.expire_stalled,
               run.resign_tampered);
}

std::map<PartyId, std::shared_ptr<Presignature>> PresignaturesOf(
    const RunResult& r) {
  std::map<PartyId, std::shared_ptr<Presignature>> out;
  for (const auto& [id, any] : r.results) {
    out[id] = std::any_cast<std::shared_ptr<Presignature>>(any);
  }
  return out;
}

SignRequest RequestFor(const PresignaturePublic& pub,
                       const std::vector<uint8_t>& message,
                       DigestAlgorithm alg) {
  SignRequest req;
  req.key_id = pub.binding.key_id;
  req.signers = pub.binding.signers;
  req.tweak = pub.binding.tweak;
  req.algorithm = alg;
  req.message = message;
  return req;
}

absl::StatusOr<EcdsaSignature> SignAll(
    std::map<PartyId, std::shared_ptr<Presignature>>& presigs,
    const SignRequest& request, std::vector<round::Culprit>* culprits) {
  std::vector<SignatureShare> shares;
  const PresignaturePublic* pub = nullptr;
  for (auto& [id, p] : presigs) {
    pub = &p->public_data();
    auto sh = SignShare(*p, request,
                        [](const PresignatureId&) { return absl::OkStatus(); });
    if (!sh.ok()) return sh.status();
    shares.push_back(*sh);
  }
  auto digest = RequestDigest(request);
  if (!digest.ok()) return digest.status();
  return CombineShares(*pub, *digest, shares, culprits);
}

}  // namespace nitro_tss::mpc::gg20::testing
