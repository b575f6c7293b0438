// The issue-15 load benchmark: signing through the public API
// (nitro_tss.v1.Custody/Sign, valid approvals) of a local cluster of real
// processes — tss-kms-local, per node tss-host + tss-enclave with a
// simulated NSM, and tss-coordinator (SQLite) — started by the test harness
// (tests/node/cluster, tests/coordinator/service) on unix sockets in a
// temporary directory, all stopped at the end.
//
//   BM_PoolSign/C   C concurrent clients, every Sign served from a ready
//                   presignature: the coordinator's pool (pools.target) is
//                   filled first and the run issues at most as many
//                   requests as it holds (pool_misses must be 0).
//   BM_FullSign/C   C concurrent clients, no pools: every Sign presigns,
//                   then signs.
//
// Each is one run of `requests` Sign calls (requests and approvals built
// before the clock starts). Time = wall time of the run / requests (the
// inverse of the throughput); counters: latency p50/p99/mean (ms),
// sigs_per_s, CPU per signature (ms) of the coordinator, the enclaves, the
// hosts, tss-kms-local and this client, from /proc/<pid>/stat (10 ms
// ticks), their sum, the presign runs made meanwhile (pool refill or full
// signing) and the 1-minute load average before and after the run. Every
// signature is checked with libsecp256k1 after the run.
//
// Flags (before the Google Benchmark flags): --pool_target=N (default
// 1000, the coordinator's maximum), --pool_requests=C1,C8,C32 (default
// 300,600,1000; capped at the pool), --full_requests=C1,C8,C32 (default
// 12,32,96).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/common/process_cpu.h"
#include "nitro_tss/v1/custody.grpc.pb.h"
#include "tests/coordinator/service/coordinator_process.h"
#include "tests/node/cluster/approvers.h"
#include "tests/node/cluster/cluster.h"

namespace nitro_tss::testing {
namespace {

struct Flags {
  uint32_t pool_target = 1000;
  std::map<int, int> pool_requests = {{1, 300}, {8, 600}, {32, 1000}};
  std::map<int, int> full_requests = {{1, 12}, {8, 32}, {32, 96}};
} g_flags;

// A setup failure: unwinds to main, which stops every process started.
[[noreturn]] void Die(const std::string& what) {
  throw std::runtime_error(what);
}

// ---- /proc ----

double LoadAverage1() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

using Cpu = bench::ProcessCpuTime;

// CPU (all threads) of `pid`; false when it is gone.
bool ProcessCpu(pid_t pid, Cpu* out) { return bench::ReadProcessCpu(pid, out); }

// CPU ms by process kind: this process ("client") and its children by
// their command name (tss-coordinator, tss-enclave, tss-host,
// tss-kms-local). The harness starts every process as a direct child.
std::map<std::string, Cpu> CpuByKind() {
  std::map<std::string, Cpu> out;
  ProcessCpu(getpid(), &out["client"]);
  const pid_t self = getpid();
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    pid_t pid;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    if (!std::getline(in, line)) continue;
    const size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != self) continue;
    std::string kind;
    if (comm == "tss-coordinator") kind = "coordinator";
    if (comm == "tss-enclave") kind = "enclaves";
    if (comm == "tss-host") kind = "hosts";
    if (comm == "tss-kms-local") kind = "kms";
    if (kind.empty()) continue;
    Cpu cpu;
    if (ProcessCpu(pid, &cpu)) out[kind] += cpu;
  }
  closedir(d);
  return out;
}

// ---- the coordinator's /metrics (plain HTTP/1.0 on loopback) ----

absl::StatusOr<std::string> HttpGet(const std::string& host_port,
                                    const std::string& path) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("metrics address");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return absl::UnavailableError("connect to /metrics");
  }
  const std::string req =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return absl::UnavailableError("write to /metrics");
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t body = out.find("\r\n\r\n");
  if (body == std::string::npos) return absl::DataLossError("no HTTP body");
  return out.substr(body + 4);
}

