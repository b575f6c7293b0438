// tss-enclave's configuration checks (ValidateEnclaveConfig): every error
// names its field.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/proto_config.h"
#include "node/enclave/setup.h"

namespace nitro_tss::enclave {
namespace {

const std::string kPcr(96, 'a');

// A valid local-mode configuration (simulated NSM).
EnclaveConfig LocalConfig() {
  EnclaveConfig c;
  absl::Status s = ::nitro_tss::config::ParseProtoConfig(
      absl::StrCat(
          "listen: \"unix:///tmp/e.sock\"\n",
          "host_service: \"unix:///tmp/h.sock\"\n",
          "nsm { simulated { dev_ca_dir: \"/tmp/ca\" pcr0: \"", kPcr,
          "\" pcr1: \"", kPcr, "\" pcr2: \"", kPcr, "\" } }\n",
          "attestation { root_pem_file: \"/tmp/root.pem\" allowed_images { "
          "pcrs { key: 0 value: \"",
          kPcr, "\" } } }\n",
          "kms { region: \"us-east-1\" key_id: \"alias/x\" endpoint: "
          "\"http://127.0.0.1:4599\" proxy: \"unix:///tmp/kms.sock\" }\n"),
      "test", &c);
  EXPECT_TRUE(s.ok()) << s;
  return c;
}

// "<field>: ..." as INVALID_ARGUMENT.
::testing::AssertionResult NamesField(const absl::Status& s,
                                      const std::string& field) {
  if (s.code() == absl::StatusCode::kInvalidArgument &&
      absl::StartsWith(s.message(), field + ": ")) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected an error naming " << field << ", got " << s;
}

TEST(EnclaveConfig, LocalConfigIsValid) {
  absl::Status s = ValidateEnclaveConfig(LocalConfig());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(EnclaveConfig, LockedMemorySizeIsBounded) {
  EnclaveConfig c = LocalConfig();
  c.mutable_limits()->set_locked_memory_bytes((1 << 20) - 1);
  EXPECT_TRUE(
      NamesField(ValidateEnclaveConfig(c), "limits.locked_memory_bytes"));
  c.mutable_limits()->set_locked_memory_bytes((16ull << 30) + 1);
  EXPECT_TRUE(
      NamesField(ValidateEnclaveConfig(c), "limits.locked_memory_bytes"));
  c.mutable_limits()->set_locked_memory_bytes(64 << 20);
  EXPECT_TRUE(ValidateEnclaveConfig(c).ok());
}

}  // namespace
}  // namespace nitro_tss::enclave
