// Integration tests of the kube client, informer, events and leader election against the real
// hallmark-apiserver (tests/apiserver), started per test on a free loopback port, over plain
// HTTP and over HTTPS with a self-signed CA and bearer tokens. Timing is checked through the
// server's request log rather than wall-clock asserts where possible.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/api_status.h"
#include "kube/config.h"
#include "kube/event_recorder.h"
#include "kube/http_kube_client.h"
#include "kube/informer.h"
#include "kube/internal/json.h"
#include "kube/leader_elector.h"
#include "kube/pager.h"
#include "net/curl_http_client.h"

namespace hallmark::kube {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::StatusIs;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ApiServer: one hallmark-apiserver process and its test knobs.
class ApiServer {
 public:
  // Start: plain HTTP, or HTTPS with a self-signed CA (ca.crt in dir()) when `tls`.
  static std::unique_ptr<ApiServer> Start(bool tls = false,
                                          std::vector<std::string> extra_args = {}) {
    auto server = std::unique_ptr<ApiServer>(new ApiServer());
    server->dir_ = TempDir();
    std::vector<std::string> argv = {RunfilePath("tests/apiserver/hallmark-apiserver"), "--listen",
                                     "127.0.0.1:0"};
    if (tls) {
      argv.push_back("--tls-self-signed");
      argv.push_back(server->dir_ + "/pki");
    }
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    absl::StatusOr<std::unique_ptr<BackgroundProcess>> process =
        BackgroundProcess::Start(argv, server->dir_ + "/apiserver.log");
    EXPECT_THAT(process, IsOk());
    if (!process.ok()) return nullptr;
    server->process_ = *std::move(process);
    absl::Status up = server->process_->WaitForOutput("listening on ", absl::Seconds(20));
    EXPECT_THAT(up, IsOk());
    if (!up.ok()) return nullptr;
    std::string log = server->process_->Log();
    std::string url = log.substr(log.find("listening on ") + 13);
    server->url_ = std::string(absl::StripAsciiWhitespace(url.substr(0, url.find('\n'))));
    net::CurlHttpClientOptions knob_options;
    if (tls) knob_options.tls.ca_file = server->dir_ + "/pki/ca.crt";
    absl::StatusOr<std::unique_ptr<net::CurlHttpClient>> knobs =
        net::CurlHttpClient::New(knob_options);
    EXPECT_THAT(knobs, IsOk());
    if (!knobs.ok()) return nullptr;
    server->knobs_ = *std::move(knobs);
    return server;
  }

  ~ApiServer() {
    // Close our keep-alive connection first: the server's shutdown waits for idle connections.
    knobs_.reset();
    if (process_ != nullptr) process_->Stop();
  }

  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_; }
  std::string ca_pem() const { return ::hallmark::testing::ReadFileOrDie(dir_ + "/pki/ca.crt"); }

  // Knob: a request to /__hallmark/<path>; the parsed JSON answer (null if none).
  nlohmann::json Knob(net::Method method, const std::string& path,
                      const nlohmann::json& body = nullptr) {
    net::HttpRequest req;
    req.method = method;
    req.url = absl::StrCat(url_, "/__hallmark/", path);
    std::string text = body.is_null() ? "" : body.dump();
    if (!body.is_null()) {
      req.body = text;
      req.headers.Add("Content-Type", "application/json");
    }
    absl::StatusOr<net::HttpResponse> resp = knobs_->Do(req);
    EXPECT_THAT(resp, IsOk());
    if (!resp.ok()) return nullptr;
    EXPECT_TRUE(resp->ok()) << path << ": HTTP " << resp->status << " " << resp->body;
    return nlohmann::json::parse(resp->body, nullptr, false);
  }

  // Requests: the request log entries for API paths containing `path_part`.
  std::vector<nlohmann::json> Requests(const std::string& path_part = "") {
    nlohmann::json log = Knob(net::Method::kGet, "requests");
    std::vector<nlohmann::json> out;
    if (!log.is_object() || !log["requests"].is_array()) return out;
    for (const nlohmann::json& r : log["requests"]) {
      if (absl::StrContains(r.value("path", ""), path_part)) out.push_back(r);
    }
    return out;
  }
  void ClearRequests() { Knob(net::Method::kDelete, "requests"); }

