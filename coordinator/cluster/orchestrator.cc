#include "coordinator/cluster/orchestrator.h"

#include <secp256k1.h>
#include <sodium.h>

#include <algorithm>
#include <optional>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/cluster/refill_order.h"
#include "coordinator/cluster/spent_approvals.h"

namespace nitro_tss::coordinator {

namespace ev1 = enclave::v1;

namespace {

const secp256k1_context* Ctx() {
  static const secp256k1_context* ctx =
      secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return ctx;
}

// Checks an enclave-reported signature against the key and fills the API
// encodings (DER, compact, Ethereum v).
absl::StatusOr<v1::Signature> CheckSignature(const ev1::Signature& sig,
                                             const std::string& public_key) {
  if (sig.r().size() != 32 || sig.s().size() != 32 ||
      sig.digest().size() != 32 || sig.recovery_id() > 3) {
    return absl::InternalError("sign: malformed signature from the enclaves");
  }
  if (sig.public_key() != public_key) {
    return absl::InternalError(
        "sign: the enclaves signed under another public key");
  }
  unsigned char compact[64];
  std::copy(sig.r().begin(), sig.r().end(), compact);
  std::copy(sig.s().begin(), sig.s().end(), compact + 32);
  secp256k1_ecdsa_signature parsed;
  secp256k1_pubkey pub;
  if (!secp256k1_ecdsa_signature_parse_compact(Ctx(), &parsed, compact) ||
      !secp256k1_ec_pubkey_parse(
          Ctx(), &pub,
          reinterpret_cast<const unsigned char*>(public_key.data()),
          public_key.size()) ||
      !secp256k1_ecdsa_verify(
          Ctx(), &parsed,
          reinterpret_cast<const unsigned char*>(sig.digest().data()), &pub)) {
    // verify also refuses high-s: the enclaves produce low-s.
    return absl::InternalError(
        "sign: the enclaves' signature does not verify under the key");
  }
  unsigned char der[80];
  size_t der_len = sizeof der;
  secp256k1_ecdsa_signature_serialize_der(Ctx(), der, &der_len, &parsed);
  v1::Signature out;
  out.set_r(sig.r());
  out.set_s(sig.s());
  out.set_recovery_id(sig.recovery_id());
  out.set_der(std::string(reinterpret_cast<char*>(der), der_len));
  std::string c = sig.r() + sig.s();
  c.push_back(static_cast<char>(sig.recovery_id()));
  out.set_compact(c);
  out.set_ethereum_v(27 + sig.recovery_id());
  out.set_digest(sig.digest());
  out.set_public_key(sig.public_key());
  return out;
}

// The stream error that explains a failed run: the party whose stream
// failed first-hand, not the peers the relay cancelled because of it.
absl::Status RootStreamError(
    const std::map<uint32_t, SessionOutcome>& outcomes) {
  absl::Status cancelled;
  for (const auto& [party, o] : outcomes) {
    if (o.stream_error.ok()) continue;
    if (!absl::IsCancelled(o.stream_error)) return o.stream_error;
    if (cancelled.ok()) cancelled = o.stream_error;
  }
  return cancelled;
}

bool IsUnknownLink(const absl::Status& s) {
  return absl::IsNotFound(s) && absl::StrContains(s.message(), "link");
}

// An enclave's refusal of a session for the link's session limit
// (node/channel SecureSession::CheckDerive): the link must be replaced.
bool IsExhaustedLink(const absl::Status& s) {
  return absl::IsResourceExhausted(s) &&
         absl::StrContains(s.message(),
                           "the link has run its maximum number of sessions");
}

bool IsLostPresignature(const absl::Status& s) {
  return absl::IsNotFound(s) &&
         absl::StrContains(s.message(), "no such presignature");
}

// Asks every enclave of `enclaves` to let go of `link_id` (best effort, 5 s
// each; an error changes nothing: an unclosed link ages out).
void CloseLinkOn(const EnclaveSet& enclaves, const std::string& link_id) {
  for (const auto& [party, conn] : enclaves) {
    ev1::CloseLinkRequest req;
    req.set_link_id(link_id);
    ev1::CloseLinkResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    (void)conn->stub()->CloseLink(&ctx, req, &resp);
  }
}

std::string CulpritNames(const std::vector<CulpritRecord>& culprits) {
  std::vector<std::string> names;
  for (const auto& c : culprits) {
    names.push_back(absl::StrCat(c.node_id, " (", c.code, ")"));
  }
  return absl::StrJoin(names, ", ");
}

// The answer to a Sign whose approvals a failed run spent (or found used
// before): ABORTED, since only fresh approvals (a new request) can sign.
// `failure`: the run's; for already-used approvals, the refusal saying so.
absl::Status SpentApprovalsError(SignRunApprovals approvals,
                                 const std::vector<std::string>& signers,
                                 const absl::Status& failure,
                                 const std::vector<CulpritRecord>& culprits) {
  const std::string culprit_names = CulpritNames(culprits);
  const std::string named =
      culprit_names.empty() ? "" : absl::StrCat("; culprits: ", culprit_names);
  constexpr absl::string_view kFresh =
      "approvals are single-use: no signature was returned; ask the approvers "
      "for fresh approvals and send them in a new Sign request (a new "
      "request id)";
  if (approvals == SignRunApprovals::kAlreadyUsed) {
    return absl::AbortedError(absl::StrCat(
        "sign: the enclaves refused this request's approvals as already used "
        "by an earlier signing run (",
        failure.message(), "); ", kFresh, named));
  }
  return absl::AbortedError(absl::StrCat(
      "sign: the signing run on ", absl::StrJoin(signers, ", "),
      " failed after a signer had (or may have) checked this request's "
      "approvals, which consumes them, so it is not retried with them (",
      failure.message(), "); ", kFresh, named));
}

}  // namespace

Orchestrator::Orchestrator(NodeSet* nodes, OrchestratorOptions options)
    : nodes_(nodes), options_(std::move(options)) {}

std::string Orchestrator::NewId(absl::string_view prefix) const {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  return absl::StrCat(prefix, absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<char*>(b), sizeof b)));
}

