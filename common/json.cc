#include "common/json.h"

#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>
#include <unordered_set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nitro_tss::json {
namespace {

const Number& EmptyNumber() {
  static const Number* n = new Number();
  return *n;
}
const std::string& EmptyString() {
  static const std::string* s = new std::string();
  return *s;
}
const Array& EmptyArray() {
  static const Array* a = new Array();
  return *a;
}
const Object& EmptyObject() {
  static const Object* o = new Object();
  return *o;
}

// Decodes one UTF-8 sequence starting at s[i]; returns its length (1..4) and
// stores the code point, or 0 when the sequence is invalid (truncated,
// overlong, surrogate, above U+10FFFF, bad continuation byte).
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t min;
  uint32_t v;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char cc = b(i + k);
    if ((cc & 0xC0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// An input iterator over the text that records how many bytes nlohmann's
// lexer has consumed, so errors our SAX handler raises can name a byte
// offset (the lexer has read the whole token, plus one look-ahead byte after
// a number, when a callback runs).
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* base, const char* p, size_t* consumed)
      : base_(base), p_(p), consumed_(consumed) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    ++p_;
    *consumed_ = static_cast<size_t>(p_ - base_);
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const CountingIterator& a, const CountingIterator& b) {
    return a.p_ == b.p_;
  }
  friend bool operator!=(const CountingIterator& a, const CountingIterator& b) {
    return !(a == b);
  }

 private:
  const char* base_;
  const char* p_;
  size_t* consumed_;
};

// nlohmann's reason text without the "[json.exception.<kind>.<id>] parse
// error at line L, column C: " prefix and without the "; last read: '...'"
// excerpt (which would copy document bytes, possibly a secret's base64, into
// error messages).
std::string LibraryReason(const nlohmann::json::exception& ex) {
  if (ex.id == 406) return "number out of range";  // out_of_range.406
  std::string what = ex.what();
  const size_t bracket = what.find("] ");
  if (bracket != std::string::npos) what.erase(0, bracket + 2);
  const size_t column = what.find(", column ");
  if (column != std::string::npos) {
    const size_t colon = what.find(": ", column);
    if (colon != std::string::npos) what.erase(0, colon + 2);
  }
  const size_t last = what.find("; last read: ");
  if (last != std::string::npos) what.erase(last);
  return what;
}

// Builds a Value from nlohmann's SAX events (document order, so objects keep
// insertion order) and enforces what nlohmann does not: duplicate keys,
// nesting depth, container size, string and number length. Iterative: the
// only stack is `frames_`, bounded by max_depth.
class Builder {
 public:
  using json_t = nlohmann::json;

  Builder(const ParseLimits& limits, const size_t* consumed)
      : limits_(limits), consumed_(consumed) {}

