#include "common/status_payload.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace nitro_tss {
namespace {

enum class Color { kNone = 0, kRed = 1, kGreen = 2, kBlue = 3 };
enum class Small : uint8_t { kA = 1, kB = 2, kC = 255 };
enum class Signed : int { kLow = -5, kZero = 0, kHigh = 7 };

inline constexpr EnumStatusPayload<Color> kColor("type.nitro-tss/test.Color",
                                                 Color::kRed, Color::kBlue);
inline constexpr EnumStatusPayload<Small> kSmall("type.nitro-tss/test.Small",
                                                 Small::kA, Small::kC);
inline constexpr EnumStatusPayload<Signed> kSigned("type.nitro-tss/test.Signed",
                                                   Signed::kLow, Signed::kHigh);
inline constexpr TokenStatusPayload kToken("type.nitro-tss/test.Token", 16);

TEST(EnumStatusPayload, RoundTripsAndKeepsCodeMessageAndOtherPayloads) {
  absl::Status s = absl::PermissionDeniedError("denied");
  s.SetPayload("other", absl::Cord("x"));
  s = kColor.Attach(s, Color::kGreen);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "denied");
  EXPECT_EQ(kColor.Get(s), Color::kGreen);
  EXPECT_TRUE(kColor.Has(s));
  EXPECT_EQ(*s.GetPayload("other"), "x");
  // The stored form is the decimal value (stable across releases).
  EXPECT_EQ(*s.GetPayload(kColor.type_url()), "2");
  // Attaching again replaces.
  s = kColor.Attach(s, Color::kBlue);
  EXPECT_EQ(kColor.Get(s), Color::kBlue);

  absl::Status made = kSmall.Make(absl::StatusCode::kDataLoss, "m", Small::kC);
  EXPECT_EQ(made.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(kSmall.Get(made), Small::kC);
  EXPECT_EQ(*made.GetPayload(kSmall.type_url()), "255");
  EXPECT_EQ(
      kSigned.Get(kSigned.Make(absl::StatusCode::kInternal, "m", Signed::kLow)),
      Signed::kLow);
  EXPECT_EQ(kSigned.Get(
                kSigned.Make(absl::StatusCode::kInternal, "m", Signed::kZero)),
            Signed::kZero);
}

TEST(EnumStatusPayload, OkAbsentAndOtherUrlsReadAsAbsent) {
  EXPECT_EQ(kColor.Attach(absl::OkStatus(), Color::kRed), absl::OkStatus());
  EXPECT_FALSE(kColor.Get(absl::OkStatus()).has_value());
  EXPECT_FALSE(kColor.Get(absl::InternalError("no payload")).has_value());
  // Another payload's URL is not this one.
  absl::Status s = kSmall.Make(absl::StatusCode::kInternal, "m", Small::kA);
  EXPECT_FALSE(kColor.Get(s).has_value());
}

TEST(EnumStatusPayload, RejectsAnythingWritingDoesNotProduce) {
  for (const char* bad :
       {"", "0", "4", "-1", "+1", " 1", "1 ", "01", "1x", "x", "0x1", "1.0",
        "-0", "-", "99999999999999999999", "999999999999999999999", "\x01",
        "18446744073709551617"}) {
    absl::Status s = absl::InternalError("m");
    s.SetPayload(kColor.type_url(), absl::Cord(bad));
    EXPECT_FALSE(kColor.Get(s).has_value()) << "'" << bad << "'";
  }
  // Range bounds are inclusive; values outside the declared range are absent
  // even if the enum has them (Color::kNone is below min).
  absl::Status s = absl::InternalError("m");
  s.SetPayload(kColor.type_url(), absl::Cord("1"));
  EXPECT_EQ(kColor.Get(s), Color::kRed);
  s.SetPayload(kColor.type_url(), absl::Cord("3"));
  EXPECT_EQ(kColor.Get(s), Color::kBlue);
  EXPECT_FALSE(
      kColor.Get(kColor.Make(absl::StatusCode::kInternal, "m", Color::kNone))
          .has_value());
  // uint8_t enum: 256 would wrap to 0 if not range-checked first.
  s.SetPayload(kSmall.type_url(), absl::Cord("256"));
  EXPECT_FALSE(kSmall.Get(s).has_value());
  s.SetPayload(kSmall.type_url(), absl::Cord("257"));
  EXPECT_FALSE(kSmall.Get(s).has_value());
  s.SetPayload(kSigned.type_url(), absl::Cord("-6"));
  EXPECT_FALSE(kSigned.Get(s).has_value());
  s.SetPayload(kSigned.type_url(), absl::Cord("-9223372036854775808"));
  EXPECT_FALSE(kSigned.Get(s).has_value());
  s.SetPayload(kSigned.type_url(), absl::Cord("-9223372036854775809"));
  EXPECT_FALSE(kSigned.Get(s).has_value());
}

TEST(TokenStatusPayload, RoundTripsValidTokens) {
  absl::Status s =
      kToken.Make(absl::StatusCode::kPermissionDenied, "m", "AccessDenied_1.-");
  EXPECT_EQ(kToken.Get(s), "AccessDenied_1.-");
  EXPECT_EQ(s.message(), "m");
  s = kToken.Attach(s, "Other");
  EXPECT_EQ(kToken.Get(s), "Other");
  EXPECT_TRUE(kToken.Has(s));
  EXPECT_EQ(kToken.Attach(absl::OkStatus(), "X"), absl::OkStatus());
  EXPECT_FALSE(kToken.Get(absl::OkStatus()).has_value());
  EXPECT_FALSE(kToken.Get(absl::InternalError("m")).has_value());
}

TEST(TokenStatusPayload, RefusesToAttachOrReadMalformedTokens) {
  for (const std::string& bad :
       {std::string(), std::string(17, 'a'), std::string("a b"),
        std::string("a#b"), std::string("a:b"), std::string("a\nb"),
        std::string("a\0b", 3), std::string("\xc3\xa9")}) {
    EXPECT_FALSE(kToken.IsValid(bad)) << bad;
    absl::Status s =
        kToken.Make(absl::StatusCode::kInternal, "message kept", bad);
    EXPECT_FALSE(kToken.Get(s).has_value()) << bad;
    EXPECT_FALSE(s.GetPayload(kToken.type_url()).has_value()) << bad;
    EXPECT_EQ(s.message(), "message kept");
    // Written by hand under the URL: read back as absent.
    s.SetPayload(kToken.type_url(), absl::Cord(bad));
    EXPECT_FALSE(kToken.Get(s).has_value()) << bad;
  }
  EXPECT_TRUE(kToken.IsValid(std::string(16, 'a')));
}

TEST(CopyStatusPayloads, CopiesEveryPayloadOntoAnErrorOnly) {
  absl::Status from =
      kColor.Make(absl::StatusCode::kDataLoss, "low", Color::kRed);
  from = kToken.Attach(from, "Tok");
  absl::Status to = absl::UnavailableError("high: low");
  CopyStatusPayloads(from, &to);
  EXPECT_EQ(to.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(to.message(), "high: low");
  EXPECT_EQ(kColor.Get(to), Color::kRed);
  EXPECT_EQ(kToken.Get(to), "Tok");
  absl::Status ok = absl::OkStatus();
  CopyStatusPayloads(from, &ok);
  EXPECT_TRUE(ok.ok());
  absl::Status plain = absl::InternalError("m");
  CopyStatusPayloads(absl::OkStatus(), &plain);
  EXPECT_FALSE(kColor.Get(plain).has_value());
}

}  // namespace
}  // namespace nitro_tss
