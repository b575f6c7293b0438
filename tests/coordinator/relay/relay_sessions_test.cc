// The relay's sessions on one long-lived Sessions stream per enclave
// (coordinator/relay/relay.h, node/enclave/service.h) against two real
// node processes: many sessions at once on one stream, a session refused
// or cancelled without disturbing its neighbours, malformed stream messages
// refused with a clear code, the per-stream session limit, and an enclave
// killed under open sessions (UNAVAILABLE) with the next session
// reconnecting on the same connection.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/relay/relay.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/coordinator/relay/probe.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::coordinator {
namespace {

namespace ev1 = enclave::v1;
using testing::LocalCluster;

class RelaySessionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::ClusterOptions options;
    options.nodes = 2;
    options.round_deadline_ms = 20000;
    auto c = LocalCluster::Start(options);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = c->release();
    ASSERT_TRUE(cluster_->WaitForKeygenMaterial({0, 1}, absl::Minutes(5)).ok());
    auto linked = cluster_->Link({0, 1}, "dkg-link", "");
    ASSERT_TRUE(linked.ok()) << linked.status();
    ev1::StartSession start;
    start.set_link_id("dkg-link");
    start.set_session_id("dkg-session-000001");
    start.mutable_keygen()->set_threshold(1);
    *start.mutable_keygen()->mutable_approval_policy() = Policy();
    auto outcomes = cluster_->Run({0, 1}, start);
    for (const auto& [node, o] : outcomes) {
      ASSERT_TRUE(o.done) << node << ": " << o.stream_error;
      key_id_ = new std::string(o.result.key().key_id());
    }
    for (int i = 0; i < 2; ++i) Connect(i);
  }
  static void TearDownTestSuite() {
    for (auto*& c : connections_) {
      delete c;
      c = nullptr;
    }
    delete cluster_;
    delete key_id_;
  }

  // The test's own connections (as the coordinator's NodeSet makes them),
  // kept across enclave restarts.
  static void Connect(int i) {
    connections_[i] = new EnclaveConnection(
        grpc::CreateChannel(absl::StrCat("unix:", cluster_->dir(), "/node-",
                                         i + 1, "/enclave.sock"),
                            grpc::InsecureChannelCredentials()));
  }
  // Restarts node i's enclave; the test's connection reconnects to it (a
  // call that waits for it to be ready; its answer does not matter).
  static void Restart(int i) {
    ASSERT_TRUE(cluster_->StartEnclave(i).ok());
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    ev1::GetInfoRequest req;
    ev1::GetInfoResponse resp;
    const grpc::Status ready =
        connections_[i]->stub()->GetInfo(&ctx, req, &resp);
    ASSERT_NE(ready.error_code(), grpc::StatusCode::UNAVAILABLE)
        << ready.error_message();
    ASSERT_NE(ready.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << ready.error_message();
  }
  static EnclaveSet Both() {
    return {{1, connections_[0]}, {2, connections_[1]}};
  }
  static const approval::v1::ApprovalPolicy& Policy() {
    static const auto* policy =
        new approval::v1::ApprovalPolicy(testing::PolicyOf(Approvers(), 2));
    return *policy;
  }
  static const std::vector<testing::Approver>& Approvers() {
    static const auto* approvers = new std::vector<testing::Approver>(2);
    return *approvers;
  }
  static void Link(const std::string& link) {
    auto linked = EstablishLink(Both(), link, {*key_id_, &Policy()});
    ASSERT_TRUE(linked.ok()) << linked.status();
  }
  static ev1::StartSession Presign(const std::string& link,
                                   const std::string& session) {
    ev1::StartSession s;
    s.set_link_id(link);
    s.set_session_id(session);
    s.mutable_presign();
    return s;
  }
  static std::map<uint32_t, ev1::StartSession> Each(
      const ev1::StartSession& s) {
    return {{1, s}, {2, s}};
  }
  static void ExpectDone(const std::map<uint32_t, SessionOutcome>& outcomes) {
    for (const auto& [party, o] : outcomes) {
      EXPECT_TRUE(o.done) << "party " << party << ": " << o.stream_error
                          << o.abort.cause();
    }
  }

  static LocalCluster* cluster_;
  static std::string* key_id_;
  static EnclaveConnection* connections_[2];
};

LocalCluster* RelaySessionsTest::cluster_ = nullptr;
std::string* RelaySessionsTest::key_id_ = nullptr;
EnclaveConnection* RelaySessionsTest::connections_[2] = {nullptr, nullptr};

std::string SessionId(const std::string& what, int n) {
  return absl::StrCat(what, "-", n, "-000000000000");
}

// A Sessions stream of the test's own on an enclave (not the connection's):
// items written by hand; which ids had an output, and the ends, recorded.
struct RawStream {
  grpc::ClientContext ctx;
  std::unique_ptr<
      grpc::ClientReaderWriter<ev1::SessionsInput, ev1::SessionsOutput>>
      rw;
  std::set<uint64_t> outputs;
  std::map<uint64_t, ev1::SessionEnd> ends;

  explicit RawStream(EnclaveConnection& conn) {
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    rw = conn.stub()->Sessions(&ctx);
  }
  // Starts sessions `first`.. on `link`, all in one message.
  bool Start(uint64_t first, const std::vector<ev1::StartSession>& starts) {
    ev1::SessionsInput msg;
    for (const ev1::StartSession& s : starts) {
      ev1::SessionsInputItem* item = msg.add_items();
      item->set_id(first++);
      *item->mutable_input()->mutable_start() = s;
    }
    return rw->Write(msg);
  }
  // Reads until `done` holds; false when the stream ended first.
  bool ReadUntil(const std::function<bool()>& done) {
    ev1::SessionsOutput out;
    while (!done()) {
      if (!rw->Read(&out)) return false;
      for (const ev1::SessionsOutputItem& item : out.items()) {
        if (item.has_end()) {
          ends[item.id()] = item.end();
        } else {
          outputs.insert(item.id());
        }
      }
    }
    return true;
  }
  // Reads until each of ids first..first+n-1 had an output or its end.
  bool ReadFirstOutputs(uint64_t first, int n) {
    return ReadUntil([&] {
      for (uint64_t id = first; id < first + n; ++id) {
        if (outputs.count(id) == 0 && ends.count(id) == 0) return false;
      }
      return true;
    });
  }
};

