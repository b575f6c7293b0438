// The node as processes: what the coordinator pays per operation through
// the real enclave and host processes (gRPC over unix sockets, attested
// links, sealed storage), against the in-process figures of gg20_bench.
//
//   BM_NodeLink3               link establishment among 3 enclaves (two
//                              handshake rounds with attestation documents)
//   BM_NodeOnlineSign2         one online signature on a 2-party link from a
//                              ready presignature (approvals checked)
//   BM_NodeUnsealAfterRestart  an enclave restarts and opens a link for its
//                              key: fetch from the host, attested KMS
//                              Decrypt, peer tables built
// Each reports `enclave_cpu_ms`: CPU time of the enclave processes per
// operation, read from /proc (the harness's own CPU is not counted).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "bench/common/process_cpu.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::testing {
namespace {

namespace ev1 = enclave::v1;

double ProcessCpuMs(pid_t pid) {
  bench::ProcessCpuTime cpu;
  bench::ReadProcessCpu(pid, &cpu);
  return cpu.total();
}

struct Bench {
  std::unique_ptr<LocalCluster> cluster;
  std::vector<Approver> approvers = std::vector<Approver>(3);
  approval::v1::ApprovalPolicy policy;
  std::string key_id;
  int links = 0;
  int sessions = 0;

  double EnclaveCpuMs(const std::vector<int>& nodes) {
    double total = 0;
    for (int i : nodes) total += ProcessCpuMs(cluster->enclave_pid(i));
    return total;
  }
};

Bench* g_bench = nullptr;

Bench* TheBench() {
  static Bench* b = [] {
    auto* b = new Bench();
    ClusterOptions o;
    o.nodes = 3;
    auto c = LocalCluster::Start(o);
    if (!c.ok()) {
      std::fprintf(stderr, "cluster: %s\n", c.status().ToString().c_str());
      std::abort();
    }
    b->cluster = *std::move(c);
    b->policy = PolicyOf(b->approvers, 2);
    if (!b->cluster->Link({0, 1, 2}, "bench-dkg", "").ok()) std::abort();
    ev1::StartSession s;
    s.set_link_id("bench-dkg");
    s.set_session_id("bench-dkg-session-1");
    s.mutable_keygen()->set_threshold(1);
    *s.mutable_keygen()->mutable_approval_policy() = b->policy;
    auto out = b->cluster->Run({0, 1, 2}, s);
    if (!out[0].done) std::abort();
    b->key_id = out[0].result.key().key_id();
    g_bench = b;
    return b;
  }();
  return b;
}

void BM_NodeLink3(benchmark::State& state) {
  Bench* b = TheBench();
  double cpu = 0;
  for (auto _ : state) {
    const double before = b->EnclaveCpuMs({0, 1, 2});
    auto l = b->cluster->Link({0, 1, 2}, absl::StrCat("bench-l3-", ++b->links),
                              b->key_id, &b->policy);
    if (!l.ok()) state.SkipWithError(l.status().ToString().c_str());
    cpu += b->EnclaveCpuMs({0, 1, 2}) - before;
  }
  state.counters["enclave_cpu_ms"] =
      benchmark::Counter(cpu, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_NodeLink3)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_NodeOnlineSign2(benchmark::State& state) {
  Bench* b = TheBench();
  const std::string link = "bench-sign-link";
  if (!b->cluster->Link({0, 1}, link, b->key_id, &b->policy).ok()) {
    state.SkipWithError("link");
    return;
  }
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ev1::StartSession p;
    p.set_link_id(link);
    p.set_session_id(absl::StrCat("bench-presign-", ++b->sessions, "-pad"));
    p.mutable_presign();
    auto pres = b->cluster->Run({0, 1}, p);
    const std::string id = pres[0].result.presignature().presignature_id();
    const std::string message = absl::StrCat("bench message ", b->sessions);
    ev1::StartSession s;
    s.set_link_id(link);
    s.set_session_id(absl::StrCat("bench-sign-", b->sessions, "-padding"));
    s.mutable_sign()->set_presignature_id(id);
    s.mutable_sign()->set_message(message);
    s.mutable_sign()->set_hash(ev1::HASH_FUNCTION_SHA256);
    *s.mutable_sign()->mutable_approvals() = Approve(
        {b->key_id, message, {}, 0, {&b->approvers[0], &b->approvers[1]}});
    const double before = b->EnclaveCpuMs({0, 1});
    state.ResumeTiming();
    auto out = b->cluster->Run({0, 1}, s);
    state.PauseTiming();
    cpu += b->EnclaveCpuMs({0, 1}) - before;
    if (!out[0].done || !out[1].done) state.SkipWithError("sign failed");
    state.ResumeTiming();
  }
  state.counters["enclave_cpu_ms"] =
      benchmark::Counter(cpu, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_NodeOnlineSign2)->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_NodeUnsealAfterRestart(benchmark::State& state) {
  Bench* b = TheBench();
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (!b->cluster->StartEnclave(0).ok()) state.SkipWithError("restart");
    const double before = b->EnclaveCpuMs({0});
    state.ResumeTiming();
    // OpenLink at node 1 unseals the key (the peer's side is measured too).
    auto l = b->cluster->Link({0, 1}, absl::StrCat("bench-u-", ++b->links),
                              b->key_id, &b->policy);
    state.PauseTiming();
    cpu += b->EnclaveCpuMs({0}) - before;
    if (!l.ok()) state.SkipWithError(l.status().ToString().c_str());
    state.ResumeTiming();
  }
  state.counters["enclave_cpu_ms"] =
      benchmark::Counter(cpu, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_NodeUnsealAfterRestart)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace nitro_tss::testing

// Stops the cluster's processes when the run ends.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete nitro_tss::testing::g_bench;
  return 0;
}
