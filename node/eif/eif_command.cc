#include "node/eif/eif_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/eif/eif.h"

namespace nitro_tss::eif {
namespace {

constexpr char kUsage[] =
    "Usage:\n"
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

int Fail(std::ostream& err, int code, absl::string_view message) {
  err << "tssctl eif: " << message << "\n";
  return code;
}

int RunPcrs(const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err) {
  if (args.size() != 2) {
    return Fail(err, kEifExitUsage, "usage: tssctl eif pcrs FILE");
  }
  const EifParseLimits limits;
  absl::StatusOr<std::string> bytes = ReadFile(args[1], limits.max_image_bytes);
  if (!bytes.ok()) return Fail(err, kEifExitUsage, bytes.status().ToString());
  absl::StatusOr<EifImage> image = ParseEif(*bytes, limits);
  if (!image.ok()) return Fail(err, kEifExitFailure, image.status().ToString());
  absl::StatusOr<EifPcrs> pcrs = ComputeEifPcrs(*image);
  if (!pcrs.ok()) return Fail(err, kEifExitFailure, pcrs.status().ToString());
  out << PcrsJson(*image, *pcrs) << "\n";
  return kEifExitOk;
}

int RunBuild(const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err) {
  const EifParseLimits limits;
  std::optional<std::string> kernel_path, cmdline, out_path, metadata_path;
  std::vector<std::string> ramdisk_paths;
  EifBuildSpec spec;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--arm64") {
      spec.flags |= kEifFlagArm64;
      continue;
    }
    if (i + 1 >= args.size()) {
      return Fail(err, kEifExitUsage, absl::StrCat(flag, " needs a value"));
    }
    const std::string& value = args[++i];
    if (flag == "--kernel") {
      kernel_path = value;
    } else if (flag == "--cmdline") {
      cmdline = value;
    } else if (flag == "--ramdisk") {
      ramdisk_paths.push_back(value);
    } else if (flag == "--metadata") {
      metadata_path = value;
    } else if (flag == "--out") {
      out_path = value;
    } else if (flag == "--memory") {
      uint64_t mib = 0;
      if (!absl::SimpleAtoi(value, &mib) || mib == 0 || mib > (1u << 24)) {
        return Fail(err, kEifExitUsage, "--memory needs a number of MiB");
      }
      spec.default_memory = mib << 20;
    } else if (flag == "--cpus") {
      if (!absl::SimpleAtoi(value, &spec.default_cpus) ||
          spec.default_cpus == 0) {
        return Fail(err, kEifExitUsage, "--cpus needs a number");
      }
    } else {
      return Fail(err, kEifExitUsage, absl::StrCat("unknown option ", flag));
    }
  }
  if (!kernel_path || !cmdline || ramdisk_paths.empty() || !out_path) {
    return Fail(err, kEifExitUsage,
                "build needs --kernel, --cmdline, --ramdisk and --out");
  }
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
  out << PcrsJson(*image, *pcrs) << "\n";
  return kEifExitOk;
}

}  // namespace

int RunEifCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kEifExitUsage;
  }
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      out << kUsage;
      return kEifExitOk;
    }
  }
  if (args[0] == "pcrs") return RunPcrs(args, out, err);
  if (args[0] == "build") return RunBuild(args, out, err);
  err << "tssctl eif: unknown subcommand " << args[0] << "\n" << kUsage;
  return kEifExitUsage;
}

}  // namespace nitro_tss::eif