  void AddFault(const nlohmann::json& rule) { Knob(net::Method::kPost, "faults", rule); }

 private:
  ApiServer() = default;
  std::string dir_;
  std::string url_;
  std::unique_ptr<BackgroundProcess> process_;
  std::unique_ptr<net::CurlHttpClient> knobs_;
};

// Fast: client options for tests (no long backoffs).
ClientOptions Fast() {
  ClientOptions o;
  o.user_agent = "hallmark-kube-test";
  o.retry.initial_backoff = absl::Milliseconds(50);
  o.retry.max_backoff = absl::Milliseconds(200);
  return o;
}

std::unique_ptr<HttpKubeClient> PlainClient(const ApiServer& server, ClientOptions o = Fast()) {
  Config config;
  config.server = server.url();
  absl::StatusOr<std::unique_ptr<HttpKubeClient>> client = HttpKubeClient::New(config, o);
  EXPECT_THAT(client, IsOk());
  return client.ok() ? *std::move(client) : nullptr;
}

void CreateNamespace(KubeClient& client, const std::string& ns) {
  ASSERT_THAT(
      client.Create(Namespaces(), "",
                    {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}),
      IsOk());
}

nlohmann::json TaskRun(const std::string& name, bool done = false) {
  nlohmann::json run = {{"apiVersion", "tekton.dev/v1"},
                        {"kind", "TaskRun"},
                        {"metadata", {{"name", name}}},
                        {"spec", {{"taskRef", {{"name", "build"}}}}}};
  if (done) {
    run["status"] = {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}}}},
                     {"completionTime", "2026-01-01T00:00:00Z"}};
  }
  return run;
}

void CreateRun(KubeClient& client, const std::string& ns, const std::string& name) {
  ASSERT_THAT(client.Create(TaskRunsV1(), ns, TaskRun(name)), IsOk()) << ns << "/" << name;
}

// RunInfo: what the agent would cache per run.
struct RunInfo {
  std::string ns, name, uid, rv;
  std::string signed_annotation;
};

absl::StatusOr<RunInfo> ProjectRun(const nlohmann::json& o) {
  RunInfo r;
  r.ns = MetaNamespace(o);
  r.name = MetaName(o);
  r.uid = MetaUid(o);
  r.rv = MetaResourceVersion(o);
  const nlohmann::json* meta = internal::Child(o, "metadata");
  if (const nlohmann::json* ann = meta ? internal::Child(*meta, "annotations") : nullptr) {
    r.signed_annotation = internal::StringAt(*ann, "chains.tekton.dev/signed");
  }
  return r;
}

// Seen: informer notifications, for exactly-once checks.
class Seen {
 public:
  Informer<RunInfo>::Handlers Handlers() {
    Informer<RunInfo>::Handlers h;
    h.on_add = [this](const Informer<RunInfo>::Ptr& r) { Add("add " + r->ns + "/" + r->name); };
    h.on_update = [this](const Informer<RunInfo>::Ptr&, const Informer<RunInfo>::Ptr& r) {
      Add("update " + r->ns + "/" + r->name + " signed=" + r->signed_annotation);
    };
    h.on_delete = [this](const Informer<RunInfo>::Ptr& r) {
      Add("delete " + r->ns + "/" + r->name);
    };
    return h;
  }
  std::vector<std::string> All() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  bool WaitFor(const std::string& entry, absl::Duration timeout = absl::Seconds(15)) const {
    absl::MutexLock lock(&mu_);
    auto has = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return std::find(seen_.begin(), seen_.end(), entry) != seen_.end();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&has), timeout);
  }

 private:
  void Add(std::string s) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(s));
  }
  mutable absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

InformerOptions RunInformer() {
  InformerOptions o;
  o.resource = TaskRunsV1();
  o.backoff.initial = absl::Milliseconds(100);
  o.backoff.cap = absl::Milliseconds(400);
  return o;
}

