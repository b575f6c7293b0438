#include "tests/tools/tssctl/tssctl_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace nitro_tss::testing {

RunResult RunProgram(const std::vector<std::string>& argv) {
  RunResult result;
  ScratchDir io;
  const std::string out_path = io.File("stdout");
  const std::string err_path = io.File("stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(rc);
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

std::string TssctlPath() {
  const char* dir = std::getenv("NITRO_TSS_BINARY_DIR");
  return absl::StrCat(dir ? dir : "build", "/tools/tssctl/tssctl");
}

RunResult Tssctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TssctlPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv);
}

json::Value OutJson(const RunResult& run) {
  auto v = json::Parse(run.out);
  EXPECT_TRUE(v.ok()) << v.status() << "\nstdout: " << run.out
                      << "\nstderr: " << run.err;
  return v.ok() ? *v : json::Value();
}

std::string JsonString(const json::Value& v, const std::string& path) {
  const json::Value* cur = &v;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    cur = cur->is_object() ? cur->Find(part) : nullptr;
    if (cur == nullptr) {
      ADD_FAILURE() << "no " << path << " in the output";
      return "";
    }
  }
  if (!cur->is_string()) {
    ADD_FAILURE() << path << " is not a string";
    return "";
  }
  return cur->AsString();
}

ScratchDir::ScratchDir() {
  std::string tmpl = ::testing::TempDir() + "/tssctl_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
  }
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  ASSERT_TRUE(f.good()) << path;
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& content) {
  WriteFile(path, std::string(content.begin(), content.end()));
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f),
                     std::istreambuf_iterator<char>());
}

std::string Hex(const std::vector<uint8_t>& bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::vector<uint8_t> FromHex(const std::string& hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(b.begin(), b.end());
}

}  // namespace nitro_tss::testing
