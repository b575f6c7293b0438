#include "node/enclave/service.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/proto_batch.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::enclave {

using json::Value;

namespace {

template <typename Resp>
grpc::Status Answer(absl::StatusOr<Resp> result, Resp* out) {
  if (!result.ok()) return vsock::ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

std::string IdText(const std::string& id) { return absl::BytesToHexString(id); }

// Nice value of presigning threads (0 is the default; weight ~1/10 of a
// default thread's when both want a core).
constexpr int kPresignNice = 10;

// Threads of the DKG pool: a DKG's start may wait for keygen material.
constexpr int kKeygenThreads = 8;

// A strand handles at most this many events before it re-posts itself (a
// continuously fed session does not keep a pool thread).
constexpr int kEventsPerRun = 16;

// Runs tasks on at most `max_threads` threads, started when needed, each
// at nice value `nice`.
class TaskPool {
 public:
  TaskPool(int max_threads, int nice)
      : max_threads_(max_threads), nice_(nice) {}
  ~TaskPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  void Post(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
    // A thread more when the queued tasks outnumber the idle threads (a
    // burst is spread at once instead of queuing behind one thread).
    if (tasks_.size() > static_cast<size_t>(idle_) &&
        static_cast<int>(threads_.size()) < max_threads_) {
      threads_.emplace_back([this] { Loop(); });
    } else {
      cv_.notify_one();
    }
  }

 private:
  void Loop() {
    // A thread may lower its priority but not raise it again: the pool's
    // threads are its own.
    if (nice_ != 0) {
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice_);
    }
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      ++idle_;
      cv_.wait(lock, [&] { return !tasks_.empty() || stop_; });
      --idle_;
      if (tasks_.empty()) return;
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const int max_threads_;
  const int nice_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  int idle_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

RoundTimer::RoundTimer() : thread_([this] { Loop(); }) {}

RoundTimer::~RoundTimer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void RoundTimer::Schedule(const void* key, absl::Time when,
                          std::function<void()> f) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    due_.erase(it->second);
    by_key_.erase(it);
  }
  const bool first = due_.empty() || when < due_.begin()->first;
  by_key_[key] = due_.emplace(when, std::make_pair(key, std::move(f)));
  if (first) cv_.notify_all();
}

void RoundTimer::Cancel(const void* key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    due_.erase(it->second);
    by_key_.erase(it);
  }
}

size_t RoundTimer::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return due_.size();
}

void RoundTimer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const absl::Time next = due_.begin()->first;
    if (absl::Now() < next) {
      cv_.wait_until(lock, absl::ToChronoTime(next));
      continue;
    }
    std::function<void()> f = std::move(due_.begin()->second.second);
    by_key_.erase(due_.begin()->second.first);
    due_.erase(due_.begin());
    lock.unlock();
    f();
    lock.lock();
  }
}

void SetSessionsServerKeepalive(grpc::ServerBuilder* builder,
                                const SessionsKeepalive& keepalive) {
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(keepalive.min_ping_interval)));
  builder->AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      static_cast<int>(absl::ToInt64Milliseconds(keepalive.time)));
  builder->AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(keepalive.timeout)));
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
}

template <typename F>
grpc::Status EnclaveService::Unary(F&& call) {
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    if (shutting_down_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the enclave is shutting down");
    }
    ++unary_calls_;
  }
  grpc::Status status = call();
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    --unary_calls_;
  }
  streams_cv_.notify_all();
  return status;
}

grpc::Status EnclaveService::GetInfo(grpc::ServerContext*,
                                     const v1::GetInfoRequest* req,
                                     v1::GetInfoResponse* resp) {
  return Unary([&] { return Answer(core_->GetInfo(*req), resp); });
}

grpc::Status EnclaveService::OpenLink(grpc::ServerContext*,
                                      const v1::OpenLinkRequest* req,
                                      v1::OpenLinkResponse* resp) {
  return Unary([&] {
    auto r = core_->OpenLink(*req);
    log_->Log(r.ok() ? "info" : "warn", "open_link",
              {{"link_id", Value::String(IdText(req->link_id()))},
               {"status", Value::String(r.status().ToString())}});
    return Answer(std::move(r), resp);
  });
}