RunOptions Orchestrator::Run(absl::Duration deadline,
                             absl::Duration round) const {
  RunOptions r;
  r.round_deadline = round;
  r.run_deadline = deadline;
  r.filter = options_.filter;
  return r;
}

EnclaveSet Orchestrator::EnclavesFor(const SignerSet& signers) {
  EnclaveSet set;
  for (const auto& id : signers) {
    set[nodes_->Find(id)->party_id] = nodes_->Connection(id);
  }
  return set;
}

void Orchestrator::RecordCulprits(
    const std::string& key_id,
    const std::map<uint32_t, SessionOutcome>& outcomes,
    std::vector<CulpritRecord>* culprits, std::set<std::string>* avoid) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& [party, o] : outcomes) {
    const NodeSpec* reporter = nodes_->FindParty(party);
    if (!o.stream_error.ok()) {
      if (absl::IsUnavailable(o.stream_error) ||
          absl::IsDeadlineExceeded(o.stream_error)) {
        if (reporter != nullptr) {
          avoid->insert(reporter->id);
          nodes_->ReportUnreachable(reporter->id,
                                    std::string(o.stream_error.message()));
          // Its peers would name it silent at their round deadline; the
          // relay cancelled them at once instead, so the orchestrator says
          // it: retry elsewhere, never exclude (a crash is not cheating).
          if (seen.insert({reporter->id, "silent"}).second) {
            culprits->push_back(
                {reporter->id, "silent", "retry",
                 absl::StrCat("its enclave's stream ended during the run (",
                              absl::StatusCodeToString(o.stream_error.code()),
                              ": ", o.stream_error.message(),
                              "): the enclave died or became unreachable")});
            std::lock_guard<std::mutex> lock(mu_);
            ++culprit_counts_[{reporter->id, "silent"}];
          }
        }
      }
      continue;
    }
    if (!o.aborted()) continue;
    for (const auto& c : o.abort.culprits()) {
      const NodeSpec* node = nodes_->FindParty(c.party_id());
      if (node == nullptr || c.action() == "self") continue;
      if (!seen.insert({node->id, c.code()}).second) continue;
      culprits->push_back({node->id, c.code(), c.action(), c.reason()});
      avoid->insert(node->id);
      std::lock_guard<std::mutex> lock(mu_);
      ++culprit_counts_[{node->id, c.code()}];
      if (c.action() == "exclude" && !key_id.empty()) {
        Exclusion e{key_id, node->id, c.code(), c.reason(), absl::Now()};
        if (excluded_[key_id].emplace(node->id, e).second) {
          counters_.exclusions.fetch_add(1);
          pending_exclusions_.push_back(std::move(e));
        }
      }
    }
  }
}

