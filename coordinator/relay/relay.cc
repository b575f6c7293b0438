#include "coordinator/relay/relay.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/proto_batch.h"
#include "nitro_tss/channel/v1/channel.pb.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::coordinator {

namespace ev1 = enclave::v1;

namespace {

std::atomic<uint64_t> g_routed{0};
std::atomic<uint64_t> g_dropped{0};
std::atomic<uint64_t> g_malformed{0};
std::atomic<uint64_t> g_expired{0};
std::atomic<uint64_t> g_late_ends{0};

// Streams being destroyed by a thread of their own (DestroyStream).
std::mutex g_destroyers_mu;
std::condition_variable g_destroyers_cv;  // g_destroyers went down
size_t g_destroyers = 0;                  // guarded by g_destroyers_mu

// The largest envelope an enclave sends (enclave.proto: 4 MiB + 64 KiB).
constexpr size_t kMaxEnvelopeBytes = (4u << 20) + (64u << 10);
// enclave.proto's limit on items per Sessions message; queued items go into
// one message up to this many bytes (beyond the first item), so a sign's
// item waits behind at most about this much bulk (presign, DKG) traffic.
constexpr int kMaxItemsPerMessage = 64;
constexpr size_t kMaxBatchBytes = 1 << 20;

// The stream whose reader thread runs a callback on this thread, if any
// (the re-entrancy rules of EnclaveConnection::Callbacks).
thread_local const void* t_dispatching = nullptr;

absl::Status Named(uint32_t party, const grpc::Status& s,
                   absl::string_view step) {
  return vsock::FromGrpcStatus(s, absl::StrCat("party ", party, " ", step));
}

void SetDeadline(grpc::ClientContext& ctx, absl::Duration d) {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + d));
}

// The round in an envelope's clear header, or 0 if the header does not
// parse (size-limited, strict proto2 optional fields).
uint32_t HeaderRound(const std::string& envelope) {
  if (envelope.size() > kMaxEnvelopeBytes) return 0;
  channel::v1::Envelope header;
  if (!header.ParseFromString(envelope) || !header.has_round()) return 0;
  return header.round();
}

}  // namespace

RelayCounters GetRelayCounters() {
  return {g_routed.load(), g_dropped.load(), g_malformed.load(),
          g_expired.load(), g_late_ends.load()};
}

absl::StatusOr<std::map<uint32_t, ev1::FinishLinkResponse>> EstablishLink(
    const EnclaveSet& enclaves, const std::string& link_id,
    const LinkPurpose& purpose, absl::Duration rpc_timeout) {
  if (enclaves.size() < 2) {
    return absl::InvalidArgumentError("link: at least 2 parties");
  }
  std::vector<std::string> hellos, attestations;
  for (const auto& [party, conn] : enclaves) {
    ev1::OpenLinkRequest req;
    req.set_link_id(link_id);
    req.set_self(party);
    for (const auto& [p, unused] : enclaves) req.add_parties(p);
    if (purpose.key_id.empty()) {
      req.mutable_dkg();
    } else {
      req.set_key_id(purpose.key_id);
      if (purpose.approval_policy != nullptr) {
        *req.mutable_approval_policy() = *purpose.approval_policy;
      }
    }
    ev1::OpenLinkResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx, rpc_timeout);
    grpc::Status s = conn->stub()->OpenLink(&ctx, req, &resp);
    if (!s.ok()) return Named(party, s, "OpenLink");
    hellos.push_back(resp.hello());
  }
  for (const auto& [party, conn] : enclaves) {
    ev1::AttestLinkRequest req;
    req.set_link_id(link_id);
    for (const auto& h : hellos) req.add_hellos(h);
    ev1::AttestLinkResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx, rpc_timeout);
    grpc::Status s = conn->stub()->AttestLink(&ctx, req, &resp);
    if (!s.ok()) return Named(party, s, "AttestLink");
    attestations.push_back(resp.attestation());
  }
  std::map<uint32_t, ev1::FinishLinkResponse> out;
  for (const auto& [party, conn] : enclaves) {
    ev1::FinishLinkRequest req;
    req.set_link_id(link_id);
    for (const auto& a : attestations) req.add_attestations(a);
    grpc::ClientContext ctx;
    SetDeadline(ctx, rpc_timeout);
    grpc::Status s = conn->stub()->FinishLink(&ctx, req, &out[party]);
    if (!s.ok()) return Named(party, s, "FinishLink");
  }
  return out;
}

