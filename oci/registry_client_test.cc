// RegistryClient against fakes and hostile servers: what a real registry will not do for us
// (token expiry, realm checks, pagination, the referrers API) and what a malicious one might
// (oversized or mismatching content, redirect loops, declared 200 MiB blobs, stalls).
#include "oci/registry_client.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/curl_http_client.h"
#include "net/testing/fake_http_client.h"
#include "net/testing/http_test_server.h"
#include "oci/content_digest.h"
#include "oci/media_types.h"

namespace hallmark::oci {
namespace {

using ::hallmark::net::Headers;
using ::hallmark::net::HttpRequest;
using ::hallmark::net::HttpResponse;
using ::hallmark::net::Method;
using ::hallmark::net::testing::FakeHttpClient;
using ::hallmark::net::testing::HttpTestServer;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char kRegistry[] = "registry.example";
const char kBase[] = "https://registry.example/v2/";

RegistryClientOptions Options(Clock* clock) {
  RegistryClientOptions o;
  o.clock = clock;
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = absl::Milliseconds(1);
  o.retry.max_backoff = absl::Milliseconds(5);
  o.request_timeout = absl::Seconds(5);
  o.idle_timeout = absl::Seconds(2);
  return o;
}

Keychain Creds(const std::string& registry = kRegistry) {
  Keychain k;
  Credentials c;
  c.username = "user";
  c.password = SecretData("pa55");
  k.Add(registry, std::move(c));
  return k;
}

Reference Ref(const std::string& text) { return *Reference::Parse(text); }

FakeHttpClient::Handler Manifest(const std::string& body,
                                 const std::string& type = std::string(kOciManifestMediaType)) {
  return FakeHttpClient::Reply(200, body, Headers{{"Content-Type", type}});
}

TEST(RegistryClientTest, RepositoryParse) {
  ASSERT_OK_AND_ASSIGN(Repository r, Repository::Parse("registry.example:5000/a/b"));
  EXPECT_EQ(r.registry, "registry.example:5000");
  EXPECT_EQ(r.path, "a/b");
  ASSERT_OK_AND_ASSIGN(Repository hub, Repository::Parse("busybox"));
  EXPECT_EQ(hub.String(), "index.docker.io/library/busybox");
  EXPECT_THAT(Repository::Parse("r.example/a:tag"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(TokenScope(r, Access::kPull), "repository:a/b:pull");
  EXPECT_EQ(TokenScope(r, Access::kPush), "repository:a/b:pull,push");
}

TEST(RegistryClientTest, HttpsForRemoteHttpForLoopbackAndDockerHubHost) {
  FakeClock clock;
  FakeHttpClient fake;
  fake.OnAny(FakeHttpClient::Reply(404));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  (void)client->GetManifest(Ref("registry.example/a:v1"));
  (void)client->GetManifest(Ref("localhost:5000/a:v1"));
  (void)client->GetManifest(Ref("busybox:1"));
  std::vector<std::string> urls;
  for (const auto& r : fake.requests()) urls.push_back(r.url);
  EXPECT_THAT(urls, ElementsAre("https://registry.example/v2/a/manifests/v1",
                                "http://localhost:5000/v2/a/manifests/v1",
                                "https://registry-1.docker.io/v2/library/busybox/manifests/1"));
  for (const auto& r : fake.requests()) {
    EXPECT_THAT(r.headers.Get("Accept").value_or(""), HasSubstr(kOciManifestMediaType));
  }
}

TEST(RegistryClientTest, InsecureRegistriesProbeHttpsThenFallBackToHttp) {
  FakeClock clock;
  // registry.example answers HTTPS (unverified); plain.example only plain HTTP.
  FakeHttpClient secure;
  secure.OnAny(FakeHttpClient::Reply(404));
  FakeHttpClient insecure_tls;
  insecure_tls.On(Method::kGet, "https://registry.example/v2/", FakeHttpClient::Reply(401));
  insecure_tls.On(Method::kGet, "https://registry.example/v2/a/manifests/v1", Manifest("{}"));
  insecure_tls.On(Method::kGet, "https://plain.example/v2/", [](const HttpRequest&) {
    return absl::StatusOr<HttpResponse>(absl::UnavailableError("TLS handshake failed"));
  });
  RegistryClientOptions o = Options(&clock);
  o.insecure_registries = {"registry.example", "plain.example"};
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(secure, o, &insecure_tls));
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());  // probe remembered
  (void)client->GetManifest(Ref("plain.example/a:v1"));
  std::vector<std::string> tls_urls;
  for (const auto& r : insecure_tls.requests()) tls_urls.push_back(r.url);
  EXPECT_THAT(
      tls_urls,
      ElementsAre("https://registry.example/v2/", "https://registry.example/v2/a/manifests/v1",
                  "https://registry.example/v2/a/manifests/v1", "https://plain.example/v2/"));
  ASSERT_EQ(secure.requests().size(), 1u);
  EXPECT_EQ(secure.requests()[0].url, "http://plain.example/v2/a/manifests/v1");

  // Without an insecure TLS client, insecure registries are plain HTTP at once.
  FakeHttpClient only;
  only.OnAny(FakeHttpClient::Reply(404));
  o.allow_insecure_registries = true;
  ASSERT_OK_AND_ASSIGN(auto plain, RegistryClient::New(only, o));
  (void)plain->GetManifest(Ref("other.example/a:v1"));
  EXPECT_EQ(only.requests()[0].url, "http://other.example/v2/a/manifests/v1");
}

TEST(RegistryClientTest, PingRemembersTheChallenge) {
  FakeClock clock;
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://registry.example/v2/",
          FakeHttpClient::Reply(401, "", Headers{{"WWW-Authenticate", "Basic realm=\"r\""}}));
  fake.On(Method::kGet, "https://registry.example/v2/a/manifests/v1", [](const HttpRequest& r) {
    if (r.authorization.empty()) return FakeHttpClient::Reply(401)(r);
    return Manifest("{}")(r);
  });
  fake.On(Method::kGet, "https://down.example/v2/", FakeHttpClient::Reply(500, "oops"));
  RegistryClientOptions o = Options(&clock);
  o.keychain = Creds();
  o.retry.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, o));
  ASSERT_OK(client->Ping(kRegistry));
  // Basic credentials now go up front: no 401 round trip.
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());
  EXPECT_EQ(fake.requests().size(), 2u);
  EXPECT_EQ(client->Stats().challenges, 0u);
  EXPECT_THAT(client->Ping("down.example"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(RegistryClientTest, BearerTokenCachedUntilExpiry) {
  FakeClock clock;
  FakeHttpClient fake;
  std::atomic<int> tokens{0};
  fake.On(Method::kGet, "https://auth.example/token*", [&](const HttpRequest& r) {
    EXPECT_EQ(r.url,
              "https://auth.example/token?service=registry.example&scope=repository%3Aa%3Apull");
    EXPECT_TRUE(absl::StartsWith(r.authorization.InsecureView(), "Basic "));
    int n = ++tokens;
    return FakeHttpClient::Reply(200,
                                 absl::StrCat(R"({"token":"tok)", n, R"(","expires_in":120})"))(r);
  });
  fake.On(Method::kGet, absl::StrCat(kBase, "a/manifests/v1"), [&](const HttpRequest& r) {
    std::string auth(r.authorization.InsecureView());
    if (auth != absl::StrCat("Bearer tok", tokens.load()) || auth.empty()) {
      return FakeHttpClient::Reply(
          401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
          Headers{
              {"WWW-Authenticate",
               R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a:pull")"}})(
          r);
    }
    return Manifest("{}")(r);
  });
  RegistryClientOptions o = Options(&clock);
  o.keychain = Creds();
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, o));
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());
  EXPECT_EQ(tokens.load(), 1);
  EXPECT_EQ(client->Stats().requests, 3u);  // 401, retry, cached
  clock.Advance(absl::Seconds(121));
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());
  EXPECT_EQ(tokens.load(), 2);  // expired: fetched again up front after a fresh 401
}

