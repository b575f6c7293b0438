#include "tools/tssctl/cli.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::tssctl {

int RunTssctl(const std::vector<GroupRegistrar>& groups,
              const std::vector<std::string>& args, std::ostream& out,
              std::ostream& err, cli::Output default_output) {
  CLI::App app(
      "nitro-tss operator CLI. Results on stdout: text on a terminal, JSON "
      "otherwise (--output to choose).",
      "tssctl");
  app.footer(
      "Exit codes: 0 success, 1 negative result, 2 usage error.\n"
      "Run 'tssctl <group> --help' for the commands of a group.");
  app.require_subcommand(1);
  // Top-level options (--output) may also follow the subcommand's flags.
  app.fallthrough();
  cli::AddVersionFlag(app);
  cli::Output output = default_output;
  cli::AddOutputOption(app, &output,
                       "result format: text (default on a terminal) or json "
                       "(default otherwise)");
  int exit_code = kExitOk;
  const CommandContext ctx{&out, &err, &output, &exit_code};
  for (const GroupRegistrar& group : groups) group(app, ctx);
  if (auto code = cli::Parse(app, args, out, err); code.has_value()) {
    return *code;
  }
  return exit_code;
}

int UsageError(const CommandContext& ctx, const std::string& command,
               const std::string& message) {
  return cli::UsageError(*ctx.err, command, message);
}

absl::StatusOr<std::vector<uint8_t>> ReadFileLimited(const std::string& path,
                                                     size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open '", path, "'"));
  }
  std::vector<uint8_t> data;
  // Key files pass through here: reserve once (no reallocation leaves
  // copies behind) and wipe the stack buffer on every return.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0)
    data.reserve(std::min<size_t>(static_cast<size_t>(size), max_bytes) + 1);
  char buf[4096];
  struct Wipe {
    char* p;
    size_t n;
    ~Wipe() { OPENSSL_cleanse(p, n); }
  } wipe{buf, sizeof(buf)};
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