// A connection's count of late ends (a stream may outlive its connection).
struct EnclaveConnection::LateEnds {
  void Add() {
    std::lock_guard<std::mutex> lock(mu);
    ++n;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  uint64_t n = 0;  // guarded by mu
};

// One Sessions stream. Its writer thread creates the call (which may wait
// for the connection) and writes what callers queue (they never block);
// its reader thread dispatches the enclave's items to the open sessions'
// callbacks; its watchdog cancels the call when a write (or the call's
// creation) has been pending longer than the write timeout. Cancelling the
// call, or the queue outgrowing its byte budget, ends every session on the
// stream UNAVAILABLE, and the next Open makes a new stream. Open gives it
// DestroyStream as its deleter: a callback that drops the last reference
// does not destroy it on its reader thread (which the destructor joins).
// Destroying it ends the sessions still open on it UNAVAILABLE ("dropped by
// its last handle") unless the stream had ended already.
class EnclaveConnection::Stream {
 public:
  // `first` is registered before anything can end the stream, so it gets
  // its end even when the call fails at once. `late_ends` counts the
  // connection's ends of abandoned sessions.
  Stream(const std::shared_ptr<grpc::ChannelInterface>& channel,
         const EnclaveConnectionOptions& options, uint64_t first_id,
         Callbacks* first, std::shared_ptr<LateEnds> late_ends)
      : stub_(ev1::Enclave::NewStub(channel)),
        options_(options),
        late_ends_(std::move(late_ends)),
        open_{{first_id, first}},
        writer_([this] { WriteLoop(); }),
        watchdog_([this] { WatchLoop(); }) {}
  ~Stream() {
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      stopping_ = true;
    }
    write_cv_.notify_all();
    watch_cv_.notify_all();
    Cancel(absl::UnavailableError(
        "the Sessions stream was dropped by its last handle (its connection "
        "and every session handle are gone)"));
    writer_.join();
    watchdog_.join();
    reader_.join();  // started by the writer before it ends
  }