// Twelve presigns, then twelve signs with them, all at once: every session
// on the same two streams, their envelopes interleaved; each agrees on its
// own result.
TEST_F(RelaySessionsTest, ManySessionsShareOneStreamPerEnclave) {
  ASSERT_NO_FATAL_FAILURE(Link("many-link"));
  const uint64_t streams[2] = {connections_[0]->streams_opened(),
                               connections_[1]->streams_opened()};
  constexpr int kSessions = 12;
  std::vector<std::map<uint32_t, SessionOutcome>> presigned(kSessions);
  {
    std::vector<std::thread> threads;
    for (int n = 0; n < kSessions; ++n) {
      threads.emplace_back([&, n] {
        presigned[n] = RunSession(
            Both(), Each(Presign("many-link", SessionId("presign", n))));
      });
    }
    for (auto& t : threads) t.join();
  }
  std::set<std::string> ids;
  std::vector<std::string> id_of(kSessions);
  for (int n = 0; n < kSessions; ++n) {
    ExpectDone(presigned[n]);
    std::set<std::string> agreed;
    for (const auto& [party, o] : presigned[n]) {
      agreed.insert(o.result.presignature().presignature_id());
    }
    ASSERT_EQ(agreed.size(), 1u) << "session " << n;
    id_of[n] = *agreed.begin();
    ids.insert(id_of[n]);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSessions));
  std::vector<std::map<uint32_t, SessionOutcome>> signed_(kSessions);
  {
    std::vector<std::thread> threads;
    for (int n = 0; n < kSessions; ++n) {
      threads.emplace_back([&, n] {
        const std::string message = absl::StrCat("message ", n);
        ev1::StartSession s;
        s.set_link_id("many-link");
        s.set_session_id(SessionId("sign", n));
        s.mutable_sign()->set_presignature_id(id_of[n]);
        s.mutable_sign()->set_message(message);
        s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
        *s.mutable_sign()->mutable_approvals() = testing::Approve(
            {*key_id_, message, {}, 0, {&Approvers()[0], &Approvers()[1]}});
        signed_[n] = RunSession(Both(), Each(s));
      });
    }
    for (auto& t : threads) t.join();
  }
  std::set<std::string> sigs;
  for (int n = 0; n < kSessions; ++n) {
    ExpectDone(signed_[n]);
    std::set<std::string> agreed;
    for (const auto& [party, o] : signed_[n]) {
      agreed.insert(o.result.signature().r() + o.result.signature().s());
    }
    ASSERT_EQ(agreed.size(), 1u) << "session " << n;
    sigs.insert(*agreed.begin());
  }
  EXPECT_EQ(sigs.size(), static_cast<size_t>(kSessions));
  // One stream per enclave carried all of them (opened by the first
  // session on the connection, if no earlier test had).
  EXPECT_EQ(connections_[0]->streams_opened(),
            std::max<uint64_t>(streams[0], 1));
  EXPECT_EQ(connections_[1]->streams_opened(),
            std::max<uint64_t>(streams[1], 1));
}

// While a presign runs, a session on an unknown link is refused at its
// start (NOT_FOUND), and one started by hand is cancelled (CANCELLED): the
// presign on the same streams finishes.
TEST_F(RelaySessionsTest, RefusedAndCancelledSessionsDoNotDisturbNeighbours) {
  ASSERT_NO_FATAL_FAILURE(Link("neighbour-link"));
  std::mutex mu;
  std::condition_variable cv;
  bool in_flight = false, finished = false;  // guarded by mu
  std::map<uint32_t, SessionOutcome> presign;
  RunOptions options;
  options.filter = [&](uint32_t, uint32_t, int) {
    std::lock_guard<std::mutex> lock(mu);
    in_flight = true;
    cv.notify_all();
    return true;
  };
  std::thread runner([&] {
    auto outcomes = RunSession(
        Both(), Each(Presign("neighbour-link", SessionId("neighbour", 1))),
        options);
    std::lock_guard<std::mutex> lock(mu);
    presign = std::move(outcomes);
    finished = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight || finished; });
  }
  // Each party's own refusal (a party whose refusal arrives first would
  // otherwise cancel the other, whose cancel may overtake its start).
  RunOptions refuse_each;
  refuse_each.cancel_on_stream_error = false;
  auto refused =
      RunSession(Both(), Each(Presign("no-such-link", SessionId("refused", 1))),
                 refuse_each);
  for (const auto& [party, o] : refused) {
    EXPECT_EQ(o.stream_error.code(), absl::StatusCode::kNotFound)
        << o.stream_error;
  }
  // Node 1 alone on the link: it sends its first round, then is cancelled.
  Probe lone;
  lone.Start(*connections_[0],
             Presign("neighbour-link", SessionId("cancelled", 1)));
  EXPECT_TRUE(lone.WaitOutput());
  lone.session.Cancel();
  absl::Status end = lone.WaitEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kCancelled) << end;
  runner.join();
  ExpectDone(presign);
}

