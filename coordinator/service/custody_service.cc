#include "coordinator/service/custody_service.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <openssl/sha.h>
#include <secp256k1.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/ethereum.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "coordinator/service/requests.h"
#include "nitro_tss/coordinator/storage/v1/records.pb.h"
#include "node/vsock/grpc_status.h"

namespace nitro_tss::coordinator {

using json::Value;

namespace {

constexpr absl::Duration kMaxWait = absl::Minutes(10);

std::string Sha256(const std::string& data) {
  unsigned char d[32];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return std::string(reinterpret_cast<char*>(d), 32);
}

std::string Hex(const std::string& b) { return absl::BytesToHexString(b); }

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(t));
}

google::protobuf::Timestamp Now() { return TimestampOf(absl::Now()); }

// The caller, for the audit log.
std::string Actor(const grpc::ServerContext* ctx) {
  auto auth = ctx->auth_context();
  if (auth && auth->IsPeerAuthenticated()) {
    auto cn = auth->FindPropertyValues("x509_common_name");
    if (!cn.empty()) {
      return absl::StrCat("cn:", std::string(cn[0].data(), cn[0].size()));
    }
  }
  return absl::StartsWith(ctx->peer(), "unix:") ? "unix" : "anonymous";
}

grpc::Status ToGrpc(const absl::Status& s) { return vsock::ToGrpcStatus(s); }

absl::StatusOr<std::string> Uncompressed(const std::string& compressed) {
  static const secp256k1_context* ctx =
      secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_parse(
          ctx, &pk, reinterpret_cast<const unsigned char*>(compressed.data()),
          compressed.size())) {
    return absl::InternalError("key: the enclaves reported an invalid point");
  }
  unsigned char out[65];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(ctx, out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  return std::string(reinterpret_cast<char*>(out), len);
}

// Refusals that a retry of the same request would get again. ABORTED: a
// signing run spent the request's approvals (single-use), so no retry of
// this request can sign; only fresh approvals in a new request can.
bool IsFinalRefusal(const absl::Status& s) {
  return absl::IsPermissionDenied(s) || absl::IsInvalidArgument(s) ||
         absl::IsFailedPrecondition(s) || absl::IsNotFound(s) ||
         absl::IsAborted(s);
}

v1::Status ToApiStatus(const absl::Status& s) {
  v1::Status out;
  out.set_code(static_cast<int32_t>(s.code()));
  out.set_message(std::string(s.message()));
  return out;
}

v1::CulpritInfo CulpritInfoOf(const CulpritRecord& c) {
  v1::CulpritInfo ci;
  ci.set_node(absl::StrCat("nodes/", c.node_id));
  ci.set_code(c.code);
  ci.set_action(c.action);
  ci.set_reason(c.reason);
  return ci;
}

// An enclave's reason, as kept in records and the audit log.
constexpr size_t kMaxReasonBytes = 1024;
std::string Bounded(const std::string& reason) {
  return reason.substr(0, kMaxReasonBytes);
}

v1::NodeExclusion ExclusionToProto(const Exclusion& e) {
  v1::NodeExclusion out;
  out.set_key(absl::StrCat("keys/", e.key_id));
  out.set_node(absl::StrCat("nodes/", e.node_id));
  out.set_code(e.code);
  out.set_reason(Bounded(e.reason));
  *out.mutable_exclude_time() = TimestampOf(e.time);
  return out;
}

Value CulpritsJson(const std::vector<CulpritRecord>& culprits) {
  Value names = Value::MakeArray();
  for (const auto& c : culprits) {
    names.Append(Value::String(absl::StrCat(c.node_id, ":", c.code)));
  }
  return names;
}

// The answer to a retry of a Sign whose final outcome (a serialized
// storage::v1::SignOutcome) is stored or kept: the same signature with
// first_response false, or the same final refusal.
absl::StatusOr<v1::SignResponse> AnswerOfStoredOutcome(
    const std::string& request_id, const std::string& serialized) {
  storage::v1::SignOutcome stored;
  if (!stored.ParseFromString(serialized)) {
    return absl::DataLossError(
        absl::StrCat("request ", request_id, ": stored result"));
  }
  if (stored.has_error()) {
    return absl::Status(static_cast<absl::StatusCode>(stored.error().code()),
                        stored.error().message());
  }
  v1::SignResponse r = stored.response();
  r.set_first_response(false);
  return r;
}

}  // namespace

CustodyService::CustodyService(storage::Storage* storage, NodeSet* nodes,
                               Orchestrator* orchestrator,
                               const process::Logger* log,
                               CustodyOptions options)
    : storage_(storage),
      nodes_(nodes),
      orchestrator_(orchestrator),
      log_(log),
      options_(std::move(options)) {}