absl::StatusOr<ev1::KeyInfo> Orchestrator::CreateKey(
    const std::vector<std::string>& node_ids, uint32_t threshold,
    const approval::v1::ApprovalPolicy& policy, const ProgressFn& progress,
    std::vector<CulpritRecord>* culprits) {
  if (node_ids.size() < 2 || node_ids.size() > 255) {
    return absl::InvalidArgumentError("key.nodes: 2..255 nodes");
  }
  if (threshold < 1 || threshold >= node_ids.size()) {
    return absl::InvalidArgumentError(
        "key.threshold: 1 <= threshold < number of nodes");
  }
  SignerSet set;
  for (const auto& id : node_ids) {
    if (nodes_->Find(id) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("key.nodes: no node \"", id, "\""));
    }
    set.push_back(id);
  }
  std::vector<std::string> sorted = set;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return absl::InvalidArgumentError("key.nodes: a node is named twice");
  }
  for (const auto& id : node_ids) {
    if (!nodes_->Healthy(id)) {
      return absl::FailedPreconditionError(
          absl::StrCat("key.nodes: node \"", id, "\" is not healthy"));
    }
  }
  if (progress) progress(v1::CreateKeyMetadata::LINKING);
  const EnclaveSet enclaves = EnclavesFor(set);
  const std::string link_id = NewId("dkg-");
  auto linked = EstablishLink(enclaves, link_id, LinkPurpose{},
                              options_.link_rpc_timeout);
  counters_.links.fetch_add(1);
  if (!linked.ok()) return linked.status();
  if (progress) progress(v1::CreateKeyMetadata::GENERATING);
  ev1::StartSession start;
  start.set_link_id(link_id);
  start.set_session_id(NewId("dkg-session-"));
  start.mutable_keygen()->set_threshold(threshold);
  *start.mutable_keygen()->mutable_approval_policy() = policy;
  std::map<uint32_t, ev1::StartSession> starts;
  for (const auto& [party, stub] : enclaves) starts[party] = start;
  counters_.runs.fetch_add(1);
  auto outcomes =
      RunSession(enclaves, starts,
                 Run(options_.dkg_deadline, options_.dkg_round_deadline));
  CloseLinkOn(enclaves, link_id);
  std::set<std::string> avoid;
  std::vector<CulpritRecord> named;
  RecordCulprits("", outcomes, &named, &avoid);
  if (culprits != nullptr) *culprits = named;
  const ev1::KeyInfo* first = nullptr;
  if (absl::Status root = RootStreamError(outcomes); !root.ok()) return root;
  for (const auto& [party, o] : outcomes) {
    if (!o.done) {
      counters_.aborts.fetch_add(1);
      std::vector<std::string> names;
      for (const auto& c : named) {
        names.push_back(absl::StrCat(c.node_id, " (", c.code, ")"));
      }
      return absl::AbortedError(absl::StrCat(
          "DKG aborted in round ", o.abort.round(), ": ",
          names.empty() ? o.abort.cause() : absl::StrJoin(names, ", ")));
    }
    if (!o.result.has_key()) {
      return absl::InternalError("DKG: an enclave reported no key");
    }
    if (first == nullptr) {
      first = &o.result.key();
    } else if (o.result.key().key_id() != first->key_id() ||
               o.result.key().public_key() != first->public_key()) {
      return absl::InternalError("DKG: the enclaves reported different keys");
    }
  }
  if (first == nullptr) return absl::InternalError("DKG: no outcome");
  return *first;
}

absl::StatusOr<std::vector<std::string>> Orchestrator::ChooseSigners(
    const KeyPlan& key, const std::set<std::string>& avoid) const {
  const std::set<std::string> excluded = Excluded(key.key_id);
  std::vector<std::string> chosen;
  // Healthy and not avoided first; then healthy avoided ones (a silent
  // party may have recovered), never excluded or unhealthy ones.
  for (int pass = 0; pass < 2 && chosen.size() < key.threshold + 1; ++pass) {
    for (const auto& id : key.node_ids) {
      if (chosen.size() == key.threshold + 1) break;
      if (excluded.count(id) || !nodes_->Healthy(id)) continue;
      if ((pass == 0) == (avoid.count(id) > 0)) continue;
      chosen.push_back(id);
    }
  }
  if (chosen.size() < key.threshold + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sign: only ", chosen.size(), " usable nodes of the key (",
        key.threshold + 1, " needed; ", excluded.size(), " excluded)"));
  }
  std::sort(chosen.begin(), chosen.end(), [&](const auto& a, const auto& b) {
    return nodes_->Find(a)->party_id < nodes_->Find(b)->party_id;
  });
  return chosen;
}

