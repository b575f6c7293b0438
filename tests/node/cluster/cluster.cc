#include "tests/node/cluster/cluster.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "coordinator/relay/relay.h"
#include "nitro_tss/host/v1/host.grpc.pb.h"
#include "node/attestation/dev_ca.h"
#include "node/attestation/simulated_nsm.h"
#include "node/kms/kms_client.h"
#include "node/vsock/address.h"
#include "node/vsock/grpc_fd.h"
#include "node/vsock/grpc_status.h"
#include "tests/node/host/tls_test_util.h"

namespace nitro_tss::testing {

namespace ev1 = enclave::v1;
namespace hv1 = host::v1;
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

const char* TapFile(TapPath path) {
  switch (path) {
    case TapPath::kInbound:
      return "tap-enclave.sock";
    case TapPath::kHostService:
      return "tap-host.sock";
    case TapPath::kKmsProxy:
      return "tap-kms.sock";
  }
  return "";
}

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
  if (options_.tap) {
    // The coordinator's side of the inbound path: a CA of the harness's,
    // each host's server certificate, the harness's client certificate.
    TestCa ca("nitro-tss cluster harness CA");
    ca_pem_ = ca.cert_pem();
    KeyAndCert client = ca.IssueClient("coordinator");
    client_cert_pem_ = client.cert_pem;
    client_key_pem_ = client.key_pem;
    WriteFile(d + "/client-ca.pem", ca_pem_);
    for (int i = 0; i < options_.nodes; ++i) {
      const std::string nd = NodeDir(i);
      std::filesystem::create_directories(nd);
      KeyAndCert server = ca.IssueServer(absl::StrCat("node-", i + 1));
      WriteFile(nd + "/inbound.crt", server.cert_pem);
      WriteFile(nd + "/inbound.key", server.key_pem);
      const std::pair<TapPath, std::string> taps[] = {
          {TapPath::kInbound, nd + "/enclave.sock"},
          {TapPath::kHostService, nd + "/host.sock"},
          {TapPath::kKmsProxy, nd + "/kms-proxy.sock"}};
      for (const auto& [path, upstream] : taps) {
        static const char* kNames[] = {"inbound", "host-service", "kms-proxy"};
        auto tap = ByteTap::Start(
            absl::StrCat("node-", i + 1, " ", kNames[static_cast<int>(path)]),
            TapSocket(i, path), upstream);
        if (!tap.ok()) return tap.status();
        nodes_[i].taps.push_back(*std::move(tap));
      }
    }
  }
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
    n.connection.reset();
    if (n.enclave) n.enclave->Stop(absl::Seconds(5));
    if (n.host) n.host->Stop(absl::Seconds(5));
    n.taps.clear();
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
      "metrics_listen: \"127.0.0.1:0\"\n",
      // The coordinator's way in (mutual TLS), relayed through the tap.
      options_.tap
          ? absl::StrCat("inbound { listen: \"127.0.0.1:0\" enclave_service: "
                         "\"unix://",
                         TapSocket(i, TapPath::kInbound),
                         "\" server_certificate_file: \"", nd,
                         "/inbound.crt\" server_private_key_file: \"", nd,
                         "/inbound.key\" client_ca_file: \"", dir_.path(),
                         "/client-ca.pem\" }\n")
          : "");
  WriteFile(nd + "/host.conf", config);
  auto p = ChildProcess::Start(
      {BinaryDir() + "/node/host/tss-host", "--config", nd + "/host.conf",
       "--ready-file", nd + "/host.ready"},
      nd + "/host.log", nd + "/host.ready", absl::Seconds(30));
  if (!p.ok()) return p.status();
  nodes_[i].host = *std::move(p);
  // A new host listens on a new inbound port.
  if (options_.tap && nodes_[i].enclave && nodes_[i].enclave->running()) {
    return Dial(i);
  }
  return absl::OkStatus();
}

int LocalCluster::StopHost(int i) {
  return nodes_[i].host ? nodes_[i].host->Stop() : -1;
}

void LocalCluster::WipeHostDisk(int i) {
  std::error_code ec;
  std::filesystem::remove_all(NodeDir(i) + "/disk", ec);
}

