// Runs the real `tssctl eif ...` binary (tools/tssctl dispatcher -> node/eif).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "node/eif/eif.h"

namespace nitro_tss::eif {
namespace {

using ::testing::HasSubstr;

struct RunResult {
  int exit_code = -1;
  std::string out;
};

std::string TssctlPath() {
  const char* dir = std::getenv("NITRO_TSS_BINARY_DIR");
  return std::string(dir ? dir : "build") + "/tools/tssctl/tssctl";
}

RunResult Tssctl(const std::string& args) {
  RunResult r;
  const std::string cmd = TssctlPath() + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    r.out.append(buf.data(), n);
  }
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class TssctlEifTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tssctl_eif_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(TssctlEifTest, BuildThenPcrsThroughTheBinary) {
  ASSERT_TRUE(std::filesystem::exists(TssctlPath())) << TssctlPath();
  const std::string kernel = Write("kernel", "kernel image bytes");
  const std::string boot = Write("boot", "bootstrap initramfs");
  const std::string app = Write("app", "application initramfs");
  const std::string out = (dir_ / "image.eif").string();
  RunResult built = Tssctl("eif build --kernel " + kernel +
                           " --cmdline console=ttyS0 --ramdisk " + boot +
                           " --ramdisk " + app + " --out " + out);
  ASSERT_EQ(built.exit_code, 0);
  RunResult pcrs = Tssctl("eif pcrs " + out);
  ASSERT_EQ(pcrs.exit_code, 0);
  EXPECT_EQ(pcrs.out, built.out);

  std::ifstream in(out, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  const EifPcrs expected = *ComputeEifPcrs(*ParseEif(bytes));
  const std::string hex0 = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(expected.pcr0.data()), 48));
  EXPECT_THAT(pcrs.out, HasSubstr("{\"PCR0\":\"" + hex0 + "\""));
  EXPECT_THAT(pcrs.out, HasSubstr("\"sections\":[{\"type\":\"kernel\""));
}

TEST_F(TssctlEifTest, ExitCodes) {
  EXPECT_EQ(Tssctl("eif --help").exit_code, 0);
  EXPECT_THAT(Tssctl("eif --help").out, HasSubstr("tssctl eif pcrs FILE"));
  EXPECT_THAT(Tssctl("--help").out, HasSubstr("eif"));
  EXPECT_EQ(Tssctl("eif").exit_code, 2);
  EXPECT_EQ(Tssctl("eif pcrs " + (dir_ / "absent.eif").string()).exit_code, 2);
  const std::string junk = Write("junk.eif", std::string(600, 'x'));
  RunResult bad = Tssctl("eif pcrs " + junk);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(bad.out.empty());
}

}  // namespace
}  // namespace nitro_tss::eif
