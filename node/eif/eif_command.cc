#include "node/eif/eif_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "node/eif/eif.h"

namespace nitro_tss::eif {
namespace {

constexpr char kUsage[] =
    "Commands:\n"
    "  tssctl eif pcrs FILE\n"
    "      Parse and validate the enclave image FILE (magic, layout, CRC32)\n"
    "      and print its measurements as JSON:\n"
    "      {\"PCR0\",\"PCR1\",\"PCR2\"[,\"PCR8\"],\"version\",\"flags\",\n"
    "       \"default_memory\",\"default_cpus\",\"crc32\",\"sections\"}\n"
    "  tssctl eif build --kernel FILE --cmdline STRING --ramdisk FILE\n"
    "                   [--ramdisk FILE ...] [--metadata FILE]\n"
    "                   [--memory MIB] [--cpus N] [--arm64] --out FILE\n"
    "      Write an EIF (version 4) and print its PCRs as JSON. The header's\n"
    "      default memory (stored in bytes) and vCPUs default to 1024 MiB\n"
    "      and 2, as with nitro-cli.\n"
    "\n"
    "Exit status: 0 success, 1 invalid image or input, 2 bad arguments or\n"
    "unreadable file.\n";

std::string Hex(const Pcr& pcr) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(pcr.data()), pcr.size()));
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     uint64_t max_bytes) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", path, ": ", ec.message()));
  }
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is ", size, " bytes, more than the limit of ", max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)) ||
      in.peek() != std::char_traits<char>::eof()) {
    return absl::DataLossError(
        absl::StrCat("short or changing read of ", path));
  }
  return data;
}

std::string PcrsJson(const EifImage& image, const EifPcrs& pcrs) {
  std::string json =
      absl::StrCat("{\"PCR0\":\"", Hex(pcrs.pcr0), "\",\"PCR1\":\"",
                   Hex(pcrs.pcr1), "\",\"PCR2\":\"", Hex(pcrs.pcr2), "\"");
  if (pcrs.pcr8) absl::StrAppend(&json, ",\"PCR8\":\"", Hex(*pcrs.pcr8), "\"");
  absl::StrAppend(&json, ",\"version\":", image.version,
                  ",\"flags\":", image.flags, ",\"arch\":\"",
                  (image.flags & kEifFlagArm64) ? "aarch64" : "x86_64",
                  "\",\"default_memory\":", image.default_memory,
                  ",\"default_cpus\":", image.default_cpus, ",\"crc32\":\"",
                  absl::Hex(image.crc32, absl::kZeroPad8), "\",\"sections\":[");
  for (size_t i = 0; i < image.sections.size(); ++i) {
    const EifSection& s = image.sections[i];
    absl::StrAppend(&json, i ? "," : "", "{\"type\":\"",
                    EifSectionTypeName(s.type), "\",\"offset\":", s.offset,
                    ",\"size\":", s.data.size(), "}");
  }
  absl::StrAppend(&json, "]}");
  return json;
}

// Prints the PCR document as JSON (as built) or, with --output text, as
// "path: value" lines.
void PrintPcrs(const std::string& json, cli::Output output, std::ostream& out) {
  if (output == cli::Output::kJson) {
    out << json << "\n";
    return;
  }
  absl::StatusOr<json::Value> v = json::Parse(json);
  if (v.ok()) cli::PrintResult(*v, output, out);
}

int Fail(std::ostream& err, int code, absl::string_view message) {
  err << "tssctl eif: " << message << "\n";
  return code;
}

int RunPcrs(const std::string& path, cli::Output output, std::ostream& out,
            std::ostream& err) {
  const EifParseLimits limits;
  absl::StatusOr<std::string> bytes = ReadFile(path, limits.max_image_bytes);
  if (!bytes.ok()) return Fail(err, kEifExitUsage, bytes.status().ToString());
  absl::StatusOr<EifImage> image = ParseEif(*bytes, limits);
  if (!image.ok()) return Fail(err, kEifExitFailure, image.status().ToString());
  absl::StatusOr<EifPcrs> pcrs = ComputeEifPcrs(*image);
  if (!pcrs.ok()) return Fail(err, kEifExitFailure, pcrs.status().ToString());
  PrintPcrs(PcrsJson(*image, *pcrs), output, out);
  return kEifExitOk;
}

struct BuildFlags {
  std::string kernel;
  std::string cmdline;
  std::vector<std::string> ramdisks;
  std::string metadata;
  CLI::Option* metadata_opt = nullptr;
  std::string out;
  uint64_t memory_mib = 1024;
  CLI::Option* memory_opt = nullptr;
  uint16_t cpus = 2;
  CLI::Option* cpus_opt = nullptr;
  bool arm64 = false;
};