// Sessions opened from many threads at once on one connection reach the
// enclave in the order of their ids (an id lower than one already seen is
// taken for a late item and ignored): every one of them ends, here refused
// at its start (NOT_FOUND).
TEST_F(RelaySessionsTest, SessionsOpenedConcurrentlyAllReachTheEnclave) {
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> not_found{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kEach; ++n) {
        Probe p;
        p.Start(*connections_[0],
                Presign("no-such-link", SessionId("order", t * kEach + n)));
        if (absl::IsNotFound(p.WaitEnd())) not_found.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(not_found.load(), kThreads * kEach);
}

// Messages outside enclave.proto's limits end their own stream
// INVALID_ARGUMENT (a message over 8 MiB: RESOURCE_EXHAUSTED); a session's
// own mistakes end only that session; the relay's streams keep working.
TEST_F(RelaySessionsTest, MalformedStreamMessagesAreRefusedWithACode) {
  auto stream_status = [&](const ev1::SessionsInput& msg) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auto stream = connections_[0]->stub()->Sessions(&ctx);
    stream->Write(msg);
    stream->WritesDone();
    ev1::SessionsOutput out;
    while (stream->Read(&out)) {
    }
    return stream->Finish();
  };
  ev1::SessionsInput empty;
  EXPECT_EQ(stream_status(empty).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ev1::SessionsInput too_many;
  for (int i = 1; i <= 65; ++i) {
    auto* item = too_many.add_items();
    item->set_id(i);
    item->mutable_close();
  }
  grpc::Status s = stream_status(too_many);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("1..64 items"), std::string::npos)
      << s.error_message();
  ev1::SessionsInput id_zero;
  id_zero.add_items()->mutable_close();
  EXPECT_EQ(stream_status(id_zero).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ev1::SessionsInput no_item;
  no_item.add_items()->set_id(1);
  EXPECT_EQ(stream_status(no_item).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ev1::SessionsInput huge;
  auto* item = huge.add_items();
  item->set_id(1);
  item->mutable_input()->set_envelope(std::string(9 << 20, 'x'));
  EXPECT_EQ(stream_status(huge).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Per session, on one stream: a first input that is not `start`, a close
  // before `start`, and an id lower than one used before (ignored): each
  // ends only its session, the stream ends OK.
  grpc::ClientContext ctx;
  auto stream = connections_[0]->stub()->Sessions(&ctx);
  ev1::SessionsInput msg;
  auto* a = msg.add_items();
  a->set_id(5);
  a->mutable_input()->set_envelope("not a start");
  auto* b = msg.add_items();
  b->set_id(6);
  b->mutable_close();
  auto* c = msg.add_items();
  c->set_id(3);
  c->mutable_input()->set_envelope("late");
  stream->Write(msg);
  stream->WritesDone();
  std::map<uint64_t, ev1::SessionEnd> ends;
  ev1::SessionsOutput out;
  while (stream->Read(&out)) {
    for (const auto& o : out.items()) {
      if (o.has_end()) ends[o.id()] = o.end();
    }
  }
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[5].code(),
            static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(ends[6].code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));

  ASSERT_NO_FATAL_FAILURE(Link("after-malformed-link"));
  ExpectDone(RunSession(
      Both(), Each(Presign("after-malformed-link", SessionId("after", 1)))));
}

// An envelope over enclave.proto's limit (4 MiB + 64 KiB) would break the
// stream for every session: the relay ends only its session
// (INVALID_ARGUMENT) and the stream goes on.
TEST_F(RelaySessionsTest, AnOversizedEnvelopeEndsOnlyItsSession) {
  ASSERT_NO_FATAL_FAILURE(Link("oversize-link"));
  const uint64_t streams = connections_[0]->streams_opened();
  Probe lone;
  lone.Start(*connections_[0],
             Presign("oversize-link", SessionId("oversize", 1)));
  EXPECT_TRUE(lone.WaitOutput());
  ev1::SessionInput in;
  in.set_envelope(std::string((4 << 20) + (64 << 10) + 1, 'x'));
  lone.session.Send(std::move(in));
  const absl::Status end = lone.WaitEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kInvalidArgument) << end;
  EXPECT_NE(end.message().find("envelope of"), absl::string_view::npos) << end;
  ExpectDone(RunSession(
      Both(), Each(Presign("oversize-link", SessionId("oversize", 2)))));
  EXPECT_EQ(connections_[0]->streams_opened(), std::max<uint64_t>(streams, 1));
}

// At most limits.max_sessions (64) sessions open on one stream: the next
// one ends RESOURCE_EXHAUSTED and the open ones are untouched (each then
// cancelled by hand ends CANCELLED).
TEST_F(RelaySessionsTest, TooManySessionsOnAStreamRefuseOnlyTheExtraOne) {
  ASSERT_NO_FATAL_FAILURE(Link("limit-link"));
  constexpr int kLimit = 64;
  std::vector<std::unique_ptr<Probe>> probes;
  for (int n = 0; n <= kLimit; ++n) {
    probes.push_back(std::make_unique<Probe>());
    probes.back()->Start(*connections_[0],
                         Presign("limit-link", SessionId("limit", n)));
  }
  absl::Status extra = probes.back()->WaitEnd();
  EXPECT_EQ(extra.code(), absl::StatusCode::kResourceExhausted) << extra;
  EXPECT_NE(extra.message().find("on this stream"), absl::string_view::npos)
      << extra;
  for (int n = 0; n < kLimit; ++n) {
    EXPECT_TRUE(probes[n]->WaitOutput()) << n;
    probes[n]->session.Cancel();
  }
  for (int n = 0; n < kLimit; ++n) {
    absl::Status end = probes[n]->WaitEnd();
    EXPECT_EQ(end.code(), absl::StatusCode::kCancelled) << n << ": " << end;
  }
}

// Node 2's enclave killed under open sessions: they end UNAVAILABLE (as a
// failed stream did); after its restart the next session on the same
// connection opens a new stream and runs.
TEST_F(RelaySessionsTest, AKilledEnclaveFailsOpenSessionsAndTheNextReconnects) {
  ASSERT_NO_FATAL_FAILURE(Link("kill-link"));
  Probe a, b;
  a.Start(*connections_[1], Presign("kill-link", SessionId("killed", 1)));
  b.Start(*connections_[1], Presign("kill-link", SessionId("killed", 2)));
  // The stream a and b run on (whether or not an earlier test opened it).
  const uint64_t before = connections_[1]->streams_opened();
  ASSERT_TRUE(a.WaitOutput());
  ASSERT_TRUE(b.WaitOutput());
  cluster_->KillEnclave(1);
  for (Probe* p : {&a, &b}) {
    absl::Status end = p->WaitEnd();
    EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  }
  ASSERT_NO_FATAL_FAILURE(Restart(1));
  // A new link (the old one died with the enclave) and a presign.
  ASSERT_NO_FATAL_FAILURE(Link("kill-link-2"));
  ExpectDone(RunSession(
      Both(), Each(Presign("kill-link-2", SessionId("reconnected", 1)))));
  EXPECT_EQ(connections_[1]->streams_opened(), before + 1);
}

// A stream the coordinator drops (cancels) with limits.max_sessions (64)
// sessions open: the enclave ends them and frees their slots, so 64 new
// sessions on another stream all start. The slots are freed when the
// enclave sees the cancel, which no message tells the coordinator: a new
// session refused RESOURCE_EXHAUSTED before that is opened again, until a
// deadline (a leaked slot fails the test).
TEST_F(RelaySessionsTest, ADroppedStreamFreesItsSessionSlots) {
  ASSERT_NO_FATAL_FAILURE(Link("dropped-link"));
  constexpr int kLimit = 64;
  {
    RawStream dropped(*connections_[0]);
    std::vector<ev1::StartSession> starts;
    for (int n = 0; n < kLimit; ++n) {
      starts.push_back(Presign("dropped-link", SessionId("dropped", n)));
    }
    ASSERT_TRUE(dropped.Start(1, starts));
    ASSERT_TRUE(dropped.ReadFirstOutputs(1, kLimit));
    ASSERT_TRUE(dropped.ends.empty()) << dropped.ends.begin()->second.message();
    dropped.ctx.TryCancel();
    EXPECT_EQ(dropped.rw->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::vector<std::unique_ptr<Probe>> fresh;
  int refused = 0;
  for (int n = 0; n < kLimit; ++n) {
    for (int attempt = 0;; ++attempt) {
      auto p = std::make_unique<Probe>();
      p->Start(*connections_[0],
               Presign("dropped-link",
                       SessionId(absl::StrCat("freed-", n), attempt)));
      if (p->WaitOutput()) {
        fresh.push_back(std::move(p));
        break;
      }
      const absl::Status end = p->WaitEnd();
      ASSERT_TRUE(absl::IsResourceExhausted(end) && absl::Now() < deadline)
          << "session " << n << ": " << end;
      ++refused;
    }
  }
  EXPECT_EQ(fresh.size(), static_cast<size_t>(kLimit));
  for (auto& p : fresh) p->session.Cancel();
  for (auto& p : fresh) {
    const absl::Status end = p->WaitEnd();
    EXPECT_EQ(end.code(), absl::StatusCode::kCancelled) << end;
  }
  std::cout << "refused while the enclave freed the slots: " << refused << "\n";
}

// One run abandoned at its run deadline (every envelope dropped) on the
// streams another run is using: only its sessions end (DEADLINE_EXCEEDED),
// the neighbour finishes, on the same streams.
TEST_F(RelaySessionsTest, AnAbandonedRunLeavesItsNeighboursRunning) {
  ASSERT_NO_FATAL_FAILURE(Link("abandon-link"));
  std::mutex mu;
  std::condition_variable cv;
  bool in_flight = false, release = false;  // guarded by mu
  RunOptions gated;
  gated.filter = [&](uint32_t, uint32_t, int) {
    std::unique_lock<std::mutex> lock(mu);
    in_flight = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return true;
  };
  std::map<uint32_t, SessionOutcome> neighbour;
  std::thread runner([&] {
    neighbour = RunSession(
        Both(), Each(Presign("abandon-link", SessionId("neighbour", 2))),
        gated);
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight; });
  }
  const uint64_t streams[2] = {connections_[0]->streams_opened(),
                               connections_[1]->streams_opened()};
  RunOptions doomed;
  doomed.run_deadline = absl::Milliseconds(300);
  doomed.filter = [](uint32_t, uint32_t, int) { return false; };
  const auto abandoned = RunSession(
      Both(), Each(Presign("abandon-link", SessionId("abandoned", 1))), doomed);
  for (const auto& [party, o] : abandoned) {
    EXPECT_EQ(o.stream_error.code(), absl::StatusCode::kDeadlineExceeded)
        << party << ": " << o.stream_error;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  runner.join();
  ExpectDone(neighbour);
  EXPECT_EQ(connections_[0]->streams_opened(), streams[0]);
  EXPECT_EQ(connections_[1]->streams_opened(), streams[1]);
}

// The coordinator half-closes a stream (or closes one session) before the
// sessions' results: each open session ends CANCELLED and the stream
// ends OK.
TEST_F(RelaySessionsTest, AHalfCloseBeforeTheResultCancelsOpenSessions) {
  ASSERT_NO_FATAL_FAILURE(Link("half-close-link"));
  RawStream raw(*connections_[0]);
  ASSERT_TRUE(raw.Start(1, {Presign("half-close-link", SessionId("half", 1)),
                            Presign("half-close-link", SessionId("half", 2))}));
  ASSERT_TRUE(raw.ReadFirstOutputs(1, 2));
  ASSERT_TRUE(raw.ends.empty());
  ASSERT_TRUE(raw.rw->WritesDone());
  EXPECT_TRUE(raw.ReadUntil([&] { return raw.ends.size() == 2; }));
  for (uint64_t id : {1, 2}) {
    EXPECT_EQ(raw.ends[id].code(),
              static_cast<int>(grpc::StatusCode::CANCELLED))
        << raw.ends[id].message();
    EXPECT_NE(raw.ends[id].message().find("closed the stream"),
              std::string::npos)
        << raw.ends[id].message();
  }
  EXPECT_TRUE(raw.rw->Finish().ok());

  Probe lone;
  lone.Start(*connections_[0],
             Presign("half-close-link", SessionId("half-session", 1)));
  ASSERT_TRUE(lone.WaitOutput());
  lone.session.Close();
  const absl::Status end = lone.WaitEnd();
  EXPECT_EQ(end.code(), absl::StatusCode::kCancelled) << end;
}

// A malformed message on a stream with open sessions: each ends with the
// stream's code (INVALID_ARGUMENT) and a message saying why, then the
// stream ends INVALID_ARGUMENT.
TEST_F(RelaySessionsTest, AMalformedMessageEndsTheOpenSessionsWithItsCode) {
  ASSERT_NO_FATAL_FAILURE(Link("malformed-open-link"));
  RawStream raw(*connections_[0]);
  ASSERT_TRUE(
      raw.Start(1, {Presign("malformed-open-link", SessionId("open", 1)),
                    Presign("malformed-open-link", SessionId("open", 2))}));
  ASSERT_TRUE(raw.ReadFirstOutputs(1, 2));
  ASSERT_TRUE(raw.ends.empty());
  ev1::SessionsInput malformed;
  malformed.add_items()->mutable_close();  // id 0
  ASSERT_TRUE(raw.rw->Write(malformed));
  EXPECT_TRUE(raw.ReadUntil([&] { return raw.ends.size() == 2; }));
  for (uint64_t id : {1, 2}) {
    EXPECT_EQ(raw.ends[id].code(),
              static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT))
        << raw.ends[id].message();
    EXPECT_NE(raw.ends[id].message().find("malformed message"),
              std::string::npos)
        << raw.ends[id].message();
  }
  EXPECT_EQ(raw.rw->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Every end of a sign session says whether its start consumed the
// request's approvals (SessionEnd.approvals_consumed, handed on by the
// relay): a run past the approvals check that aborts (every envelope
// dropped, the round expired) says true; the same approvals again are
// refused as already used and say false; a sign refused before the check
// (no such presignature) says false; a sign whose start ran says true also
// when the stream's half-close ends it CANCELLED; a presign says nothing.
TEST_F(RelaySessionsTest, ASignsEndSaysWhetherItConsumedTheApprovals) {
  ASSERT_NO_FATAL_FAILURE(Link("consumed-link"));
  std::vector<std::string> presignatures;
  for (int n = 0; n < 2; ++n) {
    const auto presigned = RunSession(
        Both(), Each(Presign("consumed-link", SessionId("consumed-pre", n))));
    ExpectDone(presigned);
    for (const auto& [party, o] : presigned) {
      EXPECT_FALSE(o.approvals_consumed.has_value()) << party;
    }
    presignatures.push_back(
        presigned.begin()->second.result.presignature().presignature_id());
  }
  auto sign = [&](const std::string& session, const std::string& presignature,
                  const std::string& message) {
    ev1::StartSession s;
    s.set_link_id("consumed-link");
    s.set_session_id(session);
    s.mutable_sign()->set_presignature_id(presignature);
    s.mutable_sign()->set_message(message);
    s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    *s.mutable_sign()->mutable_approvals() = testing::Approve(
        {*key_id_, message, {}, 0, {&Approvers()[0], &Approvers()[1]}});
    return s;
  };

  const ev1::StartSession spent =
      sign(SessionId("consumed-sign", 1), presignatures[0], "spent");
  RunOptions dropped;
  dropped.round_deadline = absl::Milliseconds(300);
  dropped.filter = [](uint32_t, uint32_t, int) { return false; };
  for (const auto& [party, o] : RunSession(Both(), Each(spent), dropped)) {
    EXPECT_TRUE(o.aborted()) << party << ": " << o.stream_error;
    EXPECT_EQ(o.approvals_consumed, std::optional<bool>(true)) << party;
  }

  // The same approvals (and message) on the other presignature.
  ev1::StartSession again = spent;
  again.set_session_id(SessionId("consumed-sign", 2));
  again.mutable_sign()->set_presignature_id(presignatures[1]);
  RunOptions each;
  each.cancel_on_stream_error = false;
  for (const auto& [party, o] : RunSession(Both(), Each(again), each)) {
    EXPECT_EQ(o.stream_error.code(), absl::StatusCode::kAlreadyExists)
        << party << ": " << o.stream_error;
    EXPECT_NE(o.stream_error.message().find("already used"),
              absl::string_view::npos)
        << o.stream_error;
    EXPECT_EQ(o.approvals_consumed, std::optional<bool>(false)) << party;
  }

  // On node 1 alone, by hand: a sign refused before the check, and one on
  // the untaken presignature whose start runs (its share comes out), ended
  // by the stream's half-close.
  RawStream raw(*connections_[0]);
  ASSERT_TRUE(raw.Start(
      1, {sign(SessionId("consumed-sign", 3), "no such presignature", "none"),
          sign(SessionId("consumed-sign", 4), presignatures[1], "lone")}));
  ASSERT_TRUE(raw.ReadFirstOutputs(1, 2));
  ASSERT_EQ(raw.ends.count(1), 1u);
  EXPECT_EQ(raw.ends[1].code(), static_cast<int>(grpc::StatusCode::NOT_FOUND))
      << raw.ends[1].message();
  EXPECT_TRUE(raw.ends[1].has_approvals_consumed());
  EXPECT_FALSE(raw.ends[1].approvals_consumed());
  ASSERT_EQ(raw.outputs.count(2), 1u) << raw.ends[2].message();
  ASSERT_TRUE(raw.rw->WritesDone());
  EXPECT_TRUE(raw.ReadUntil([&] { return raw.ends.count(2) > 0; }));
  EXPECT_EQ(raw.ends[2].code(), static_cast<int>(grpc::StatusCode::CANCELLED))
      << raw.ends[2].message();
  EXPECT_TRUE(raw.ends[2].has_approvals_consumed());
  EXPECT_TRUE(raw.ends[2].approvals_consumed());
  EXPECT_TRUE(raw.rw->Finish().ok());
}

// A sign refused for its session id (already used on the link) or for a
// full enclave (limits.max_sessions (64) sessions running, on a stream of
// their own) is refused before its approvals are checked: its end says
// they were not consumed, and the very same approvals sign once a slot is
// free and the id is fresh.
TEST_F(RelaySessionsTest, ASignRefusedForItsSlotOrSessionIdKeepsItsApprovals) {
  ASSERT_NO_FATAL_FAILURE(Link("slot-link"));
  const std::string used_id = SessionId("slot-pre", 0);
  const auto presigned =
      RunSession(Both(), Each(Presign("slot-link", used_id)));
  ExpectDone(presigned);
  ev1::StartSession sign;
  sign.set_link_id("slot-link");
  sign.set_session_id(used_id);
  sign.mutable_sign()->set_presignature_id(
      presigned.begin()->second.result.presignature().presignature_id());
  sign.mutable_sign()->set_message("kept approvals");
  sign.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
  *sign.mutable_sign()->mutable_approvals() = testing::Approve(
      {*key_id_, "kept approvals", {}, 0, {&Approvers()[0], &Approvers()[1]}});
  RunOptions each;
  each.cancel_on_stream_error = false;
  for (const auto& [party, o] : RunSession(Both(), Each(sign), each)) {
    EXPECT_EQ(o.stream_error.code(), absl::StatusCode::kAlreadyExists)
        << party << ": " << o.stream_error;
    EXPECT_NE(o.stream_error.message().find("session id was already used"),
              absl::string_view::npos)
        << o.stream_error;
    EXPECT_EQ(o.approvals_consumed, std::optional<bool>(false)) << party;
  }

  // Both enclaves full: 64 presigns each, waiting for their peer (until
  // the suite's 20 s round deadline: both are filled at once, and their
  // ends below show that none expired before the sign was refused).
  constexpr int kLimit = 64;
  std::vector<std::unique_ptr<RawStream>> full;
  const absl::Time fill_start = absl::Now();
  for (int node = 0; node < 2; ++node) {
    full.push_back(std::make_unique<RawStream>(*connections_[node]));
    std::vector<ev1::StartSession> starts;
    for (int n = 0; n < kLimit; ++n) {
      starts.push_back(
          Presign("slot-link", SessionId(absl::StrCat("slot-fill-", node), n)));
    }
    ASSERT_TRUE(full.back()->Start(1, starts));
  }
  for (auto& raw : full) {
    ASSERT_TRUE(raw->ReadFirstOutputs(1, kLimit));
    ASSERT_TRUE(raw->ends.empty()) << raw->ends.begin()->second.message();
  }
  std::cout << "both enclaves filled in " << (absl::Now() - fill_start) << "\n";
  sign.set_session_id(SessionId("slot-sign", 1));
  for (const auto& [party, o] : RunSession(Both(), Each(sign), each)) {
    EXPECT_EQ(o.stream_error.code(), absl::StatusCode::kResourceExhausted)
        << party << ": " << o.stream_error;
    EXPECT_NE(o.stream_error.message().find("in this enclave"),
              absl::string_view::npos)
        << o.stream_error;
    EXPECT_EQ(o.approvals_consumed, std::optional<bool>(false)) << party;
  }
  std::cout << "the sign was refused " << (absl::Now() - fill_start)
            << " after the fill began\n";
  // The half-close ends the presigns, each still waiting (CANCELLED, not
  // ended by its round deadline); each end is written after its slot was
  // freed.
  for (auto& raw : full) {
    ASSERT_TRUE(raw->rw->WritesDone());
    EXPECT_TRUE(raw->ReadUntil([&] { return raw->ends.size() == kLimit; }));
    for (const auto& [id, end] : raw->ends) {
      EXPECT_EQ(end.code(), static_cast<int>(grpc::StatusCode::CANCELLED))
          << id << ": " << end.message();
    }
    EXPECT_TRUE(raw->rw->Finish().ok());
  }

  sign.set_session_id(SessionId("slot-sign", 2));
  const auto signed_ = RunSession(Both(), Each(sign));
  ExpectDone(signed_);
  for (const auto& [party, o] : signed_) {
    EXPECT_EQ(o.approvals_consumed, std::optional<bool>(true)) << party;
  }
}

// A sign session whose start never ran says its approvals were not consumed
// (SessionEnd.approvals_consumed false), and they then sign: refused by its
// stream's session table (limits.max_sessions (64) open on that stream:
// RESOURCE_EXHAUSTED "on this stream"), or cancelled in the same message
// as its start (the cancel overtakes the start queued on its strand: no
// output, CANCELLED). A start the strand ran before the cancel (an output
// came first) says true; then it is tried again with fresh approvals and a
// fresh presignature, at most 10 times.
TEST_F(RelaySessionsTest, ASignWhoseStartNeverRanSaysItsApprovalsAreUnused) {
  ASSERT_NO_FATAL_FAILURE(Link("unstarted-link"));
  auto presign = [&](int n) {
    const auto presigned = RunSession(
        Both(), Each(Presign("unstarted-link", SessionId("unstarted-pre", n))));
    ExpectDone(presigned);
    return presigned.begin()->second.result.presignature().presignature_id();
  };
  auto sign = [&](const std::string& presignature, int n) {
    const std::string message = absl::StrCat("never started ", n);
    ev1::StartSession s;
    s.set_link_id("unstarted-link");
    s.mutable_sign()->set_presignature_id(presignature);
    s.mutable_sign()->set_message(message);
    s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    *s.mutable_sign()->mutable_approvals() = testing::Approve(
        {*key_id_, message, {}, 0, {&Approvers()[0], &Approvers()[1]}});
    return s;
  };
  ev1::StartSession start = sign(presign(0), 0);

  RawStream raw(*connections_[0]);
  constexpr int kLimit = 64;
  std::vector<ev1::StartSession> fill;
  for (int n = 0; n < kLimit; ++n) {
    fill.push_back(Presign("unstarted-link", SessionId("unstarted-fill", n)));
  }
  ASSERT_TRUE(raw.Start(1, fill));
  ASSERT_TRUE(raw.ReadFirstOutputs(1, kLimit));
  ASSERT_TRUE(raw.ends.empty()) << raw.ends.begin()->second.message();
  start.set_session_id(SessionId("unstarted-sign", kLimit + 1));
  ASSERT_TRUE(raw.Start(kLimit + 1, {start}));
  ASSERT_TRUE(raw.ReadUntil([&] { return raw.ends.count(kLimit + 1) > 0; }));
  const ev1::SessionEnd& overflow = raw.ends[kLimit + 1];
  EXPECT_EQ(overflow.code(),
            static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED))
      << overflow.message();
  EXPECT_NE(overflow.message().find("on this stream"), std::string::npos)
      << overflow.message();
  EXPECT_TRUE(overflow.has_approvals_consumed());
  EXPECT_FALSE(overflow.approvals_consumed());
  ev1::SessionsInput cancel_fill;
  for (int id = 1; id <= kLimit; ++id) {
    ev1::SessionsInputItem* item = cancel_fill.add_items();
    item->set_id(id);
    item->mutable_close()->set_cancel(true);
  }
  ASSERT_TRUE(raw.rw->Write(cancel_fill));
  ASSERT_TRUE(raw.ReadUntil([&] { return raw.ends.size() == kLimit + 1; }));

  bool overtaken = false;
  uint64_t id = kLimit + 2;
  for (int attempt = 1; attempt <= 10 && !overtaken; ++attempt, ++id) {
    start.set_session_id(SessionId("unstarted-sign", id));
    ev1::SessionsInput msg;
    ev1::SessionsInputItem* first = msg.add_items();
    first->set_id(id);
    *first->mutable_input()->mutable_start() = start;
    ev1::SessionsInputItem* cancel = msg.add_items();
    cancel->set_id(id);
    cancel->mutable_close()->set_cancel(true);
    ASSERT_TRUE(raw.rw->Write(msg));
    ASSERT_TRUE(raw.ReadUntil([&] { return raw.ends.count(id) > 0; }));
    const ev1::SessionEnd& end = raw.ends[id];
    EXPECT_EQ(end.code(), static_cast<int>(grpc::StatusCode::CANCELLED))
        << end.message();
    ASSERT_TRUE(end.has_approvals_consumed());
    if (raw.outputs.count(id) == 0) {
      EXPECT_FALSE(end.approvals_consumed()) << "attempt " << attempt;
      overtaken = true;
      std::cout << "a cancel overtook its start at attempt " << attempt << "\n";
    } else {
      EXPECT_TRUE(end.approvals_consumed()) << "attempt " << attempt;
      start = sign(presign(attempt), attempt);
    }
  }
  ASSERT_TRUE(overtaken) << "no cancel overtook its start in 10 attempts";
  ASSERT_TRUE(raw.rw->WritesDone());
  EXPECT_FALSE(raw.ReadUntil([] { return false; }));
  EXPECT_TRUE(raw.rw->Finish().ok());

  // The very same approvals and presignature, on both nodes.
  start.set_session_id(SessionId("unstarted-sign", 1000));
  const auto signed_ = RunSession(Both(), Each(start));
  ExpectDone(signed_);
  for (const auto& [party, o] : signed_) {
    EXPECT_EQ(o.approvals_consumed, std::optional<bool>(true)) << party;
  }
}

// A callback that abandons its own session and another session of the
// same stream (EnclaveConnection::Callbacks' re-entrancy rules): it does
// not deadlock, neither session gets a callback afterwards (their ends
// arrive and are dropped, counted by their connection, a new one of the
// test's own), and the stream goes on.
TEST_F(RelaySessionsTest, ACallbackMayAbandonSessionsOfItsOwnStream) {
  ASSERT_NO_FATAL_FAILURE(Link("reentrant-link"));
  EnclaveConnection conn(grpc::CreateChannel(
      absl::StrCat("unix:", cluster_->dir(), "/node-1/enclave.sock"),
      grpc::InsecureChannelCredentials()));
  Probe other;
  other.Start(conn, Presign("reentrant-link", SessionId("reentrant-other", 1)));
  ASSERT_TRUE(other.WaitOutput());
  std::mutex mu;
  std::condition_variable cv;
  int outputs = 0, ends = 0;  // guarded by mu
  bool abandoned = false;     // guarded by mu
  const uint64_t late_ends = GetRelayCounters().late_session_ends;
  EXPECT_EQ(conn.late_session_ends(), 0u);
  EnclaveConnection::Session self;
  EnclaveConnection::Callbacks callbacks;
  callbacks.output = [&](ev1::SessionOutput) {
    std::lock_guard<std::mutex> lock(mu);  // `self` is set
    ++outputs;
    if (!abandoned) {
      self.Abandon();
      other.session.Abandon();
      abandoned = true;
      cv.notify_all();
    }
  };
  callbacks.end = [&](const absl::Status&, std::optional<bool>) {
    std::lock_guard<std::mutex> lock(mu);
    ++ends;
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    self = conn.Open(Presign("reentrant-link", SessionId("reentrant-self", 1)),
                     &callbacks);
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return abandoned; }));
  }
  const int other_outputs = [&] {
    std::lock_guard<std::mutex> lock(other.mu);
    return other.outputs;
  }();
  // Both were cancelled on the enclave: their ends come back on the stream
  // (dropped by the connection, counted).
  ASSERT_TRUE(conn.WaitForLateSessionEnds(2, absl::Now() + absl::Seconds(30)))
      << "the abandoned sessions' ends did not arrive";
  EXPECT_GE(GetRelayCounters().late_session_ends, late_ends + 2);
  // The stream goes on.
  ExpectDone(RunSession(
      {{1, &conn}, {2, connections_[1]}},
      Each(Presign("reentrant-link", SessionId("reentrant-after", 1)))));
  EXPECT_EQ(conn.streams_opened(), 1u);
  EXPECT_EQ(conn.late_session_ends(), 2u);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(outputs, 1);
  EXPECT_EQ(ends, 0);
  std::lock_guard<std::mutex> other_lock(other.mu);
  EXPECT_EQ(other.outputs, other_outputs);
  EXPECT_FALSE(other.ended) << other.end;
}