std::string Query(const nlohmann::json& request) { return request.value("query", ""); }

TEST(ApiServerIntegrationTest, GetListPaginationAndNotFound) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  for (int i = 0; i < 7; ++i) CreateRun(*client, "ci", absl::StrCat("run-", i));

  ASSERT_OK_AND_ASSIGN(nlohmann::json run, client->Get(TaskRunsV1(), "ci", "run-3"));
  EXPECT_EQ(MetaName(run), "run-3");
  EXPECT_FALSE(MetaUid(run).empty());
  EXPECT_THAT(
      client->Get(TaskRunsV1(), "ci", "nope"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("taskruns.tekton.dev \"nope\" not found")));

  server->ClearRequests();
  PagerOptions pager;
  pager.page_size = 3;
  ASSERT_OK_AND_ASSIGN(ObjectList all, ListAllObjects(*client, TaskRunsV1(), "ci", {}, pager));
  std::set<std::string> names;
  for (const nlohmann::json& item : all.items) names.insert(MetaName(item));
  EXPECT_EQ(names.size(), 7u);
  std::vector<nlohmann::json> lists = server->Requests("/taskruns");
  ASSERT_EQ(lists.size(), 3u);
  EXPECT_EQ(Query(lists[0]), "limit=3");
  EXPECT_THAT(Query(lists[1]), AllOf(HasSubstr("limit=3"), HasSubstr("continue=")));
  EXPECT_THAT(Query(lists[2]), HasSubstr("continue="));
  for (const nlohmann::json& r : lists) {
    EXPECT_EQ(r["verb"], "list");
    EXPECT_EQ(r["userAgent"], "hallmark-kube-test");
  }
}

TEST(ApiServerIntegrationTest, ExpiredContinueTokenRestartsTheListing) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  for (int i = 0; i < 4; ++i) CreateRun(*client, "ci", absl::StrCat("run-", i));
  PagerOptions pager;
  pager.page_size = 2;
  int restarts = 0;
  bool compacted = false;
  std::set<std::string> names;
  ASSERT_THAT(ListAll(
                  *client, TaskRunsV1(), "ci", {}, pager,
                  [&] {
                    ++restarts;
                    names.clear();
                  },
                  [&](nlohmann::json&& item) {
                    names.insert(MetaName(item));
                    if (!compacted) {
                      compacted = true;
                      CreateRun(*client, "ci", "late");
                      server->Knob(net::Method::kPost, "compact");
                    }
                    return absl::OkStatus();
                  }),
              IsOk());
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(names.size(), 5u);
  std::vector<nlohmann::json> lists = server->Requests("/taskruns");
  bool saw_410 = false;
  for (const nlohmann::json& r : lists) saw_410 |= r["verb"] == "list" && r["status"] == 410;
  EXPECT_TRUE(saw_410);
}

