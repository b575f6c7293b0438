// Strict RFC 8259 JSON: a value type, a parser with explicit limits and a
// compact writer.
//
// Parse() runs nlohmann-json's SAX parser (Debian nlohmann-json3-dev), which
// accepts exactly the JSON grammar of RFC 8259 (no comments, no trailing
// commas, no NaN/Infinity, no leading zeros, no bare control characters in
// strings) and rejects invalid UTF-8 (overlong forms, surrogates, code points
// above U+10FFFF), lone surrogate escapes and numbers that overflow a double.
// Our SAX handler (common/json.cc) additionally rejects what RFC 8259 leaves
// to the implementation and nlohmann accepts: duplicate object keys (nlohmann
// keeps the last), a leading byte order mark (nlohmann skips it), a NUL byte
// anywhere (nlohmann's lexer takes it for the end of input), and inputs,
// strings, numbers, containers and nesting beyond the configured limits
// (the input size is checked before parsing). Every error is an
// InvalidArgument status "json: <reason> at byte <offset>"; the offset is
// where the problem was detected (for limits and duplicate keys: the end of
// the offending token), and the message never quotes document bytes.
//
// The writer (Serialize, AppendQuoted) stays our own ~90 lines: it writes
// straight into the caller's buffer, which callers wipe after sending secret
// members (node/kms/kms_client.cc), where going through nlohmann::json would
// leave unwiped copies of every string.
//
// Objects keep their members in insertion (document) order.
#ifndef NITRO_TSS_COMMON_JSON_H_
#define NITRO_TSS_COMMON_JSON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nitro_tss::json {

class Value;
using Array = std::vector<Value>;
// Members in insertion order; keys are unique when produced by Parse() or
// Value::Set().
using Object = std::vector<std::pair<std::string, Value>>;

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

// Returns "null", "bool", "number", "string", "array" or "object".
const char* TypeName(Type type);

// A JSON number: the integer value when the text is an integer (no fraction,
// no exponent) that fits in int64, always the nearest double, and the text it
// was parsed from (or a canonical rendering when constructed in code).
struct Number {
  bool is_int = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string text;
};

// One JSON value. Copyable and movable. Accessors named As*() require the
// matching type (checked with a debug assertion; in release builds a wrong
// type returns a reference to a static empty value), so check type() or use
// the status-returning *Field() helpers on untrusted documents.
class Value {
 public:
  // null.
  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  // `d` must be finite; a non-finite double is stored as null.
  static Value Double(double d);
  // `s` should be valid UTF-8; the writer replaces invalid sequences with
  // U+FFFD.
  static Value String(std::string s);
  // A number from its parts, as produced by Parse(); `n.text` must be a valid
  // JSON number literal denoting `n.double_value` (and `n.int_value` when
  // `n.is_int`).
  static Value FromNumber(Number n);
  static Value MakeArray(Array items = {});
  static Value MakeObject(Object members = {});

  Type type() const;
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  // True for numbers whose text is an integer that fits in int64.
  bool is_int() const;
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  bool AsBool() const;
  const Number& AsNumber() const;
  // The int64 value; requires is_int().
  int64_t AsInt() const;
  double AsDouble() const;
  const std::string& AsString() const;
  // Mutable access to a string value (e.g. to wipe a secret in place);
  // turns a null value into an empty string first. Requires is_string() or
  // is_null().
  std::string& MutableString();
  const Array& AsArray() const;
  Array& MutableArray();
  const Object& AsObject() const;
  Object& MutableObject();

  // Object lookup: the member named `key`, or nullptr when this is not an
  // object or has no such member.
  const Value* Find(absl::string_view key) const;
  // Sets member `key` (replacing an existing one in place, else appending).
  // Turns a null value into an empty object first; requires is_object() or
  // is_null().
  Value& Set(absl::string_view key, Value v);
  // Appends to an array. Turns a null value into an empty array first;
  // requires is_array() or is_null().
  Value& Append(Value v);

  // Typed object-member accessors for untrusted documents. Each returns
  // InvalidArgument "missing field '<key>'" when absent (or when this is not
  // an object) and "field '<key>' must be a <type>" on a type mismatch.
  absl::StatusOr<std::string> StringField(absl::string_view key) const;
  absl::StatusOr<int64_t> IntField(absl::string_view key) const;
  absl::StatusOr<bool> BoolField(absl::string_view key) const;
  absl::StatusOr<const Object*> ObjectField(absl::string_view key) const;
  absl::StatusOr<const Array*> ArrayField(absl::string_view key) const;

  // Structural equality (numbers compare by int value when both are ints,
  // else by double; object member order is significant).
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::monostate, bool, Number, std::string, Array, Object> v_;
};

// Resource limits applied by Parse(). Defaults suit request bodies of about
// 1 MiB.
struct ParseLimits {
  size_t max_input_bytes = 1 << 20;
  // Arrays/objects nested deeper than this are rejected (top level = 1).
  size_t max_depth = 64;
  // Decoded (UTF-8) bytes of one string, keys included.
  size_t max_string_bytes = 1 << 20;
  // Characters of one number literal.
  size_t max_number_chars = 64;
  // Elements of one array or members of one object.
  size_t max_container_size = 100000;
};

// Parses exactly one JSON value from `text` (surrounding whitespace allowed,
// nothing else). Returns InvalidArgument "json: <reason> at byte <offset>"
// on any error.
absl::StatusOr<Value> Parse(absl::string_view text,
                            const ParseLimits& limits = ParseLimits());

// Writes `value` as compact JSON (no insignificant whitespace). Strings are
// escaped minimally: '"', '\\' and control characters (as \b \f \n \r \t or
// \u00XX); other characters are written as UTF-8. Numbers are written from
// their text. Deterministic: Serialize(Parse(Serialize(v))) ==
// Serialize(v).
std::string Serialize(const Value& value);

// Appends the JSON string literal (with quotes) for `s` to `out`.
void AppendQuoted(absl::string_view s, std::string* out);

}  // namespace nitro_tss::json

#endif  // NITRO_TSS_COMMON_JSON_H_
