// `tssctl attestation dev-ca` and `tssctl attestation simulate`: local-mode
// helpers around DevCa and SimulatedNsm (development only).
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/measurement.h"
#include "node/attestation/simulated_nsm.h"
#include "common/json.h"
#include "tools/tssctl/attestation_command.h"

namespace nitro_tss::tssctl {
namespace {

namespace att = nitro_tss::attestation;
using json::Value;

constexpr char kDevCaUsage[] =
    "Usage: tssctl attestation dev-ca --out DIR [--region NAME]\n\n"
    "Generates a DEVELOPMENT attestation CA (P-384 root -> regional -> zonal)\n"
    "and writes {root,regional,zonal}.{cert,key}.pem into DIR (created if\n"
    "missing; keys unencrypted, mode 0600). Local services pin\n"
    "DIR/root.cert.pem. Never use for production.\n\n"
    "Flags:\n"
    "  --out DIR        output directory, required\n"
    "  --region NAME    region used in certificate names (default "
    "dev-local-1)\n"
    "  --help           this text\n";

constexpr char kSimulateUsage[] =
    "Usage: tssctl attestation simulate --ca-dir DIR --out FILE [flags]\n\n"
    "Boots a simulated NSM with the development CA in DIR and writes one\n"
    "attestation document (raw CBOR) to FILE.\n\n"
    "Flags:\n"
    "  --ca-dir DIR          development CA written by 'dev-ca', required\n"
    "  --out FILE            output document, required\n"
    "  --instance-id ID      parent instance id (default "
    "i-00000000000000000)\n"
    "  --pcr0/--pcr1/--pcr2 HEX   image measurements (96 hex digits each;\n"
    "                        default: measurement of an empty image)\n"
    "  --debug               debug-mode enclave (PCR0..2 zero)\n"
    "  --nonce HEX           nonce to embed\n"
    "  --user-data HEX       user data to embed\n"
    "  --public-key FILE     public key (DER) to embed\n"
    "  --help                this text\n";

int UsageError(std::ostream& err, const char* command, const char* usage,
               const std::string& message) {
  err << "tssctl attestation " << command << ": " << message << "\n\n" << usage;
  return kExitUsage;
}

}  // namespace

int RunAttestationDevCa(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  FlagParser flags;
  flags.AddValueFlag("out");
  flags.AddValueFlag("region");
  flags.AddBoolFlag("help");
  if (auto s = flags.Parse(args); !s.ok()) {
    return UsageError(err, "dev-ca", kDevCaUsage, std::string(s.message()));
  }
  if (flags.Has("help")) {
    out << kDevCaUsage;
    return kExitOk;
  }
  if (!flags.Has("out")) {
    return UsageError(err, "dev-ca", kDevCaUsage, "--out is required");
  }
  const std::string dir = flags.Value("out");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return UsageError(err, "dev-ca", kDevCaUsage,
                      absl::StrCat("cannot create '", dir, "'"));
  }
  auto ca = att::DevCa::Generate(att::WallClockMs(), flags.Has("region")
                                                         ? flags.Value("region")
                                                         : "dev-local-1");
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
  out << json::Serialize(result) << "\n";
  return kExitOk;
}

int RunAttestationSimulate(const std::vector<std::string>& args,
                           std::ostream& out, std::ostream& err) {
  FlagParser flags;
  for (const char* f : {"ca-dir", "out", "instance-id", "pcr0", "pcr1", "pcr2",
                        "nonce", "user-data", "public-key"}) {
    flags.AddValueFlag(f);
  }
  flags.AddBoolFlag("debug");
  flags.AddBoolFlag("help");
  auto usage = [&](const std::string& m) {
    return UsageError(err, "simulate", kSimulateUsage, m);
  };
  if (auto s = flags.Parse(args); !s.ok())
    return usage(std::string(s.message()));
  if (flags.Has("help")) {
    out << kSimulateUsage;
    return kExitOk;
  }
  if (!flags.Has("ca-dir") || !flags.Has("out")) {
    return usage("--ca-dir and --out are required");
  }
  auto ca = att::DevCa::LoadFromDirectory(flags.Value("ca-dir"));
  if (!ca.ok()) return usage(std::string(ca.status().message()));
  att::SimulatedNsmConfig config;
  if (flags.Has("instance-id")) config.instance_id = flags.Value("instance-id");
  config.debug_mode = flags.Has("debug");
  const bool any_pcr =
      flags.Has("pcr0") || flags.Has("pcr1") || flags.Has("pcr2");
  if (any_pcr) {
    att::BootMeasurements m = att::MeasureEnclaveImage({});
    std::vector<uint8_t>* targets[] = {&m.pcr0, &m.pcr1, &m.pcr2};
    const char* names[] = {"pcr0", "pcr1", "pcr2"};
    for (int i = 0; i < 3; ++i) {
      if (!flags.Has(names[i])) continue;
      auto v = DecodeHex(flags.Value(names[i]));
      if (!v.ok() || v->size() != att::kPcrBytes) {
        return usage(absl::StrCat("--", names[i], " needs 96 hex digits"));
      }
      *targets[i] = std::move(*v);
    }
    config.measurements = std::move(m);
  }
  std::optional<std::vector<uint8_t>> nonce, user_data, public_key;
  for (auto [name, target] :
       {std::pair<const char*, std::optional<std::vector<uint8_t>>*>{"nonce",
                                                                     &nonce},
        {"user-data", &user_data}}) {
    if (!flags.Has(name)) continue;
    auto v = DecodeHex(flags.Value(name));
    if (!v.ok())
      return usage(absl::StrCat("--", name, ": ", v.status().message()));
    *target = std::move(*v);
  }
  if (flags.Has("public-key")) {
    auto v =
        ReadFileLimited(flags.Value("public-key"), att::kMaxOptionalFieldBytes);
    if (!v.ok()) return usage(std::string(v.status().message()));
    public_key = std::move(*v);
  }
  auto nsm = att::SimulatedNsm::Boot(*ca, config);
  if (!nsm.ok()) return usage(std::string(nsm.status().message()));
  auto doc = (*nsm)->GetAttestationDocument(user_data, nonce, public_key);
  if (!doc.ok()) return usage(std::string(doc.status().message()));
  std::ofstream file(flags.Value("out"), std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(doc->data()),
             static_cast<std::streamsize>(doc->size()));
  file.close();
  if (!file) {
    err << "tssctl: cannot write '" << flags.Value("out") << "'\n";
    return kExitFailure;
  }
  Value result = Value::MakeObject();
  result.Set("document", Value::String(flags.Value("out")));
  result.Set("bytes", Value::Int(static_cast<int64_t>(doc->size())));
  result.Set("module_id", Value::String((*nsm)->module_id()));
  Value pcrs = Value::MakeObject();
  for (uint16_t i : {0, 1, 2, 4}) {
    auto pcr = (*nsm)->DescribePcr(i);
    if (pcr.ok())
      pcrs.Set(absl::StrCat(i), Value::String(EncodeHex(pcr->value)));
  }
  result.Set("pcrs", std::move(pcrs));
  out << json::Serialize(result) << "\n";
  return kExitOk;
}

}  // namespace nitro_tss::tssctl
