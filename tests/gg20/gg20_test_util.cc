#include "tests/gg20/gg20_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "mpc/vss/feldman.h"
#include "nitro_tss/mpc/v1/mta_proofs.pb.h"
#include "tests/fixtures/fixtures.h"

namespace nitro_tss::mpc::gg20::testing {

KeygenMaterial FixtureMaterial(size_t i) {
  KeygenMaterial m;
  m.paillier = std::make_shared<const PaillierPrivateKey>(
      nitro_tss::testing::FixturePaillierKey(i));
  m.ring_pedersen = std::make_shared<const RingPedersenSecret>(
      nitro_tss::testing::FixtureRingPedersen(i));
  return m;
}

std::vector<uint8_t> SessionId(uint64_t tag) {
  std::vector<uint8_t> sid(24, 0x5a);
  for (int i = 0; i < 8; ++i) sid[i] = static_cast<uint8_t>(tag >> (8 * i));
  return sid;
}

std::vector<PartyId> PartyIds(size_t n) {
  std::vector<PartyId> ids;
  for (size_t i = 1; i <= n; ++i) ids.push_back(static_cast<PartyId>(i));
  return ids;
}

std::set<PartyId> RunResult::AgreedCulprits(
    const std::set<PartyId>& honest) const {
  std::optional<std::set<PartyId>> agreed;
  for (PartyId h : honest) {
    auto it = aborts.find(h);
    if (it == aborts.end()) return {};
    std::set<PartyId> c = it->second.CulpritIds();
    if (agreed && *agreed != c) return {};
    agreed = c;
  }
  return agreed.value_or(std::set<PartyId>{});
}

std::shared_ptr<const round::PartyIdentityKey> TestIdentity(PartyId id) {
  static std::mutex mu;
  static auto* cache =
      new std::map<PartyId, std::shared_ptr<const round::PartyIdentityKey>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(id);
  if (it != cache->end()) return it->second;
  std::array<uint8_t, round::kIdentitySeedBytes> seed{};
  DeterministicRandom rng(0x1de0000 + id);
  rng.Fill(seed.data(), seed.size());
  auto key = round::PartyIdentityKey::FromSeed(seed);
  EXPECT_TRUE(key.ok()) << key.status();
  return (*cache)[id] =
             std::shared_ptr<const round::PartyIdentityKey>(*std::move(key));
}

std::map<PartyId, round::IdentityPublicKey> TestIdentityKeys(
    const std::vector<PartyId>& ids) {
  std::map<PartyId, round::IdentityPublicKey> out;
  for (PartyId id : ids) out[id] = TestIdentity(id)->public_key();
  return out;
}

RunResult Drive(std::map<PartyId, std::unique_ptr<round::Session>> sessions,
                const round::Simulator::DeliveryHook& hook, bool expire_stalled,
                bool resign_tampered) {
  round::Simulator sim(std::move(sessions));
  if (hook && resign_tampered) {
    sim.SetDeliveryHook([hook](const round::Delivery& d) {
      std::vector<round::Delivery> out = hook(d);
      for (round::Delivery& x : out) {
        round::Message& m = x.message;
        if (m == d.message || m.signature.empty()) continue;
        m.signature.clear();
        round::IdentitySignature sig =
            TestIdentity(m.from)->Sign(round::SignedBytes(m));
        m.signature.assign(sig.begin(), sig.end());
      }
      return out;
    });
  } else if (hook) {
    sim.SetDeliveryHook(hook);
  }
  RunResult r;
  absl::Status st = sim.Run();
  EXPECT_TRUE(st.ok()) << st;
  r.all_done = sim.AllDone();
  if (expire_stalled) {
    for (auto& [id, s] : sim.sessions()) {
      if (s->state() == round::Session::State::kRunning) {
        EXPECT_TRUE(s->ExpireRound().ok());
      }
    }
  }
  for (const auto& [id, s] : sim.sessions()) {
    if (s->state() == round::Session::State::kAborted && s->abort()) {
      r.aborts[id] = *s->abort();
    }
    if (s->state() == round::Session::State::kDone) r.results[id] = s->result();
  }
  r.refusals = sim.refusals();
  return r;
}

namespace {

// One node's inbox of wire-encoded messages.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<uint8_t>> messages;
};

}  // namespace

