#include "net/http_client.h"

#include <functional>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::net {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

HttpRequest Valid() {
  HttpRequest r;
  r.url = "https://r.example/v2/";
  return r;
}

TEST(ValidateRequestTest, AcceptsOrdinaryRequests) {
  EXPECT_THAT(ValidateRequest(Valid()), IsOk());
  HttpRequest put = Valid();
  put.method = Method::kPut;
  put.body = "x";
  put.headers.Add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
  put.authorization = SecretData("Basic dXNlcjpwYXNz");
  EXPECT_THAT(ValidateRequest(put), IsOk());
}

TEST(ValidateRequestTest, RejectsWithReason) {
  struct Case {
    std::function<void(HttpRequest&)> mutate;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{
           {[](HttpRequest& r) { r.url = "r.example/v2/"; }, "absolute http(s)"},
           {[](HttpRequest& r) { r.timeout = absl::ZeroDuration(); }, "timeout"},
           {[](HttpRequest& r) { r.idle_timeout = absl::ZeroDuration(); }, "idle_timeout"},
           {[](HttpRequest& r) { r.max_response_bytes = 0; }, "max_response_bytes"},
           {[](HttpRequest& r) {
              r.method = Method::kHead;
              r.body = "x";
            },
            "body"},
           {[](HttpRequest& r) { r.headers.Add("Bad Name", "v"); }, "not a token"},
           {[](HttpRequest& r) { r.headers.Add("", "v"); }, "empty header name"},
           {[](HttpRequest& r) { r.headers.Add("X", std::string("a\0b", 3)); }, "NUL"},
           {[](HttpRequest& r) { r.headers.Add("host", "evil"); }, "set by the client"},
           {[](HttpRequest& r) { r.headers.Add("Content-Length", "5"); }, "set by the client"},
           {[](HttpRequest& r) { r.headers.Add("authorization", "Bearer x"); }, "authorization"},
           {[](HttpRequest& r) { r.authorization = SecretData("Bearer tok\r\nX: y"); },
            "authorization contains"}}) {
    HttpRequest r = Valid();
    c.mutate(r);
    EXPECT_THAT(ValidateRequest(r), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.why;
  }
}

TEST(ValidateRequestTest, ErrorNeverQuotesTheToken) {
  HttpRequest r = Valid();
  r.authorization = SecretData("Bearer very-secret\n");
  r.url = "https://u:p4ss@r.example/v2/?token=qsecret";
  absl::Status s = ValidateRequest(r);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("very-secret")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("p4ss")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("qsecret")));
}

TEST(HttpStatusToStatusTest, MapsCodesByRetryDecision) {
  HttpResponse r;
  r.url = "https://r.example/v2/app/manifests/v1?sig=s";
  struct Case {
    int status;
    absl::StatusCode code;
  };
  for (const Case& c : std::vector<Case>{{200, absl::StatusCode::kOk},
                                         {204, absl::StatusCode::kOk},
                                         {302, absl::StatusCode::kFailedPrecondition},
                                         {400, absl::StatusCode::kInvalidArgument},
                                         {401, absl::StatusCode::kUnauthenticated},
                                         {403, absl::StatusCode::kPermissionDenied},
                                         {404, absl::StatusCode::kNotFound},
                                         {408, absl::StatusCode::kUnavailable},
                                         {409, absl::StatusCode::kAborted},
                                         {410, absl::StatusCode::kFailedPrecondition},
                                         {422, absl::StatusCode::kInvalidArgument},
                                         {429, absl::StatusCode::kUnavailable},
                                         {500, absl::StatusCode::kUnavailable},
                                         {501, absl::StatusCode::kUnimplemented},
                                         {503, absl::StatusCode::kUnavailable}}) {
    r.status = c.status;
    EXPECT_EQ(HttpStatusToStatus(r, "fetching manifest").code(), c.code) << c.status;
  }
}

TEST(HttpStatusToStatusTest, MessageHasContextRedactedUrlAndShortEscapedBody) {
  HttpResponse r;
  r.status = 404;
  r.url = "https://r.example/v2/app/manifests/v1?sig=s";
  r.body = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}\n" + std::string(1000, 'x');
  absl::Status s = HttpStatusToStatus(r, "fetching manifest");
  std::string m(s.message());
  EXPECT_THAT(
      m, HasSubstr(
             "fetching manifest: HTTP 404 from https://r.example/v2/app/manifests/v1?<redacted>"));
  EXPECT_THAT(m, HasSubstr("MANIFEST_UNKNOWN"));
  EXPECT_THAT(m, HasSubstr("\\n"));
  EXPECT_THAT(m, Not(HasSubstr("sig=s")));
  EXPECT_LT(m.size(), 500u);
}

TEST(MethodNameTest, Names) {
  EXPECT_EQ(MethodName(Method::kGet), "GET");
  EXPECT_EQ(MethodName(Method::kHead), "HEAD");
  EXPECT_EQ(MethodName(Method::kPut), "PUT");
  EXPECT_EQ(MethodName(Method::kPost), "POST");
  EXPECT_EQ(MethodName(Method::kPatch), "PATCH");
  EXPECT_EQ(MethodName(Method::kDelete), "DELETE");
}

}  // namespace
}  // namespace hallmark::net