  // Registers `callbacks` under `id`; false once the stream has ended or
  // is being cancelled.
  bool Add(uint64_t id, Callbacks* callbacks) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return false;
    open_[id] = callbacks;
    return true;
  }
  // Ends session `id` with `why` (its end from the enclave, after the
  // cancel queued here, carries `why` instead).
  void Fail(uint64_t id, bool urgent, absl::Status why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (open_.count(id) == 0) return;
      failed_.emplace(id, std::move(why));
    }
    ev1::SessionsInputItem item;
    item.set_id(id);
    item.mutable_close()->set_cancel(true);
    Enqueue(std::move(item), urgent);
  }
  // No callback of session `id` runs once this returns. From one of this
  // stream's callbacks (its reader thread, which holds dispatch_mu_) it
  // does not wait: the reader looks the session up again before each item.
  void Forget(uint64_t id) {
    assert(t_dispatching == nullptr || t_dispatching == this);
    std::unique_lock<std::mutex> dispatch(dispatch_mu_, std::defer_lock);
    if (t_dispatching != this) dispatch.lock();
    std::lock_guard<std::mutex> lock(mu_);
    open_.erase(id);
    failed_.erase(id);
  }

  // Queues `item` for the writer thread; never blocks on the stream. Beyond
  // the byte budget the stream is cancelled (the enclave is not reading).
  // `urgent` items (sign sessions', and every start: starts must reach the
  // enclave in id order) are written before any bulk item.
  void Enqueue(ev1::SessionsInputItem item, bool urgent) {
    const size_t size = item.ByteSizeLong();
    size_t over = 0;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      if (broken_) return;  // the reader ends the sessions
      queued_bytes_ += size;
      if (queued_bytes_ > options_.max_queued_bytes) {
        over = queued_bytes_;
        broken_ = true;
        urgent_.clear();
        bulk_.clear();
        queued_bytes_ = 0;
      } else {
        (urgent ? urgent_ : bulk_).push_back(std::move(item));
      }
    }
    if (over == 0) {
      write_cv_.notify_one();
      return;
    }
    Cancel(absl::UnavailableError(absl::StrCat(
        "the enclave is not reading its Sessions stream: ", over,
        " bytes queued (budget ", options_.max_queued_bytes, ")")));
  }

 private:
  // Ends the stream with `why` (every open session's end).
  void Cancel(absl::Status why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_.ok()) return;
      cancelled_ = std::move(why);
      ended_ = true;  // Open makes a new stream
    }
    ctx_.TryCancel();
  }

  void WriteLoop() {
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      pending_ = true;  // creating the call counts as a write
      pending_since_ = absl::Now();
    }
    watch_cv_.notify_all();
    rw_ = stub_->Sessions(&ctx_);
    reader_ = std::thread([this] { ReadLoop(); });
    std::unique_lock<std::mutex> lock(write_mu_);
    pending_ = false;
    for (;;) {
      write_cv_.wait(lock, [&] {
        return stopping_ || !urgent_.empty() || !bulk_.empty();
      });
      if (stopping_) return;
      if (broken_) {
        urgent_.clear();
        bulk_.clear();
        queued_bytes_ = 0;
        continue;
      }
      ev1::SessionsInput msg;
      TakeProtoBatch(urgent_.empty() ? bulk_ : urgent_, kMaxItemsPerMessage,
                     kMaxBatchBytes, &msg);
      for (const auto& item : msg.items()) queued_bytes_ -= item.ByteSizeLong();
      pending_ = true;
      pending_since_ = absl::Now();
      lock.unlock();
      watch_cv_.notify_all();
      // A failed write means the call is over: the reader sees it end.
      const bool ok = rw_->Write(msg);
      lock.lock();
      pending_ = false;
      if (!ok) broken_ = true;
    }
  }

  void WatchLoop() {
    std::unique_lock<std::mutex> lock(write_mu_);
    while (!stopping_) {
      if (!pending_) {
        watch_cv_.wait(lock, [&] { return stopping_ || pending_; });
        continue;
      }
      const absl::Time due = pending_since_ + options_.write_timeout;
      if (absl::Now() < due) {
        watch_cv_.wait_until(lock, absl::ToChronoTime(due));
        continue;
      }
      broken_ = true;
      lock.unlock();
      Cancel(absl::UnavailableError(absl::StrCat(
          "a write to the enclave's Sessions stream was pending for more "
          "than ",
          absl::FormatDuration(options_.write_timeout))));
      lock.lock();
      watch_cv_.wait(lock, [&] { return stopping_; });
    }
  }

  void ReadLoop() {
    t_dispatching = this;
    ev1::SessionsOutput msg;
    while (rw_->Read(&msg)) {
      for (ev1::SessionsOutputItem& item : *msg.mutable_items()) {
        std::lock_guard<std::mutex> dispatch(dispatch_mu_);
        Callbacks* callbacks = nullptr;
        absl::Status failure;
        std::optional<bool> consumed;
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = open_.find(item.id());
          if (it == open_.end()) {  // abandoned
            if (item.has_end()) {
              g_late_ends.fetch_add(1);
              late_ends_->Add();
            }
            continue;
          }
          callbacks = it->second;
          if (item.has_end()) {
            if (item.end().has_approvals_consumed()) {
              consumed = item.end().approvals_consumed();
            }
            open_.erase(it);
            auto failed = failed_.find(item.id());
            if (failed != failed_.end()) {
              failure = std::move(failed->second);
              failed_.erase(failed);
            }
          }
        }
        if (item.has_output()) {
          callbacks->output(std::move(*item.mutable_output()));
        } else if (item.has_end() && !failure.ok()) {
          callbacks->end(failure, consumed);
        } else if (item.has_end()) {
          // A code outside the canonical ones is not trusted as such.
          const int code = item.end().code();
          callbacks->end(absl::Status(code >= 0 && code <= 16
                                          ? static_cast<absl::StatusCode>(code)
                                          : absl::StatusCode::kUnknown,
                                      item.end().message()),
                         consumed);
        }
      }
      msg.Clear();
    }
    const grpc::Status s = rw_->Finish();
    absl::Status error =
        s.ok() ? absl::UnavailableError("the enclave ended the stream")
               : absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                              s.error_message());
    std::lock_guard<std::mutex> dispatch(dispatch_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_.ok()) {
        error = cancelled_;
      } else if (!error.ok() && !absl::IsUnavailable(error)) {
        // Not our cancel: the enclave ended the call (it shuts down, failed
        // to write to us, or refused a malformed stream message after
        // ending its sessions itself), or the connection went away. The
        // call's status is not an enclave's end of the sessions still open
        // here, so they end UNAVAILABLE whatever its code (never a code
        // that reads as "refused before the approvals check").
        error = absl::UnavailableError(absl::StrCat(
            "the enclave ended the stream (", error.message(), ")"));
      }
      ended_ = true;
    }
    // One at a time, looked up again each time: a callback may abandon
    // another session of this stream.
    for (;;) {
      Callbacks* callbacks = nullptr;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (open_.empty()) break;
        callbacks = open_.begin()->second;
        open_.erase(open_.begin());
      }
      callbacks->end(error, std::nullopt);  // the enclave did not say
    }
    t_dispatching = nullptr;
  }

  const std::unique_ptr<ev1::Enclave::Stub> stub_;
  const EnclaveConnectionOptions options_;
  const std::shared_ptr<LateEnds> late_ends_;
  grpc::ClientContext ctx_;
  // Set by the writer thread before it starts the reader.
  std::unique_ptr<
      grpc::ClientReaderWriter<ev1::SessionsInput, ev1::SessionsOutput>>
      rw_;
  // Held while a callback runs (Forget waits for it).
  std::mutex dispatch_mu_;
  std::mutex mu_;
  std::map<uint64_t, Callbacks*> open_;      // guarded by mu_
  bool ended_ = false;                       // guarded by mu_
  absl::Status cancelled_;                   // guarded by mu_
  std::map<uint64_t, absl::Status> failed_;  // by Fail; guarded by mu_
  std::mutex write_mu_;
  std::condition_variable write_cv_;           // an item queued, or stopping_
  std::condition_variable watch_cv_;           // pending_ or stopping_
  std::deque<ev1::SessionsInputItem> urgent_;  // guarded by write_mu_
  std::deque<ev1::SessionsInputItem> bulk_;    // guarded by write_mu_
  size_t queued_bytes_ = 0;                    // guarded by write_mu_
  bool pending_ = false;                       // guarded by write_mu_
  absl::Time pending_since_;                   // guarded by write_mu_
  bool broken_ = false;                        // guarded by write_mu_
  bool stopping_ = false;                      // guarded by write_mu_
  std::thread reader_;                         // started by writer_
  std::thread writer_;
  std::thread watchdog_;
};