CustodyService::~CustodyService() { Shutdown(); }

void CustodyService::Shutdown() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

storage::AuditEvent CustodyService::AuditEventOf(
    const std::string& actor, const std::string& action,
    const std::string& resource, const absl::Status& outcome,
    const std::string& payload) const {
  storage::AuditEvent e;
  e.time = absl::Now();
  e.actor = actor.substr(0, storage::kMaxAuditFieldBytes);
  e.action = action;
  e.resource = resource;
  e.outcome = outcome.ok() ? "OK" : absl::StatusCodeToString(outcome.code());
  e.payload = payload.substr(0, storage::kMaxAuditPayloadBytes);
  return e;
}

void CustodyService::Audit(const std::string& actor, const std::string& action,
                           const std::string& resource,
                           const absl::Status& outcome,
                           const std::string& payload) {
  auto appended = storage_->AppendAudit(
      AuditEventOf(actor, action, resource, outcome, payload));
  if (!appended.ok()) {
    log_->Error("audit_append_failed",
                {{"action", Value::String(action)},
                 {"error", Value::String(appended.status().ToString())}});
  }
}

void CustodyService::AuditNodeHealth(const std::string& node,
                                     v1::Node::Health health,
                                     const std::string& reason) {
  Value payload = Value::MakeObject();
  payload.Set("health", Value::String(v1::Node::Health_Name(health)));
  payload.Set("reason", Value::String(reason));
  Audit("coordinator", "NodeHealth", absl::StrCat("nodes/", node),
        health == v1::Node::SERVING
            ? absl::OkStatus()
            : absl::UnavailableError(v1::Node::Health_Name(health)),
        json::Serialize(payload));
}

absl::Status CustodyService::Recover() {
  storage::PageRequest page;
  page.page_size = storage::kMaxPageSize;
  do {
    ASSIGN_OR_RETURN(auto ops, storage_->ListOperations(
                                   storage::OperationFilter::kNotDone, page));
    for (const auto& rec : ops.items) {
      // Leased by a live replica: not ours to fail.
      auto claimed = storage_->ClaimOperation(rec.name, options_.replica_id,
                                              absl::Now(), absl::Now());
      if (!claimed.ok()) continue;
      (void)UpdateOperation(rec.name, [](v1::Operation& op) {
        op.set_done(true);
        *op.mutable_error() = ToApiStatus(absl::AbortedError(
            "interrupted: the coordinator running this DKG stopped; create "
            "the key again with a new request id"));
      });
    }
    page.page_token = ops.next_page_token;
  } while (!page.page_token.empty());
  page.page_token.clear();
  do {
    ASSIGN_OR_RETURN(auto keys, storage_->ListKeys(page));
    for (const auto& rec : keys.items) {
      if (rec.state != "ACTIVE") continue;
      auto plan = LoadKey(rec.name);
      if (plan.ok()) orchestrator_->RegisterKey(*plan);
    }
    page.page_token = keys.next_page_token;
  } while (!page.page_token.empty());
  return absl::OkStatus();
}

absl::Status CustodyService::UpdateOperation(
    const std::string& name, const std::function<void(v1::Operation&)>& f) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(storage::OperationRecord rec,
                     storage_->GetOperation(name));
    v1::Operation op;
    if (!op.ParseFromString(rec.data)) {
      return absl::DataLossError(absl::StrCat(name, ": stored data"));
    }
    f(op);
    rec.done = op.done();
    rec.data = Deterministic(op);
    rec.update_time = absl::Now();
    auto updated = storage_->UpdateOperation(rec, rec.version);
    if (updated.ok()) {
      changed_.notify_all();
      return absl::OkStatus();
    }
    if (!absl::IsAborted(updated.status())) return updated.status();
  }
  return absl::AbortedError(
      absl::StrCat(name, ": too many concurrent updates"));
}