absl::StatusOr<std::string> Orchestrator::EnsureLink(const KeyPlan& key,
                                                     const SignerSet& signers) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& links = links_[key.key_id];
  auto it = links.find(signers);
  if (it != links.end() && !it->second.exhausted) return it->second.id;
  const std::string link_id = NewId("key-");
  const EnclaveSet enclaves = EnclavesFor(signers);
  auto linked = EstablishLink(enclaves, link_id, {key.key_id, &key.policy},
                              options_.link_rpc_timeout);
  counters_.links.fetch_add(1);
  if (!linked.ok()) return linked.status();
  Link& l = links[signers];
  // The enclaves let go of an exhausted link (else it holds one of their
  // links until its maximum age).
  if (l.exhausted) CloseLinkOn(enclaves, l.id);
  l.id = link_id;
  l.epochs.clear();
  l.exhausted = false;
  return link_id;
}

bool Orchestrator::LinkEstablishedAtAll(const SignerSet& signers,
                                        const std::string& link_id) {
  for (const auto& id : signers) {
    ev1::ProbeLinksRequest req;
    req.add_link_ids(link_id);
    ev1::ProbeLinksResponse resp;
    grpc::ClientContext ctx;
    // A channel reconnecting after an enclave restart gets a moment.
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    grpc::Status s = nodes_->Stub(id)->ProbeLinks(&ctx, req, &resp);
    counters_.link_probes.fetch_add(1);
    if (!s.ok()) {
      nodes_->ReportUnreachable(
          id, absl::StrCat("ProbeLinks: ", s.error_message()));
      return false;
    }
    if (resp.established_size() != 1 || resp.established(0) != link_id) {
      return false;
    }
  }
  return true;
}

bool Orchestrator::LinkStillHeld(const std::string& key_id,
                                 const SignerSet& signers,
                                 const std::string& link_id) {
  std::map<std::string, uint64_t> epochs;
  bool all_ready = true;
  for (const auto& id : signers) {
    bool ready = false;
    epochs[id] = nodes_->ConnectionEpoch(id, &ready);
    all_ready = all_ready && ready;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Link& l = links_[key_id][signers];
    if (all_ready && l.id == link_id && l.epochs == epochs) return true;
  }
  if (!LinkEstablishedAtAll(signers, link_id)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  Link& l = links_[key_id][signers];
  if (l.id == link_id) l.epochs = epochs;  // read before the probe
  return true;
}

void Orchestrator::DropLink(const std::string& key_id,
                            const SignerSet& signers) {
  std::lock_guard<std::mutex> lock(mu_);
  links_[key_id].erase(signers);
}

void Orchestrator::RetireLink(const std::string& key_id,
                              const SignerSet& signers,
                              const std::string& link_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto set = links_.find(key_id);
  if (set == links_.end()) return;
  auto l = set->second.find(signers);
  if (l != set->second.end() && l->second.id == link_id) {
    l->second.exhausted = true;
  }
}

void Orchestrator::OnLinkFailure(const std::string& key_id,
                                 const SignerSet& signers,
                                 const std::string& link_id,
                                 const absl::Status& s) {
  if (IsUnknownLink(s)) {
    DropLink(key_id, signers);
  } else if (IsExhaustedLink(s)) {
    RetireLink(key_id, signers, link_id);
  }
}

absl::StatusOr<std::string> Orchestrator::Presign(
    const KeyPlan& key, const SignerSet& signers, const std::string& link,
    std::vector<CulpritRecord>* culprits, std::set<std::string>* avoid) {
  const EnclaveSet enclaves = EnclavesFor(signers);
  ev1::StartSession start;
  start.set_link_id(link);
  start.set_session_id(NewId("presign-"));
  start.mutable_presign();
  std::map<uint32_t, ev1::StartSession> starts;
  for (const auto& [party, stub] : enclaves) starts[party] = start;
  counters_.runs.fetch_add(1);
  counters_.presign_runs.fetch_add(1);
  auto outcomes = RunSession(
      enclaves, starts, Run(options_.sign_deadline, options_.round_deadline));
  RecordCulprits(key.key_id, outcomes, culprits, avoid);
  if (absl::Status root = RootStreamError(outcomes); !root.ok()) return root;
  std::string id;
  for (const auto& [party, o] : outcomes) {
    if (!o.done) {
      counters_.aborts.fetch_add(1);
      return absl::AbortedError(absl::StrCat(
          "presign aborted in round ", o.abort.round(), ": ", o.abort.cause()));
    }
    if (!o.result.has_presignature()) {
      return absl::InternalError(
          "presign: an enclave reported no presignature");
    }
    const std::string& p = o.result.presignature().presignature_id();
    if (!id.empty() && p != id) {
      return absl::InternalError(
          "presign: the enclaves reported different presignatures");
    }
    id = p;
  }
  return id;
}

absl::StatusOr<SignOutcome> Orchestrator::Sign(
    const KeyPlan& key, const SignInput& input,
    std::vector<CulpritRecord>* culprits) {
  RegisterKey(key);
  {
    std::lock_guard<std::mutex> lock(signing_mu_);
    ++signs_in_flight_;
  }
  absl::Cleanup done = [this] {
    std::lock_guard<std::mutex> lock(signing_mu_);
    last_sign_end_ = std::chrono::steady_clock::now();
    --signs_in_flight_;
  };
  SignOutcome outcome;
  absl::StatusOr<SignOutcome> r = SignAttempts(key, input, outcome);
  if (culprits != nullptr) *culprits = outcome.culprits;
  return r;
}

void Orchestrator::StopRefills() { refills_stopped_.store(true); }

bool Orchestrator::YieldsToSigns(const std::string& key_id,
                                 const SignerSet& signers) {
  size_t pool = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pool = links_[key_id][signers].presignatures.size();
  }
  if (pool <= options_.pool_target / 4) return false;
  {
    std::lock_guard<std::mutex> lock(signing_mu_);
    if (signs_in_flight_ == 0 &&
        std::chrono::steady_clock::now() - last_sign_end_ >= kRefillQuietTime) {
      return false;
    }
  }
  counters_.refill_deferrals.fetch_add(1);
  return true;
}