namespace {

// The deleter of a Stream (EnclaveConnection::Open). On its own reader
// thread (a callback dropped the stream's last Session handle) the stream
// is destroyed by a thread of its own, which joins the reader once the
// callback has returned and the reader has ended the remaining sessions;
// counted until it is done (WaitForStreamDestroyers).
void DestroyStream(EnclaveConnection::Stream* stream) {
  if (t_dispatching != stream) {
    delete stream;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(g_destroyers_mu);
    ++g_destroyers;
  }
  std::thread([stream] {
    delete stream;
    // Notified under the lock: a waiter that returns has nothing of this
    // thread's left to wait for.
    std::lock_guard<std::mutex> lock(g_destroyers_mu);
    --g_destroyers;
    g_destroyers_cv.notify_all();
  }).detach();
}

}  // namespace

size_t StreamDestroyersRunning() {
  std::lock_guard<std::mutex> lock(g_destroyers_mu);
  return g_destroyers;
}

bool WaitForStreamDestroyers(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(g_destroyers_mu);
  return g_destroyers_cv.wait_until(lock, absl::ToChronoTime(deadline),
                                    [] { return g_destroyers == 0; });
}

void SetSessionsKeepalive(grpc::ChannelArguments* args,
                          const EnclaveConnectionOptions& options) {
  const int time_ms =
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time));
  args->SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, time_ms);
  args->SetInt(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
  args->SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // no limit
  args->SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, time_ms);
}

EnclaveConnection::EnclaveConnection(
    std::shared_ptr<grpc::ChannelInterface> channel,
    const EnclaveConnectionOptions& options)
    : channel_(std::move(channel)),
      stub_(ev1::Enclave::NewStub(channel_)),
      options_(options),
      late_ends_(std::make_shared<LateEnds>()) {}

EnclaveConnection::~EnclaveConnection() = default;

EnclaveConnection::Session EnclaveConnection::Open(
    const ev1::StartSession& start, Callbacks* callbacks) {
  assert(t_dispatching == nullptr);  // not from a callback (Callbacks)
  std::shared_ptr<Stream> stream, retired;
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = ++next_id_;
    if (stream_ == nullptr || !stream_->Add(id, callbacks)) {
      // None yet, or it ended: a new one (its writer thread creates the
      // call, so this waits for nothing).
      retired = std::move(stream_);
      stream_ = std::shared_ptr<Stream>(
          new Stream(channel_, options_, id, callbacks, late_ends_),
          DestroyStream);
      ++streams_opened_;
    }
    stream = stream_;
    // Queued under the lock that gave out the id: new sessions reach the
    // enclave in the order of their ids (it takes a lower id than one it
    // has seen for a late item of an ended session).
    ev1::SessionsInputItem item;
    item.set_id(id);
    *item.mutable_input()->mutable_start() = start;
    stream->Enqueue(std::move(item), /*urgent=*/true);
  }
  retired.reset();  // outside the lock: joins its threads
  return Session(std::move(stream), id, start.has_sign());
}