TEST(RegistryClientTest, TokenRealmMustBeHttpsAndNotLinkLocal) {
  FakeClock clock;
  for (const std::string& realm :
       {std::string("http://auth.example/token"), std::string("https://169.254.169.254/token"),
        std::string("ftp://auth.example/")}) {
    FakeHttpClient fake;
    fake.On(Method::kGet, "https://registry.example/v2/a/manifests/v1",
            FakeHttpClient::Reply(401, "",
                                  Headers{{"WWW-Authenticate", "Bearer realm=\"" + realm + "\""}}));
    RegistryClientOptions o = Options(&clock);
    o.keychain = Creds();
    ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, o));
    EXPECT_THAT(client->GetManifest(Ref("registry.example/a:v1")),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("realm")))
        << realm;
    EXPECT_EQ(fake.requests().size(), 1u) << "no token request may be sent to " << realm;
  }
}

TEST(RegistryClientTest, MalformedChallengeIsAClearError) {
  FakeClock clock;
  FakeHttpClient fake;
  fake.OnAny(FakeHttpClient::Reply(401, "", Headers{{"WWW-Authenticate", "Bearer realm=\"x"}}));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  EXPECT_THAT(client->GetManifest(Ref("registry.example/a:v1")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("malformed WWW-Authenticate (unterminated quoted-string")));
}