absl::StatusOr<SignOutcome> Orchestrator::SignAttempts(const KeyPlan& key,
                                                       const SignInput& input,
                                                       SignOutcome& outcome) {
  std::set<std::string> avoid;
  absl::Status last = absl::UnavailableError("sign: no attempt made");
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto signers = ChooseSigners(key, avoid);
    if (!signers.ok()) {
      if (!outcome.culprits.empty()) {
        return absl::UnavailableError(absl::StrCat(
            signers.status().message(), "; last failure: ", last.message()));
      }
      return signers.status();
    }
    auto link = EnsureLink(key, *signers);
    if (link.ok() && !LinkStillHeld(key.key_id, *signers, *link)) {
      // An enclave of the set restarted since the link was made: replace
      // the link before any signer sees (and consumes) the approvals.
      DropLink(key.key_id, *signers);
      link = EnsureLink(key, *signers);
    }
    if (!link.ok()) {
      last = link.status();
      if (absl::IsPermissionDenied(last) || absl::IsInvalidArgument(last)) {
        return last;
      }
      // Which node failed is named in the message; avoid them all lightly.
      for (const auto& id : *signers) {
        if (absl::StrContains(
                last.message(),
                absl::StrCat("party ", nodes_->Find(id)->party_id, " "))) {
          avoid.insert(id);
        }
      }
      continue;
    }
    // A ready presignature, else a presign run.
    std::string presignature;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& l = links_[key.key_id][*signers];
      if (!l.presignatures.empty()) {
        presignature = l.presignatures.front();
        l.presignatures.pop_front();
      }
    }
    outcome.from_pool = !presignature.empty();
    if (presignature.empty()) {
      counters_.pool_misses.fetch_add(1);
      ++outcome.runs;
      auto made = Presign(key, *signers, *link, &outcome.culprits, &avoid);
      if (!made.ok()) {
        last = made.status();
        OnLinkFailure(key.key_id, *signers, *link, last);
        continue;
      }
      presignature = *made;
    } else {
      counters_.pool_hits.fetch_add(1);
    }
    const EnclaveSet enclaves = EnclavesFor(*signers);
    ev1::StartSession start;
    start.set_link_id(*link);
    start.set_session_id(NewId("sign-"));
    ev1::SignParams* p = start.mutable_sign();
    p->set_presignature_id(presignature);
    if (input.digest.empty()) {
      p->set_message(input.message);
    } else {
      p->set_digest(input.digest);
    }
    p->set_hash(input.hash == v1::KECCAK256 ? ev1::HASH_FUNCTION_KECCAK256
                                            : ev1::HASH_FUNCTION_SHA256);
    *p->mutable_approvals() = input.approvals;
    std::map<uint32_t, ev1::StartSession> starts;
    for (const auto& [party, stub] : enclaves) starts[party] = start;
    counters_.runs.fetch_add(1);
    ++outcome.runs;
    auto outcomes = RunSession(
        enclaves, starts, Run(options_.sign_deadline, options_.round_deadline));
    RecordCulprits(key.key_id, outcomes, &outcome.culprits, &avoid);
    const ev1::Signature* sig = nullptr;
    absl::Status failed = RootStreamError(outcomes);
    // Refused approvals or a malformed request, with no signer past its
    // approvals check: never retried, and the presignature, which no
    // enclave took, goes (back) to the pool. (A refusal while another
    // signer consumed the approvals is a spent run, answered below.)
    if (std::optional<absl::Status> refusal = FinalRefusal(outcomes)) {
      std::lock_guard<std::mutex> lock(mu_);
      auto& l = links_[key.key_id][*signers];
      if (l.id == *link) l.presignatures.push_front(presignature);
      return *refusal;
    }
    for (const auto& [party, o] : outcomes) {
      if (!o.stream_error.ok()) {
        if (failed.ok()) failed = o.stream_error;
        continue;
      }
      if (!o.done) {
        counters_.aborts.fetch_add(1);
        if (failed.ok()) {
          failed = absl::AbortedError(absl::StrCat(
              "sign aborted in round ", o.abort.round(),
              o.abort.cause().empty() ? "" : ": ", o.abort.cause()));
        }
        continue;
      }
      if (!o.result.has_signature()) {
        failed = absl::InternalError("sign: an enclave reported no signature");
        continue;
      }
      if (sig != nullptr && (o.result.signature().r() != sig->r() ||
                             o.result.signature().s() != sig->s())) {
        failed = absl::InternalError(
            "sign: the enclaves reported different signatures");
        continue;
      }
      sig = &o.result.signature();
    }
    if (failed.ok() && sig != nullptr) {
      auto checked = CheckSignature(*sig, key.public_key);
      if (!checked.ok()) return checked.status();
      outcome.signature = *std::move(checked);
      outcome.signers = *signers;
      return outcome;
    }
    last = failed;
    OnLinkFailure(key.key_id, *signers, *link, last);
    if (IsLostPresignature(last)) {
      // An enclave of this set restarted: its pool is gone.
      std::lock_guard<std::mutex> lock(mu_);
      links_[key.key_id][*signers].presignatures.clear();
    }
    // Approvals are single-use: once an enclave got past its approvals
    // check (its replay cache holds their nonce), a run with the same
    // approvals would be refused ALREADY_EXISTS. Only a run in which no
    // signer got past the check is retried (spent_approvals.h).
    const SignRunApprovals approvals = ApprovalsAfterSignRun(outcomes);
    if (EverySignerRefusedBeforeApprovalsCheck(outcomes) &&
        !IsLostPresignature(last)) {
      // Every signer refused before its approvals check, so before taking
      // the presignature: it stays usable on its link (if still held).
      std::lock_guard<std::mutex> lock(mu_);
      auto set = links_.find(key.key_id);
      if (set != links_.end()) {
        auto l = set->second.find(*signers);
        if (l != set->second.end() && l->second.id == *link) {
          l->second.presignatures.push_front(presignature);
        }
      }
    }
    if (approvals == SignRunApprovals::kAlreadyUsed) {
      for (const auto& [party, o] : outcomes) {
        if (absl::IsAlreadyExists(o.stream_error)) last = o.stream_error;
      }
    }
    if (approvals != SignRunApprovals::kUnspent) {
      return SpentApprovalsError(approvals, *signers, last, outcome.culprits);
    }
  }
  const std::string names = CulpritNames(outcome.culprits);
  return absl::UnavailableError(
      absl::StrCat("sign: no signer set finished after ", options_.max_attempts,
                   " attempts; last: ", last.message(),
                   names.empty() ? "" : absl::StrCat("; culprits: ", names)));
}

void Orchestrator::RegisterKey(const KeyPlan& key) {
  std::lock_guard<std::mutex> lock(mu_);
  keys_[key.key_id] = key;
  std::map<std::string, Exclusion>& excluded = excluded_[key.key_id];
  excluded.clear();
  for (const Exclusion& e : key.excluded) excluded[e.node_id] = e;
  for (const Exclusion& e : pending_exclusions_) {
    if (e.key_id == key.key_id) excluded.emplace(e.node_id, e);
  }
}

int Orchestrator::RefillPools() {
  if (options_.pool_target == 0 || refills_stopped_.load()) return 0;
  std::vector<KeyPlan> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, k] : keys_) keys.push_back(k);
  }
  // Every key's pool for its current signer set, in key order.
  struct Pool {
    KeyPlan key;
    SignerSet signers;
    std::string link;
    std::set<std::string> avoid;
  };
  std::vector<Pool> pools;
  for (const KeyPlan& key : keys) {
    std::set<std::string> avoid;
    auto signers = ChooseSigners(key, avoid);
    if (!signers.ok()) continue;
    auto link = EnsureLink(key, *signers);
    if (!link.ok()) continue;
    pools.push_back({key, *std::move(signers), *std::move(link), {}});
  }
  std::vector<PoolFill> fills(pools.size());
  int made = 0;
  for (;;) {
    if (refills_stopped_.load()) return made;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < pools.size(); ++i) {
        const Link& l = links_[pools[i].key.key_id][pools[i].signers];
        if (l.id != pools[i].link) fills[i].skip = true;  // replaced
        fills[i].size = l.presignatures.size();
      }
    }
    // The emptiest pool first (refill_order.h).
    std::optional<size_t> next = NextPoolToRefill(fills, options_.pool_target);
    if (!next.has_value()) return made;
    Pool& pool = pools[*next];
    // Signs first: this pool again at the next call.
    if (YieldsToSigns(pool.key.key_id, pool.signers)) {
      fills[*next].skip = true;
      continue;
    }
    std::vector<CulpritRecord> culprits;
    auto p = Presign(pool.key, pool.signers, pool.link, &culprits, &pool.avoid);
    if (!p.ok()) {
      OnLinkFailure(pool.key.key_id, pool.signers, pool.link, p.status());
      fills[*next].skip = true;
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto& l = links_[pool.key.key_id][pool.signers];
    if (l.id != pool.link) {  // the link was replaced meanwhile
      fills[*next].skip = true;
      continue;
    }
    l.presignatures.push_back(*p);
    ++made;
  }
}