grpc::Status EnclaveService::AttestLink(grpc::ServerContext*,
                                        const v1::AttestLinkRequest* req,
                                        v1::AttestLinkResponse* resp) {
  return Unary([&] {
    auto r = core_->AttestLink(*req);
    if (!r.ok()) {
      log_->Warn("attest_link",
                 {{"link_id", Value::String(IdText(req->link_id()))},
                  {"status", Value::String(r.status().ToString())}});
    }
    return Answer(std::move(r), resp);
  });
}

grpc::Status EnclaveService::FinishLink(grpc::ServerContext*,
                                        const v1::FinishLinkRequest* req,
                                        v1::FinishLinkResponse* resp) {
  return Unary([&] {
    auto r = core_->FinishLink(*req);
    log_->Log(r.ok() ? "info" : "warn", "finish_link",
              {{"link_id", Value::String(IdText(req->link_id()))},
               {"status", Value::String(r.status().ToString())}});
    return Answer(std::move(r), resp);
  });
}

grpc::Status EnclaveService::CloseLink(grpc::ServerContext*,
                                       const v1::CloseLinkRequest* req,
                                       v1::CloseLinkResponse*) {
  return Unary([&] { return vsock::ToGrpcStatus(core_->CloseLink(*req)); });
}

grpc::Status EnclaveService::ProbeLinks(grpc::ServerContext*,
                                        const v1::ProbeLinksRequest* req,
                                        v1::ProbeLinksResponse* resp) {
  return Unary([&] { return Answer(core_->ProbeLinks(*req), resp); });
}

absl::Status CheckSessionsInput(const v1::SessionsInput& msg) {
  if (msg.items_size() < 1 || msg.items_size() > kMaxSessionsItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("sessions stream: a message carries 1..",
                     kMaxSessionsItems, " items, not ", msg.items_size()));
  }
  for (const v1::SessionsInputItem& item : msg.items()) {
    if (item.id() == 0 ||
        item.item_case() == v1::SessionsInputItem::ITEM_NOT_SET) {
      return absl::InvalidArgumentError(
          "sessions stream: an item needs an id >= 1 and an input or close");
    }
  }
  return absl::OkStatus();
}

SessionsItemRoute RouteSessionsItem(const v1::SessionsInputItem& item,
                                    bool open, uint64_t last_id,
                                    size_t open_count, size_t max_sessions,
                                    bool shutting_down) {
  if (open) return {SessionsItemRoute::kToSession};
  if (item.id() <= last_id) return {SessionsItemRoute::kIgnore};
  if (item.has_close()) {
    return {
        SessionsItemRoute::kRefuse,
        absl::InvalidArgumentError("session: closed before its start message")};
  }
  if (!item.input().has_start()) {
    return {SessionsItemRoute::kRefuse,
            absl::FailedPreconditionError(
                "session: the first input must be `start`")};
  }
  if (shutting_down) {
    return {SessionsItemRoute::kRefuse,
            absl::UnavailableError("session: the enclave is shutting down")};
  }
  if (open_count >= max_sessions) {
    return {SessionsItemRoute::kRefuse,
            absl::ResourceExhaustedError(
                "session: too many sessions open on this stream")};
  }
  return {SessionsItemRoute::kOpen};
}

class EnclaveService::Workers {
 public:
  Workers()
      : sign(std::max(2, static_cast<int>(std::thread::hardware_concurrency())),
             0),
        presign(
            std::max(2, static_cast<int>(std::thread::hardware_concurrency())),
            kPresignNice),
        keygen(kKeygenThreads, 0) {}
  // Destroyed in reverse: the timer first (it posts to the pools).
  TaskPool sign;
  TaskPool presign;
  TaskPool keygen;
  RoundTimer timer;

  TaskPool* For(const v1::StartSession& start) {
    switch (start.protocol_case()) {
      case v1::StartSession::kPresign:
        return &presign;
      case v1::StartSession::kKeygen:
        return &keygen;
      default:
        return &sign;
    }
  }
};

EnclaveService::EnclaveService(EnclaveCore* core, const process::Logger* log,
                               EnclaveMetrics* metrics,
                               const SessionsLimits& limits)
    : core_(core),
      log_(log),
      metrics_(metrics),
      limits_(limits),
      workers_(std::make_unique<Workers>()) {}

EnclaveService::~EnclaveService() = default;

