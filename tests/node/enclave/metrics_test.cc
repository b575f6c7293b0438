// The enclave's metrics (node/enclave/metrics.h): what it counts, and that
// its snapshot is one the host accepts (node/host ValidateEnclaveMetrics,
// the contract between the two processes); the pusher sends snapshots at
// its interval and reports changes of outcome.
#include "node/enclave/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "node/host/metrics.h"

namespace nitro_tss::enclave {
namespace {

namespace hv1 = host::v1;

v1::SessionAbort AbortNaming(std::vector<std::string> codes) {
  v1::SessionAbort a;
  for (const std::string& c : codes) a.add_culprits()->set_code(c);
  return a;
}

TEST(EnclaveMetrics, CountsWhatTheHostAccepts) {
  EnclaveMetrics m;
  EXPECT_TRUE(host::ValidateEnclaveMetrics(m.Snapshot()).ok());
  v1::StartSession start;
  EXPECT_EQ(EnclaveMetrics::KindOf(start), hv1::SESSION_KIND_UNSPECIFIED);
  start.mutable_presign();
  EXPECT_EQ(EnclaveMetrics::KindOf(start), hv1::SESSION_KIND_PRESIGN);
  m.SessionEnded(hv1::SESSION_KIND_PRESIGN, hv1::SESSION_OUTCOME_DONE);
  m.SessionEnded(hv1::SESSION_KIND_PRESIGN, hv1::SESSION_OUTCOME_DONE);
  m.SessionEnded(hv1::SESSION_KIND_SIGN, hv1::SESSION_OUTCOME_REFUSED);
  m.SessionEnded(hv1::SESSION_KIND_UNSPECIFIED, hv1::SESSION_OUTCOME_FAILED);
  m.RoundEnded(hv1::SESSION_KIND_PRESIGN, absl::Milliseconds(3));
  m.RoundEnded(hv1::SESSION_KIND_PRESIGN, absl::Milliseconds(70));
  m.RoundEnded(hv1::SESSION_KIND_PRESIGN, absl::Seconds(45));  // over 30 s
  m.Aborted(AbortNaming({"silent", "silent"}));
  m.Aborted(AbortNaming({}));
  const hv1::PutMetricsRequest s = m.Snapshot();
  ASSERT_EQ(s.sessions_size(), 2);  // the unspecified kind is not counted
  EXPECT_EQ(s.sessions(0).kind(), hv1::SESSION_KIND_PRESIGN);
  EXPECT_EQ(s.sessions(0).count(), 2u);
  EXPECT_EQ(s.sessions(1).outcome(), hv1::SESSION_OUTCOME_REFUSED);
  ASSERT_EQ(s.round_latency_size(), 1);
  const hv1::RoundLatency& r = s.round_latency(0);
  EXPECT_EQ(r.count(), 3u);
  EXPECT_DOUBLE_EQ(r.sum_seconds(), 45.073);
  EXPECT_EQ(r.bucket_counts(0), 1u);  // <= 5 ms
  EXPECT_EQ(r.bucket_counts(4), 1u);  // (50 ms, 100 ms]
  uint64_t in_buckets = 0;
  for (uint64_t c : r.bucket_counts()) in_buckets += c;
  EXPECT_EQ(in_buckets, 2u);  // the 45 s round is only in +Inf
  ASSERT_EQ(s.culprits_size(), 2);
  EXPECT_EQ(s.culprits(0).code(), "none");
  EXPECT_EQ(s.culprits(1).code(), "silent");
  EXPECT_EQ(s.culprits(1).count(), 2u);
  absl::Status valid = host::ValidateEnclaveMetrics(s);
  EXPECT_TRUE(valid.ok()) << valid;
}

TEST(EnclaveMetrics, CulpritCodesAreCapped) {
  EnclaveMetrics m;
  for (int i = 0; i < 40; ++i) {
    m.Aborted(AbortNaming({std::string(1 + i / 26, 'a' + i % 26)}));
  }
  const hv1::PutMetricsRequest s = m.Snapshot();
  EXPECT_EQ(s.culprits_size(), 32);
  EXPECT_TRUE(host::ValidateEnclaveMetrics(s).ok());
}

TEST(MetricsPusher, SendsAtItsIntervalAndReportsChangesOnce) {
  EnclaveMetrics m;
  std::mutex mu;
  std::condition_variable cv;
  int puts = 0;
  std::vector<absl::StatusCode> reported;
  {
    MetricsPusher pusher(
        &m,
        [&](const hv1::PutMetricsRequest&) {
          std::lock_guard<std::mutex> lock(mu);
          ++puts;
          cv.notify_all();
          // Up for two, down for two, then up.
          return puts == 3 || puts == 4 ? absl::UnavailableError("host down")
                                        : absl::OkStatus();
        },
        absl::Milliseconds(100),
        [&](const absl::Status& s) {
          std::lock_guard<std::mutex> lock(mu);
          reported.push_back(s.code());
        });
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return puts >= 5; }));
  }  // stops promptly
  EXPECT_EQ(reported, (std::vector<absl::StatusCode>{
                          absl::StatusCode::kOk, absl::StatusCode::kUnavailable,
                          absl::StatusCode::kOk}));
}

}  // namespace
}  // namespace nitro_tss::enclave