  absl::StatusOr<Value> Take() && {
    if (!status_.ok()) return status_;
    return std::move(root_);
  }
  void Fail(std::string reason, size_t offset) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("json: ", reason, " at byte ", offset));
    }
  }

  // --- nlohmann::json_sax<nlohmann::json> ---
  bool null() { return Add(Value()); }
  bool boolean(bool b) { return Add(Value::Bool(b)); }
  bool number_integer(json_t::number_integer_t i) {
    Number n;
    n.is_int = true;
    n.int_value = i;
    n.double_value = static_cast<double>(i);
    n.text = absl::StrCat(i);
    return AddNumber(std::move(n));
  }
  bool number_unsigned(json_t::number_unsigned_t u) {
    Number n;
    n.is_int = u <= static_cast<uint64_t>(INT64_MAX);
    n.int_value = n.is_int ? static_cast<int64_t>(u) : 0;
    n.double_value = static_cast<double>(u);
    n.text = absl::StrCat(u);
    return AddNumber(std::move(n));
  }
  bool number_float(json_t::number_float_t d, const json_t::string_t& text) {
    // nlohmann rejects non-finite results itself (out_of_range.406).
    Number n;
    n.double_value = d;
    n.text = text;
    return AddNumber(std::move(n));
  }
  bool string(json_t::string_t& s) {
    if (!CheckString(s)) return false;
    return Add(Value::String(std::move(s)));
  }
  bool binary(json_t::binary_t& /*unused*/) {
    Fail("binary values are not JSON", Offset());
    return false;
  }
  bool start_object(size_t /*unknown*/) { return Open(Value::MakeObject()); }
  bool key(json_t::string_t& k) {
    if (!CheckString(k)) return false;
    Frame& f = frames_.back();
    if (!CountSlot(f, "object", "members")) return false;
    if (!f.keys.insert(k).second) {
      Fail("duplicate object key", Offset());
      return false;
    }
    f.key = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(size_t /*unknown*/) { return Open(Value::MakeArray()); }
  bool end_array() { return Close(); }
  bool parse_error(size_t position, const std::string& /*last_token*/,
                   const nlohmann::json::exception& ex) {
    Fail(LibraryReason(ex), position > 0 ? position - 1 : 0);
    return false;
  }

 private:
  struct Frame {
    Value value;
    size_t count = 0;  // elements or members started so far
    std::string key;   // member name awaiting its value (objects)
    std::unordered_set<std::string> keys;
  };

  // Where the current token ends (the best position the SAX interface gives).
  size_t Offset() const { return *consumed_ > 0 ? *consumed_ - 1 : 0; }

  bool CheckString(const std::string& s) {
    if (s.size() > limits_.max_string_bytes) {
      Fail(absl::StrCat("string longer than ", limits_.max_string_bytes,
                        " bytes"),
           Offset());
      return false;
    }
    return true;
  }
  // A value is starting in the innermost container: count it (arrays; object
  // members are counted at their key).
  bool StartSlot() {
    if (frames_.empty() || !frames_.back().value.is_array()) return true;
    return CountSlot(frames_.back(), "array", "elements");
  }
  // Counts one more element or member of `f` within max_container_size.
  bool CountSlot(Frame& f, const char* container, const char* items) {
    if (f.count >= limits_.max_container_size) {
      Fail(absl::StrCat(container, " has more than ",
                        limits_.max_container_size, " ", items),
           Offset());
      return false;
    }
    ++f.count;
    return true;
  }
  // Stores a complete value in its parent (or as the document).
  void Store(Value v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& f = frames_.back();
    if (f.value.is_array()) {
      f.value.MutableArray().push_back(std::move(v));
    } else {
      f.value.MutableObject().emplace_back(std::move(f.key), std::move(v));
      f.key.clear();
    }
  }
  bool Add(Value v) {
    if (!StartSlot()) return false;
    Store(std::move(v));
    return true;
  }
  bool AddNumber(Number n) {
    if (n.text.size() > limits_.max_number_chars) {
      Fail(absl::StrCat("number longer than ", limits_.max_number_chars,
                        " characters"),
           Offset());
      return false;
    }
    return Add(Value::FromNumber(std::move(n)));
  }
  bool Open(Value container) {
    if (!StartSlot()) return false;
    if (frames_.size() >= limits_.max_depth) {
      Fail(absl::StrCat("nesting deeper than ", limits_.max_depth), Offset());
      return false;
    }
    frames_.emplace_back();
    frames_.back().value = std::move(container);
    return true;
  }
  bool Close() {
    Value v = std::move(frames_.back().value);
    frames_.pop_back();
    Store(std::move(v));
    return true;
  }

  const ParseLimits& limits_;
  const size_t* consumed_;
  std::vector<Frame> frames_;
  Value root_;
  absl::Status status_;
};

}  // namespace

Value Value::FromNumber(Number n) {
  Value v;
  v.v_ = std::move(n);
  return v;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "bool";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "unknown";
}

Value Value::Bool(bool b) {
  Value v;
  v.v_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  Number n;
  n.is_int = true;
  n.int_value = i;
  n.double_value = static_cast<double>(i);
  n.text = absl::StrCat(i);
  v.v_ = std::move(n);
  return v;
}

Value Value::Double(double d) {
  Value v;
  if (!std::isfinite(d)) return v;
  Number n;
  n.double_value = d;
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), d);
  n.text.assign(buf, r.ptr);
  v.v_ = std::move(n);
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}

Value Value::MakeArray(Array items) {
  Value v;
  v.v_ = std::move(items);
  return v;
}

Value Value::MakeObject(Object members) {
  Value v;
  v.v_ = std::move(members);
  return v;
}

Type Value::type() const {
  switch (v_.index()) {
    case 0:
      return Type::kNull;
    case 1:
      return Type::kBool;
    case 2:
      return Type::kNumber;
    case 3:
      return Type::kString;
    case 4:
      return Type::kArray;
    default:
      return Type::kObject;
  }
}

bool Value::is_int() const {
  const Number* n = std::get_if<Number>(&v_);
  return n != nullptr && n->is_int;
}

bool Value::AsBool() const {
  assert(is_bool());
  const bool* b = std::get_if<bool>(&v_);
  return b != nullptr && *b;
}

const Number& Value::AsNumber() const {
  assert(is_number());
  const Number* n = std::get_if<Number>(&v_);
  return n != nullptr ? *n : EmptyNumber();
}

int64_t Value::AsInt() const {
  assert(is_int());
  return AsNumber().int_value;
}

double Value::AsDouble() const { return AsNumber().double_value; }

const std::string& Value::AsString() const {
  assert(is_string());
  const std::string* s = std::get_if<std::string>(&v_);
  return s != nullptr ? *s : EmptyString();
}

std::string& Value::MutableString() {
  if (is_null()) v_ = std::string();
  assert(is_string());
  if (!is_string()) v_ = std::string();
  return std::get<std::string>(v_);
}

const Array& Value::AsArray() const {
  assert(is_array());
  const Array* a = std::get_if<Array>(&v_);
  return a != nullptr ? *a : EmptyArray();
}

