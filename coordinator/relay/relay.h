// The coordinator's relay: how it drives enclaves through their gRPC
// service (protos/nitro_tss/enclave/v1) without reading anything secret.
//
//  - EstablishLink relays the three link steps (OpenLink, AttestLink,
//    FinishLink) among a set of enclaves.
//  - RunSession opens one session per enclave on that enclave's
//    EnclaveConnection (one long-lived Sessions stream per enclave carries
//    every session the coordinator runs there), routes every outbound
//    envelope to its receiver(s) and collects each enclave's result or
//    abort. It owns the per-round deadline: when an enclave makes no
//    progress for `round_deadline`, it sends that enclave ExpireRound for
//    the round it is in (read from the clear header of the enclave's own
//    envelopes), so the enclave ends the round and names who was silent.
//
// Envelopes are opaque to the relay: it parses only their clear header
// (channel.v1.Envelope: round, receiver), size-limited and strictly, to
// route and to time rounds; a malformed header is counted and the envelope
// is routed by the enclave's `to` field alone.
//
// Test harnesses inject faults through `RelayFilter` (drop an envelope) and
// `RelayInject` (deliver extra envelopes); production passes neither.
#ifndef NITRO_TSS_COORDINATOR_RELAY_RELAY_H_
#define NITRO_TSS_COORDINATOR_RELAY_RELAY_H_

#include <grpcpp/support/channel_arguments.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nitro_tss/approval/v1/approval.pb.h"
#include "nitro_tss/enclave/v1/enclave.grpc.pb.h"

namespace nitro_tss::coordinator {

// Bounds on an EnclaveConnection's Sessions stream (an enclave that stops
// reading must not hold up the coordinator or grow its memory).
struct EnclaveConnectionOptions {
  // A write to the stream (or the call's creation) pending this long: the
  // stream is cancelled (its sessions end UNAVAILABLE).
  absl::Duration write_timeout = absl::Seconds(30);
  // Bytes queued for the stream's writer beyond this: the stream is
  // cancelled likewise.
  size_t max_queued_bytes = size_t{64} << 20;
  // Keepalive pings on the channel while the stream is open (applied by
  // SetSessionsKeepalive to the channel's arguments, not by the
  // connection): every `keepalive_time`, unanswered for `keepalive_timeout`
  // the connection is closed and the stream breaks. The enclave accepts
  // pings every 5 s or more (node/enclave/service.h SessionsKeepalive).
  absl::Duration keepalive_time = absl::Seconds(10);
  absl::Duration keepalive_timeout = absl::Seconds(5);
};

// One enclave as the coordinator reaches it: the stub of its service (the
// unary RPCs) and one long-lived Sessions stream (enclave.proto) that
// carries every session the coordinator runs on it. The stream is opened by
// the first session and opened again by the next session after it broke
// (the enclave restarted, or its host closed the idle connection): sessions
// open on a broken stream end with the stream's error (UNAVAILABLE for an
// enclave that went away). Sending never blocks the caller: the stream's
// writer thread writes, and a write pending longer than the options' write
// timeout, or a queue beyond its byte budget, cancels the stream (every
// session on it ends UNAVAILABLE; the next Open opens a new one).
// Thread-safe. Destroying it cancels the stream once no Session handle
// refers to it.
class EnclaveConnection {
 public:
  explicit EnclaveConnection(std::shared_ptr<grpc::ChannelInterface> channel,
                             const EnclaveConnectionOptions& options = {});
  ~EnclaveConnection();
  EnclaveConnection(const EnclaveConnection&) = delete;
  EnclaveConnection& operator=(const EnclaveConnection&) = delete;

  enclave::v1::Enclave::Stub* stub() { return stub_.get(); }

