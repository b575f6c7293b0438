#include "tools/tssctl/api_commands.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/file.h"
#include "common/json.h"
#include "common/proto_config.h"
#include "nitro_tss/v1/custody.grpc.pb.h"
#include "node/approval/proto.h"
#include "tools/tssctl/approval_signer.h"

namespace nitro_tss::tssctl {
namespace {

using json::Value;

constexpr size_t kMaxMessageFileBytes = 1 << 20;
constexpr size_t kMaxPemBytes = 64 * 1024;

struct Connection {
  std::string server;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  int timeout_s = 60;
};

void AddConnectionFlags(CLI::App& cmd, Connection* c) {
  cmd.add_option("--server", c->server,
                 "tss-coordinator: unix:///PATH or HOST:PORT")
      ->option_text("ADDRESS")
      ->envname("NITRO_TSS_SERVER")
      ->required();
  cmd.add_option("--tls-ca", c->tls_ca, "CA of the coordinator (PEM)")
      ->option_text("FILE")
      ->envname("NITRO_TSS_TLS_CA");
  cmd.add_option("--tls-cert", c->tls_cert, "client certificate (PEM)")
      ->option_text("FILE")
      ->envname("NITRO_TSS_TLS_CERT");
  cmd.add_option("--tls-key", c->tls_key, "client key (PEM)")
      ->option_text("FILE")
      ->envname("NITRO_TSS_TLS_KEY");
  cmd.add_option("--timeout", c->timeout_s, "seconds per call (default 60)")
      ->option_text("SECONDS")
      ->check(CLI::Range(1, 3600));
}

absl::StatusOr<std::unique_ptr<v1::Custody::Stub>> Connect(
    const Connection& c) {
  if (absl::StartsWith(c.server, "unix:///")) {
    return v1::Custody::NewStub(grpc::CreateChannel(
        "unix:" + c.server.substr(7), grpc::InsecureChannelCredentials()));
  }
  if (c.server.empty() || c.server.find("://") != std::string::npos ||
      c.server.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "--server: unix:///PATH or HOST:PORT required");
  }
  grpc::SslCredentialsOptions o;
  auto ca = file::ReadConfiguredFile(c.tls_ca, kMaxPemBytes, "--tls-ca");
  if (!ca.ok()) return ca.status();
  auto cert = file::ReadConfiguredFile(c.tls_cert, kMaxPemBytes, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = file::ReadConfiguredFile(c.tls_key, kMaxPemBytes, "--tls-key");
  if (!key.ok()) return key.status();
  o.pem_root_certs = *ca;
  o.pem_cert_chain = *cert;
  o.pem_private_key = *key;
  return v1::Custody::NewStub(
      grpc::CreateChannel(c.server, grpc::SslCredentials(o)));
}

void SetDeadline(grpc::ClientContext& ctx, int seconds) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(seconds));
}

std::string Hex(const std::string& b) { return absl::BytesToHexString(b); }

// A server error: "<command>: <CODE>: <message>", exit 1.
int ServerError(const CommandContext& ctx, const std::string& command,
                const grpc::Status& s) {
  *ctx.err << "tssctl " << command << ": "
           << absl::StatusCodeToString(
                  static_cast<absl::StatusCode>(s.error_code()))
           << ": " << s.error_message() << "\n"
           << DescribeErrorDetails(s.error_details());
  return kExitFailure;
}

Value KeyJson(const v1::Key& k) {
  Value v = Value::MakeObject();
  v.Set("name", Value::String(k.name()));
  v.Set("state", Value::String(v1::Key::State_Name(k.state())));
  v.Set("threshold", Value::Int(k.threshold()));
  Value nodes = Value::MakeArray();
  for (const auto& n : k.nodes()) nodes.Append(Value::String(n));
  v.Set("nodes", std::move(nodes));
  v.Set("public_key", Value::String(Hex(k.public_key())));
  v.Set("public_key_uncompressed",
        Value::String(Hex(k.public_key_uncompressed())));
  if (!k.ethereum_address().empty()) {
    v.Set("ethereum_address", Value::String(k.ethereum_address()));
  }
  v.Set("epoch", Value::Int(static_cast<int64_t>(k.epoch())));
  v.Set("create_time", Value::Int(k.create_time().seconds()));
  Value excluded = Value::MakeArray();
  for (const auto& e : k.excluded_nodes()) {
    Value x = Value::MakeObject();
    x.Set("node", Value::String(e.node()));
    x.Set("code", Value::String(e.code()));
    x.Set("reason", Value::String(e.reason()));
    x.Set("exclude_time", Value::Int(e.exclude_time().seconds()));
    excluded.Append(std::move(x));
  }
  v.Set("excluded_nodes", std::move(excluded));
  return v;
}