grpc::Status CustodyService::CreateKey(grpc::ServerContext* ctx,
                                       const v1::CreateKeyRequest* req,
                                       v1::Operation* resp) {
  const std::string actor = Actor(ctx);
  auto fail = [&](const absl::Status& s) {
    Audit(actor, "CreateKey", "", s, "");
    return ToGrpc(s);
  };
  if (absl::Status s = ValidateCreateKeyRequest(*req,
                                                [this](const std::string& id) {
                                                  return nodes_->Find(id) !=
                                                         nullptr;
                                                });
      !s.ok()) {
    return fail(s);
  }
  v1::CreateKeyRequest canonical = *req;
  canonical.clear_request_id();
  const std::string digest = Sha256(Deterministic(canonical));
  const std::string op_name = absl::StrCat(
      "operations/createkey-", Hex(Sha256(req->request_id())).substr(0, 32));

  v1::CreateKeyMetadata meta;
  meta.set_stage(v1::CreateKeyMetadata::QUEUED);
  *meta.mutable_start_time() = Now();
  *meta.mutable_update_time() = meta.start_time();
  meta.set_request_sha256(digest);
  v1::Operation op;
  op.set_name(op_name);
  op.mutable_metadata()->PackFrom(meta);
  storage::OperationRecord rec;
  rec.name = op_name;
  rec.data = Deterministic(op);
  rec.create_time = absl::Now();
  auto created = storage_->CreateOperation(rec);
  if (!created.ok()) {
    if (!absl::IsAlreadyExists(created.status())) return fail(created.status());
    // A retry: the same request gets the same operation.
    auto existing = storage_->GetOperation(op_name);
    if (!existing.ok()) return fail(existing.status());
    v1::Operation stored;
    v1::CreateKeyMetadata stored_meta;
    if (!stored.ParseFromString(existing->data) ||
        !stored.metadata().UnpackTo(&stored_meta)) {
      return fail(absl::DataLossError(absl::StrCat(op_name, ": stored data")));
    }
    if (stored_meta.request_sha256() != digest) {
      return fail(absl::AlreadyExistsError(
          "request_id: already used for a different CreateKey request"));
    }
    *resp = stored;
    return grpc::Status::OK;
  }
  auto claimed = storage_->ClaimOperation(
      op_name, options_.replica_id, absl::Now(), absl::Now() + options_.lease);
  if (!claimed.ok()) return fail(claimed.status());
  *resp = op;
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) {
    (void)UpdateOperation(op_name, [](v1::Operation& o) {
      o.set_done(true);
      *o.mutable_error() =
          ToApiStatus(absl::UnavailableError("the coordinator is stopping"));
    });
    return ToGrpc(absl::UnavailableError("the coordinator is stopping"));
  }
  Audit(actor, "CreateKey", op_name, absl::OkStatus(), "accepted");
  workers_.emplace_back(&CustodyService::RunCreateKey, this, op_name, *req,
                        actor);
  log_->Info("create_key_started",
             {{"operation", Value::String(op_name)},
              {"request_id", Value::String(req->request_id())}});
  return grpc::Status::OK;
}

void CustodyService::RunCreateKey(std::string op_name, v1::CreateKeyRequest req,
                                  std::string actor) {
  auto stage = [&](v1::CreateKeyMetadata::Stage s) {
    (void)UpdateOperation(op_name, [&](v1::Operation& op) {
      v1::CreateKeyMetadata meta;
      op.metadata().UnpackTo(&meta);
      meta.set_stage(s);
      static constexpr uint32_t kPercent[] = {0, 0, 10, 30, 90, 100};
      meta.set_progress_percent(kPercent[s]);
      *meta.mutable_update_time() = Now();
      op.mutable_metadata()->PackFrom(meta);
    });
  };
  std::vector<std::string> node_ids;
  for (const auto& n : req.key().nodes()) node_ids.push_back(n.substr(6));
  std::vector<CulpritRecord> culprits;
  auto info =
      orchestrator_->CreateKey(node_ids, req.key().threshold(),
                               req.key().approval_policy(), stage, &culprits);
  absl::Status outcome = info.status();
  v1::Key key;
  if (info.ok()) {
    key.set_name(absl::StrCat("keys/", info->key_id()));
    key.set_threshold(req.key().threshold());
    *key.mutable_nodes() = req.key().nodes();
    *key.mutable_approval_policy() = req.key().approval_policy();
    key.set_state(v1::Key::ACTIVE);
    key.set_public_key(info->public_key());
    auto uncompressed = Uncompressed(info->public_key());
    if (uncompressed.ok()) {
      key.set_public_key_uncompressed(*uncompressed);
      auto address =
          ethereum::AddressFromUncompressedKey(absl::Span<const uint8_t>(
              reinterpret_cast<const uint8_t*>(uncompressed->data()),
              uncompressed->size()));
      if (address.ok()) {
        key.set_ethereum_address(ethereum::ChecksumAddress(*address));
      } else {
        outcome = address.status();
      }
    } else {
      outcome = uncompressed.status();
    }
    key.set_epoch(info->epoch());
    *key.mutable_create_time() = Now();
    for (const auto& id : node_ids) key.add_parties(nodes_->Find(id)->party_id);
  }
  if (outcome.ok()) {
    storage::KeyRecord rec;
    rec.name = key.name();
    rec.state = "ACTIVE";
    rec.data = Deterministic(key);
    rec.create_time = absl::Now();
    auto stored = storage_->CreateKey(rec);
    if (!stored.ok()) outcome = stored.status();
  }
  absl::Status done = UpdateOperation(op_name, [&](v1::Operation& op) {
    v1::CreateKeyMetadata meta;
    op.metadata().UnpackTo(&meta);
    *meta.mutable_update_time() = Now();
    op.set_done(true);
    if (outcome.ok()) {
      meta.set_stage(v1::CreateKeyMetadata::DONE);
      meta.set_progress_percent(100);
      meta.set_key(key.name());
      op.mutable_response()->PackFrom(key);
    } else {
      v1::Status* err = op.mutable_error();
      *err = ToApiStatus(outcome);
      for (const auto& c : culprits) {
        const v1::CulpritInfo ci = CulpritInfoOf(c);
        err->add_details()->PackFrom(ci);
        *meta.add_culprits() = ci;
      }
    }
    op.mutable_metadata()->PackFrom(meta);
  });
  if (outcome.ok()) {
    auto plan = LoadKey(key.name());
    if (plan.ok()) orchestrator_->RegisterKey(*plan);
  }
  Value payload = Value::MakeObject();
  payload.Set("operation", Value::String(op_name));
  payload.Set("request_id", Value::String(req.request_id()));
  Value names = Value::MakeArray();
  for (const auto& c : culprits) {
    names.Append(Value::String(absl::StrCat(c.node_id, ":", c.code)));
  }
  payload.Set("culprits", std::move(names));
  if (!outcome.ok()) payload.Set("error", Value::String(outcome.ToString()));
  Audit(actor, "CreateKey.done", outcome.ok() ? key.name() : op_name, outcome,
        json::Serialize(payload));
  log_->Info("create_key_done", {{"operation", Value::String(op_name)},
                                 {"key", Value::String(key.name())},
                                 {"status", Value::String(outcome.ToString())},
                                 {"stored", Value::String(done.ToString())}});
}

