// `make demo` (scripts/demo.sh) end to end, as a test: the whole local
// cluster over its production paths (coordinator API over mTLS, coordinator
// to each tss-host's inbound mTLS listener, enclaves to tss-kms-local
// through the hosts' outbound proxies), a DKG through `tssctl keys create`,
// approvals made by `tssctl approve`, `tssctl sign`, and the signature
// checked by `tssctl verify` and OpenSSL. The script stops everything it
// started, also on failure.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

TEST(DemoTest, MakeDemoSignsAndTheSignatureVerifies) {
  const char* bin = std::getenv("NITRO_TSS_BINARY_DIR");
  const std::string build = bin != nullptr ? bin : "build";
  char dir[] = "/tmp/nitro-demo-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string cmd = "DEMO_DIR=" + std::string(dir) +
                          " bash scripts/demo.sh " + build + " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = ::pclose(f);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("verdict: valid"), std::string::npos) << out;
  EXPECT_NE(out.find("Verified OK"), std::string::npos) << out;
  EXPECT_NE(out.find("refused: tssctl nodes list: UNAVAILABLE"),
            std::string::npos)
      << "a client certificate from another CA must be refused\n"
      << out;
  EXPECT_NE(out.find("first_response: false"), std::string::npos)
      << "the second `tssctl sign` with the same request id is answered "
         "from the store\n"
      << out;
  std::system(("rm -rf " + std::string(dir)).c_str());
}

}  // namespace
