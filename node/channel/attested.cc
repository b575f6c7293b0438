#include "node/channel/attested.h"

#include <utility>

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

VerifyFunction MakePolicyVerifier(std::vector<uint8_t> root_der,
                                  attestation::AttestationPolicy policy,
                                  std::function<int64_t()> now_ms) {
  policy.expected_public_key.reset();
  policy.expected_user_data.reset();
  return [root_der = std::move(root_der), policy = std::move(policy),
          now_ms = std::move(now_ms)](absl::string_view document,
                                      absl::string_view expected_nonce)
             -> absl::StatusOr<VerifiedDocument> {
    attestation::VerifyOptions options;
    options.root_der = root_der;
    options.now_ms = now_ms();
    attestation::AttestationPolicy session_policy = policy;
    session_policy.expected_nonce = ToVector(expected_nonce);
    const std::vector<uint8_t> bytes = ToVector(document);
    absl::StatusOr<attestation::AttestationDocument> doc =
        attestation::VerifyAttestationDocument(bytes, options, session_policy);
    if (!doc.ok()) return doc.status();
    VerifiedDocument out;
    out.module_id = doc->module_id;
    out.public_key = ToString(doc->public_key);
    out.user_data = ToString(doc->user_data);
    return out;
  };
}

}  // namespace nitro_tss::channel
