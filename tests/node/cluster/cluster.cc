#include "tests/node/cluster/cluster.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "coordinator/relay/relay.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"
#include "node/kms/kms_client.h"
#include "node/vsock/address.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::testing {

namespace ev1 = enclave::v1;
using json::Value;

namespace {

using kms_local::testing::AwsPrincipal;
using kms_local::testing::PolicyActions;
using kms_local::testing::PolicyCondition;
using kms_local::testing::PolicyStatement;

std::string Sha384Hex(const std::string& text) {
  unsigned char md[48];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha384(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(md), len));
}

Value Str(const std::string& s) { return Value::String(s); }

constexpr char kS3Bucket[] = "nitro-tss-sealed-shares";

// The bucket's credentials for the harness's own client (moto checks none).
aws::AwsCredentials S3Credentials() {
  return aws::AwsCredentials("AKIDPARENT", "parent-secret");
}

// Each node's hosts share one prefix per node (a replaced host finds it).
std::string S3Prefix(int i) { return absl::StrCat("node-", i + 1, "/"); }

}  // namespace

std::string LocalCluster::GoodPcr0() {
  return Sha384Hex("nitro-tss test enclave image: good");
}
std::string LocalCluster::OtherPcr0() {
  return Sha384Hex("nitro-tss test enclave image: other");
}

