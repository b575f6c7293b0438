#include "tools/tssctl/cli.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::tssctl {
namespace {

void PrintTopUsage(const std::vector<CommandGroup>& groups, std::ostream& os) {
  os << "Usage: tssctl <group> <command> [flags]\n\n"
        "nitro-tss operator CLI. Results are JSON on stdout.\n"
        "Exit codes: 0 success, 1 negative result, 2 usage error.\n\n"
        "Groups:\n";
  for (const auto& g : groups) {
    os << "  " << g.name
       << std::string(g.name.size() < 14 ? 14 - g.name.size() : 1, ' ')
       << g.summary << "\n";
  }
  os << "\nRun 'tssctl <group> --help' for the commands of a group.\n";
}

}  // namespace

int RunTssctl(const std::vector<CommandGroup>& groups,
              const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err) {
  if (args.empty()) {
    PrintTopUsage(groups, err);
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintTopUsage(groups, out);
    return kExitOk;
  }
  for (const auto& g : groups) {
    if (g.name == args[0]) {
      return g.run(std::vector<std::string>(args.begin() + 1, args.end()), out,
                   err);
    }
  }
  err << "tssctl: unknown group '" << args[0] << "'\n\n";
  PrintTopUsage(groups, err);
  return kExitUsage;
}

void FlagParser::AddValueFlag(const std::string& name) {
  declared_[name] = true;
}

void FlagParser::AddBoolFlag(const std::string& name) {
  declared_[name] = false;
}

absl::Status FlagParser::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it = declared_.find(name);
    if (it == declared_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '--", name, "'"));
    }
    if (!it->second) {
      if (inline_value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag '--", name, "' takes no value"));
      }
      values_[name].push_back("");
      continue;
    }
    if (inline_value.has_value()) {
      values_[name].push_back(*inline_value);
    } else if (i + 1 < args.size()) {
      values_[name].push_back(args[++i]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag '--", name, "' needs a value"));
    }
  }
  return absl::OkStatus();
}

bool FlagParser::Has(const std::string& name) const {
  return values_.count(name) > 0;
}

std::string FlagParser::Value(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? "" : it->second.back();
}

std::vector<std::string> FlagParser::Values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<std::vector<uint8_t>> ReadFileLimited(const std::string& path,
                                                     size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open '", path, "'"));
  }
  std::vector<uint8_t> data;
  char buf[4096];
  while (in) {
    in.read(buf, sizeof(buf));
    const size_t n = static_cast<size_t>(in.gcount());
    if (data.size() + n > max_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "' is larger than the limit of ", max_bytes, " bytes"));
    }
    data.insert(data.end(), buf, buf + n);
  }
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
  }
  return data;
}

absl::StatusOr<std::vector<uint8_t>> DecodeHex(const std::string& hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("hex string has an odd length");
  }
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("hex string has a non-hex character");
    }
  }
  const std::string bytes = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::string EncodeHex(const std::vector<uint8_t>& bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace nitro_tss::tssctl
