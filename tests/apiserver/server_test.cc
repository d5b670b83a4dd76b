#include "tests/apiserver/server.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/apiserver/k8s_wire.pb.h"

namespace hallmark::tests::apiserver {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kRuns[] = "/apis/tekton.dev/v1/namespaces/default/pipelineruns";

std::unique_ptr<ApiServer> StartServer(ServerOptions options) {
  absl::StatusOr<std::unique_ptr<ApiServer>> server = ApiServer::New(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  absl::Status started = (*server)->Start();
  EXPECT_TRUE(started.ok()) << started;
  return std::move(*server);
}

json Body(const httplib::Result& r) {
  EXPECT_TRUE(r) << httplib::to_string(r.error());
  if (!r) return json();
  json j = json::parse(r->body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r->body;
  return j;
}

std::string RunJson(const std::string& name) {
  return json({{"apiVersion", "tekton.dev/v1"},
               {"kind", "PipelineRun"},
               {"metadata", {{"name", name}}},
               {"spec", {{"pipelineRef", {{"name", "build"}}}}}})
      .dump();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(ServerOptions{});
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
  }

  // Watch: reads a watch response until `stop` returns true or the server ends it; returns the
  // events and the HTTP status.
  std::vector<json> Watch(const std::string& path, int* status,
                          const std::function<bool(const std::vector<json>&)>& stop,
                          std::string* content_type = nullptr) {
    std::vector<json> events;
    std::string buffer;
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(10, 0);
    auto r = c.Get(
        path, httplib::Headers{{"Accept", "application/json"}},
        [&](const httplib::Response& res) {
          *status = res.status;
          if (content_type != nullptr) *content_type = res.get_header_value("Content-Type");
          return true;
        },
        [&](const char* data, size_t n) {
          buffer.append(data, n);
          size_t nl;
          while ((nl = buffer.find('\n')) != std::string::npos) {
            events.push_back(json::parse(buffer.substr(0, nl)));
            buffer.erase(0, nl + 1);
          }
          return !stop(events);
        });
    if (r) *status = r->status;
    return events;
  }

  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, DiscoveryAnswersAggregatedAcceptWithLegacyJson) {
  httplib::Headers aggregated = {
      {"Accept",
       "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
       "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
       "application/json"}};
  auto apis = client_->Get("/apis?timeout=32s", aggregated);
  ASSERT_TRUE(apis);
  EXPECT_EQ(apis->get_header_value("Content-Type"), "application/json");
  json groups = Body(apis);
  EXPECT_EQ(groups["kind"], "APIGroupList");
  std::vector<std::string> names;
  for (const auto& g : groups["groups"]) names.push_back(g["name"]);
  EXPECT_THAT(names,
              ::testing::IsSupersetOf({"apps", "tekton.dev", "kyverno.io",
                                       "admissionregistration.k8s.io", "apiextensions.k8s.io"}));
  json api = Body(client_->Get("/api", aggregated));
  EXPECT_EQ(api["versions"], json::array({"v1"}));
  json version = Body(client_->Get("/version?timeout=5s"));
  EXPECT_EQ(version["gitVersion"], "v1.32.0");
  json tekton = Body(client_->Get("/apis/tekton.dev/v1"));
  EXPECT_EQ(tekton["kind"], "APIResourceList");
  json pr;
  bool status_entry = false;
  for (const auto& r : tekton["resources"]) {
    if (r["name"] == "pipelineruns") pr = r;
    if (r["name"] == "pipelineruns/status") status_entry = true;
  }
  EXPECT_TRUE(status_entry);
  EXPECT_EQ(pr["kind"], "PipelineRun");
  EXPECT_EQ(pr["shortNames"], json::array({"pr", "prs"}));
  EXPECT_EQ(pr["categories"], json::array({"tekton", "tekton-pipelines"}));
  EXPECT_EQ(pr["namespaced"], true);
  json group = Body(client_->Get("/apis/tekton.dev"));
  EXPECT_EQ(group["preferredVersion"]["version"], "v1");
  json core = Body(client_->Get("/api/v1"));
  EXPECT_EQ(core["groupVersion"], "v1");
  auto missing = client_->Get("/apis/nope.example.com/v1");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["message"], "the server could not find the requested resource");
}

TEST_F(ServerTest, OpenApiV3AdvertisesFieldValidationForKubectl) {
  json root = Body(client_->Get("/openapi/v3"));
  ASSERT_TRUE(root["paths"].contains("apis/tekton.dev/v1"));
  std::string url = root["paths"]["apis/tekton.dev/v1"]["serverRelativeURL"];
  EXPECT_THAT(url, HasSubstr("/openapi/v3/apis/tekton.dev/v1?hash="));
  json doc = Body(client_->Get(url));
  EXPECT_EQ(doc["openapi"], "3.0.0");
  const json& patch =
      doc["paths"]["/apis/tekton.dev/v1/namespaces/{namespace}/pipelineruns/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"],
            json::parse(R"({"group":"tekton.dev","version":"v1","kind":"PipelineRun"})"));
  bool field_validation = false;
  for (const auto& p : patch["parameters"]) {
    if (p["name"] == "fieldValidation" && p["in"] == "query") field_validation = true;
  }
  EXPECT_TRUE(field_validation);
  json core = Body(client_->Get("/openapi/v3/api/v1"));
  EXPECT_TRUE(core["components"]["schemas"].contains("io.k8s.api.core.v1.ConfigMap"));
  EXPECT_TRUE(
      core["components"]["schemas"].contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
}

TEST_F(ServerTest, CrudOverHttp) {
  auto created = client_->Post(kRuns, RunJson("pr1"), "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  auto got = client_->Get(absl::StrCat(kRuns, "/pr1"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/json");
  auto patched =
      client_->Patch(absl::StrCat(kRuns, "/pr1"),
                     R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})",
                     "application/merge-patch+json");
  EXPECT_EQ(Body(patched)["metadata"]["annotations"]["chains.tekton.dev/signed"], "true");
  auto strategic =
      client_->Patch(absl::StrCat(kRuns, "/pr1"), "{}", "application/strategic-merge-patch+json");
  ASSERT_TRUE(strategic);
  EXPECT_EQ(strategic->status, 415);
  auto list = client_->Get("/apis/tekton.dev/v1/pipelineruns?limit=500");
  EXPECT_EQ(Body(list)["items"].size(), 1u);
  auto deleted = client_->Delete(absl::StrCat(kRuns, "/pr1"));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);
  auto gone = client_->Get(absl::StrCat(kRuns, "/pr1"));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(Body(gone), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"pipelineruns.tekton.dev \"pr1\" not found",
      "reason":"NotFound","details":{"name":"pr1","group":"tekton.dev","kind":"pipelineruns"},
      "code":404})"));
}

