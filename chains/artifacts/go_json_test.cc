#include "chains/artifacts/go_json.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hallmark::chains::artifacts {
namespace {

// Expected values are what Go 1.22+'s json.Marshal prints for the same input.
TEST(GoJsonTest, PlainAndQuotedCharacters) {
  EXPECT_EQ(GoJsonString("gcr.io/foo/bar\n"), R"("gcr.io/foo/bar\n")");
  EXPECT_EQ(GoJsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(GoJsonString("\t\r\b\f"), R"("\t\r\b\f")");
  EXPECT_EQ(GoJsonString(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(GoJsonString(std::string("nul\0x", 5)), R"("nul\u0000x")");
}

TEST(GoJsonTest, HtmlSafeEscapes) {
  EXPECT_EQ(GoJsonString("<a href=\"x\">&</a>"),
            R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(GoJsonString("line\xe2\x80\xa8sep\xe2\x80\xa9"), R"("line\u2028sep\u2029")");
}

TEST(GoJsonTest, Utf8IsCopiedAndInvalidBytesReplaced) {
  EXPECT_EQ(GoJsonString("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(GoJsonString("a\xff"
                         "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(GoJsonString("\xc3"), R"("\ufffd")");                      // truncated sequence
  EXPECT_EQ(GoJsonString("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(GoJsonString("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
}

TEST(GoJsonTest, ArraysAndSortedMaps) {
  EXPECT_EQ(GoJsonStringArray({}), "[]");
  EXPECT_EQ(GoJsonStringArray({"run", "--x=<y>"}), R"(["run","--x=\u003cy\u003e"])");
  // The object form of a byproduct in fixtures/chains/expected-summaries (keys sorted).
  std::map<std::string, std::string> object = {
      {"uri", "abc"},
      {"digest", "sha256:827521c857fdcd4374f4da5442fbae2edb01e7fbae285c3ec15673d4c1daecb7"}};
  EXPECT_EQ(
      GoJsonStringMap(object),
      R"({"digest":"sha256:827521c857fdcd4374f4da5442fbae2edb01e7fbae285c3ec15673d4c1daecb7","uri":"abc"})");
  EXPECT_EQ(GoJsonStringMap({}), "{}");
}

}  // namespace
}  // namespace hallmark::chains::artifacts
