#include "crypto/internal/go_json.h"

#include "gtest/gtest.h"

namespace hallmark::crypto::internal {
namespace {

// Expected values are what Go's json.Marshal(string) prints (encoding/json, escapeHTML on).
TEST(GoJsonQuoteTest, MatchesGo) {
  EXPECT_EQ(GoJsonQuote(""), R"("")");
  EXPECT_EQ(GoJsonQuote("plain/ascii:1.0"), R"("plain/ascii:1.0")");
  EXPECT_EQ(GoJsonQuote("\"\\"), R"("\"\\")");
  EXPECT_EQ(GoJsonQuote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(GoJsonQuote(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(GoJsonQuote("<a href=\"x\">&</a>"),
            R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(GoJsonQuote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(GoJsonQuote("\xe2\x80\xa8\xe2\x80\xa9"), R"("\u2028\u2029")");
}

TEST(GoJsonQuoteTest, InvalidUtf8BecomesReplacementPerByte) {
  EXPECT_EQ(GoJsonQuote("\xff"), R"("\ufffd")");
  EXPECT_EQ(GoJsonQuote("a\xc3"), R"("a\ufffd")");                              // truncated
  EXPECT_EQ(GoJsonQuote("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong
  EXPECT_EQ(GoJsonQuote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
  EXPECT_EQ(GoJsonQuote("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
}

}  // namespace
}  // namespace hallmark::crypto::internal