  // What a session reports, on the stream's reader thread, in order:
  // `output` for each of the enclave's outputs, then `end` exactly once —
  // the enclave's end of the session (OK after its result or abort, else
  // the code enclave.proto documents), or the stream's error when the
  // stream broke first (UNAVAILABLE also when the enclave ended the call:
  // it went away or shut down), with what the enclave's end says about a
  // sign's approvals (SessionEnd.approvals_consumed; unset when the enclave
  // did not say, or the end is the stream's). Every session on the stream
  // waits while one callback runs: they should only hand the item on.
  //
  // Re-entrancy: a callback may call Send, Close and Cancel of any session,
  // and Abandon of sessions on its own stream (its connection's sessions
  // opened since the stream was: no callback of the abandoned session runs
  // after Abandon returns, also within the message being dispatched). It
  // must not call Abandon of a session on another stream (that waits for
  // the other stream's callbacks: two streams doing so deadlock) nor Open
  // (which may have to join the very stream whose reader runs the
  // callback); debug builds assert both. It may drop Session handles,
  // also the stream's last one (the stream is then destroyed off its
  // reader thread, after the callback, by a thread counted until it is
  // done (WaitForStreamDestroyers): the stream's other open sessions still
  // get their `end`, UNAVAILABLE "dropped by its last handle").
  struct Callbacks {
    std::function<void(enclave::v1::SessionOutput)> output;
    std::function<void(const absl::Status&,
                       std::optional<bool> approvals_consumed)>
        end;
  };
  class Stream;
  // A session on the stream (a copyable handle; empty when default-made).
  class Session {
   public:
    Session() = default;
    void Send(enclave::v1::SessionInput input) const;
    // Half-close: the coordinator sends nothing more; the enclave ends the
    // session (OK once it has its result, else CANCELLED).
    void Close() const;
    // The enclave ends the session CANCELLED.
    void Cancel() const;
    // Cancel, and no callback runs after Abandon returns (`end` included).
    void Abandon() const;

   private:
    friend class EnclaveConnection;
    Session(std::shared_ptr<Stream> stream, uint64_t id, bool urgent)
        : stream_(std::move(stream)), id_(id), urgent_(urgent) {}
    std::shared_ptr<Stream> stream_;
    uint64_t id_ = 0;
    bool urgent_ = false;  // a sign: its items go before bulk traffic
  };
  // A new session, started with `start` (sent in the order of the
  // connection's session ids, as enclave.proto requires). `callbacks` (not
  // owned) must stay valid until `end` has returned or Abandon was called.
  Session Open(const enclave::v1::StartSession& start, Callbacks* callbacks);

  // How many Sessions streams this connection has opened (1 while the
  // enclave stays up; one more after each break).
  uint64_t streams_opened() const;
  // Ends of abandoned sessions that arrived on this connection's streams
  // (dropped; RelayCounters::late_session_ends counts the process's), and
  // waiting until there are at least `n` (false if not by `deadline`).
  uint64_t late_session_ends() const;
  bool WaitForLateSessionEnds(uint64_t n, absl::Time deadline) const;

