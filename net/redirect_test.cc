#include "net/redirect.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/curl_http_client.h"
#include "net/testing/fake_http_client.h"
#include "net/testing/http_test_server.h"

namespace hallmark::net {
namespace {

using ::hallmark::net::testing::FakeHttpClient;
using ::hallmark::net::testing::HttpTestServer;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kToken[] = "Bearer registry-token";

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.timeout = absl::Seconds(10);
  r.authorization = SecretData(kToken);
  return r;
}

// Two real servers: "registry" (origin A) redirects to "storage" (origin B, another port) the
// way registries send blob GETs to object storage. Each records the Authorization it saw.
class RedirectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto storage = std::make_unique<httplib::Server>();
    storage->Get("/blob", [this](const httplib::Request& req, httplib::Response& res) {
      Record("storage " + req.target, req);
      res.set_content("blob-bytes", "application/octet-stream");
    });
    ASSERT_OK_AND_ASSIGN(storage_, HttpTestServer::Start(std::move(storage)));

    auto registry = std::make_unique<httplib::Server>();
    std::string storage_url = storage_->Url("/blob?X-Amz-Signature=presigned");
    registry->Get("/v2/app/blobs/sha256:1", [this, storage_url](const httplib::Request& req,
                                                                httplib::Response& res) {
      Record("registry " + req.target, req);
      res.status = 307;
      res.set_header("Location", "/v2/app/blobs/redirected");  // relative, same origin
    });
    registry->Get("/v2/app/blobs/redirected",
                  [this, storage_url](const httplib::Request& req, httplib::Response& res) {
                    Record("registry " + req.target, req);
                    res.status = 302;
                    res.set_header("Location", storage_url);  // absolute, other origin
                  });
    // /r/N redirects to /r/N-1; /r/0 answers.
    registry->Get(R"(/r/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      Record("registry " + req.target, req);
      int n = 0;
      ASSERT_TRUE(absl::SimpleAtoi(req.matches[1].str(), &n));
      if (n == 0) {
        res.set_content("end", "text/plain");
        return;
      }
      res.status = 302;
      res.set_header("Location", absl::StrCat("/r/", n - 1));
    });
    registry->Get("/cross", [this](const httplib::Request& req, httplib::Response& res) {
      Record("registry " + req.target, req);
      res.status = 302;
      res.set_header("Location", registry_->LocalhostUrl("/r/0"));
    });
    registry->Get("/loop/a", [](const httplib::Request&, httplib::Response& res) {
      res.status = 301;
      res.set_header("Location", "/loop/b");
    });
    registry->Get("/loop/b", [](const httplib::Request&, httplib::Response& res) {
      res.status = 308;
      res.set_header("Location", "/loop/a");
    });
    registry->Post("/upload", [this](const httplib::Request& req, httplib::Response& res) {
      Record("registry POST " + req.body, req);
      res.status = 303;
      res.set_header("Location", "/r/0");
    });
    registry->Put("/upload", [this](const httplib::Request& req, httplib::Response& res) {
      Record("registry PUT " + req.body, req);
      res.status = 307;
      res.set_header("Location", "/upload2");
    });
    registry->Put("/upload2", [this](const httplib::Request& req, httplib::Response& res) {
      Record("registry PUT2 " + req.body, req);
      res.status = 201;
    });
    ASSERT_OK_AND_ASSIGN(registry_, HttpTestServer::Start(std::move(registry)));
    ASSERT_OK_AND_ASSIGN(client_, CurlHttpClient::New());
  }
  void TearDown() override {
    client_.reset();
    registry_.reset();
    storage_.reset();
  }

  void Record(const std::string& what, const httplib::Request& req) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(what + " auth=" + req.get_header_value("Authorization"));
  }
  std::vector<std::string> Seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  absl::Mutex mu_;
  std::vector<std::string> seen_;
  std::unique_ptr<HttpTestServer> storage_;
  std::unique_ptr<HttpTestServer> registry_;
  std::unique_ptr<CurlHttpClient> client_;
};

TEST_F(RedirectTest, FollowsAndDropsAuthorizationAcrossOrigins) {
  ASSERT_OK_AND_ASSIGN(
      HttpResponse resp,
      DoFollowingRedirects(*client_, Get(registry_->Url("/v2/app/blobs/sha256:1"))));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "blob-bytes");
  EXPECT_EQ(resp.url, storage_->Url("/blob?X-Amz-Signature=presigned"));
  EXPECT_THAT(Seen(), ElementsAre(absl::StrCat("registry /v2/app/blobs/sha256:1 auth=", kToken),
                                  absl::StrCat("registry /v2/app/blobs/redirected auth=", kToken),
                                  "storage /blob?X-Amz-Signature=presigned auth="));
}

TEST_F(RedirectTest, SameHostOtherSpellingIsAnotherOrigin) {
  // 127.0.0.1 -> localhost, same port: the same machine, but not the same origin.
  ASSERT_OK_AND_ASSIGN(HttpResponse resp,
                       DoFollowingRedirects(*client_, Get(registry_->Url("/cross"))));
  EXPECT_EQ(resp.body, "end");
  EXPECT_THAT(Seen(),
              ElementsAre(absl::StrCat("registry /cross auth=", kToken), "registry /r/0 auth="));
}