int RunBuild(const BuildFlags& flags, cli::Output output, std::ostream& out,
             std::ostream& err) {
  const EifParseLimits limits;
  EifBuildSpec spec;
  if (flags.arm64) spec.flags |= kEifFlagArm64;
  if (flags.memory_opt->count() > 0) {
    if (flags.memory_mib == 0 || flags.memory_mib > (1u << 24)) {
      return Fail(err, kEifExitUsage, "--memory needs a number of MiB");
    }
    spec.default_memory = flags.memory_mib << 20;
  }
  if (flags.cpus_opt->count() > 0) {
    if (flags.cpus == 0)
      return Fail(err, kEifExitUsage, "--cpus needs a number");
    spec.default_cpus = flags.cpus;
  }
  const std::string* cmdline = &flags.cmdline;
  const std::string* kernel_path = &flags.kernel;
  const std::string* out_path = &flags.out;
  const std::vector<std::string>& ramdisk_paths = flags.ramdisks;
  const std::string* metadata_path =
      flags.metadata_opt->count() > 0 ? &flags.metadata : nullptr;
  if (cmdline->size() > limits.max_cmdline_bytes) {
    return Fail(err, kEifExitFailure, "--cmdline is too long");
  }
  spec.cmdline = *cmdline;
  absl::StatusOr<std::string> kernel =
      ReadFile(*kernel_path, limits.max_kernel_bytes);
  if (!kernel.ok()) return Fail(err, kEifExitUsage, kernel.status().ToString());
  spec.kernel = *std::move(kernel);
  for (const std::string& path : ramdisk_paths) {
    absl::StatusOr<std::string> ramdisk =
        ReadFile(path, limits.max_ramdisk_bytes);
    if (!ramdisk.ok()) {
      return Fail(err, kEifExitUsage, ramdisk.status().ToString());
    }
    spec.ramdisks.push_back(*std::move(ramdisk));
  }
  if (metadata_path) {
    absl::StatusOr<std::string> metadata =
        ReadFile(*metadata_path, limits.max_metadata_bytes);
    if (!metadata.ok()) {
      return Fail(err, kEifExitUsage, metadata.status().ToString());
    }
    spec.metadata = *std::move(metadata);
  }
  absl::StatusOr<std::string> eif = BuildEif(spec);
  if (!eif.ok()) return Fail(err, kEifExitFailure, eif.status().ToString());
  // Re-read what we wrote through the strict parser before reporting PCRs.
  absl::StatusOr<EifImage> image = ParseEif(*eif, limits);
  if (!image.ok()) return Fail(err, kEifExitFailure, image.status().ToString());
  absl::StatusOr<EifPcrs> pcrs = ComputeEifPcrs(*image);
  if (!pcrs.ok()) return Fail(err, kEifExitFailure, pcrs.status().ToString());
  const std::string tmp = *out_path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file.write(eif->data(), static_cast<std::streamsize>(eif->size())) ||
        !file.flush()) {
      std::remove(tmp.c_str());
      return Fail(err, kEifExitFailure, absl::StrCat("cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), out_path->c_str()) != 0) {
    std::remove(tmp.c_str());
    return Fail(err, kEifExitFailure,
                absl::StrCat("cannot rename ", tmp, " to ", *out_path));
  }
  PrintPcrs(PcrsJson(*image, *pcrs), output, out);
  return kEifExitOk;
}

}  // namespace

void AddEifCommands(CLI::App& eif, const cli::CommandContext& ctx) {
  eif.require_subcommand(1);
  eif.footer(kUsage);

  auto pcrs_path = std::make_shared<std::string>();
  CLI::App* pcrs = eif.add_subcommand(
      "pcrs", "Validate an enclave image and print its measurements");
  pcrs->add_option("FILE", *pcrs_path, "enclave image file")->required();
  pcrs->callback([pcrs_path, ctx] {
    *ctx.exit_code = RunPcrs(*pcrs_path, *ctx.output, *ctx.out, *ctx.err);
  });

  auto flags = std::make_shared<BuildFlags>();
  CLI::App* build =
      eif.add_subcommand("build", "Write an EIF and print its PCRs");
  cli::AddValue(*build, "--kernel", &flags->kernel, "FILE", "kernel image")
      ->required();
  cli::AddValue(*build, "--cmdline", &flags->cmdline, "STRING",
                "kernel command line")
      ->required();
  cli::AddValue(*build, "--ramdisk", &flags->ramdisks, "FILE",
                "ramdisk (repeatable, in boot order)")
      ->required();
  flags->metadata_opt = cli::AddValue(*build, "--metadata", &flags->metadata,
                                      "FILE", "metadata section (JSON)");
  cli::AddValue(*build, "--out", &flags->out, "FILE", "EIF to write")
      ->required();
  flags->memory_opt = cli::AddValue(*build, "--memory", &flags->memory_mib,
                                    "MIB", "default memory (default 1024)");
  flags->cpus_opt = cli::AddValue(*build, "--cpus", &flags->cpus, "N",
                                  "default vCPUs (default 2)");
  cli::AddSwitch(*build, "--arm64", &flags->arm64, "aarch64 image");
  build->callback([flags, ctx] {
    *ctx.exit_code = RunBuild(*flags, *ctx.output, *ctx.out, *ctx.err);
  });
}

int RunEifCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err) {
  CLI::App app("Inspect and build enclave image files (PCRs)", "tssctl eif");
  app.fallthrough();
  cli::Output output = cli::Output::kJson;
  cli::AddOutputOption(app, &output);
  int exit_code = kEifExitOk;
  AddEifCommands(app, cli::CommandContext{&out, &err, &output, &exit_code});
  if (auto code = cli::Parse(app, args, out, err); code.has_value()) {
    return *code;
  }
  return exit_code;
}

}  // namespace nitro_tss::eif