TEST(ApiServerIntegrationTest, StaleResourceVersionPatchesAreConflicts) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "r");
  ASSERT_OK_AND_ASSIGN(nlohmann::json run, client->Get(TaskRunsV1(), "ci", "r"));
  std::string rv = MetaResourceVersion(run);
  PatchOptions o;
  o.resource_version = rv;
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json patched,
      client->Patch(TaskRunsV1(), "ci", "r", PatchType::kMerge,
                    R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})", o));
  EXPECT_NE(MetaResourceVersion(patched), rv);
  EXPECT_EQ(patched["metadata"]["annotations"]["chains.tekton.dev/signed"], "true");

  // The same precondition is stale now: merge patch and JSON patch both get 409 -> kAborted.
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "r", PatchType::kMerge,
                            R"({"metadata":{"annotations":{"chains.tekton.dev/retries":"1"}}})", o),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("Operation cannot be fulfilled on taskruns.tekton.dev \"r\": the "
                                 "object has been modified")));
  EXPECT_THAT(
      client->Patch(
          TaskRunsV1(), "ci", "r", PatchType::kJson,
          R"([{"op":"add","path":"/metadata/annotations/chains.tekton.dev~1retries","value":"1"}])",
          o),
      StatusIs(absl::StatusCode::kAborted));
  // A failing JSON patch operation is the server's 422.
  EXPECT_THAT(client->Patch(TaskRunsV1(), "ci", "r", PatchType::kJson,
                            R"([{"op":"test","path":"/metadata/name","value":"other"}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HTTP 422")));
  // PUT with a stale resourceVersion too.
  EXPECT_THAT(client->Update(TaskRunsV1(), "ci", run), StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(run, client->Get(TaskRunsV1(), "ci", "r"));
  EXPECT_EQ(run["metadata"]["annotations"].size(), 1u);  // nothing of the refused patches
  EXPECT_THAT(client->Create(TaskRunsV1(), "ci", TaskRun("r")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  DeleteOptions d;
  d.resource_version = rv;
  EXPECT_THAT(client->Delete(TaskRunsV1(), "ci", "r", d), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(client->Delete(TaskRunsV1(), "ci", "r"), IsOk());
  EXPECT_THAT(client->Delete(TaskRunsV1(), "ci", "r"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(ApiServerIntegrationTest, TooManyRequestsWaitsForRetryAfter) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "a");
  server->ClearRequests();
  server->AddFault({{"path", "/apis/tekton.dev/v1/namespaces/ci/taskruns/a"},
                    {"verb", "get"},
                    {"code", 429},
                    {"retryAfter", 1},
                    {"count", 2}});
  ASSERT_THAT(client->Get(TaskRunsV1(), "ci", "a"), IsOk());
  std::vector<nlohmann::json> gets = server->Requests("/taskruns/a");
  ASSERT_EQ(gets.size(), 3u);
  EXPECT_EQ(gets[0]["status"], 429);
  EXPECT_EQ(gets[1]["status"], 429);
  EXPECT_EQ(gets[2]["status"], 200);
  // The server's own clock: each retry came at least Retry-After (1 s) after the 429.
  auto at = [](const nlohmann::json& r) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, r.value("time", ""), &t, &err)) << err;
    return t;
  };
  EXPECT_GE(at(gets[1]) - at(gets[0]), absl::Milliseconds(990));
  EXPECT_GE(at(gets[2]) - at(gets[1]), absl::Milliseconds(990));
  EXPECT_EQ(client->Stats().retries, 2u);
}

TEST(ApiServerIntegrationTest, ServerErrorsAreRetried) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "a");
  server->ClearRequests();
  server->AddFault(
      {{"path", "/apis/tekton.dev/v1/namespaces/ci/taskruns/a"}, {"code", 500}, {"count", 2}});
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json patched,
      client->Patch(TaskRunsV1(), "ci", "a", PatchType::kMerge,
                    R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})"));
  EXPECT_EQ(patched["metadata"]["annotations"]["chains.tekton.dev/signed"], "true");
  std::vector<nlohmann::json> patches = server->Requests("/taskruns/a");
  ASSERT_EQ(patches.size(), 3u);
  EXPECT_EQ(patches[0]["status"], 500);
  EXPECT_EQ(patches[1]["status"], 500);
  EXPECT_EQ(patches[2]["status"], 200);
  EXPECT_EQ(patches[2]["verb"], "patch");
}