Value OperationJson(const v1::Operation& op) {
  Value v = Value::MakeObject();
  v.Set("name", Value::String(op.name()));
  v.Set("done", Value::Bool(op.done()));
  v1::CreateKeyMetadata meta;
  if (op.metadata().UnpackTo(&meta)) {
    v.Set("stage",
          Value::String(v1::CreateKeyMetadata::Stage_Name(meta.stage())));
    v.Set("progress_percent", Value::Int(meta.progress_percent()));
    if (!meta.key().empty()) v.Set("key", Value::String(meta.key()));
  }
  if (op.has_error()) {
    Value e = Value::MakeObject();
    e.Set("code", Value::String(absl::StatusCodeToString(
                      static_cast<absl::StatusCode>(op.error().code()))));
    e.Set("message", Value::String(op.error().message()));
    Value culprits = Value::MakeArray();
    for (const auto& c : meta.culprits()) {
      culprits.Append(Value::String(absl::StrCat(c.node(), " ", c.code())));
    }
    e.Set("culprits", std::move(culprits));
    v.Set("error", std::move(e));
  }
  v1::Key key;
  if (op.response().UnpackTo(&key)) v.Set("key", KeyJson(key));
  return v;
}

Value NodeJson(const v1::Node& n) {
  Value v = Value::MakeObject();
  v.Set("name", Value::String(n.name()));
  v.Set("party_id", Value::Int(n.party_id()));
  v.Set("address", Value::String(n.address()));
  v.Set("health", Value::String(v1::Node::Health_Name(n.health())));
  Value pcrs = Value::MakeObject();
  for (uint32_t i = 0; i < 32; ++i) {
    auto it = n.pcrs().find(i);
    if (it != n.pcrs().end())
      pcrs.Set(absl::StrCat("pcr", i), Value::String(it->second));
  }
  v.Set("pcrs", std::move(pcrs));
  v.Set("last_attestation_time",
        Value::Int(n.last_attestation_time().seconds()));
  if (!n.last_error().empty())
    v.Set("last_error", Value::String(n.last_error()));
  return v;
}

std::string NewRequestId() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char*>(b), sizeof b));
}

// ---- keys ----

struct KeysCreateFlags {
  Connection conn;
  std::vector<std::string> nodes;
  uint32_t threshold = 0;
  std::string policy;
  std::string request_id;
  bool no_wait = false;
};