// A callback that drops the last handle of its stream (its connection is
// gone, and the session's owner lets go of it from within the callback):
// the stream is not destroyed on its own reader thread (which would join
// itself and terminate the process) but after the callback, by a thread
// counted until it is done (StreamDestroyersRunning, which the callback
// sees at 1: that thread waits for the callback), and the session still
// gets its end, UNAVAILABLE naming the dropped stream.
TEST_F(RelaySessionsTest, ACallbackMayDropTheLastHandleOfItsStream) {
  ASSERT_NO_FATAL_FAILURE(Link("last-handle-link"));
  auto conn = std::make_unique<EnclaveConnection>(grpc::CreateChannel(
      absl::StrCat("unix:", cluster_->dir(), "/node-1/enclave.sock"),
      grpc::InsecureChannelCredentials()));
  std::mutex mu;
  std::condition_variable cv;
  bool connection_gone = false, dropped = false, ended = false;  // by mu
  absl::Status end;                                              // by mu
  size_t destroyers_in_callback = 0;                             // by mu
  EnclaveConnection::Session session;                            // by mu
  EnclaveConnection::Callbacks callbacks;
  callbacks.output = [&](ev1::SessionOutput) {
    EnclaveConnection::Session last;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return connection_gone; });
      if (dropped) return;
      last = std::move(session);
      dropped = true;
    }
    last = EnclaveConnection::Session();  // the stream's last reference
    const size_t destroyers = StreamDestroyersRunning();
    {
      std::lock_guard<std::mutex> lock(mu);
      destroyers_in_callback = destroyers;
    }
    cv.notify_all();
  };
  callbacks.end = [&](const absl::Status& s, std::optional<bool>) {
    std::lock_guard<std::mutex> lock(mu);
    ended = true;
    end = s;
    cv.notify_all();
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    session = conn->Open(
        Presign("last-handle-link", SessionId("last-handle", 1)), &callbacks);
  }
  conn.reset();  // its reference to the stream goes
  {
    std::lock_guard<std::mutex> lock(mu);
    connection_gone = true;
  }
  cv.notify_all();
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60),
                          [&] { return dropped && ended; }))
      << "dropped " << dropped << ", ended " << ended;
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  EXPECT_NE(end.message().find("dropped by its last handle"),
            absl::string_view::npos)
      << end;
  EXPECT_EQ(destroyers_in_callback, 1u);
  lock.unlock();
  EXPECT_TRUE(WaitForStreamDestroyers(absl::Now() + absl::Seconds(30)));
  EXPECT_EQ(StreamDestroyersRunning(), 0u);
}