TEST(ApiServerIntegrationTest, HttpsTokenRotationMidRun) {
  auto server = ApiServer::Start(/*tls=*/true, {"--token", "token-one"});
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(absl::StartsWith(server->url(), "https://"));
  // A kubeconfig with relative CA and token file paths, as a user would write it.
  std::string dir = TempDir();
  std::filesystem::copy_file(server->dir() + "/pki/ca.crt", dir + "/ca.crt");
  WriteFileOrDie(dir + "/token", "token-one\n");
  WriteFileOrDie(dir + "/config",
                 absl::StrCat("apiVersion: v1\nkind: Config\ncurrent-context: local\n"
                              "clusters: [{name: local, cluster: {server: \"",
                              server->url(),
                              "\", certificate-authority: ca.crt}}]\n"
                              "users: [{name: agent, user: {tokenFile: token}}]\n"
                              "contexts: [{name: local, context: {cluster: local, user: agent, "
                              "namespace: ci}}]\n"));
  KubeconfigOptions kc;
  kc.path = dir + "/config";
  ASSERT_OK_AND_ASSIGN(Config config, KubeconfigConfig(kc));
  EXPECT_EQ(config.default_namespace, "ci");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpKubeClient> client, HttpKubeClient::New(config, Fast()));
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "a");

  // An informer over the same client, watching while the token rotates.
  Seen seen;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(*client, RunInformer(), ProjectRun, seen.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(10)));

  // Rotation: the server now accepts only the new token and kubelet rewrote the file.
  server->ClearRequests();
  server->Knob(net::Method::kPut, "tokens", {{"tokens", {"token-two"}}});
  WriteFileOrDie(dir + "/token", "token-two\n");
  ASSERT_OK_AND_ASSIGN(nlohmann::json run, client->Get(TaskRunsV1(), "ci", "a"));
  EXPECT_EQ(MetaName(run), "a");
  std::vector<nlohmann::json> gets = server->Requests("/taskruns/a");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0]["status"], 401);
  EXPECT_EQ(gets[1]["status"], 200);
  EXPECT_EQ(client->Stats().unauthorized_retries, 1u);

  // The informer's next watch (after the server drops the current one) uses the new token too,
  // and resumes without a relist.
  server->Knob(net::Method::kPost, "drop-watches");
  CreateRun(*client, "ci", "after-rotation");
  ASSERT_TRUE(seen.WaitFor("add ci/after-rotation"));
  absl::Time stop_start = absl::Now();
  informer->Stop();
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(2));  // cancels an open HTTPS watch
  EXPECT_EQ(informer->Stats().lists, 1u);

  // Without a usable token: kUnauthenticated, and the token is in no message.
  server->Knob(net::Method::kPut, "tokens", {{"tokens", {"token-three"}}});
  absl::Status s = client->Get(TaskRunsV1(), "ci", "a").status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("token-two")));

  // The wrong CA is a TLS failure, not a silent downgrade.
  Config wrong = config;
  wrong.ca_pem = "";
  wrong.token_file = dir + "/token";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpKubeClient> untrusting,
                       HttpKubeClient::New(wrong, Fast()));
  EXPECT_THAT(untrusting->Get(TaskRunsV1(), "ci", "a"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ApiServerIntegrationTest, WatchResumesWithoutLossOrDuplicatesAcrossCloses) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "before");
  server->Knob(net::Method::kPut, "watch-settings", {{"bookmarkIntervalSeconds", 0.3}});
  Seen seen;
  InformerOptions o = RunInformer();
  o.min_watch_timeout = absl::Seconds(1);  // the server ends each watch after 1-2 s
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(*client, o, ProjectRun, seen.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(10)));

  // Changes keep coming while the server closes watches three ways: its timeoutSeconds
  // (clean), the drop-watches knob (clean), and an abrupt connection drop.
  std::vector<std::string> want = {"add ci/before"};
  absl::Time end = absl::Now() + absl::Milliseconds(3500);
  for (int i = 0; absl::Now() < end || i < 12; ++i) {
    std::string name = absl::StrCat("run-", i);
    CreateRun(*client, "ci", name);
    want.push_back("add ci/" + name);
    if (i % 4 == 1) server->Knob(net::Method::kPost, "drop-watches");
    if (i % 4 == 3) server->Knob(net::Method::kPost, "drop-watches?abrupt=1");
    absl::SleepFor(absl::Milliseconds(150));
  }
  ASSERT_TRUE(seen.WaitFor(want.back()));
  absl::SleepFor(absl::Milliseconds(300));  // anything duplicated would have arrived by now
  informer->Stop();
  std::vector<std::string> got = seen.All();
  EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(want));
  InformerStats stats = informer->Stats();
  EXPECT_EQ(stats.lists, 1u) << "a close must not cause a relist";
  EXPECT_GE(stats.watches, 4u);
  EXPECT_GT(stats.bookmarks, 0u);

  // Every re-watch resumed from a resourceVersion no older than the previous one, and asked
  // for bookmarks and a timeout in [1, 2) s.
  int64_t last_rv = 0;
  int watches = 0;
  for (const nlohmann::json& r : server->Requests("/taskruns")) {
    if (r["verb"] != "watch") continue;
    ++watches;
    std::string q = Query(r);
    EXPECT_THAT(q, AllOf(HasSubstr("allowWatchBookmarks=true"), HasSubstr("timeoutSeconds=1")));
    size_t p = q.find("resourceVersion=");
    ASSERT_NE(p, std::string::npos);
    int64_t rv = std::stoll(q.substr(p + 16));
    EXPECT_GE(rv, last_rv);
    last_rv = rv;
  }
  // (The log records a watch when it ends: the last one may not be there yet.)
  EXPECT_LE(static_cast<uint64_t>(watches), stats.watches);
  EXPECT_GE(static_cast<uint64_t>(watches) + 1, stats.watches);
}

class RelistTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RelistTest, ExpiredWatchRelistsAndTurnsMissingObjectsIntoDeletes) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "keep");
  CreateRun(*client, "ci", "gone");
  server->Knob(net::Method::kPut, "watch-settings", {{"expiredAs", GetParam()}});
  Seen seen;
  InformerOptions o = RunInformer();
  o.backoff.initial = absl::Milliseconds(600);  // room to change things while it backs off
  o.backoff.cap = absl::Milliseconds(600);
  o.backoff.jitter = 0;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(*client, o, ProjectRun, seen.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(10)));

  // Cut the watch (its next attempt fails), change things, and compact the history it needs.
  server->AddFault(
      {{"path", "/apis/tekton.dev/v1/taskruns"}, {"verb", "watch"}, {"code", 503}, {"count", 1}});
  server->Knob(net::Method::kPost, "drop-watches");
  absl::SleepFor(absl::Milliseconds(200));
  ASSERT_THAT(client->Delete(TaskRunsV1(), "ci", "gone"), IsOk());
  ASSERT_THAT(client->Patch(TaskRunsV1(), "ci", "keep", PatchType::kMerge,
                            R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})"),
              IsOk());
  server->Knob(net::Method::kPost, "compact");

  ASSERT_TRUE(seen.WaitFor("delete ci/gone"));
  ASSERT_TRUE(seen.WaitFor("update ci/keep signed=true"));
  EXPECT_EQ(informer->Size(), 1u);
  informer->Stop();
  EXPECT_EQ(informer->Stats().relists, 1u);

  // The request log: a watch failed (503); the watch from the old version got 410 (as an
  // ERROR event inside a 200, or as an HTTP 410); right after it comes the one consistent LIST
  // (no resourceVersion). (The log records a watch when it ends, so the last one may be absent.)
  std::vector<std::string> trail;
  for (const nlohmann::json& r : server->Requests("/taskruns")) {
    if (r["verb"] != "list" && r["verb"] != "watch") continue;  // not the test's own writes
    std::string q = Query(r);
    std::string rv_label = " consistent";  // no resourceVersion: the newest data
    if (size_t p = q.find("resourceVersion="); p != std::string::npos) {
      std::string rv =
          q.substr(p + 16, q.find('&', p) == std::string::npos ? std::string::npos
                                                               : q.find('&', p) - p - 16);
      rv_label = rv == "0" ? " any" : " at-rv";
    }
    trail.push_back(absl::StrCat(r["verb"].get<std::string>(), " ", r["status"].get<int>(),
                                 r["verb"] == "list" ? rv_label : ""));
  }
  std::string expired = GetParam() == "http" ? "watch 410" : "watch 200";
  ASSERT_GE(trail.size(), 4u) << ::testing::PrintToString(trail);
  EXPECT_EQ(trail[0], "list 200 any") << ::testing::PrintToString(trail);
  EXPECT_EQ(std::count(trail.begin(), trail.end(), "watch 503"), 1);
  auto relist = std::find(trail.begin(), trail.end(), "list 200 consistent");
  ASSERT_NE(relist, trail.end()) << ::testing::PrintToString(trail);
  EXPECT_EQ(std::count(trail.begin(), trail.end(), "list 200 consistent"), 1);
  ASSERT_NE(relist, trail.begin());
  EXPECT_EQ(*(relist - 1), expired) << ::testing::PrintToString(trail);
}

