#include "coordinator/relay/relay.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nitro_tss/channel/v1/channel.pb.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::coordinator {

namespace ev1 = enclave::v1;

namespace {

std::atomic<uint64_t> g_routed{0};
std::atomic<uint64_t> g_dropped{0};
std::atomic<uint64_t> g_malformed{0};
std::atomic<uint64_t> g_expired{0};

// The largest envelope an enclave sends (enclave.proto: 4 MiB + 64 KiB).
constexpr size_t kMaxEnvelopeBytes = (4u << 20) + (64u << 10);

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
          g_expired.load()};
}

absl::StatusOr<std::map<uint32_t, ev1::FinishLinkResponse>> EstablishLink(
    const EnclaveSet& enclaves, const std::string& link_id,
    const LinkPurpose& purpose, absl::Duration rpc_timeout) {
  if (enclaves.size() < 2) {
    return absl::InvalidArgumentError("link: at least 2 parties");
  }
  std::vector<std::string> hellos, attestations;
  for (const auto& [party, stub] : enclaves) {
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
    grpc::Status s = stub->OpenLink(&ctx, req, &resp);
    if (!s.ok()) return Named(party, s, "OpenLink");
    hellos.push_back(resp.hello());
  }
  for (const auto& [party, stub] : enclaves) {
    ev1::AttestLinkRequest req;
    req.set_link_id(link_id);
    for (const auto& h : hellos) req.add_hellos(h);
    ev1::AttestLinkResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(ctx, rpc_timeout);
    grpc::Status s = stub->AttestLink(&ctx, req, &resp);
    if (!s.ok()) return Named(party, s, "AttestLink");
    attestations.push_back(resp.attestation());
  }
  std::map<uint32_t, ev1::FinishLinkResponse> out;
  for (const auto& [party, stub] : enclaves) {
    ev1::FinishLinkRequest req;
    req.set_link_id(link_id);
    for (const auto& a : attestations) req.add_attestations(a);
    grpc::ClientContext ctx;
    SetDeadline(ctx, rpc_timeout);
    grpc::Status s = stub->FinishLink(&ctx, req, &out[party]);
    if (!s.ok()) return Named(party, s, "FinishLink");
  }
  return out;
}

