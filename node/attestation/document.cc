#include "node/attestation/document.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/attestation/cbor.h"
#include "node/attestation/errors.h"

namespace nitro_tss::attestation {
namespace {

using cbor::MajorType;

absl::Status Malformed(VerifyError error, absl::string_view message) {
  return MakeVerifyError(absl::StatusCode::kInvalidArgument, error, message);
}

// Maps a cbor::Reader error onto a VerifyError, keeping its message.
absl::Status FromCbor(const absl::Status& status, absl::string_view context) {
  const absl::string_view msg = status.message();
  VerifyError error = VerifyError::kMalformed;
  if (absl::StrContains(msg, "truncated")) {
    error = VerifyError::kTruncated;
  } else if (absl::StrContains(msg, "exceeds the limit")) {
    error = VerifyError::kFieldTooLarge;
  } else if (absl::StrContains(msg, "trailing bytes")) {
    error = VerifyError::kTrailingBytes;
  }
  return Malformed(error, absl::StrCat(context, ": ", msg));
}

#define ATT_ASSIGN_OR_RETURN(lhs, expr, context)                   \
  auto lhs##_or = (expr);                                          \
  if (!lhs##_or.ok()) return FromCbor(lhs##_or.status(), context); \
  auto lhs = std::move(*lhs##_or)

std::vector<uint8_t> ToVector(absl::Span<const uint8_t> s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Reads a byte string of min..max bytes, reporting kFieldTooLarge for sizes
// out of range.
absl::StatusOr<std::vector<uint8_t>> ReadSizedBytes(cbor::Reader& reader,
                                                    const char* what,
                                                    size_t min_len,
                                                    size_t max_len) {
  auto bytes = reader.ReadBytes(what, max_len);
  if (!bytes.ok()) return FromCbor(bytes.status(), "payload");
  if (bytes->size() < min_len) {
    return Malformed(VerifyError::kFieldTooLarge,
                     absl::StrCat("payload: ", what, " has ", bytes->size(),
                                  " bytes, expected at least ", min_len));
  }
  return ToVector(*bytes);
}

absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadOptionalBytes(
    cbor::Reader& reader, const char* what) {
  if (reader.PeekNull()) {
    (void)reader.ReadNull(what);
    return std::optional<std::vector<uint8_t>>();
  }
  auto bytes = ReadSizedBytes(reader, what, 0, kMaxOptionalFieldBytes);
  if (!bytes.ok()) return bytes.status();
  return std::optional<std::vector<uint8_t>>(std::move(*bytes));
}

absl::Status ParsePcrs(cbor::Reader& reader,
                       std::map<int, std::vector<uint8_t>>& pcrs) {
  ATT_ASSIGN_OR_RETURN(count, reader.ReadMapHeader("pcrs", kMaxPcrIndex + 1),
                       "payload");
  if (count == 0) {
    return Malformed(VerifyError::kMalformed, "payload: pcrs map is empty");
  }
  for (uint64_t i = 0; i < count; ++i) {
    ATT_ASSIGN_OR_RETURN(index, reader.ReadUnsigned("pcrs key"), "payload");
    if (index > static_cast<uint64_t>(kMaxPcrIndex)) {
      return Malformed(VerifyError::kMalformed,
                       absl::StrCat("payload: PCR index ", index,
                                    " out of range 0..", kMaxPcrIndex));
    }
    ATT_ASSIGN_OR_RETURN(value, reader.ReadBytes("pcrs value", 64), "payload");
    if (value.size() != 32 && value.size() != 48 && value.size() != 64) {
      return Malformed(
          VerifyError::kFieldTooLarge,
          absl::StrCat("payload: PCR", index, " has ", value.size(),
                       " bytes, expected 32, 48 or 64"));
    }
    if (!pcrs.emplace(static_cast<int>(index), ToVector(value)).second) {
      return Malformed(VerifyError::kDuplicateKey,
                       absl::StrCat("payload: duplicate PCR index ", index));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<uint8_t> ParsedCoseSign1::SigStructure() const {
  cbor::Writer w;
  w.AppendArrayHeader(4);
  w.AppendText("Signature1");
  w.AppendBytes(protected_header);
  w.AppendBytes({});
  w.AppendBytes(payload);
  return w.Take();
}

absl::StatusOr<ParsedCoseSign1> ParseCoseSign1(
    absl::Span<const uint8_t> message) {
  if (message.size() > kMaxDocumentBytes) {
    return Malformed(
        VerifyError::kFieldTooLarge,
        absl::StrCat("COSE_Sign1: document of ", message.size(),
                     " bytes exceeds the limit of ", kMaxDocumentBytes));
  }
  cbor::Reader reader(message);
  ParsedCoseSign1 cose;
  auto type = reader.PeekType();
  if (!type.ok()) return FromCbor(type.status(), "COSE_Sign1");
  if (*type == MajorType::kTag) {
    ATT_ASSIGN_OR_RETURN(tag, reader.ReadTag("COSE_Sign1 tag"), "COSE_Sign1");
    if (tag != 18) {
      return Malformed(VerifyError::kMalformed,
                       absl::StrCat("COSE_Sign1: unexpected tag ", tag,
                                    " (only 18 is accepted)"));
    }
    cose.tagged = true;
  }
  ATT_ASSIGN_OR_RETURN(count, reader.ReadArrayHeader("COSE_Sign1", 4),
                       "COSE_Sign1");
  if (count != 4) {
    return Malformed(
        VerifyError::kMalformed,
        absl::StrCat("COSE_Sign1: array has ", count, " elements, expected 4"));
  }
  ATT_ASSIGN_OR_RETURN(
      protected_header,
      reader.ReadBytes("protected header", sizeof(kEs384ProtectedHeader) + 64),
      "COSE_Sign1");
  if (protected_header.size() != sizeof(kEs384ProtectedHeader) ||
      !std::equal(protected_header.begin(), protected_header.end(),
                  kEs384ProtectedHeader)) {
    return Malformed(VerifyError::kUnsupportedAlgorithm,
                     "COSE_Sign1: protected header is not exactly {1: -35} "
                     "(alg ES384)");
  }
  ATT_ASSIGN_OR_RETURN(
      unprotected, reader.ReadMapHeader("unprotected header", 0), "COSE_Sign1");
  (void)unprotected;
  ATT_ASSIGN_OR_RETURN(payload, reader.ReadBytes("payload", kMaxPayloadBytes),
                       "COSE_Sign1");
  if (payload.empty()) {
    return Malformed(VerifyError::kFieldTooLarge,
                     "COSE_Sign1: payload is empty");
  }
  ATT_ASSIGN_OR_RETURN(signature,
                       reader.ReadBytes("signature", kCoseSignatureBytes),
                       "COSE_Sign1");
  if (signature.size() != kCoseSignatureBytes) {
    return Malformed(VerifyError::kFieldTooLarge,
                     absl::StrCat("COSE_Sign1: signature has ",
                                  signature.size(), " bytes, expected 96"));
  }
  auto end = reader.ExpectEnd("COSE_Sign1");
  if (!end.ok()) return FromCbor(end, "COSE_Sign1");
  cose.protected_header = ToVector(protected_header);
  cose.payload = ToVector(payload);
  cose.signature = ToVector(signature);
  return cose;
}

absl::StatusOr<AttestationDocument> ParseAttestationPayload(
    absl::Span<const uint8_t> payload) {
  if (payload.empty() || payload.size() > kMaxPayloadBytes) {
    return Malformed(VerifyError::kFieldTooLarge,
                     absl::StrCat("payload: size ", payload.size(),
                                  " outside 1..", kMaxPayloadBytes));
  }
  cbor::Reader reader(payload);
  ATT_ASSIGN_OR_RETURN(pairs, reader.ReadMapHeader("payload", 9), "payload");
  AttestationDocument doc;
  std::set<std::string> seen;
  for (uint64_t i = 0; i < pairs; ++i) {
    ATT_ASSIGN_OR_RETURN(key, reader.ReadText("payload key", 32), "payload");
    if (!seen.insert(key).second) {
      return Malformed(VerifyError::kDuplicateKey,
                       absl::StrCat("payload: duplicate key \"", key, "\""));
    }
    if (key == "module_id") {
      ATT_ASSIGN_OR_RETURN(v, reader.ReadText("module_id", kMaxModuleIdBytes),
                           "payload");
      if (v.empty()) {
        return Malformed(VerifyError::kFieldTooLarge,
                         "payload: module_id is empty");
      }
      doc.module_id = std::move(v);
    } else if (key == "digest") {
      ATT_ASSIGN_OR_RETURN(v, reader.ReadText("digest", 16), "payload");
      if (v != "SHA384") {
        return Malformed(
            VerifyError::kMalformed,
            absl::StrCat("payload: digest \"", v, "\" is not SHA384"));
      }
      doc.digest = std::move(v);
    } else if (key == "timestamp") {
      ATT_ASSIGN_OR_RETURN(v, reader.ReadUnsigned("timestamp"), "payload");
      if (v == 0 || v > static_cast<uint64_t>(INT64_MAX)) {
        return Malformed(VerifyError::kMalformed,
                         "payload: timestamp out of range");
      }
      doc.timestamp_ms = v;
    } else if (key == "pcrs") {
      auto status = ParsePcrs(reader, doc.pcrs);
      if (!status.ok()) return status;
    } else if (key == "certificate") {
      auto v = ReadSizedBytes(reader, "certificate", 1, kMaxCertificateBytes);
      if (!v.ok()) return v.status();
      doc.certificate = std::move(*v);
    } else if (key == "cabundle") {
      ATT_ASSIGN_OR_RETURN(
          n, reader.ReadArrayHeader("cabundle", kMaxCabundleEntries),
          "payload");
      if (n == 0) {
        return Malformed(VerifyError::kFieldTooLarge,
                         "payload: cabundle is empty");
      }
      for (uint64_t k = 0; k < n; ++k) {
        auto v =
            ReadSizedBytes(reader, "cabundle entry", 1, kMaxCertificateBytes);
        if (!v.ok()) return v.status();
        doc.cabundle.push_back(std::move(*v));
      }
    } else if (key == "public_key" || key == "user_data" || key == "nonce") {
      auto v = ReadOptionalBytes(reader, key.c_str());
      if (!v.ok()) return v.status();
      if (key == "public_key") {
        doc.public_key = std::move(*v);
      } else if (key == "user_data") {
        doc.user_data = std::move(*v);
      } else {
        doc.nonce = std::move(*v);
      }
    } else {
      return Malformed(VerifyError::kUnknownField,
                       absl::StrCat("payload: unknown key \"", key, "\""));
    }
  }
  for (const char* required : {"module_id", "digest", "timestamp", "pcrs",
                               "certificate", "cabundle"}) {
    if (!seen.count(required)) {
      return Malformed(VerifyError::kMalformed,
                       absl::StrCat("payload: missing \"", required, "\""));
    }
  }
  for (const auto& [index, value] : doc.pcrs) {
    if (value.size() != kPcrBytes) {
      return Malformed(
          VerifyError::kFieldTooLarge,
          absl::StrCat("payload: PCR", index, " has ", value.size(),
                       " bytes but digest SHA384 needs 48"));
    }
  }
  auto end = reader.ExpectEnd("payload map");
  if (!end.ok()) return FromCbor(end, "payload");
  return doc;
}

absl::StatusOr<AttestationDocument> ParseAttestationDocument(
    absl::Span<const uint8_t> document) {
  auto cose = ParseCoseSign1(document);
  if (!cose.ok()) return cose.status();
  auto doc = ParseAttestationPayload(cose->payload);
  if (!doc.ok()) return doc.status();
  doc->cose = std::move(*cose);
  return doc;
}

std::vector<uint8_t> EncodeAttestationPayload(const AttestationDocument& doc) {
  cbor::Writer w;
  w.AppendMapHeader(9);
  w.AppendText("module_id");
  w.AppendText(doc.module_id);
  w.AppendText("digest");
  w.AppendText(doc.digest);
  w.AppendText("timestamp");
  w.AppendUnsigned(doc.timestamp_ms);
  w.AppendText("pcrs");
  w.AppendMapHeader(doc.pcrs.size());
  for (const auto& [index, value] : doc.pcrs) {
    w.AppendUnsigned(static_cast<uint64_t>(index));
    w.AppendBytes(value);
  }
  w.AppendText("certificate");
  w.AppendBytes(doc.certificate);
  w.AppendText("cabundle");
  w.AppendArrayHeader(doc.cabundle.size());
  for (const auto& cert : doc.cabundle) w.AppendBytes(cert);
  const std::pair<const char*, const std::optional<std::vector<uint8_t>>*>
      optional_fields[] = {{"public_key", &doc.public_key},
                           {"user_data", &doc.user_data},
                           {"nonce", &doc.nonce}};
  for (const auto& [name, field] : optional_fields) {
    w.AppendText(name);
    if (field->has_value()) {
      w.AppendBytes(**field);
    } else {
      w.AppendNull();
    }
  }
  return w.Take();
}

std::vector<uint8_t> EncodeCoseSign1(const ParsedCoseSign1& cose) {
  cbor::Writer w;
  if (cose.tagged) w.AppendTag(18);
  w.AppendArrayHeader(4);
  w.AppendBytes(cose.protected_header);
  w.AppendMapHeader(0);
  w.AppendBytes(cose.payload);
  w.AppendBytes(cose.signature);
  return w.Take();
}

}  // namespace nitro_tss::attestation
