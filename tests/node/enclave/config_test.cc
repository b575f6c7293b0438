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

// A valid AWS configuration (the NSM device): KMS of the region by its
// default endpoint, through the host's vsock proxy.
EnclaveConfig AwsConfig() {
  EnclaveConfig c = LocalConfig();
  c.mutable_nsm()->mutable_device();
  c.set_listen("vsock://4294967295:5000");
  c.set_host_service("vsock://3:5001");
  c.mutable_kms()->set_endpoint("");
  c.mutable_kms()->set_proxy("vsock://3:8000");
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

TEST(EnclaveConfig, LinkMaxAgeIsBounded) {
  EnclaveConfig c = LocalConfig();
  c.mutable_attestation()->set_link_max_age_ms(999);
  EXPECT_TRUE(
      NamesField(ValidateEnclaveConfig(c), "attestation.link_max_age_ms"));
  c.mutable_attestation()->set_link_max_age_ms(604800001);
  EXPECT_TRUE(
      NamesField(ValidateEnclaveConfig(c), "attestation.link_max_age_ms"));
  for (uint64_t ok : {uint64_t{0}, uint64_t{1000}, uint64_t{604800000}}) {
    c.mutable_attestation()->set_link_max_age_ms(ok);
    EXPECT_TRUE(ValidateEnclaveConfig(c).ok()) << ok;
  }
}

TEST(EnclaveConfig, PresignThreadsAreBounded) {
  EnclaveConfig c = LocalConfig();
  c.mutable_presign()->set_threads(17);
  EXPECT_TRUE(NamesField(ValidateEnclaveConfig(c), "presign.threads"));
  for (uint32_t ok : {0u, 1u, 2u, 16u}) {
    c.mutable_presign()->set_threads(ok);
    EXPECT_TRUE(ValidateEnclaveConfig(c).ok()) << ok;
  }
}

TEST(EnclaveConfig, AwsConfigIsValid) {
  EnclaveConfig c = AwsConfig();
  EXPECT_TRUE(ValidateEnclaveConfig(c).ok()) << ValidateEnclaveConfig(c);
  for (const char* endpoint : {"https://kms.us-east-1.amazonaws.com",
                               "https://kms.us-east-1.amazonaws.com:443/",
                               "https://kms-fips.us-east-1.amazonaws.com"}) {
    c.mutable_kms()->set_endpoint(endpoint);
    EXPECT_TRUE(ValidateEnclaveConfig(c).ok()) << endpoint;
  }
  c.mutable_kms()->set_region("cn-north-1");
  c.mutable_kms()->set_endpoint("https://kms.cn-north-1.amazonaws.com.cn");
  EXPECT_TRUE(ValidateEnclaveConfig(c).ok()) << ValidateEnclaveConfig(c);
}

// R10 (docs/AUDIT.md): outside local mode the KMS destination is pinned.
TEST(EnclaveConfig, PlainHttpKmsIsRefusedOutsideLocalMode) {
  EnclaveConfig c = AwsConfig();
  c.mutable_kms()->set_endpoint("http://kms.us-east-1.amazonaws.com");
  absl::Status s = ValidateEnclaveConfig(c);
  EXPECT_TRUE(NamesField(s, "kms.endpoint"));
  EXPECT_TRUE(absl::StrContains(s.message(), "plain http:// is refused")) << s;
  // Local mode keeps http to tss-kms-local.
  EXPECT_TRUE(ValidateEnclaveConfig(LocalConfig()).ok());
}

TEST(EnclaveConfig, OnlyAwsKmsOfTheRegionIsADestination) {
  for (const char* endpoint :
       {"https://kms.us-west-2.amazonaws.com",  // another region
        "https://kms.us-east-1.amazonaws.com.attacker.example",
        "https://kms.us-east-1.amazonaws.com:8443",
        "https://kms.us-east-1.amazonaws.com/path", "https://127.0.0.1",
        "https://kms.internal.example"}) {
    EnclaveConfig c = AwsConfig();
    c.mutable_kms()->set_endpoint(endpoint);
    EXPECT_TRUE(NamesField(ValidateEnclaveConfig(c), "kms.endpoint"))
        << endpoint;
  }
  EnclaveConfig c = AwsConfig();
  c.mutable_kms()->set_region("us-east-1/../x");
  EXPECT_TRUE(NamesField(ValidateEnclaveConfig(c), "kms.region"));
}

TEST(EnclaveConfig, NoCaBundleAndNoDirectConnectionOutsideLocalMode) {
  EnclaveConfig c = AwsConfig();
  c.mutable_kms()->set_ca_file("/etc/attacker-ca.pem");
  EXPECT_TRUE(NamesField(ValidateEnclaveConfig(c), "kms.ca_file"));
  c = AwsConfig();
  c.mutable_kms()->clear_proxy();
  EXPECT_TRUE(NamesField(ValidateEnclaveConfig(c), "kms.proxy"));
  // Both are allowed in local mode.
  c = LocalConfig();
  c.mutable_kms()->set_ca_file("/tmp/dev-ca.pem");
  c.mutable_kms()->clear_proxy();
  EXPECT_TRUE(ValidateEnclaveConfig(c).ok()) << ValidateEnclaveConfig(c);
}

}  // namespace
}  // namespace nitro_tss::enclave