uint64_t EnclaveConnection::streams_opened() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_opened_;
}

uint64_t EnclaveConnection::late_session_ends() const {
  std::lock_guard<std::mutex> lock(late_ends_->mu);
  return late_ends_->n;
}

bool EnclaveConnection::WaitForLateSessionEnds(uint64_t n,
                                               absl::Time deadline) const {
  std::unique_lock<std::mutex> lock(late_ends_->mu);
  return late_ends_->cv.wait_until(lock, absl::ToChronoTime(deadline),
                                   [&] { return late_ends_->n >= n; });
}

void EnclaveConnection::Session::Send(ev1::SessionInput input) const {
  if (input.envelope().size() > kMaxEnvelopeBytes) {
    // It would break the stream for every session (enclave.proto's limit):
    // only this session ends.
    stream_->Fail(id_, urgent_,
                  absl::InvalidArgumentError(absl::StrCat(
                      "session: an envelope of ", input.envelope().size(),
                      " bytes (at most ", kMaxEnvelopeBytes, ")")));
    return;
  }
  ev1::SessionsInputItem item;
  item.set_id(id_);
  *item.mutable_input() = std::move(input);
  stream_->Enqueue(std::move(item), urgent_);
}

void EnclaveConnection::Session::Close() const {
  ev1::SessionsInputItem item;
  item.set_id(id_);
  item.mutable_close();
  stream_->Enqueue(std::move(item), urgent_);
}

void EnclaveConnection::Session::Cancel() const {
  ev1::SessionsInputItem item;
  item.set_id(id_);
  item.mutable_close()->set_cancel(true);
  stream_->Enqueue(std::move(item), urgent_);
}

void EnclaveConnection::Session::Abandon() const {
  stream_->Forget(id_);
  Cancel();
}