// One Sessions call: its open sessions and its writer's queue.
class EnclaveService::Stream {
 public:
  Stream(grpc::ServerContext* ctx,
         grpc::ServerReaderWriter<v1::SessionsOutput, v1::SessionsInput>* rw,
         const SessionsLimits& limits)
      : ctx_(ctx), rw_(rw), limits_(limits), writer_([this] { WriteLoop(); }) {}

  const SessionsLimits& limits() const { return limits_; }

  // Queues a session's outputs; waits while the queue is over its byte
  // budget (the writer, which takes no other lock, drains it).
  // `urgent`: a sign session's (written before any bulk item).
  void Emit(uint64_t id, bool urgent, std::vector<v1::SessionOutput> outs) {
    std::unique_lock<std::mutex> lock(mu_);
    out_cv_.wait(lock,
                 [&] { return out_bytes_ <= limits_.stream_output_bytes; });
    for (v1::SessionOutput& o : outs) {
      v1::SessionsOutputItem& item = Queue(urgent).emplace_back();
      item.set_id(id);
      *item.mutable_output() = std::move(o);
      out_bytes_ += item.ByteSizeLong();
    }
    cv_.notify_all();
  }

  // The sessions' queued inputs (bytes), against the stream's budget.
  void HoldInput(size_t bytes) {
    std::lock_guard<std::mutex> lock(in_mu_);
    in_bytes_ += bytes;
  }
  void ReleaseInput(size_t bytes) {
    if (bytes == 0) return;
    std::lock_guard<std::mutex> lock(in_mu_);
    in_bytes_ -= bytes;
    if (in_bytes_ <= limits_.stream_pending_bytes) in_cv_.notify_all();
  }
  // The reader waits here before each Read while the queued inputs are
  // over budget (strands release them without waiting for the reader).
  void WaitInputBudget() {
    std::unique_lock<std::mutex> lock(in_mu_);
    while (in_bytes_ > limits_.stream_pending_bytes && !ctx_->IsCancelled()) {
      in_cv_.wait_for(lock, std::chrono::seconds(1));
    }
  }
  // Queues the session's end; it is no longer open (its last call here).
  // `approvals_consumed`: a sign session's (SessionEnd), unset for others.
  void End(uint64_t id, bool urgent, const absl::Status& status,
           std::optional<bool> approvals_consumed) {
    std::lock_guard<std::mutex> lock(mu_);
    v1::SessionsOutputItem& item = Queue(urgent).emplace_back();
    item.set_id(id);
    item.mutable_end()->set_code(static_cast<int>(status.code()));
    item.mutable_end()->set_message(std::string(status.message()));
    if (approvals_consumed.has_value()) {
      item.mutable_end()->set_approvals_consumed(*approvals_consumed);
    }
    open_.erase(id);
    cv_.notify_all();
  }

  // The enclave is shutting down: new ids are refused (Dispatch), and the
  // writer ends the call once no session is open and all is written.
  void BeginClosing() {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    cv_.notify_all();
  }
  bool closing() {
    std::lock_guard<std::mutex> lock(mu_);
    return closing_;
  }
  // A write to the coordinator failed (the call is over).
  bool write_failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return write_failed_;
  }

  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<Session>> open_;  // guarded by mu_
  uint64_t last_id_ = 0;                               // guarded by mu_
  bool closing_ = false;                               // guarded by mu_

  // Waits until every session has ended, then for the writer to send what
  // is queued.
  void Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_.empty(); });
    stop_ = true;
    cv_.notify_all();
    lock.unlock();
    writer_.join();
  }

 private:
  void WriteLoop() {
    bool broken = false;
    bool ended = false;  // by the writer, at shutdown
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] {
        return !urgent_.empty() || !out_.empty() || stop_ ||
               (closing_ && open_.empty() && !ended);
      });
      if (urgent_.empty() && out_.empty()) {
        if (stop_) return;
        // Shutting down, no session open and everything written: the call
        // ends (a sync handler's pending Read ends only by a cancel).
        ended = true;
        lock.unlock();
        ctx_->TryCancel();
        lock.lock();
        continue;
      }
      v1::SessionsOutput msg;
      TakeProtoBatch(urgent_.empty() ? out_ : urgent_, kMaxSessionsItems,
                     kMaxSessionsBatchBytes, &msg);
      for (const auto& item : msg.items()) {
        if (item.has_output()) out_bytes_ -= item.ByteSizeLong();
      }
      out_cv_.notify_all();
      lock.unlock();
      const bool failed = !broken && !rw_->Write(msg);
      lock.lock();
      if (failed) {
        // The call is over: the reader sees it end (and why: the flag is
        // set before the cancel that ends its Read).
        broken = true;
        write_failed_ = true;
        lock.unlock();
        ctx_->TryCancel();
        lock.lock();
      }
    }
  }

  grpc::ServerContext* ctx_;
  grpc::ServerReaderWriter<v1::SessionsOutput, v1::SessionsInput>* rw_;
  const SessionsLimits limits_;
  std::condition_variable cv_;
  std::condition_variable out_cv_;  // out_bytes_ went down
  std::deque<v1::SessionsOutputItem>& Queue(bool urgent) {
    return urgent ? urgent_ : out_;
  }
  // Sign sessions' items, and the bulk (presign, DKG); guarded by mu_.
  std::deque<v1::SessionsOutputItem> urgent_;
  std::deque<v1::SessionsOutputItem> out_;  // guarded by mu_
  size_t out_bytes_ = 0;  // outputs (not ends) queued; guarded by mu_
  std::mutex in_mu_;
  std::condition_variable in_cv_;
  size_t in_bytes_ = 0;        // guarded by in_mu_
  bool stop_ = false;          // guarded by mu_
  bool write_failed_ = false;  // guarded by mu_
  std::thread writer_;
};

