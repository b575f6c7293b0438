// Minimal strict CBOR (RFC 8949) reader and writer for the attestation
// formats (COSE_Sign1 documents and NSM requests/responses).
//
// The reader is deliberately narrow: it accepts only definite-length items,
// shortest-form ("preferred") integer and length encodings, unsigned and
// negative integers, byte and text strings, arrays, maps, tags, and the
// simple values false/true/null. Floats, undefined, other simple values,
// indefinite lengths and non-minimal encodings are rejected. Every error is
// an absl::InvalidArgumentError whose message starts with "cbor: ".
//
// Not thread-safe per instance; instances are cheap.
#ifndef NITRO_TSS_NODE_ATTESTATION_CBOR_H_
#define NITRO_TSS_NODE_ATTESTATION_CBOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace nitro_tss::attestation::cbor {

// CBOR major types (the top 3 bits of the initial byte).
enum class MajorType : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,
};

// Sequential reader over a byte span that it does not own. The span must
// outlive the reader and every span returned by ReadBytes.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> input) : input_(input) {}

  // Returns the major type of the next item without consuming it.
  // Fails if the input is exhausted.
  absl::StatusOr<MajorType> PeekType() const;
  // True if the next item is the simple value null (0xf6).
  bool PeekNull() const;

  // Each Read* consumes exactly one item header (and, for strings, the
  // content) of the named type; fails with a message naming `what` if the
  // next item has another type, is truncated, or is not minimally encoded.
  absl::StatusOr<uint64_t> ReadUnsigned(const char* what);
  // Reads a major type 0 or 1 integer in the int64 range.
  absl::StatusOr<int64_t> ReadInt(const char* what);
  // Reads a byte string of at most max_len bytes; returns a view into input.
  absl::StatusOr<absl::Span<const uint8_t>> ReadBytes(const char* what,
                                                      size_t max_len);
  // Reads a text string of at most max_len bytes. The content must be valid
  // UTF-8 (RFC 3629, no overlongs, no surrogates).
  absl::StatusOr<std::string> ReadText(const char* what, size_t max_len);
  // Reads an array header with at most max_len elements; returns the count.
  absl::StatusOr<uint64_t> ReadArrayHeader(const char* what, uint64_t max_len);
  // Reads a map header with at most max_len pairs; returns the pair count.
  absl::StatusOr<uint64_t> ReadMapHeader(const char* what, uint64_t max_len);
  // Reads a tag number.
  absl::StatusOr<uint64_t> ReadTag(const char* what);
  // Reads true/false.
  absl::StatusOr<bool> ReadBool(const char* what);
  // Reads null.
  absl::Status ReadNull(const char* what);

  // Bytes consumed so far / not yet consumed.
  size_t offset() const { return offset_; }
  size_t remaining() const { return input_.size() - offset_; }
  bool AtEnd() const { return offset_ == input_.size(); }
  // Fails with "cbor: N trailing bytes after <what>" unless AtEnd().
  absl::Status ExpectEnd(const char* what) const;

 private:
  struct Head {
    MajorType type;
    uint8_t additional;  // low 5 bits of the initial byte
    uint64_t value;      // argument (length, count, integer, tag)
  };
  // Decodes the next item head without consuming it.
  absl::StatusOr<Head> PeekHead(size_t* head_len) const;
  absl::StatusOr<Head> ReadHead(MajorType expected, const char* what);

  absl::Span<const uint8_t> input_;
  size_t offset_ = 0;
};

// Append-only CBOR encoder producing preferred (shortest) encodings.
class Writer {
 public:
  void AppendUnsigned(uint64_t value);
  // Encodes a negative or non-negative integer.
  void AppendInt(int64_t value);
  void AppendBytes(absl::Span<const uint8_t> bytes);
  void AppendText(const std::string& text);
  void AppendArrayHeader(uint64_t count);
  void AppendMapHeader(uint64_t pairs);
  void AppendTag(uint64_t tag);
  void AppendBool(bool value);
  void AppendNull();
  // Appends bytes that already are a complete CBOR item.
  void AppendRaw(absl::Span<const uint8_t> encoded);

  const std::vector<uint8_t>& bytes() const { return out_; }
  std::vector<uint8_t> Take() { return std::move(out_); }

 private:
  void AppendHead(MajorType type, uint64_t value);
  std::vector<uint8_t> out_;
};

}  // namespace nitro_tss::attestation::cbor

#endif  // NITRO_TSS_NODE_ATTESTATION_CBOR_H_
