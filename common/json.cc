#include "common/json.h"

#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

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

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(absl::string_view text, const ParseLimits& limits)
      : s_(text), limits_(limits) {}

  absl::StatusOr<Value> ParseDocument() {
    if (s_.size() > limits_.max_input_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("json: input of ", s_.size(), " bytes exceeds limit of ",
                       limits_.max_input_bytes, " at byte 0"));
    }
    SkipWs();
    Value v;
    absl::Status st = ParseValue(1, &v);
    if (!st.ok()) return st;
    SkipWs();
    if (pos_ != s_.size()) return Error("unexpected trailing content");
    return v;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return ErrorAt(what, pos_);
  }
  absl::Status ErrorAt(absl::string_view what, size_t at) const {
    return absl::InvalidArgumentError(
        absl::StrCat("json: ", what, " at byte ", at));
  }

  void SkipWs() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool Consume(absl::string_view lit) {
    if (s_.substr(pos_, lit.size()) == lit) {
      pos_ += lit.size();
      return true;
    }
    return false;
  }

  absl::Status ParseValue(size_t depth, Value* out) {
    if (pos_ >= s_.size()) return Error("unexpected end of input");
    const char c = s_[pos_];
    switch (c) {
      case '{':
        return ParseObject(depth, out);
      case '[':
        return ParseArray(depth, out);
      case '"': {
        std::string str;
        absl::Status st = ParseString(&str);
        if (!st.ok()) return st;
        *out = Value::String(std::move(str));
        return absl::OkStatus();
      }
      case 't':
        if (Consume("true")) {
          *out = Value::Bool(true);
          return absl::OkStatus();
        }
        return Error("invalid literal");
      case 'f':
        if (Consume("false")) {
          *out = Value::Bool(false);
          return absl::OkStatus();
        }
        return Error("invalid literal");
      case 'n':
        if (Consume("null")) {
          *out = Value::Null();
          return absl::OkStatus();
        }
        return Error("invalid literal");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Error("unexpected character");
    }
  }

  absl::Status ParseObject(size_t depth, Value* out) {
    if (depth > limits_.max_depth) {
      return Error(absl::StrCat("nesting deeper than ", limits_.max_depth));
    }
    ++pos_;  // '{'
    Object members;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      *out = Value::MakeObject(std::move(members));
      return absl::OkStatus();
    }
    while (true) {
      SkipWs();
      if (pos_ >= s_.size()) return Error("unexpected end of input in object");
      if (s_[pos_] != '"') return Error("expected string key");
      const size_t key_pos = pos_;
      std::string key;
      absl::Status st = ParseString(&key);
      if (!st.ok()) return st;
      for (const auto& m : members) {
        if (m.first == key) return ErrorAt("duplicate object key", key_pos);
      }
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      SkipWs();
      Value v;
      st = ParseValue(depth + 1, &v);
      if (!st.ok()) return st;
      if (members.size() >= limits_.max_container_size) {
        return ErrorAt(absl::StrCat("object has more than ",
                                    limits_.max_container_size, " members"),
                       key_pos);
      }
      members.emplace_back(std::move(key), std::move(v));
      SkipWs();
      if (pos_ >= s_.size()) return Error("unexpected end of input in object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        break;
      }
      return Error("expected ',' or '}'");
    }
    *out = Value::MakeObject(std::move(members));
    return absl::OkStatus();
  }

  absl::Status ParseArray(size_t depth, Value* out) {
    if (depth > limits_.max_depth) {
      return Error(absl::StrCat("nesting deeper than ", limits_.max_depth));
    }
    ++pos_;  // '['
    Array items;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      *out = Value::MakeArray(std::move(items));
      return absl::OkStatus();
    }
    while (true) {
      SkipWs();
      const size_t item_pos = pos_;
      Value v;
      absl::Status st = ParseValue(depth + 1, &v);
      if (!st.ok()) return st;
      if (items.size() >= limits_.max_container_size) {
        return ErrorAt(absl::StrCat("array has more than ",
                                    limits_.max_container_size, " elements"),
                       item_pos);
      }
      items.push_back(std::move(v));
      SkipWs();
      if (pos_ >= s_.size()) return Error("unexpected end of input in array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        break;
      }
      return Error("expected ',' or ']'");
    }
    *out = Value::MakeArray(std::move(items));
    return absl::OkStatus();
  }

  // Reads 4 hex digits at pos_.
  bool ReadHex4(uint32_t* v) {
    if (s_.size() - pos_ < 4) return false;
    uint32_t r = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_ + k];
      r <<= 4;
      if (c >= '0' && c <= '9') {
        r |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        r |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        r |= c - 'A' + 10;
      } else {
        return false;
      }
    }
    pos_ += 4;
    *v = r;
    return true;
  }

  absl::Status ParseString(std::string* out) {
    const size_t start = pos_;
    ++pos_;  // opening quote
    out->clear();
    while (true) {
      if (pos_ >= s_.size()) return ErrorAt("unterminated string", start);
      if (out->size() > limits_.max_string_bytes) {
        return ErrorAt(absl::StrCat("string longer than ",
                                    limits_.max_string_bytes, " bytes"),
                       start);
      }
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20) return Error("unescaped control character in string");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= s_.size()) return ErrorAt("unterminated string", start);
        const char e = s_[pos_];
        ++pos_;
        switch (e) {
          case '"':
            out->push_back('"');
            break;
          case '\\':
            out->push_back('\\');
            break;
          case '/':
            out->push_back('/');
            break;
          case 'b':
            out->push_back('\b');
            break;
          case 'f':
            out->push_back('\f');
            break;
          case 'n':
            out->push_back('\n');
            break;
          case 'r':
            out->push_back('\r');
            break;
          case 't':
            out->push_back('\t');
            break;
          case 'u': {
            const size_t esc_pos = pos_ - 2;
            uint32_t cp;
            if (!ReadHex4(&cp)) return ErrorAt("invalid \\u escape", esc_pos);
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return ErrorAt("lone low surrogate escape", esc_pos);
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo;
              if (s_.size() - pos_ < 2 || s_[pos_] != '\\' ||
                  s_[pos_ + 1] != 'u') {
                return ErrorAt("lone high surrogate escape", esc_pos);
              }
              pos_ += 2;
              if (!ReadHex4(&lo)) {
                return ErrorAt("invalid \\u escape", pos_ - 2);
              }
              if (lo < 0xDC00 || lo > 0xDFFF) {
                return ErrorAt("high surrogate not followed by low surrogate",
                               esc_pos);
              }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            AppendUtf8(cp, out);
            break;
          }
          default:
            return ErrorAt("invalid escape", pos_ - 2);
        }
        continue;
      }
      uint32_t cp;
      const size_t len = DecodeUtf8(s_, pos_, &cp);
      if (len == 0) return Error("invalid UTF-8 in string");
      out->append(s_.data() + pos_, len);
      pos_ += len;
    }
    if (out->size() > limits_.max_string_bytes) {
      return ErrorAt(absl::StrCat("string longer than ",
                                  limits_.max_string_bytes, " bytes"),
                     start);
    }
    return absl::OkStatus();
  }

  absl::Status ParseNumber(Value* out) {
    const size_t start = pos_;
    bool integral = true;
    if (s_[pos_] == '-') ++pos_;
    const auto digit = [&]() {
      return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9';
    };
    if (!digit()) return Error("expected digit in number");
    if (s_[pos_] == '0') {
      ++pos_;
      if (digit()) return Error("leading zero in number");
    } else {
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (!digit()) return Error("expected digit after decimal point");
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digit()) return Error("expected digit in exponent");
      while (digit()) ++pos_;
    }
    const size_t len = pos_ - start;
    if (len > limits_.max_number_chars) {
      return ErrorAt(absl::StrCat("number longer than ",
                                  limits_.max_number_chars, " characters"),
                     start);
    }
    Number n;
    n.text = std::string(s_.substr(start, len));
    if (integral) {
      int64_t iv;
      const auto r =
          std::from_chars(n.text.data(), n.text.data() + n.text.size(), iv);
      if (r.ec == std::errc() && r.ptr == n.text.data() + n.text.size()) {
        n.is_int = true;
        n.int_value = iv;
      }
    }
    errno = 0;
    char* end = nullptr;
    const double d = std::strtod(n.text.c_str(), &end);
    if (end != n.text.c_str() + n.text.size() || !std::isfinite(d)) {
      return ErrorAt("number out of range", start);
    }
    n.double_value = d;
    *out = Value::FromNumber(std::move(n));
    return absl::OkStatus();
  }

  absl::string_view s_;
  const ParseLimits& limits_;
  size_t pos_ = 0;
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
  Parser p(text, limits);
  return p.ParseDocument();
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
