#include "node/attestation/cbor.h"

#include "absl/strings/str_cat.h"

namespace nitro_tss::attestation::cbor {
namespace {

const char* TypeName(MajorType type) {
  switch (type) {
    case MajorType::kUnsigned:
      return "unsigned integer";
    case MajorType::kNegative:
      return "negative integer";
    case MajorType::kBytes:
      return "byte string";
    case MajorType::kText:
      return "text string";
    case MajorType::kArray:
      return "array";
    case MajorType::kMap:
      return "map";
    case MajorType::kTag:
      return "tag";
    case MajorType::kSimple:
      return "simple value";
  }
  return "?";
}

absl::Status Error(absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("cbor: ", message));
}

bool IsValidUtf8(absl::Span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

absl::StatusOr<Reader::Head> Reader::PeekHead(size_t* head_len) const {
  if (offset_ >= input_.size()) return Error("truncated: expected an item");
  const uint8_t initial = input_[offset_];
  Head head{static_cast<MajorType>(initial >> 5),
            static_cast<uint8_t>(initial & 0x1f), 0};
  const size_t avail = input_.size() - offset_ - 1;
  if (head.additional < 24) {
    head.value = head.additional;
    *head_len = 1;
    return head;
  }
  if (head.additional > 27) {
    return Error(head.additional == 31
                     ? "indefinite-length items are not accepted"
                     : "reserved additional-information value");
  }
  const size_t n = size_t{1} << (head.additional - 24);  // 1, 2, 4, 8
  if (avail < n) return Error("truncated item head");
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v = (v << 8) | input_[offset_ + 1 + k];
  // Preferred serialization: the shortest form must have been used.
  const uint64_t min_for_width[4] = {24, 0x100, 0x10000, 0x100000000ULL};
  if (head.type != MajorType::kSimple &&
      v < min_for_width[head.additional - 24]) {
    return Error("non-minimal integer or length encoding");
  }
  head.value = v;
  *head_len = 1 + n;
  return head;
}

absl::StatusOr<MajorType> Reader::PeekType() const {
  if (offset_ >= input_.size()) return Error("truncated: expected an item");
  return static_cast<MajorType>(input_[offset_] >> 5);
}

bool Reader::PeekNull() const {
  return offset_ < input_.size() && input_[offset_] == 0xf6;
}

absl::StatusOr<Reader::Head> Reader::ReadHead(MajorType expected,
                                              const char* what) {
  size_t len = 0;
  auto head = PeekHead(&len);
  if (!head.ok()) {
    return Error(absl::StrCat(what, ": ", head.status().message().substr(6)));
  }
  if (head->type != expected) {
    return Error(absl::StrCat(what, ": expected ", TypeName(expected), ", got ",
                              TypeName(head->type)));
  }
  offset_ += len;
  return head;
}

absl::StatusOr<uint64_t> Reader::ReadUnsigned(const char* what) {
  auto head = ReadHead(MajorType::kUnsigned, what);
  if (!head.ok()) return head.status();
  return head->value;
}

absl::StatusOr<int64_t> Reader::ReadInt(const char* what) {
  auto type = PeekType();
  if (!type.ok()) return Error(absl::StrCat(what, ": truncated"));
  if (*type != MajorType::kUnsigned && *type != MajorType::kNegative) {
    return Error(
        absl::StrCat(what, ": expected integer, got ", TypeName(*type)));
  }
  auto head = ReadHead(*type, what);
  if (!head.ok()) return head.status();
  if (head->value > static_cast<uint64_t>(INT64_MAX)) {
    return Error(absl::StrCat(what, ": integer out of range"));
  }
  const int64_t v = static_cast<int64_t>(head->value);
  return *type == MajorType::kUnsigned ? v : -1 - v;
}

absl::StatusOr<absl::Span<const uint8_t>> Reader::ReadBytes(const char* what,
                                                            size_t max_len) {
  const size_t start = offset_;
  auto head = ReadHead(MajorType::kBytes, what);
  if (!head.ok()) return head.status();
  if (head->value > max_len) {
    offset_ = start;
    return Error(absl::StrCat(what, ": byte string of ", head->value,
                              " bytes exceeds the limit of ", max_len));
  }
  if (head->value > remaining()) {
    offset_ = start;
    return Error(absl::StrCat(what, ": truncated byte string"));
  }
  auto out = input_.subspan(offset_, head->value);
  offset_ += head->value;
  return out;
}

absl::StatusOr<std::string> Reader::ReadText(const char* what, size_t max_len) {
  const size_t start = offset_;
  auto head = ReadHead(MajorType::kText, what);
  if (!head.ok()) return head.status();
  if (head->value > max_len) {
    offset_ = start;
    return Error(absl::StrCat(what, ": text string of ", head->value,
                              " bytes exceeds the limit of ", max_len));
  }
  if (head->value > remaining()) {
    offset_ = start;
    return Error(absl::StrCat(what, ": truncated text string"));
  }
  auto bytes = input_.subspan(offset_, head->value);
  if (!IsValidUtf8(bytes)) {
    offset_ = start;
    return Error(absl::StrCat(what, ": text string is not valid UTF-8"));
  }
  offset_ += head->value;
  return std::string(bytes.begin(), bytes.end());
}

absl::StatusOr<uint64_t> Reader::ReadArrayHeader(const char* what,
                                                 uint64_t max_len) {
  const size_t start = offset_;
  auto head = ReadHead(MajorType::kArray, what);
  if (!head.ok()) return head.status();
  // Each element needs at least one byte: also bounds allocations.
  if (head->value > max_len) {
    offset_ = start;
    return Error(absl::StrCat(what, ": array of ", head->value,
                              " elements exceeds the limit of ", max_len));
  }
  if (head->value > remaining()) {
    offset_ = start;
    return Error(
        absl::StrCat(what, ": truncated array of ", head->value, " elements"));
  }
  return head->value;
}

absl::StatusOr<uint64_t> Reader::ReadMapHeader(const char* what,
                                               uint64_t max_len) {
  const size_t start = offset_;
  auto head = ReadHead(MajorType::kMap, what);
  if (!head.ok()) return head.status();
  if (head->value > max_len) {
    offset_ = start;
    return Error(absl::StrCat(what, ": map of ", head->value,
                              " pairs exceeds the limit of ", max_len));
  }
  if (head->value > remaining() / 2) {
    offset_ = start;
    return Error(
        absl::StrCat(what, ": truncated map of ", head->value, " pairs"));
  }
  return head->value;
}

absl::StatusOr<uint64_t> Reader::ReadTag(const char* what) {
  auto head = ReadHead(MajorType::kTag, what);
  if (!head.ok()) return head.status();
  return head->value;
}

absl::StatusOr<bool> Reader::ReadBool(const char* what) {
  if (offset_ < input_.size() &&
      (input_[offset_] == 0xf4 || input_[offset_] == 0xf5)) {
    return input_[offset_++] == 0xf5;
  }
  return Error(absl::StrCat(what, ": expected a boolean"));
}

absl::Status Reader::ReadNull(const char* what) {
  if (PeekNull()) {
    ++offset_;
    return absl::OkStatus();
  }
  return Error(absl::StrCat(what, ": expected null"));
}

absl::Status Reader::ExpectEnd(const char* what) const {
  if (AtEnd()) return absl::OkStatus();
  return Error(absl::StrCat(remaining(), " trailing bytes after ", what));
}

void Writer::AppendHead(MajorType type, uint64_t value) {
  const uint8_t t = static_cast<uint8_t>(type) << 5;
  if (value < 24) {
    out_.push_back(t | static_cast<uint8_t>(value));
    return;
  }
  int n;
  uint8_t ai;
  if (value <= 0xff) {
    n = 1;
    ai = 24;
  } else if (value <= 0xffff) {
    n = 2;
    ai = 25;
  } else if (value <= 0xffffffffULL) {
    n = 4;
    ai = 26;
  } else {
    n = 8;
    ai = 27;
  }
  out_.push_back(t | ai);
  for (int k = n - 1; k >= 0; --k) {
    out_.push_back(static_cast<uint8_t>(value >> (8 * k)));
  }
}

void Writer::AppendUnsigned(uint64_t value) {
  AppendHead(MajorType::kUnsigned, value);
}

void Writer::AppendInt(int64_t value) {
  if (value >= 0) {
    AppendHead(MajorType::kUnsigned, static_cast<uint64_t>(value));
  } else {
    AppendHead(MajorType::kNegative, static_cast<uint64_t>(-1 - value));
  }
}

void Writer::AppendBytes(absl::Span<const uint8_t> bytes) {
  AppendHead(MajorType::kBytes, bytes.size());
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

void Writer::AppendText(const std::string& text) {
  AppendHead(MajorType::kText, text.size());
  out_.insert(out_.end(), text.begin(), text.end());
}

void Writer::AppendArrayHeader(uint64_t count) {
  AppendHead(MajorType::kArray, count);
}

void Writer::AppendMapHeader(uint64_t pairs) {
  AppendHead(MajorType::kMap, pairs);
}

void Writer::AppendTag(uint64_t tag) { AppendHead(MajorType::kTag, tag); }

void Writer::AppendBool(bool value) { out_.push_back(value ? 0xf5 : 0xf4); }

void Writer::AppendNull() { out_.push_back(0xf6); }

void Writer::AppendRaw(absl::Span<const uint8_t> encoded) {
  out_.insert(out_.end(), encoded.begin(), encoded.end());
}

}  // namespace nitro_tss::attestation::cbor