INSTANTIATE_TEST_SUITE_P(BothShapes, RelistTest, ::testing::Values("event", "http"));

TEST(ApiServerIntegrationTest, InformerWithNamespaceFilterRequestsOnlyThoseNamespaces) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  for (const char* ns : {"team-a", "team-b", "team-c"}) {
    CreateNamespace(*client, ns);
    CreateRun(*client, ns, "build");
  }
  server->ClearRequests();
  Seen seen;
  InformerOptions o = RunInformer();
  o.namespaces = {"team-a", "team-c"};
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(*client, o, ProjectRun, seen.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(10)));
  CreateRun(*client, "team-b", "late");
  CreateRun(*client, "team-c", "late");
  ASSERT_TRUE(seen.WaitFor("add team-c/late"));
  ASSERT_OK_AND_ASSIGN(nlohmann::json patched,
                       client->Patch(TaskRunsV1(), "team-a", "build", PatchType::kMerge,
                                     R"({"metadata":{"annotations":{
                                         "chains.tekton.dev/signed":"true"}}})"));
  ASSERT_TRUE(seen.WaitFor("update team-a/build signed=true"));
  informer->Stop();

  EXPECT_EQ(informer->Size(), 3u);
  EXPECT_EQ(informer->Get("team-b", "build"), nullptr);
  Informer<RunInfo>::Ptr run = informer->Get("team-a", "build");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->uid, MetaUid(patched));
  EXPECT_EQ(run->rv, MetaResourceVersion(patched));
  EXPECT_EQ(run->signed_annotation, "true");
  std::set<std::string> paths;
  for (const nlohmann::json& r : server->Requests("/taskruns")) {
    if (r["verb"] == "list" || r["verb"] == "watch") paths.insert(r["path"]);
  }
  EXPECT_THAT(paths, ElementsAre("/apis/tekton.dev/v1/namespaces/team-a/taskruns",
                                 "/apis/tekton.dev/v1/namespaces/team-c/taskruns"));
}

TEST(ApiServerIntegrationTest, InformerSelectorsAreSentToTheServer) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  for (const char* name : {"a", "b", "c"}) {
    nlohmann::json run = TaskRun(name);
    run["metadata"]["labels"] = {{"app", std::string(name) == "c" ? "other" : "web"}};
    ASSERT_THAT(client->Create(TaskRunsV1(), "ci", run), IsOk());
  }
  Seen seen;
  InformerOptions o = RunInformer();
  o.label_selector = "app=web";
  o.field_selector = "metadata.name!=b";
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(*client, o, ProjectRun, seen.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(10)));
  nlohmann::json late = TaskRun("d");
  late["metadata"]["labels"] = {{"app", "web"}};
  ASSERT_THAT(client->Create(TaskRunsV1(), "ci", late), IsOk());
  ASSERT_TRUE(seen.WaitFor("add ci/d"));
  informer->Stop();
  EXPECT_THAT(seen.All(), ElementsAre("add ci/a", "add ci/d"));
  for (const nlohmann::json& r : server->Requests("/taskruns")) {
    if (r["verb"] != "list" && r["verb"] != "watch") continue;
    EXPECT_THAT(Query(r), AllOf(HasSubstr("labelSelector=app%3Dweb"),
                                HasSubstr("fieldSelector=metadata.name%21%3Db")));
  }
}