// Node 2's enclave told to shut down (SIGTERM) while a session is in
// flight on the connection's stream: an idle stream ends at once, a new
// session and a unary call are refused UNAVAILABLE ("shutting down"), its
// grpc.health.v1 service says NOT_SERVING (SERVING before), and the
// process exits as soon as the in-flight session has ended (here:
// cancelled by the coordinator), not after its 5 s grace period.
TEST_F(RelaySessionsTest, AnEnclaveShuttingDownEndsWithItsLastSession) {
  ASSERT_NO_FATAL_FAILURE(Link("shutdown-link"));
  Probe in_flight;
  in_flight.Start(*connections_[1],
                  Presign("shutdown-link", SessionId("in-flight", 1)));
  ASSERT_TRUE(in_flight.WaitOutput());
  // An idle stream of its own, known to be served (a refusal came back).
  RawStream idle(*connections_[1]);
  ASSERT_TRUE(idle.Start(1, {Presign("no-such-link", SessionId("idle", 1))}));
  ASSERT_TRUE(idle.ReadUntil([&] { return idle.ends.count(1) > 0; }));
  // A health client connected before the shutdown (the enclave accepts no
  // connection once it has begun).
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      absl::StrCat("unix:", cluster_->dir(), "/node-2/enclave.sock"),
      grpc::InsecureChannelCredentials()));
  auto check = [&](grpc::health::v1::HealthCheckResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), resp);
  };
  {
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = check(&resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }

  const absl::Time t0 = absl::Now();
  ASSERT_EQ(::kill(cluster_->enclave_pid(1), SIGTERM), 0);
  EXPECT_FALSE(idle.ReadUntil([] { return false; }));  // ended by it
  EXPECT_EQ(idle.rw->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(3));

  Probe late;
  late.Start(*connections_[1], Presign("shutdown-link", SessionId("late", 1)));
  const absl::Status refused = late.WaitEnd();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_NE(refused.message().find("shutting down"), absl::string_view::npos)
      << refused;
  // So is a unary call.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    ev1::GetInfoResponse info;
    const grpc::Status s =
        connections_[1]->stub()->GetInfo(&ctx, ev1::GetInfoRequest(), &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << s.error_message();
    EXPECT_NE(s.error_message().find("shutting down"), std::string::npos)
        << s.error_message();
  }
  // The health service says so (it is not refused: a load balancer asks).
  {
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = check(&resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.status(),
              grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }

  in_flight.session.Cancel();
  const absl::Status cancelled = in_flight.WaitEnd();
  EXPECT_EQ(cancelled.code(), absl::StatusCode::kCancelled) << cancelled;
  EXPECT_EQ(cluster_->StopEnclave(1), 0) << cluster_->EnclaveLog(1);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(4)) << "(grace period: 5 s)";
  ASSERT_NO_FATAL_FAILURE(Restart(1));
}

