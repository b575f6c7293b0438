// Typed absl::Status payloads: the one way a component attaches a
// machine-readable reason to an error (see docs/ARCHITECTURE.md).
//
// A payload is keyed by a type URL ("type.nitro-tss/<component>.<Name>")
// that one component owns. Two kinds:
//
//   EnumStatusPayload<E>: a value of the enum E, stored as the decimal text
//     of its underlying integer. Reading accepts only what writing produces
//     (ASCII digits, no sign, no leading zero, no whitespace) and only values
//     in the declared range [min, max]; anything else reads as absent.
//
//   TokenStatusPayload: a short identifier such as an AWS error type
//     ("AccessDeniedException"): 1..max_bytes characters of [A-Za-z0-9._-].
//     Attaching a value outside that shape leaves the status without the
//     payload (callers validate foreign input first, so nothing unchecked
//     travels in a status); reading such a value (only possible if someone
//     else wrote the URL by hand) yields absent.
//
// Contract shared by both:
//   - Attach(status, value) returns `status` with the payload set, replacing
//     a payload of the same URL; code, message and other payloads are kept.
//     An OK status is returned unchanged (absl drops payloads on OK).
//   - Make(code, message, value) is Attach(absl::Status(code, message),
//     value); `code` must not be kOk.
//   - Get(status) is the value, or std::nullopt when the status is OK, has
//     no payload of this URL or one that does not parse.
//   - Has(status) is Get(status).has_value().
//   - Payload objects are constexpr, hold only a string_view to the URL (use
//     a string literal) and are cheap to copy; declare them `inline
//     constexpr` next to the enum they carry.
//
// CopyStatusPayloads(from, to) copies every payload of `from` onto `to`
// (e.g. when wrapping a lower layer's error with more context).
//
// Header only: usable by every layer, including mpc/ (Abseil only).
#ifndef NITRO_TSS_COMMON_STATUS_PAYLOAD_H_
#define NITRO_TSS_COMMON_STATUS_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace nitro_tss {

template <typename E>
class EnumStatusPayload {
  static_assert(std::is_enum_v<E>, "EnumStatusPayload carries an enum");
  using Underlying = std::underlying_type_t<E>;
  static_assert(sizeof(Underlying) <= sizeof(int64_t),
                "underlying type wider than 64 bits");

 public:
  // `type_url` must outlive the object (a string literal); values outside
  // [min, max] (by underlying value) are never read back.
  constexpr EnumStatusPayload(absl::string_view type_url, E min, E max)
      : type_url_(type_url), min_(min), max_(max) {}

  constexpr absl::string_view type_url() const { return type_url_; }

  absl::Status Attach(absl::Status status, E value) const {
    if (!status.ok()) {
      status.SetPayload(type_url_,
                        absl::Cord(absl::StrCat(static_cast<int64_t>(value))));
    }
    return status;
  }

  absl::Status Make(absl::StatusCode code, absl::string_view message,
                    E value) const {
    return Attach(absl::Status(code, message), value);
  }

  std::optional<E> Get(const absl::Status& status) const {
    if (status.ok()) return std::nullopt;
    auto payload = status.GetPayload(type_url_);  // absl::optional<Cord>
    if (!payload.has_value()) return std::nullopt;
    // At most 20 characters: "-" and 19 digits (int64).
    if (payload->size() == 0 || payload->size() > 20) return std::nullopt;
    const std::string text(*payload);
    size_t i = 0;
    const bool negative = text[0] == '-';
    if (negative) i = 1;
    if (i == text.size()) return std::nullopt;
    if (text[i] == '0' && (negative || text.size() > i + 1)) {
      return std::nullopt;  // leading zero or "-0"
    }
    uint64_t magnitude = 0;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return std::nullopt;
      const uint64_t digit = static_cast<uint64_t>(c - '0');
      if (magnitude > (UINT64_MAX - digit) / 10) return std::nullopt;
      magnitude = magnitude * 10 + digit;
    }
    // Compare in int64 (every enum below has a range inside it).
    constexpr uint64_t kMaxMagnitude = static_cast<uint64_t>(INT64_MAX);
    if (magnitude > kMaxMagnitude + (negative ? 1 : 0)) return std::nullopt;
    const int64_t value =
        negative ? static_cast<int64_t>(0 - magnitude)  // two's complement
                 : static_cast<int64_t>(magnitude);
    if (value < static_cast<int64_t>(min_) ||
        value > static_cast<int64_t>(max_)) {
      return std::nullopt;
    }
    return static_cast<E>(static_cast<Underlying>(value));
  }

  bool Has(const absl::Status& status) const { return Get(status).has_value(); }

 private:
  absl::string_view type_url_;
  E min_;
  E max_;
};

class TokenStatusPayload {
 public:
  // `type_url` must outlive the object (a string literal).
  constexpr explicit TokenStatusPayload(absl::string_view type_url,
                                        size_t max_bytes = 128)
      : type_url_(type_url), max_bytes_(max_bytes) {}

  constexpr absl::string_view type_url() const { return type_url_; }
  constexpr size_t max_bytes() const { return max_bytes_; }

  // Whether `value` has the token shape (1..max_bytes of [A-Za-z0-9._-]).
  bool IsValid(absl::string_view value) const {
    if (value.empty() || value.size() > max_bytes_) return false;
    for (char c : value) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-';
      if (!ok) return false;
    }
    return true;
  }

  absl::Status Attach(absl::Status status, absl::string_view value) const {
    if (!status.ok() && IsValid(value)) {
      status.SetPayload(type_url_, absl::Cord(value));
    }
    return status;
  }

  absl::Status Make(absl::StatusCode code, absl::string_view message,
                    absl::string_view value) const {
    return Attach(absl::Status(code, message), value);
  }

  std::optional<std::string> Get(const absl::Status& status) const {
    if (status.ok()) return std::nullopt;
    auto payload = status.GetPayload(type_url_);  // absl::optional<Cord>
    if (!payload.has_value() || payload->size() > max_bytes_) {
      return std::nullopt;
    }
    std::string value(*payload);
    if (!IsValid(value)) return std::nullopt;
    return value;
  }

  bool Has(const absl::Status& status) const { return Get(status).has_value(); }

 private:
  absl::string_view type_url_;
  size_t max_bytes_;
};

// Copies every payload of `from` onto `*to` (replacing payloads of the same
// URL). Nothing happens if either status is OK.
inline void CopyStatusPayloads(const absl::Status& from, absl::Status* to) {
  if (from.ok() || to->ok()) return;
  from.ForEachPayload([to](absl::string_view url, const absl::Cord& payload) {
    to->SetPayload(url, payload);
  });
}

}  // namespace nitro_tss

#endif  // NITRO_TSS_COMMON_STATUS_PAYLOAD_H_