absl::StatusOr<KeyPlan> CustodyService::LoadKey(const std::string& name) {
  ASSIGN_OR_RETURN(std::string id, KeyIdOf(name));
  ASSIGN_OR_RETURN(storage::KeyRecord rec, storage_->GetKey(name));
  v1::Key key;
  if (!key.ParseFromString(rec.data)) {
    return absl::DataLossError(absl::StrCat(name, ": stored data"));
  }
  if (key.state() != v1::Key::ACTIVE) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ": not ACTIVE (", v1::Key::State_Name(key.state()), ")"));
  }
  KeyPlan plan;
  plan.key_id = id;
  plan.threshold = key.threshold();
  for (const auto& n : key.nodes()) plan.node_ids.push_back(n.substr(6));
  plan.policy = key.approval_policy();
  plan.public_key = key.public_key();
  for (const v1::NodeExclusion& e : key.excluded_nodes()) {
    Exclusion x;
    x.key_id = id;
    x.node_id = std::string(absl::StripPrefix(e.node(), "nodes/"));
    x.code = e.code();
    x.reason = e.reason();
    x.time = absl::FromUnixSeconds(e.exclude_time().seconds()) +
             absl::Nanoseconds(e.exclude_time().nanos());
    plan.excluded.push_back(std::move(x));
  }
  return plan;
}

absl::StatusOr<v1::Key> CustodyService::UpdateKey(
    const std::string& name, const std::function<absl::Status(v1::Key&)>& f) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(storage::KeyRecord rec, storage_->GetKey(name));
    v1::Key key;
    if (!key.ParseFromString(rec.data)) {
      return absl::DataLossError(absl::StrCat(name, ": stored data"));
    }
    RETURN_IF_ERROR(f(key));
    rec.data = Deterministic(key);
    rec.update_time = absl::Now();
    auto updated = storage_->UpdateKey(rec, rec.version);
    if (updated.ok()) return key;
    if (!absl::IsAborted(updated.status())) return updated.status();
  }
  return absl::AbortedError(
      absl::StrCat(name, ": too many concurrent updates"));
}

