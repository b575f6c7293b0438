#include "node/enclave/service.h"

#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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

}  // namespace

grpc::Status EnclaveService::GetInfo(grpc::ServerContext*,
                                     const v1::GetInfoRequest* req,
                                     v1::GetInfoResponse* resp) {
  return Answer(core_->GetInfo(*req), resp);
}

grpc::Status EnclaveService::OpenLink(grpc::ServerContext*,
                                      const v1::OpenLinkRequest* req,
                                      v1::OpenLinkResponse* resp) {
  auto r = core_->OpenLink(*req);
  log_->Log(r.ok() ? "info" : "warn", "open_link",
            {{"link_id", Value::String(IdText(req->link_id()))},
             {"status", Value::String(r.status().ToString())}});
  return Answer(std::move(r), resp);
}

grpc::Status EnclaveService::AttestLink(grpc::ServerContext*,
                                        const v1::AttestLinkRequest* req,
                                        v1::AttestLinkResponse* resp) {
  auto r = core_->AttestLink(*req);
  if (!r.ok()) {
    log_->Warn("attest_link",
               {{"link_id", Value::String(IdText(req->link_id()))},
                {"status", Value::String(r.status().ToString())}});
  }
  return Answer(std::move(r), resp);
}

grpc::Status EnclaveService::FinishLink(grpc::ServerContext*,
                                        const v1::FinishLinkRequest* req,
                                        v1::FinishLinkResponse* resp) {
  auto r = core_->FinishLink(*req);
  log_->Log(r.ok() ? "info" : "warn", "finish_link",
            {{"link_id", Value::String(IdText(req->link_id()))},
             {"status", Value::String(r.status().ToString())}});
  return Answer(std::move(r), resp);
}

grpc::Status EnclaveService::CloseLink(grpc::ServerContext*,
                                       const v1::CloseLinkRequest* req,
                                       v1::CloseLinkResponse*) {
  return vsock::ToGrpcStatus(core_->CloseLink(*req));
}

grpc::Status EnclaveService::ProbeLinks(grpc::ServerContext*,
                                        const v1::ProbeLinksRequest* req,
                                        v1::ProbeLinksResponse* resp) {
  return Answer(core_->ProbeLinks(*req), resp);
}

grpc::Status EnclaveService::RunSession(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::SessionOutput, v1::SessionInput>* stream) {
  v1::SessionInput first;
  if (!stream->Read(&first)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "session: the stream ended before its start message");
  }
  if (!first.has_start()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "session: the first input must be `start`");
  }
  const std::string sid = IdText(first.start().session_id());
  const host::v1::SessionKind kind = EnclaveMetrics::KindOf(first.start());
  absl::StatusOr<std::unique_ptr<SessionRunner>> started =
      core_->StartSession(first.start());
  if (!started.ok()) {
    if (metrics_ != nullptr) {
      metrics_->SessionEnded(kind, host::v1::SESSION_OUTCOME_REFUSED);
    }
    log_->Warn("session_refused",
               {{"session_id", Value::String(sid)},
                {"status", Value::String(started.status().ToString())}});
    return vsock::ToGrpcStatus(started.status());
  }
  std::unique_ptr<SessionRunner> runner = *std::move(started);
  log_->Info("session_started",
             {{"session_id", Value::String(sid)},
              {"link_id", Value::String(IdText(first.start().link_id()))},
              {"protocol", Value::Int(first.start().protocol_case())}});
  if (!first.start().has_presign()) {
    return Serve(ctx, stream, sid, kind, runner.get());
  }
  // Presigning fills pools in the background: its rounds run on a thread
  // of lower CPU priority, so the online signatures it is made for (and
  // DKGs) get the cores first. A thread of its own, because a thread may
  // lower its priority but not raise it again, and gRPC reuses this one.
  grpc::Status result;
  std::thread background([&] {
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                        kPresignNice);
    result = Serve(ctx, stream, sid, kind, runner.get());
  });
  background.join();
  return result;
}

