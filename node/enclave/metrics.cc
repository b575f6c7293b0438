#include "node/enclave/metrics.h"

namespace nitro_tss::enclave {

namespace hv1 = host::v1;

hv1::SessionKind EnclaveMetrics::KindOf(const v1::StartSession& start) {
  switch (start.protocol_case()) {
    case v1::StartSession::kKeygen:
      return hv1::SESSION_KIND_KEYGEN;
    case v1::StartSession::kPresign:
      return hv1::SESSION_KIND_PRESIGN;
    case v1::StartSession::kSign:
      return hv1::SESSION_KIND_SIGN;
    default:
      return hv1::SESSION_KIND_UNSPECIFIED;
  }
}

void EnclaveMetrics::SessionEnded(hv1::SessionKind kind,
                                  hv1::SessionOutcome outcome) {
  if (kind == hv1::SESSION_KIND_UNSPECIFIED) return;
  std::lock_guard<std::mutex> lock(mu_);
  ++sessions_[{kind, outcome}];
}

void EnclaveMetrics::RoundEnded(hv1::SessionKind kind,
                                absl::Duration duration) {
  if (kind == hv1::SESSION_KIND_UNSPECIFIED) return;
  const double seconds = absl::ToDoubleSeconds(duration);
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = rounds_[kind];
  for (size_t i = 0; i < kRoundBucketsSeconds.size(); ++i) {
    if (seconds <= kRoundBucketsSeconds[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum_seconds += seconds > 0 ? seconds : 0;
}

void EnclaveMetrics::Aborted(const v1::SessionAbort& abort) {
  std::lock_guard<std::mutex> lock(mu_);
  auto count = [&](const std::string& code) {
    if (culprits_.count(code) == 0 && culprits_.size() >= kMaxCulpritCodes) {
      return;
    }
    ++culprits_[code];
  };
  if (abort.culprits().empty()) count("none");
  for (const v1::Culprit& c : abort.culprits()) count(c.code());
}

hv1::PutMetricsRequest EnclaveMetrics::Snapshot() const {
  hv1::PutMetricsRequest out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, count] : sessions_) {
    hv1::SessionCount* s = out.add_sessions();
    s->set_kind(static_cast<hv1::SessionKind>(key.first));
    s->set_outcome(static_cast<hv1::SessionOutcome>(key.second));
    s->set_count(count);
  }
  for (const auto& [kind, h] : rounds_) {
    hv1::RoundLatency* r = out.add_round_latency();
    r->set_kind(static_cast<hv1::SessionKind>(kind));
    for (size_t i = 0; i < kRoundBucketsSeconds.size(); ++i) {
      r->add_upper_bounds_seconds(kRoundBucketsSeconds[i]);
      r->add_bucket_counts(h.buckets[i]);
    }
    r->set_sum_seconds(h.sum_seconds);
    r->set_count(h.count);
  }
  for (const auto& [code, count] : culprits_) {
    hv1::CulpritCount* c = out.add_culprits();
    c->set_code(code);
    c->set_count(count);
  }
  return out;
}

MetricsPusher::MetricsPusher(const EnclaveMetrics* metrics, Put put,
                             absl::Duration interval,
                             std::function<void(const absl::Status&)> on_result)
    : metrics_(metrics),
      put_(std::move(put)),
      interval_(interval),
      on_result_(std::move(on_result)),
      thread_([this] { Run(); }) {}

MetricsPusher::~MetricsPusher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MetricsPusher::Run() {
  bool first = true;
  absl::StatusCode last = absl::StatusCode::kOk;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(
          lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(interval_)),
          [this] { return stop_; });
      if (stop_) return;
    }
    absl::Status s = put_(metrics_->Snapshot());
    if (on_result_ && (first || s.code() != last)) on_result_(s);
    first = false;
    last = s.code();
  }
}

}  // namespace nitro_tss::enclave
