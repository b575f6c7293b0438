// Fuzzes the parsers of `tssctl verify`'s inputs (tools/tssctl/
// secp256k1_verify.h, tools/tssctl/cli.h, common/ethereum.h) on the same
// bytes: signatures in every encoding, SEC1 and SubjectPublicKeyInfo public
// keys, hex text and Ethereum addresses; then verification of whatever
// parsed. Invariants: a parsed DER signature re-encodes to the input; a
// parsed compact signature's r || s is the input; a parsed key's two
// encodings parse to the same point; decoded hex re-encodes to the input
// (lower-cased); a parsed address prints as the input up to case.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "common/ethereum.h"
#include "tools/tssctl/cli.h"
#include "tools/tssctl/secp256k1_verify.h"

namespace {

using namespace nitro_tss::tssctl;  // NOLINT

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> bytes(data, size);
  const std::string text(reinterpret_cast<const char*>(data), size);

  std::optional<ParsedSignature> signature;
  for (SignatureEncoding e : {SignatureEncoding::kAuto, SignatureEncoding::kDer,
                              SignatureEncoding::kCompact}) {
    auto sig = ParseSignature(bytes, e);
    if (!sig.ok()) continue;
    Check(!sig->r.IsZero() && !sig->s.IsZero());
    if (sig->format == SignatureFormat::kDer) {
      const std::vector<uint8_t> der = SignatureDer(sig->r, sig->s);
      Check(der.size() == size && std::memcmp(der.data(), data, size) == 0);
    } else {
      Check(size == 64 || size == 65);
      Check(std::memcmp(sig->r.bytes().data(), data, 32) == 0);
      Check(std::memcmp(sig->s.bytes().data(), data + 32, 32) == 0);
      Check(sig->recovery_id.has_value() == (size == 65));
      if (sig->recovery_id)
        Check(*sig->recovery_id >= 0 && *sig->recovery_id <= 3);
    }
    signature = std::move(*sig);
  }

  std::optional<PublicKey> key;
  for (auto parsed : {ParsePublicKey(bytes), ParsePublicKeySpki(bytes)}) {
    if (!parsed.ok()) continue;
    auto c = ParsePublicKey(parsed->compressed);
    auto u = ParsePublicKey(parsed->uncompressed);
    Check(c.ok() && u.ok() && c->point == parsed->point &&
          u->point == parsed->point);
    key = std::move(*parsed);
  }

  auto hex = DecodeHex(text);
  if (hex.ok()) Check(EncodeHex(*hex) == absl::AsciiStrToLower(text));

  for (auto policy :
       {nitro_tss::ethereum::ChecksumPolicy::kRequire,
        nitro_tss::ethereum::ChecksumPolicy::kAllowUnchecksummed}) {
    auto address = nitro_tss::ethereum::ParseAddress(text, policy);
    if (!address.ok()) continue;
    Check(absl::AsciiStrToLower(nitro_tss::ethereum::ChecksumAddress(
              *address)) == absl::AsciiStrToLower(text));
  }

  // Verification of what parsed, against a digest taken from the input.
  if (signature.has_value()) {
    VerifyRequest request;
    std::memcpy(request.digest.data(), data, std::min<size_t>(size, 32));
    request.signature = *signature;
    request.allow_high_s = size % 2 == 0;
    if (key.has_value()) {
      request.public_key = key;
    } else {
      request.address = nitro_tss::ethereum::Address{};
      if (!signature->recovery_id) request.recovery_id = size % 4;
    }
    auto result = VerifySignature(request);
    Check(result.ok());
  }
  return 0;
}
