// Fuzzes the key-policy parser (PutKeyPolicy/CreateKey Policy come from
// clients) and the evaluator: parsing must either fail with
// MalformedPolicyDocumentException or yield a policy that evaluates
// deterministically for a few representative requests.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/kms-local/errors.h"
#include "tools/kms-local/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace kl = nitro_tss::kms_local;
  const std::string doc(reinterpret_cast<const char*>(data), size);
  auto policy = kl::ParsePolicy(doc);
  if (!policy.ok()) {
    if (kl::AwsErrorType(policy.status()) !=
        "MalformedPolicyDocumentException") {
      std::abort();
    }
    return 0;
  }
  kl::AuthorizationRequest req;
  req.principal_arn = "arn:aws:iam::111122223333:role/parent";
  req.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  for (const char* action : {"kms:Decrypt", "kms:PutKeyPolicy"}) {
    req.action = action;
    req.context.clear();
    const auto a = kl::Evaluate(*policy, req);
    req.context["kms:recipientattestation:imagesha384"] = std::string(96, 'a');
    req.context["kms:recipientattestation:pcr0"] = std::string(96, 'a');
    req.context["aws:principalarn"] = req.principal_arn;
    const auto b = kl::Evaluate(*policy, req);
    if (kl::Evaluate(*policy, req).decision != b.decision) std::abort();
    (void)a;
  }
  return 0;
}