RunResult DriveConcurrently(
    std::map<PartyId, std::unique_ptr<round::Session>> sessions,
    absl::Duration timeout) {
  std::map<PartyId, Inbox> inboxes;
  for (const auto& [id, s] : sessions) inboxes[id];
  std::atomic<bool> stop{false};
  std::atomic<size_t> finished{0};
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::mutex refusals_mu;
  RunResult r;
  auto wake_all = [&] {
    for (auto& [id, box] : inboxes) {
      std::lock_guard<std::mutex> lock(box.mu);
      box.cv.notify_all();
    }
  };
  auto post = [&](PartyId from, round::Session& s) {
    for (round::Message& m : s.TakeOutbound()) {
      std::vector<uint8_t> wire = round::EncodeMessage(m);
      for (auto& [id, box] : inboxes) {
        if (id == from || (!m.is_broadcast() && id != m.to)) continue;
        std::lock_guard<std::mutex> lock(box.mu);
        box.messages.push_back(wire);
        box.cv.notify_one();
      }
    }
  };
  auto node = [&](PartyId id, round::Session* s) {
    std::vector<absl::Status> refused;
    auto finish = [&] {
      if (s->state() == round::Session::State::kAborted) stop = true;
      if (++finished == inboxes.size()) stop = true;
      wake_all();
    };
    if (absl::Status st = s->Start(); !st.ok()) {
      refused.push_back(st);
      stop = true;
      wake_all();
    } else {
      post(id, *s);
      if (s->state() == round::Session::State::kDone ||
          s->state() == round::Session::State::kAborted) {
        finish();
      }
    }
    Inbox& box = inboxes.at(id);
    while (!stop && s->state() == round::Session::State::kRunning) {
      std::vector<uint8_t> wire;
      {
        std::unique_lock<std::mutex> lock(box.mu);
        if (!box.cv.wait_until(lock, deadline, [&] {
              return stop.load() || !box.messages.empty();
            })) {
          stop = true;
          break;
        }
        if (box.messages.empty()) break;
        wire = std::move(box.messages.front());
        box.messages.pop_front();
      }
      absl::StatusOr<round::Message> msg = round::DecodeMessage(wire);
      if (!msg.ok()) {
        refused.push_back(msg.status());
        continue;
      }
      absl::Status st = s->Receive(*msg);
      if (!st.ok()) refused.push_back(st);
      post(id, *s);
      if (s->state() != round::Session::State::kRunning) finish();
    }
    std::lock_guard<std::mutex> lock(refusals_mu);
    for (absl::Status& st : refused) r.refusals.push_back(std::move(st));
  };
  {
    std::vector<std::thread> threads;
    for (auto& [id, s] : sessions) threads.emplace_back(node, id, s.get());
    for (std::thread& t : threads) t.join();
  }
  r.all_done = true;
  for (const auto& [id, s] : sessions) {
    if (s->state() == round::Session::State::kAborted && s->abort()) {
      r.aborts[id] = *s->abort();
    }
    if (s->state() == round::Session::State::kDone) {
      r.results[id] = s->result();
    } else {
      r.all_done = false;
    }
  }
  return r;
}

