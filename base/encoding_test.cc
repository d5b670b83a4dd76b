#include "base/encoding.h"

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;

TEST(HexTest, RoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_THAT(HexDecode("00FF10"), IsOkAndHolds(std::string("\x00\xff\x10", 3)));
  EXPECT_THAT(HexDecode("0"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HexDecode("zz"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_THAT(Base64Decode("Zm9vYg=="), IsOkAndHolds(std::string("foob")));
  EXPECT_THAT(Base64Decode("Zm9vYmE="), IsOkAndHolds(std::string("fooba")));
}

TEST(Base64Test, StrictRejectsWhatGoStdEncodingRejects) {
  EXPECT_THAT(Base64Decode("Zg"), StatusIs(absl::StatusCode::kInvalidArgument));     // no padding
  EXPECT_THAT(Base64Decode("Zh=="), StatusIs(absl::StatusCode::kInvalidArgument));   // bits set
  EXPECT_THAT(Base64Decode("Zm9v\n"), StatusIs(absl::StatusCode::kInvalidArgument)); // newline
  EXPECT_THAT(Base64Decode("-_8="), StatusIs(absl::StatusCode::kInvalidArgument));   // URL-safe
  EXPECT_THAT(Base64Decode("Z==="), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Base64Test, LenientAcceptsUrlSafeAndMissingPadding) {
  std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_THAT(Base64DecodeLenient("-_-_"), IsOkAndHolds(bytes));
  EXPECT_THAT(Base64DecodeLenient("+/+/"), IsOkAndHolds(bytes));
  EXPECT_THAT(Base64DecodeLenient("Zg"), IsOkAndHolds(std::string("f")));
  EXPECT_THAT(Base64DecodeLenient("Zg=="), IsOkAndHolds(std::string("f")));
  EXPECT_THAT(Base64DecodeLenient("Z"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark
