#include "coordinator/cluster/nodes.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/attestation/aws_root.h"
#include "node/attestation/verifier.h"

namespace nitro_tss::coordinator {

namespace ev1 = enclave::v1;

namespace {

bool ValidNodeId(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NodeSet>> NodeSet::Create(
    std::vector<NodeSpec> nodes, const NodeTlsMaterial* tls,
    std::vector<uint8_t> attestation_root_der,
    std::vector<std::map<int, std::vector<uint8_t>>> allowed_images) {
  std::unique_ptr<NodeSet> set(new NodeSet());
  set->allowed_images_ = std::move(allowed_images);
  set->root_der_ = attestation_root_der.empty()
                       ? attestation::AwsNitroRootG1Der()
                       : std::move(attestation_root_der);
  std::set<uint32_t> parties;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& n = nodes[i];
    const std::string field = absl::StrCat("nodes[", i, "]");
    if (!ValidNodeId(n.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".id: 1..63 characters of [a-z0-9-]"));
    }
    if (set->entries_.count(n.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".id: \"", n.id, "\" used twice"));
    }
    if (n.party_id < 1 || n.party_id > 255 ||
        !parties.insert(n.party_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".party_id: 1..255 and distinct across nodes"));
    }
    auto e = std::make_unique<Entry>();
    e->spec = n;
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(8 << 20);
    args.SetMaxSendMessageSize(8 << 20);
    SetSessionsKeepalive(&args);
    if (absl::StartsWith(n.address, "unix:///")) {
      // gRPC's own unix: target reconnects by itself.
      e->channel =
          grpc::CreateCustomChannel(absl::StrCat("unix:", n.address.substr(7)),
                                    grpc::InsecureChannelCredentials(), args);
    } else {
      if (n.address.empty() || n.address.find("://") != std::string::npos ||
          n.address.rfind(':') == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".address: \"HOST:PORT\" or \"unix:///PATH\""));
      }
      if (tls == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".address: a HOST:PORT node needs `node_tls`"));
      }
      grpc::SslCredentialsOptions o;
      o.pem_root_certs = tls->ca_pem;
      o.pem_cert_chain = tls->cert_pem;
      o.pem_private_key = tls->key_pem;
      if (!n.tls_server_name.empty()) {
        args.SetSslTargetNameOverride(n.tls_server_name);
      }
      e->channel =
          grpc::CreateCustomChannel(n.address, grpc::SslCredentials(o), args);
    }
    e->connection = std::make_unique<EnclaveConnection>(e->channel);
    e->status.set_name(absl::StrCat("nodes/", n.id));
    e->status.set_party_id(n.party_id);
    e->status.set_address(n.address);
    e->status.set_health(v1::Node::HEALTH_UNSPECIFIED);
    set->specs_.push_back(n);
    set->entries_[n.id] = std::move(e);
  }
  for (auto& [id, e] : set->entries_) {
    NodeSet* self = set.get();
    Entry* entry = e.get();
    set->watchers_.emplace_back([self, entry] { self->Watch(*entry); });
  }
  return set;
}

NodeSet::~NodeSet() {
  stopping_.store(true);
  for (auto& t : watchers_) t.join();
}

void NodeSet::Watch(Entry& e) {
  grpc_connectivity_state last = e.channel->GetState(false);
  while (!stopping_.load()) {
    // Returns at once if the state is no longer `last`; the deadline only
    // bounds how long a stop waits.
    if (e.channel->WaitForStateChange(
            last, absl::ToChronoTime(absl::Now() + absl::Milliseconds(200)))) {
      e.epoch.fetch_add(1);
      last = e.channel->GetState(false);
    }
  }
}

uint64_t NodeSet::ConnectionEpoch(const std::string& id, bool* ready) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    *ready = false;
    return 0;
  }
  // The epoch first: a change after it is read shows as not ready or as a
  // later epoch next time.
  const uint64_t epoch = it->second->epoch.load();
  *ready = it->second->channel->GetState(false) == GRPC_CHANNEL_READY;
  return epoch;
}

const NodeSpec* NodeSet::Find(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second->spec;
}

const NodeSpec* NodeSet::FindParty(uint32_t party_id) const {
  for (const auto& [id, e] : entries_) {
    if (e->spec.party_id == party_id) return &e->spec;
  }
  return nullptr;
}

ev1::Enclave::StubInterface* NodeSet::Stub(const std::string& id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second->connection->stub();
}

EnclaveConnection* NodeSet::Connection(const std::string& id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second->connection.get();
}

void NodeSet::Check(Entry& e, absl::Duration timeout) {
  ev1::GetInfoRequest req;
  unsigned char nonce[32];
  randombytes_buf(nonce, sizeof nonce);
  req.set_nonce(reinterpret_cast<const char*>(nonce), sizeof nonce);
  ev1::GetInfoResponse resp;
  grpc::ClientContext ctx;
  // Wait for a reconnecting channel (a restarted enclave) up to the timeout
  // instead of failing at once in gRPC's reconnect backoff.
  ctx.set_wait_for_ready(true);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Status s = e.connection->stub()->GetInfo(&ctx, req, &resp);
  if (!s.ok()) {
    SetHealth(e, v1::Node::UNREACHABLE,
              absl::StrCat("GetInfo: ", s.error_message()));
    return;
  }
  const auto& doc_bytes = resp.attestation_document();
  attestation::VerifyOptions options;
  options.root_der = root_der_;
  options.now_ms = absl::ToUnixMillis(absl::Now());
  attestation::AttestationPolicy policy;
  policy.expected_nonce = std::vector<uint8_t>(nonce, nonce + sizeof nonce);
  policy.max_age_ms = 5 * 60 * 1000;
  auto doc = attestation::VerifyAttestationDocument(
      absl::Span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(doc_bytes.data()), doc_bytes.size()),
      options, policy);
  if (!doc.ok()) {
    SetHealth(e, v1::Node::ATTESTATION_FAILED,
              std::string(doc.status().message()));
    return;
  }
  if (!allowed_images_.empty()) {
    bool allowed = false;
    for (const auto& image : allowed_images_) {
      bool match = true;
      for (const auto& [index, value] : image) {
        auto it = doc->pcrs.find(index);
        match = match && it != doc->pcrs.end() && it->second == value;
      }
      allowed = allowed || match;
    }
    if (!allowed) {
      auto pcr0 = doc->pcrs.find(0);
      SetHealth(
          e, v1::Node::ATTESTATION_FAILED,
          absl::StrCat(
              "attestation: PCR0 ",
              pcr0 == doc->pcrs.end()
                  ? std::string("(absent)")
                  : absl::BytesToHexString(absl::string_view(
                        reinterpret_cast<const char*>(pcr0->second.data()),
                        pcr0->second.size())),
              " is not an allowed image (allowed_images)"));
      return;
    }
  }
  SetHealth(e, v1::Node::SERVING, "");
  std::lock_guard<std::mutex> lock(mu_);
  v1::Node& st = e.status;
  st.set_module_id(doc->module_id);
  st.set_version(resp.version());
  st.mutable_pcrs()->clear();
  for (const auto& [index, value] : doc->pcrs) {
    if (index > 8) continue;  // the image's, kernel's, application's, ...
    bool zero = true;
    for (uint8_t b : value) zero = zero && b == 0;
    if (zero && index != 0) continue;
    (*st.mutable_pcrs())[index] = absl::BytesToHexString(absl::string_view(
        reinterpret_cast<const char*>(value.data()), value.size()));
  }
  *st.mutable_last_attestation_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(absl::Now()));
  st.clear_loaded_keys();
  for (const auto& k : resp.keys()) {
    st.add_loaded_keys(absl::StrCat("keys/", k.key_id()));
  }
}

int NodeSet::CheckAll(absl::Duration timeout) {
  std::vector<std::thread> threads;
  for (auto& [id, e] : entries_) {
    Entry* entry = e.get();
    threads.emplace_back([this, entry, timeout] { Check(*entry, timeout); });
  }
  for (auto& t : threads) t.join();
  int serving = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, e] : entries_) {
    if (e->status.health() == v1::Node::SERVING) ++serving;
  }
  return serving;
}

void NodeSet::SetHealth(Entry& e, v1::Node::Health health,
                        const std::string& error) {
  bool changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = e.status.health() != health;
    e.status.set_health(health);
    if (error.empty()) {
      e.status.clear_last_error();
    } else {
      e.status.set_last_error(error);
    }
  }
  if (changed && listener_) listener_(e.spec.id, health, error);
}

void NodeSet::ReportUnreachable(const std::string& id,
                                const std::string& error) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  SetHealth(*it->second, v1::Node::UNREACHABLE, error);
}

absl::StatusOr<v1::Node> NodeSet::Describe(const std::string& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("nodes/", id, ": no such node"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  return it->second->status;
}

std::vector<v1::Node> NodeSet::DescribeAll() const {
  std::vector<v1::Node> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const NodeSpec& s : specs_) out.push_back(entries_.at(s.id)->status);
  return out;
}

bool NodeSet::Healthy(const std::string& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return it->second->status.health() == v1::Node::SERVING;
}

}  // namespace nitro_tss::coordinator
