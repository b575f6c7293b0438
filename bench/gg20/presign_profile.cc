// presign_profile: every modular exponentiation of one GG20 presignature,
// by party, round, call site, modulus, base size and exponent size.
//
// Not a benchmark binary (it is not in `make bench`): run it through
// bench/gg20/presign_profile.py, which runs it under callgrind and turns its
// log into the cost breakdown of docs/BENCHMARKS.md ("Presigning cost
// breakdown").
//
// How: this executable defines mpz_powm and mpn_sec_powm itself, so every
// call the (unchanged, production) mpc libraries make binds to these
// wrappers, which record the call and forward to libgmp's functions
// (dlsym(RTLD_NEXT)). Production code carries no hook. The presign runs on
// one thread with a small router of its own, which knows which party's
// session runs. Under callgrind, the script passes
//   --dump-before=nitro_profile_dump
// and the wrappers call nitro_profile_dump() before and after each recorded
// exponentiation (and the router at each change of party), so that every
// exponentiation gets a dump of its own instruction count and the work
// between two of them another one; the log line with the same sequence
// number says what each dump was. Without valgrind the function is empty and
// the log still lists every call (counts, sizes, call sites).
//
// Usage: presign_profile SIGNERS LOG_PATH   (SIGNERS = 2 or 3)
#include <dlfcn.h>
#include <execinfo.h>
#include <gmp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/baseline.h"
#include "mpc/gg20/key_share.h"
#include "mpc/gg20/presign.h"
#include "mpc/round/round.h"
#include "tests/gg20/gg20_test_util.h"

namespace {

using powm_fn = void (*)(mpz_ptr, mpz_srcptr, mpz_srcptr, mpz_srcptr);
using sec_powm_fn = void (*)(mp_ptr, mp_srcptr, mp_size_t, mp_srcptr,
                             mp_bitcnt_t, mp_srcptr, mp_size_t, mp_ptr);

powm_fn RealPowm() {
  static powm_fn f = reinterpret_cast<powm_fn>(dlsym(RTLD_NEXT, "__gmpz_powm"));
  if (f == nullptr) abort();
  return f;
}
sec_powm_fn RealSecPowm() {
  static sec_powm_fn f =
      reinterpret_cast<sec_powm_fn>(dlsym(RTLD_NEXT, "__gmpn_sec_powm"));
  if (f == nullptr) abort();
  return f;
}

constexpr int kFrames = 16;

struct Record {
  char kind = 'P';  // 'P' exponentiation, 'O' other work, 'B' baseline
  uint32_t party = 0, round = 0;
  std::string fn;       // mpz_powm | mpn_sec_powm
  std::string modulus;  // class, relative to the running party
  size_t base_bits = 0, exp_bits = 0;
  bool exp_negative = false;
  void* frames[kFrames] = {};
  int depth = 0;
};

struct Modulus {
  uint32_t owner;
  std::string kind;
};

bool g_recording = false;
bool g_baseline = false;
uint32_t g_party = 0;
const nitro_tss::mpc::round::Session* g_session = nullptr;
std::vector<Record>* g_records = nullptr;
std::map<std::string, Modulus>* g_moduli = nullptr;  // hex -> class

std::string Hex(mpz_srcptr v) {
  char* s = mpz_get_str(nullptr, 16, v);
  std::string out(s);
  void (*freefunc)(void*, size_t);
  mp_get_memory_functions(nullptr, nullptr, &freefunc);
  freefunc(s, strlen(s) + 1);
  return out;
}

std::string ModulusClass(mpz_srcptr m) {
  auto it = g_moduli->find(Hex(m));
  if (it == g_moduli->end()) {
    return "other(" + std::to_string(mpz_sizeinbase(m, 2)) + "b)";
  }
  const Modulus& c = it->second;
  if (c.owner == 0) return c.kind;
  return (c.owner == g_party ? "own " : "foreign ") + c.kind;
}

uint32_t CurrentRound() {
  return g_session == nullptr ? 0 : g_session->current_round();
}

}  // namespace

// The dump trigger for callgrind (see the header comment): noinline, with a
// side effect the compiler cannot drop.
extern "C" __attribute__((noinline)) void nitro_profile_dump() {
  asm volatile("" ::: "memory");
}