// One session: a strand of events run on its pool, in order.
class EnclaveService::Session
    : public std::enable_shared_from_this<EnclaveService::Session> {
 public:
  enum class Kind { kInput, kClose, kCancel, kTick, kOverflow };
  struct Event {
    Kind kind = Kind::kInput;
    v1::SessionInput input = {};
    size_t bytes = 0;  // of `input`, held against the budgets
    // kCancel: the session's end (OK: the coordinator cancelled it).
    absl::Status why = absl::OkStatus();
  };

  Session(EnclaveService* service, Stream* stream, uint64_t id, TaskPool* pool,
          bool urgent)
      : service_(service),
        stream_(stream),
        id_(id),
        pool_(pool),
        urgent_(urgent),
        budget_(stream->limits()) {}

  void Post(Event e) {
    if (e.kind == Kind::kInput) e.bytes = e.input.ByteSizeLong();
    std::lock_guard<std::mutex> lock(mu_);
    if (done_ || overflowed_) return;
    if (e.kind == Kind::kInput && !budget_.Admit(e.bytes)) {
      // Its strand is behind by more than a session may queue: only this
      // session ends (its queued inputs are dropped at once).
      overflowed_ = true;
      stream_->ReleaseInput(budget_.bytes());
      budget_.Clear();
      events_.clear();
      events_.push_back({Kind::kOverflow});
    } else if (e.kind == Kind::kCancel) {
      // A cancel overtakes what is queued: a start the strand has not
      // begun is never run (so it spends no approvals for a run the
      // coordinator gave up on).
      stream_->ReleaseInput(budget_.bytes());
      budget_.Clear();
      events_.clear();
      events_.push_back(std::move(e));
    } else {
      stream_->HoldInput(e.bytes);
      events_.push_back(std::move(e));
    }
    if (!scheduled_) {
      scheduled_ = true;
      pool_->Post([self = shared_from_this()] { self->Run(); });
    }
  }

 private:
  void Run() {
    for (int handled = 0;; ++handled) {
      Event e;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // After Finish the stream may be gone: not touched again (Finish
        // released what was still queued).
        if (events_.empty() || done_) {
          scheduled_ = false;
          return;
        }
        if (handled == kEventsPerRun) {  // let other strands run
          pool_->Post([self = shared_from_this()] { self->Run(); });
          return;
        }
        e = std::move(events_.front());
        events_.pop_front();
        if (e.kind == Kind::kInput) {
          budget_.Release(e.bytes);
          stream_->ReleaseInput(e.bytes);
        }
      }
      Handle(e);
    }
  }

  void Handle(Event& e) {
    switch (e.kind) {
      case Kind::kInput:
        if (runner_ == nullptr) {
          Begin(e.input.start());  // the first input (Dispatch checked)
          return;
        }
        Input(e.input);
        return;
      case Kind::kTick:
        if (runner_ == nullptr || absl::Now() < deadline_) return;
        if (runner_->finished()) {  // lingered one deadline after result
          Finish(absl::OkStatus());
          return;
        }
        Step(runner_->ExpireRound(), /*had_input=*/false);
        return;
      case Kind::kClose:
        if (runner_ != nullptr && runner_->finished()) {
          Finish(absl::OkStatus());
        } else {
          // The coordinator gave up on this run.
          Finish(absl::CancelledError(
              "session: the coordinator closed the stream before the end"));
        }
        return;
      case Kind::kCancel:
        Finish(e.why.ok() ? absl::CancelledError(
                                "session: cancelled by the coordinator")
                          : e.why);
        return;
      case Kind::kOverflow:
        Finish(absl::ResourceExhaustedError(absl::StrCat(
            "session: more inputs queued than a session may hold (",
            stream_->limits().session_pending_items, " items, ",
            stream_->limits().session_pending_bytes, " bytes)")));
        return;
    }
  }

  void Begin(const v1::StartSession& start) {
    sid_ = IdText(start.session_id());
    kind_ = EnclaveMetrics::KindOf(start);
    absl::StatusOr<std::unique_ptr<SessionRunner>> started =
        service_->core_->StartSession(start, &approvals_consumed_);
    if (!started.ok()) {
      service_->Refused(sid_, kind_, started.status());
      Finish(started.status());
      return;
    }
    runner_ = *std::move(started);
    service_->log_->Info("session_started",
                         {{"session_id", Value::String(sid_)},
                          {"link_id", Value::String(IdText(start.link_id()))},
                          {"protocol", Value::Int(start.protocol_case())}});
    round_started_ = absl::Now();
    absl::StatusOr<std::vector<v1::SessionOutput>> outs = runner_->Start();
    if (!outs.ok()) {
      Finish(outs.status());
      return;
    }
    Write(*std::move(outs));
    round_ = runner_->current_round();
    Arm();
  }

  void Input(const v1::SessionInput& in) {
    absl::StatusOr<std::vector<v1::SessionOutput>> step =
        std::vector<v1::SessionOutput>{};
    switch (in.input_case()) {
      case v1::SessionInput::kEnvelope:
        step = runner_->Receive(in.envelope());
        if (!step.ok()) {
          service_->refused_.fetch_add(1);
          service_->log_->Warn(
              "envelope_refused",
              {{"session_id", Value::String(sid_)},
               {"status", Value::String(step.status().ToString())}});
          step = std::vector<v1::SessionOutput>{};
        }
        break;
      case v1::SessionInput::kExpireRound:
        if (in.expire_round().round() == runner_->current_round() &&
            !runner_->finished()) {
          step = runner_->ExpireRound();
        }
        break;
      default:
        Finish(absl::FailedPreconditionError(
            "session: `start` may only be the first input"));
        return;
    }
    Step(std::move(step), /*had_input=*/true);
  }

  // After a step: its outputs out; a new round (or an expiry) gets a fresh
  // deadline.
  void Step(absl::StatusOr<std::vector<v1::SessionOutput>> step,
            bool had_input) {
    if (!step.ok()) {
      Finish(step.status());
      return;
    }
    Write(*std::move(step));
    const uint32_t round = runner_->current_round();
    if (round != round_ && !ended_) RoundEnded();
    if (round != round_ || !had_input) {
      round_ = round;
      Arm();
    }
  }

  // The round deadline: one timer entry per session, replaced at each
  // round (no pile-up), dropped when the session ends.
  void Arm() {
    deadline_ = absl::Now() + service_->core_->limits().round_deadline;
    std::weak_ptr<Session> weak = weak_from_this();
    service_->workers_->timer.Schedule(this, deadline_, [weak] {
      if (auto self = weak.lock()) self->Post({Kind::kTick});
    });
  }

  // Metrics: the time each round took (until the round changes, or the
  // session's first outcome).
  void RoundEnded() {
    const absl::Time now = absl::Now();
    if (service_->metrics_ != nullptr) {
      service_->metrics_->RoundEnded(kind_, now - round_started_);
    }
    round_started_ = now;
  }

  void Write(std::vector<v1::SessionOutput> outs) {
    const process::Logger* log = service_->log_;
    EnclaveMetrics* metrics = service_->metrics_;
    for (const v1::SessionOutput& o : outs) {
      if (o.has_abort() || o.has_result()) {
        if (!ended_) RoundEnded();
        ended_ = true;
        outcome_ = o.has_abort() ? host::v1::SESSION_OUTCOME_ABORTED
                                 : host::v1::SESSION_OUTCOME_DONE;
        if (o.has_abort() && metrics != nullptr) metrics->Aborted(o.abort());
      }
      if (o.has_abort()) {
        log->Warn("session_aborted",
                  {{"session_id", Value::String(sid_)},
                   {"round", Value::Int(o.abort().round())},
                   {"culprits", Value::Int(o.abort().culprits_size())},
                   {"cause", Value::String(o.abort().cause())}});
      } else if (o.has_result()) {
        log->Info("session_done", {{"session_id", Value::String(sid_)}});
      }
    }
    if (!outs.empty()) stream_->Emit(id_, urgent_, std::move(outs));
  }

  // The session's end; its last use of the stream (which may end at once
  // after it: nothing here touches stream_ after End).
  void Finish(const absl::Status& status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      stream_->ReleaseInput(budget_.bytes());  // inputs it will not handle
      budget_.Clear();
      events_.clear();
    }
    service_->workers_->timer.Cancel(this);
    if (runner_ != nullptr) {
      if (service_->metrics_ != nullptr) {
        service_->metrics_->SessionEnded(kind_, outcome_);
      }
      runner_.reset();  // frees the enclave's session slot before the end
    }
    // A sign's end says whether its start consumed the approvals (false
    // also when the session ends before its start ran).
    stream_->End(
        id_, urgent_, status,
        urgent_ ? std::optional<bool>(approvals_consumed_) : std::nullopt);
  }

  EnclaveService* const service_;
  Stream* const stream_;  // valid until End (the call waits for it)
  const uint64_t id_;
  TaskPool* const pool_;
  const bool urgent_;  // a sign: its items go before bulk traffic
  std::mutex mu_;
  std::deque<Event> events_;   // guarded by mu_
  bool scheduled_ = false;     // guarded by mu_
  bool done_ = false;          // guarded by mu_
  bool overflowed_ = false;    // guarded by mu_
  SessionInputBudget budget_;  // queued inputs; guarded by mu_
  // The strand's own (one thread at a time).
  std::unique_ptr<SessionRunner> runner_;
  std::string sid_;
  host::v1::SessionKind kind_ = host::v1::SESSION_KIND_UNSPECIFIED;
  host::v1::SessionOutcome outcome_ = host::v1::SESSION_OUTCOME_FAILED;
  bool ended_ = false;  // a result or abort was written
  // A sign whose start recorded its approvals' nonce (StartSession).
  bool approvals_consumed_ = false;
  absl::Time round_started_;
  absl::Time deadline_;
  uint32_t round_ = 0;
};