TEST_F(ServerTest, WatchStreamsOneJsonEventPerLine) {
  std::string rv = Body(client_->Get(kRuns))["metadata"]["resourceVersion"];
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    httplib::Client c("127.0.0.1", server_->port());
    c.Post(kRuns, RunJson("w1"), "application/json");
    c.Patch(absl::StrCat(kRuns, "/w1"), R"({"metadata":{"labels":{"a":"b"}}})",
            "application/merge-patch+json");
  });
  int status = 0;
  std::string content_type;
  // python sends watch=True: anything but "0" and "false" (any case) is true to kube.
  std::vector<json> events = Watch(
      absl::StrCat(kRuns, "?watch=True&resourceVersion=", rv, "&allowWatchBookmarks=True"), &status,
      [](const std::vector<json>& e) { return e.size() >= 2; }, &content_type);
  writer.join();
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(absl::StartsWith(content_type, "application/json")) << content_type;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "MODIFIED");
  EXPECT_EQ(events[1]["object"]["metadata"]["labels"]["a"], "b");
}

TEST_F(ServerTest, WatchTimeoutEndsTheStreamCleanly) {
  int status = 0;
  absl::Time start = absl::Now();
  std::vector<json> events = Watch(absl::StrCat(kRuns, "?watch=1&timeoutSeconds=1"), &status,
                                   [](const std::vector<json>&) { return false; });
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(events.empty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(ServerTest, CompactionGivesExpiredInBothShapes) {
  std::string rv = Body(client_->Get(kRuns))["metadata"]["resourceVersion"];
  client_->Post(kRuns, RunJson("a"), "application/json");
  client_->Post(kRuns, RunJson("b"), "application/json");
  json compacted = Body(client_->Post("/__hallmark/compact", "", "application/json"));
  std::string floor = absl::StrCat(compacted["compactedRevision"].get<uint64_t>());
  std::string expected = absl::StrCat("too old resource version: ", rv, " (", floor, ")");

  int status = 0;
  std::vector<json> events = Watch(absl::StrCat(kRuns, "?watch=true&resourceVersion=", rv), &status,
                                   [](const std::vector<json>&) { return false; });
  EXPECT_EQ(status, 200);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["code"], 410);
  EXPECT_EQ(events[0]["object"]["reason"], "Expired");
  EXPECT_EQ(events[0]["object"]["message"], expected);

  json settings = Body(
      client_->Put("/__hallmark/watch-settings", R"({"expiredAs":"http"})", "application/json"));
  EXPECT_EQ(settings["expiredAs"], "http");
  auto http410 = client_->Get(absl::StrCat(kRuns, "?watch=true&resourceVersion=", rv));
  ASSERT_TRUE(http410);
  EXPECT_EQ(http410->status, 410);
  EXPECT_EQ(Body(http410)["message"], expected);
}

TEST_F(ServerTest, BookmarksAtTheConfiguredInterval) {
  Body(client_->Put("/__hallmark/watch-settings", R"({"bookmarkIntervalSeconds":0.2})",
                    "application/json"));
  std::string rv = Body(client_->Get(kRuns))["metadata"]["resourceVersion"];
  int status = 0;
  std::vector<json> events =
      Watch(absl::StrCat(kRuns, "?watch=true&allowWatchBookmarks=true&resourceVersion=", rv),
            &status, [](const std::vector<json>& e) { return e.size() >= 2; });
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "BOOKMARK");
  EXPECT_EQ(events[0]["object"]["metadata"]["resourceVersion"], rv);
}

