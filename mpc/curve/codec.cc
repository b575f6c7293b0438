#include "mpc/curve/codec.h"

#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace nitro_tss::mpc {
namespace {

absl::Span<const uint8_t> AsSpan(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

absl::Status Prefix(const absl::Status& st, absl::string_view context,
                    absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(context, ": ", field, ": ", st.message()));
}

bool HasUnknownFields(const google::protobuf::Message& msg) {
  const google::protobuf::Reflection* refl = msg.GetReflection();
  if (!refl->GetUnknownFields(msg).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(msg, f); ++i) {
        if (HasUnknownFields(refl->GetRepeatedMessage(msg, f, i))) return true;
      }
    } else if (HasUnknownFields(refl->GetMessage(msg, f))) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Point> DecodePointField(const std::string& bytes,
                                       absl::string_view context,
                                       absl::string_view field) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": ", field, " missing"));
  }
  absl::StatusOr<Point> p = Point::Decode(AsSpan(bytes));
  if (!p.ok()) return Prefix(p.status(), context, field);
  return p;
}

absl::StatusOr<Scalar> DecodeScalarField(const std::string& bytes,
                                         absl::string_view context,
                                         absl::string_view field) {
  if (bytes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": ", field, " missing"));
  }
  absl::StatusOr<Scalar> s = Scalar::FromBytes(AsSpan(bytes));
  if (!s.ok()) return Prefix(s.status(), context, field);
  return s;
}

std::string PointFieldBytes(const Point& p) {
  if (p.IsIdentity()) return std::string();
  auto enc = *p.Encode();
  return std::string(enc.begin(), enc.end());
}

std::string ScalarFieldBytes(const Scalar& s) {
  return std::string(s.bytes().begin(), s.bytes().end());
}

absl::Status RejectUnknownFields(const google::protobuf::Message& msg,
                                 absl::string_view context) {
  if (HasUnknownFields(msg)) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": unknown fields present"));
  }
  return absl::OkStatus();
}

void AppendPoint(Transcript& t, absl::string_view label, const Point& p) {
  auto enc = p.EncodeOrZeros();
  t.AppendBytes(label, enc);
}

void AppendScalar(Transcript& t, absl::string_view label, const Scalar& s) {
  t.AppendBytes(label, s.bytes());
}

Scalar ChallengeScalar(Transcript& t, absl::string_view label) {
  return Scalar::FromBigIntReduce(t.ChallengeBelow(label, Scalar::Order()));
}

}  // namespace nitro_tss::mpc
