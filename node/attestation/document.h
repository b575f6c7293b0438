// Nitro attestation documents: strict COSE_Sign1 and payload parsing, and the
// matching encoders (used by the simulated NSM and by tests).
//
// Format (AWS Nitro Enclaves, see ../shared/notes/nitro-and-kms.md):
//   COSE_Sign1 = [protected: bstr, unprotected: {}, payload: bstr,
//                 signature: bstr(96)], optionally wrapped in tag 18;
//   protected  = bstr(a1 01 38 22), i.e. {1: -35} (ES384);
//   payload    = { "module_id": tstr, "digest": "SHA384", "timestamp": uint,
//                  "pcrs": {uint(0..31) => bstr(48)}, "certificate": bstr,
//                  "cabundle": [bstr], ?"public_key": bstr/null,
//                  ?"user_data": bstr/null, ?"nonce": bstr/null }.
// Parsing only checks structure, types and sizes; it does not verify any
// signature (see verifier.h). Errors carry a VerifyError (errors.h).
#ifndef NITRO_TSS_NODE_ATTESTATION_DOCUMENT_H_
#define NITRO_TSS_NODE_ATTESTATION_DOCUMENT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::attestation {

// Size limits enforced by the parser.
inline constexpr size_t kMaxDocumentBytes = 32 * 1024;
inline constexpr size_t kMaxPayloadBytes = 16384;
inline constexpr size_t kCoseSignatureBytes = 96;  // P-384 r || s
inline constexpr size_t kMaxCertificateBytes = 1024;
inline constexpr size_t kMaxCabundleEntries = 16;
inline constexpr size_t kMaxOptionalFieldBytes = 1024;
inline constexpr size_t kMaxModuleIdBytes = 256;
inline constexpr int kMaxPcrIndex = 31;
inline constexpr size_t kPcrBytes = 48;  // SHA-384 bank

// The exact protected header of every Nitro document: {1: -35}.
inline constexpr uint8_t kEs384ProtectedHeader[4] = {0xa1, 0x01, 0x38, 0x22};

// The four parts of a COSE_Sign1 message (RFC 9052 section 4.2).
struct ParsedCoseSign1 {
  bool tagged = false;                    // was wrapped in CBOR tag 18
  std::vector<uint8_t> protected_header;  // serialized header map bytes
  std::vector<uint8_t> payload;           // 1..kMaxPayloadBytes bytes
  std::vector<uint8_t> signature;         // kCoseSignatureBytes bytes

  // Returns the bytes that the signature covers:
  // CBOR ["Signature1", protected_header, h'', payload].
  std::vector<uint8_t> SigStructure() const;
};

// A decoded Nitro attestation document.
struct AttestationDocument {
  std::string module_id;
  std::string digest;  // always "SHA384" after parsing
  uint64_t timestamp_ms = 0;
  std::map<int, std::vector<uint8_t>> pcrs;
  std::vector<uint8_t> certificate;            // DER, the signing leaf
  std::vector<std::vector<uint8_t>> cabundle;  // DER, [root, ..., issuer]
  std::optional<std::vector<uint8_t>> public_key;
  std::optional<std::vector<uint8_t>> user_data;
  std::optional<std::vector<uint8_t>> nonce;
  // The envelope this document came from (needed to re-verify it).
  ParsedCoseSign1 cose;
};

// Parses a COSE_Sign1 message strictly: tagged (18) or untagged 4-element
// array; protected header exactly kEs384ProtectedHeader (else
// kUnsupportedAlgorithm); unprotected header an empty map; payload
// 1..kMaxPayloadBytes bytes; signature exactly 96 bytes; no trailing bytes;
// input at most kMaxDocumentBytes.
absl::StatusOr<ParsedCoseSign1> ParseCoseSign1(
    absl::Span<const uint8_t> message);

// Parses the payload map of an attestation document strictly: text keys,
// no duplicates (kDuplicateKey), no unknown keys (kUnknownField), all six
// mandatory fields present, digest == "SHA384", module_id non-empty,
// timestamp > 0, pcrs 1..32 entries with indices 0..31 each 48 bytes,
// certificate and each cabundle entry 1..1024 bytes, cabundle 1..16 entries,
// public_key/user_data/nonce bstr of 0..1024 bytes or null (null and absent
// both yield std::nullopt); no trailing bytes. The returned document's
// `cose` member is left empty.
absl::StatusOr<AttestationDocument> ParseAttestationPayload(
    absl::Span<const uint8_t> payload);

// ParseCoseSign1 followed by ParseAttestationPayload on its payload; the
// result's `cose` member holds the envelope.
absl::StatusOr<AttestationDocument> ParseAttestationDocument(
    absl::Span<const uint8_t> document);

// Encodes `doc`'s fields (not `cose`) as a payload map in the order real
// documents use: module_id, digest, timestamp, pcrs (ascending), certificate,
// cabundle, public_key, user_data, nonce; unset optional fields are encoded
// as null (as the real NSM does).
std::vector<uint8_t> EncodeAttestationPayload(const AttestationDocument& doc);

// Encodes a COSE_Sign1 array from its parts (tag 18 first if `cose.tagged`).
std::vector<uint8_t> EncodeCoseSign1(const ParsedCoseSign1& cose);

}  // namespace nitro_tss::attestation

#endif  // NITRO_TSS_NODE_ATTESTATION_DOCUMENT_H_
