#include "tools/tssctl/dev_certs_command.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/json.h"
#include "tools/tssctl/dev_certs.h"

namespace nitro_tss::tssctl {
namespace {

using json::Value;

constexpr char kDescription[] =
    "Writes a cluster CA and TLS certificates for local runs (development\n"
    "only: the CA key is written unencrypted next to the certificates):\n"
    "ca.pem/ca.key, server-<name>.pem/.key for each --server (the\n"
    "coordinator and each node's host; SANs: the name, localhost,\n"
    "127.0.0.1, ::1; serverAuth) and client-<name>.pem/.key (--client,\n"
    "default nitro-tss-client; clientAuth) for tssctl, custody clients and\n"
    "the coordinator's client to the hosts. ECDSA P-256 keys, SHA-256\n"
    "signatures; key files are unencrypted PKCS#8 PEM with mode 0600.\n"
    "Check with: openssl verify -CAfile DIR/ca.pem DIR/server-NAME.pem";

struct DevCertsFlags {
  std::string dir;
  std::vector<std::string> servers;
  std::string client = "nitro-tss-client";
  int days = 365;
  bool force = false;
};

Value FilesJson(const IssuedFiles& f) {
  Value v = Value::MakeObject();
  if (!f.name.empty()) v.Set("name", Value::String(f.name));
  v.Set("certificate", Value::String(f.certificate));
  v.Set("key", Value::String(f.key));
  v.Set("sha256", Value::String(f.sha256));
  if (!f.subject_alt_names.empty()) {
    Value sans = Value::MakeArray();
    for (const auto& s : f.subject_alt_names) sans.Append(Value::String(s));
    v.Set("subject_alt_names", std::move(sans));
  }
  return v;
}

int RunDevCerts(const DevCertsFlags& flags, const CommandContext& ctx) {
  DevCertsOptions options;
  options.directory = flags.dir;
  options.server_names = flags.servers;
  options.client_name = flags.client;
  options.validity_days = flags.days;
  options.overwrite = flags.force;
  options.now_unix_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  auto certs = WriteDevCerts(options);
  if (!certs.ok()) {
    const absl::StatusCode code = certs.status().code();
    if (code == absl::StatusCode::kInvalidArgument ||
        code == absl::StatusCode::kAlreadyExists) {
      return UsageError(ctx, "tssctl dev-certs",
                        std::string(certs.status().message()));
    }
    *ctx.err << "tssctl: " << certs.status().message() << "\n";
    return kExitFailure;
  }
  Value result = Value::MakeObject();
  result.Set("directory", Value::String(flags.dir));
  result.Set("ca", FilesJson(certs->ca));
  Value servers = Value::MakeArray();
  for (const auto& s : certs->servers) servers.Append(FilesJson(s));
  result.Set("servers", std::move(servers));
  result.Set("client", FilesJson(certs->client));
  result.Set("not_before_unix_s", Value::Int(certs->not_before_unix_s));
  result.Set("not_after_unix_s", Value::Int(certs->not_after_unix_s));
  cli::PrintResult(result, *ctx.output, *ctx.out);
  return kExitOk;
}

}  // namespace

void AddDevCertsCommand(CLI::App& tssctl, const CommandContext& ctx) {
  auto flags = std::make_shared<DevCertsFlags>();
  CLI::App* cmd = tssctl.add_subcommand(
      "dev-certs",
      "Write a development cluster CA and server/client TLS certificates");
  cmd->footer(absl::StrCat(kDescription,
                           "\n\nExit codes: 0 written, 1 failed, 2 usage "
                           "error."));
  cli::AddValue(*cmd, "--dir", &flags->dir, "DIR",
                "output directory (created with mode 0700 if missing)")
      ->required();
  cli::AddValue(*cmd, "--server", &flags->servers, "NAME",
                "a server certificate for NAME (DNS name or IP address; "
                "repeatable)")
      ->required();
  cli::AddValue(*cmd, "--client", &flags->client, "NAME",
                "client certificate name (default nitro-tss-client)");
  cli::AddValue(*cmd, "--days", &flags->days, "N",
                absl::StrCat("validity in days, 1..", kMaxValidityDays,
                             " (default 365)"));
  cli::AddSwitch(*cmd, "--force", &flags->force,
                 "replace existing files in DIR");
  cmd->callback([flags, ctx] { *ctx.exit_code = RunDevCerts(*flags, ctx); });
}

}  // namespace nitro_tss::tssctl
