#include "common/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace nitro_tss::json {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Expects `text` to be rejected with InvalidArgument "json: ... at byte N".
// Grammar, escape, UTF-8 and number-syntax errors come from nlohmann-json and
// are compared by status code only (issue 13: the parser moved to the
// library; its reason texts and byte positions are its own).
void ExpectReject(const std::string& text,
                  const ParseLimits& limits = ParseLimits()) {
  auto v = Parse(text, limits);
  ASSERT_FALSE(v.ok()) << "accepted: " << text;
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()), StartsWith("json: "));
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(" at byte "));
}

// Expects a rejection by one of our own checks on top of the library
// (limits, duplicate keys, byte order mark, number range), whose reason text
// we still control.
void ExpectRejectOwn(const std::string& text, const std::string& what,
                     const ParseLimits& limits = ParseLimits()) {
  ExpectReject(text, limits);
  auto v = Parse(text, limits);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(what)) << text;
}

TEST(JsonParse, Scalars) {
  EXPECT_TRUE(Parse("null")->is_null());
  EXPECT_TRUE(Parse(" true ")->AsBool());
  EXPECT_FALSE(Parse("false")->AsBool());
  auto i = Parse("-9223372036854775808");
  ASSERT_TRUE(i.ok());
  EXPECT_TRUE(i->is_int());
  EXPECT_EQ(i->AsInt(), INT64_MIN);
  auto big = Parse("9223372036854775808");
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(big->is_int());
  EXPECT_DOUBLE_EQ(big->AsDouble(), 9223372036854775808.0);
  EXPECT_EQ(big->AsNumber().text, "9223372036854775808");
  auto d = Parse("-1.5e-3");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->is_int());
  EXPECT_DOUBLE_EQ(d->AsDouble(), -0.0015);
  EXPECT_FALSE(Parse("1.0")->is_int());
  EXPECT_TRUE(Parse("0")->is_int());
  EXPECT_TRUE(Parse("-0")->is_int());
}

TEST(JsonParse, StringsAndEscapes) {
  auto s = Parse(R"("a\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00")");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->AsString(), "a\"\\/\b\f\n\r\tA\xC3\xA9\xF0\x9F\x98\x80");
  auto raw = Parse("\"\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->AsString(), "\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(JsonParse, ObjectsKeepInsertionOrder) {
  auto v = Parse(R"({"z":1,"a":[1,2,{"k":null}],"m":{}})");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_object());
  const Object& o = v->AsObject();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].first, "z");
  EXPECT_EQ(o[1].first, "a");
  EXPECT_EQ(o[2].first, "m");
  EXPECT_EQ(v->Find("a")->AsArray().size(), 3u);
  EXPECT_EQ(v->Find("nope"), nullptr);
  EXPECT_EQ(Serialize(*v), R"({"z":1,"a":[1,2,{"k":null}],"m":{}})");
}

TEST(JsonParse, RejectsGrammarErrors) {
  ExpectReject("");
  ExpectReject("   ");
  ExpectReject("[1,]");
  ExpectReject("{\"a\":1,}");
  ExpectReject("{'a':1}");
  ExpectReject("{\"a\" 1}");
  ExpectReject("[1 2]");
  ExpectReject("{\"a\":1 \"b\":2}");
  ExpectReject("tru");
  ExpectReject("nul");
  ExpectReject("True");
  ExpectReject("NaN");
  ExpectReject("Infinity");
  ExpectReject("1 2");
  ExpectReject("{} x");
  ExpectReject("/* c */ 1");
  ExpectRejectOwn("\xEF\xBB\xBF{}", "byte order mark");  // BOM
  ExpectReject("[");
  ExpectReject("{\"a\":1");
  ExpectReject("\f1");  // not JSON whitespace
}

TEST(JsonParse, RejectsBadNumbers) {
  ExpectReject("01");
  ExpectReject("-01");
  ExpectReject("-");
  ExpectReject("+1");
  ExpectReject("1.");
  ExpectReject(".5");
  ExpectReject("1e");
  ExpectReject("1e+");
  ExpectRejectOwn("[1e999]", "number out of range");
  ExpectRejectOwn("-1e400", "number out of range");
  ParseLimits small;
  small.max_number_chars = 5;
  ExpectRejectOwn("[123456]", "number longer than 5 characters", small);
  EXPECT_TRUE(Parse("12345", small).ok());
}

TEST(JsonParse, RejectsBadStrings) {
  ExpectReject("\"abc");
  ExpectReject("[\"a\nb\"]");
  ExpectReject("\"\\x\"");
  ExpectReject("\"\\u12g4\"");
  ExpectReject("\"\\u12\"");
  ExpectReject("\"\\ud800\"");
  ExpectReject("\"\\ud800\\u0041\"");
  ExpectReject("\"\\udc00\"");
  // Invalid UTF-8: overlong '/', surrogate U+D800, > U+10FFFF, truncated,
  // stray continuation byte, 0xFF.
  ExpectReject("\"\xC0\xAF\"");
  ExpectReject("\"\xE0\x80\xAF\"");
  ExpectReject("\"\xED\xA0\x80\"");
  ExpectReject("\"\xF4\x90\x80\x80\"");
  ExpectReject("\"ab\xE2\x82\"");
  ExpectReject("\"\x80\"");
  ExpectReject("\"\xFF\"");
}