void CustodyService::PersistExclusions() {
  std::lock_guard<std::mutex> persist(persist_mu_);
  for (const Exclusion& e : orchestrator_->PendingExclusions()) {
    const std::string key_name = absl::StrCat("keys/", e.key_id);
    const std::string node_name = absl::StrCat("nodes/", e.node_id);
    bool added = false;
    auto stored = UpdateKey(key_name, [&](v1::Key& key) {
      added = false;
      for (const auto& x : key.excluded_nodes()) {
        if (x.node() == node_name) return absl::OkStatus();
      }
      *key.add_excluded_nodes() = ExclusionToProto(e);
      added = true;
      return absl::OkStatus();
    });
    if (!stored.ok()) {
      log_->Error("exclusion_not_stored",
                  {{"key", Value::String(key_name)},
                   {"node", Value::String(node_name)},
                   {"error", Value::String(stored.status().ToString())}});
      continue;
    }
    orchestrator_->ExclusionStored(e.key_id, e.node_id);
    if (!added) continue;
    Value payload = Value::MakeObject();
    payload.Set("node", Value::String(node_name));
    payload.Set("code", Value::String(e.code));
    payload.Set("reason", Value::String(Bounded(e.reason)));
    Audit("coordinator", "ExcludeNode", key_name, absl::OkStatus(),
          json::Serialize(payload));
    // An alert: a node was caught misbehaving (alerts.yml pages on
    // nitro_coordinator_nodes_excluded too).
    log_->Warn("node_excluded", {{"key", Value::String(key_name)},
                                 {"node", Value::String(node_name)},
                                 {"code", Value::String(e.code)},
                                 {"reason", Value::String(Bounded(e.reason))}});
  }
}

grpc::Status CustodyService::GetKey(grpc::ServerContext*,
                                    const v1::GetKeyRequest* req,
                                    v1::Key* resp) {
  auto id = KeyIdOf(req->name());
  if (!id.ok()) return ToGrpc(id.status());
  auto rec = storage_->GetKey(req->name());
  if (!rec.ok()) {
    return ToGrpc(
        absl::IsNotFound(rec.status())
            ? absl::NotFoundError(absl::StrCat(req->name(), ": no such key"))
            : rec.status());
  }
  if (!resp->ParseFromString(rec->data)) {
    return ToGrpc(
        absl::DataLossError(absl::StrCat(req->name(), ": stored data")));
  }
  return grpc::Status::OK;
}

grpc::Status CustodyService::ListKeys(grpc::ServerContext*,
                                      const v1::ListKeysRequest* req,
                                      v1::ListKeysResponse* resp) {
  if (req->page_size() < 0) {
    return ToGrpc(absl::InvalidArgumentError("page_size: must be >= 0"));
  }
  auto page = storage_->ListKeys({req->page_size(), req->page_token()});
  if (!page.ok()) return ToGrpc(page.status());
  for (const auto& rec : page->items) {
    if (!resp->add_keys()->ParseFromString(rec.data)) {
      return ToGrpc(
          absl::DataLossError(absl::StrCat(rec.name, ": stored data")));
    }
  }
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

absl::StatusOr<v1::SignResponse> CustodyService::AfterCombinedWriteFailed(
    const std::string& actor, const v1::SignRequest& req,
    const std::string& outcome, absl::StatusOr<v1::SignResponse> response,
    const std::string& audit_payload, const absl::Status& error) {
  const std::string& id = req.request_id();
  log_->Warn("sign_outcome_with_audit_not_stored",
             {{"request_id", Value::String(id)},
              {"error", Value::String(error.ToString())}});
  // What this call answers: `response`, unless another replica's stored
  // outcome came first. Audited once, below.
  absl::StatusOr<v1::SignResponse> answer = std::move(response);
  absl::Status last = error;
  bool stored = false;
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts && !stored; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(20 * attempt));
    absl::StatusOr<storage::SignRequestRecord> current =
        storage_->GetSignRequest(id);
    if (current.ok() && current->completed) {
      if (current->result == outcome) return answer;  // it did commit
      // Completed by another replica first: its outcome is the answer.
      log_->Warn("sign_outcome_stored_by_another_replica",
                 {{"request_id", Value::String(id)}});
      answer = AnswerOfStoredOutcome(id, current->result);
      stored = true;
      break;
    }
    absl::StatusOr<storage::SignRequestRecord> alone =
        storage_->CompleteSignRequest(id, outcome, absl::Now());
    stored = alone.ok();
    if (!stored) last = alone.status();
  }
  if (!stored) {
    // Kept here so that no retry reaching this process signs again. Loud:
    // the operator must repair the store.
    log_->Error("sign_result_not_stored",
                {{"request_id", Value::String(id)},
                 {"error", Value::String(last.ToString())}});
    std::lock_guard<std::mutex> lock(mu_);
    if (unstored_outcomes_.size() >= kMaxUnstoredOutcomes) {
      log_->Error(
          "unstored_sign_outcome_dropped",
          {{"request_id", Value::String(unstored_outcomes_.begin()->first)}});
      unstored_outcomes_.erase(unstored_outcomes_.begin());
    }
    unstored_outcomes_[id] = outcome;
  }
  Audit(actor, "Sign", req.name(), answer.status(), audit_payload);
  return answer;
}

