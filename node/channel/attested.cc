#include "node/channel/attested.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "node/attestation/errors.h"

namespace nitro_tss::channel {
namespace {
std::vector<uint8_t> ToVector(absl::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}
std::string ToString(const std::optional<std::vector<uint8_t>>& v) {
  return v.has_value() ? std::string(v->begin(), v->end()) : std::string();
}
}  // namespace

AttestFunction MakeNsmAttester(attestation::Nsm& nsm) {
  return [&nsm](absl::string_view user_data, absl::string_view nonce,
                absl::string_view public_key) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::vector<uint8_t>> doc = nsm.GetAttestationDocument(
        ToVector(user_data), ToVector(nonce), ToVector(public_key));
    if (!doc.ok()) return doc.status();
    return std::string(doc->begin(), doc->end());
  };
}

absl::StatusOr<VerifyFunction> MakePolicyVerifier(
    std::vector<uint8_t> root_der, attestation::AttestationPolicy policy,
    std::function<int64_t()> now_ms) {
  return MakeAllowlistVerifier(std::move(root_der), {std::move(policy)},
                               std::move(now_ms));
}

absl::StatusOr<VerifyFunction> MakeAllowlistVerifier(
    std::vector<uint8_t> root_der,
    std::vector<attestation::AttestationPolicy> allowed,
    std::function<int64_t()> now_ms) {
  if (allowed.empty()) {
    return absl::InvalidArgumentError(
        "attestation: no policy is allowed (empty allowlist)");
  }
  for (size_t i = 0; i < allowed.size(); ++i) {
    absl::Status pinned = attestation::CheckPolicyPinsImage(allowed[i]);
    if (!pinned.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "peer verifier: allowlist policy ", i, ": ", pinned.message()));
    }
  }
  if (!now_ms) {
    return absl::InvalidArgumentError("peer verifier: a clock is required");
  }
  for (attestation::AttestationPolicy& policy : allowed) {
    policy.expected_public_key.reset();
    policy.expected_user_data.reset();
  }
  VerifyFunction verify =
      [root_der = std::move(root_der), allowed = std::move(allowed),
       now_ms = std::move(now_ms)](
          absl::string_view document, absl::string_view expected_nonce,
          uint32_t /*claimed_party: per-party checks are the handshake's*/)
      -> absl::StatusOr<VerifiedDocument> {
    attestation::VerifyOptions options;
    options.root_der = root_der;
    options.now_ms = now_ms();
    const std::vector<uint8_t> bytes = ToVector(document);
    absl::StatusOr<attestation::AttestationDocument> doc =
        attestation::ParseAttestationDocument(bytes);
    if (!doc.ok()) return doc.status();
    absl::Status authentic =
        attestation::VerifyDocumentSignatureAndChain(*doc, options);
    if (!authentic.ok()) return authentic;
    // The most telling refusal: one from a policy whose PCRs matched (e.g.
    // a stale nonce), else the first policy's (usually a PCR mismatch).
    absl::Status first_error, matched_pcrs_error;
    for (const attestation::AttestationPolicy& policy : allowed) {
      attestation::AttestationPolicy session_policy = policy;
      session_policy.expected_nonce = ToVector(expected_nonce);
      absl::Status verdict = attestation::CheckAttestationPolicy(
          *doc, session_policy, options.now_ms);
      if (verdict.ok()) {
        VerifiedDocument out;
        out.module_id = doc->module_id;
        out.public_key = ToString(doc->public_key);
        out.user_data = ToString(doc->user_data);
        for (const auto& [index, value] : doc->pcrs) {
          out.pcrs[index] = std::string(value.begin(), value.end());
        }
        return out;
      }
      if (first_error.ok()) first_error = verdict;
      if (matched_pcrs_error.ok() &&
          attestation::GetVerifyError(verdict) !=
              attestation::VerifyError::kPcrMismatch) {
        matched_pcrs_error = verdict;
      }
    }
    return matched_pcrs_error.ok() ? first_error : matched_pcrs_error;
  };
  return verify;
}

}  // namespace nitro_tss::channel
