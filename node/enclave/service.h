// The gRPC face of EnclaveCore (nitro_tss.enclave.v1.Enclave).
//
// Sessions: one long-lived stream per coordinator carries many sessions
// (enclave.proto has the limits). The handler thread reads the stream and
// hands each session's items, in order, to that session's strand: a queue
// run by one thread of a bounded pool at a time, so one session's steps run
// in order and different sessions run concurrently. Pools by protocol:
// signing; presigning on threads of lower CPU priority (pools are filled in
// the background, online signing and DKG come first); DKG on its own (its
// start may wait for keygen material). One writer thread per stream sends
// the sessions' outputs, several queued items in one message, sign
// sessions' first. A round that
// sees no progress for `limits.round_deadline` (or an `expire_round` input)
// expires through SessionRunner::ExpireRound (a timer thread wakes the
// session), so no session waits forever. After its result, a session keeps
// judging complaints until the coordinator closes it (or one more round
// deadline passes). Envelopes the runner refuses (wrong session, replay,
// bad tag) change nothing; they are counted and logged with the session id.
// Shutdown (before grpc::Server's): new sessions are refused UNAVAILABLE, a
// stream ends as soon as its sessions have, sessions still running at the
// end of the grace period end UNAVAILABLE; a session ended by its stream's
// end carries the cause (malformed message, cancel, failed write,
// shutdown).
#ifndef NITRO_TSS_NODE_ENCLAVE_SERVICE_H_
#define NITRO_TSS_NODE_ENCLAVE_SERVICE_H_

#include <grpcpp/server_builder.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "absl/time/time.h"
#include "common/process.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"
#include "node/enclave/core.h"
#include "node/enclave/metrics.h"

namespace nitro_tss::enclave {

// Largest gRPC message the service accepts.
inline constexpr int kMaxGrpcMessageBytes = 8 << 20;

// enclave.proto's limit on items per Sessions message (both directions).
inline constexpr int kMaxSessionsItems = 64;
// The writer puts queued outputs into one message up to this many bytes
// beyond its first item (one envelope is at most 4 MiB + 64 KiB, a message
// at most 8 MiB). Sign sessions' outputs are written before bulk (presign,
// DKG) ones, so a sign's output waits behind about this much at most.
inline constexpr size_t kMaxSessionsBatchBytes = 1 << 20;

// Bounds on a Sessions stream's memory (enclave.proto documents them).
struct SessionsLimits {
  // Inputs queued for one session (not yet handled by its strand): beyond
  // either bound that session ends RESOURCE_EXHAUSTED, others go on.
  size_t session_pending_items = 1024;
  size_t session_pending_bytes = size_t{64} << 20;
  // Inputs queued for all sessions of a stream: beyond it the stream's
  // reader stops reading until the strands have caught up (flow control
  // holds the coordinator; strands never wait for the reader).
  size_t stream_pending_bytes = size_t{128} << 20;
  // Outputs queued for the stream's writer: beyond it a session's strand
  // waits before queuing more (its end is queued regardless).
  size_t stream_output_bytes = size_t{32} << 20;
};

// The server's side of the keepalive of the coordinator's long-lived
// Sessions stream. The coordinator pings every 10 s
// (coordinator/relay SetSessionsKeepalive); pings at least
// `min_ping_interval` apart are accepted also while no data moves (more
// often counts as a strike: gRPC's default two strikes close the
// connection). The enclave's own pings (`time`, unanswered for `timeout`:
// the connection closes) end the stream of a coordinator that went away
// behind its host's proxy.
struct SessionsKeepalive {
  absl::Duration min_ping_interval = absl::Seconds(5);
  absl::Duration time = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(10);
};
void SetSessionsServerKeepalive(grpc::ServerBuilder* builder,
                                const SessionsKeepalive& keepalive = {});

// Calls each scheduled function at (or soon after) its time, on one thread
// of its own. At most one entry per key: scheduling a key again replaces its
// pending entry (a session re-arms its round deadline at every round
// without piling up entries), Cancel drops it.
class RoundTimer {
 public:
  RoundTimer();
  ~RoundTimer();
  RoundTimer(const RoundTimer&) = delete;
  RoundTimer& operator=(const RoundTimer&) = delete;
  void Schedule(const void* key, absl::Time when, std::function<void()> f);
  void Cancel(const void* key);
  size_t pending() const;