TEST_F(ServerTest, DropWatchesEndsThem) {
  std::thread dropper([&] {
    absl::SleepFor(absl::Milliseconds(300));
    httplib::Client c("127.0.0.1", server_->port());
    c.Post("/__hallmark/drop-watches", "", "application/json");
  });
  int status = 0;
  absl::Time start = absl::Now();
  Watch(absl::StrCat(kRuns, "?watch=true"), &status,
        [](const std::vector<json>&) { return false; });
  dropper.join();
  EXPECT_EQ(status, 200);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  // abrupt=1 closes the connection mid-stream: the client sees a broken response, not an end.
  std::thread abrupt([&] {
    absl::SleepFor(absl::Milliseconds(300));
    httplib::Client c("127.0.0.1", server_->port());
    c.Post("/__hallmark/drop-watches?abrupt=1", "", "application/json");
  });
  httplib::Client c("127.0.0.1", server_->port());
  auto broken = c.Get(absl::StrCat(kRuns, "?watch=true"), [](const char*, size_t) { return true; });
  abrupt.join();
  EXPECT_FALSE(broken);
  // Later watches are unaffected.
  auto later = c.Get(absl::StrCat(kRuns, "?watch=true&timeoutSeconds=1"));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
}

TEST_F(ServerTest, FaultInjectionAndRequestLog) {
  client_->Delete("/__hallmark/requests");
  Body(client_->Post("/__hallmark/faults",
                     R"({"path":"/apis/tekton.dev/v1/.*","verb":"create","code":429,
                         "retryAfter":2,"count":1})",
                     "application/json"));
  auto throttled = client_->Post(kRuns, RunJson("f"), "application/json");
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->status, 429);
  EXPECT_EQ(throttled->get_header_value("Retry-After"), "2");
  EXPECT_EQ(Body(throttled)["reason"], "TooManyRequests");
  auto retried = client_->Post(kRuns, RunJson("f"), "application/json");
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->status, 201);
  Body(client_->Post("/__hallmark/faults", R"({"path":".*/pipelineruns/f","stallSeconds":0.5})",
                     "application/json"));
  absl::Time start = absl::Now();
  auto stalled = client_->Get(absl::StrCat(kRuns, "/f"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(450));
  EXPECT_EQ(Body(stalled)["metadata"]["name"], "f");

  json log = Body(client_->Get("/__hallmark/requests"));
  std::vector<std::string> seen;
  for (const auto& r : log["requests"]) {
    seen.push_back(absl::StrCat(r["method"].get<std::string>(), " ", r.value("verb", ""), " ",
                                r["status"].get<int>()));
  }
  EXPECT_THAT(seen, ElementsAre("POST create 429", "POST create 201", "GET get 200"));
  const json& first = log["requests"][0];
  EXPECT_EQ(first["path"], kRuns);
  EXPECT_EQ(first["resource"], "pipelineruns");
  EXPECT_EQ(first["apiGroup"], "tekton.dev");
  EXPECT_EQ(first["namespace"], "default");
  EXPECT_THAT(first["userAgent"].get<std::string>(), HasSubstr("cpp-httplib"));
  EXPECT_EQ(json::parse(first["body"].get<std::string>())["metadata"]["name"], "f");
  EXPECT_EQ(first["contentType"], "application/json");
  // Secret bodies are never logged.
  client_->Post("/api/v1/namespaces/default/secrets",
                R"({"metadata":{"name":"s"},"stringData":{"cosign.password":"hunter2"}})",
                "application/json");
  std::string all = client_->Get("/__hallmark/requests")->body;
  EXPECT_THAT(all, ::testing::Not(HasSubstr("hunter2")));
  auto bad = client_->Post("/__hallmark/faults", R"({"path":"(","code":500})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

// The request log records what kube-apiserver's RequestInfo makes of each request (what RBAC
// authorises): a Namespace is in itself, a list or watch narrowed to one name names it.
TEST_F(ServerTest, RequestLogRecordsKubesRequestAttributes) {
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  ASSERT_EQ(client_->Post(cms, R"({"metadata":{"name":"cm"}})", "application/json")->status, 201);
  client_->Delete("/__hallmark/requests");
  EXPECT_EQ(client_->Get("/api/v1/namespaces/default")->status, 200);
  EXPECT_EQ(client_
                ->Patch("/api/v1/namespaces/default", R"({"metadata":{"labels":{"a":"b"}}})",
                        "application/merge-patch+json")
                ->status,
            200);
  EXPECT_EQ(client_->Get(cms + "?fieldSelector=metadata.name%3Dcm")->status, 200);
  EXPECT_EQ(
      client_->Get(cms + "?fieldSelector=metadata.name%3D%3Dcm&watch=1&timeoutSeconds=1")->status,
      200);
  // `watch` on a named object is ignored, as by kube: the object comes back.
  auto named = client_->Get(cms + "/cm?watch=true");
  ASSERT_TRUE(named);
  EXPECT_EQ(Body(named)["metadata"]["name"], "cm");
  // Unknown resources are still logged with their attributes (RBAC sees them before routing).
  EXPECT_EQ(client_->Get("/apis/widgets.example.com/v1/namespaces/default/widgets/w")->status, 404);
  // A bare /watch is no resource at all.
  EXPECT_EQ(client_->Get("/api/v1/watch")->status, 404);
  // The deprecated watch of one object takes no field selector naming another.
  auto other = client_->Get(
      "/api/v1/watch/namespaces/default/configmaps/cm?fieldSelector="
      "metadata.name%3Dother");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 400);
  EXPECT_EQ(Body(other)["message"], "fieldSelector metadata.name doesn't match requested name");

  json log = Body(client_->Get("/__hallmark/requests"));
  std::vector<std::string> seen;
  for (const auto& r : log["requests"]) {
    seen.push_back(absl::StrCat(r.value("verb", ""), " ", r.value("apiGroup", ""), "/",
                                r.value("resource", ""), " ", r.value("namespace", ""), "/",
                                r.value("name", ""), " ", r["status"].get<int>()));
  }
  EXPECT_THAT(
      seen,
      ElementsAre("get /namespaces default/default 200", "patch /namespaces default/default 200",
                  "list /configmaps default/cm 200", "watch /configmaps default/cm 200",
                  "get /configmaps default/cm 200", "get widgets.example.com/widgets default/w 404",
                  "watch / / 404", "watch /configmaps default/cm 400"));
}

// A name that is not UTF-8 (%FF in the path) is quoted as Go quotes it (U+FFFD): it used to make
// the error itself fail to serialise, and answer 500.
TEST_F(ServerTest, InvalidUtf8InANameIsStillA404) {
  auto got = client_->Get("/api/v1/namespaces/default/configmaps/a%FFb");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 404);
  json status = Body(got);
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["message"],
            "configmaps \"a\xEF\xBF\xBD"
            "b\" not found");
}