absl::StatusOr<v1::SignResponse> CustodyService::DoSign(
    const v1::SignRequest& req, absl::Time deadline, Value* audit,
    std::vector<CulpritRecord>* culprits, SignCompletion* completion) {
  RETURN_IF_ERROR(ValidateSignRequest(req));
  ASSIGN_OR_RETURN(KeyPlan key, LoadKey(req.name()));

  v1::SignRequest canonical = req;
  canonical.clear_request_id();
  storage::SignRequestRecord record;
  record.request_id = req.request_id();
  record.key = req.name();
  record.request_digest = Sha256(Deterministic(canonical));
  record.create_time = absl::Now();
  // Only the digest of the request is kept (the message may be large and is
  // the caller's), with who signs it since when.
  {
    storage::v1::SignAttempt attempt;
    attempt.set_replica_id(options_.replica_id);
    attempt.set_started_unix_ms(absl::ToUnixMillis(absl::Now()));
    record.data = Deterministic(attempt);
  }
  for (;;) {
    ASSIGN_OR_RETURN(storage::PutSignRequestResult put,
                     storage_->PutSignRequestIfAbsent(record));
    if (put.record.completed) {
      retries_.fetch_add(1);
      audit->Set("answered_from_store", Value::Bool(true));
      return AnswerOfStoredOutcome(req.request_id(), put.record.result);
    }
    storage::v1::SignAttempt attempt;
    if (!put.inserted && !attempt.ParseFromString(put.record.data)) {
      return absl::DataLossError(
          absl::StrCat("request ", req.request_id(), ": stored attempt"));
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (auto kept = unstored_outcomes_.find(req.request_id());
        kept != unstored_outcomes_.end()) {
      // Signed here, but the outcome could not be stored: the same answer.
      const std::string outcome = kept->second;
      lock.unlock();
      retries_.fetch_add(1);
      audit->Set("answered_from_memory", Value::Bool(true));
      return AnswerOfStoredOutcome(req.request_id(), outcome);
    }
    auto it = in_flight_.find(req.request_id());
    if (it != in_flight_.end()) {
      // The same request is being signed here: wait for its outcome.
      auto cv = it->second;
      cv->wait_for(lock, std::chrono::milliseconds(500));
      continue;
    }
    const absl::Time abandoned =
        absl::FromUnixMillis(attempt.started_unix_ms()) + options_.sign_window;
    if (put.inserted || attempt.replica_id() == options_.replica_id ||
        absl::Now() >= abandoned) {
      // Ours: new, or an earlier attempt here ended without an outcome
      // (a transient failure), or another replica's attempt outlived any
      // run it could have made.
      in_flight_[req.request_id()] =
          std::make_shared<std::condition_variable>();
      completion->in_flight = true;
      break;
    }
    // Another replica is signing it: wait for its outcome in the store.
    lock.unlock();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "sign: the request is being signed by another coordinator replica; "
          "retry with the same request id");
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  SignInput input;
  if (req.data_case() == v1::SignRequest::kMessage) {
    input.message = req.message();
  } else {
    input.digest = req.digest();
  }
  input.hash = req.hash();
  input.approvals = req.approvals();
  absl::StatusOr<SignOutcome> outcome =
      orchestrator_->Sign(key, input, culprits);
  PersistExclusions();
  absl::StatusOr<v1::SignResponse> response =
      absl::UnknownError("sign: no outcome");
  if (!outcome.ok()) {
    response = outcome.status();
    // A final refusal is the answer to every retry of this request id
    // (stored by the caller, with the audit entry).
    if (IsFinalRefusal(outcome.status())) {
      storage::v1::SignOutcome o;
      *o.mutable_error() = ToApiStatus(outcome.status());
      completion->store = true;
      completion->outcome = Deterministic(o);
    }
  } else {
    v1::SignResponse r;
    *r.mutable_signature() = outcome->signature;
    for (const auto& id : outcome->signers) {
      r.add_signers(absl::StrCat("nodes/", id));
    }
    r.set_first_response(true);
    storage::v1::SignOutcome o;
    *o.mutable_response() = r;
    completion->store = true;
    completion->outcome = Deterministic(o);
    response = r;
  }
  Value& payload = *audit;
  payload.Set("request_sha256", Value::String(Hex(record.request_digest)));
  Value approvers = Value::MakeArray();
  for (const auto& a : req.approvals().approvals()) {
    approvers.Append(Value::String(Hex(a.approver_id())));
  }
  payload.Set("approvers", std::move(approvers));
  if (outcome.ok()) {
    payload.Set("r", Value::String(Hex(outcome->signature.r())));
    payload.Set("s", Value::String(Hex(outcome->signature.s())));
    payload.Set("runs", Value::Int(outcome->runs));
    Value signers = Value::MakeArray();
    for (const auto& id : outcome->signers) signers.Append(Value::String(id));
    payload.Set("signers", std::move(signers));
  }
  payload.Set("culprits", CulpritsJson(*culprits));
  signs_.fetch_add(1);
  return response;
}

grpc::Status CustodyService::Sign(grpc::ServerContext* ctx,
                                  const v1::SignRequest* req,
                                  v1::SignResponse* resp) {
  Value audit = Value::MakeObject();
  audit.Set("request_id", Value::String(req->request_id()));
  std::vector<CulpritRecord> culprits;
  SignCompletion completion;
  auto r = DoSign(*req, absl::FromChrono(ctx->deadline()), &audit, &culprits,
                  &completion);
  if (!r.ok()) audit.Set("error", Value::String(r.status().ToString()));
  // Every request and its outcome, including retries answered from the
  // store and requests refused before any run. A final outcome is stored
  // with its audit entry in one write (both or neither).
  const std::string payload = json::Serialize(audit);
  if (completion.store) {
    auto stored = storage_->CompleteSignRequestWithAudit(
        req->request_id(), completion.outcome, absl::Now(),
        AuditEventOf(Actor(ctx), "Sign", req->name(), r.status(), payload));
    if (!stored.ok()) {
      r = AfterCombinedWriteFailed(Actor(ctx), *req, completion.outcome,
                                   std::move(r), payload, stored.status());
    }
  } else {
    Audit(Actor(ctx), "Sign", req->name(), r.status(), payload);
  }
  if (completion.in_flight) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = in_flight_.find(req->request_id());
    if (it != in_flight_.end()) {
      it->second->notify_all();
      in_flight_.erase(it);
    }
  }
  if (!r.ok()) {
    log_->Warn("sign_failed", {{"request_id", Value::String(req->request_id())},
                               {"key", Value::String(req->name())},
                               {"status", Value::String(r.status().ToString())},
                               {"culprits", CulpritsJson(culprits)}});
    grpc::Status g = ToGrpc(r.status());
    if (culprits.empty()) return g;
    // Who the runs named, as google.rpc.Status details.
    v1::Status details = ToApiStatus(r.status());
    details.set_code(static_cast<int32_t>(g.error_code()));
    for (const auto& c : culprits) {
      details.add_details()->PackFrom(CulpritInfoOf(c));
    }
    return grpc::Status(g.error_code(), g.error_message(),
                        details.SerializeAsString());
  }
  log_->Info("signed", {{"request_id", Value::String(req->request_id())},
                        {"key", Value::String(req->name())},
                        {"first_response", Value::Bool(r->first_response())}});
  *resp = *std::move(r);
  return grpc::Status::OK;
}

