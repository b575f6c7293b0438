#include "node/approval/request.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace nitro_tss::approval {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("approval request: ", what));
}

bool IsKnownHashFunction(uint8_t value) { return value == 1 || value == 2; }

void PutBigEndian(uint64_t value, size_t bytes, std::vector<uint8_t>& out) {
  for (size_t i = bytes; i > 0; --i) {
    out.push_back(static_cast<uint8_t>(value >> (8 * (i - 1))));
  }
}

class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> bytes) : bytes_(bytes) {}
  absl::StatusOr<absl::Span<const uint8_t>> Bytes(size_t n,
                                                  absl::string_view field) {
    if (bytes_.size() - pos_ < n) {
      return Invalid(
          absl::StrCat("truncated at ", field, " (byte ", pos_, ")"));
    }
    absl::Span<const uint8_t> out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  absl::StatusOr<uint64_t> BigEndian(size_t n, absl::string_view field) {
    ASSIGN_OR_RETURN(absl::Span<const uint8_t> b, Bytes(n, field));
    uint64_t v = 0;
    for (uint8_t byte : b) v = (v << 8) | byte;
    return v;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  absl::Span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string HashFunctionName(HashFunction hash_function) {
  switch (hash_function) {
    case HashFunction::kSha256:
      return "sha256";
    case HashFunction::kKeccak256:
      return "keccak256";
  }
  return absl::StrCat("hash function ", static_cast<int>(hash_function));
}

absl::Status ValidateRequest(const ApprovalRequest& request) {
  if (!IsKnownOperation(static_cast<uint8_t>(request.operation))) {
    return Invalid(absl::StrCat("unknown operation ",
                                static_cast<int>(request.operation)));
  }
  if (!IsKnownHashFunction(static_cast<uint8_t>(request.hash_function))) {
    return Invalid(absl::StrCat("unknown hash function ",
                                static_cast<int>(request.hash_function)));
  }
  if (request.derivation_path.size() > kMaxDerivationDepth) {
    return Invalid(
        absl::StrCat("derivation path of ", request.derivation_path.size(),
                     " elements exceeds the limit of ", kMaxDerivationDepth));
  }
  if (request.expiry_unix_ms == 0) return Invalid("expiry_unix_ms is 0");
  if (request.nonce.size() < kMinNonceBytes ||
      request.nonce.size() > kMaxNonceBytes) {
    return Invalid(absl::StrCat("nonce must be ", kMinNonceBytes, "..",
                                kMaxNonceBytes, " bytes, got ",
                                request.nonce.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> EncodeRequest(
    const ApprovalRequest& request) {
  RETURN_IF_ERROR(ValidateRequest(request));
  std::vector<uint8_t> out;
  out.reserve(kMaxRequestBytes);
  out.push_back(kRequestVersion);
  out.insert(out.end(), request.key_id.begin(), request.key_id.end());
  out.push_back(static_cast<uint8_t>(request.operation));
  out.push_back(static_cast<uint8_t>(request.hash_function));
  out.insert(out.end(), request.message_digest.begin(),
             request.message_digest.end());
  out.push_back(static_cast<uint8_t>(request.derivation_path.size()));
  for (uint32_t index : request.derivation_path) PutBigEndian(index, 4, out);
  PutBigEndian(request.expiry_unix_ms, 8, out);
  out.push_back(static_cast<uint8_t>(request.nonce.size()));
  out.insert(out.end(), request.nonce.begin(), request.nonce.end());
  return out;
}

absl::StatusOr<ApprovalRequest> DecodeRequest(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kMaxRequestBytes) {
    return Invalid(absl::StrCat("encoding of ", bytes.size(),
                                " bytes exceeds the limit of ",
                                kMaxRequestBytes));
  }
  Reader r(bytes);
  ApprovalRequest request;
  ASSIGN_OR_RETURN(uint64_t version, r.BigEndian(1, "version"));
  if (version != kRequestVersion) {
    return Invalid(absl::StrCat("unsupported version ", version));
  }
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> key_id,
                   r.Bytes(kKeyIdBytes, "key_id"));
  std::memcpy(request.key_id.data(), key_id.data(), kKeyIdBytes);
  ASSIGN_OR_RETURN(uint64_t op, r.BigEndian(1, "operation"));
  if (!IsKnownOperation(static_cast<uint8_t>(op))) {
    return Invalid(absl::StrCat("unknown operation ", op));
  }
  request.operation = static_cast<Operation>(op);
  ASSIGN_OR_RETURN(uint64_t hash, r.BigEndian(1, "hash_function"));
  if (!IsKnownHashFunction(static_cast<uint8_t>(hash))) {
    return Invalid(absl::StrCat("unknown hash function ", hash));
  }
  request.hash_function = static_cast<HashFunction>(hash);
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> digest,
                   r.Bytes(kMessageDigestBytes, "message_digest"));
  std::memcpy(request.message_digest.data(), digest.data(),
              kMessageDigestBytes);
  ASSIGN_OR_RETURN(uint64_t depth, r.BigEndian(1, "path_len"));
  if (depth > kMaxDerivationDepth) {
    return Invalid(absl::StrCat("path_len must be 0..", kMaxDerivationDepth,
                                ", got ", depth));
  }
  for (uint64_t i = 0; i < depth; ++i) {
    ASSIGN_OR_RETURN(uint64_t index, r.BigEndian(4, "derivation_path"));
    request.derivation_path.push_back(static_cast<uint32_t>(index));
  }
  ASSIGN_OR_RETURN(request.expiry_unix_ms, r.BigEndian(8, "expiry_unix_ms"));
  if (request.expiry_unix_ms == 0) return Invalid("expiry_unix_ms is 0");
  ASSIGN_OR_RETURN(uint64_t nonce_len, r.BigEndian(1, "nonce_len"));
  if (nonce_len < kMinNonceBytes || nonce_len > kMaxNonceBytes) {
    return Invalid(absl::StrCat("nonce_len must be ", kMinNonceBytes, "..",
                                kMaxNonceBytes, ", got ", nonce_len));
  }
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> nonce,
                   r.Bytes(nonce_len, "nonce"));
  request.nonce.assign(nonce.begin(), nonce.end());
  if (!r.AtEnd()) return Invalid("trailing bytes after nonce");
  return request;
}

absl::StatusOr<std::vector<uint8_t>> ApprovalMessage(
    const ApprovalRequest& request) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> encoding, EncodeRequest(request));
  const absl::string_view tag(kRequestTag);
  std::vector<uint8_t> message(tag.begin(), tag.end());
  message.push_back(0);
  message.insert(message.end(), encoding.begin(), encoding.end());
  return message;
}

}  // namespace nitro_tss::approval