TEST_F(ServerTest, ProtobufBodiesOfTypedKubectlCommands) {
  k8s::Namespace ns;
  ns.mutable_metadata()->set_name("from-protobuf");
  (*ns.mutable_metadata()->mutable_labels())["team"] = "a";
  k8s::Unknown unknown;
  unknown.mutable_typemeta()->set_apiversion("v1");
  unknown.mutable_typemeta()->set_kind("Namespace");
  unknown.set_raw(ns.SerializeAsString());
  std::string body = std::string("k8s\0", 4) + unknown.SerializeAsString();
  auto created = client_->Post("/api/v1/namespaces", body, "application/vnd.kubernetes.protobuf");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(Body(created)["metadata"]["labels"]["team"], "a");
  auto junk =
      client_->Post("/api/v1/namespaces", "k8s\0junk", "application/vnd.kubernetes.protobuf");
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status, 400);
  auto other =
      client_->Post("/apis/apps/v1/namespaces/default/deployments", "x", "application/cbor");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 415);
}

TEST(ServerAuth, TokensAndRotation) {
  ServerOptions options;
  options.tokens.emplace_back("t1");
  std::unique_ptr<ApiServer> server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  httplib::Client c("127.0.0.1", server->port());
  auto anonymous = c.Get("/api/v1/namespaces");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(Body(anonymous), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));
  // /version stays public (kubectl's dispatcher probes it).
  EXPECT_EQ(c.Get("/version")->status, 200);
  // The scheme word in any case, surrounding spaces trimmed (python's in-cluster loader).
  EXPECT_EQ(c.Get("/api/v1/namespaces", {{"authorization", "bearer  t1 "}})->status, 200);
  EXPECT_EQ(c.Get("/api/v1/namespaces", {{"Authorization", "Bearer wrong"}})->status, 401);
  Body(c.Put("/__hallmark/tokens", R"({"tokens":["t2","t3"]})", "application/json"));
  EXPECT_EQ(c.Get("/api/v1/namespaces", {{"Authorization", "Bearer t1"}})->status, 401);
  EXPECT_EQ(c.Get("/api/v1/namespaces", {{"Authorization", "Bearer t3"}})->status, 200);
  json state = Body(c.Get("/__hallmark/state"));
  EXPECT_EQ(state["tokens"], 2);
  server->Stop();
}