namespace {

void RecordOther() {
  Record r;
  r.kind = 'O';
  r.party = g_party;
  r.round = CurrentRound();
  g_records->push_back(std::move(r));
  nitro_profile_dump();
}

void RecordCall(Record r, void (*call)(void*), void* arg) {
  r.kind = g_baseline ? 'B' : 'P';
  r.party = g_party;
  r.round = CurrentRound();
  r.depth = backtrace(r.frames, kFrames);
  RecordOther();  // the work since the last dump
  g_records->push_back(std::move(r));
  call(arg);
  nitro_profile_dump();  // the exponentiation alone
}

struct PowmArgs {
  mpz_ptr r;
  mpz_srcptr b, e, m;
};
struct SecPowmArgs {
  mp_ptr rp;
  mp_srcptr bp;
  mp_size_t bn;
  mp_srcptr ep;
  mp_bitcnt_t enb;
  mp_srcptr mp;
  mp_size_t n;
  mp_ptr tp;
};

}  // namespace

// The interposed GMP entry points (gmp.h declares them extern "C").
void mpz_powm(mpz_ptr r, mpz_srcptr b, mpz_srcptr e, mpz_srcptr m) {
  if (!g_recording) return RealPowm()(r, b, e, m);
  Record rec;
  rec.fn = "mpz_powm";
  rec.modulus = ModulusClass(m);
  rec.base_bits = mpz_sizeinbase(b, 2);
  rec.exp_bits = mpz_sgn(e) == 0 ? 0 : mpz_sizeinbase(e, 2);
  rec.exp_negative = mpz_sgn(e) < 0;
  PowmArgs args{r, b, e, m};
  RecordCall(
      std::move(rec),
      [](void* a) {
        auto* p = static_cast<PowmArgs*>(a);
        RealPowm()(p->r, p->b, p->e, p->m);
      },
      &args);
}

void mpn_sec_powm(mp_ptr rp, mp_srcptr bp, mp_size_t bn, mp_srcptr ep,
                  mp_bitcnt_t enb, mp_srcptr mp, mp_size_t n, mp_ptr tp) {
  if (!g_recording) return RealSecPowm()(rp, bp, bn, ep, enb, mp, n, tp);
  Record rec;
  rec.fn = "mpn_sec_powm";
  mpz_t m;
  mpz_roinit_n(m, mp, n);
  rec.modulus = ModulusClass(m);
  rec.base_bits = static_cast<size_t>(bn) * GMP_NUMB_BITS;
  rec.exp_bits = enb;
  SecPowmArgs args{rp, bp, bn, ep, enb, mp, n, tp};
  RecordCall(
      std::move(rec),
      [](void* a) {
        auto* p = static_cast<SecPowmArgs*>(a);
        RealSecPowm()(p->rp, p->bp, p->bn, p->ep, p->enb, p->mp, p->n, p->tp);
      },
      &args);
}