void EnclaveService::Refused(const std::string& sid, host::v1::SessionKind kind,
                             const absl::Status& status) {
  if (metrics_ != nullptr) {
    metrics_->SessionEnded(kind, host::v1::SESSION_OUTCOME_REFUSED);
  }
  log_->Warn("session_refused", {{"session_id", Value::String(sid)},
                                 {"status", Value::String(status.ToString())}});
}

grpc::Status EnclaveService::Sessions(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::SessionsOutput, v1::SessionsInput>* rw) {
  Stream stream(ctx, rw, limits_);
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    streams_.insert(&stream);
    if (shutting_down_) stream.BeginClosing();  // ends at once
  }
  grpc::Status result = grpc::Status::OK;
  v1::SessionsInput in;
  while (true) {
    stream.WaitInputBudget();
    if (!rw->Read(&in)) break;
    if (absl::Status checked = CheckSessionsInput(in); !checked.ok()) {
      result = vsock::ToGrpcStatus(checked);
      break;
    }
    for (v1::SessionsInputItem& item : *in.mutable_items()) {
      Dispatch(stream, item);
    }
    in.Clear();
  }
  // The end of the stream closes every open session (the coordinator's
  // half-close, also while the enclave shuts down), or ends it with the
  // stream's cause: a malformed message (INVALID_ARGUMENT, as the stream);
  // once the call is cancelled, the enclave shutting down or a failed write
  // (UNAVAILABLE), else the coordinator's cancel (CANCELLED).
  absl::Status why;
  if (!result.ok()) {
    why = absl::InvalidArgumentError(
        absl::StrCat("session: the stream ended on a malformed message: ",
                     result.error_message()));
  } else if (ctx->IsCancelled()) {
    if (stream.closing()) {
      why = absl::UnavailableError("session: the enclave is shutting down");
    } else if (stream.write_failed()) {
      why = absl::UnavailableError(
          "session: a write to the coordinator failed (the stream is over)");
    } else {
      why = absl::CancelledError(
          "session: the coordinator cancelled the stream (or went away)");
    }
  }
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(stream.mu_);
    for (auto& [id, session] : stream.open_) open.push_back(session);
  }
  if (!open.empty()) {
    log_->Log(why.ok() ? "info" : "warn", "sessions_stream_ended",
              {{"open_sessions", Value::Int(static_cast<int64_t>(open.size()))},
               {"status", Value::String(why.ToString())}});
  }
  for (auto& session : open) {
    Session::Event e;
    e.kind = why.ok() ? Session::Kind::kClose : Session::Kind::kCancel;
    e.why = why;
    session->Post(std::move(e));
  }
  stream.Drain();
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    streams_.erase(&stream);
  }
  streams_cv_.notify_all();
  return result;
}