TEST(ServerTls, ClientCertificatesFromTheClientCa) {
  std::string dir = ::hallmark::testing::TempDir();
  // A client CA and a client certificate made by the real openssl CLI.
  auto run = [&](std::vector<std::string> argv) {
    absl::StatusOr<::hallmark::testing::CommandResult> r = ::hallmark::testing::RunCommand(argv);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << r->err;
  };
  run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir + "/client-ca.key", "-out", dir + "/client-ca.crt", "-days", "1", "-subj",
       "/CN=client-ca"});
  run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir + "/client.key", "-out", dir + "/client.csr", "-subj",
       "/O=system:masters/CN=chains-test"});
  run({"openssl", "x509", "-req", "-in", dir + "/client.csr", "-CA", dir + "/client-ca.crt",
       "-CAkey", dir + "/client-ca.key", "-CAcreateserial", "-out", dir + "/client.crt", "-days",
       "1"});
  ServerOptions options;
  options.tls_self_signed_dir = dir + "/tls";
  options.client_ca = dir + "/client-ca.crt";
  std::unique_ptr<ApiServer> server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->url(), absl::StrCat("https://127.0.0.1:", server->port()));
  httplib::SSLClient with_cert("127.0.0.1", server->port(), dir + "/client.crt",
                               dir + "/client.key");
  with_cert.set_ca_cert_path((dir + "/tls/ca.crt").c_str());
  with_cert.enable_server_certificate_verification(true);
  auto ok = with_cert.Get("/api/v1/namespaces/default");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  httplib::SSLClient without("127.0.0.1", server->port());
  without.set_ca_cert_path((dir + "/tls/ca.crt").c_str());
  without.enable_server_certificate_verification(true);
  auto denied = without.Get("/api/v1/namespaces/default");
  ASSERT_TRUE(denied) << httplib::to_string(denied.error());
  EXPECT_EQ(denied->status, 401);
  // The request log names the certificate's user.
  httplib::SSLClient knobs("127.0.0.1", server->port());
  knobs.enable_server_certificate_verification(false);
  json log = Body(knobs.Get("/__hallmark/requests"));
  EXPECT_EQ(log["requests"][0]["user"], "chains-test");
  server->Stop();
  // The self-signed set is reused on restart, so clients keep trusting ca.crt.
  std::string ca = ::hallmark::testing::ReadFileOrDie(dir + "/tls/ca.crt");
  ServerOptions again;
  again.tls_self_signed_dir = dir + "/tls";
  std::unique_ptr<ApiServer> restarted = StartServer(std::move(again));
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(::hallmark::testing::ReadFileOrDie(dir + "/tls/ca.crt"), ca);
  restarted->Stop();
}

