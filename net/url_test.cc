#include "net/url.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::net {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(UrlTest, ParsesParts) {
  ASSERT_OK_AND_ASSIGN(Url u, Url::Parse("HTTPS://Registry.Example:5000/v2/app/tags/list?n=10"));
  EXPECT_EQ(u.scheme(), "https");
  EXPECT_EQ(u.host(), "registry.example");
  EXPECT_EQ(u.port(), 5000);
  EXPECT_EQ(u.path_and_query(), "/v2/app/tags/list?n=10");
  EXPECT_EQ(u.Origin(), "https://registry.example:5000");
  ASSERT_OK_AND_ASSIGN(Url d, Url::Parse("http://[::1]/x"));
  EXPECT_EQ(d.host(), "[::1]");
  EXPECT_EQ(d.port(), 80);
  EXPECT_EQ(d.path_and_query(), "/x");
}

TEST(UrlTest, RejectsNonHttp) {
  for (const char* bad :
       {"", "/v2/", "registry.example/v2/", "ftp://h/x", "file:///etc/passwd", "gopher://h/",
        "http://", "http:// spaced/", "http://h/a\r\nX: y", "http://h/a b", "http://h\n/"}) {
    EXPECT_THAT(Url::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(Url::Parse("http://h/" + std::string(70000, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 KiB")));
}

// Found by scripts/fuzz (testdata/url_corpus/port_zero): curl parses ":00" as port 0.
TEST(UrlTest, RejectsPortZero) {
  for (const char* text : {"https://user:00/v2/", "http://r.example:0/v2/", "https://r:000/"}) {
    EXPECT_THAT(Url::Parse(text), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")))
        << text;
  }
  auto base = Url::Parse("https://r.example/v2/");
  ASSERT_TRUE(base.ok());
  EXPECT_THAT(base->Resolve("http://other:0/x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UrlTest, ResolvesLocations) {
  ASSERT_OK_AND_ASSIGN(Url base, Url::Parse("https://r.example/v2/app/blobs/uploads/1?state=x"));
  ASSERT_OK_AND_ASSIGN(Url rel, base.Resolve("2?state=y"));
  EXPECT_EQ(rel.String(), "https://r.example/v2/app/blobs/uploads/2?state=y");
  ASSERT_OK_AND_ASSIGN(Url abs_path, base.Resolve("/v2/other"));
  EXPECT_EQ(abs_path.String(), "https://r.example/v2/other");
  ASSERT_OK_AND_ASSIGN(Url scheme_rel, base.Resolve("//cdn.example/blob"));
  EXPECT_EQ(scheme_rel.String(), "https://cdn.example/blob");
  ASSERT_OK_AND_ASSIGN(Url absolute, base.Resolve("http://other:8080/x"));
  EXPECT_EQ(absolute.Origin(), "http://other:8080");
  EXPECT_THAT(base.Resolve("file:///etc/passwd"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UrlTest, OriginsCompareSchemeHostAndPort) {
  ASSERT_OK_AND_ASSIGN(Url a, Url::Parse("https://r.example/a"));
  ASSERT_OK_AND_ASSIGN(Url b, Url::Parse("https://R.EXAMPLE:443/b?c"));
  ASSERT_OK_AND_ASSIGN(Url c, Url::Parse("http://r.example/a"));
  ASSERT_OK_AND_ASSIGN(Url d, Url::Parse("https://r.example:8443/a"));
  EXPECT_TRUE(SameOrigin(a, b));
  EXPECT_FALSE(SameOrigin(a, c));
  EXPECT_FALSE(SameOrigin(a, d));
}

TEST(UrlTest, RedactionDropsUserinfoAndQuery) {
  std::string r = RedactUrl("https://user:pa55@s3.example:9000/bucket/blob?X-Amz-Signature=abc#f");
  EXPECT_EQ(r, "https://s3.example:9000/bucket/blob?<redacted>");
  EXPECT_THAT(r, Not(HasSubstr("pa55")));
  EXPECT_EQ(RedactUrl("http://h/p"), "http://h/p");
  EXPECT_EQ(RedactUrl("not a url"), "<invalid URL>");
  ASSERT_OK_AND_ASSIGN(Url u, Url::Parse("https://user@h/"));
  EXPECT_TRUE(u.has_userinfo());
}

}  // namespace
}  // namespace hallmark::net
