#include "common/status_macros.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nitro_tss {
namespace {

int g_calls = 0;

absl::Status Counted(absl::Status s) {
  ++g_calls;
  return s;
}

absl::StatusOr<int> CountedValue(absl::StatusOr<int> v) {
  ++g_calls;
  return v;
}

absl::Status TwoChecks(absl::Status first, absl::Status second, int* reached) {
  RETURN_IF_ERROR(Counted(first));
  *reached = 1;
  RETURN_IF_ERROR(Counted(second));  // a second temporary in the same scope
  *reached = 2;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnIfErrorPassesOkThrough) {
  g_calls = 0;
  int reached = 0;
  EXPECT_TRUE(TwoChecks(absl::OkStatus(), absl::OkStatus(), &reached).ok());
  EXPECT_EQ(reached, 2);
  EXPECT_EQ(g_calls, 2);  // each expression evaluated exactly once
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheFirstError) {
  g_calls = 0;
  int reached = 0;
  absl::Status s =
      TwoChecks(absl::OkStatus(), absl::DataLossError("second"), &reached);
  EXPECT_EQ(s, absl::DataLossError("second"));
  EXPECT_EQ(reached, 1);
  reached = 0;
  s = TwoChecks(absl::NotFoundError("first"), absl::OkStatus(), &reached);
  EXPECT_EQ(s, absl::NotFoundError("first"));
  EXPECT_EQ(reached, 0);
}

// RETURN_IF_ERROR on a StatusOr (value unused) in a StatusOr-returning
// function.
absl::StatusOr<std::string> CheckThenName(absl::StatusOr<int> v) {
  RETURN_IF_ERROR(CountedValue(v));
  return std::string("ok");
}

TEST(StatusMacrosTest, ReturnIfErrorAcceptsStatusOrAndReturnsIntoStatusOr) {
  EXPECT_EQ(*CheckThenName(7), "ok");
  EXPECT_EQ(CheckThenName(absl::InvalidArgumentError("bad")).status(),
            absl::InvalidArgumentError("bad"));
}

// The macro is one statement: an unbraced if/else around it parses as
// intended.
absl::Status Dangling(bool check, absl::Status s, bool* else_taken) {
  if (check)
    RETURN_IF_ERROR(s);
  else
    *else_taken = true;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnIfErrorIsASingleStatement) {
  bool else_taken = false;
  EXPECT_EQ(Dangling(true, absl::AbortedError("x"), &else_taken),
            absl::AbortedError("x"));
  EXPECT_FALSE(else_taken);
  EXPECT_TRUE(Dangling(false, absl::AbortedError("x"), &else_taken).ok());
  EXPECT_TRUE(else_taken);
}

absl::StatusOr<int> Sum(absl::StatusOr<int> a, absl::StatusOr<int> b) {
  ASSIGN_OR_RETURN(int x, CountedValue(a));
  ASSIGN_OR_RETURN(const int y, CountedValue(b));  // same scope, no clash
  return x + y;
}

TEST(StatusMacrosTest, AssignOrReturnDeclares) {
  g_calls = 0;
  EXPECT_EQ(*Sum(2, 3), 5);
  EXPECT_EQ(g_calls, 2);
  g_calls = 0;
  EXPECT_EQ(Sum(absl::UnavailableError("a"), 3).status(),
            absl::UnavailableError("a"));
  EXPECT_EQ(g_calls, 1);  // the second expression is never evaluated
  EXPECT_EQ(Sum(2, absl::UnavailableError("b")).status(),
            absl::UnavailableError("b"));
}

absl::Status AssignExisting(absl::StatusOr<int> v, int* out) {
  int local = -1;
  ASSIGN_OR_RETURN(local, v);
  ASSIGN_OR_RETURN(*out, absl::StatusOr<int>(local * 2));
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnAssignsExistingLvalues) {
  int out = 0;
  EXPECT_TRUE(AssignExisting(21, &out).ok());
  EXPECT_EQ(out, 42);
  out = 0;
  EXPECT_EQ(AssignExisting(absl::InternalError("e"), &out),
            absl::InternalError("e"));
  EXPECT_EQ(out, 0);
}

absl::StatusOr<std::unique_ptr<int>> MakeBox(int v) {
  return std::make_unique<int>(v);
}

absl::StatusOr<std::pair<int, int>> MakePair() { return std::pair(1, 2); }

absl::StatusOr<int> MoveOnlyAndCommaTypes() {
  ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(40));  // moved, not copied
  ASSIGN_OR_RETURN((std::pair<int, int> p), MakePair());    // comma in the type
  return *box + p.first + p.second - 1;
}

TEST(StatusMacrosTest, AssignOrReturnMovesAndAcceptsParenthesizedLhs) {
  EXPECT_EQ(*MoveOnlyAndCommaTypes(), 42);
}

}  // namespace
}  // namespace nitro_tss