namespace nitro_tss::mpc::gg20::testing {
namespace {

void AddModulus(const BigInt& v, uint32_t owner, const std::string& kind) {
  (*g_moduli)[Hex(v.get())] = Modulus{owner, kind};
}

void RegisterModuli(const std::vector<std::shared_ptr<const KeyShare>>& ks) {
  for (const auto& k : ks) {
    const uint32_t id = k->self;
    const PaillierPrivateKey& sk = *k->paillier;
    AddModulus(sk.n(), id, "N");
    AddModulus(sk.public_key().n_squared(), id, "N^2");
    AddModulus(sk.p(), id, "p");
    AddModulus(sk.q(), id, "q");
    AddModulus(sk.p() * sk.p(), id, "p^2");
    AddModulus(sk.q() * sk.q(), id, "q^2");
    const RingPedersenSecret& rp = *k->ring_pedersen;
    // Registered after the Paillier moduli: in the CGGMP21 layout N^ = N.
    if (rp.params().n() != sk.n()) {
      AddModulus(rp.params().n(), id, "Nhat");
      AddModulus(rp.p(), id, "phat");
      AddModulus(rp.q(), id, "qhat");
    }
  }
  BigInt order = *BigInt::FromHex(
      "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  AddModulus(order, 0, "secp256k1 order");
}

// The same baseline as bench/common/baseline.cc (one unit).
void RunBaseline() {
  bench::BaselineOperands operands;
  // Everything before (fixtures, tables, the warm-up presignature) goes
  // into a setup segment that the script ignores.
  Record setup;
  setup.kind = 'S';
  g_records->push_back(std::move(setup));
  nitro_profile_dump();
  g_party = 0;
  g_baseline = true;
  g_recording = true;
  operands.Run();
  g_recording = false;
  g_baseline = false;
}

// One presignature, every party on this thread; g_party says whose session
// runs. Returns true when every session produced its presignature.
bool RunOnePresign(const std::vector<std::shared_ptr<const KeyShare>>& shares,
                   const std::vector<PartyId>& signers, uint64_t tag,
                   bool record) {
  DeterministicRandom rng(tag);
  std::map<PartyId, std::unique_ptr<round::Session>> sessions;
  for (PartyId id : signers) {
    PresignConfig cfg;
    cfg.session_id = SessionId(tag);
    for (const auto& ks : shares) {
      if (ks->self == id) cfg.key_share = ks;
    }
    cfg.signers = signers;
    cfg.identity = TestIdentity(id);
    absl::StatusOr<std::unique_ptr<round::Session>> s =
        NewPresignSession(cfg, rng);
    if (!s.ok()) return false;
    sessions[id] = *std::move(s);
  }
  std::deque<std::pair<PartyId, std::vector<uint8_t>>> queue;
  auto post = [&](PartyId from) {
    for (round::Message& m : sessions[from]->TakeOutbound()) {
      std::vector<uint8_t> wire = round::EncodeMessage(m);
      for (PartyId to : signers) {
        if (to == from || (!m.is_broadcast() && to != m.to)) continue;
        queue.emplace_back(to, wire);
      }
    }
  };
  auto enter = [&](PartyId id) {
    if (g_recording) RecordOther();  // closes the previous party's segment
    g_party = id;
    g_session = sessions[id].get();
  };
  g_recording = record;
  for (PartyId id : signers) {
    enter(id);
    if (!sessions[id]->Start().ok()) return false;
    post(id);
  }
  while (!queue.empty()) {
    auto [to, wire] = std::move(queue.front());
    queue.pop_front();
    enter(to);
    absl::StatusOr<round::Message> msg = round::DecodeMessage(wire);
    if (!msg.ok() || !sessions[to]->Receive(*msg).ok()) return false;
    post(to);
  }
  if (g_recording) RecordOther();
  g_recording = false;
  g_session = nullptr;
  for (auto& [id, s] : sessions) {
    if (s->state() != round::Session::State::kDone) return false;
  }
  return true;
}

// Function names of the call sites (nm over this executable, which is not
// stripped: local symbols included). Addresses are made relative to the
// load base for PIE.
class Symbolizer {
 public:
  Symbolizer() {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&nitro_profile_dump), &info) != 0) {
      base_ = reinterpret_cast<uintptr_t>(info.dli_fbase);
    }
    // The path, not /proc/self/exe: that would be nm's own.
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0) return;
    exe[len] = '\0';
    std::string cmd = std::string("nm -C --defined-only '") + exe + "'";
    FILE* f = popen(cmd.c_str(), "r");
    if (f == nullptr) return;
    char line[4096];
    while (fgets(line, sizeof(line), f) != nullptr) {
      char* end = nullptr;
      uintptr_t addr = strtoull(line, &end, 16);
      if (end == line || end[0] != ' ' || end[1] == '\0' || end[2] != ' ') {
        continue;
      }
      char type = end[1];
      if (type != 't' && type != 'T' && type != 'W' && type != 'w') continue;
      std::string name(end + 3);
      while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) {
        name.pop_back();
      }
      symbols_[addr] = name;
    }
    pclose(f);
  }
  std::string Name(void* pc) const {
    // A return address points after the call: look up pc - 1.
    uintptr_t addr = reinterpret_cast<uintptr_t>(pc) - 1;
    if (addr >= base_) addr -= base_;
    auto it = symbols_.upper_bound(addr);
    if (it == symbols_.begin()) return "?";
    --it;
    return it->second;
  }

 private:
  uintptr_t base_ = 0;
  std::map<uintptr_t, std::string> symbols_;
};