void EnclaveService::CancelOpen(Stream& stream, const absl::Status& why) {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(stream.mu_);
    for (auto& [id, session] : stream.open_) open.push_back(session);
  }
  for (auto& session : open) {
    Session::Event e;
    e.kind = Session::Kind::kCancel;
    e.why = why;
    session->Post(std::move(e));
  }
}

bool EnclaveService::Shutdown(absl::Time grace_end) {
  std::unique_lock<std::mutex> lock(streams_mu_);
  shutting_down_ = true;
  for (Stream* stream : streams_) stream->BeginClosing();
  auto ended = [&] { return streams_.empty() && unary_calls_ == 0; };
  if (streams_cv_.wait_until(lock, absl::ToChronoTime(grace_end), ended)) {
    return true;
  }
  log_->Warn("sessions_grace_ended",
             {{"streams", Value::Int(static_cast<int64_t>(streams_.size()))}});
  for (Stream* stream : streams_) {
    CancelOpen(*stream,
               absl::UnavailableError(
                   "session: the enclave is shutting down (its grace period "
                   "for running sessions ended)"));
  }
  // Each strand ends its session after the step it is in.
  return streams_cv_.wait_until(
      lock, absl::ToChronoTime(absl::Now() + absl::Seconds(2)), ended);
}