TEST(JsonParse, RejectsDuplicateKeys) {
  ExpectRejectOwn(R"({"a":1,"b":2,"a":3})", "duplicate object key");
  // Equal after unescaping is still a duplicate.
  ExpectRejectOwn(R"({"a":1,"\u0061":2})", "duplicate object key");
  EXPECT_TRUE(Parse(R"({"a":{"a":1}})").ok());
}

TEST(JsonParse, EnforcesLimits) {
  ParseLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(Parse("[[[]]]", limits).ok());
  ExpectRejectOwn("[[[[]]]]", "nesting deeper than 3", limits);
  ExpectRejectOwn("{\"a\":{\"b\":{\"c\":{}}}}", "nesting deeper than 3",
                  limits);

  limits = ParseLimits();
  limits.max_input_bytes = 10;
  ExpectRejectOwn("[1,2,3,4,5,6]", "exceeds limit of 10", limits);

  limits = ParseLimits();
  limits.max_string_bytes = 4;
  EXPECT_TRUE(Parse("\"abcd\"", limits).ok());
  ExpectRejectOwn("[\"abcde\"]", "string longer than 4 bytes", limits);
  ExpectRejectOwn("{\"abcde\":1}", "string longer than 4 bytes", limits);

  limits = ParseLimits();
  limits.max_container_size = 2;
  EXPECT_TRUE(Parse("[1,2]", limits).ok());
  ExpectRejectOwn("[1,2,3]", "array has more than 2 elements", limits);
  ExpectRejectOwn("{\"a\":1,\"b\":2,\"c\":3}", "object has more than 2",
                  limits);

  // Default depth limit protects the stack from deep nesting.
  ExpectRejectOwn(std::string(100000, '['), "nesting deeper than 64");
}

TEST(JsonParse, ErrorsNeverQuoteDocumentBytes) {
  // nlohmann's messages end in "; last read: '<token>'"; a truncated KMS
  // response must not copy a secret's base64 into a status message.
  for (const std::string& text :
       {std::string(R"({"Plaintext":"U0VDUkVUU0VDUkVU)"),
        std::string(R"({"Plaintext":"U0VDUkVUU0VDUkVU" x})"),
        std::string(R"(["U0VDUkVUU0VDUkVU\q"])")}) {
    auto v = Parse(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_THAT(std::string(v.status().message()),
                ::testing::Not(HasSubstr("U0VDUkVU")))
        << v.status();
  }
  // A NUL byte does not end the input (nlohmann's lexer would stop there).
  ExpectRejectOwn(std::string("[1]\0", 4), "NUL byte");
  ExpectRejectOwn(std::string("[1]\0[", 5), "NUL byte");
  ExpectReject(std::string("[\"a\0\"]", 6));
}

TEST(JsonWrite, EscapesAndRoundTrips) {
  Value v;
  v.Set("s", Value::String(std::string("q\"b\\n\n\x01\x1f/\xC3\xA9", 11)));
  v.Set("i", Value::Int(-42));
  v.Set("d", Value::Double(0.1));
  v.Set("t", Value::Bool(true));
  v.Set("n", Value::Null());
  Value arr;
  arr.Append(Value::Int(1));
  arr.Append(Value::MakeObject());
  v.Set("a", std::move(arr));
  const std::string out = Serialize(v);
  EXPECT_EQ(out,
            "{\"s\":\"q\\\"b\\\\n\\n\\u0001\\u001f/\xC3\xA9\",\"i\":-42,"
            "\"d\":0.1,\"t\":true,\"n\":null,\"a\":[1,{}]}");
  auto back = Parse(out);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, v);
  EXPECT_EQ(Serialize(*back), out);
}

TEST(JsonWrite, SetReplacesInPlaceAndInvalidUtf8IsReplaced) {
  Value v;
  v.Set("a", Value::Int(1));
  v.Set("b", Value::Int(2));
  v.Set("a", Value::Int(3));
  EXPECT_EQ(Serialize(v), R"({"a":3,"b":2})");
  EXPECT_EQ(Serialize(Value::String("x\xFFy")), "\"x\xEF\xBF\xBDy\"");
  EXPECT_EQ(Serialize(Value::Double(1e300)), "1e+300");
  EXPECT_TRUE(
      Value::Double(std::numeric_limits<double>::quiet_NaN()).is_null());
  Value str = Value::String("secret");
  str.MutableString().assign("public");
  EXPECT_EQ(Serialize(str), "\"public\"");
  Value fresh;
  fresh.MutableString() = "x";
  EXPECT_TRUE(fresh.is_string());
}

TEST(JsonValue, TypedFieldsGiveClearErrors) {
  auto v = Parse(R"({"s":"x","i":7,"b":true,"o":{},"a":[],"f":1.5})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->StringField("s"), "x");
  EXPECT_EQ(*v->IntField("i"), 7);
  EXPECT_TRUE(*v->BoolField("b"));
  EXPECT_TRUE(v->ObjectField("o").ok());
  EXPECT_TRUE(v->ArrayField("a").ok());
  EXPECT_EQ(v->StringField("zz").status().message(), "missing field 'zz'");
  EXPECT_EQ(v->StringField("i").status().message(),
            "field 'i' must be a string");
  EXPECT_EQ(v->IntField("f").status().message(),
            "field 'f' must be a 64-bit integer");
  EXPECT_EQ(v->BoolField("s").status().message(),
            "field 's' must be a boolean");
  EXPECT_FALSE(v->ObjectField("a").ok());
  EXPECT_FALSE(v->ArrayField("o").ok());
  EXPECT_FALSE(Value::Int(1).StringField("s").ok());
}

}  // namespace
}  // namespace nitro_tss::json