// Shortens a demangled name: drops namespaces, argument lists and the
// anonymous-namespace marker.
std::string Short(std::string name) {
  size_t paren = name.find('(');
  if (paren != std::string::npos) name = name.substr(0, paren);
  for (const char* ns :
       {"nitro_tss::mpc::gg20::presign_detail::", "nitro_tss::mpc::zk::",
        "nitro_tss::mpc::mta::", "nitro_tss::mpc::gg20::", "nitro_tss::mpc::",
        "(anonymous namespace)::", "internal::"}) {
    for (size_t pos; (pos = name.find(ns)) != std::string::npos;) {
      name.erase(pos, strlen(ns));
    }
  }
  return name;
}

int Main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SIGNERS LOG_PATH\n", argv[0]);
    return 2;
  }
  const size_t signers = static_cast<size_t>(atoi(argv[1]));
  if (signers != 2 && signers != 3) {
    fprintf(stderr, "SIGNERS must be 2 or 3\n");
    return 2;
  }
  setenv("NITRO_TSS_SOURCE_DIR", NITRO_TSS_SOURCE_DIR_DEFAULT, 0);
  g_records = new std::vector<Record>();
  g_records->reserve(1 << 16);
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now, not inside a segment
  g_moduli = new std::map<std::string, Modulus>();
  // As gg20_bench's BM_FullSign/N/1: trusted-dealer shares over the fixture
  // material, loaded with their per-peer tables.
  std::vector<std::shared_ptr<const KeyShare>> shares;
  for (const auto& k :
       signers == 2 ? DealKeyShares(1, 3, 1) : DealKeyShares(2, 3, 2)) {
    auto copy = std::make_shared<KeyShare>(*k);
    copy->BuildPeerTables();
    shares.push_back(copy);
  }
  RegisterModuli(shares);
  std::vector<PartyId> ids =
      signers == 2 ? std::vector<PartyId>{1, 2} : std::vector<PartyId>{1, 2, 3};
  // One unrecorded presignature first (anything built lazily), then the
  // recorded one.
  if (!RunOnePresign(shares, ids, 9001, false)) {
    fprintf(stderr, "warm-up presign failed\n");
    return 1;
  }
  RunBaseline();
  if (!RunOnePresign(shares, ids, 9002, true)) {
    fprintf(stderr, "presign failed\n");
    return 1;
  }
  Symbolizer sym;
  FILE* out = fopen(argv[2], "w");
  if (out == nullptr) {
    perror("log");
    return 1;
  }
  fprintf(out,
          "seq\tkind\tparty\tround\tfn\tmodulus\tbase_bits\texp_bits\t"
          "exp_negative\tsite\n");
  size_t seq = 0;
  for (const Record& r : *g_records) {
    std::string site;
    if (r.kind != 'O') {
      // Frames: backtrace, RecordCall, the wrapper, then the callers.
      int added = 0;
      for (int i = 1; i < r.depth && added < 6; ++i) {
        std::string name = Short(sym.Name(r.frames[i]));
        if (name.find("RecordCall") != std::string::npos ||
            name == "mpz_powm" || name == "__gmpz_powm" ||
            name == "mpn_sec_powm" || name == "__gmpn_sec_powm") {
          continue;
        }
        if (!site.empty()) site += " < ";
        site += name;
        ++added;
      }
    }
    fprintf(out, "%zu\t%c\t%u\t%u\t%s\t%s\t%zu\t%zu\t%d\t%s\n", ++seq, r.kind,
            r.party, r.round, r.fn.c_str(), r.modulus.c_str(), r.base_bits,
            r.exp_bits, r.exp_negative ? 1 : 0, site.c_str());
  }
  fclose(out);
  return 0;
}

}  // namespace
}  // namespace nitro_tss::mpc::gg20::testing

int main(int argc, char** argv) {
  return nitro_tss::mpc::gg20::testing::Main(argc, argv);
}