std::map<uint32_t, SessionOutcome> RunSession(
    const EnclaveSet& enclaves,
    const std::map<uint32_t, ev1::StartSession>& starts,
    const RunOptions& options) {
  struct Stream {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReaderWriterInterface<ev1::SessionInput,
                                                      ev1::SessionOutput>>
        rw;
    std::mutex write_mu;
    bool reported = false;     // guarded by the run's mu
    absl::Time last_activity;  // guarded by the run's mu
    uint32_t round = 1;        // of its latest envelope; guarded by mu
    uint32_t expired_round = 0;
  };
  std::map<uint32_t, Stream> streams;
  std::map<uint32_t, SessionOutcome> outcomes;
  std::mutex mu;
  std::condition_variable cv;
  size_t reported = 0;
  std::map<std::pair<uint32_t, uint32_t>, int> counts;
  const absl::Time run_end = absl::Now() + options.run_deadline;

  for (const auto& [party, start] : starts) {
    auto it = enclaves.find(party);
    Stream& st = streams[party];
    st.last_activity = absl::Now();
    if (it == enclaves.end() || it->second == nullptr) {
      outcomes[party].stream_error = absl::InvalidArgumentError(
          absl::StrCat("party ", party, ": no enclave to run it on"));
      st.reported = true;
      ++reported;
      continue;
    }
    st.ctx = std::make_unique<grpc::ClientContext>();
    st.ctx->set_deadline(absl::ToChronoTime(run_end));
    st.rw = it->second->RunSession(st.ctx.get());
    ev1::SessionInput in;
    *in.mutable_start() = start;
    st.rw->Write(in);
  }

  auto deliver = [&](uint32_t from, const std::string& envelope, uint32_t to) {
    for (auto& [j, st] : streams) {
      if (j == from || !st.rw || (to != 0 && j != to)) continue;
      int index;
      {
        std::lock_guard<std::mutex> lock(mu);
        index = counts[{from, j}]++;
      }
      if (options.filter && !options.filter(from, j, index)) {
        g_dropped.fetch_add(1);
        continue;
      }
      ev1::SessionInput in;
      in.set_envelope(envelope);
      {
        std::lock_guard<std::mutex> lock(st.write_mu);
        st.rw->Write(in);
      }
      g_routed.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      st.last_activity = absl::Now();
    }
  };

  std::vector<std::thread> readers;
  for (auto& [party, st] : streams) {
    if (!st.rw) continue;
    const uint32_t i = party;
    readers.emplace_back([&, i] {
      Stream& self = streams[i];
      ev1::SessionOutput out;
      bool done = false;
      while (self.rw->Read(&out)) {
        if (out.has_envelope()) {
          const uint32_t round = HeaderRound(out.envelope().envelope());
          {
            std::lock_guard<std::mutex> lock(mu);
            self.last_activity = absl::Now();
            if (round == 0) {
              g_malformed.fetch_add(1);
            } else {
              self.round = std::max(self.round, round);
            }
          }
          deliver(i, out.envelope().envelope(), out.envelope().to());
        } else if (!done && (out.has_result() || out.has_abort())) {
          done = true;
          std::lock_guard<std::mutex> lock(mu);
          SessionOutcome& o = outcomes[i];
          if (out.has_result()) {
            o.done = true;
            o.result = out.result();
          } else {
            o.abort = out.abort();
          }
          self.reported = true;
          ++reported;
          cv.notify_all();
        }
      }
      if (!done) {
        grpc::Status s = self.rw->Finish();
        if (!s.ok() && options.cancel_on_stream_error) {
          for (auto& [j, other] : streams) {
            if (j != i && other.ctx) other.ctx->TryCancel();
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        outcomes[i].stream_error =
            s.ok() ? absl::InternalError(absl::StrCat(
                         "party ", i, ": stream ended without a result"))
                   : Named(i, s, "RunSession");
        self.reported = true;
        ++reported;
        cv.notify_all();
      }
    });
  }

  // The round watchdog: expire the round of an enclave that made no progress
  // for a round deadline (once per round it is in).
  {
    std::unique_lock<std::mutex> lock(mu);
    while (reported < streams.size()) {
      const absl::Time now = absl::Now();
      if (now >= run_end) break;
      absl::Time next = run_end;
      std::vector<std::pair<uint32_t, uint32_t>> to_expire;
      for (auto& [party, st] : streams) {
        if (st.reported || !st.rw) continue;
        const absl::Time due = st.last_activity + options.round_deadline;
        if (due <= now && st.expired_round != st.round) {
          st.expired_round = st.round;
          st.last_activity = now;
          to_expire.push_back({party, st.round});
          next = std::min(next, now + options.round_deadline);
        } else {
          next = std::min(next, std::max(due, now + absl::Milliseconds(10)));
        }
      }
      if (!to_expire.empty()) {
        lock.unlock();
        for (const auto& [party, round] : to_expire) {
          ev1::SessionInput in;
          in.mutable_expire_round()->set_round(round);
          Stream& st = streams[party];
          std::lock_guard<std::mutex> wl(st.write_mu);
          st.rw->Write(in);
          g_expired.fetch_add(1);
        }
        lock.lock();
        continue;
      }
      cv.wait_until(lock, absl::ToChronoTime(next));
    }
  }
  for (auto& [party, st] : streams) {
    if (!st.rw) continue;
    bool was_reported;
    {
      std::lock_guard<std::mutex> lock(mu);
      was_reported = st.reported;
    }
    if (!was_reported) st.ctx->TryCancel();  // the run deadline passed
    std::lock_guard<std::mutex> wl(st.write_mu);
    st.rw->WritesDone();
  }
  for (auto& t : readers) t.join();
  for (auto& [party, st] : streams) {
    if (st.rw && outcomes[party].stream_error.ok()) st.rw->Finish();
  }
  return outcomes;
}

}  // namespace nitro_tss::coordinator