 private:
  using Due =
      std::multimap<absl::Time, std::pair<const void*, std::function<void()>>>;
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Due due_;                                      // guarded by mu_
  std::map<const void*, Due::iterator> by_key_;  // guarded by mu_
  bool stop_ = false;                            // guarded by mu_
  std::thread thread_;
};

// One session's queued inputs against SessionsLimits: Admit (false: over
// a bound, nothing counted) and Release as its strand takes them.
class SessionInputBudget {
 public:
  explicit SessionInputBudget(const SessionsLimits& limits)
      : max_items_(limits.session_pending_items),
        max_bytes_(limits.session_pending_bytes) {}
  bool Admit(size_t bytes) {
    if (items_ + 1 > max_items_ || bytes > max_bytes_ - bytes_) return false;
    ++items_;
    bytes_ += bytes;
    return true;
  }
  void Release(size_t bytes) {
    --items_;
    bytes_ -= bytes;
  }
  // Forgets everything counted (the session ended; its queue is dropped).
  void Clear() {
    items_ = 0;
    bytes_ = 0;
  }
  size_t items() const { return items_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t max_items_;
  size_t max_bytes_;
  size_t items_ = 0;
  size_t bytes_ = 0;
};

// The checks of one Sessions message before any of its items is acted on
// (enclave.proto's limits): INVALID_ARGUMENT naming what is wrong, which
// ends the stream.
absl::Status CheckSessionsInput(const v1::SessionsInput& msg);

// What a Sessions stream does with one item (of a checked message), given
// whether its id is open, the highest id seen so far, how many sessions
// are open (limit `max_sessions`) and whether the enclave is shutting down
// (a new id is then refused UNAVAILABLE).
struct SessionsItemRoute {
  enum Action {
    kToSession,  // an input or close for an open session
    kIgnore,     // an id that has ended (or never opened): late
    kOpen,       // a new session (the item is its start)
    kRefuse,     // a new id refused at once (its end carries `refusal`)
  } action = kIgnore;
  absl::Status refusal = absl::OkStatus();
};
SessionsItemRoute RouteSessionsItem(const v1::SessionsInputItem& item,
                                    bool open, uint64_t last_id,
                                    size_t open_count, size_t max_sessions,
                                    bool shutting_down);

class EnclaveService final : public v1::Enclave::Service {
 public:
  // `metrics` (optional, outlives the service) counts sessions, rounds and
  // culprits.
  EnclaveService(EnclaveCore* core, const process::Logger* log,
                 EnclaveMetrics* metrics = nullptr,
                 const SessionsLimits& limits = {});
  ~EnclaveService() override;

  grpc::Status GetInfo(grpc::ServerContext*, const v1::GetInfoRequest* req,
                       v1::GetInfoResponse* resp) override;
  grpc::Status OpenLink(grpc::ServerContext*, const v1::OpenLinkRequest* req,
                        v1::OpenLinkResponse* resp) override;
  grpc::Status AttestLink(grpc::ServerContext*,
                          const v1::AttestLinkRequest* req,
                          v1::AttestLinkResponse* resp) override;
  grpc::Status FinishLink(grpc::ServerContext*,
                          const v1::FinishLinkRequest* req,
                          v1::FinishLinkResponse* resp) override;
  grpc::Status CloseLink(grpc::ServerContext*, const v1::CloseLinkRequest* req,
                         v1::CloseLinkResponse* resp) override;
  grpc::Status ProbeLinks(grpc::ServerContext*,
                          const v1::ProbeLinksRequest* req,
                          v1::ProbeLinksResponse* resp) override;
  grpc::Status Sessions(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::SessionsOutput, v1::SessionsInput>* stream)
      override;

  uint64_t refused_envelopes() const { return refused_.load(); }

  // Graceful shutdown of the service's calls (before grpc::Server's
  // Shutdown): from now on new sessions and unary calls are refused
  // UNAVAILABLE ("the enclave is shutting down"); a stream ends as soon as
  // it has no open session and its outputs are written (an idle stream at
  // once); sessions still open at `grace_end` end UNAVAILABLE. Returns true
  // once every Sessions call and every unary call in flight has ended (the
  // server can then close its connections at once), false a little after
  // `grace_end` at worst.
  bool Shutdown(absl::Time grace_end);

 private:
  class Workers;  // the strands' thread pools and the round timer
  class Stream;   // one Sessions call
  class Session;  // one session on it

  // Routes one item of a Sessions message to its session (a new one for a
  // new id), or ends it at once (refused before it opens).
  void Dispatch(Stream& stream, v1::SessionsInputItem& item);
  // Logs and counts a session refused at its start.
  void Refused(const std::string& sid, host::v1::SessionKind kind,
               const absl::Status& status);
  // Ends every open session of `stream` with `why` (a cancel that overtakes
  // their queued inputs).
  static void CancelOpen(Stream& stream, const absl::Status& why);
  // Runs a unary call counted in flight (Shutdown waits for it), or refuses
  // it UNAVAILABLE once the shutdown has begun.
  template <typename F>
  grpc::Status Unary(F&& call);

  EnclaveCore* core_;
  const process::Logger* log_;
  EnclaveMetrics* metrics_;
  const SessionsLimits limits_;
  std::atomic<uint64_t> refused_{0};
  std::unique_ptr<Workers> workers_;
  // The Sessions calls in progress (for Shutdown).
  std::mutex streams_mu_;
  std::condition_variable streams_cv_;  // a call ended (stream or unary)
  std::set<Stream*> streams_;           // guarded by streams_mu_
  int unary_calls_ = 0;                 // in flight; guarded by streams_mu_
  bool shutting_down_ = false;          // guarded by streams_mu_
};

}  // namespace nitro_tss::enclave

#endif  // NITRO_TSS_NODE_ENCLAVE_SERVICE_H_