std::vector<std::string> Orchestrator::KeyIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, k] : keys_) out.push_back(id);
  return out;
}

size_t Orchestrator::PoolSize(const std::string& key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(key_id);
  if (it == links_.end()) return 0;
  size_t n = 0;
  for (const auto& [set, l] : it->second) n += l.presignatures.size();
  return n;
}

std::set<std::string> Orchestrator::Excluded(const std::string& key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> out;
  auto it = excluded_.find(key_id);
  if (it == excluded_.end()) return out;
  for (const auto& [node, e] : it->second) out.insert(node);
  return out;
}

std::map<std::string, Exclusion> Orchestrator::Exclusions(
    const std::string& key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = excluded_.find(key_id);
  return it == excluded_.end() ? std::map<std::string, Exclusion>{}
                               : it->second;
}

std::vector<Exclusion> Orchestrator::ExclusionsOfNode(
    const std::string& node_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Exclusion> out;
  for (const auto& [key, nodes] : excluded_) {
    auto it = nodes.find(node_id);
    if (it != nodes.end()) out.push_back(it->second);
  }
  return out;
}

std::vector<Exclusion> Orchestrator::PendingExclusions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_exclusions_;
}

void Orchestrator::ExclusionStored(const std::string& key_id,
                                   const std::string& node_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(pending_exclusions_, [&](const Exclusion& e) {
    return e.key_id == key_id && e.node_id == node_id;
  });
}

bool Orchestrator::Readmit(const std::string& key_id,
                           const std::string& node_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(pending_exclusions_, [&](const Exclusion& e) {
    return e.key_id == key_id && e.node_id == node_id;
  });
  auto it = excluded_.find(key_id);
  return it != excluded_.end() && it->second.erase(node_id) > 0;
}

std::map<std::pair<std::string, std::string>, uint64_t>
Orchestrator::CulpritCounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return culprit_counts_;
}

}  // namespace nitro_tss::coordinator