TEST(RegistryClientTest, IdentityTokenUsesOAuthPostAndRegistryTokenIsSentAsIs) {
  FakeClock clock;
  FakeHttpClient fake;
  fake.On(Method::kPost, "https://auth.example/oauth", [](const HttpRequest& r) {
    EXPECT_EQ(r.headers.Get("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_THAT(std::string(r.body), HasSubstr("grant_type=refresh_token"));
    EXPECT_THAT(std::string(r.body), HasSubstr("refresh_token=refresh%2Fme"));
    EXPECT_TRUE(r.authorization.empty());
    return FakeHttpClient::Reply(200, R"({"access_token":"oauth-token"})")(r);
  });
  fake.On(Method::kGet, "https://registry.example/v2/a/manifests/v1", [](const HttpRequest& r) {
    if (r.authorization.InsecureView() == "Bearer oauth-token") return Manifest("{}")(r);
    return FakeHttpClient::Reply(
        401, "", Headers{{"WWW-Authenticate", R"(Bearer realm="https://auth.example/oauth")"}})(r);
  });
  RegistryClientOptions o = Options(&clock);
  Credentials c;
  c.identity_token = SecretData("refresh/me");
  o.keychain.Add(kRegistry, c);
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, o));
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());

  FakeHttpClient fake2;
  fake2.On(Method::kGet, "https://registry.example/v2/a/manifests/v1", [](const HttpRequest& r) {
    if (r.authorization.InsecureView() == "Bearer given") return Manifest("{}")(r);
    return FakeHttpClient::Reply(
        401, "", Headers{{"WWW-Authenticate", R"(Bearer realm="https://auth.example/t")"}})(r);
  });
  RegistryClientOptions o2 = Options(&clock);
  Credentials given;
  given.registry_token = SecretData("given");
  o2.keychain.Add(kRegistry, given);
  ASSERT_OK_AND_ASSIGN(auto client2, RegistryClient::New(fake2, o2));
  ASSERT_OK(client2->GetManifest(Ref("registry.example/a:v1")).status());
  EXPECT_EQ(client2->Stats().token_requests, 0u);  // the given token needs no token server
  EXPECT_EQ(fake2.requests().size(), 2u);
}

TEST(RegistryClientTest, TagPaginationFollowsLinkOnSameOriginOnly) {
  FakeClock clock;
  FakeHttpClient fake;
  fake.On(Method::kGet, "https://registry.example/v2/a/tags/list",
          FakeHttpClient::Reply(200, R"({"name":"a","tags":["t1","t2"]})",
                                Headers{{"Link", R"(</v2/a/tags/list?last=t2&n=2>; rel="next")"}}));
  fake.On(Method::kGet, "https://registry.example/v2/a/tags/list?last=t2&n=2",
          FakeHttpClient::Reply(200, R"({"name":"a","tags":["t3"]})"));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  Repository repo{kRegistry, "a"};
  EXPECT_THAT(client->ListTags(repo),
              hallmark::testing::IsOkAndHolds(ElementsAre("t1", "t2", "t3")));

  FakeHttpClient evil;
  evil.On(Method::kGet, "https://registry.example/v2/a/tags/list",
          FakeHttpClient::Reply(200, R"({"tags":["t1"]})",
                                Headers{{"Link", R"(<https://evil.example/x>; rel="next")"}}));
  ASSERT_OK_AND_ASSIGN(auto evil_client, RegistryClient::New(evil, Options(&clock)));
  EXPECT_THAT(evil_client->ListTags(repo),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another origin")));

  FakeHttpClient loop;
  loop.On(Method::kGet, "https://registry.example/v2/a/tags/list",
          FakeHttpClient::Reply(200, R"({"tags":[]})",
                                Headers{{"Link", R"(</v2/a/tags/list>; rel="next")"}}));
  ASSERT_OK_AND_ASSIGN(auto loop_client, RegistryClient::New(loop, Options(&clock)));
  EXPECT_THAT(loop_client->ListTags(repo),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("do not end")));
}

TEST(RegistryClientTest, ReferrersApiWhenPresent) {
  FakeClock clock;
  FakeHttpClient fake;
  const Digest subject = Sha256Of("image");
  const std::string index = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)",
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":")",
      Sha256Of("a").String(), R"(","artifactType":"x/sig"},)",
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":")",
      Sha256Of("b").String(), R"(","artifactType":"x/sbom"}]})");
  fake.On(Method::kGet, absl::StrCat(kBase, "a/referrers/", subject.String(), "*"),
          FakeHttpClient::Reply(200, index,
                                Headers{{"Content-Type", std::string(kOciIndexMediaType)}}));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  ASSERT_OK_AND_ASSIGN(ImageIndex sigs, client->Referrers({kRegistry, "a"}, subject, "x/sig"));
  ASSERT_EQ(sigs.manifests.size(), 1u);  // filtered here: no OCI-Filters-Applied header
  EXPECT_EQ(sigs.manifests[0].digest, Sha256Of("a"));
  EXPECT_THAT(fake.requests().back().url, HasSubstr("?artifactType=x%2Fsig"));
}

