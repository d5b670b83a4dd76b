#include "kube/http_kube_client.h"

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/api_status.h"
#include "net/testing/fake_http_client.h"

namespace hallmark::kube {
namespace {

using ::hallmark::net::HttpRequest;
using ::hallmark::net::HttpResponse;
using ::hallmark::net::Method;
using ::hallmark::net::testing::FakeHttpClient;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kServer[] = "https://kube.test:6443";

class RecordingClock : public FakeClock {
 public:
  void SleepFor(absl::Duration d) override {
    {
      absl::MutexLock lock(&mu_);
      sleeps_.push_back(d);
    }
    FakeClock::SleepFor(d);
  }
  std::vector<absl::Duration> sleeps() const {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<absl::Duration> sleeps_;
};

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json({{"kind", "Status"},
                         {"apiVersion", "v1"},
                         {"status", "Failure"},
                         {"code", code},
                         {"reason", reason},
                         {"message", message}})
      .dump();
}

std::string RunJson(const std::string& ns, const std::string& name, const std::string& rv) {
  return nlohmann::json(
             {{"apiVersion", "tekton.dev/v1"},
              {"kind", "TaskRun"},
              {"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}})
      .dump();
}

std::string EventLine(const std::string& type, const std::string& object) {
  return "{\"type\":\"" + type + "\",\"object\":" + object + "}\n";
}

class HttpKubeClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpKubeClient> Client(Config config = {}, ClientOptions options = {}) {
    if (config.server.empty()) config.server = kServer;
    if (config.token.empty() && config.token_file.empty()) config.token = SecretData("tok-1");
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<HttpKubeClient>> client =
        HttpKubeClient::NewWithHttpClient(config, http_, options);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }

  RecordingClock clock_;
  FakeHttpClient http_;
};

TEST_F(HttpKubeClientTest, GetSendsJsonAcceptAndBearerToken) {
  http_.On(Method::kGet, std::string(kServer) + "/apis/tekton.dev/v1/namespaces/ci/taskruns/b1",
           FakeHttpClient::Reply(200, RunJson("ci", "b1", "7")));
  auto client = Client();
  ASSERT_OK_AND_ASSIGN(nlohmann::json obj, client->Get(TaskRunsV1(), "ci", "b1"));
  EXPECT_EQ(MetaResourceVersion(obj), "7");
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.Get("Accept"), "application/json");
  EXPECT_EQ(reqs[0].headers.Get("User-Agent"), "hallmark");
  EXPECT_EQ(reqs[0].authorization.InsecureView(), "Bearer tok-1");
  EXPECT_EQ(client->Stats().requests, 1u);
}

TEST_F(HttpKubeClientTest, NotFoundCarriesTheServersMessage) {
  http_.OnAny(FakeHttpClient::Reply(
      404, StatusBody(404, "NotFound", "taskruns.tekton.dev \"nope\" not found")));
  auto client = Client();
  EXPECT_THAT(
      client->Get(TaskRunsV1(), "ci", "nope"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("taskruns.tekton.dev \"nope\" not found")));
  EXPECT_EQ(http_.requests().size(), 1u);  // a 404 is not retried
}

TEST_F(HttpKubeClientTest, ResponsesThatAreNotObjectsAreDataLoss) {
  http_.OnAny(FakeHttpClient::Reply(200, "[1,2]"));
  auto client = Client();
  EXPECT_THAT(client->Get(TaskRunsV1(), "ci", "x"), StatusIs(absl::StatusCode::kDataLoss));
  http_.OnAny(FakeHttpClient::Reply(200, R"({"metadata":{},"items":{"a":1}})"));
  EXPECT_THAT(client->List(TaskRunsV1(), "ci", {}), StatusIs(absl::StatusCode::kDataLoss));
  http_.OnAny(FakeHttpClient::Reply(200, R"({"metadata":{},"items":[1]})"));
  EXPECT_THAT(client->List(TaskRunsV1(), "ci", {}), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(HttpKubeClientTest, ListQueryAndPage) {
  http_.OnAny(FakeHttpClient::Reply(
      200,
      R"({"kind":"TaskRunList","metadata":{"resourceVersion":"42","continue":"tok"},"items":[)" +
          RunJson("ci", "a", "40") + "," + RunJson("ci", "b", "41") + "]}"));
  auto client = Client();
  ListOptions o;
  o.label_selector = "app=x,tier!=db";
  o.field_selector = "metadata.name=a";
  o.limit = 2;
  o.continue_token = "c/1";
  o.resource_version = "0";
  ASSERT_OK_AND_ASSIGN(ObjectList list, client->List(TaskRunsV1(), "ci", o));
  EXPECT_EQ(list.resource_version, "42");
  EXPECT_EQ(list.continue_token, "tok");
  ASSERT_EQ(list.items.size(), 2u);
  EXPECT_EQ(MetaName(list.items[1]), "b");
  EXPECT_EQ(http_.requests()[0].url,
            std::string(kServer) +
                "/apis/tekton.dev/v1/namespaces/ci/taskruns?labelSelector=app%3Dx%2Ctier%21%3Ddb"
                "&fieldSelector=metadata.name%3Da&limit=2&continue=c%2F1&resourceVersion=0");
}

TEST_F(HttpKubeClientTest, ListAllNamespacesAndNullItems) {
  http_.OnAny(FakeHttpClient::Reply(200, R"({"metadata":{"resourceVersion":"3"},"items":null})"));
  auto client = Client();
  ASSERT_OK_AND_ASSIGN(ObjectList list, client->List(PipelineRunsV1(), "", {}));
  EXPECT_TRUE(list.items.empty());
  EXPECT_EQ(http_.requests()[0].url, std::string(kServer) + "/apis/tekton.dev/v1/pipelineruns");
}

TEST_F(HttpKubeClientTest, WatchDeliversEventsInOrderAndEndsOnAnExpiredErrorEvent) {
  http_.set_stream_chunk_size(5);
  http_.OnAny(FakeHttpClient::Reply(
      200, EventLine("ADDED", RunJson("ci", "a", "5")) +
               EventLine("MODIFIED", RunJson("ci", "a", "6")) +
               EventLine("ERROR", StatusBody(410, "Expired", "too old resource version: 4 (9)")) +
               EventLine("ADDED", RunJson("ci", "late", "10"))));
  auto client = Client();
  WatchOptions o;
  o.resource_version = "4";
  o.timeout_seconds = 300;
  o.label_selector = "a=b";
  std::vector<std::string> seen;
  absl::Status s = client->Watch(TaskRunsV1(), "ci", o, [&](WatchEvent&& e) {
    seen.push_back(absl::StrCat(WatchEventTypeName(e.type), " ", MetaResourceVersion(e.object)));
    return true;
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("too old resource version")));
  EXPECT_TRUE(IsResourceExpired(s));
  EXPECT_THAT(seen, ElementsAre("ADDED 5", "MODIFIED 6"));
  EXPECT_EQ(http_.requests()[0].url,
            std::string(kServer) +
                "/apis/tekton.dev/v1/namespaces/ci/taskruns?watch=true&resourceVersion=4"
                "&allowWatchBookmarks=true&timeoutSeconds=300&labelSelector=a%3Db");
}

TEST_F(HttpKubeClientTest, WatchHttp410IsAlsoExpired) {
  http_.OnAny(
      FakeHttpClient::Reply(410, StatusBody(410, "Expired", "too old resource version: 2 (103)")));
  auto client = Client();
  absl::Status s = client->Watch(TaskRunsV1(), "", {}, [](WatchEvent&&) { return true; });
  EXPECT_TRUE(IsResourceExpired(s)) << s;
  EXPECT_EQ(http_.requests().size(), 1u);  // the informer decides what to do, not the client
}

TEST_F(HttpKubeClientTest, WatchCleanCloseAndCallerStop) {
  http_.OnAny(FakeHttpClient::Reply(200, EventLine("ADDED", RunJson("ci", "a", "5")) +
                                             EventLine("BOOKMARK", RunJson("", "", "8"))));
  auto client = Client();
  int n = 0;
  EXPECT_THAT(client->Watch(TaskRunsV1(), "ci", {},
                            [&](WatchEvent&&) {
                              ++n;
                              return true;
                            }),
              IsOk());
  EXPECT_EQ(n, 2);
  n = 0;
  EXPECT_THAT(client->Watch(TaskRunsV1(), "ci", {},
                            [&](WatchEvent&&) {
                              ++n;
                              return false;
                            }),
              IsOk());
  EXPECT_EQ(n, 1);
}

TEST_F(HttpKubeClientTest, WatchGarbageTruncationAndOversizedLines) {
  auto client = Client();
  http_.OnAny(FakeHttpClient::Reply(200, EventLine("ADDED", RunJson("ci", "a", "5")) + "<html>\n"));
  EXPECT_THAT(client->Watch(TaskRunsV1(), "ci", {}, [](WatchEvent&&) { return true; }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("WATCH taskruns.tekton.dev ci")));
  http_.OnAny(
      FakeHttpClient::Reply(200, EventLine("ADDED", RunJson("ci", "a", "5")).substr(0, 30)));
  EXPECT_THAT(client->Watch(TaskRunsV1(), "ci", {}, [](WatchEvent&&) { return true; }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("ended inside an event")));

  ClientOptions small;
  small.max_watch_line_bytes = 100;
  auto limited = Client({}, small);
  http_.OnAny(FakeHttpClient::Reply(200, std::string(1000, 'x')));
  EXPECT_THAT(limited->Watch(TaskRunsV1(), "ci", {}, [](WatchEvent&&) { return true; }),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(HttpKubeClientTest, MergePatchWithResourceVersionPrecondition) {
  std::string body;
  http_.OnAny([&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
    body = std::string(r.body);
    HttpResponse resp;
    resp.status = 409;
    resp.body =
        StatusBody(409, "Conflict",
                   "Operation cannot be fulfilled on taskruns.tekton.dev \"b1\": the object "
                   "has been modified; please apply your changes to the latest version "
                   "and try again");
    return resp;
  });
  auto client = Client();
  PatchOptions o;
  o.resource_version = "12";
  EXPECT_THAT(
      client->Patch(TaskRunsV1(), "ci", "b1", PatchType::kMerge,
                    R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})", o),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("the object has been modified")));
  EXPECT_EQ(nlohmann::json::parse(body),
            nlohmann::json::parse(R"({"metadata":{"resourceVersion":"12","annotations":{
                                      "chains.tekton.dev/signed":"true"}}})"));
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 1u);  // a 409 is the caller's to handle
  EXPECT_EQ(reqs[0].method, Method::kPatch);
  EXPECT_EQ(reqs[0].headers.Get("Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(reqs[0].url, std::string(kServer) +
                             "/apis/tekton.dev/v1/namespaces/ci/taskruns/b1?fieldManager=hallmark");
}

TEST(AnnotationsMergePatchTest, SetsAndRemoves) {
  ASSERT_OK_AND_ASSIGN(std::string patch,
                       AnnotationsMergePatch({{"chains.tekton.dev/signed", "true"},
                                              {"chains.tekton.dev/retries", std::nullopt}}));
  EXPECT_EQ(nlohmann::json::parse(patch), nlohmann::json::parse(R"({"metadata":{"annotations":{
                "chains.tekton.dev/signed":"true","chains.tekton.dev/retries":null}}})"));
  EXPECT_THAT(AnnotationsMergePatch({{"", "x"}}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AnnotationsMergePatch({{std::string(318, 'a'), "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HttpKubeClientTest, JsonPatchGetsAnExtraPreconditionOperation) {
  http_.OnAny(FakeHttpClient::Reply(200, RunJson("ci", "b1", "13")));
  auto client = Client();
  PatchOptions o;
  o.resource_version = "12";
  o.subresource = "status";
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json out,
      client->Patch(TaskRunsV1(), "ci", "b1", PatchType::kJson,
                    R"([{"op":"add","path":"/metadata/annotations/a~1b","value":"c"}])", o));
  EXPECT_EQ(MetaResourceVersion(out), "13");
  auto reqs = http_.requests();
  EXPECT_EQ(reqs[0].headers.Get("Content-Type"), "application/json-patch+json");
  EXPECT_THAT(reqs[0].url, HasSubstr("/taskruns/b1/status?"));
  EXPECT_EQ(nlohmann::json::parse(reqs[0].body),
            nlohmann::json::parse(R"([{"op":"add","path":"/metadata/annotations/a~1b","value":"c"},
                                      {"op":"add","path":"/metadata/resourceVersion","value":"12"}])"));
}

TEST_F(HttpKubeClientTest, BadPatchesAreRefusedBeforeSending) {
  auto client = Client();
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "b1", PatchType::kMerge, "{", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "b1", PatchType::kMerge, "[]", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "b1", PatchType::kJson, "{}", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "../b1", PatchType::kJson, "[]", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(HttpKubeClientTest, CreateUpdateDelete) {
  http_.On(Method::kPost,
           std::string(kServer) + "/api/v1/namespaces/ci/events?fieldManager=hallmark",
           FakeHttpClient::Reply(201, R"({"metadata":{"name":"e1"}})"));
  http_.On(Method::kPut,
           std::string(kServer) +
               "/apis/coordination.k8s.io/v1/namespaces/ci/leases/l?fieldManager=hallmark",
           FakeHttpClient::Reply(200, R"({"metadata":{"name":"l","resourceVersion":"9"}})"));
  http_.On(Method::kDelete, std::string(kServer) + "/apis/tekton.dev/v1/namespaces/ci/taskruns/x",
           FakeHttpClient::Reply(200, StatusBody(200, "", "")));
  auto client = Client();
  nlohmann::json event = {{"metadata", {{"name", "e1"}}}, {"reason", "Signed"}};
  ASSERT_OK_AND_ASSIGN(nlohmann::json created, client->Create(CoreEvents(), "ci", event));
  EXPECT_EQ(MetaName(created), "e1");
  EXPECT_THAT(
      client->Create(CoreEvents(), "other", {{"metadata", {{"name", "e"}, {"namespace", "ci"}}}}),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client->Create(CoreEvents(), "", event),
              StatusIs(absl::StatusCode::kInvalidArgument));

  nlohmann::json lease = {{"metadata", {{"name", "l"}, {"resourceVersion", "8"}}}};
  ASSERT_OK_AND_ASSIGN(nlohmann::json updated, client->Update(Leases(), "ci", lease));
  EXPECT_EQ(MetaResourceVersion(updated), "9");

  DeleteOptions d;
  d.resource_version = "5";
  d.uid = "u-1";
  EXPECT_THAT(client->Delete(TaskRunsV1(), "ci", "x", d), IsOk());
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(reqs[0].body), event);
  EXPECT_EQ(reqs[0].headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(reqs[2].body)["preconditions"],
            nlohmann::json({{"resourceVersion", "5"}, {"uid", "u-1"}}));
}

TEST_F(HttpKubeClientTest, TooManyRequestsHonoursRetryAfter) {
  int calls = 0;
  http_.OnAny([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    if (++calls == 1) {
      r.status = 429;
      r.headers.Add("Retry-After", "3");
      r.body = StatusBody(429, "TooManyRequests", "slow down");
    } else {
      r.status = 200;
      r.body = RunJson("ci", "a", "1");
    }
    return r;
  });
  auto client = Client();
  ASSERT_THAT(client->Get(TaskRunsV1(), "ci", "a"), IsOk());
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(clock_.sleeps().size(), 1u);
  EXPECT_GE(clock_.sleeps()[0], absl::Seconds(3));
  EXPECT_EQ(client->Stats().retries, 1u);
}

TEST_F(HttpKubeClientTest, ServerErrorsAreRetriedThenReported) {
  int calls = 0;
  http_.OnAny([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    ++calls;
    HttpResponse r;
    r.status = 500;
    r.body = StatusBody(500, "InternalError", "etcd is sad");
    return r;
  });
  ClientOptions o;
  o.retry.max_attempts = 3;
  auto client = Client({}, o);
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "a", PatchType::kMerge, "{}", {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("etcd is sad")));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(HttpKubeClientTest, TransportErrorsAreRetriedOnlyWhereRepeatingIsSafe) {
  int calls = 0;
  http_.OnAny([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    ++calls;
    return absl::UnavailableError("connection reset");
  });
  ClientOptions o;
  o.retry.max_attempts = 3;
  auto client = Client({}, o);
  EXPECT_THAT(client->Get(TaskRunsV1(), "ci", "a"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_THAT(client->Create(CoreEvents(), "ci", {{"metadata", {{"name", "e"}}}}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "a", PatchType::kJson, "[]", {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(calls, 1);
}

TEST_F(HttpKubeClientTest, UnauthorizedRereadsTheTokenFileAndRetriesOnce) {
  std::string path = TempDir() + "/token";
  WriteFileOrDie(path, "old-token\n");
  std::vector<std::string> seen;
  http_.OnAny([&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
    seen.emplace_back(r.authorization.InsecureView());
    HttpResponse resp;
    if (r.authorization.InsecureView() == "Bearer new-token") {
      resp.status = 200;
      resp.body = RunJson("ci", "a", "1");
    } else {
      resp.status = 401;
      resp.body = StatusBody(401, "Unauthorized", "Unauthorized");
    }
    return resp;
  });
  Config config;
  config.token_file = path;
  auto client = Client(config);
  clock_.Advance(absl::Seconds(1));
  WriteFileOrDie(path, "new-token\n");  // kubelet rotated it; our cached copy is stale
  ASSERT_THAT(client->Get(TaskRunsV1(), "ci", "a"), IsOk());
  EXPECT_THAT(seen, ElementsAre("Bearer old-token", "Bearer new-token"));
  EXPECT_EQ(client->Stats().unauthorized_retries, 1u);

  // Still wrong after a re-read: one retry only, then kUnauthenticated.
  WriteFileOrDie(path, "bad-token\n");
  clock_.Advance(absl::Minutes(2));
  seen.clear();
  EXPECT_THAT(client->Get(TaskRunsV1(), "ci", "a"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(HttpKubeClientTest, StaticTokenUnauthorizedIsNotRetried) {
  http_.OnAny(FakeHttpClient::Reply(401, StatusBody(401, "Unauthorized", "Unauthorized")));
  auto client = Client();
  absl::Status s = client->Get(TaskRunsV1(), "ci", "a").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("tok-1")));
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(HttpKubeClientTest, BearerTokensNeverGoToNonLoopbackPlainHttp) {
  Config config;
  config.server = "http://kube.example:8080";
  config.token = SecretData("secret");
  ClientOptions o;
  o.clock = &clock_;
  absl::StatusOr<std::unique_ptr<HttpKubeClient>> c =
      HttpKubeClient::NewWithHttpClient(config, http_, o);
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("plain http")));
  EXPECT_THAT(std::string(c.status().message()), ::testing::Not(HasSubstr("secret")));
  config.server = "http://127.0.0.1:8080";
  EXPECT_THAT(HttpKubeClient::NewWithHttpClient(config, http_, o), IsOk());
  config.server = "http://kube.example:8080";
  config.token = SecretData();
  EXPECT_THAT(HttpKubeClient::NewWithHttpClient(config, http_, o), IsOk());  // anonymous is fine
}

TEST_F(HttpKubeClientTest, RateLimiterThrottlesEveryRequest) {
  http_.OnAny(FakeHttpClient::Reply(200, RunJson("ci", "a", "1")));
  ClientOptions o;
  o.qps = 2;
  o.burst = 1;
  auto client = Client({}, o);
  absl::Time start = clock_.Now();
  for (int i = 0; i < 3; ++i) ASSERT_THAT(client->Get(TaskRunsV1(), "ci", "a"), IsOk());
  EXPECT_EQ(clock_.Now() - start, absl::Seconds(1));
  EXPECT_EQ(client->Stats().throttled, absl::Seconds(1));
}

}  // namespace
}  // namespace hallmark::kube
