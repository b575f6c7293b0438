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
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/json.h"
#include "tools/kms-local/attested_recipient.h"
#include "tools/kms-local/auth.h"
#include "tools/kms-local/http.h"
#include "tools/kms-local/keystore.h"
#include "tools/kms-local/service.h"

namespace {

using nitro_tss::json::Value;
namespace kl = nitro_tss::kms_local;

using nitro_tss::cli::kExitOk;
using nitro_tss::cli::kExitUsage;
// A startup step failed (database, credentials, master key, listen).
constexpr int kExitStartupFailure = nitro_tss::cli::kExitFailure;

constexpr char kDescription[] =
    "A local AWS KMS (JSON 1.1 protocol, SigV4) for development and tests:\n"
    "CreateKey, DescribeKey, ListKeys, CreateAlias, ListAliases, Encrypt, "
    "Decrypt,\nGenerateDataKey, GenerateRandom, GetKeyPolicy, PutKeyPolicy; "
    "key policies with\nkms:RecipientAttestation:* conditions; Recipient "
    "(Nitro attestation document)\nanswered with CiphertextForRecipient.";

constexpr char kFooter[] =
    "Logs: one line per event on stderr, a JSON object (--output json, the\n"
    "default) or 'ts level event key=value ...' (--output text); never key\n"
    "material or plaintexts.\n"
    "Exit codes: 0 clean shutdown (SIGINT/SIGTERM), 1 startup failure, 2 "
    "usage.";

struct Flags {
  std::string listen;
  std::string db;
  std::string credentials;
  std::string master_key_file;
  std::string attestation_root;
  std::string region = "us-east-1";
  std::string account = "111122223333";
  std::string ready_file;
  int64_t max_skew_seconds = 300;
  int64_t attestation_max_age_seconds = 300;
  CLI::Option* master_key_file_opt = nullptr;
  CLI::Option* attestation_root_opt = nullptr;
  CLI::Option* ready_file_opt = nullptr;
};

void AddFlags(CLI::App& app, Flags& f) {
  nitro_tss::cli::AddValue(
      app, "--listen", &f.listen, "HOST:PORT|unix:PATH",
      "IPv4 address and port to listen on (port 0: any free port; "
      "see --ready-file), or unix:PATH for a unix socket (mode "
      "0600)")
      ->required();
  nitro_tss::cli::AddValue(app, "--db", &f.db, "FILE",
                           "SQLite key database (created if missing)")
      ->required();
  f.master_key_file_opt = nitro_tss::cli::AddValue(
      app, "--master-key-file", &f.master_key_file, "FILE",
      "32 raw bytes or 64 hex chars sealing key material at "
      "rest; else env TSS_KMS_LOCAL_MASTER_KEY (64 hex)");
  nitro_tss::cli::AddValue(app, "--credentials", &f.credentials, "FILE",
                           "JSON {\"credentials\":[{\"access_key_id\","
                           "\"secret_access_key\",\"session_token\"(optional),"
                           "\"principal_arn\"}]}")
      ->required();
  f.attestation_root_opt = nitro_tss::cli::AddValue(
      app, "--attestation-root", &f.attestation_root, "PEM",
      "root certificate that Recipient attestation documents "
      "must chain to (without it, Recipient is rejected)");
  nitro_tss::cli::AddValue(
      app, "--region", &f.region, "R",
      "region of ARNs and SigV4 scope (default us-east-1)");
  nitro_tss::cli::AddValue(app, "--account", &f.account, "A",
                           "account id of ARNs (default 111122223333)");
  f.ready_file_opt =
      nitro_tss::cli::AddValue(app, "--ready-file", &f.ready_file, "FILE",
                               "once listening, write {\"port\":N} to FILE");
  nitro_tss::cli::AddValue(app, "--max-skew-seconds", &f.max_skew_seconds, "N",
                           "SigV4 clock skew limit (default 300)");
  nitro_tss::cli::AddValue(app, "--attestation-max-age-seconds",
                           &f.attestation_max_age_seconds, "N",
                           "maximum attestation document age (default 300)");
}

nitro_tss::cli::Output g_output = nitro_tss::cli::Output::kJson;

std::mutex g_log_mu;

// Writes one log line (a JSON object, from us or from KmsService) in the
// --output format.
void LogLine(const std::string& line) {
  std::string text = line;
  if (g_output == nitro_tss::cli::Output::kText) {
    auto v = nitro_tss::json::Parse(line);
    if (v.ok() && v->is_object()) {
      text.clear();
      for (const auto& [key, field] : v->AsObject()) {
        if (!text.empty()) text += ' ';
        const std::string value = field.is_string()
                                      ? field.AsString()
                                      : nitro_tss::json::Serialize(field);
        if (key == "ts" || key == "level" || key == "event") {
          text += value;
        } else {
          text += key + "=" + value;
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::cerr << text << "\n" << std::flush;
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
  CLI::App app(kDescription, "tss-kms-local");
  app.footer(kFooter);
  nitro_tss::cli::AddVersionFlag(app);
  nitro_tss::cli::AddOutputOption(app, &g_output,
                                  "log line format: json (default) or text");
  Flags flags;
  AddFlags(app, flags);
  if (auto code = nitro_tss::cli::Parse(
          app, std::vector<std::string>(argv + 1, argv + argc), std::cout,
          std::cerr);
      code.has_value()) {
    return *code;
  }
  const auto usage = [](const std::string& message) {
    return nitro_tss::cli::UsageError(std::cerr, "tss-kms-local", message);
  };
  const std::string& listen = flags.listen;
  const bool unix_listen = listen.rfind("unix:", 0) == 0;
  const size_t colon = listen.rfind(':');
  uint32_t port = 0;
  if (unix_listen ? listen.size() <= 5
                  : (colon == std::string::npos ||
                     !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
                     port > 65535)) {
    return usage("--listen must be HOST:PORT or unix:PATH");
  }
  const int64_t max_skew = flags.max_skew_seconds;
  const int64_t max_age = flags.attestation_max_age_seconds;
  if (max_skew <= 0) return usage("--max-skew-seconds must be positive");
  if (max_age <= 0) {
    return usage("--attestation-max-age-seconds must be positive");
  }

  // Block the termination signals in every thread; main waits for them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  absl::StatusOr<kl::SecretBytes> master;
  if (flags.master_key_file_opt->count() > 0) {
    master = kl::ReadMasterKeyFile(flags.master_key_file);
  } else if (const char* env = std::getenv("TSS_KMS_LOCAL_MASTER_KEY")) {
    master = kl::ParseMasterKeyHex(env);
  } else {
    master = absl::InvalidArgumentError(
        "no master key: pass --master-key-file or set "
        "TSS_KMS_LOCAL_MASTER_KEY");
  }
  if (!master.ok()) return Fail("master key", master.status());
  auto store = kl::KeyStore::Open(flags.db, *master);
  if (!store.ok()) return Fail("open database", store.status());
  auto creds = kl::CredentialTable::LoadFile(flags.credentials);
  if (!creds.ok()) return Fail("credentials", creds.status());

  kl::KmsServiceOptions opts;
  opts.region = flags.region;
  opts.account = flags.account;
  kl::SigV4AuthOptions auth;
  auth.region = opts.region;
  auth.max_skew = absl::Seconds(max_skew);
  opts.authenticator = kl::MakeSigV4Authenticator(
      std::make_shared<const kl::CredentialTable>(std::move(*creds)), auth);
  if (flags.attestation_root_opt->count() > 0) {
    auto root = kl::ReadPemCertificateDer(flags.attestation_root);
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
  if (flags.ready_file_opt->count() > 0) {
    const std::string tmp = flags.ready_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "{\"port\":" << server.port() << "}\n";
      if (!out) return Fail("ready file", absl::UnavailableError(tmp));
    }
    if (std::rename(tmp.c_str(), flags.ready_file.c_str()) != 0) {
      return Fail("ready file", absl::UnavailableError("rename failed"));
    }
  }
  Log("info", "listening",
      {{"address", Value::String(unix_listen ? listen : http.host)},
       {"port", Value::Int(server.port())},
       {"region", Value::String(flags.region)},
       {"account", Value::String(flags.account)},
       {"recipient_support",
        Value::Bool(flags.attestation_root_opt->count() > 0)}});
  int sig = 0;
  sigwait(&sigs, &sig);
  Log("info", "shutting_down", {{"signal", Value::Int(sig)}});
  server.Shutdown();
  Log("info", "stopped");
  return kExitOk;
}