grpc::Status EnclaveService::Serve(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::SessionOutput, v1::SessionInput>* stream,
    const std::string& sid, host::v1::SessionKind kind, SessionRunner* runner) {
  // Inputs arrive on a reader thread; this thread owns the runner.
  struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<v1::SessionInput> items;
    bool closed = false;
  } inbox;
  std::thread reader([&] {
    v1::SessionInput in;
    while (stream->Read(&in)) {
      std::lock_guard<std::mutex> lock(inbox.mu);
      inbox.items.push_back(std::move(in));
      inbox.cv.notify_one();
      in.Clear();
    }
    std::lock_guard<std::mutex> lock(inbox.mu);
    inbox.closed = true;
    inbox.cv.notify_one();
  });

  // Metrics: the outcome (the last result or abort), and the time each
  // round took (until the round changes, or the session's first outcome).
  host::v1::SessionOutcome outcome = host::v1::SESSION_OUTCOME_FAILED;
  bool ended = false;
  absl::Time round_started = absl::Now();
  auto round_ended = [&] {
    const absl::Time now = absl::Now();
    if (metrics_ != nullptr) metrics_->RoundEnded(kind, now - round_started);
    round_started = now;
  };
  bool stream_ok = true;
  auto write = [&](const std::vector<v1::SessionOutput>& outs) {
    for (const v1::SessionOutput& o : outs) {
      if (stream_ok && !stream->Write(o)) stream_ok = false;
      if (o.has_abort() || o.has_result()) {
        if (!ended) round_ended();
        ended = true;
        outcome = o.has_abort() ? host::v1::SESSION_OUTCOME_ABORTED
                                : host::v1::SESSION_OUTCOME_DONE;
        if (o.has_abort() && metrics_ != nullptr) metrics_->Aborted(o.abort());
      }
      if (o.has_abort()) {
        log_->Warn("session_aborted",
                   {{"session_id", Value::String(sid)},
                    {"round", Value::Int(o.abort().round())},
                    {"culprits", Value::Int(o.abort().culprits_size())},
                    {"cause", Value::String(o.abort().cause())}});
      } else if (o.has_result()) {
        log_->Info("session_done", {{"session_id", Value::String(sid)}});
      }
    }
  };

  absl::Status status = absl::OkStatus();
  auto outs = runner->Start();
  if (!outs.ok()) {
    status = outs.status();
  } else {
    write(*outs);
  }
  const absl::Duration round_deadline = core_->limits().round_deadline;
  absl::Time deadline = absl::Now() + round_deadline;
  uint32_t round = runner->current_round();
  while (status.ok() && stream_ok) {
    std::optional<v1::SessionInput> item;
    bool closed = false;
    {
      std::unique_lock<std::mutex> lock(inbox.mu);
      inbox.cv.wait_until(lock, absl::ToChronoTime(deadline),
                          [&] { return !inbox.items.empty() || inbox.closed; });
      if (!inbox.items.empty()) {
        item = std::move(inbox.items.front());
        inbox.items.pop_front();
      }
      closed = inbox.closed && inbox.items.empty();
    }
    if (ctx->IsCancelled()) break;
    absl::StatusOr<std::vector<v1::SessionOutput>> step =
        std::vector<v1::SessionOutput>{};
    if (item.has_value()) {
      switch (item->input_case()) {
        case v1::SessionInput::kEnvelope:
          step = runner->Receive(item->envelope());
          if (!step.ok()) {
            refused_.fetch_add(1);
            log_->Warn("envelope_refused",
                       {{"session_id", Value::String(sid)},
                        {"status", Value::String(step.status().ToString())}});
            step = std::vector<v1::SessionOutput>{};
          }
          break;
        case v1::SessionInput::kExpireRound:
          if (item->expire_round().round() == runner->current_round() &&
              !runner->finished()) {
            step = runner->ExpireRound();
          }
          break;
        default:
          status = absl::FailedPreconditionError(
              "session: `start` may only be the first input");
          continue;
      }
    } else if (absl::Now() >= deadline) {
      if (runner->finished()) break;  // lingered one deadline after result
      step = runner->ExpireRound();
    } else if (closed) {
      if (!runner->finished()) {
        // The coordinator gave up on this run.
        status = absl::CancelledError(
            "session: the coordinator closed the stream before the end");
      }
      break;
    }
    if (!step.ok()) {
      status = step.status();
      break;
    }
    write(*step);
    if (runner->current_round() != round && !ended) round_ended();
    if (runner->current_round() != round || !item.has_value()) {
      round = runner->current_round();
      deadline = absl::Now() + round_deadline;
    }
    if (closed && runner->finished()) break;
  }
  bool reader_done;
  {
    std::lock_guard<std::mutex> lock(inbox.mu);
    reader_done = inbox.closed;
  }
  if (!reader_done) ctx->TryCancel();  // unblocks the reader's Read
  reader.join();
  if (metrics_ != nullptr) metrics_->SessionEnded(kind, outcome);
  return vsock::ToGrpcStatus(status);
}

}  // namespace nitro_tss::enclave
