// A small strict BER/DER reader for the CMS structures KMS returns.
//
// Supported: low tag numbers (< 31) of any class, definite lengths in short
// or minimal long form (up to 3 length bytes), indefinite lengths on
// constructed elements terminated by an end-of-contents (00 00). Rejected:
// high tag numbers, non-minimal long-form lengths, indefinite primitives,
// lengths beyond the input, nesting deeper than kMaxBerDepth.
#ifndef NITRO_TSS_NODE_KMS_BER_H_
#define NITRO_TSS_NODE_KMS_BER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace nitro_tss::kms::ber {

inline constexpr int kMaxBerDepth = 16;

// Identifier octet helpers.
inline constexpr uint8_t kClassUniversal = 0x00;
inline constexpr uint8_t kClassContext = 0x80;
inline constexpr uint8_t kConstructed = 0x20;
inline constexpr uint8_t kTagInteger = 0x02;
inline constexpr uint8_t kTagOctetString = 0x04;
inline constexpr uint8_t kTagNull = 0x05;
inline constexpr uint8_t kTagOid = 0x06;
inline constexpr uint8_t kTagSequence = 0x30;  // constructed
inline constexpr uint8_t kTagSet = 0x31;       // constructed

// One parsed element. `content` is the bytes between the header and the end
// (excluding the end-of-contents octets of an indefinite-length element).
struct Element {
  uint8_t identifier = 0;  // the full identifier octet (class|constructed|tag)
  bool indefinite = false;
  absl::Span<const uint8_t> content;
  size_t encoded_size = 0;  // header + content (+ 2 for EOC)

  bool constructed() const { return (identifier & kConstructed) != 0; }
};

// Parses exactly one element at the start of `input` (which may continue).
// `depth` is the current nesting depth. `what` names the element in errors.
absl::StatusOr<Element> ParseElement(absl::Span<const uint8_t> input,
                                     int depth = 0);

// Iterates over the children of a constructed element's content.
class Reader {
 public:
  Reader(absl::Span<const uint8_t> content, int depth)
      : rest_(content), depth_(depth) {}

  bool AtEnd() const { return rest_.empty(); }

  // Reads the next child, which must have identifier `identifier`.
  // InvalidArgument naming `what` otherwise (or if no child is left).
  absl::StatusOr<Element> Next(uint8_t identifier, absl::string_view what);

  // Reads the next child whatever its identifier.
  absl::StatusOr<Element> NextAny(absl::string_view what);

  // True if the next child has identifier `identifier`.
  bool PeekIs(uint8_t identifier) const {
    return !rest_.empty() && rest_[0] == identifier;
  }

  // InvalidArgument naming `what` unless every child has been consumed.
  absl::Status ExpectEnd(absl::string_view what) const;

  int depth() const { return depth_; }

 private:
  absl::Span<const uint8_t> rest_;
  int depth_;
};

// Parses a small non-negative INTEGER content (at most 4 bytes, minimal).
absl::StatusOr<uint32_t> ParseSmallUnsigned(const Element& integer,
                                            absl::string_view what);

// Concatenates an OCTET STRING that is either primitive, or constructed of
// primitive OCTET STRING segments (one level, as BER streaming produces).
// `identifier_primitive` is the identifier expected for the primitive form;
// the constructed form is identifier_primitive | kConstructed.
absl::StatusOr<std::vector<uint8_t>> ReadOctetString(
    const Element& element, uint8_t identifier_primitive, size_t max_size,
    absl::string_view what);

}  // namespace nitro_tss::kms::ber

#endif  // NITRO_TSS_NODE_KMS_BER_H_