 private:
  struct LateEnds;  // the count, shared with the streams
  std::shared_ptr<grpc::ChannelInterface> channel_;
  std::unique_ptr<enclave::v1::Enclave::Stub> stub_;
  const EnclaveConnectionOptions options_;
  // Shared with the streams (which may outlive the connection).
  const std::shared_ptr<LateEnds> late_ends_;
  mutable std::mutex mu_;
  std::shared_ptr<Stream> stream_;  // guarded by mu_
  uint64_t next_id_ = 0;            // guarded by mu_
  uint64_t streams_opened_ = 0;     // guarded by mu_
};

// Keepalive pings for a channel that carries a Sessions stream (by default
// every 10 s while a call is open, unanswered for 5 s: the connection is
// closed and the stream breaks; `options`' keepalive fields). An enclave
// that died behind its host's byte proxy is otherwise only noticed when
// something is written to it or the host's idle timeout closes the
// connection. The enclave's server accepts pings this often
// (node/enclave/service.h SetSessionsServerKeepalive).
void SetSessionsKeepalive(grpc::ChannelArguments* args,
                          const EnclaveConnectionOptions& options = {});

// The enclaves taking part, by party id (>= 1). Not owned; they outlive the
// call.
using EnclaveSet = std::map<uint32_t, EnclaveConnection*>;

// What a link is for: a DKG (empty key_id) or a key the enclaves hold.
struct LinkPurpose {
  std::string key_id;  // hex key id; empty: DKG
  // With a key: its approval policy (the enclaves check its digest against
  // the one bound at DKG). Not owned; may be null for a DKG.
  const approval::v1::ApprovalPolicy* approval_policy = nullptr;
};

// Relays OpenLink → AttestLink → FinishLink among `enclaves` for
// `link_id` (1..64 bytes). Each RPC is bounded by `rpc_timeout`.
// Returns every party's FinishLink answer (the peers it attested), or the
// first error, its message naming the party and the step, its code the
// enclave's (e.g. PERMISSION_DENIED for a peer refused by attestation,
// NOT_FOUND for a key the enclave does not hold, UNAVAILABLE when the
// enclave is unreachable).
absl::StatusOr<std::map<uint32_t, enclave::v1::FinishLinkResponse>>
EstablishLink(const EnclaveSet& enclaves, const std::string& link_id,
              const LinkPurpose& purpose,
              absl::Duration rpc_timeout = absl::Seconds(60));

// Fault injection for tests: called for every (sender, receiver) delivery;
// `index` counts deliveries from `from` to `to` in this run, from 0.
// Returns false to drop the envelope.
using RelayFilter = std::function<bool(uint32_t from, uint32_t to, int index)>;
// Fault injection for tests: called for every (sender, receiver) delivery
// the filter lets through, with the envelope; returns envelopes to deliver
// to `to` before it.
using RelayInject = std::function<std::vector<std::string>(
    uint32_t from, uint32_t to, int index, const std::string& envelope)>;

struct RunOptions {
  // No progress (no envelope out of an enclave, none into it) for this
  // long: the relay expires the enclave's current round.
  absl::Duration round_deadline = absl::Seconds(60);
  // The whole run: after it every session is cancelled and enclaves that
  // have not reported get `stream_error` DEADLINE_EXCEEDED.
  absl::Duration run_deadline = absl::Minutes(10);
  // When one enclave's session fails (it died, or refused the start: an
  // unknown link, refused approvals), the run cannot finish: cancel the
  // other sessions at once (their outcome: CANCELLED) instead of waiting
  // for their round deadline to name the failed party silent.
  bool cancel_on_stream_error = true;
  RelayFilter filter;  // tests only
  RelayInject inject;  // tests only
};

// What one enclave reported for a session.
struct SessionOutcome {
  bool done = false;  // a result (else an abort, or a stream error)
  enclave::v1::SessionResult result;
  enclave::v1::SessionAbort abort;
  // Set when the session ended without result or abort: the enclave's end
  // status (e.g. PERMISSION_DENIED for refused approvals) or the stream's
  // (UNAVAILABLE for an enclave that died), its message naming the party.
  absl::Status stream_error;
  // A sign session's end from its enclave: whether its start consumed the
  // request's approvals (SessionEnd.approvals_consumed). Unset when no end
  // came from the enclave (the stream broke, the run deadline passed) or
  // it did not say.
  std::optional<bool> approvals_consumed;
  bool aborted() const { return !done && stream_error.ok(); }
};

// Runs one session: starts `starts[party]` on each enclave, relays until
// every enclave has reported (result, abort or session end), then
// half-closes every session and waits for its end (at most until the run
// deadline). Never fails as a whole: each party's
// outcome says what happened to it. `enclaves` must hold every party of
// `starts`.
std::map<uint32_t, SessionOutcome> RunSession(
    const EnclaveSet& enclaves,
    const std::map<uint32_t, enclave::v1::StartSession>& starts,
    const RunOptions& options = {});

// Streams whose last handle a callback of their own dropped are destroyed
// by a thread each once the callback has returned (EnclaveConnection::
// Callbacks). How many such threads are running; waiting until none is
// (false if some still run at `deadline`), which a process does before it
// exits (tss-coordinator at its shutdown).
size_t StreamDestroyersRunning();
bool WaitForStreamDestroyers(absl::Time deadline);

// Counters of the relay since process start (for metrics).
struct RelayCounters {
  uint64_t envelopes_routed = 0;
  uint64_t envelopes_dropped = 0;  // by a filter
  uint64_t malformed_headers = 0;  // routed by `to` only
  uint64_t rounds_expired = 0;     // ExpireRound sent
  // Session ends that arrived after the session was abandoned (dropped).
  uint64_t late_session_ends = 0;
};
RelayCounters GetRelayCounters();

}  // namespace nitro_tss::coordinator

#endif  // NITRO_TSS_COORDINATOR_RELAY_RELAY_H_