int RunKeysCreate(const KeysCreateFlags& f, const CommandContext& ctx) {
  v1::CreateKeyRequest req;
  req.set_request_id(f.request_id.empty() ? NewRequestId() : f.request_id);
  req.mutable_key()->set_threshold(f.threshold);
  for (const auto& n : f.nodes) {
    req.mutable_key()->add_nodes(absl::StartsWith(n, "nodes/") ? n
                                                               : "nodes/" + n);
  }
  absl::Status loaded = config::LoadProtoConfig(
      f.policy, req.mutable_key()->mutable_approval_policy());
  if (!loaded.ok()) {
    return UsageError(ctx, "keys create",
                      absl::StrCat("--policy: ", loaded.message()));
  }
  auto stub = Connect(f.conn);
  if (!stub.ok()) {
    return UsageError(ctx, "keys create", std::string(stub.status().message()));
  }
  v1::Operation op;
  {
    grpc::ClientContext c;
    SetDeadline(c, f.conn.timeout_s);
    grpc::Status s = (*stub)->CreateKey(&c, req, &op);
    if (!s.ok()) return ServerError(ctx, "keys create", s);
  }
  *ctx.err << "tssctl keys create: operation " << op.name() << " (request id "
           << req.request_id() << ")\n";
  // Progress until done: one line per stage on stderr.
  std::string last_stage;
  const absl::Time end = absl::Now() + absl::Minutes(30);
  while (!f.no_wait && !op.done() && absl::Now() < end) {
    v1::CreateKeyMetadata meta;
    if (op.metadata().UnpackTo(&meta)) {
      const std::string stage = v1::CreateKeyMetadata::Stage_Name(meta.stage());
      if (stage != last_stage) {
        *ctx.err << "  " << meta.progress_percent() << "% " << stage << "\n";
        last_stage = stage;
      }
    }
    v1::WaitOperationRequest wait;
    wait.set_name(op.name());
    wait.mutable_timeout()->set_seconds(2);
    grpc::ClientContext c;
    SetDeadline(c, 30);
    grpc::Status s = (*stub)->WaitOperation(&c, wait, &op);
    if (!s.ok()) return ServerError(ctx, "keys create", s);
  }
  cli::PrintResult(OperationJson(op), *ctx.output, *ctx.out);
  if (op.done() && op.has_error()) {
    *ctx.err << "tssctl keys create: failed: " << op.error().message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

// ---- sign ----

struct SignFlags {
  Connection conn;
  std::string key;
  std::string message;
  std::string message_file;
  std::string digest_hex;
  std::string hash;
  std::string approvals;
  std::string approvals_format = "binary";
  std::string request_id;
};

int RunSign(const SignFlags& f, const CommandContext& ctx) {
  v1::SignRequest req;
  req.set_name(absl::StartsWith(f.key, "keys/") ? f.key : "keys/" + f.key);
  req.set_request_id(f.request_id.empty() ? NewRequestId() : f.request_id);
  const int given =
      !f.message.empty() + !f.message_file.empty() + !f.digest_hex.empty();
  if (given != 1) {
    return UsageError(ctx, "sign",
                      "exactly one of --message, --message-file, --digest");
  }
  if (!f.message.empty()) {
    req.set_message(f.message);
  } else if (!f.message_file.empty()) {
    auto m = file::ReadConfiguredFile(f.message_file, kMaxMessageFileBytes,
                                      "--message-file");
    if (!m.ok())
      return UsageError(ctx, "sign", std::string(m.status().message()));
    req.set_message(*m);
  } else {
    auto d = DecodeHex(f.digest_hex);
    if (!d.ok() || d->size() != 32) {
      return UsageError(ctx, "sign", "--digest: 64 hex digits");
    }
    req.set_digest(std::string(d->begin(), d->end()));
  }
  if (f.hash == "sha256") {
    req.set_hash(v1::SHA256);
  } else if (f.hash == "keccak256") {
    req.set_hash(v1::KECCAK256);
  } else {
    return UsageError(ctx, "sign", "--hash: sha256 or keccak256");
  }
  BundleFormat format = BundleFormat::kBinary;
  if (f.approvals_format == "text") {
    format = BundleFormat::kText;
  } else if (f.approvals_format == "json") {
    format = BundleFormat::kJson;
  } else if (f.approvals_format != "binary") {
    return UsageError(ctx, "sign", "--approvals-format: binary, text or json");
  }
  auto bytes =
      file::ReadConfiguredFile(f.approvals, kMaxBundleTextBytes, "--approvals");
  if (!bytes.ok()) {
    return UsageError(ctx, "sign", std::string(bytes.status().message()));
  }
  auto bundle = ParseBundle(*bytes, format);
  if (!bundle.ok()) {
    return UsageError(ctx, "sign",
                      absl::StrCat("--approvals: ", bundle.status().message()));
  }
  *req.mutable_approvals() = approval::BundleToProto(*bundle);
  auto stub = Connect(f.conn);
  if (!stub.ok()) {
    return UsageError(ctx, "sign", std::string(stub.status().message()));
  }
  v1::SignResponse resp;
  grpc::ClientContext c;
  SetDeadline(c, f.conn.timeout_s);
  grpc::Status s = (*stub)->Sign(&c, req, &resp);
  if (!s.ok()) return ServerError(ctx, "sign", s);
  const v1::Signature& sig = resp.signature();
  Value v = Value::MakeObject();
  v.Set("key", Value::String(req.name()));
  v.Set("request_id", Value::String(req.request_id()));
  v.Set("r", Value::String(Hex(sig.r())));
  v.Set("s", Value::String(Hex(sig.s())));
  v.Set("recovery_id", Value::Int(sig.recovery_id()));
  v.Set("ethereum_v", Value::Int(sig.ethereum_v()));
  v.Set("der", Value::String(Hex(sig.der())));
  v.Set("compact", Value::String(Hex(sig.compact())));
  v.Set("digest", Value::String(Hex(sig.digest())));
  v.Set("public_key", Value::String(Hex(sig.public_key())));
  Value signers = Value::MakeArray();
  for (const auto& n : resp.signers()) signers.Append(Value::String(n));
  v.Set("signers", std::move(signers));
  v.Set("first_response", Value::Bool(resp.first_response()));
  cli::PrintResult(v, *ctx.output, *ctx.out);
  return kExitOk;
}

}  // namespace

std::string DescribeErrorDetails(const std::string& error_details) {
  constexpr size_t kMaxDetailsBytes = 64 * 1024;
  if (error_details.empty() || error_details.size() > kMaxDetailsBytes) {
    return "";
  }
  v1::Status status;
  if (!status.ParseFromString(error_details)) return "";
  std::string out;
  for (const auto& detail : status.details()) {
    v1::CulpritInfo culprit;
    if (!detail.UnpackTo(&culprit)) continue;
    absl::StrAppend(&out, "  culprit ", culprit.node(), ": ", culprit.code(),
                    ", ", culprit.action(), ": ", culprit.reason(), "\n");
  }
  return out;
}

void AddApiCommands(CLI::App& tssctl, const CommandContext& ctx) {
  // keys
  CLI::App* keys = tssctl.add_subcommand(
      "keys", "Threshold keys (CreateKey, GetKey, ListKeys)");
  keys->require_subcommand(1);
  {
    auto f = std::make_shared<KeysCreateFlags>();
    CLI::App* c = keys->add_subcommand(
        "create",
        "Runs a DKG among the nodes (a long-running operation; progress on "
        "stderr) and prints the key");
    AddConnectionFlags(*c, &f->conn);
    c->add_option("--node", f->nodes,
                  "a node of the key (nodes/ID or ID); repeat")
        ->required()
        ->option_text("NODE");
    c->add_option("--threshold", f->threshold, "t: any t+1 nodes sign")
        ->required()
        ->option_text("T");
    c->add_option("--policy", f->policy,
                  "approval policy (nitro_tss.approval.v1.ApprovalPolicy, "
                  "text or JSON)")
        ->required()
        ->option_text("FILE");
    c->add_option("--request-id", f->request_id,
                  "idempotency id (default: random); a retry with the same "
                  "id returns the same operation")
        ->option_text("ID");
    cli::AddSwitch(*c, "--no-wait", &f->no_wait,
                   "print the operation at once instead of waiting");
    c->callback([f, ctx] { *ctx.exit_code = RunKeysCreate(*f, ctx); });
  }
  {
    auto conn = std::make_shared<Connection>();
    auto name = std::make_shared<std::string>();
    CLI::App* c = keys->add_subcommand("get", "Prints a key");
    AddConnectionFlags(*c, conn.get());
    c->add_option("name", *name, "keys/ID")->required();
    c->callback([conn, name, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code =
            UsageError(ctx, "keys get", std::string(stub.status().message()));
        return;
      }
      v1::GetKeyRequest req;
      req.set_name(absl::StartsWith(*name, "keys/") ? *name : "keys/" + *name);
      v1::Key key;
      grpc::ClientContext c;
      SetDeadline(c, conn->timeout_s);
      grpc::Status s = (*stub)->GetKey(&c, req, &key);
      if (!s.ok()) {
        *ctx.exit_code = ServerError(ctx, "keys get", s);
        return;
      }
      cli::PrintResult(KeyJson(key), *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  {
    auto conn = std::make_shared<Connection>();
    CLI::App* c = keys->add_subcommand("list", "Lists the keys");
    AddConnectionFlags(*c, conn.get());
    c->callback([conn, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code =
            UsageError(ctx, "keys list", std::string(stub.status().message()));
        return;
      }
      Value all = Value::MakeArray();
      v1::ListKeysRequest req;
      do {
        v1::ListKeysResponse resp;
        grpc::ClientContext c;
        SetDeadline(c, conn->timeout_s);
        grpc::Status s = (*stub)->ListKeys(&c, req, &resp);
        if (!s.ok()) {
          *ctx.exit_code = ServerError(ctx, "keys list", s);
          return;
        }
        for (const auto& k : resp.keys()) all.Append(KeyJson(k));
        req.set_page_token(resp.next_page_token());
      } while (!req.page_token().empty());
      Value v = Value::MakeObject();
      v.Set("keys", std::move(all));
      cli::PrintResult(v, *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  {
    auto conn = std::make_shared<Connection>();
    auto name = std::make_shared<std::string>();
    auto node = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    CLI::App* c = keys->add_subcommand(
        "readmit-node",
        "Takes a node back into a key's signer sets after it was excluded "
        "(ReadmitNode; audited with --reason) and prints the key");
    AddConnectionFlags(*c, conn.get());
    c->add_option("name", *name, "keys/ID")->required();
    c->add_option("--node", *node, "the excluded node (nodes/ID or ID)")
        ->required()
        ->option_text("NODE");
    c->add_option("--reason", *reason,
                  "why it is readmitted (for the audit log)")
        ->required()
        ->option_text("TEXT");
    c->callback([conn, name, node, reason, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code = UsageError(ctx, "keys readmit-node",
                                    std::string(stub.status().message()));
        return;
      }
      v1::ReadmitNodeRequest req;
      req.set_name(absl::StartsWith(*name, "keys/") ? *name : "keys/" + *name);
      req.set_node(absl::StartsWith(*node, "nodes/") ? *node
                                                     : "nodes/" + *node);
      req.set_reason(*reason);
      v1::Key key;
      grpc::ClientContext c;
      SetDeadline(c, conn->timeout_s);
      grpc::Status s = (*stub)->ReadmitNode(&c, req, &key);
      if (!s.ok()) {
        *ctx.exit_code = ServerError(ctx, "keys readmit-node", s);
        return;
      }
      cli::PrintResult(KeyJson(key), *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  // sign
  {
    auto f = std::make_shared<SignFlags>();
    CLI::App* c = tssctl.add_subcommand(
        "sign",
        "Signs with a key: the enclaves check the approvals (tssctl approve) "
        "and t+1 of them sign; a retry with the same --request-id returns "
        "the same signature");
    AddConnectionFlags(*c, &f->conn);
    c->add_option("--key", f->key, "keys/ID")->required()->option_text("KEY");
    c->add_option("--message", f->message, "the message (text)")
        ->option_text("TEXT");
    c->add_option("--message-file", f->message_file,
                  "the message (a file, at most 1 MiB)")
        ->option_text("FILE");
    c->add_option("--digest", f->digest_hex,
                  "or its 32-byte digest under --hash")
        ->option_text("HEX");
    c->add_option("--hash", f->hash, "sha256 or keccak256")
        ->required()
        ->option_text("NAME");
    c->add_option("--approvals", f->approvals,
                  "the approval bundle (tssctl approve)")
        ->required()
        ->option_text("FILE");
    c->add_option("--approvals-format", f->approvals_format,
                  "binary (default), text or json")
        ->option_text("FORMAT");
    c->add_option("--request-id", f->request_id,
                  "idempotency id (default: random)")
        ->option_text("ID");
    c->callback([f, ctx] { *ctx.exit_code = RunSign(*f, ctx); });
  }
  // nodes
  CLI::App* nodes = tssctl.add_subcommand("nodes", "The cluster's nodes");
  nodes->require_subcommand(1);
  {
    auto conn = std::make_shared<Connection>();
    CLI::App* c =
        nodes->add_subcommand("list", "Nodes with health and attested PCRs");
    AddConnectionFlags(*c, conn.get());
    c->callback([conn, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code =
            UsageError(ctx, "nodes list", std::string(stub.status().message()));
        return;
      }
      v1::ListNodesResponse resp;
      grpc::ClientContext c;
      SetDeadline(c, conn->timeout_s);
      grpc::Status s = (*stub)->ListNodes(&c, v1::ListNodesRequest(), &resp);
      if (!s.ok()) {
        *ctx.exit_code = ServerError(ctx, "nodes list", s);
        return;
      }
      Value all = Value::MakeArray();
      for (const auto& n : resp.nodes()) all.Append(NodeJson(n));
      Value v = Value::MakeObject();
      v.Set("nodes", std::move(all));
      cli::PrintResult(v, *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  {
    auto conn = std::make_shared<Connection>();
    auto name = std::make_shared<std::string>();
    CLI::App* c = nodes->add_subcommand("get", "One node");
    AddConnectionFlags(*c, conn.get());
    c->add_option("name", *name, "nodes/ID")->required();
    c->callback([conn, name, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code =
            UsageError(ctx, "nodes get", std::string(stub.status().message()));
        return;
      }
      v1::GetNodeRequest req;
      req.set_name(absl::StartsWith(*name, "nodes/") ? *name
                                                     : "nodes/" + *name);
      v1::Node node;
      grpc::ClientContext c;
      SetDeadline(c, conn->timeout_s);
      grpc::Status s = (*stub)->GetNode(&c, req, &node);
      if (!s.ok()) {
        *ctx.exit_code = ServerError(ctx, "nodes get", s);
        return;
      }
      cli::PrintResult(NodeJson(node), *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  // operations
  CLI::App* ops =
      tssctl.add_subcommand("operations", "Long-running operations");
  ops->require_subcommand(1);
  {
    auto conn = std::make_shared<Connection>();
    auto name = std::make_shared<std::string>();
    CLI::App* c = ops->add_subcommand("get", "One operation (now)");
    AddConnectionFlags(*c, conn.get());
    c->add_option("name", *name, "operations/ID")->required();
    c->callback([conn, name, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code = UsageError(ctx, "operations get",
                                    std::string(stub.status().message()));
        return;
      }
      v1::GetOperationRequest req;
      req.set_name(*name);
      v1::Operation op;
      grpc::ClientContext c;
      SetDeadline(c, conn->timeout_s);
      grpc::Status s = (*stub)->GetOperation(&c, req, &op);
      if (!s.ok()) {
        *ctx.exit_code = ServerError(ctx, "operations get", s);
        return;
      }
      cli::PrintResult(OperationJson(op), *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  {
    auto conn = std::make_shared<Connection>();
    CLI::App* c = ops->add_subcommand("list", "All operations");
    AddConnectionFlags(*c, conn.get());
    c->callback([conn, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code = UsageError(ctx, "operations list",
                                    std::string(stub.status().message()));
        return;
      }
      Value all = Value::MakeArray();
      v1::ListOperationsRequest req;
      do {
        v1::ListOperationsResponse resp;
        grpc::ClientContext c;
        SetDeadline(c, conn->timeout_s);
        grpc::Status s = (*stub)->ListOperations(&c, req, &resp);
        if (!s.ok()) {
          *ctx.exit_code = ServerError(ctx, "operations list", s);
          return;
        }
        for (const auto& op : resp.operations()) all.Append(OperationJson(op));
        req.set_page_token(resp.next_page_token());
      } while (!req.page_token().empty());
      Value v = Value::MakeObject();
      v.Set("operations", std::move(all));
      cli::PrintResult(v, *ctx.output, *ctx.out);
      *ctx.exit_code = kExitOk;
    });
  }
  {
    auto conn = std::make_shared<Connection>();
    auto name = std::make_shared<std::string>();
    auto timeout = std::make_shared<int>(600);
    CLI::App* c = ops->add_subcommand(
        "wait", "Waits until an operation is done (or --wait-seconds pass)");
    AddConnectionFlags(*c, conn.get());
    c->add_option("name", *name, "operations/ID")->required();
    c->add_option("--wait-seconds", *timeout, "at most this long (default 600)")
        ->check(CLI::Range(1, 3600));
    c->callback([conn, name, timeout, ctx] {
      auto stub = Connect(*conn);
      if (!stub.ok()) {
        *ctx.exit_code = UsageError(ctx, "operations wait",
                                    std::string(stub.status().message()));
        return;
      }
      v1::WaitOperationRequest req;
      req.set_name(*name);
      req.mutable_timeout()->set_seconds(*timeout);
      v1::Operation op;
      grpc::ClientContext c;
      SetDeadline(c, *timeout + 30);
      grpc::Status s = (*stub)->WaitOperation(&c, req, &op);
      if (!s.ok()) {
        *ctx.exit_code = ServerError(ctx, "operations wait", s);
        return;
      }
      cli::PrintResult(OperationJson(op), *ctx.output, *ctx.out);
      *ctx.exit_code = op.done() && !op.has_error() ? kExitOk : kExitFailure;
    });
  }
}

}  // namespace nitro_tss::tssctl