// Sessions still running when the shutdown's grace period (5 s) ends: each
// ends UNAVAILABLE saying so, and the process exits.
TEST_F(RelaySessionsTest, AnEnclaveShuttingDownEndsItsSessionsAfterGrace) {
  ASSERT_NO_FATAL_FAILURE(Link("grace-link"));
  Probe a, b;
  a.Start(*connections_[1], Presign("grace-link", SessionId("grace", 1)));
  b.Start(*connections_[1], Presign("grace-link", SessionId("grace", 2)));
  ASSERT_TRUE(a.WaitOutput());
  ASSERT_TRUE(b.WaitOutput());
  const absl::Time t0 = absl::Now();
  ASSERT_EQ(::kill(cluster_->enclave_pid(1), SIGTERM), 0);
  for (Probe* p : {&a, &b}) {
    const absl::Status end = p->WaitEnd();
    EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
    EXPECT_NE(end.message().find("grace period"), absl::string_view::npos)
        << end;
  }
  EXPECT_GE(absl::Now() - t0, absl::Seconds(4));
  EXPECT_EQ(cluster_->StopEnclave(1), 0);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(8));
  ASSERT_NO_FATAL_FAILURE(Restart(1));
}

// While the enclave shuts down, a stream the coordinator half-closes ends
// its open sessions as a half-close does (CANCELLED, "closed the stream"),
// not as the shutdown's end of a stream does (UNAVAILABLE).
TEST_F(RelaySessionsTest, AHalfCloseDuringShutdownClosesItsSessions) {
  ASSERT_NO_FATAL_FAILURE(Link("half-close-shutdown-link"));
  RawStream raw(*connections_[1]);
  ASSERT_TRUE(raw.Start(
      1, {Presign("half-close-shutdown-link", SessionId("hc-shutdown", 1))}));
  ASSERT_TRUE(raw.ReadFirstOutputs(1, 1));
  ASSERT_TRUE(raw.ends.empty()) << raw.ends.begin()->second.message();
  ASSERT_EQ(::kill(cluster_->enclave_pid(1), SIGTERM), 0);
  // The stream is closing once it refuses a new session UNAVAILABLE (a
  // start on an unknown link: NOT_FOUND before).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (uint64_t id = 2;; ++id) {
    ASSERT_TRUE(raw.Start(
        id, {Presign("no-such-link", SessionId("hc-shutdown-probe", id))}));
    ASSERT_TRUE(raw.ReadUntil([&] { return raw.ends.count(id) > 0; }));
    if (raw.ends[id].code() ==
        static_cast<int>(grpc::StatusCode::UNAVAILABLE)) {
      break;
    }
    ASSERT_EQ(raw.ends[id].code(),
              static_cast<int>(grpc::StatusCode::NOT_FOUND))
        << raw.ends[id].message();
    ASSERT_LT(absl::Now(), deadline);
  }
  ASSERT_TRUE(raw.rw->WritesDone());
  EXPECT_TRUE(raw.ReadUntil([&] { return raw.ends.count(1) > 0; }));
  EXPECT_EQ(raw.ends[1].code(), static_cast<int>(grpc::StatusCode::CANCELLED))
      << raw.ends[1].message();
  EXPECT_NE(raw.ends[1].message().find("closed the stream"), std::string::npos)
      << raw.ends[1].message();
  raw.rw->Finish();  // OK, or CANCELLED by the enclave's shutdown
  EXPECT_EQ(cluster_->StopEnclave(1), 0) << cluster_->EnclaveLog(1);
  ASSERT_NO_FATAL_FAILURE(Restart(1));
}

