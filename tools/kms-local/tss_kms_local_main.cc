// tss-kms-local: a local KMS service speaking the AWS KMS JSON 1.1 protocol,
// with SigV4 authentication, SQLite key storage, key policies and attested
// Recipient support. See tools/kms-local/README.md.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "tools/kms-local/attested_recipient.h"
#include "tools/kms-local/auth.h"
#include "tools/kms-local/http.h"
#include "tools/kms-local/keystore.h"
#include "tools/kms-local/service.h"

namespace {

using nitro_tss::json::Value;
namespace kl = nitro_tss::kms_local;

constexpr int kExitOk = 0;
constexpr int kExitStartupFailure = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    R"(Usage: tss-kms-local --listen HOST:PORT|unix:PATH --db FILE --credentials FILE
                     [--master-key-file FILE] [--attestation-root PEM]
                     [--region R] [--account A] [--ready-file FILE]
                     [--max-skew-seconds N] [--attestation-max-age-seconds N]

A local AWS KMS (JSON 1.1 protocol, SigV4) for development and tests:
CreateKey, DescribeKey, ListKeys, CreateAlias, ListAliases, Encrypt, Decrypt,
GenerateDataKey, GenerateRandom, GetKeyPolicy, PutKeyPolicy; key policies with
kms:RecipientAttestation:* conditions; Recipient (Nitro attestation document)
answered with CiphertextForRecipient.

  --listen HOST:PORT     IPv4 address and port to listen on (port 0: any free
                         port; see --ready-file), or unix:PATH for a unix
                         socket (mode 0600)
  --db FILE              SQLite key database (created if missing)
  --master-key-file F    32 raw bytes or 64 hex chars sealing key material at
                         rest; else env TSS_KMS_LOCAL_MASTER_KEY (64 hex)
  --credentials FILE     JSON {"credentials":[{"access_key_id","secret_access_key",
                         "session_token"(optional),"principal_arn"}]}
  --attestation-root PEM root certificate that Recipient attestation documents
                         must chain to (without it, Recipient is rejected)
  --region R             region of ARNs and SigV4 scope (default us-east-1)
  --account A            account id of ARNs (default 111122223333)
  --ready-file FILE      once listening, write {"port":N} to FILE
  --max-skew-seconds N   SigV4 clock skew limit (default 300)
  --attestation-max-age-seconds N  maximum attestation document age (300)
  --help                 this text

Logs: one JSON object per line on stderr (never key material or plaintexts).
Exit codes: 0 clean shutdown (SIGINT/SIGTERM), 1 startup failure, 2 usage.
)";

std::mutex g_log_mu;

void LogLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::cerr << line << "\n" << std::flush;
}

void Log(absl::string_view level, absl::string_view event,
         std::map<std::string, Value> fields = {}) {
  Value v;
  v.Set("ts", Value::String(absl::FormatTime(absl::RFC3339_full, absl::Now(),
                                             absl::UTCTimeZone())));
  v.Set("level", Value::String(std::string(level)));
  v.Set("event", Value::String(std::string(event)));
  for (auto& [k, f] : fields) v.Set(k, std::move(f));
  LogLine(nitro_tss::json::Serialize(v));
}

