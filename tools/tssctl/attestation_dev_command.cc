// `tssctl attestation dev-ca` and `tssctl attestation simulate`: local-mode
// helpers around DevCa and SimulatedNsm (development only).
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/json.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/measurement.h"
#include "node/attestation/simulated_nsm.h"
#include "tools/tssctl/attestation_command.h"

namespace nitro_tss::tssctl {
namespace {

namespace att = nitro_tss::attestation;
using json::Value;

struct DevCaFlags {
  std::string out;
  std::string region = "dev-local-1";
};

struct SimulateFlags {
  std::string ca_dir;
  std::string out;
  std::string instance_id;
  std::string pcr[3];
  bool debug = false;
  std::string nonce;
  std::string user_data;
  std::string public_key;
  CLI::Option* instance_id_opt = nullptr;
  CLI::Option* pcr_opt[3] = {nullptr, nullptr, nullptr};
  CLI::Option* nonce_opt = nullptr;
  CLI::Option* user_data_opt = nullptr;
  CLI::Option* public_key_opt = nullptr;
};

int RunAttestationDevCa(const DevCaFlags& flags, const CommandContext& ctx) {
  std::ostream& out = *ctx.out;
  std::ostream& err = *ctx.err;
  const std::string dir = flags.out;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return UsageError(ctx, "tssctl attestation dev-ca",
                      absl::StrCat("--out: cannot create '", dir, "'"));
  }
  auto ca = att::DevCa::Generate(att::WallClockMs(), flags.region);
  if (!ca.ok()) {
    err << "tssctl: " << ca.status().message() << "\n";
    return kExitFailure;
  }
  if (auto s = ca->SaveToDirectory(dir); !s.ok()) {
    err << "tssctl: " << s.message() << "\n";
    return kExitFailure;
  }
  const std::vector<uint8_t> root = ca->RootDer();
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(root.data(), root.size(), digest);
  Value result = Value::MakeObject();
  result.Set("directory", Value::String(dir));
  result.Set("root_certificate", Value::String(dir + "/root.cert.pem"));
  result.Set("root_sha256", Value::String(EncodeHex(std::vector<uint8_t>(
                                digest, digest + sizeof(digest)))));
  result.Set("region", Value::String(ca->region()));
  cli::PrintResult(result, *ctx.output, out);
  return kExitOk;
}

int RunAttestationSimulate(const SimulateFlags& flags,
                           const CommandContext& ctx) {
  std::ostream& out = *ctx.out;
  std::ostream& err = *ctx.err;
  auto usage = [&](const std::string& m) {
    return UsageError(ctx, "tssctl attestation simulate", m);
  };
  auto ca = att::DevCa::LoadFromDirectory(flags.ca_dir);
  if (!ca.ok()) return usage(absl::StrCat("--ca-dir: ", ca.status().message()));
  att::SimulatedNsmConfig config;
  if (flags.instance_id_opt->count() > 0)
    config.instance_id = flags.instance_id;
  config.debug_mode = flags.debug;
  const bool any_pcr = flags.pcr_opt[0]->count() > 0 ||
                       flags.pcr_opt[1]->count() > 0 ||
                       flags.pcr_opt[2]->count() > 0;
  if (any_pcr) {
    att::BootMeasurements m = att::MeasureEnclaveImage({});
    std::vector<uint8_t>* targets[] = {&m.pcr0, &m.pcr1, &m.pcr2};
    const char* names[] = {"pcr0", "pcr1", "pcr2"};
    for (int i = 0; i < 3; ++i) {
      if (flags.pcr_opt[i]->count() == 0) continue;
      auto v = DecodeHex(flags.pcr[i]);
      if (!v.ok() || v->size() != att::kPcrBytes) {
        return usage(absl::StrCat("--", names[i], " needs 96 hex digits"));
      }
      *targets[i] = std::move(*v);
    }
    config.measurements = std::move(m);
  }
  std::optional<std::vector<uint8_t>> nonce, user_data, public_key;
  struct HexFlag {
    const char* name;
    const CLI::Option* opt;
    const std::string* value;
    std::optional<std::vector<uint8_t>>* target;
  };
  for (const HexFlag& f :
       {HexFlag{"nonce", flags.nonce_opt, &flags.nonce, &nonce},
        HexFlag{"user-data", flags.user_data_opt, &flags.user_data,
                &user_data}}) {
    if (f.opt->count() == 0) continue;
    auto v = DecodeHex(*f.value);
    if (!v.ok())
      return usage(absl::StrCat("--", f.name, ": ", v.status().message()));
    *f.target = std::move(*v);
  }
  if (flags.public_key_opt->count() > 0) {
    auto v = ReadFileLimited(flags.public_key, att::kMaxOptionalFieldBytes);
    if (!v.ok()) {
      return usage(absl::StrCat("--public-key: ", v.status().message()));
    }
    public_key = std::move(*v);
  }
  auto nsm = att::SimulatedNsm::Boot(*ca, config);
  if (!nsm.ok()) return usage(std::string(nsm.status().message()));
  auto doc = (*nsm)->GetAttestationDocument(user_data, nonce, public_key);
  if (!doc.ok()) return usage(std::string(doc.status().message()));
  std::ofstream file(flags.out, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(doc->data()),
             static_cast<std::streamsize>(doc->size()));
  file.close();
  if (!file) {
    err << "tssctl attestation simulate: --out: cannot write '" << flags.out
        << "'\n";
    return kExitFailure;
  }
  Value result = Value::MakeObject();
  result.Set("document", Value::String(flags.out));
  result.Set("bytes", Value::Int(static_cast<int64_t>(doc->size())));
  result.Set("module_id", Value::String((*nsm)->module_id()));
  Value pcrs = Value::MakeObject();
  for (uint16_t i : {0, 1, 2, 4}) {
    auto pcr = (*nsm)->DescribePcr(i);
    if (pcr.ok())
      pcrs.Set(absl::StrCat(i), Value::String(EncodeHex(pcr->value)));
  }
  result.Set("pcrs", std::move(pcrs));
  cli::PrintResult(result, *ctx.output, out);
  return kExitOk;
}

}  // namespace

