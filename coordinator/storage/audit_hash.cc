#include "coordinator/storage/audit_hash.h"

#include <openssl/sha.h>

#include <cstdint>

namespace nitro_tss::coordinator::storage {
namespace {

void AppendU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void AppendField(std::string* out, absl::string_view field) {
  AppendU64(out, field.size());
  out->append(field.data(), field.size());
}

}  // namespace

std::string AuditHashInput(const AuditEntry& entry) {
  std::string out;
  out.reserve(8 * 10 + kAuditHashDomain.size() + entry.actor.size() +
              entry.action.size() + entry.resource.size() +
              entry.outcome.size() + entry.payload.size() +
              entry.prev_hash.size());
  AppendField(&out, kAuditHashDomain);
  AppendU64(&out, static_cast<uint64_t>(entry.seq));
  AppendU64(&out, static_cast<uint64_t>(absl::ToUnixMicros(entry.time)));
  AppendField(&out, entry.actor);
  AppendField(&out, entry.action);
  AppendField(&out, entry.resource);
  AppendField(&out, entry.outcome);
  AppendField(&out, entry.payload);
  AppendField(&out, entry.prev_hash);
  return out;
}

std::string ComputeAuditHash(const AuditEntry& entry) {
  const std::string input = AuditHashInput(entry);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string AuditGenesisHash() { return std::string(kAuditHashBytes, '\0'); }

}  // namespace nitro_tss::coordinator::storage