TEST_F(RedirectTest, FiveRedirectsAreFollowedSixAreNot) {
  ASSERT_OK_AND_ASSIGN(HttpResponse resp,
                       DoFollowingRedirects(*client_, Get(registry_->Url("/r/5"))));
  EXPECT_EQ(resp.body, "end");
  EXPECT_EQ(Seen().size(), 6u);

  EXPECT_THAT(DoFollowingRedirects(*client_, Get(registry_->Url("/r/6"))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("more than 5 redirects")));
  EXPECT_EQ(Seen().size(), 6u + 6u);  // the 7th hop was never requested
}

TEST_F(RedirectTest, LoopIsDetected) {
  EXPECT_THAT(DoFollowingRedirects(*client_, Get(registry_->Url("/loop/a"))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("redirect loop")));
}

TEST_F(RedirectTest, SeeOtherTurnsPostIntoGetAnd307KeepsMethodAndBody) {
  HttpRequest post = Get(registry_->Url("/upload"));
  post.method = Method::kPost;
  post.body = "payload";
  ASSERT_OK_AND_ASSIGN(HttpResponse r1, DoFollowingRedirects(*client_, post));
  EXPECT_EQ(r1.body, "end");

  HttpRequest put = Get(registry_->Url("/upload"));
  put.method = Method::kPut;
  put.body = "manifest";
  ASSERT_OK_AND_ASSIGN(HttpResponse r2, DoFollowingRedirects(*client_, put));
  EXPECT_EQ(r2.status, 201);
  EXPECT_THAT(Seen(), ElementsAre(absl::StrCat("registry POST payload auth=", kToken),
                                  absl::StrCat("registry /r/0 auth=", kToken),
                                  absl::StrCat("registry PUT manifest auth=", kToken),
                                  absl::StrCat("registry PUT2 manifest auth=", kToken)));
}

// Policy checks that need no network: FakeHttpClient.
TEST(RedirectPolicyTest, RefusesHttpsToHttpDowngrade) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/v2/x",
          FakeHttpClient::Reply(302, "", Headers{{"Location", "http://cdn.example/x"}}));
  EXPECT_THAT(DoFollowingRedirects(fake, Get("https://r.example/v2/x")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("plain http")));
  EXPECT_EQ(fake.requests().size(), 1u);
}

TEST(RedirectPolicyTest, RefusesNonHttpLocation) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/v2/x",
          FakeHttpClient::Reply(302, "", Headers{{"Location", "file:///etc/passwd"}}));
  EXPECT_THAT(DoFollowingRedirects(fake, Get("https://r.example/v2/x")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("invalid or non-http")));
}

TEST(RedirectPolicyTest, CredentialsAreNotRestoredWhenComingBack) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/a",
          FakeHttpClient::Reply(302, "", Headers{{"Location", "https://evil.example/b"}}));
  fake.On(Method::kGet, "https://evil.example/b",
          FakeHttpClient::Reply(302, "", Headers{{"Location", "https://r.example/c"}}));
  fake.On(Method::kGet, "https://r.example/c", FakeHttpClient::Reply(200, "ok"));
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, DoFollowingRedirects(fake, Get("https://r.example/a")));
  EXPECT_EQ(resp.body, "ok");
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[0].authorization.empty());
  EXPECT_TRUE(requests[1].authorization.empty());
  EXPECT_TRUE(requests[2].authorization.empty());
}

TEST(RedirectPolicyTest, PortChangeIsAnotherOrigin) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/a",
          FakeHttpClient::Reply(307, "", Headers{{"Location", "https://r.example:8443/b"}}));
  fake.On(Method::kGet, "https://r.example:8443/b", FakeHttpClient::Reply(200));
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, DoFollowingRedirects(fake, Get("https://r.example/a")));
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(fake.requests()[1].authorization.empty());
}

TEST(RedirectPolicyTest, RedirectWithoutLocationIsReturned) {
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://r.example/a", FakeHttpClient::Reply(302, "no location"));
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, DoFollowingRedirects(fake, Get("https://r.example/a")));
  EXPECT_EQ(resp.status, 302);
}

TEST(RedirectPolicyTest, BudgetCoversTheWholeChain) {
  FakeClock clock;
  FakeHttpClient fake;
  std::vector<absl::Duration> timeouts;
  fake.On(Method::kGet, "https://r.example/*", [&](const HttpRequest& req) {
    timeouts.push_back(req.timeout);
    clock.Advance(absl::Seconds(4));  // each hop takes 4 s
    HttpResponse resp;
    resp.status = 302;
    resp.headers.Add("Location", req.url + "x");
    return absl::StatusOr<HttpResponse>(resp);
  });
  RedirectOptions options;
  options.clock = &clock;
  EXPECT_THAT(DoFollowingRedirects(fake, Get("https://r.example/a"), options),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("redirects")));
  EXPECT_THAT(timeouts, ElementsAre(absl::Seconds(10), absl::Seconds(6), absl::Seconds(2)));
}

}  // namespace
}  // namespace hallmark::net