absl::StatusOr<v1::Key> CustodyService::DoReadmitNode(
    const v1::ReadmitNodeRequest& req, std::string* code) {
  RETURN_IF_ERROR(ValidateReadmitNodeRequest(req));
  ASSIGN_OR_RETURN(std::string key_id, KeyIdOf(req.name()));
  ASSIGN_OR_RETURN(std::string node_id, NodeIdOf(req.node(), "node"));
  if (nodes_->Find(node_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat(req.node(), ": no such node"));
  }
  // Excluded here but not stored yet: stored first, then readmitted.
  PersistExclusions();
  auto updated = UpdateKey(req.name(), [&](v1::Key& key) {
    auto* list = key.mutable_excluded_nodes();
    for (int i = 0; i < list->size(); ++i) {
      if (list->Get(i).node() == req.node()) {
        *code = list->Get(i).code();
        list->DeleteSubrange(i, 1);
        return absl::OkStatus();
      }
    }
    return absl::FailedPreconditionError(
        absl::StrCat(req.node(), " is not excluded from ", req.name()));
  });
  if (!updated.ok()) {
    if (absl::IsNotFound(updated.status())) {
      return absl::NotFoundError(absl::StrCat(req.name(), ": no such key"));
    }
    return updated.status();
  }
  orchestrator_->Readmit(key_id, node_id);
  return updated;
}

