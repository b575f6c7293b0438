#include "node/kms/ber.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace nitro_tss::kms::ber {

absl::StatusOr<Element> ParseElement(absl::Span<const uint8_t> input,
                                     int depth) {
  if (depth > kMaxBerDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("ber: nesting deeper than ", kMaxBerDepth));
  }
  if (input.size() < 2) {
    return absl::InvalidArgumentError("ber: truncated element header");
  }
  Element e;
  e.identifier = input[0];
  if ((e.identifier & 0x1f) == 0x1f) {
    return absl::InvalidArgumentError("ber: high tag numbers not supported");
  }
  size_t pos = 1;
  const uint8_t first = input[pos++];
  size_t length = 0;
  if (first < 0x80) {
    length = first;
  } else if (first == 0x80) {
    if (!e.constructed()) {
      return absl::InvalidArgumentError(
          "ber: indefinite length on a primitive element");
    }
    e.indefinite = true;
  } else {
    const size_t n = first & 0x7f;
    if (n > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("ber: length uses ", n, " bytes (max 3)"));
    }
    if (input.size() - pos < n) {
      return absl::InvalidArgumentError("ber: truncated length");
    }
    if (input[pos] == 0) {
      return absl::InvalidArgumentError("ber: non-minimal length encoding");
    }
    for (size_t i = 0; i < n; ++i) length = (length << 8) | input[pos++];
    if (length < 0x80) {
      return absl::InvalidArgumentError("ber: non-minimal length encoding");
    }
  }
  const size_t header = pos;
  if (!e.indefinite) {
    if (input.size() - header < length) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ber: element 0x%02x claims %u content bytes, only %u left",
          e.identifier, length, input.size() - header));
    }
    e.content = input.subspan(header, length);
    e.encoded_size = header + length;
    return e;
  }
  // Indefinite: walk children until the end-of-contents octets.
  size_t cursor = header;
  while (true) {
    if (input.size() - cursor < 2) {
      return absl::InvalidArgumentError(
          "ber: missing end-of-contents for indefinite-length element");
    }
    if (input[cursor] == 0 && input[cursor + 1] == 0) break;
    if (input[cursor] == 0) {
      return absl::InvalidArgumentError("ber: malformed end-of-contents");
    }
    absl::StatusOr<Element> child =
        ParseElement(input.subspan(cursor), depth + 1);
    if (!child.ok()) return child.status();
    cursor += child->encoded_size;
  }
  e.content = input.subspan(header, cursor - header);
  e.encoded_size = cursor + 2;
  return e;
}

absl::StatusOr<Element> Reader::NextAny(absl::string_view what) {
  if (rest_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ber: missing ", what, " (structure ends early)"));
  }
  absl::StatusOr<Element> e = ParseElement(rest_, depth_ + 1);
  if (!e.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(e.status().message(), " (in ", what, ")"));
  }
  rest_ = rest_.subspan(e->encoded_size);
  return e;
}

absl::StatusOr<Element> Reader::Next(uint8_t identifier,
                                     absl::string_view what) {
  if (!rest_.empty() && rest_[0] != identifier) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ber: %s: expected identifier 0x%02x, got 0x%02x",
                        std::string(what), identifier, rest_[0]));
  }
  return NextAny(what);
}

absl::Status Reader::ExpectEnd(absl::string_view what) const {
  if (!rest_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ber: unexpected trailing element(s) in ", what, " (",
                     rest_.size(), " bytes)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ParseSmallUnsigned(const Element& integer,
                                            absl::string_view what) {
  absl::Span<const uint8_t> c = integer.content;
  if (integer.identifier != kTagInteger || c.empty() || c.size() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("ber: ", what, " is not a small INTEGER"));
  }
  if (c[0] & 0x80) {
    return absl::InvalidArgumentError(
        absl::StrCat("ber: ", what, " is negative"));
  }
  if (c.size() > 1 && c[0] == 0 && !(c[1] & 0x80)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ber: ", what, " is not minimally encoded"));
  }
  uint32_t v = 0;
  for (uint8_t b : c) v = (v << 8) | b;
  return v;
}

absl::StatusOr<std::vector<uint8_t>> ReadOctetString(
    const Element& element, uint8_t identifier_primitive, size_t max_size,
    absl::string_view what) {
  std::vector<uint8_t> out;
  if (element.identifier == identifier_primitive) {
    if (element.content.size() > max_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("ber: ", what, " exceeds ", max_size, " bytes"));
    }
    out.assign(element.content.begin(), element.content.end());
    return out;
  }
  if (element.identifier != (identifier_primitive | kConstructed)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ber: %s: unexpected identifier 0x%02x",
                        std::string(what), element.identifier));
  }
  Reader segments(element.content, 0);
  while (!segments.AtEnd()) {
    absl::StatusOr<Element> seg = segments.Next(kTagOctetString, what);
    if (!seg.ok()) return seg.status();
    if (out.size() + seg->content.size() > max_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("ber: ", what, " exceeds ", max_size, " bytes"));
    }
    out.insert(out.end(), seg->content.begin(), seg->content.end());
  }
  return out;
}

}  // namespace nitro_tss::kms::ber