RunResult RunKeygen(const KeygenRun& run) {
  DeterministicRandom rng(run.seed);
  std::vector<PartyId> ids = PartyIds(run.n);
  std::map<PartyId, std::unique_ptr<round::Session>> sessions;
  for (PartyId id : ids) {
    KeygenConfig cfg;
    cfg.session_id = SessionId(run.session_tag);
    cfg.self = id;
    cfg.parties = ids;
    cfg.threshold = static_cast<uint32_t>(
        run.threshold_of.count(id) ? run.threshold_of.at(id) : run.t);
    cfg.material = FixtureMaterial(id - 1);
    cfg.identity = TestIdentity(id);
    cfg.identity_keys = TestIdentityKeys(ids);
    auto it = run.cheats.find(id);
    auto s = it == run.cheats.end()
                 ? NewKeygenSession(cfg, rng)
                 : NewKeygenSessionWithCheat(cfg, it->second, rng);
    EXPECT_TRUE(s.ok()) << s.status();
    sessions[id] = *std::move(s);
  }
  return Drive(std::move(sessions), run.hook, run.expire_stalled,
               run.resign_tampered);
}

std::vector<std::shared_ptr<const KeyShare>> KeySharesOf(const RunResult& r) {
  std::vector<std::shared_ptr<const KeyShare>> out;
  for (const auto& [id, any] : r.results) {
    out.push_back(std::any_cast<std::shared_ptr<const KeyShare>>(any));
  }
  return out;
}

std::vector<std::shared_ptr<const KeyShare>> DealKeyShares(size_t t, size_t n,
                                                           uint64_t seed) {
  DeterministicRandom rng(seed);
  std::vector<PartyId> ids = PartyIds(n);
  std::vector<Scalar> sids;
  for (PartyId id : ids) sids.push_back(Scalar::FromU64(id));
  Scalar x = Scalar::RandomNonZero(rng);
  absl::StatusOr<FeldmanDealing> d = FeldmanShare(x, t, sids, rng);
  EXPECT_TRUE(d.ok());
  std::vector<PartyPublicInfo> parties;
  std::vector<KeygenMaterial> mats;
  for (size_t i = 0; i < n; ++i) {
    mats.push_back(FixtureMaterial(i));
    parties.push_back(PartyPublicInfo{
        ids[i], Point::MulBase(d->shares[i].value),
        mats[i].paillier->public_key(), mats[i].ring_pedersen->params(),
        TestIdentity(ids[i])->public_key()});
  }
  Point y = Point::MulBase(x);
  KeyId kid = ComputeKeyId(static_cast<uint32_t>(t), y, parties);
  std::vector<std::shared_ptr<const KeyShare>> out;
  for (size_t i = 0; i < n; ++i) {
    auto ks = std::make_shared<KeyShare>();
    ks->key_id = kid;
    ks->self = ids[i];
    ks->threshold = static_cast<uint32_t>(t);
    ks->public_key = y;
    ks->parties = parties;
    ks->secret_share = d->shares[i].value;
    ks->paillier = mats[i].paillier;
    ks->ring_pedersen = mats[i].ring_pedersen;
    out.push_back(ks);
  }
  return out;
}

}  // namespace nitro_tss::mpc::gg20::testing

namespace nitro_tss::mpc::gg20::testing {
const std::vector<std::shared_ptr<const KeyShare>>& CachedKeygen(size_t t,
                                                                 size_t n) {
  static auto* cache =
      new std::map<std::pair<size_t, size_t>,
                   std::vector<std::shared_ptr<const KeyShare>>>();
  auto key = std::make_pair(t, n);
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  KeygenRun run;
  run.t = t;
  run.n = n;
  run.session_tag = 1000 + 16 * t + n;
  run.seed = 77 + 16 * t + n;
  RunResult r = RunKeygen(run);
  EXPECT_TRUE(r.all_done);
  for (const auto& [id, a] : r.aborts) ADD_FAILURE() << a.ToString();
  return (*cache)[key] = KeySharesOf(r);
}
void CopyPairAAndWIntoSecondPart(v1::PresignRound2Direct& m) {
  v1::PiAffGProof first, second;
  ASSERT_TRUE(first.ParseFromString(m.pi_aff_gamma()));
  ASSERT_TRUE(second.ParseFromString(m.pi_aff_w()));
  second.set_cap_a(first.cap_a());
  second.set_w(first.w());
  m.set_pi_aff_w(second.SerializeAsString());
}

}  // namespace nitro_tss::mpc::gg20::testing
