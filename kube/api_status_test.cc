#include "kube/api_status.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

net::HttpResponse StatusResponse(int code, const std::string& reason, const std::string& message) {
  net::HttpResponse r;
  r.status = code;
  r.body = nlohmann::json({{"kind", "Status"},
                           {"apiVersion", "v1"},
                           {"metadata", nlohmann::json::object()},
                           {"status", "Failure"},
                           {"message", message},
                           {"reason", reason},
                           {"code", code}})
               .dump();
  return r;
}

TEST(ApiStatusTest, MapsEveryDocumentedCode) {
  struct Case {
    int code;
    const char* reason;
    absl::StatusCode want;
  } cases[] = {
      {400, "BadRequest", absl::StatusCode::kInvalidArgument},
      {401, "Unauthorized", absl::StatusCode::kUnauthenticated},
      {403, "Forbidden", absl::StatusCode::kPermissionDenied},
      {404, "NotFound", absl::StatusCode::kNotFound},
      {409, "Conflict", absl::StatusCode::kAborted},
      {409, "AlreadyExists", absl::StatusCode::kAlreadyExists},
      {410, "Expired", absl::StatusCode::kOutOfRange},
      {410, "Gone", absl::StatusCode::kOutOfRange},
      {415, "UnsupportedMediaType", absl::StatusCode::kInvalidArgument},
      {422, "Invalid", absl::StatusCode::kInvalidArgument},
      {429, "TooManyRequests", absl::StatusCode::kUnavailable},
      {500, "InternalError", absl::StatusCode::kUnavailable},
      {503, "ServiceUnavailable", absl::StatusCode::kUnavailable},
      {504, "Timeout", absl::StatusCode::kUnavailable},
      {501, "", absl::StatusCode::kUnimplemented},
      {405, "MethodNotAllowed", absl::StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    absl::Status s = ErrorFromResponse(StatusResponse(c.code, c.reason, "m"), "GET x", absl::Now());
    EXPECT_EQ(s.code(), c.want) << c.code << " " << c.reason;
    EXPECT_EQ(CodeForHttpStatus(c.code, c.reason), c.want);
  }
}

TEST(ApiStatusTest, MessageCarriesTheServersWordsAndTheCode) {
  absl::Status s =
      ErrorFromResponse(StatusResponse(404, "NotFound", "pipelineruns.tekton.dev \"x\" not found"),
                        "GET pipelineruns.tekton.dev ci/x", absl::Now());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          AllOf(HasSubstr("GET pipelineruns.tekton.dev ci/x: "),
                                HasSubstr("pipelineruns.tekton.dev \"x\" not found"),
                                HasSubstr("(HTTP 404 NotFound)"))));
  std::optional<ApiErrorInfo> info = GetApiErrorInfo(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->http_code, 404);
  EXPECT_EQ(info->reason, "NotFound");
  EXPECT_FALSE(info->retry_after.has_value());
  EXPECT_FALSE(IsResourceExpired(s));
}

TEST(ApiStatusTest, RetryAfterFromHeaderOrDetails) {
  net::HttpResponse r = StatusResponse(429, "TooManyRequests", "slow down");
  r.headers.Add("retry-after", "3");
  std::optional<ApiErrorInfo> info = GetApiErrorInfo(ErrorFromResponse(r, "LIST x", absl::Now()));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->retry_after, absl::Seconds(3));

  nlohmann::json body = nlohmann::json::parse(StatusResponse(500, "InternalError", "x").body);
  body["details"] = {{"retryAfterSeconds", 7}};
  net::HttpResponse r2;
  r2.status = 500;
  r2.body = body.dump();
  info = GetApiErrorInfo(ErrorFromResponse(r2, "LIST x", absl::Now()));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->retry_after, absl::Seconds(7));
}

TEST(ApiStatusTest, NonStatusBodyIsQuotedEscapedAndBounded) {
  net::HttpResponse r;
  r.status = 502;
  r.body = std::string("<html>bad gateway\n</html>") + std::string(1000, 'x');
  absl::Status s = ErrorFromResponse(r, "GET y", absl::Now());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable,
                          AllOf(HasSubstr("<html>bad gateway\\n</html>"), HasSubstr("HTTP 502"))));
  EXPECT_LT(s.message().size(), 400u);
}

TEST(ApiStatusTest, HugeServerMessageIsCut) {
  absl::Status s = ErrorFromResponse(StatusResponse(400, "BadRequest", std::string(100000, 'm')),
                                     "PATCH z", absl::Now());
  EXPECT_LT(s.message().size(), 5000u);
}

TEST(ApiStatusTest, WatchErrorEventStatus) {
  nlohmann::json status = {{"kind", "Status"},
                           {"apiVersion", "v1"},
                           {"status", "Failure"},
                           {"reason", "Expired"},
                           {"message", "too old resource version: 2 (103)"},
                           {"code", 410}};
  absl::Status s = ErrorFromStatusObject(status, "WATCH taskruns.tekton.dev");
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("too old resource version: 2 (103)")));
  EXPECT_TRUE(IsResourceExpired(s));

  status["code"] = 500;
  status["reason"] = "InternalError";
  EXPECT_THAT(ErrorFromStatusObject(status, "WATCH"), StatusIs(absl::StatusCode::kUnavailable));

  EXPECT_THAT(ErrorFromStatusObject(nlohmann::json{{"message", "what"}}, "WATCH"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("what")));
  EXPECT_THAT(ErrorFromStatusObject(nlohmann::json("not an object"), "WATCH"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(ApiStatusTest, OtherStatusesHaveNoInfo) {
  EXPECT_FALSE(GetApiErrorInfo(absl::NotFoundError("x")).has_value());
  EXPECT_FALSE(IsResourceExpired(absl::OutOfRangeError("x")));
}

}  // namespace
}  // namespace hallmark::kube