void EnclaveService::Dispatch(Stream& stream, v1::SessionsInputItem& item) {
  const uint64_t id = item.id();
  std::shared_ptr<Session> session;
  absl::Status refused;
  {
    std::lock_guard<std::mutex> lock(stream.mu_);
    auto it = stream.open_.find(id);
    const SessionsItemRoute route = RouteSessionsItem(
        item, it != stream.open_.end(), stream.last_id_, stream.open_.size(),
        core_->limits().max_sessions, stream.closing_);
    switch (route.action) {
      case SessionsItemRoute::kIgnore:
        return;
      case SessionsItemRoute::kToSession:
        session = it->second;
        break;
      case SessionsItemRoute::kRefuse:
        stream.last_id_ = id;
        refused = route.refusal;
        break;
      case SessionsItemRoute::kOpen:
        stream.last_id_ = id;
        session = std::make_shared<Session>(this, &stream, id,
                                            workers_->For(item.input().start()),
                                            item.input().start().has_sign());
        stream.open_[id] = session;
        break;
    }
  }
  if (session == nullptr) {
    if (absl::IsResourceExhausted(refused) || absl::IsUnavailable(refused)) {
      Refused(IdText(item.input().start().session_id()),
              EnclaveMetrics::KindOf(item.input().start()), refused);
    }
    // Never open: at once (a sign's start never ran: nothing consumed).
    stream.End(id, /*urgent=*/true, refused,
               item.input().start().has_sign() ? std::optional<bool>(false)
                                               : std::nullopt);
    return;
  }
  Session::Event e;
  if (item.has_close()) {
    e.kind =
        item.close().cancel() ? Session::Kind::kCancel : Session::Kind::kClose;
  } else {
    e.input = std::move(*item.mutable_input());
  }
  session->Post(std::move(e));
}

}  // namespace nitro_tss::enclave