// The value of the first sample whose line starts with `series` followed
// by a space.
double Metric(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

// ---- the cluster ----

class Load {
 public:
  Load() {
    ClusterOptions o;
    o.nodes = 3;
    auto c = LocalCluster::Start(o);
    if (!c.ok()) Die(absl::StrCat("cluster: ", c.status().ToString()));
    cluster_ = *std::move(c);
    if (auto s = cluster_->WaitForKeygenMaterial({0, 1, 2}, absl::Minutes(10));
        !s.ok()) {
      Die(s.ToString());
    }
  }
  ~Load() {
    stub_.reset();
    if (coordinator_) coordinator_->Stop();
  }

  std::string Dir() const { return cluster_->dir() + "/coordinator"; }

  // (Re)starts tss-coordinator with pools of `pool_target` presignatures
  // (0: none), the production defaults otherwise (health checks every
  // 10 s, default deadlines), SQLite in the temporary directory.
  void StartCoordinator(uint32_t pool_target) {
    if (coordinator_) {
      stub_.reset();
      if (int code = coordinator_->Stop(); code != 0) {
        Die(absl::StrCat("tss-coordinator exited ", code, " on SIGTERM"));
      }
      coordinator_.reset();
    }
    const std::string config = absl::StrCat(
        CoordinatorNodesConfig(*cluster_), "storage { sqlite { path: \"", Dir(),
        "/coordinator.db\" } }\n", "metrics_listen: \"127.0.0.1:0\"\n",
        "attestation_root_pem_file: \"", cluster_->dir(), "/root.pem\"\n",
        "allowed_images { pcrs { key: 0 ", "value: \"",
        LocalCluster::GoodPcr0(), "\" } }\n", "pools { target: ", pool_target,
        " }\n");
    auto p = StartCoordinatorProcess(Dir(), config);
    if (!p.ok()) Die(p.status().ToString());
    coordinator_ = *std::move(p);
    auto metrics = coordinator_->ready().StringField("metrics");
    if (!metrics.ok()) Die(metrics.status().ToString());
    metrics_ = *metrics;
    channel_ = grpc::CreateChannel(CoordinatorTarget(Dir()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Custody::NewStub(channel_);
    pool_target_ = pool_target;
    if (key_.name().empty()) {
      CreateKey();
      // Profiling: restart node 1's enclave once the key exists (e.g. under
      // a valgrind wrapper that the hook enables).
      if (const char* hook = std::getenv("LOAD_BENCH_RESTART_ENCLAVE_1")) {
        (void)std::system(hook);
        if (auto s = cluster_->StartEnclave(0); !s.ok()) Die(s.ToString());
      }
    }
    // The first Sign after a start links the signer set (attestation):
    // not part of any measured run.
    ++warmups_;
    Sign(Request(absl::StrCat("warm-up-", warmups_),
                 absl::StrCat("warm-up ", warmups_)));
  }

  uint32_t pool_target() const { return pool_target_; }
  bool running() const { return coordinator_ != nullptr; }

  std::string Metrics() const {
    auto m = HttpGet(metrics_, "/metrics");
    if (!m.ok()) Die(m.status().ToString());
    return *m;
  }
  double PoolSize() const {
    return Metric(Metrics(),
                  absl::StrCat("nitro_coordinator_presignatures_ready{key=\"",
                               key_.name().substr(5), "\"}"));
  }

  // Waits until the pool holds its target.
  void WaitForFullPool() {
    const absl::Time start = absl::Now();
    double last = -1;
    for (;;) {
      const double n = PoolSize();
      if (n >= pool_target_) break;
      if (absl::Now() - start > absl::Minutes(60)) Die("pool never filled");
      if (n != last && static_cast<int>(n) % 50 == 0) {
        std::fprintf(stderr, "  pool %d/%u after %.0f s\n", static_cast<int>(n),
                     pool_target_, absl::ToDoubleSeconds(absl::Now() - start));
      }
      last = n;
      absl::SleepFor(absl::Milliseconds(500));
    }
    std::fprintf(stderr, "  pool full (%u) after %.0f s\n", pool_target_,
                 absl::ToDoubleSeconds(absl::Now() - start));
  }

  v1::SignRequest Request(const std::string& id, const std::string& message) {
    v1::SignRequest req;
    req.set_name(key_.name());
    req.set_message(message);
    req.set_hash(v1::SHA256);
    req.set_request_id(id);
    *req.mutable_approvals() = Approve({key_.name().substr(5),
                                        message,
                                        {},
                                        0,
                                        {&approvers_[0], &approvers_[1]}});
    return req;
  }

  v1::Custody::Stub& stub() { return *stub_; }
  const v1::Key& key() const { return key_; }

 private:
  v1::SignResponse Sign(const v1::SignRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::minutes(5));
    v1::SignResponse resp;
    grpc::Status s = stub_->Sign(&ctx, req, &resp);
    if (!s.ok()) {
      const std::string log = coordinator_->Log();
      Die(absl::StrCat("Sign: ", s.error_message(), "\n",
                       log.substr(log.size() > 4000 ? log.size() - 4000 : 0)));
    }
    return resp;
  }

  void CreateKey() {
    v1::CreateKeyRequest req;
    req.set_request_id("load-key-1");
    req.mutable_key()->set_threshold(1);
    for (int i = 1; i <= 3; ++i) {
      req.mutable_key()->add_nodes(absl::StrCat("nodes/node-", i));
    }
    *req.mutable_key()->mutable_approval_policy() = PolicyOf(approvers_, 2);
    v1::Operation op;
    {
      grpc::ClientContext ctx;
      grpc::Status s = stub_->CreateKey(&ctx, req, &op);
      if (!s.ok()) Die(absl::StrCat("CreateKey: ", s.error_message()));
    }
    v1::WaitOperationRequest wait;
    wait.set_name(op.name());
    wait.mutable_timeout()->set_seconds(600);
    grpc::ClientContext ctx;
    grpc::Status s = stub_->WaitOperation(&ctx, wait, &op);
    if (!s.ok() || !op.done() || !op.has_response() ||
        !op.response().UnpackTo(&key_)) {
      Die(absl::StrCat("CreateKey: ", s.error_message(), " ",
                       op.error().message()));
    }
    // Each enclave makes its next set of DKG material (safe primes) in the
    // background after a DKG: minutes of CPU that would otherwise land in
    // the measured windows (and in their CPU per signature).
    if (auto w = cluster_->WaitForKeygenMaterial({0, 1, 2}, absl::Minutes(10));
        !w.ok()) {
      Die(w.ToString());
    }
  }

  std::unique_ptr<LocalCluster> cluster_;
  std::unique_ptr<ChildProcess> coordinator_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Custody::Stub> stub_;
  std::string metrics_;
  uint32_t pool_target_ = 0;
  int warmups_ = 0;
  std::vector<Approver> approvers_ = std::vector<Approver>(3);
  v1::Key key_;
};

Load* g_load = nullptr;

Load& TheLoad() {
  if (g_load == nullptr) g_load = new Load();
  return *g_load;
}

bool VerifySignature(const v1::Key& key, const std::string& message,
                     const v1::Signature& sig) {
  static const secp256k1_context* ctx =
      secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         digest);
  secp256k1_pubkey pub;
  secp256k1_ecdsa_signature parsed;
  return sig.der().size() <= 72 &&
         secp256k1_ec_pubkey_parse(
             ctx, &pub,
             reinterpret_cast<const unsigned char*>(key.public_key().data()),
             key.public_key().size()) &&
         secp256k1_ecdsa_signature_parse_der(
             ctx, &parsed,
             reinterpret_cast<const unsigned char*>(sig.der().data()),
             sig.der().size()) &&
         secp256k1_ecdsa_verify(ctx, &parsed, digest, &pub);
}

// One run of `n` Sign calls from `concurrency` client threads.
void RunLoad(benchmark::State& state, Load& load, const std::string& tag,
             int concurrency, int n) {
  static int runs = 0;
  ++runs;
  std::vector<v1::SignRequest> requests;
  requests.reserve(n);
  for (int i = 0; i < n; ++i) {
    requests.push_back(
        load.Request(absl::StrCat(tag, "-", runs, "-", i),
                     absl::StrCat("load ", tag, " run ", runs, " #", i)));
  }
  std::vector<double> latency_ms(n, 0);
  std::vector<v1::SignResponse> responses(n);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex error_mu;

  // Profiling hooks (e.g. callgrind_control -i on/off): shell commands
  // run right before and after the measured run.
  if (const char* hook = std::getenv("LOAD_BENCH_BEFORE_RUN")) {
    (void)std::system(hook);
  }
  const std::string before_metrics = load.Metrics();
  const double load_before = LoadAverage1();
  const auto cpu_before = CpuByKind();
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int w = 0; w < concurrency; ++w) {
    workers.emplace_back([&] {
      for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::minutes(5));
        const absl::Time t0 = absl::Now();
        grpc::Status s = load.stub().Sign(&ctx, requests[i], &responses[i]);
        latency_ms[i] = absl::ToDoubleMilliseconds(absl::Now() - t0);
        if (!s.ok()) {
          failures.fetch_add(1);
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.empty()) first_error = s.error_message();
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  const double wall_s = absl::ToDoubleSeconds(absl::Now() - start);
  const auto cpu_after = CpuByKind();
  const double load_after = LoadAverage1();
  const std::string after_metrics = load.Metrics();
  if (const char* hook = std::getenv("LOAD_BENCH_AFTER_RUN")) {
    (void)std::system(hook);
  }

  if (failures.load() > 0) {
    state.SkipWithError(absl::StrCat(failures.load(), " of ", n,
                                     " Sign calls failed; first: ", first_error)
                            .c_str());
    return;
  }
  for (int i = 0; i < n; ++i) {
    if (!responses[i].first_response() ||
        !VerifySignature(load.key(), requests[i].message(),
                         responses[i].signature())) {
      state.SkipWithError("a signature does not verify");
      return;
    }
  }
  std::vector<double> sorted = latency_ms;
  std::sort(sorted.begin(), sorted.end());
  auto percentile = [&](double p) {
    const size_t i = static_cast<size_t>(
        std::min<double>(sorted.size() - 1, p * (sorted.size() - 1) + 0.5));
    return sorted[i];
  };
  double sum = 0;
  for (double l : sorted) sum += l;
  auto delta = [&](const std::string& series) {
    return Metric(after_metrics, series) - Metric(before_metrics, series);
  };
  state.SetIterationTime(wall_s / n);
  state.counters["concurrency"] = concurrency;
  state.counters["requests"] = n;
  state.counters["p50_ms"] = percentile(0.50);
  state.counters["p99_ms"] = percentile(0.99);
  state.counters["mean_ms"] = sum / n;
  state.counters["sigs_per_s"] = n / wall_s;
  state.counters["pool_hits"] = delta("nitro_coordinator_pool_hits_total");
  state.counters["pool_misses"] = delta("nitro_coordinator_pool_misses_total");
  state.counters["presign_runs"] =
      delta("nitro_coordinator_protocol_runs_total") - n;
  state.counters["load1_before"] = load_before;
  state.counters["load1_after"] = load_after;
  double total = 0, system = 0;
  for (const auto& [kind, after] : cpu_after) {
    auto it = cpu_before.find(kind);
    const Cpu before = it == cpu_before.end() ? Cpu{} : it->second;
    const double used = after.total() - before.total();
    total += used;
    system += after.system_ms - before.system_ms;
    state.counters[absl::StrCat("cpu_ms_", kind)] = used / n;
  }
  state.counters["cpu_ms_total"] = total / n;
  state.counters["cpu_ms_system"] = system / n;
  state.counters["cpu_cores_busy"] = total / 1000.0 / wall_s;
}

// Concurrency 1, 8 and 32; one iteration each (a run is many requests),
// timed by the run itself.
void ConcurrencyRuns(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(8)->Arg(32)->Iterations(1)->UseManualTime()->Unit(
      benchmark::kMillisecond);
}

void BM_PoolSign(benchmark::State& state) {
  Load& load = TheLoad();
  const int concurrency = static_cast<int>(state.range(0));
  for (auto _ : state) {
    if (load.pool_target() != g_flags.pool_target) {
      load.StartCoordinator(g_flags.pool_target);
    }
    load.WaitForFullPool();
    const double pool = load.PoolSize();
    const int n = std::min<int>(g_flags.pool_requests[concurrency],
                                static_cast<int>(pool));
    state.counters["pool_at_start"] = pool;
    RunLoad(state, load, "pool", concurrency, n);
  }
}
BENCHMARK(BM_PoolSign)->Apply(ConcurrencyRuns);

void BM_FullSign(benchmark::State& state) {
  Load& load = TheLoad();
  const int concurrency = static_cast<int>(state.range(0));
  for (auto _ : state) {
    if (load.pool_target() != 0 || !load.running()) {
      load.StartCoordinator(0);
    }
    RunLoad(state, load, "full", concurrency,
            g_flags.full_requests[concurrency]);
  }
}
BENCHMARK(BM_FullSign)->Apply(ConcurrencyRuns);

std::map<int, int> ParseCounts(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  const int c[] = {1, 8, 32};
  std::map<int, int> out;
  if (parts.size() != 3) Die("expected three counts: C1,C8,C32");
  for (int i = 0; i < 3; ++i) {
    int v;
    if (!absl::SimpleAtoi(parts[i], &v) || v < 1) Die("bad count");
    out[c[i]] = v;
  }
  return out;
}

}  // namespace
}  // namespace nitro_tss::testing

int main(int argc, char** argv) try {
  using nitro_tss::testing::g_flags;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--pool_target=")) {
      if (!absl::SimpleAtoi(a, &g_flags.pool_target) ||
          g_flags.pool_target < 1 || g_flags.pool_target > 1000) {
        nitro_tss::testing::Die("--pool_target: 1..1000");
      }
    } else if (absl::ConsumePrefix(&a, "--pool_requests=")) {
      g_flags.pool_requests = nitro_tss::testing::ParseCounts(a);
    } else if (absl::ConsumePrefix(&a, "--full_requests=")) {
      g_flags.full_requests = nitro_tss::testing::ParseCounts(a);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  int code = 0;
  try {
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coordinator_load_bench: %s\n", e.what());
    code = 1;
  }
  benchmark::Shutdown();
  // Stops the coordinator and every node process, removes the directory.
  delete nitro_tss::testing::g_load;
  return code;
} catch (const std::exception& e) {
  std::fprintf(stderr, "coordinator_load_bench: %s\n", e.what());
  return 2;
}
