#include "node/attestation/nsm_codec.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/attestation/cbor.h"

namespace nitro_tss::attestation {
namespace {

using cbor::MajorType;

absl::Status Bad(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("nsm: ", message));
}

absl::Status Wrap(const absl::Status& status, absl::string_view context) {
  return Bad(absl::StrCat(context, ": ", status.message()));
}

#define NSM_ASSIGN_OR_RETURN(lhs, expr, context)               \
  auto lhs##_or = (expr);                                      \
  if (!lhs##_or.ok()) return Wrap(lhs##_or.status(), context); \
  auto lhs = std::move(*lhs##_or)

#define NSM_RETURN_IF_ERROR(expr) \
  do {                            \
    absl::Status _st = (expr);    \
    if (!_st.ok()) return _st;    \
  } while (0)

constexpr size_t kMaxBlob = kNsmMaxResponseBytes;

std::vector<uint8_t> ToVector(absl::Span<const uint8_t> s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

bool OperationFromName(const std::string& name, NsmOperation* op) {
  for (NsmOperation candidate :
       {NsmOperation::kAttestation, NsmOperation::kDescribePcr,
        NsmOperation::kExtendPcr, NsmOperation::kLockPcr,
        NsmOperation::kLockPcrs, NsmOperation::kDescribeNsm,
        NsmOperation::kGetRandom}) {
    if (name == NsmOperationName(candidate)) {
      *op = candidate;
      return true;
    }
  }
  return false;
}

void AppendOptionalBytes(cbor::Writer& w, const char* key,
                         const std::optional<std::vector<uint8_t>>& value) {
  w.AppendText(key);
  if (value.has_value()) {
    w.AppendBytes(*value);
  } else {
    w.AppendNull();
  }
}

absl::StatusOr<uint16_t> ReadU16(cbor::Reader& r, const char* what) {
  auto v = r.ReadUnsigned(what);
  if (!v.ok()) return Wrap(v.status(), what);
  if (*v > 0xffff) return Bad(absl::StrCat(what, " exceeds u16"));
  return static_cast<uint16_t>(*v);
}

// Reads a struct-like map whose keys must be exactly `keys` (any order, each
// once), calling `field(key)` to consume each value.
template <typename FieldFn>
absl::Status ReadStruct(cbor::Reader& r, const char* what,
                        std::initializer_list<const char*> keys,
                        FieldFn field) {
  NSM_ASSIGN_OR_RETURN(pairs, r.ReadMapHeader(what, keys.size()), what);
  if (pairs != keys.size()) {
    return Bad(
        absl::StrCat(what, ": expected ", keys.size(), " fields, got ", pairs));
  }
  std::set<std::string> seen;
  for (uint64_t i = 0; i < pairs; ++i) {
    NSM_ASSIGN_OR_RETURN(key, r.ReadText("field name", 32), what);
    bool known = false;
    for (const char* k : keys) known |= (key == k);
    if (!known) return Bad(absl::StrCat(what, ": unknown field \"", key, "\""));
    if (!seen.insert(key).second) {
      return Bad(absl::StrCat(what, ": duplicate field \"", key, "\""));
    }
    NSM_RETURN_IF_ERROR(field(key));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::vector<uint8_t>>> ReadOptionalBytes(
    cbor::Reader& r, const char* what, size_t max_len) {
  if (r.PeekNull()) {
    (void)r.ReadNull(what);
    return std::optional<std::vector<uint8_t>>();
  }
  auto b = r.ReadBytes(what, max_len);
  if (!b.ok()) return Wrap(b.status(), what);
  return std::optional<std::vector<uint8_t>>(ToVector(*b));
}

absl::Status ReadBlob(cbor::Reader& r, const char* what,
                      std::vector<uint8_t>* out) {
  auto b = r.ReadBytes(what, kMaxBlob);
  if (!b.ok()) return Wrap(b.status(), what);
  *out = ToVector(*b);
  return absl::OkStatus();
}

}  // namespace

const char* NsmOperationName(NsmOperation op) {
  switch (op) {
    case NsmOperation::kAttestation:
      return "Attestation";
    case NsmOperation::kDescribePcr:
      return "DescribePCR";
    case NsmOperation::kExtendPcr:
      return "ExtendPCR";
    case NsmOperation::kLockPcr:
      return "LockPCR";
    case NsmOperation::kLockPcrs:
      return "LockPCRs";
    case NsmOperation::kDescribeNsm:
      return "DescribeNSM";
    case NsmOperation::kGetRandom:
      return "GetRandom";
  }
  return "?";
}

std::vector<uint8_t> EncodeNsmRequest(const NsmRequest& request) {
  cbor::Writer w;
  const char* name = NsmOperationName(request.operation);
  switch (request.operation) {
    case NsmOperation::kDescribeNsm:
    case NsmOperation::kGetRandom:
      w.AppendText(name);
      return w.Take();
    default:
      break;
  }
  w.AppendMapHeader(1);
  w.AppendText(name);
  switch (request.operation) {
    case NsmOperation::kAttestation:
      w.AppendMapHeader(3);
      AppendOptionalBytes(w, "user_data", request.user_data);
      AppendOptionalBytes(w, "nonce", request.nonce);
      AppendOptionalBytes(w, "public_key", request.public_key);
      break;
    case NsmOperation::kDescribePcr:
    case NsmOperation::kLockPcr:
      w.AppendMapHeader(1);
      w.AppendText("index");
      w.AppendUnsigned(request.index);
      break;
    case NsmOperation::kExtendPcr:
      w.AppendMapHeader(2);
      w.AppendText("index");
      w.AppendUnsigned(request.index);
      w.AppendText("data");
      w.AppendBytes(request.data);
      break;
    case NsmOperation::kLockPcrs:
      w.AppendMapHeader(1);
      w.AppendText("range");
      w.AppendUnsigned(request.range);
      break;
    default:
      break;
  }
  return w.Take();
}

absl::StatusOr<NsmRequest> DecodeNsmRequest(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kNsmMaxRequestBytes) {
    return Bad(absl::StrCat("request of ", bytes.size(),
                            " bytes exceeds the limit of ",
                            kNsmMaxRequestBytes));
  }
  cbor::Reader r(bytes);
  NsmRequest req;
  NSM_ASSIGN_OR_RETURN(type, r.PeekType(), "request");
  if (type == MajorType::kText) {
    NSM_ASSIGN_OR_RETURN(name, r.ReadText("request", 32), "request");
    if (!OperationFromName(name, &req.operation) ||
        (req.operation != NsmOperation::kDescribeNsm &&
         req.operation != NsmOperation::kGetRandom)) {
      return Bad(absl::StrCat("unknown unit request \"", name, "\""));
    }
  } else {
    NSM_ASSIGN_OR_RETURN(pairs, r.ReadMapHeader("request", 1), "request");
    if (pairs != 1) return Bad("request map must have exactly one entry");
    NSM_ASSIGN_OR_RETURN(name, r.ReadText("request name", 32), "request");
    if (!OperationFromName(name, &req.operation) ||
        req.operation == NsmOperation::kDescribeNsm ||
        req.operation == NsmOperation::kGetRandom) {
      return Bad(absl::StrCat("unknown request \"", name, "\""));
    }
    absl::Status status;
    switch (req.operation) {
      case NsmOperation::kAttestation:
        status = ReadStruct(
            r, "Attestation", {"user_data", "nonce", "public_key"},
            [&](const std::string& key) -> absl::Status {
              auto v = ReadOptionalBytes(r, key.c_str(), kNsmMaxRequestBytes);
              if (!v.ok()) return v.status();
              (key == "user_data" ? req.user_data
               : key == "nonce"   ? req.nonce
                                  : req.public_key) = std::move(*v);
              return absl::OkStatus();
            });
        break;
      case NsmOperation::kDescribePcr:
      case NsmOperation::kLockPcr:
        status = ReadStruct(r, name.c_str(), {"index"},
                            [&](const std::string&) -> absl::Status {
                              auto v = ReadU16(r, "index");
                              if (!v.ok()) return v.status();
                              req.index = *v;
                              return absl::OkStatus();
                            });
        break;
      case NsmOperation::kExtendPcr:
        status = ReadStruct(r, "ExtendPCR", {"index", "data"},
                            [&](const std::string& key) -> absl::Status {
                              if (key == "data") {
                                auto b =
                                    r.ReadBytes("data", kNsmMaxRequestBytes);
                                if (!b.ok()) return Wrap(b.status(), "data");
                                req.data = ToVector(*b);
                                return absl::OkStatus();
                              }
                              auto v = ReadU16(r, "index");
                              if (!v.ok()) return v.status();
                              req.index = *v;
                              return absl::OkStatus();
                            });
        break;
      case NsmOperation::kLockPcrs:
        status = ReadStruct(r, "LockPCRs", {"range"},
                            [&](const std::string&) -> absl::Status {
                              auto v = ReadU16(r, "range");
                              if (!v.ok()) return v.status();
                              req.range = *v;
                              return absl::OkStatus();
                            });
        break;
      default:
        break;
    }
    if (!status.ok()) return status;
  }
  auto end = r.ExpectEnd("request");
  if (!end.ok()) return Wrap(end, "request");
  return req;
}

std::vector<uint8_t> EncodeNsmResponse(const NsmResponse& response) {
  cbor::Writer w;
  if (response.error != NsmErrorCode::kSuccess) {
    w.AppendMapHeader(1);
    w.AppendText("Error");
    w.AppendText(NsmErrorCodeName(response.error));
    return w.Take();
  }
  const char* name = NsmOperationName(response.operation);
  if (response.operation == NsmOperation::kLockPcr ||
      response.operation == NsmOperation::kLockPcrs) {
    w.AppendText(name);
    return w.Take();
  }
  w.AppendMapHeader(1);
  w.AppendText(name);
  switch (response.operation) {
    case NsmOperation::kAttestation:
      w.AppendMapHeader(1);
      w.AppendText("document");
      w.AppendBytes(response.document);
      break;
    case NsmOperation::kDescribePcr:
      w.AppendMapHeader(2);
      w.AppendText("lock");
      w.AppendBool(response.pcr.locked);
      w.AppendText("data");
      w.AppendBytes(response.pcr.value);
      break;
    case NsmOperation::kExtendPcr:
      w.AppendMapHeader(1);
      w.AppendText("data");
      w.AppendBytes(response.pcr.value);
      break;
    case NsmOperation::kGetRandom:
      w.AppendMapHeader(1);
      w.AppendText("random");
      w.AppendBytes(response.random);
      break;
    case NsmOperation::kDescribeNsm: {
      const NsmDescription& d = response.description;
      w.AppendMapHeader(7);
      w.AppendText("version_major");
      w.AppendUnsigned(d.version_major);
      w.AppendText("version_minor");
      w.AppendUnsigned(d.version_minor);
      w.AppendText("version_patch");
      w.AppendUnsigned(d.version_patch);
      w.AppendText("module_id");
      w.AppendText(d.module_id);
      w.AppendText("max_pcrs");
      w.AppendUnsigned(d.max_pcrs);
      w.AppendText("locked_pcrs");
      w.AppendArrayHeader(d.locked_pcrs.size());
      for (uint16_t pcr : d.locked_pcrs) w.AppendUnsigned(pcr);
      w.AppendText("digest");
      w.AppendText(d.digest);
      break;
    }
    default:
      break;
  }
  return w.Take();
}

absl::StatusOr<NsmResponse> DecodeNsmResponse(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > kNsmMaxResponseBytes) {
    return Bad(absl::StrCat("response of ", bytes.size(),
                            " bytes exceeds the limit of ",
                            kNsmMaxResponseBytes));
  }
  cbor::Reader r(bytes);
  NsmResponse resp;
  NSM_ASSIGN_OR_RETURN(type, r.PeekType(), "response");
  if (type == MajorType::kText) {
    NSM_ASSIGN_OR_RETURN(name, r.ReadText("response", 32), "response");
    if (!OperationFromName(name, &resp.operation) ||
        (resp.operation != NsmOperation::kLockPcr &&
         resp.operation != NsmOperation::kLockPcrs)) {
      return Bad(absl::StrCat("unknown unit response \"", name, "\""));
    }
  } else {
    NSM_ASSIGN_OR_RETURN(pairs, r.ReadMapHeader("response", 1), "response");
    if (pairs != 1) return Bad("response map must have exactly one entry");
    NSM_ASSIGN_OR_RETURN(name, r.ReadText("response name", 32), "response");
    if (name == "Error") {
      NSM_ASSIGN_OR_RETURN(code, r.ReadText("error code", 32), "response");
      bool found = false;
      for (int c = static_cast<int>(NsmErrorCode::kInvalidArgument);
           c <= static_cast<int>(NsmErrorCode::kInternalError); ++c) {
        if (code == NsmErrorCodeName(static_cast<NsmErrorCode>(c))) {
          resp.error = static_cast<NsmErrorCode>(c);
          found = true;
        }
      }
      if (!found) return Bad(absl::StrCat("unknown error code \"", code, "\""));
    } else {
      if (!OperationFromName(name, &resp.operation) ||
          resp.operation == NsmOperation::kLockPcr ||
          resp.operation == NsmOperation::kLockPcrs) {
        return Bad(absl::StrCat("unknown response \"", name, "\""));
      }
      absl::Status status;
      switch (resp.operation) {
        case NsmOperation::kAttestation:
          status = ReadStruct(r, "Attestation", {"document"},
                              [&](const std::string&) {
                                return ReadBlob(r, "document", &resp.document);
                              });
          break;
        case NsmOperation::kDescribePcr:
          status = ReadStruct(r, "DescribePCR", {"lock", "data"},
                              [&](const std::string& key) -> absl::Status {
                                if (key == "data")
                                  return ReadBlob(r, "data", &resp.pcr.value);
                                auto b = r.ReadBool("lock");
                                if (!b.ok()) return Wrap(b.status(), "lock");
                                resp.pcr.locked = *b;
                                return absl::OkStatus();
                              });
          break;
        case NsmOperation::kExtendPcr:
          status =
              ReadStruct(r, "ExtendPCR", {"data"}, [&](const std::string&) {
                return ReadBlob(r, "data", &resp.pcr.value);
              });
          break;
        case NsmOperation::kGetRandom:
          status =
              ReadStruct(r, "GetRandom", {"random"}, [&](const std::string&) {
                return ReadBlob(r, "random", &resp.random);
              });
          break;
        case NsmOperation::kDescribeNsm: {
          NsmDescription& d = resp.description;
          status = ReadStruct(
              r, "DescribeNSM",
              {"version_major", "version_minor", "version_patch", "module_id",
               "max_pcrs", "locked_pcrs", "digest"},
              [&](const std::string& key) -> absl::Status {
                if (key == "module_id" || key == "digest") {
                  auto t = r.ReadText(key.c_str(), 256);
                  if (!t.ok()) return Wrap(t.status(), key);
                  (key == "digest" ? d.digest : d.module_id) = std::move(*t);
                  return absl::OkStatus();
                }
                if (key == "locked_pcrs") {
                  auto n = r.ReadArrayHeader("locked_pcrs", 0xffff);
                  if (!n.ok()) return Wrap(n.status(), key);
                  for (uint64_t i = 0; i < *n; ++i) {
                    auto v = ReadU16(r, "locked_pcrs entry");
                    if (!v.ok()) return v.status();
                    d.locked_pcrs.push_back(*v);
                  }
                  return absl::OkStatus();
                }
                auto v = ReadU16(r, key.c_str());
                if (!v.ok()) return v.status();
                (key == "version_major"   ? d.version_major
                 : key == "version_minor" ? d.version_minor
                 : key == "version_patch" ? d.version_patch
                                          : d.max_pcrs) = *v;
                return absl::OkStatus();
              });
          break;
        }
        default:
          break;
      }
      if (!status.ok()) return status;
    }
  }
  auto end = r.ExpectEnd("response");
  if (!end.ok()) return Wrap(end, "response");
  return resp;
}

}  // namespace nitro_tss::attestation