std::string LocalCluster::NodeDir(int i) const {
  return absl::StrCat(dir_.path(), "/node-", i + 1);
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(
    ClusterOptions options) {
  std::unique_ptr<LocalCluster> c(new LocalCluster(options));
  absl::Status s = c->Setup();
  if (!s.ok()) return s;
  return c;
}

absl::Status LocalCluster::Setup() {
  const std::string d = dir_.path();
  auto ca = attestation::DevCa::Generate(attestation::WallClockMs());
  if (!ca.ok()) return ca.status();
  std::filesystem::create_directories(d + "/dev-ca");
  if (auto s = ca->SaveToDirectory(d + "/dev-ca"); !s.ok()) return s;
  WriteFile(d + "/root.pem", ca->RootPem());

  auto kms = kms_local::testing::LocalKmsProcess::Start(
      {"--attestation-root", d + "/root.pem"});
  if (!kms.ok()) return kms.status();
  kms_ = *std::move(kms);

  // The sealing key: only the parent role, and only for a Recipient whose
  // attested image is the good one (as terraform installs it).
  kms::KmsClientConfig kc;
  kc.region = "us-east-1";
  kc.endpoint = absl::StrCat("http://127.0.0.1:", kms_->port());
  kc.retry.max_attempts = 1;
  auto admin = kms::KmsClient::Create(
      kc, aws::AwsCredentials("AKIDADMIN", "admin-secret"));
  if (!admin.ok()) return admin.status();
  const std::string parent_arn = "arn:aws:iam::111122223333:role/parent";
  Value statements = Value::MakeArray();
  statements.Append(PolicyStatement(
      "Admin", "Allow", AwsPrincipal("arn:aws:iam::111122223333:role/admin"),
      PolicyActions({"kms:*"})));
  statements.Append(PolicyStatement(
      "EnclaveUnseal", "Allow", AwsPrincipal(parent_arn),
      PolicyActions({"kms:Decrypt", "kms:GenerateDataKey"}),
      PolicyCondition("StringEqualsIgnoreCase",
                      "kms:RecipientAttestation:ImageSha384", GoodPcr0())));
  Value policy = Value::MakeObject();
  policy.Set("Version", Str("2012-10-17"));
  policy.Set("Statement", std::move(statements));
  Value body = Value::MakeObject();
  body.Set("Description", Str("nitro-tss share sealing key (test cluster)"));
  body.Set("Policy", Str(json::Serialize(policy)));
  auto created = (*admin)->Call("CreateKey", body);
  if (!created.ok()) return created.status();
  auto key_id = created->Find("KeyMetadata")->StringField("KeyId");
  if (!key_id.ok()) return key_id.status();
  kms_key_id_ = *key_id;

  if (!options_.s3_nodes.empty()) {
    s3_unavailable_ = aws::testing::MissingMoto();
    if (s3_unavailable_.empty()) {
      auto moto = aws::testing::MotoServer::Start();
      if (!moto.ok()) return moto.status();
      moto_ = *std::move(moto);
      if (auto s = moto_->CreateBucket(kS3Bucket, /*versioned=*/true,
                                       S3Credentials());
          !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("moto: ", s.message(), "\n",
                                                   moto_->LogTail()));
      }
    }
  }

  nodes_.resize(options_.nodes);
  for (int i = 0; i < options_.nodes; ++i) {
    std::filesystem::create_directories(NodeDir(i));
    WriteFile(NodeDir(i) + "/aws-credentials.json",
              R"({"access_key_id":"AKIDPARENT",)"
              R"("secret_access_key":"parent-secret"})");
    if (auto s = StartHost(i); !s.ok()) return s;
    if (auto s = StartEnclave(i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

LocalCluster::~LocalCluster() {
  for (Node& n : nodes_) {
    n.stub.reset();
    if (n.enclave) n.enclave->Stop(absl::Seconds(5));
    if (n.host) n.host->Stop(absl::Seconds(5));
  }
  moto_.reset();  // after the hosts that used it
}

bool LocalCluster::OnS3(int i) const {
  return moto_ != nullptr &&
         std::find(options_.s3_nodes.begin(), options_.s3_nodes.end(), i) !=
             options_.s3_nodes.end();
}

absl::StatusOr<std::string> LocalCluster::S3Blob(
    int i, const std::string& key_id) const {
  if (!OnS3(i)) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", i + 1, " is not on S3"));
  }
  auto client = moto_->Client(kS3Bucket, S3Credentials());
  if (!client.ok()) return client.status();
  auto object = (*client)->GetObject(
      absl::StrCat(S3Prefix(i), key_id, "/party-", i + 1, ".blob"), 1 << 20);
  if (!object.ok()) return object.status();
  return object->body;
}

absl::Status LocalCluster::StartHost(int i) {
  const std::string nd = NodeDir(i);
  // moto checks no signature here (its SigV4 check needs keys it made,
  // which tss-kms-local would not know); blob_store_test runs the S3
  // backend with signature checking on.
  const std::string blob_store =
      OnS3(i)
          ? absl::StrCat("blob_store { s3 { bucket: \"", kS3Bucket,
                         "\" prefix: \"", S3Prefix(i),
                         "\" region: \"us-east-1\" endpoint: \"",
                         moto_->endpoint(), "\" path_style: true } }\n")
          : absl::StrCat("blob_store { local { dir: \"", nd, "/disk\" } }\n");
  const std::string config = absl::StrCat(
      "enclave_service_listen: \"unix://", nd, "/host.sock\"\n", blob_store,
      "credentials { file: \"", nd, "/aws-credentials.json\" }\n",
      // The enclave's only way to KMS: the host's outbound
      // proxy to one allowlisted destination (as vsock-proxy to
      // kms.<region> on AWS).
      "outbound_proxies { name: \"kms\" listen: \"unix://", nd,
      "/kms-proxy.sock\" destination: \"127.0.0.1:", kms_->port(), "\" }\n",
      "outbound_allowlist: \"127.0.0.1:", kms_->port(), "\"\n",
      // The host's metrics, and its enclave's (pushed through the host).
      "metrics_listen: \"127.0.0.1:0\"\n");
  WriteFile(nd + "/host.conf", config);
  auto p = ChildProcess::Start(
      {BinaryDir() + "/node/host/tss-host", "--config", nd + "/host.conf",
       "--ready-file", nd + "/host.ready"},
      nd + "/host.log", nd + "/host.ready", absl::Seconds(30));
  if (!p.ok()) return p.status();
  nodes_[i].host = *std::move(p);
  return absl::OkStatus();
}

int LocalCluster::StopHost(int i) {
  return nodes_[i].host ? nodes_[i].host->Stop() : -1;
}

void LocalCluster::WipeHostDisk(int i) {
  std::error_code ec;
  std::filesystem::remove_all(NodeDir(i) + "/disk", ec);
}

absl::Status LocalCluster::StartEnclave(int i, const std::string& pcr0_hex) {
  const std::string nd = NodeDir(i);
  const std::string config = absl::StrCat(
      "listen: \"unix://", nd, "/enclave.sock\"\n", "host_service: \"unix://",
      nd, "/host.sock\"\n", "nsm { simulated { dev_ca_dir: \"", dir_.path(),
      "/dev-ca\" pcr0: \"", pcr0_hex, "\" pcr1: \"", Sha384Hex("kernel"),
      "\" pcr2: \"", Sha384Hex("application"),
      "\" instance_id: \"i-0000000000000000", i + 1, "\" } }\n",
      "attestation { root_pem_file: \"", dir_.path(),
      "/root.pem\" allowed_images { pcrs { key: 0 value: \"", GoodPcr0(),
      "\" } } }\n",
      "kms { region: \"us-east-1\" endpoint: \"http://127.0.0.1:", kms_->port(),
      "\" key_id: \"", kms_key_id_, "\" proxy: \"unix://", nd,
      "/kms-proxy.sock\" }\n",
      "limits { round_deadline_ms: ", options_.round_deadline_ms, " }\n",
      "keygen_material { share_ring_pedersen_modulus: ",
      options_.share_ring_pedersen_modulus ? "true" : "false", " }\n",
      "metrics { push_interval_ms: 200 }\n");
  WriteFile(nd + "/enclave.conf", config);
  nodes_[i].stub.reset();
  if (nodes_[i].enclave) nodes_[i].enclave->Stop();
  std::vector<std::string> argv = {BinaryDir() + "/node/enclave/tss-enclave"};
  if (auto cheat = options_.cheaters.find(i);
      cheat != options_.cheaters.end()) {
    argv = {BinaryDir() + "/tests/node/cheating_enclave/tss-cheating-enclave",
            "--cheat", cheat->second};
  }
  argv.insert(argv.end(), {"--config", nd + "/enclave.conf", "--ready-file",
                           nd + "/enclave.ready"});
  auto p = ChildProcess::Start(argv, nd + "/enclave.log", nd + "/enclave.ready",
                               absl::Seconds(30));
  if (!p.ok()) return p.status();
  nodes_[i].enclave = *std::move(p);
  auto channel = vsock::DialGrpc(
      vsock::SocketAddress::Unix(nd + "/enclave.sock"), absl::Seconds(5));
  if (!channel.ok()) return channel.status();
  nodes_[i].stub = ev1::Enclave::NewStub(*channel);
  return absl::OkStatus();
}

void LocalCluster::SetCheat(int i, const std::string& cheat) {
  if (cheat.empty()) {
    options_.cheaters.erase(i);
  } else {
    options_.cheaters[i] = cheat;
  }
}

int LocalCluster::StopEnclave(int i) {
  nodes_[i].stub.reset();
  return nodes_[i].enclave ? nodes_[i].enclave->Stop() : -1;
}

void LocalCluster::KillEnclave(int i) {
  if (nodes_[i].enclave) nodes_[i].enclave->Kill();
}

ev1::Enclave::Stub& LocalCluster::enclave(int i) { return *nodes_[i].stub; }

std::string LocalCluster::EnclaveLog(int i) const {
  return nodes_[i].enclave ? nodes_[i].enclave->Log() : "";
}
int LocalCluster::HostMetricsPort(int i) const {
  if (!nodes_[i].host) return -1;
  const json::Value* v = nodes_[i].host->ready().Find("metrics");
  if (v == nullptr || !v->is_string()) return -1;
  const std::string& a = v->AsString();
  int port = -1;
  if (!absl::SimpleAtoi(a.substr(a.rfind(':') + 1), &port)) return -1;
  return port;
}

std::string LocalCluster::HostLog(int i) const {
  return nodes_[i].host ? nodes_[i].host->Log() : "";
}

namespace {

coordinator::EnclaveSet EnclavesOf(LocalCluster& c,
                                   const std::vector<int>& nodes) {
  coordinator::EnclaveSet set;
  for (int i : nodes) set[i + 1] = &c.enclave(i);
  return set;
}

}  // namespace

absl::Status LocalCluster::WaitForKeygenMaterial(const std::vector<int>& nodes,
                                                 absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  for (int i : nodes) {
    while (true) {
      ev1::GetInfoResponse info;
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      grpc::Status s = enclave(i).GetInfo(&ctx, ev1::GetInfoRequest(), &info);
      if (!s.ok()) {
        return vsock::FromGrpcStatus(s, absl::StrCat("node ", i + 1, " GetInfo"));
      }
      if (info.keygen_material_ready() > 0) break;
      if (absl::Now() >= until) {
        return absl::DeadlineExceededError(
            absl::StrCat("node ", i + 1, ": no keygen material after ",
                         absl::FormatDuration(timeout)));
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<int, ev1::FinishLinkResponse>> LocalCluster::Link(
    const std::vector<int>& nodes, const std::string& link_id,
    const std::string& key_id, const approval::v1::ApprovalPolicy* policy) {
  auto linked = coordinator::EstablishLink(EnclavesOf(*this, nodes), link_id,
                                           {key_id, policy});
  if (!linked.ok()) return linked.status();
  std::map<int, ev1::FinishLinkResponse> out;
  for (auto& [party, resp] : *linked) out[party - 1] = std::move(resp);
  return out;
}

std::map<int, SessionOutcome> LocalCluster::Run(const std::vector<int>& nodes,
                                                const ev1::StartSession& start,
                                                DropRule drop) {
  std::map<int, ev1::StartSession> starts;
  for (int i : nodes) starts[i] = start;
  return RunEach(starts, std::move(drop));
}

std::map<int, SessionOutcome> LocalCluster::RunEach(
    const std::map<int, ev1::StartSession>& starts, DropRule drop) {
  std::vector<int> nodes;
  std::map<uint32_t, ev1::StartSession> by_party;
  for (const auto& [i, s] : starts) {
    nodes.push_back(i);
    by_party[i + 1] = s;
  }
  coordinator::RunOptions options;
  // The enclaves' own round deadline decides (the harness's tests time
  // rounds through the enclave configuration).
  options.round_deadline =
      absl::Milliseconds(options_.round_deadline_ms) + absl::Minutes(10);
  // A dead party is named silent by its peers' aborts (the tests look).
  options.cancel_on_stream_error = false;
  if (drop) {
    options.filter = [drop](uint32_t from, uint32_t to, int index) {
      return !drop(static_cast<int>(from) - 1, static_cast<int>(to) - 1,
                   index);
    };
  }
  auto outcomes =
      coordinator::RunSession(EnclavesOf(*this, nodes), by_party, options);
  std::map<int, SessionOutcome> out;
  for (auto& [party, o] : outcomes) {
    SessionOutcome& r = out[party - 1];
    r.done = o.done;
    r.result = std::move(o.result);
    r.abort = std::move(o.abort);
    if (!o.stream_error.ok()) {
      r.stream_error = absl::StrCat(static_cast<int>(o.stream_error.code()),
                                    ": ", o.stream_error.message());
    }
  }
  return out;
}

namespace {

std::string DerInteger(const std::string& be) {
  size_t start = 0;
  while (start + 1 < be.size() && be[start] == 0) ++start;
  std::string v = be.substr(start);
  if (static_cast<uint8_t>(v[0]) & 0x80) v.insert(v.begin(), '\0');
  return std::string("\x02", 1) + static_cast<char>(v.size()) + v;
}

}  // namespace

absl::Status VerifyWithOpenssl(const std::string& dir,
                               const std::string& public_key,
                               const std::string& r, const std::string& s,
                               const std::string& message) {
  // SubjectPublicKeyInfo: id-ecPublicKey, secp256k1, compressed point.
  const std::string spki =
      absl::HexStringToBytes("3036301006072a8648ce3d020106052b8104000a032200") +
      public_key;
  std::string pem = "-----BEGIN PUBLIC KEY-----\n" + absl::Base64Escape(spki) +
                    "\n-----END PUBLIC KEY-----\n";
  const std::string body = DerInteger(r) + DerInteger(s);
  const std::string sig =
      std::string("\x30", 1) + static_cast<char>(body.size()) + body;
  WriteFile(dir + "/verify.pub.pem", pem);
  WriteFile(dir + "/verify.sig.der", sig);
  WriteFile(dir + "/verify.msg", message);
  const std::string cmd = absl::StrCat(
      "openssl dgst -sha256 -verify ", dir, "/verify.pub.pem -signature ", dir,
      "/verify.sig.der ", dir, "/verify.msg > ", dir, "/verify.out 2>&1");
  const int rc = std::system(cmd.c_str());
  const std::string out = ReadFile(dir + "/verify.out");
  if (rc != 0 || out.find("Verified OK") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("openssl did not verify: ", out));
  }
  return absl::OkStatus();
}

}  // namespace nitro_tss::testing