grpc::Status CustodyService::ReadmitNode(grpc::ServerContext* ctx,
                                         const v1::ReadmitNodeRequest* req,
                                         v1::Key* resp) {
  std::string code;
  auto key = DoReadmitNode(*req, &code);
  // What the caller sent is recorded only once it passed validation (the
  // reason is then printable ASCII, the node a configured one).
  Value payload = Value::MakeObject();
  if (ValidateReadmitNodeRequest(*req).ok()) {
    auto node = NodeIdOf(req->node(), "node");
    if (node.ok() && nodes_->Find(*node) != nullptr) {
      payload.Set("node", Value::String(req->node()));
    }
    payload.Set("reason", Value::String(req->reason()));
  }
  if (!code.empty()) payload.Set("excluded_for", Value::String(code));
  if (!key.ok()) payload.Set("error", Value::String(key.status().ToString()));
  Audit(Actor(ctx), "ReadmitNode", KeyIdOf(req->name()).ok() ? req->name() : "",
        key.status(), json::Serialize(payload));
  if (!key.ok()) return ToGrpc(key.status());
  log_->Warn("node_readmitted", {{"key", Value::String(req->name())},
                                 {"node", Value::String(req->node())},
                                 {"excluded_for", Value::String(code)}});
  *resp = *std::move(key);
  return grpc::Status::OK;
}

grpc::Status CustodyService::GetNode(grpc::ServerContext*,
                                     const v1::GetNodeRequest* req,
                                     v1::Node* resp) {
  auto id = NodeIdOf(req->name(), "name");
  if (!id.ok()) return ToGrpc(id.status());
  auto node = nodes_->Describe(*id);
  if (!node.ok()) return ToGrpc(node.status());
  *resp = *std::move(node);
  for (const Exclusion& e : orchestrator_->ExclusionsOfNode(*id)) {
    *resp->add_exclusions() = ExclusionToProto(e);
  }
  return grpc::Status::OK;
}

grpc::Status CustodyService::ListNodes(grpc::ServerContext*,
                                       const v1::ListNodesRequest*,
                                       v1::ListNodesResponse* resp) {
  for (auto& n : nodes_->DescribeAll()) {
    v1::Node* out = resp->add_nodes();
    *out = std::move(n);
    const std::string id(absl::StripPrefix(out->name(), "nodes/"));
    for (const Exclusion& e : orchestrator_->ExclusionsOfNode(id)) {
      *out->add_exclusions() = ExclusionToProto(e);
    }
  }
  return grpc::Status::OK;
}

grpc::Status CustodyService::GetOperation(grpc::ServerContext*,
                                          const v1::GetOperationRequest* req,
                                          v1::Operation* resp) {
  if (!absl::StartsWith(req->name(), "operations/")) {
    return ToGrpc(absl::InvalidArgumentError(
        "name: \"operations/{operation_id}\" required"));
  }
  auto rec = storage_->GetOperation(req->name());
  if (!rec.ok()) return ToGrpc(rec.status());
  if (!resp->ParseFromString(rec->data)) {
    return ToGrpc(
        absl::DataLossError(absl::StrCat(req->name(), ": stored data")));
  }
  return grpc::Status::OK;
}

grpc::Status CustodyService::ListOperations(
    grpc::ServerContext*, const v1::ListOperationsRequest* req,
    v1::ListOperationsResponse* resp) {
  if (req->page_size() < 0) {
    return ToGrpc(absl::InvalidArgumentError("page_size: must be >= 0"));
  }
  auto page = storage_->ListOperations(storage::OperationFilter::kAll,
                                       {req->page_size(), req->page_token()});
  if (!page.ok()) return ToGrpc(page.status());
  for (const auto& rec : page->items) {
    if (!resp->add_operations()->ParseFromString(rec.data)) {
      return ToGrpc(
          absl::DataLossError(absl::StrCat(rec.name, ": stored data")));
    }
  }
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status CustodyService::WaitOperation(grpc::ServerContext* ctx,
                                           const v1::WaitOperationRequest* req,
                                           v1::Operation* resp) {
  absl::Duration timeout = kMaxWait;
  if (req->has_timeout()) {
    if (req->timeout().seconds() < 0 || req->timeout().nanos() < 0) {
      return ToGrpc(absl::InvalidArgumentError("timeout: must be >= 0"));
    }
    timeout = std::min(kMaxWait, absl::Seconds(req->timeout().seconds()) +
                                     absl::Nanoseconds(req->timeout().nanos()));
  }
  const absl::Time end = absl::Now() + timeout;
  v1::GetOperationRequest get;
  get.set_name(req->name());
  for (;;) {
    grpc::Status s = GetOperation(ctx, &get, resp);
    if (!s.ok() || resp->done() || absl::Now() >= end || ctx->IsCancelled()) {
      return s;
    }
    // Woken by a change made here; polls for other replicas' changes.
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, std::chrono::milliseconds(200));
  }
}

}  // namespace nitro_tss::coordinator