Array& Value::MutableArray() {
  if (is_null()) v_ = Array();
  assert(is_array());
  if (!is_array()) v_ = Array();
  return std::get<Array>(v_);
}

const Object& Value::AsObject() const {
  assert(is_object());
  const Object* o = std::get_if<Object>(&v_);
  return o != nullptr ? *o : EmptyObject();
}

Object& Value::MutableObject() {
  if (is_null()) v_ = Object();
  assert(is_object());
  if (!is_object()) v_ = Object();
  return std::get<Object>(v_);
}

const Value* Value::Find(absl::string_view key) const {
  const Object* o = std::get_if<Object>(&v_);
  if (o == nullptr) return nullptr;
  for (const auto& m : *o) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

Value& Value::Set(absl::string_view key, Value v) {
  Object& o = MutableObject();
  for (auto& m : o) {
    if (m.first == key) {
      m.second = std::move(v);
      return m.second;
    }
  }
  o.emplace_back(std::string(key), std::move(v));
  return o.back().second;
}

Value& Value::Append(Value v) {
  Array& a = MutableArray();
  a.push_back(std::move(v));
  return a.back();
}

namespace {
absl::Status Missing(absl::string_view key) {
  return absl::InvalidArgumentError(absl::StrCat("missing field '", key, "'"));
}
absl::Status WrongType(absl::string_view key, absl::string_view type) {
  return absl::InvalidArgumentError(
      absl::StrCat("field '", key, "' must be a ", type));
}
}  // namespace

absl::StatusOr<std::string> Value::StringField(absl::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_string()) return WrongType(key, "string");
  return v->AsString();
}

absl::StatusOr<int64_t> Value::IntField(absl::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_int()) return WrongType(key, "64-bit integer");
  return v->AsInt();
}

absl::StatusOr<bool> Value::BoolField(absl::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_bool()) return WrongType(key, "boolean");
  return v->AsBool();
}

absl::StatusOr<const Object*> Value::ObjectField(absl::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_object()) return WrongType(key, "object");
  return &v->AsObject();
}

absl::StatusOr<const Array*> Value::ArrayField(absl::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array()) return WrongType(key, "array");
  return &v->AsArray();
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.AsBool() == b.AsBool();
    case Type::kNumber: {
      const Number& x = a.AsNumber();
      const Number& y = b.AsNumber();
      if (x.is_int && y.is_int) return x.int_value == y.int_value;
      return x.double_value == y.double_value;
    }
    case Type::kString:
      return a.AsString() == b.AsString();
    case Type::kArray:
      return a.AsArray() == b.AsArray();
    case Type::kObject:
      return a.AsObject() == b.AsObject();
  }
  return false;
}

absl::StatusOr<Value> Parse(absl::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_input_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("json: input of ", text.size(), " bytes exceeds limit of ",
                     limits.max_input_bytes, " at byte 0"));
  }
  // nlohmann skips a leading UTF-8 byte order mark; RFC 8259 8.1 says a
  // parser MAY ignore it, we do not accept it.
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) {
    return absl::InvalidArgumentError(
        "json: unexpected character (byte order mark) at byte 0");
  }
  // nlohmann's lexer treats a NUL byte as the end of input (for C strings),
  // so "[1]\0garbage" would parse as [1]. A NUL byte is never valid JSON
  // (not whitespace, not a token, and must be escaped inside strings).
  if (const size_t nul = text.find('\0'); nul != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("json: unexpected NUL byte at byte ", nul));
  }
  size_t consumed = 0;
  const char* base = text.data();
  Builder builder(limits, &consumed);
  // Iterator pair (never a C string: a NUL byte must not end the input);
  // strict: trailing content is an error; comments are not accepted.
  nlohmann::json::sax_parse(
      CountingIterator(base, base, &consumed),
      CountingIterator(base, base + text.size(), &consumed), &builder,
      nlohmann::json::input_format_t::json,
      /*strict=*/true, /*ignore_comments=*/false);
  return std::move(builder).Take();
}

void AppendQuoted(absl::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      uint32_t cp;
      const size_t len = DecodeUtf8(s, i, &cp);
      if (len == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD for an invalid byte
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

namespace {
void Write(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kNull:
      out->append("null");
      return;
    case Type::kBool:
      out->append(v.AsBool() ? "true" : "false");
      return;
    case Type::kNumber:
      out->append(v.AsNumber().text);
      return;
    case Type::kString:
      AppendQuoted(v.AsString(), out);
      return;
    case Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.AsArray()) {
        if (!first) out->push_back(',');
        first = false;
        Write(item, out);
      }
      out->push_back(']');
      return;
    }
    case Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& m : v.AsObject()) {
        if (!first) out->push_back(',');
        first = false;
        AppendQuoted(m.first, out);
        out->push_back(':');
        Write(m.second, out);
      }
      out->push_back('}');
      return;
    }
  }
}
}  // namespace

std::string Serialize(const Value& value) {
  std::string out;
  Write(value, &out);
  return out;
}

}  // namespace nitro_tss::json