absl::Status LocalCluster::StartEnclave(int i, const std::string& pcr0_hex,
                                        uint64_t link_max_age_ms,
                                        uint32_t max_sessions_per_link) {
  const std::string nd = NodeDir(i);
  const std::string host_service =
      options_.tap ? TapSocket(i, TapPath::kHostService) : nd + "/host.sock";
  const std::string kms_proxy =
      options_.tap ? TapSocket(i, TapPath::kKmsProxy) : nd + "/kms-proxy.sock";
  const std::string config = absl::StrCat(
      "listen: \"unix://", nd, "/enclave.sock\"\n", "host_service: \"unix://",
      host_service, "\"\n", "nsm { simulated { dev_ca_dir: \"", dir_.path(),
      "/dev-ca\" pcr0: \"", pcr0_hex, "\" pcr1: \"", Sha384Hex("kernel"),
      "\" pcr2: \"", Sha384Hex("application"),
      "\" instance_id: \"i-0000000000000000", i + 1, "\" } }\n",
      "attestation { root_pem_file: \"", dir_.path(),
      "/root.pem\" allowed_images { pcrs { key: 0 value: \"", GoodPcr0(),
      "\" } } link_max_age_ms: ", link_max_age_ms, " }\n",
      "kms { region: \"us-east-1\" endpoint: \"http://127.0.0.1:", kms_->port(),
      "\" key_id: \"", kms_key_id_, "\" proxy: \"unix://", kms_proxy, "\" }\n",
      "limits { round_deadline_ms: ", options_.round_deadline_ms,
      " max_sessions_per_link: ", max_sessions_per_link, " }\n",
      "keygen_material { share_ring_pedersen_modulus: ",
      options_.share_ring_pedersen_modulus ? "true" : "false",
      " pool_size: ", options_.keygen_material_pool_size, " }\n",
      "metrics { push_interval_ms: 200 }\n");
  WriteFile(nd + "/enclave.conf", config);
  nodes_[i].connection.reset();
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
  return Dial(i);
}

absl::Status LocalCluster::Dial(int i) {
  nodes_[i].connection.reset();
  if (!options_.tap) {
    auto channel = vsock::DialGrpc(
        vsock::SocketAddress::Unix(NodeDir(i) + "/enclave.sock"),
        absl::Seconds(5));
    if (!channel.ok()) return channel.status();
    nodes_[i].connection =
        std::make_unique<coordinator::EnclaveConnection>(*channel);
    return absl::OkStatus();
  }
  // As the coordinator: TCP with mutual TLS to the host's inbound
  // listener, which relays to the enclave's service (through the tap).
  const json::Value* inbound =
      nodes_[i].host ? nodes_[i].host->ready().Find("inbound") : nullptr;
  if (inbound == nullptr || !inbound->is_string()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", i + 1, ": the host reports no inbound address"));
  }
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ca_pem_;
  o.pem_cert_chain = client_cert_pem_;
  o.pem_private_key = client_key_pem_;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  coordinator::SetSessionsKeepalive(&args);
  auto channel = grpc::CreateCustomChannel(inbound->AsString(),
                                           grpc::SslCredentials(o), args);
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return absl::UnavailableError(absl::StrCat(
        "node ", i + 1, ": no TLS connection to the host's inbound ",
        inbound->AsString()));
  }
  nodes_[i].connection =
      std::make_unique<coordinator::EnclaveConnection>(channel);
  return absl::OkStatus();
}

absl::Status LocalCluster::MakeTestEnclave() {
  if (test_kms_ != nullptr) return absl::OkStatus();
  auto ca = attestation::DevCa::LoadFromDirectory(dir_.path() + "/dev-ca");
  if (!ca.ok()) return ca.status();
  attestation::SimulatedNsmConfig config;
  attestation::BootMeasurements m;
  auto pcr = [](const std::string& hex) {
    const std::string b = absl::HexStringToBytes(hex);
    return std::vector<uint8_t>(b.begin(), b.end());
  };
  m.pcr0 = pcr(GoodPcr0());
  m.pcr1 = pcr(Sha384Hex("kernel"));
  m.pcr2 = pcr(Sha384Hex("application"));
  config.measurements = m;
  config.instance_id = "i-000000000000000ff";
  auto nsm = attestation::SimulatedNsm::Boot(*ca, config);
  if (!nsm.ok()) return nsm.status();
  auto recipient = kms::RecipientKey::Generate();
  if (!recipient.ok()) return recipient.status();
  kms::KmsClientConfig kc;
  kc.region = "us-east-1";
  kc.endpoint = absl::StrCat("http://127.0.0.1:", kms_->port());
  kc.retry.max_attempts = 1;
  auto client = kms::KmsClient::Create(
      kc, aws::AwsCredentials("AKIDPARENT", "parent-secret"));
  if (!client.ok()) return client.status();
  test_nsm_ = *std::move(nsm);
  test_recipient_ = std::make_unique<kms::RecipientKey>(*std::move(recipient));
  test_kms_ = *std::move(client);
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::unique_ptr<hv1::Host::Stub>> HostStub(
    const std::string& socket) {
  auto channel =
      vsock::DialGrpc(vsock::SocketAddress::Unix(socket), absl::Seconds(5));
  if (!channel.ok()) return channel.status();
  return hv1::Host::NewStub(*channel);
}

}  // namespace