std::map<uint32_t, SessionOutcome> RunSession(
    const EnclaveSet& enclaves,
    const std::map<uint32_t, ev1::StartSession>& starts,
    const RunOptions& options) {
  // The streams' reader threads only queue what they get for this run; this
  // thread routes, times rounds and records outcomes (so a test's filter
  // that blocks holds up this run only).
  struct Event {
    uint32_t party = 0;
    bool end = false;
    ev1::SessionOutput output;
    absl::Status status;
    std::optional<bool> approvals_consumed;  // of an end
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Event> inbox;  // guarded by mu

  struct Party {
    EnclaveConnection::Callbacks callbacks;
    EnclaveConnection::Session session;
    bool open = false;      // a session was opened
    bool reported = false;  // result, abort or error known
    bool closed = false;    // half-closed or abandoned: nothing more to send
    bool ended = false;     // its end arrived, or it was abandoned
    absl::Time last_activity;
    uint32_t round = 1;  // of its latest envelope
    uint32_t expired_round = 0;
  };
  std::map<uint32_t, Party> parties;
  std::map<uint32_t, SessionOutcome> outcomes;
  size_t reported = 0, ended = 0;
  std::map<std::pair<uint32_t, uint32_t>, int> counts;
  const absl::Time run_end = absl::Now() + options.run_deadline;

  for (const auto& [party, start] : starts) {
    Party& p = parties[party];
    p.last_activity = absl::Now();
    auto it = enclaves.find(party);
    if (it == enclaves.end() || it->second == nullptr) {
      outcomes[party].stream_error = absl::InvalidArgumentError(
          absl::StrCat("party ", party, ": no enclave to run it on"));
      p.reported = p.closed = p.ended = true;
      ++reported;
      ++ended;
      continue;
    }
    const uint32_t i = party;
    p.callbacks.output = [&, i](ev1::SessionOutput out) {
      std::lock_guard<std::mutex> lock(mu);
      inbox.push_back({i, false, std::move(out), absl::OkStatus(), {}});
      cv.notify_one();
    };
    p.callbacks.end = [&, i](const absl::Status& status,
                             std::optional<bool> consumed) {
      std::lock_guard<std::mutex> lock(mu);
      inbox.push_back({i, true, {}, status, consumed});
      cv.notify_one();
    };
    p.session = it->second->Open(start, &p.callbacks);
    p.open = true;
  }

  auto deliver = [&](uint32_t from, const std::string& envelope, uint32_t to) {
    for (auto& [j, p] : parties) {
      if (j == from || !p.open || (to != 0 && j != to)) continue;
      const int index = counts[{from, j}]++;
      if (options.filter && !options.filter(from, j, index)) {
        g_dropped.fetch_add(1);
        continue;
      }
      std::vector<std::string> envelopes;
      if (options.inject) envelopes = options.inject(from, j, index, envelope);
      envelopes.push_back(envelope);
      if (p.closed) continue;
      for (std::string& e : envelopes) {
        ev1::SessionInput in;
        in.set_envelope(std::move(e));
        p.session.Send(std::move(in));
      }
      g_routed.fetch_add(1);
      p.last_activity = absl::Now();
    }
  };
  auto report = [&](Party& p) {
    p.reported = true;
    ++reported;
  };
  auto handle = [&](Event& e) {
    Party& p = parties[e.party];
    const uint32_t i = e.party;
    if (e.end) {
      outcomes[i].approvals_consumed = e.approvals_consumed;
      if (!p.reported) {
        if (!e.status.ok() && options.cancel_on_stream_error) {
          for (auto& [j, other] : parties) {
            if (j != i && !other.ended) other.session.Cancel();
          }
        }
        outcomes[i].stream_error =
            e.status.ok()
                ? absl::InternalError(absl::StrCat(
                      "party ", i, ": session ended without a result"))
                : absl::Status(e.status.code(),
                               absl::StrCat("party ", i,
                                            " session: ", e.status.message()));
        report(p);
      }
      p.closed = p.ended = true;
      ++ended;
    } else if (e.output.has_envelope()) {
      const uint32_t round = HeaderRound(e.output.envelope().envelope());
      p.last_activity = absl::Now();
      if (round == 0) {
        g_malformed.fetch_add(1);
      } else {
        p.round = std::max(p.round, round);
      }
      deliver(i, e.output.envelope().envelope(), e.output.envelope().to());
    } else if (!p.reported && (e.output.has_result() || e.output.has_abort())) {
      SessionOutcome& o = outcomes[i];
      if (e.output.has_result()) {
        o.done = true;
        o.result = std::move(*e.output.mutable_result());
      } else {
        o.abort = std::move(*e.output.mutable_abort());
      }
      report(p);
    }
  };
  // No callback of an abandoned session runs after this; one not reported
  // gets DEADLINE_EXCEEDED.
  auto abandon = [&](uint32_t i, Party& p) {
    p.session.Abandon();
    p.closed = p.ended = true;
    ++ended;
    if (!p.reported) {
      outcomes[i].stream_error = absl::DeadlineExceededError(
          absl::StrCat("party ", i, " session: the run deadline passed"));
      report(p);
    }
  };

  // Relays until every party has reported; then half-closes every session
  // (its enclave ends it once it has judged what is still in flight) and
  // waits for the ends. The run deadline abandons what is left.
  bool closing = false;
  while (ended < parties.size()) {
    absl::Time now = absl::Now();
    if (now >= run_end) {
      for (auto& [i, p] : parties) {
        if (!p.ended) abandon(i, p);
      }
      break;
    }
    absl::Time next = run_end;
    if (!closing && reported == parties.size()) {
      closing = true;
      for (auto& [i, p] : parties) {
        if (p.closed) continue;
        p.closed = true;
        p.session.Close();
      }
    }
    if (!closing) {
      // The round watchdog: expire the round of an enclave that made no
      // progress for a round deadline (once per round it is in).
      for (auto& [i, p] : parties) {
        if (p.reported) continue;
        const absl::Time due = p.last_activity + options.round_deadline;
        if (due <= now && p.expired_round != p.round) {
          p.expired_round = p.round;
          p.last_activity = now;
          ev1::SessionInput in;
          in.mutable_expire_round()->set_round(p.round);
          p.session.Send(std::move(in));
          g_expired.fetch_add(1);
          next = std::min(next, now + options.round_deadline);
        } else {
          next = std::min(next, std::max(due, now + absl::Milliseconds(10)));
        }
      }
    }
    std::deque<Event> events;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_until(lock, absl::ToChronoTime(next),
                    [&] { return !inbox.empty(); });
      events.swap(inbox);
    }
    for (Event& e : events) handle(e);
  }
  return outcomes;
}

}  // namespace nitro_tss::coordinator
