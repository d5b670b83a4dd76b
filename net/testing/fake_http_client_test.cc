#include "net/testing/fake_http_client.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::net::testing {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

HttpRequest Req(Method m, std::string url) {
  HttpRequest r;
  r.method = m;
  r.url = std::move(url);
  return r;
}

TEST(FakeHttpClientTest, RoutesExactAndPrefixFirstMatchWins) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/v2/", FakeHttpClient::Reply(200, "root"));
  fake.On(Method::kGet, "https://r.example/v2/app/*", FakeHttpClient::Reply(404, "app"));
  fake.On(Method::kGet, "https://r.example/v2/app/special", FakeHttpClient::Reply(200, "never"));
  fake.On(Method::kHead, "https://r.example/v2/app/*",
          FakeHttpClient::Reply(200, "dropped", Headers{{"Docker-Content-Digest", "sha256:x"}}));

  ASSERT_OK_AND_ASSIGN(HttpResponse root, fake.Do(Req(Method::kGet, "https://r.example/v2/")));
  EXPECT_EQ(root.body, "root");
  EXPECT_EQ(root.url, "https://r.example/v2/");
  ASSERT_OK_AND_ASSIGN(HttpResponse special,
                       fake.Do(Req(Method::kGet, "https://r.example/v2/app/special")));
  EXPECT_EQ(special.status, 404);
  ASSERT_OK_AND_ASSIGN(HttpResponse head,
                       fake.Do(Req(Method::kHead, "https://r.example/v2/app/m")));
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.headers.Get("docker-content-digest"), "sha256:x");
  EXPECT_THAT(fake.Do(Req(Method::kPut, "https://r.example/v2/")),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("no route for PUT")));
  EXPECT_EQ(fake.Stats().requests, 4u);
}

TEST(FakeHttpClientTest, RecordsRequestsAndAppliesTheRealRules) {
  FakeHttpClient fake;
  fake.OnAny(FakeHttpClient::Reply(201, std::string(100, 'x')));
  std::string body = "blob";
  HttpRequest put = Req(Method::kPut, "https://r.example/v2/app/blobs/uploads/1?digest=sha256:a");
  put.body = body;
  put.authorization = SecretData("Bearer t");
  put.headers.Add("Content-Type", "application/octet-stream");
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, fake.Do(put));
  EXPECT_EQ(resp.status, 201);
  auto recorded = fake.requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].method, Method::kPut);
  EXPECT_EQ(recorded[0].body, "blob");
  EXPECT_EQ(recorded[0].authorization.InsecureView(), "Bearer t");
  EXPECT_EQ(recorded[0].headers.Get("content-type"), "application/octet-stream");

  HttpRequest small = Req(Method::kGet, "https://r.example/x");
  small.max_response_bytes = 10;
  EXPECT_THAT(fake.Do(small),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exceeds the limit")));
  HttpRequest bad = Req(Method::kGet, "https://r.example/x");
  bad.headers.Add("Authorization", "x");
  EXPECT_THAT(fake.Do(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  fake.ClearRequests();
  EXPECT_TRUE(fake.requests().empty());
}

TEST(FakeHttpClientTest, StreamsInChunksStoppablyAndBuffersErrors) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://k.example/watch", FakeHttpClient::Reply(200, "abcdefghijklmnop"));
  fake.On(Method::kGet, "https://k.example/gone", FakeHttpClient::Reply(410, "expired"));
  fake.set_stream_chunk_size(5);
  std::vector<std::string> chunks;
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, fake.Stream(Req(Method::kGet, "https://k.example/watch"),
                                                      [&](absl::string_view c) {
                                                        chunks.emplace_back(c);
                                                        return chunks.size() < 3;
                                                      }));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "");
  EXPECT_THAT(chunks, ElementsAre("abcde", "fghij", "klmno"));

  bool called = false;
  ASSERT_OK_AND_ASSIGN(HttpResponse gone, fake.Stream(Req(Method::kGet, "https://k.example/gone"),
                                                      [&](absl::string_view) {
                                                        called = true;
                                                        return true;
                                                      }));
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(gone.body, "expired");
  EXPECT_FALSE(called);
}

TEST(FakeHttpClientTest, HandlerErrorsPassThrough) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/down", [](const HttpRequest&) {
    return absl::StatusOr<HttpResponse>(absl::UnavailableError("connection refused"));
  });
  EXPECT_THAT(fake.Do(Req(Method::kGet, "https://r.example/down")),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace hallmark::net::testing