// A DKG start waiting for keygen material when the enclave shuts down ends
// at once (UNAVAILABLE, saying so), not at its round deadline (20 s here)
// after the shutdown's grace period. Node 2's pool holds at most one set
// and makes the next one in a second or more (fresh safe primes): of four
// DKG starts at once, some wait. The pool's search for the next set is
// cancelled: the process exits 0 after the 5 s grace (the DKGs that got
// material wait for node 1 until then), not after the search.
TEST_F(RelaySessionsTest, ADkgWaitingForKeygenMaterialEndsAtShutdown) {
  constexpr int kDkgs = 4;
  std::vector<ev1::StartSession> starts;
  for (int n = 1; n <= kDkgs; ++n) {
    const std::string link = absl::StrCat("material-wait-link-", n);
    auto linked = EstablishLink(Both(), link, {});
    ASSERT_TRUE(linked.ok()) << linked.status();
    ev1::StartSession& start = starts.emplace_back();
    start.set_link_id(link);
    start.set_session_id(SessionId("material-wait", n));
    start.mutable_keygen()->set_threshold(1);
    *start.mutable_keygen()->mutable_approval_policy() = Policy();
  }
  std::vector<std::unique_ptr<Probe>> dkgs;
  for (const ev1::StartSession& start : starts) {
    dkgs.push_back(std::make_unique<Probe>());
    dkgs.back()->Start(*connections_[1], start);
  }
  // The starts are dispatched to their strands once a later session's
  // refusal has come back on the same stream.
  Probe later;
  later.Start(*connections_[1], Presign("no-such-link", SessionId("later", 1)));
  ASSERT_TRUE(absl::IsNotFound(later.WaitEnd()));
  const absl::Time t0 = absl::Now();
  ASSERT_EQ(::kill(cluster_->enclave_pid(1), SIGTERM), 0);
  int material_waits = 0;
  std::string ends;
  for (auto& dkg : dkgs) {
    const absl::Status end = dkg->WaitEnd();
    absl::StrAppend(&ends, "\n", end.ToString());
    EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
    if (absl::StrContains(end.message(),
                          "keygen material: the enclave is shutting down")) {
      ++material_waits;
    }
  }
  EXPECT_GE(material_waits, 1) << ends;
  EXPECT_EQ(cluster_->StopEnclave(1), 0) << cluster_->EnclaveLog(1);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(8)) << "(grace period: 5 s)";
  ASSERT_NO_FATAL_FAILURE(Restart(1));
}
}  // namespace
}  // namespace nitro_tss::coordinator