void AddAttestationDevCommands(CLI::App& group, const CommandContext& ctx) {
  auto dev = std::make_shared<DevCaFlags>();
  CLI::App* dev_ca = group.add_subcommand(
      "dev-ca", "Generate a development attestation CA (local mode only)");
  dev_ca->footer(
      "Generates a DEVELOPMENT attestation CA (P-384 root -> regional -> "
      "zonal)\nand writes {root,regional,zonal}.{cert,key}.pem into DIR "
      "(created if\nmissing; keys unencrypted, mode 0600). Local services "
      "pin\nDIR/root.cert.pem. Never use for production.");
  cli::AddValue(*dev_ca, "--out", &dev->out, "DIR", "output directory")
      ->required();
  cli::AddValue(*dev_ca, "--region", &dev->region, "NAME",
                "region used in certificate names (default dev-local-1)");
  dev_ca->callback(
      [dev, ctx] { *ctx.exit_code = RunAttestationDevCa(*dev, ctx); });

  auto sim = std::make_shared<SimulateFlags>();
  CLI::App* simulate = group.add_subcommand(
      "simulate", "Produce a document from a simulated NSM (local mode only)");
  simulate->footer(
      "Boots a simulated NSM with the development CA in DIR and writes one\n"
      "attestation document (raw CBOR) to FILE.");
  cli::AddValue(*simulate, "--ca-dir", &sim->ca_dir, "DIR",
                "development CA written by 'dev-ca'")
      ->required();
  cli::AddValue(*simulate, "--out", &sim->out, "FILE", "output document")
      ->required();
  sim->instance_id_opt =
      cli::AddValue(*simulate, "--instance-id", &sim->instance_id, "ID",
                    "parent instance id (default i-00000000000000000)");
  for (int i = 0; i < 3; ++i) {
    sim->pcr_opt[i] =
        simulate
            ->add_option(absl::StrCat("--pcr", i), sim->pcr[i],
                         "image measurement (96 hex digits; default: "
                         "measurement of an empty image)")
            ->option_text("HEX");
  }
  cli::AddSwitch(*simulate, "--debug", &sim->debug,
                 "debug-mode enclave (PCR0..2 zero)");
  sim->nonce_opt =
      cli::AddValue(*simulate, "--nonce", &sim->nonce, "HEX", "nonce to embed");
  sim->user_data_opt = cli::AddValue(*simulate, "--user-data", &sim->user_data,
                                     "HEX", "user data to embed");
  sim->public_key_opt =
      cli::AddValue(*simulate, "--public-key", &sim->public_key, "FILE",
                    "public key (DER) to embed");
  simulate->callback(
      [sim, ctx] { *ctx.exit_code = RunAttestationSimulate(*sim, ctx); });
}

}  // namespace nitro_tss::tssctl