absl::StatusOr<LocalCluster::StoredShare> LocalCluster::UnsealStoredShare(
    int i, const std::string& key_id, uint64_t min_epoch) {
  if (auto s = MakeTestEnclave(); !s.ok()) return s;
  auto stub = HostStub(HostServiceSocket(i));
  if (!stub.ok()) return stub.status();
  hv1::GetBlobRequest req;
  req.mutable_name()->set_key_id(key_id);
  req.mutable_name()->set_party_id(i + 1);
  hv1::GetBlobResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  grpc::Status got = (*stub)->GetBlob(&ctx, req, &resp);
  if (!got.ok()) return vsock::FromGrpcStatus(got, "GetBlob");
  const auto* bytes = reinterpret_cast<const uint8_t*>(resp.blob().data());
  auto header =
      kms::DecodeSealedShare(absl::MakeConstSpan(bytes, resp.blob().size()));
  if (!header.ok()) return header.status();
  auto der = test_recipient_->PublicKeyDer();
  if (!der.ok()) return der.status();
  auto doc =
      test_nsm_->GetAttestationDocument(std::nullopt, std::nullopt, *der);
  if (!doc.ok()) return doc.status();
  kms::UnsealExpectation expected;
  expected.kms_key_id = kms_key_id_;
  expected.party_id = i + 1;
  expected.group_public_key = header->context.group_public_key;
  expected.min_epoch = min_epoch;
  kms::AttestedRecipient recipient{test_recipient_.get(), *std::move(doc)};
  auto opened = kms::UnsealShare(*test_kms_, expected,
                                 absl::MakeConstSpan(bytes, resp.blob().size()),
                                 recipient);
  if (!opened.ok()) return opened.status();
  StoredShare out;
  out.blob = resp.blob();
  out.epoch = resp.epoch();
  out.opened = *std::move(opened);
  return out;
}

absl::StatusOr<std::string> LocalCluster::Reseal(
    const kms::UnsealedShare& opened, uint64_t epoch) {
  if (auto s = MakeTestEnclave(); !s.ok()) return s;
  auto der = test_recipient_->PublicKeyDer();
  if (!der.ok()) return der.status();
  auto doc =
      test_nsm_->GetAttestationDocument(std::nullopt, std::nullopt, *der);
  if (!doc.ok()) return doc.status();
  kms::ShareContext context = opened.context;
  context.epoch = epoch;
  kms::AttestedRecipient recipient{test_recipient_.get(), *std::move(doc)};
  auto sealed = kms::SealShare(
      *test_kms_, context, *opened.identity,
      absl::MakeConstSpan(opened.share.data(), opened.share.size()), recipient);
  if (!sealed.ok()) return sealed.status();
  return std::string(sealed->begin(), sealed->end());
}

absl::Status LocalCluster::PutBlobAsHost(int i, const std::string& key_id,
                                         uint64_t epoch,
                                         const std::string& blob) {
  auto stub = HostStub(HostServiceSocket(i));
  if (!stub.ok()) return stub.status();
  hv1::PutBlobRequest req;
  req.mutable_name()->set_key_id(key_id);
  req.mutable_name()->set_party_id(i + 1);
  req.set_epoch(epoch);
  req.set_blob(blob);
  hv1::PutBlobResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  return vsock::FromGrpcStatus((*stub)->PutBlob(&ctx, req, &resp), "PutBlob");
}