TEST(RegistryClientTest, RetriesServerErrorsHonouringRetryAfter) {
  FakeClock clock;
  FakeHttpClient fake;
  std::atomic<int> calls{0};
  fake.On(Method::kGet, "https://registry.example/v2/a/manifests/v1", [&](const HttpRequest& r) {
    if (++calls < 3) {
      return FakeHttpClient::Reply(503, "busy", Headers{{"Retry-After", "7"}})(r);
    }
    return Manifest("{}")(r);
  });
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  absl::Time start = clock.Now();
  ASSERT_OK(client->GetManifest(Ref("registry.example/a:v1")).status());
  EXPECT_EQ(calls.load(), 3);
  EXPECT_GE(clock.Now() - start, absl::Seconds(14));

  FakeHttpClient down;
  down.OnAny(FakeHttpClient::Reply(502, "bad gateway"));
  ASSERT_OK_AND_ASSIGN(auto down_client, RegistryClient::New(down, Options(&clock)));
  EXPECT_THAT(down_client->GetManifest(Ref("registry.example/a:v1")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 502: bad gateway")));
  EXPECT_EQ(down.requests().size(), 3u);
}

TEST(RegistryClientTest, DigestMismatchOnFetchIsRefused) {
  FakeClock clock;
  FakeHttpClient fake;
  const Digest want = Sha256Of("the real manifest");
  fake.OnAny(Manifest("something else"));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  EXPECT_THAT(client->GetManifest(Ref("registry.example/a@" + want.String())),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("content does not match digest " + want.String())));
  EXPECT_THAT(client->GetBlob({kRegistry, "a"}, want),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not match")));
}

TEST(RegistryClientTest, OversizedBlobRefusedBeforeAnyRequest) {
  FakeClock clock;
  FakeHttpClient fake;
  fake.OnAny(FakeHttpClient::Reply(200, "x"));
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(fake, Options(&clock)));
  EXPECT_THAT(client->GetBlob({kRegistry, "a"}, Sha256Of("x"), 200LL << 20),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("size of layer (209715200) exceeded the limit (134217728)")));
  EXPECT_TRUE(fake.requests().empty());
}

// --- Hostile servers over real HTTP (cpp-httplib), through the real CurlHttpClient. ---

class HostileServerTest : public ::testing::Test {
 protected:
  void Serve(std::unique_ptr<httplib::Server> server) {
    auto started = HttpTestServer::Start(std::move(server));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    auto http = net::CurlHttpClient::New();
    ASSERT_TRUE(http.ok());
    http_ = *std::move(http);
    RegistryClientOptions o;
    o.retry.max_attempts = 1;
    o.request_timeout = absl::Seconds(3);
    o.idle_timeout = absl::Seconds(1);
    auto client = RegistryClient::New(*http_, o);
    ASSERT_TRUE(client.ok());
    client_ = *std::move(client);
  }
  void TearDown() override {
    client_.reset();
    http_.reset();
    server_.reset();
  }
  std::string Host() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  Reference At(const std::string& rest) { return Ref(Host() + "/" + rest); }

  std::unique_ptr<HttpTestServer> server_;
  std::unique_ptr<net::CurlHttpClient> http_;
  std::unique_ptr<RegistryClient> client_;
};