int Fail(absl::string_view what, const absl::Status& s) {
  Log("error", "startup_failed",
      {{"step", Value::String(std::string(what))},
       {"error", Value::String(s.ToString())}});
  return kExitStartupFailure;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {
      {"region", "us-east-1"},
      {"account", "111122223333"},
      {"max-skew-seconds", "300"},
      {"attestation-max-age-seconds", "300"}};
  const char* const known[] = {
      "listen",           "db",
      "master-key-file",  "credentials",
      "attestation-root", "region",
      "account",          "ready-file",
      "max-skew-seconds", "attestation-max-age-seconds"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (arg.rfind("--", 0) != 0) {
      std::cerr << "unexpected argument '" << arg << "'\n" << kUsage;
      return kExitUsage;
    }
    std::string name = arg.substr(2);
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= argc) {
        std::cerr << "flag --" << name << " needs a value\n" << kUsage;
        return kExitUsage;
      }
      value = argv[++i];
    }
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) {
      std::cerr << "unknown flag --" << name << "\n" << kUsage;
      return kExitUsage;
    }
    flags[name] = value;
  }
  for (const char* required : {"listen", "db", "credentials"}) {
    if (!flags.count(required)) {
      std::cerr << "missing --" << required << "\n" << kUsage;
      return kExitUsage;
    }
  }
  const std::string& listen = flags["listen"];
  const bool unix_listen = listen.rfind("unix:", 0) == 0;
  const size_t colon = listen.rfind(':');
  uint32_t port = 0;
  if (unix_listen ? listen.size() <= 5
                  : (colon == std::string::npos ||
                     !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
                     port > 65535)) {
    std::cerr << "--listen must be HOST:PORT or unix:PATH\n" << kUsage;
    return kExitUsage;
  }
  int64_t max_skew = 0;
  int64_t max_age = 0;
  if (!absl::SimpleAtoi(flags["max-skew-seconds"], &max_skew) ||
      max_skew <= 0 ||
      !absl::SimpleAtoi(flags["attestation-max-age-seconds"], &max_age) ||
      max_age <= 0) {
    std::cerr << "--max-skew-seconds and --attestation-max-age-seconds must "
                 "be positive integers\n"
              << kUsage;
    return kExitUsage;
  }

  // Block the termination signals in every thread; main waits for them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  absl::StatusOr<kl::SecretBytes> master;
  if (flags.count("master-key-file")) {
    master = kl::ReadMasterKeyFile(flags["master-key-file"]);
  } else if (const char* env = std::getenv("TSS_KMS_LOCAL_MASTER_KEY")) {
    master = kl::ParseMasterKeyHex(env);
  } else {
    master = absl::InvalidArgumentError(
        "no master key: pass --master-key-file or set "
        "TSS_KMS_LOCAL_MASTER_KEY");
  }
  if (!master.ok()) return Fail("master key", master.status());
  auto store = kl::KeyStore::Open(flags["db"], *master);
  if (!store.ok()) return Fail("open database", store.status());
  auto creds = kl::CredentialTable::LoadFile(flags["credentials"]);
  if (!creds.ok()) return Fail("credentials", creds.status());

  kl::KmsServiceOptions opts;
  opts.region = flags["region"];
  opts.account = flags["account"];
  kl::SigV4AuthOptions auth;
  auth.region = opts.region;
  auth.max_skew = absl::Seconds(max_skew);
  opts.authenticator = kl::MakeSigV4Authenticator(
      std::make_shared<const kl::CredentialTable>(std::move(*creds)), auth);
  if (flags.count("attestation-root")) {
    auto root = kl::ReadPemCertificateDer(flags["attestation-root"]);
    if (!root.ok()) return Fail("attestation root", root.status());
    kl::RecipientVerifierOptions rv;
    rv.root_der = std::move(*root);
    rv.max_age = absl::Seconds(max_age);
    opts.recipient_verifier = kl::MakeAttestationRecipientVerifier(rv);
  }
  opts.log = LogLine;
  kl::KmsService service(std::move(opts), store->get());

  kl::HttpServerOptions http;
  if (unix_listen) {
    http.unix_socket_path = listen.substr(5);
  } else {
    http.host = listen.substr(0, colon);
    http.port = static_cast<uint16_t>(port);
  }
  kl::HttpServer server(http, [&service](const kl::HttpRequestMessage& r) {
    return service.Handle(r);
  });
  absl::Status st = server.Start();
  if (!st.ok()) return Fail("listen", st);
  if (flags.count("ready-file")) {
    const std::string tmp = flags["ready-file"] + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "{\"port\":" << server.port() << "}\n";
      if (!out) return Fail("ready file", absl::UnavailableError(tmp));
    }
    if (std::rename(tmp.c_str(), flags["ready-file"].c_str()) != 0) {
      return Fail("ready file", absl::UnavailableError("rename failed"));
    }
  }
  Log("info", "listening",
      {{"address", Value::String(unix_listen ? listen : http.host)},
       {"port", Value::Int(server.port())},
       {"region", Value::String(flags["region"])},
       {"account", Value::String(flags["account"])},
       {"recipient_support",
        Value::Bool(flags.count("attestation-root") > 0)}});
  int sig = 0;
  sigwait(&sigs, &sig);
  Log("info", "shutting_down", {{"signal", Value::Int(sig)}});
  server.Shutdown();
  Log("info", "stopped");
  return kExitOk;
}
