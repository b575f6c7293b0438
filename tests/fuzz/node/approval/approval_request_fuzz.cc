// Fuzz target: the approval request decoders (the canonical encoding of
// node/approval/request.h, the ApprovalRequest message) and the
// ApprovalBundle decoder, whose approvals are then checked by
// CheckApprovals against a fixed policy (fuzz_policy.h): the verifier must
// never accept them, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "node/approval/proto.h"
#include "node/approval/request.h"
#include "node/approval/verifier.h"
#include "tests/fuzz/node/approval/fuzz_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace a = nitro_tss::approval;
  const absl::Span<const uint8_t> in(data, size);
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<a::ApprovalRequest> request = a::DecodeRequest(in);
  if (request.ok()) {
    absl::StatusOr<std::vector<uint8_t>> again = a::EncodeRequest(*request);
    if (!again.ok() || *again != std::vector<uint8_t>(in.begin(), in.end())) {
      abort();
    }
    if (!a::ApprovalMessage(*request).ok()) abort();
  }

  absl::StatusOr<a::ApprovalRequest> message = a::DecodeRequestMessage(text);
  if (message.ok()) {
    absl::StatusOr<a::ApprovalRequest> again =
        a::DecodeRequestMessage(a::EncodeMessage(a::RequestToProto(*message)));
    if (!again.ok() || !(*again == *message)) abort();
    if (!a::EncodeRequest(*message).ok()) abort();
  }

  absl::StatusOr<a::ApprovalBundle> bundle = a::DecodeBundleMessage(text);
  if (bundle.ok()) {
    a::KeyId key_id{};
    a::Digest32 digest{};
    key_id.fill(0x11);
    digest.fill(0x22);
    const a::ApprovalRequest r = a::RequestForOperation(
        key_id, a::Operation::kSign, a::HashFunction::kSha256, digest, {1, 2},
        *bundle);
    a::ReplayCache cache(4);
    // Just before expiry, so the signature checks run.
    if (a::CheckApprovals(a::fuzz::FuzzPolicy(), r, bundle->approvals,
                          bundle->expiry_unix_ms - 1, cache)
            .ok()) {
      abort();
    }
    if (cache.size() != 0) abort();
  }
  return 0;
}