TEST(ServerPersistence, DataFileSurvivesARestartAndSeedsLoad) {
  std::string dir = ::hallmark::testing::TempDir();
  ::hallmark::testing::WriteFileOrDie(dir + "/seed.yaml", R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: seeded-1, namespace: team}
  data: {a: "1"}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: seeded-2, namespace: team}
---
apiVersion: tekton.dev/v1
kind: TaskRun
metadata: {name: done, namespace: team}
spec: {taskRef: {name: t}}
status:
  conditions: [{type: Succeeded, status: "True"}]
)");
  ServerOptions options;
  options.data_file = dir + "/store.json";
  options.seeds = {dir + "/seed.yaml"};
  std::unique_ptr<ApiServer> server = StartServer(options);
  ASSERT_NE(server, nullptr);
  httplib::Client c("127.0.0.1", server->port());
  json tr = Body(c.Get("/apis/tekton.dev/v1/namespaces/team/taskruns/done"));
  EXPECT_EQ(tr["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(Body(c.Get("/api/v1/namespaces/team/configmaps"))["items"].size(), 2u);
  EXPECT_EQ(Body(c.Get("/api/v1/namespaces/team"))["status"]["phase"], "Active");
  auto created = c.Post(kRuns, RunJson("kept"), "application/json");
  ASSERT_TRUE(created);
  std::string rv = Body(created)["metadata"]["resourceVersion"];
  server->Stop();
  ASSERT_TRUE(FileExists(dir + "/store.json"));

  ServerOptions reload;
  reload.data_file = dir + "/store.json";
  std::unique_ptr<ApiServer> again = StartServer(reload);
  ASSERT_NE(again, nullptr);
  httplib::Client c2("127.0.0.1", again->port());
  json kept = Body(c2.Get(absl::StrCat(kRuns, "/kept")));
  EXPECT_EQ(kept["metadata"]["resourceVersion"], rv);
  auto next = c2.Post(kRuns, RunJson("after"), "application/json");
  EXPECT_GT(std::stoull(Body(next)["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(rv));
  again->Stop();
}

}  // namespace
}  // namespace hallmark::tests::apiserver
