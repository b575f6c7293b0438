#include "node/enclave/setup.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/proto_config.h"
#include "common/status_macros.h"
#include "mpc/gg20/presign.h"
#include "mpc/math/locked_memory.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/measurement.h"
#include "node/attestation/nsm_device.h"
#include "node/attestation/simulated_nsm.h"
#include "node/attestation/verifier.h"
#include "node/attestation/x509_util.h"
#include "node/channel/attested.h"
#include "node/enclave/locked_share.h"
#include "node/vsock/socket.h"

namespace nitro_tss::enclave {
namespace {

using ::nitro_tss::config::FieldError;

absl::StatusOr<std::vector<uint8_t>> PcrHex(absl::string_view field,
                                            const std::string& hex) {
  if (hex.size() != 96 ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return FieldError(field, "must be 96 hex digits (a SHA-384 PCR)");
  }
  std::string bytes = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FieldError(field, absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<attestation::AttestationPolicy> Policies(
    const EnclaveConfig& config) {
  std::vector<attestation::AttestationPolicy> out;
  for (const auto& image : config.attestation().allowed_images()) {
    attestation::AttestationPolicy p;
    for (const auto& [index, hex] : image.pcrs()) {
      std::string bytes = absl::HexStringToBytes(hex);
      p.expected_pcrs[static_cast<int>(index)] =
          std::vector<uint8_t>(bytes.begin(), bytes.end());
    }
    p.allow_debug = config.attestation().allow_debug();
    p.max_age_ms =
        config.attestation().max_document_age_ms() != 0
            ? static_cast<int64_t>(config.attestation().max_document_age_ms())
            : 300000;
    out.push_back(std::move(p));
  }
  return out;
}

bool ValidRegion(const std::string& region) {
  if (region.empty() || region.size() > 32) return false;
  for (char c : region) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

// R10 (docs/AUDIT.md): the enclave's KMS destination is pinned. Outside
// local mode the endpoint is AWS KMS of the configured region over https
// (TLS ends in the enclave and checks that host name, node/kms), verified
// with the image's system CA bundle, reached only through the host's
// proxy. Local mode (simulated NSM) may use http to tss-kms-local, a CA
// bundle of its own and a direct connection.
absl::Status ValidateKms(const config::v1::Kms& kms, bool local_mode) {
  if (kms.region().empty()) return FieldError("kms.region", "required");
  if (!ValidRegion(kms.region())) {
    return FieldError("kms.region", "must be 1..32 of [a-z0-9-]");
  }
  if (kms.key_id().empty()) return FieldError("kms.key_id", "required");
  if (!kms.endpoint().empty() &&
      !absl::StartsWith(kms.endpoint(), "https://") &&
      !absl::StartsWith(kms.endpoint(), "http://")) {
    return FieldError("kms.endpoint", "must start with https:// or http://");
  }
  if (!kms.proxy().empty()) {
    if (auto a = vsock::SocketAddress::Parse(kms.proxy()); !a.ok()) {
      return FieldError("kms.proxy", a.status().message());
    }
  }
  if (local_mode) return absl::OkStatus();
  const std::string why = " outside local mode (nsm.simulated)";
  if (absl::StartsWith(kms.endpoint(), "http://")) {
    return FieldError("kms.endpoint",
                      absl::StrCat("plain http:// is refused", why,
                                   ": KMS is reached over https only"));
  }
  if (!kms.endpoint().empty()) {
    absl::string_view host = kms.endpoint();
    absl::ConsumePrefix(&host, "https://");
    absl::ConsumeSuffix(&host, "/");
    absl::ConsumeSuffix(&host, ":443");
    bool aws = false;
    for (const char* service : {"kms.", "kms-fips."}) {
      for (const char* domain : {".amazonaws.com", ".amazonaws.com.cn"}) {
        aws = aws || host == absl::StrCat(service, kms.region(), domain);
      }
    }
    if (!aws) {
      return FieldError(
          "kms.endpoint",
          absl::StrCat("must be https://kms.", kms.region(),
                       ".amazonaws.com (or kms-fips., or .amazonaws.com.cn)",
                       why, ": the only destination the enclave talks to"));
    }
  }
  if (!kms.ca_file().empty()) {
    return FieldError("kms.ca_file",
                      absl::StrCat("must be empty", why,
                                   ": KMS's certificate is checked against "
                                   "the image's system CA bundle"));
  }
  if (kms.proxy().empty()) {
    return FieldError("kms.proxy",
                      absl::StrCat("required", why,
                                   ": an enclave reaches KMS only through its "
                                   "host's outbound proxy (vsock://3:PORT)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateEnclaveConfig(const EnclaveConfig& config) {
  if (config.listen().empty()) return FieldError("listen", "required");
  if (auto a = vsock::SocketAddress::Parse(config.listen()); !a.ok()) {
    return FieldError("listen", a.status().message());
  }
  if (config.host_service().empty()) {
    return FieldError("host_service", "required");
  }
  if (auto a = vsock::SocketAddress::Parse(config.host_service()); !a.ok()) {
    return FieldError("host_service", a.status().message());
  }
  switch (config.nsm().kind_case()) {
    case config::v1::Nsm::kDevice:
      break;
    case config::v1::Nsm::kSimulated: {
      const auto& s = config.nsm().simulated();
      if (s.dev_ca_dir().empty()) {
        return FieldError("nsm.simulated.dev_ca_dir", "required");
      }
      RETURN_IF_ERROR(PcrHex("nsm.simulated.pcr0", s.pcr0()).status());
      RETURN_IF_ERROR(PcrHex("nsm.simulated.pcr1", s.pcr1()).status());
      RETURN_IF_ERROR(PcrHex("nsm.simulated.pcr2", s.pcr2()).status());
      break;
    }
    default:
      return FieldError("nsm", "device or simulated is required");
  }
  const auto& att = config.attestation();
  if (att.root_pem_file().empty()) {
    return FieldError("attestation.root_pem_file", "required");
  }
  if (att.allowed_images().empty()) {
    return FieldError("attestation.allowed_images",
                      "at least one image policy is required");
  }
  for (int i = 0; i < att.allowed_images_size(); ++i) {
    const std::string field =
        absl::StrCat("attestation.allowed_images[", i, "].pcrs");
    for (const auto& [index, hex] : att.allowed_images(i).pcrs()) {
      if (index > 31) {
        return FieldError(absl::StrCat(field, "[", index, "]"),
                          "PCR index must be 0..31");
      }
      RETURN_IF_ERROR(
          PcrHex(absl::StrCat(field, "[", index, "]"), hex).status());
    }
  }
  const std::vector<attestation::AttestationPolicy> policies = Policies(config);
  for (size_t i = 0; i < policies.size(); ++i) {
    if (auto s = attestation::CheckPolicyPinsImage(policies[i]); !s.ok()) {
      return FieldError(absl::StrCat("attestation.allowed_images[", i, "]"),
                        s.message());
    }
  }
  if (att.link_max_age_ms() != 0 &&
      (att.link_max_age_ms() < 1000 || att.link_max_age_ms() > 604800000)) {
    return FieldError("attestation.link_max_age_ms",
                      "must be 1000 .. 604800000 (or 0 for 3600000)");
  }
  RETURN_IF_ERROR(ValidateKms(config.kms(), config.nsm().has_simulated()));
  const auto& limits = config.limits();
  if (limits.max_sessions() > 4096) {
    return FieldError("limits.max_sessions", "at most 4096");
  }
  if (limits.round_deadline_ms() != 0 && limits.round_deadline_ms() < 100) {
    return FieldError("limits.round_deadline_ms", "at least 100");
  }
  if (limits.locked_memory_bytes() != 0 &&
      (limits.locked_memory_bytes() < (1ull << 20) ||
       limits.locked_memory_bytes() > (16ull << 30))) {
    return FieldError("limits.locked_memory_bytes",
                      "must be 1048576 .. 17179869184 (or 0 for 4 MiB)");
  }
  if (config.metrics().push_interval_ms() != 0 &&
      (config.metrics().push_interval_ms() < 100 ||
       config.metrics().push_interval_ms() > 3600000)) {
    return FieldError("metrics.push_interval_ms",
                      "must be 100 .. 3600000 (or 0 for 10000)");
  }
  if (config.keygen_material().pool_size() > 16) {
    return FieldError("keygen_material.pool_size", "at most 16");
  }
  if (config.keygen_material().threads() > 64) {
    return FieldError("keygen_material.threads", "at most 64");
  }
  if (config.presign().threads() > mpc::gg20::kMaxPresignThreads) {
    return FieldError(
        "presign.threads",
        absl::StrCat("must be 1 .. ", mpc::gg20::kMaxPresignThreads,
                     " (or 0 for 2)"));
  }
  return absl::OkStatus();
}

absl::Status InitializeLockedMemory(const EnclaveConfig& config) {
  const uint64_t bytes = config.limits().locked_memory_bytes() != 0
                             ? config.limits().locked_memory_bytes()
                             : kDefaultLockedMemoryBytes;
  absl::Status s = mpc::LockedMemory::Initialize(static_cast<size_t>(bytes));
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("limits.locked_memory_bytes (",
                                               bytes, "): ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EnclaveRuntime>> BuildEnclave(
    const EnclaveConfig& config, const std::string& version,
    SessionFactories sessions) {
  auto rt = std::make_unique<EnclaveRuntime>();
  ASSIGN_OR_RETURN(rt->listen, vsock::SocketAddress::Parse(config.listen()));

  if (config.nsm().has_simulated()) {
    const auto& s = config.nsm().simulated();
    absl::StatusOr<attestation::DevCa> ca =
        attestation::DevCa::LoadFromDirectory(s.dev_ca_dir());
    if (!ca.ok()) {
      return FieldError("nsm.simulated.dev_ca_dir", ca.status().message());
    }
    attestation::SimulatedNsmConfig nsm_config;
    attestation::BootMeasurements m;
    ASSIGN_OR_RETURN(m.pcr0, PcrHex("nsm.simulated.pcr0", s.pcr0()));
    ASSIGN_OR_RETURN(m.pcr1, PcrHex("nsm.simulated.pcr1", s.pcr1()));
    ASSIGN_OR_RETURN(m.pcr2, PcrHex("nsm.simulated.pcr2", s.pcr2()));
    nsm_config.measurements = m;
    if (!s.instance_id().empty()) nsm_config.instance_id = s.instance_id();
    if (!s.iam_role_arn().empty()) nsm_config.iam_role_arn = s.iam_role_arn();
    nsm_config.debug_mode = s.debug_mode();
    ASSIGN_OR_RETURN(rt->nsm, attestation::SimulatedNsm::Boot(*ca, nsm_config));
  } else {
    const std::string path = config.nsm().device().path().empty()
                                 ? "/dev/nsm"
                                 : config.nsm().device().path();
    ASSIGN_OR_RETURN(rt->nsm, attestation::NsmDevice::Open(path));
  }

  ASSIGN_OR_RETURN(std::string pem,
                   ReadFile(config.attestation().root_pem_file(),
                            "attestation.root_pem_file"));
  absl::StatusOr<std::vector<uint8_t>> root =
      attestation::CertificatePemToDer(pem);
  if (!root.ok()) {
    return FieldError("attestation.root_pem_file", root.status().message());
  }
  ASSIGN_OR_RETURN(channel::VerifyFunction verify,
                   channel::MakeAllowlistVerifier(*root, Policies(config),
                                                  attestation::WallClockMs));

  ASSIGN_OR_RETURN(vsock::SocketAddress host_address,
                   vsock::SocketAddress::Parse(config.host_service()));
  rt->host = std::make_unique<GrpcHostClient>(host_address);
  ASSIGN_OR_RETURN(aws::ExpiringCredentials credentials,
                   rt->host->GetCredentials());

  kms::KmsClientConfig kms_config;
  kms_config.region = config.kms().region();
  kms_config.endpoint = config.kms().endpoint();
  kms_config.ca_file = config.kms().ca_file();
  if (!config.kms().proxy().empty()) {
    ASSIGN_OR_RETURN(vsock::SocketAddress proxy,
                     vsock::SocketAddress::Parse(config.kms().proxy()));
    kms_config.connect_hook = [proxy]() -> int {
      auto fd = vsock::Connect(proxy, absl::Seconds(5));
      return fd.ok() ? fd->Release() : -1;
    };
  }
  ASSIGN_OR_RETURN(
      rt->kms_client,
      kms::KmsClient::Create(kms_config, std::move(credentials.credentials)));
  CredentialRefresh refresh;
  GrpcHostClient* host = rt->host.get();
  kms::KmsClient* client = rt->kms_client.get();
  refresh.fetch = [host] { return host->GetCredentials(); };
  refresh.install = [client](aws::AwsCredentials c) {
    client->SetCredentials(std::move(c));
  };
  rt->kms = std::make_unique<RefreshingKms>(client, std::move(refresh),
                                            credentials.expiration);

  MaterialPoolOptions pool;
  pool.size = config.keygen_material().pool_size() == 0
                  ? 1
                  : config.keygen_material().pool_size();
  pool.threads = static_cast<int>(config.keygen_material().threads());
  pool.share_ring_pedersen_modulus =
      config.keygen_material().share_ring_pedersen_modulus();
  rt->material = std::make_unique<MaterialPool>(pool);

  EnclaveDeps deps;
  deps.nsm = rt->nsm.get();
  deps.verify = std::move(verify);
  deps.kms = rt->kms.get();
  deps.kms_key_id = config.kms().key_id();
  deps.host = rt->host.get();
  MaterialPool* material = rt->material.get();
  deps.material = [material](absl::Time deadline) {
    return material->Take(deadline);
  };
  deps.material_ready = [material] { return material->ready(); };
  const auto& l = config.limits();
  if (l.max_sessions() != 0) deps.limits.max_sessions = l.max_sessions();
  if (l.max_links() != 0) deps.limits.max_links = l.max_links();
  if (l.round_deadline_ms() != 0) {
    deps.limits.round_deadline = absl::Milliseconds(l.round_deadline_ms());
  }
  if (l.max_sessions_per_link() != 0) {
    deps.limits.max_sessions_per_link = l.max_sessions_per_link();
  }
  if (l.max_presignatures() != 0) {
    deps.limits.max_presignatures = l.max_presignatures();
  }
  if (config.presign().threads() != 0) {
    deps.limits.presign_threads = static_cast<int>(config.presign().threads());
  }
  if (config.attestation().link_max_age_ms() != 0) {
    deps.limits.link_max_age =
        absl::Milliseconds(config.attestation().link_max_age_ms());
  }
  deps.version = version;
  deps.sessions = std::move(sessions);
  ASSIGN_OR_RETURN(rt->core, EnclaveCore::Create(std::move(deps)));
  rt->metrics = std::make_unique<EnclaveMetrics>();
  if (config.metrics().push_interval_ms() != 0) {
    rt->metrics_interval =
        absl::Milliseconds(config.metrics().push_interval_ms());
  }
  return rt;
}

}  // namespace nitro_tss::enclave