std::vector<ByteTap::Stream> LocalCluster::TapStreams() const {
  std::vector<ByteTap::Stream> out;
  for (const Node& n : nodes_) {
    for (const auto& tap : n.taps) {
      auto s = tap->Streams();
      out.insert(out.end(), std::make_move_iterator(s.begin()),
                 std::make_move_iterator(s.end()));
    }
  }
  return out;
}

std::string LocalCluster::TapSocket(int i, TapPath path) const {
  return absl::StrCat(NodeDir(i), "/", TapFile(path));
}

std::string LocalCluster::HostServiceSocket(int i) const {
  return NodeDir(i) + "/host.sock";
}

void LocalCluster::SetCheat(int i, const std::string& cheat) {
  if (cheat.empty()) {
    options_.cheaters.erase(i);
  } else {
    options_.cheaters[i] = cheat;
  }
}

int LocalCluster::StopEnclave(int i) {
  nodes_[i].connection.reset();
  return nodes_[i].enclave ? nodes_[i].enclave->Stop() : -1;
}

void LocalCluster::KillEnclave(int i) {
  if (nodes_[i].enclave) nodes_[i].enclave->Kill();
}

ev1::Enclave::Stub& LocalCluster::enclave(int i) {
  return *nodes_[i].connection->stub();
}

coordinator::EnclaveConnection& LocalCluster::connection(int i) {
  return *nodes_[i].connection;
}

absl::Status LocalCluster::RawSession(
    int i, const std::vector<ev1::SessionInput>& inputs) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
  auto stream = enclave(i).Sessions(&ctx);
  for (const ev1::SessionInput& in : inputs) {
    ev1::SessionsInput msg;
    ev1::SessionsInputItem* item = msg.add_items();
    item->set_id(1);
    *item->mutable_input() = in;
    stream->Write(msg);
  }
  ev1::SessionsInput close;
  close.add_items()->set_id(1);
  close.mutable_items(0)->mutable_close();
  stream->Write(close);
  stream->WritesDone();
  absl::Status end = absl::InternalError("raw session: no end");
  ev1::SessionsOutput out;
  while (stream->Read(&out)) {
    for (const ev1::SessionsOutputItem& item : out.items()) {
      if (item.id() == 1 && item.has_end()) {
        end = absl::Status(static_cast<absl::StatusCode>(item.end().code()),
                           item.end().message());
      }
    }
  }
  grpc::Status s = stream->Finish();
  if (!s.ok()) return vsock::FromGrpcStatus(s, "raw session stream");
  return end;
}

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
  for (int i : nodes) set[i + 1] = &c.connection(i);
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
        return vsock::FromGrpcStatus(s,
                                     absl::StrCat("node ", i + 1, " GetInfo"));
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
  coordinator::RunOptions options;
  if (drop) {
    options.filter = [drop](uint32_t from, uint32_t to, int index) {
      return !drop(static_cast<int>(from) - 1, static_cast<int>(to) - 1, index);
    };
  }
  return Relay(starts, std::move(options));
}

std::map<int, SessionOutcome> LocalCluster::RunInjecting(
    const std::vector<int>& nodes, const ev1::StartSession& start,
    Inject inject) {
  std::map<int, ev1::StartSession> starts;
  for (int i : nodes) starts[i] = start;
  coordinator::RunOptions options;
  options.inject = [inject](uint32_t from, uint32_t to, int index,
                            const std::string& envelope) {
    return inject(static_cast<int>(from) - 1, static_cast<int>(to) - 1, index,
                  envelope);
  };
  return Relay(starts, std::move(options));
}

std::map<int, SessionOutcome> LocalCluster::Relay(
    const std::map<int, ev1::StartSession>& starts,
    coordinator::RunOptions options) {
  std::vector<int> nodes;
  std::map<uint32_t, ev1::StartSession> by_party;
  for (const auto& [i, s] : starts) {
    nodes.push_back(i);
    by_party[i + 1] = s;
  }
  // The enclaves' own round deadline decides (the harness's tests time
  // rounds through the enclave configuration).
  options.round_deadline =
      absl::Milliseconds(options_.round_deadline_ms) + absl::Minutes(10);
  // A dead party is named silent by its peers' aborts (the tests look).
  options.cancel_on_stream_error = false;
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