TEST_F(HostileServerTest, OversizedManifestStopsAtTheLimit) {
  auto s = std::make_unique<httplib::Server>();
  s->Get(R"(/v2/a/manifests/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(5 << 20, ' '), std::string(kOciManifestMediaType));
  });
  Serve(std::move(s));
  EXPECT_THAT(client_->GetManifest(At("a:v1")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("fetching manifest")));
}

TEST_F(HostileServerTest, DeclaredHugeBlobIsNotRead) {
  // Content-Length says 200 MiB; the transfer must stop before reading it (and not wait for it).
  auto s = std::make_unique<httplib::Server>();
  s->Get(R"(/v2/a/blobs/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(200ull << 20, "application/octet-stream",
                             [](size_t offset, size_t length, httplib::DataSink& sink) {
                               std::string chunk(std::min<size_t>(length, 1 << 20), 'z');
                               return sink.write(chunk.data(), chunk.size());
                             });
  });
  Serve(std::move(s));
  absl::Time start = absl::Now();
  EXPECT_THAT(client_->GetBlob({Host(), "a"}, Sha256Of("z")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(HostileServerTest, RedirectLoopAndTooManyRedirects) {
  auto s = std::make_unique<httplib::Server>();
  s->Get(R"(/v2/a/blobs/(.*))",
         [](const httplib::Request& req, httplib::Response& res) { res.set_redirect("/loop/1"); });
  s->Get(R"(/loop/1)",
         [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop/2"); });
  s->Get(R"(/loop/2)",
         [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop/1"); });
  s->Get(R"(/v2/b/blobs/(.*))",
         [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/hop/0"); });
  s->Get(R"(/hop/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect(absl::StrCat("/hop/", std::stoi(req.matches[1]) + 1));
  });
  Serve(std::move(s));
  EXPECT_THAT(client_->GetBlob({Host(), "a"}, Sha256Of("x")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("redirect loop")));
  EXPECT_THAT(client_->GetBlob({Host(), "b"}, Sha256Of("x")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("more than 5 redirects")));
}

TEST_F(HostileServerTest, CredentialsDoNotFollowARedirectToAnotherHost) {
  std::atomic<bool> leaked{false};
  std::atomic<int> storage_hits{0};
  auto s = std::make_unique<httplib::Server>();
  int* port = new int(0);  // the server's own port, known after Start
  std::unique_ptr<int> port_owner(port);
  const std::string blob = "blob bytes";
  s->Get(R"(/v2/a/blobs/(.*))", [&, port](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization").empty()) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"r\"");
      return;
    }
    // Same server, another host name: a different origin.
    res.set_redirect(absl::StrCat("http://localhost:", *port, "/storage/blob"));
  });
  s->Get("/storage/blob", [&](const httplib::Request& req, httplib::Response& res) {
    ++storage_hits;
    if (!req.get_header_value("Authorization").empty()) leaked = true;
    res.set_content(blob, "application/octet-stream");
  });
  Serve(std::move(s));
  *port = server_->port();
  RegistryClientOptions o;
  o.retry.max_attempts = 1;
  o.keychain = Creds(Host());
  ASSERT_OK_AND_ASSIGN(auto client, RegistryClient::New(*http_, o));
  ASSERT_OK_AND_ASSIGN(std::string got, client->GetBlob({Host(), "a"}, Sha256Of(blob)));
  EXPECT_EQ(got, blob);
  EXPECT_EQ(storage_hits.load(), 1);
  EXPECT_FALSE(leaked.load());
}

TEST_F(HostileServerTest, StalledServerHitsTheDeadline) {
  auto s = std::make_unique<httplib::Server>();
  // Shared with the handler, which may still run after the test body returned.
  auto stop = std::make_shared<std::atomic<bool>>(false);
  s->Get(R"(/v2/a/manifests/.*)", [stop](const httplib::Request&, httplib::Response& res) {
    // Sends nothing for up to 10 s.
    for (int i = 0; i < 100 && !stop->load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    res.set_content("{}", "application/json");
  });
  Serve(std::move(s));
  absl::Time start = absl::Now();
  auto result = client_->GetManifest(At("a:v1"));
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.status().code() == absl::StatusCode::kDeadlineExceeded ||
              result.status().code() == absl::StatusCode::kUnavailable)
      << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  stop->store(true);
}

}  // namespace
}  // namespace hallmark::oci