TEST(ApiServerIntegrationTest, EventsAreCreatedOnRuns) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  auto client = PlainClient(*server);
  CreateNamespace(*client, "ci");
  CreateRun(*client, "ci", "a");
  ASSERT_OK_AND_ASSIGN(nlohmann::json run, client->Get(TaskRunsV1(), "ci", "a"));
  ASSERT_OK_AND_ASSIGN(auto recorder, EventRecorder::New(*client, "hallmark-agent", "pod-1"));
  ASSERT_OK_AND_ASSIGN(std::string name, recorder->Record(ObjectReference::For(TaskRunsV1(), run),
                                                          EventType::kWarning, "SigningFailed",
                                                          "no cosign.key in signing-secrets"));
  ASSERT_OK_AND_ASSIGN(nlohmann::json event, client->Get(CoreEvents(), "ci", name));
  EXPECT_EQ(event["involvedObject"]["uid"], MetaUid(run));
  EXPECT_EQ(event["involvedObject"]["kind"], "TaskRun");
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["message"], "no cosign.key in signing-secrets");
}

LeaderElectionOptions Election(const std::string& identity, bool release) {
  LeaderElectionOptions o;
  o.lease_namespace = "hallmark";
  o.lease_name = "agent";
  o.identity = identity;
  o.lease_duration = absl::Seconds(2);
  o.renew_deadline = absl::Milliseconds(1500);
  o.retry_period = absl::Milliseconds(200);
  o.release_on_stop = release;
  return o;
}

bool WaitUntil(std::function<bool()> pred, absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return pred();
}

TEST(ApiServerIntegrationTest, LeaderElectionOneLeaderReleaseAndExpiry) {
  auto server = ApiServer::Start();
  ASSERT_NE(server, nullptr);
  ClientOptions quick = Fast();
  quick.request_timeout = absl::Milliseconds(500);
  quick.retry.max_attempts = 1;
  auto c1 = PlainClient(*server, quick);
  auto c2 = PlainClient(*server, quick);
  auto c3 = PlainClient(*server, quick);
  CreateNamespace(*c1, "hallmark");
  ASSERT_OK_AND_ASSIGN(auto e1, LeaderElector::New(*c1, Election("replica-1", true)));
  ASSERT_OK_AND_ASSIGN(auto e2, LeaderElector::New(*c2, Election("replica-2", false)));
  ASSERT_THAT(e1->Start(), IsOk());
  ASSERT_TRUE(WaitUntil([&] { return e1->IsLeader(); }, absl::Seconds(5)));
  ASSERT_THAT(e2->Start(), IsOk());
  absl::Time end = absl::Now() + absl::Seconds(3);  // longer than the lease: renewals work
  while (absl::Now() < end) {
    ASSERT_FALSE(e1->IsLeader() && e2->IsLeader());
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(e1->IsLeader());
  EXPECT_EQ(e2->Leader(), "replica-1");

  // Release: replica-2 takes over at its next retry, well before the lease would expire.
  absl::Time released = absl::Now();
  e1->Stop();
  ASSERT_TRUE(WaitUntil([&] { return e2->IsLeader(); }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - released, absl::Milliseconds(1500));

  // Expiry: replica-2 stops without releasing; replica-3 must wait out the 2 s lease.
  ASSERT_OK_AND_ASSIGN(auto e3, LeaderElector::New(*c3, Election("replica-3", true)));
  ASSERT_THAT(e3->Start(), IsOk());
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(e3->IsLeader());
  absl::Time abandoned = absl::Now();
  e2->Stop();
  ASSERT_TRUE(WaitUntil([&] { return e3->IsLeader(); }, absl::Seconds(6)));
  EXPECT_GE(absl::Now() - abandoned, absl::Milliseconds(1500));
  ASSERT_OK_AND_ASSIGN(nlohmann::json lease, c3->Get(Leases(), "hallmark", "agent"));
  EXPECT_EQ(lease["spec"]["holderIdentity"], "replica-3");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 2);
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 2);
  e3->Stop();
  ASSERT_OK_AND_ASSIGN(lease, c1->Get(Leases(), "hallmark", "agent"));
  EXPECT_FALSE(lease["spec"].contains("holderIdentity"));  // released
}

}  // namespace
}  // namespace hallmark::kube
