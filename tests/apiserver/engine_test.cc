#include "tests/apiserver/engine.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/apiserver/api_error.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

WatchOptions WatchFrom(std::string rv) {
  WatchOptions o;
  o.resource_version = std::move(rv);
  return o;
}

WatchOptions WatchLabels(std::string selector) {
  WatchOptions o;
  o.label_selector = std::move(selector);
  return o;
}

ListOptions ListWith(int64_t limit, std::string token = "", std::string labels = "",
                     std::string fields = "") {
  ListOptions o;
  o.limit = limit;
  o.continue_token = std::move(token);
  o.label_selector = std::move(labels);
  o.field_selector = std::move(fields);
  return o;
}

WriteOptions Validation(std::string mode) {
  WriteOptions o;
  o.field_validation = std::move(mode);
  return o;
}

WriteOptions Manager(std::string manager, bool force = false) {
  WriteOptions o;
  o.field_manager = std::move(manager);
  o.force = force;
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.clock = &clock_;
    options.history_limit = 1000;
    absl::StatusOr<std::unique_ptr<ApiEngine>> engine = ApiEngine::New(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  const ResourceInfo& Res(const std::string& group, const std::string& version,
                          const std::string& resource) {
    registry_ = engine_->registry();
    const ResourceInfo* info = registry_->Find(group, version, resource);
    EXPECT_NE(info, nullptr) << group << "/" << version << "/" << resource;
    return *info;
  }
  const ResourceInfo& Runs() { return Res("tekton.dev", "v1", "pipelineruns"); }
  const ResourceInfo& ConfigMaps() { return Res("", "v1", "configmaps"); }
  const ResourceInfo& Namespaces() { return Res("", "v1", "namespaces"); }

  static json Run(const std::string& name, json extra = json::object()) {
    json run = {{"apiVersion", "tekton.dev/v1"},
                {"kind", "PipelineRun"},
                {"metadata", {{"name", name}}},
                {"spec", {{"pipelineRef", {{"name", "build"}}}}}};
    run.merge_patch(extra);
    return run;
  }

  json MustCreate(const ResourceInfo& info, const std::string& ns, json obj,
                  WriteOptions options = {}) {
    absl::StatusOr<WriteResult> r = engine_->Create(info, ns, std::move(obj), options);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return json();
    EXPECT_EQ(r->code, 201);
    return json::parse(r->body);
  }

  json MustGet(const ResourceInfo& info, const std::string& ns, const std::string& name) {
    absl::StatusOr<std::string> r = engine_->Get(info, ns, name);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? json::parse(*r) : json();
  }

  json MustPatch(const ResourceInfo& info, const std::string& ns, const std::string& name,
                 const std::string& type, const std::string& body,
                 const std::string& subresource = "") {
    absl::StatusOr<WriteResult> r =
        engine_->Patch(info, ns, name, subresource, type, body, WriteOptions{});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? json::parse(r->body) : json();
  }

  // Error: the ApiError of a failed call.
  template <typename T>
  static ApiError Error(const absl::StatusOr<T>& r) {
    EXPECT_FALSE(r.ok());
    return r.ok() ? ApiError{} : ApiError::FromStatus(r.status());
  }

  // Drain: the events a watch yields within `wait`.
  static std::vector<json> Drain(WatchStream* w, absl::Duration wait = absl::Milliseconds(300),
                                 bool* finished = nullptr) {
    std::vector<json> events;
    absl::Time deadline = absl::Now() + wait;
    while (absl::Now() < deadline) {
      WatchStream::Output out = w->Next(absl::Milliseconds(50));
      for (absl::string_view line : absl::StrSplit(out.data, '\n', absl::SkipEmpty())) {
        events.push_back(json::parse(line));
      }
      if (out.finished) {
        if (finished != nullptr) *finished = true;
        break;
      }
    }
    return events;
  }

  static std::vector<std::string> Types(const std::vector<json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e["type"]);
    return out;
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<ApiEngine> engine_;
  std::shared_ptr<const Registry> registry_;
};

TEST_F(EngineTest, CreateSetsSystemFieldsAndIgnoresStatus) {
  json run = MustCreate(Runs(), "default",
                        Run("pr1", {{"status", {{"conditions", {{{"type", "Succeeded"}}}}}},
                                    {"metadata", {{"uid", "client-chosen"}}}}));
  EXPECT_EQ(run["apiVersion"], "tekton.dev/v1");
  EXPECT_EQ(run["kind"], "PipelineRun");
  EXPECT_EQ(run["metadata"]["namespace"], "default");
  EXPECT_EQ(run["metadata"]["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(run["metadata"]["generation"], 1);
  EXPECT_NE(run["metadata"]["uid"], "client-chosen");
  EXPECT_EQ(run["metadata"]["uid"].get<std::string>().size(), 36u);
  EXPECT_FALSE(run.contains("status"));
  EXPECT_EQ(run["metadata"]["resourceVersion"], absl::StrCat(engine_->store()->Revision()));
  EXPECT_EQ(MustGet(Runs(), "default", "pr1"), run);
}

TEST_F(EngineTest, GenerateNameAndConflicts) {
  json a = MustCreate(Runs(), "default", {{"metadata", {{"generateName", "build-"}}}});
  std::string name = a["metadata"]["name"];
  ASSERT_EQ(name.size(), 11u);
  EXPECT_EQ(name.substr(0, 6), "build-");
  EXPECT_EQ(name.find_first_not_of("bcdfghjklmnpqrstvwxz2456789", 6), std::string::npos);

  MustCreate(Runs(), "default", Run("dup"));
  ApiError e = Error(engine_->Create(Runs(), "default", Run("dup"), WriteOptions{}));
  EXPECT_EQ(e.code, 409);
  EXPECT_EQ(e.reason, "AlreadyExists");
  EXPECT_EQ(e.message, "pipelineruns.tekton.dev \"dup\" already exists");
  EXPECT_EQ(e.details_kind, "pipelineruns");

  ApiError missing_ns = Error(engine_->Create(Runs(), "nope", Run("x"), WriteOptions{}));
  EXPECT_EQ(missing_ns.code, 404);
  EXPECT_EQ(missing_ns.message, "namespaces \"nope\" not found");

  ApiError no_name =
      Error(engine_->Create(Runs(), "default", {{"metadata", json::object()}}, WriteOptions{}));
  EXPECT_EQ(no_name.code, 422);
  EXPECT_EQ(no_name.message,
            "PipelineRun.tekton.dev \"\" is invalid: metadata.name: Required value: name or "
            "generateName is required");
}

TEST_F(EngineTest, NotFoundMessages) {
  ApiError e = Error(engine_->Get(Runs(), "default", "x"));
  EXPECT_EQ(e.code, 404);
  EXPECT_EQ(e.reason, "NotFound");
  EXPECT_EQ(e.message, "pipelineruns.tekton.dev \"x\" not found");
  EXPECT_EQ(e.ToJson()["details"],
            json::parse(R"({"name":"x","group":"tekton.dev","kind":"pipelineruns"})"));
  ApiError s = Error(engine_->Get(Res("", "v1", "secrets"), "default", "signing-secrets"));
  EXPECT_EQ(s.message, "secrets \"signing-secrets\" not found");
}

TEST_F(EngineTest, OptimisticConcurrency) {
  json run = MustCreate(Runs(), "default", Run("pr"));
  std::string rv = run["metadata"]["resourceVersion"];
  json next = run;
  next["spec"]["params"] = json::array({{{"name", "a"}, {"value", "b"}}});
  absl::StatusOr<WriteResult> ok = engine_->Update(Runs(), "default", "pr", "", next, {});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(json::parse(ok->body)["metadata"]["generation"], 2);

  // The same stale resourceVersion again: 409 with kube's text.
  ApiError stale = Error(engine_->Update(Runs(), "default", "pr", "", next, {}));
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(stale.reason, "Conflict");
  EXPECT_EQ(stale.message,
            "Operation cannot be fulfilled on pipelineruns.tekton.dev \"pr\": the object has been "
            "modified; please apply your changes to the latest version and try again");

  // A custom resource PUT without resourceVersion: 422.
  next["metadata"].erase("resourceVersion");
  ApiError missing = Error(engine_->Update(Runs(), "default", "pr", "", next, {}));
  EXPECT_EQ(missing.code, 422);
  EXPECT_EQ(missing.message,
            "pipelineruns.tekton.dev \"pr\" is invalid: metadata.resourceVersion: Invalid value: "
            "0x0: must be specified for an update");

  // A built-in kind allows an unconditional update.
  MustCreate(ConfigMaps(), "default", {{"metadata", {{"name", "cm"}}}, {"data", {{"a", "1"}}}});
  EXPECT_THAT(engine_->Update(ConfigMaps(), "default", "cm", "",
                              {{"metadata", {{"name", "cm"}}}, {"data", {{"a", "2"}}}}, {}),
              IsOk());

  // kubectl annotate --resource-version sends the version inside a merge patch.
  std::string current = MustGet(Runs(), "default", "pr")["metadata"]["resourceVersion"];
  ApiError annotate = Error(engine_->Patch(
      Runs(), "default", "pr", "", "application/merge-patch+json",
      absl::StrCat(R"({"metadata":{"annotations":{"a":"b"},"resourceVersion":")", rv, R"("}})"),
      {}));
  EXPECT_EQ(annotate.code, 409);
  EXPECT_EQ(MustGet(Runs(), "default", "pr")["metadata"]["resourceVersion"], current);
}

TEST_F(EngineTest, PatchFormats) {
  MustCreate(Runs(), "default", Run("pr"));
  json merged = MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
                          R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})");
  EXPECT_EQ(merged["metadata"]["annotations"]["chains.tekton.dev/signed"], "true");

  json patched = MustPatch(
      Runs(), "default", "pr", "application/json-patch+json",
      R"([{"op":"test","path":"/metadata/annotations/chains.tekton.dev~1signed","value":"true"},
          {"op":"add","path":"/metadata/labels","value":{"x":"y"}}])");
  EXPECT_EQ(patched["metadata"]["labels"]["x"], "y");

  ApiError failed =
      Error(engine_->Patch(Runs(), "default", "pr", "", "application/json-patch+json",
                           R"([{"op":"test","path":"/metadata/labels/x","value":"z"}])", {}));
  EXPECT_EQ(failed.code, 422);
  EXPECT_EQ(failed.reason, "Invalid");
  EXPECT_EQ(failed.message, "the server rejected our request due to an error in our request");

  ApiError unparsable =
      Error(engine_->Patch(Runs(), "default", "pr", "", "application/json-patch+json", "[{", {}));
  EXPECT_EQ(unparsable.code, 400);

  ApiError strategic = Error(engine_->Patch(Runs(), "default", "pr", "",
                                            "application/strategic-merge-patch+json", "{}", {}));
  EXPECT_EQ(strategic.code, 415);
  EXPECT_EQ(strategic.reason, "UnsupportedMediaType");
  EXPECT_EQ(strategic.message,
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml");

  // Built-in kinds take strategic merge patches (merging containers by name).
  const ResourceInfo& deployments = Res("apps", "v1", "deployments");
  MustCreate(deployments, "default", json::parse(R"({"metadata":{"name":"d"},"spec":{
      "selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},
      "spec":{"containers":[{"name":"c1","image":"one"},{"name":"c2","image":"two"}]}}}})"));
  json d =
      MustPatch(deployments, "default", "d", "application/strategic-merge-patch+json",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"c2","image":"new"}]}}}})");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"].size(), 2u);
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][1]["image"], "new");
}

TEST_F(EngineTest, NoOpWritesKeepTheResourceVersionAndEmitNoEvent) {
  json run = MustCreate(Runs(), "default", Run("pr", {{"metadata", {{"labels", {{"a", "b"}}}}}}));
  uint64_t revision = engine_->store()->Revision();
  json again = MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
                         R"({"metadata":{"labels":{"a":"b"}}})");
  EXPECT_EQ(again["metadata"]["resourceVersion"], run["metadata"]["resourceVersion"]);
  EXPECT_EQ(engine_->store()->Revision(), revision);
}

TEST_F(EngineTest, StatusSubresource) {
  MustCreate(Runs(), "default", Run("pr"));
  // The main resource ignores .status.
  json main = MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
                        R"({"status":{"conditions":[{"type":"Succeeded","status":"True"}]},
                            "metadata":{"labels":{"l":"1"}}})");
  EXPECT_FALSE(main.contains("status"));
  EXPECT_EQ(main["metadata"]["labels"]["l"], "1");
  EXPECT_EQ(main["metadata"]["generation"], 1);  // metadata-only change
  // /status changes only .status.
  json status = MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
                          R"({"status":{"conditions":[{"type":"Succeeded","status":"True"}]},
                              "metadata":{"labels":{"l":"2"}},"spec":{"x":1}})",
                          "status");
  EXPECT_EQ(status["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(status["metadata"]["labels"]["l"], "1");
  EXPECT_FALSE(status["spec"].contains("x"));
  EXPECT_EQ(status["metadata"]["generation"], 1);
  // A spec change bumps generation and keeps status.
  json spec = MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
                        R"({"spec":{"timeouts":{"pipeline":"1h"}}})");
  EXPECT_EQ(spec["metadata"]["generation"], 2);
  EXPECT_EQ(spec["status"]["conditions"][0]["status"], "True");
  // A PUT of the main resource cannot change status either.
  json put = spec;
  put["status"] = {{"conditions", json::array()}};
  absl::StatusOr<WriteResult> r = engine_->Update(Runs(), "default", "pr", "", put, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(json::parse(r->body)["status"]["conditions"][0]["status"], "True");
}

TEST_F(EngineTest, AnnotationSizeLimit) {
  MustCreate(Runs(), "default", Run("pr"));
  // key "k" + value: exactly 262144 bytes is allowed.
  std::string value(262143, 'v');
  json ok = {{"metadata", {{"annotations", {{"k", value}}}}}};
  EXPECT_THAT(
      engine_->Patch(Runs(), "default", "pr", "", "application/merge-patch+json", Dump(ok), {}),
      IsOk());
  json too_big = {{"metadata", {{"annotations", {{"k", value}, {"j", "x"}}}}}};
  ApiError e = Error(engine_->Patch(Runs(), "default", "pr", "", "application/merge-patch+json",
                                    Dump(too_big), {}));
  EXPECT_EQ(e.code, 422);
  EXPECT_EQ(e.reason, "Invalid");
  EXPECT_EQ(e.message,
            "PipelineRun.tekton.dev \"pr\" is invalid: metadata.annotations: Too long: may not "
            "be more than 262144 bytes");
  ASSERT_EQ(e.causes.size(), 1u);
  EXPECT_EQ(e.causes[0].type, "FieldValueTooLong");
  EXPECT_EQ(e.causes[0].field, "metadata.annotations");
  ApiError bad_key =
      Error(engine_->Patch(Runs(), "default", "pr", "", "application/merge-patch+json",
                           R"({"metadata":{"annotations":{"a/b/c":"x"}}})", {}));
  EXPECT_EQ(bad_key.code, 422);
  EXPECT_THAT(bad_key.message, HasSubstr("metadata.annotations: Invalid value: \"a/b/c\""));
}

TEST_F(EngineTest, FinalizersDeferDeletion) {
  MustCreate(Runs(), "default",
             Run("pr", {{"metadata", {{"finalizers", {"chains.tekton.dev/pipelinerun"}}}}}));
  absl::StatusOr<std::unique_ptr<WatchStream>> watch =
      engine_->Watch(Runs(), "default", WatchFrom(absl::StrCat(engine_->store()->Revision())));
  ASSERT_THAT(watch, IsOk());

  absl::StatusOr<WriteResult> del = engine_->Delete(Runs(), "default", "pr", json::object(), {});
  ASSERT_THAT(del, IsOk());
  json deleting = json::parse(del->body);
  EXPECT_EQ(deleting["metadata"]["deletionTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(deleting["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_TRUE(MustGet(Runs(), "default", "pr")["metadata"].contains("deletionTimestamp"));

  ApiError added = Error(engine_->Patch(
      Runs(), "default", "pr", "", "application/merge-patch+json",
      R"({"metadata":{"finalizers":["chains.tekton.dev/pipelinerun","other.dev/x"]}})", {}));
  EXPECT_EQ(added.code, 422);
  EXPECT_EQ(added.message,
            "PipelineRun.tekton.dev \"pr\" is invalid: metadata.finalizers: Forbidden: no new "
            "finalizers can be added if the object is being deleted, found new finalizers "
            "[]string{\"other.dev/x\"}");

  // Removing the last finalizer deletes the object.
  MustPatch(Runs(), "default", "pr", "application/json-patch+json",
            R"([{"op":"remove","path":"/metadata/finalizers/0"}])");
  EXPECT_EQ(Error(engine_->Get(Runs(), "default", "pr")).code, 404);
  EXPECT_THAT(Types(Drain(watch->get())), ElementsAre("MODIFIED", "DELETED"));
}

TEST_F(EngineTest, DeleteReturnsObjectOrStatusAndChecksPreconditions) {
  json run = MustCreate(Runs(), "default", Run("pr"));
  ApiError pre =
      Error(engine_->Delete(Runs(), "default", "pr", {{"preconditions", {{"uid", "other"}}}}, {}));
  EXPECT_EQ(pre.code, 409);
  EXPECT_THAT(pre.message, HasSubstr("Precondition failed: UID in precondition: other"));
  absl::StatusOr<WriteResult> del = engine_->Delete(Runs(), "default", "pr", json::object(), {});
  ASSERT_THAT(del, IsOk());
  EXPECT_EQ(json::parse(del->body)["metadata"]["uid"], run["metadata"]["uid"]);

  MustCreate(ConfigMaps(), "default", {{"metadata", {{"name", "cm"}}}});
  absl::StatusOr<WriteResult> cm =
      engine_->Delete(ConfigMaps(), "default", "cm", json::object(), {});
  ASSERT_THAT(cm, IsOk());
  json status = json::parse(cm->body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["status"], "Success");
  EXPECT_EQ(status["details"]["name"], "cm");
  EXPECT_EQ(Error(engine_->Delete(ConfigMaps(), "default", "cm", json::object(), {})).code, 404);
}

TEST_F(EngineTest, WatchResumesFromAResourceVersion) {
  MustCreate(Runs(), "default", Run("a"));
  std::string from = absl::StrCat(engine_->store()->Revision());
  MustCreate(Runs(), "default", Run("b"));
  MustCreate(Namespaces(), "", {{"metadata", {{"name", "other"}}}});
  MustCreate(Runs(), "other", Run("c"));
  MustPatch(Runs(), "default", "a", "application/merge-patch+json",
            R"({"metadata":{"labels":{"x":"y"}}})");
  MustCreate(ConfigMaps(), "default", {{"metadata", {{"name", "unrelated"}}}});
  ASSERT_THAT(engine_->Delete(Runs(), "default", "b", json::object(), {}), IsOk());

  auto w = engine_->Watch(Runs(), "default", WatchFrom(from));
  ASSERT_THAT(w, IsOk());
  std::vector<json> events = Drain(w->get());
  ASSERT_THAT(Types(events), ElementsAre("ADDED", "MODIFIED", "DELETED"));
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "b");
  EXPECT_EQ(events[1]["object"]["metadata"]["labels"]["x"], "y");
  EXPECT_EQ(events[2]["object"]["metadata"]["name"], "b");
  // DELETED carries the deletion revision.
  EXPECT_EQ(events[2]["object"]["metadata"]["resourceVersion"],
            absl::StrCat(engine_->store()->Revision() - 0));

  // Without a resourceVersion: the current state as ADDED events, then live changes.
  auto fresh = engine_->Watch(Runs(), "", {});
  ASSERT_THAT(fresh, IsOk());
  std::vector<json> initial = Drain(fresh->get(), absl::Milliseconds(100));
  ASSERT_THAT(Types(initial), ElementsAre("ADDED", "ADDED"));
  EXPECT_EQ(initial[0]["object"]["metadata"]["name"], "a");
  EXPECT_EQ(initial[1]["object"]["metadata"]["namespace"], "other");
  MustCreate(Runs(), "default", Run("d"));
  std::vector<json> live = Drain(fresh->get(), absl::Milliseconds(200));
  ASSERT_THAT(Types(live), ElementsAre("ADDED"));
  EXPECT_EQ(live[0]["object"]["metadata"]["name"], "d");
}

TEST_F(EngineTest, WatchSelectorTransitions) {
  auto w = engine_->Watch(Runs(), "default", WatchLabels("tekton.dev/pipeline=build"));
  ASSERT_THAT(w, IsOk());
  MustCreate(Runs(), "default", Run("pr"));
  MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
            R"({"metadata":{"labels":{"tekton.dev/pipeline":"build"}}})");
  MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
            R"({"metadata":{"annotations":{"a":"b"}}})");
  MustPatch(Runs(), "default", "pr", "application/merge-patch+json",
            R"({"metadata":{"labels":{"tekton.dev/pipeline":null}}})");
  std::vector<json> events = Drain(w->get());
  EXPECT_THAT(Types(events), ElementsAre("ADDED", "MODIFIED", "DELETED"));
}

TEST_F(EngineTest, CompactionGivesExpiredInBothShapes) {
  MustCreate(Runs(), "default", Run("a"));
  std::string old_rv = absl::StrCat(engine_->store()->Revision());
  MustCreate(Runs(), "default", Run("b"));
  engine_->store()->Compact(engine_->store()->Revision());
  uint64_t floor = engine_->store()->CompactedRevision();

  // What kube-apiserver does: 200, one ERROR event with a 410 Status, end of stream.
  auto w = engine_->Watch(Runs(), "default", WatchFrom(old_rv));
  ASSERT_THAT(w, IsOk());
  bool finished = false;
  std::vector<json> events = Drain(w->get(), absl::Milliseconds(200), &finished);
  EXPECT_TRUE(finished);
  ASSERT_THAT(Types(events), ElementsAre("ERROR"));
  json expected_status = {
      {"kind", "Status"},
      {"apiVersion", "v1"},
      {"metadata", json::object()},
      {"status", "Failure"},
      {"message", absl::StrCat("too old resource version: ", old_rv, " (", floor, ")")},
      {"reason", "Expired"},
      {"code", 410}};
  EXPECT_EQ(events[0]["object"], expected_status);

  // The knob for clients that must see an HTTP 410.
  WatchSettings settings = engine_->watch_settings();
  settings.expired_as_http = true;
  engine_->SetWatchSettings(settings);
  ApiError e = Error(engine_->Watch(Runs(), "default", WatchFrom(old_rv)));
  EXPECT_EQ(e.code, 410);
  EXPECT_EQ(e.reason, "Expired");
  EXPECT_EQ(e.message, absl::StrCat("too old resource version: ", old_rv, " (", floor, ")"));

  // A relist recovers: a list returns a revision at or above the floor, and a watch from it works.
  absl::StatusOr<std::string> list = engine_->List(Runs(), "default", {});
  ASSERT_THAT(list, IsOk());
  std::string list_rv = json::parse(*list)["metadata"]["resourceVersion"];
  EXPECT_THAT(engine_->Watch(Runs(), "default", WatchFrom(list_rv)), IsOk());
}

TEST_F(EngineTest, WatchBookmarksAndTimeout) {
  WatchSettings settings = engine_->watch_settings();
  settings.bookmark_interval = absl::Milliseconds(100);
  engine_->SetWatchSettings(settings);
  MustCreate(Runs(), "default", Run("a"));
  std::string rv = absl::StrCat(engine_->store()->Revision());
  WatchOptions options = WatchFrom(rv);
  options.allow_bookmarks = true;
  options.timeout_seconds = 1;
  auto w = engine_->Watch(Runs(), "default", options);
  ASSERT_THAT(w, IsOk());
  bool finished = false;
  absl::Time start = absl::Now();
  std::vector<json> events = Drain(w->get(), absl::Seconds(3), &finished);
  EXPECT_TRUE(finished);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) {
    EXPECT_EQ(e["type"], "BOOKMARK");
    EXPECT_EQ(e["object"], json::parse(absl::StrCat(
                               R"({"kind":"PipelineRun","apiVersion":"tekton.dev/v1",
                                   "metadata":{"resourceVersion":")",
                               rv, R"("}})")));
  }
}

TEST_F(EngineTest, SendInitialEventsEndsWithAnAnnotatedBookmark) {
  MustCreate(Runs(), "default", Run("a"));
  WatchOptions options;
  options.allow_bookmarks = true;
  options.send_initial_events = true;
  options.resource_version_match = "NotOlderThan";
  auto w = engine_->Watch(Runs(), "default", options);
  ASSERT_THAT(w, IsOk());
  std::vector<json> events = Drain(w->get(), absl::Milliseconds(100));
  ASSERT_THAT(Types(events), ElementsAre("ADDED", "BOOKMARK"));
  EXPECT_EQ(events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  WatchOptions incomplete;
  incomplete.send_initial_events = true;
  EXPECT_EQ(Error(engine_->Watch(Runs(), "default", incomplete)).code, 422);
}

TEST_F(EngineTest, ConcurrentWritersAndWatchersLoseNothing) {
  constexpr int kWriters = 4, kPatches = 150, kWatchers = 4;
  for (int w = 0; w < kWriters; ++w) MustCreate(Runs(), "default", Run(absl::StrCat("r", w)));
  std::string from = absl::StrCat(engine_->store()->Revision());
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int i = 0; i < kWatchers; ++i) {
    auto w = engine_->Watch(Runs(), "", WatchFrom(from));
    ASSERT_THAT(w, IsOk());
    watches.push_back(std::move(*w));
  }
  const ResourceInfo& runs = Runs();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int p = 0; p < kPatches; ++p) {
        // Two writers per object contend for it: optimistic concurrency retries internally.
        std::string name = absl::StrCat("r", w % 2);
        absl::StatusOr<WriteResult> r = engine_->Patch(
            runs, "default", name, "", "application/merge-patch+json",
            absl::StrCat(R"({"metadata":{"annotations":{"w)", w, R"(":")", p, R"("}}})"), {});
        EXPECT_THAT(r, IsOk());
      }
    });
  }
  std::vector<std::thread> readers;
  std::vector<int> counts(kWatchers, 0);
  for (int i = 0; i < kWatchers; ++i) {
    readers.emplace_back([&, i] {
      uint64_t last = 0;
      absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (counts[i] < kWriters * kPatches && absl::Now() < deadline) {
        WatchStream::Output out = watches[i]->Next(absl::Milliseconds(100));
        for (absl::string_view line : absl::StrSplit(out.data, '\n', absl::SkipEmpty())) {
          json e = json::parse(line);
          uint64_t rv = std::stoull(e["object"]["metadata"]["resourceVersion"].get<std::string>());
          EXPECT_GT(rv, last);  // revision order
          last = rv;
          ++counts[i];
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  for (auto& t : readers) t.join();
  for (int i = 0; i < kWatchers; ++i) EXPECT_EQ(counts[i], kWriters * kPatches);
  json r0 = MustGet(Runs(), "default", "r0");
  EXPECT_EQ(r0["metadata"]["annotations"]["w0"], absl::StrCat(kPatches - 1));
  EXPECT_EQ(r0["metadata"]["annotations"]["w2"], absl::StrCat(kPatches - 1));
}

TEST_F(EngineTest, PagedListsServeOneSnapshot) {
  for (const char* n : {"a", "b", "c", "d", "e"}) MustCreate(Runs(), "default", Run(n));
  absl::StatusOr<std::string> first = engine_->List(Runs(), "default", ListWith(2));
  ASSERT_THAT(first, IsOk());
  json page1 = json::parse(*first);
  EXPECT_EQ(page1["kind"], "PipelineRunList");
  ASSERT_EQ(page1["items"].size(), 2u);
  EXPECT_EQ(page1["metadata"]["remainingItemCount"], 3);
  std::string rv = page1["metadata"]["resourceVersion"];
  std::string token = page1["metadata"]["continue"];

  // A change after the first page does not show up in the later pages.
  MustCreate(Runs(), "default", Run("aa"));
  std::vector<std::string> names;
  for (const auto& item : page1["items"]) names.push_back(item["metadata"]["name"]);
  while (!token.empty()) {
    absl::StatusOr<std::string> next = engine_->List(Runs(), "default", ListWith(2, token));
    ASSERT_THAT(next, IsOk());
    json page = json::parse(*next);
    EXPECT_EQ(page["metadata"]["resourceVersion"], rv);
    for (const auto& item : page["items"]) names.push_back(item["metadata"]["name"]);
    token = page["metadata"].value("continue", "");
  }
  EXPECT_THAT(names, ElementsAre("a", "b", "c", "d", "e"));

  // After compaction the token is expired: 410 with kube's text and a token to go on with.
  absl::StatusOr<std::string> again = engine_->List(Runs(), "default", ListWith(2));
  std::string stale = json::parse(*again)["metadata"]["continue"];
  MustCreate(Runs(), "default", Run("zz"));
  engine_->store()->Compact(engine_->store()->Revision());
  ApiError e = Error(engine_->List(Runs(), "default", ListWith(2, stale)));
  EXPECT_EQ(e.code, 410);
  EXPECT_EQ(e.reason, "Expired");
  EXPECT_THAT(e.message, HasSubstr("The provided continue parameter is too old to display a "
                                   "consistent list result."));
  EXPECT_FALSE(e.list_continue.empty());
  EXPECT_EQ(Error(engine_->List(Runs(), "default", ListWith(0, "!!"))).code, 400);
}

TEST_F(EngineTest, ListSelectors) {
  MustCreate(Runs(), "default", Run("a", {{"metadata", {{"labels", {{"app", "x"}}}}}}));
  MustCreate(Runs(), "default", Run("b", {{"metadata", {{"labels", {{"app", "y"}}}}}}));
  auto names = [&](ListOptions o) {
    std::vector<std::string> out;
    absl::StatusOr<std::string> r = engine_->List(Runs(), "", o);
    EXPECT_THAT(r, IsOk());
    if (r.ok()) {
      json list = json::parse(*r);
      for (const auto& i : list["items"]) out.push_back(i["metadata"]["name"]);
    }
    return out;
  };
  EXPECT_THAT(names(ListWith(0, "", "app=x")), ElementsAre("a"));
  EXPECT_THAT(names(ListWith(0, "", "app in (x,y),app!=y")), ElementsAre("a"));
  EXPECT_THAT(names(ListWith(0, "", "", "metadata.name=b")), ElementsAre("b"));
  EXPECT_THAT(names(ListWith(0, "", "", "metadata.namespace=default")), ElementsAre("a", "b"));
  ApiError e = Error(engine_->List(Runs(), "", ListWith(0, "", "", "spec.x=1")));
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message, "field label not supported: spec.x");
  // Built-in list items carry no apiVersion/kind; custom resource items do.
  MustCreate(ConfigMaps(), "default", {{"metadata", {{"name", "cm"}}}});
  json cms = json::parse(*engine_->List(ConfigMaps(), "default", {}));
  EXPECT_FALSE(cms["items"][0].contains("kind"));
  json runs = json::parse(*engine_->List(Runs(), "default", {}));
  EXPECT_EQ(runs["items"][0]["kind"], "PipelineRun");
}

TEST_F(EngineTest, NamespaceTermination) {
  MustCreate(Namespaces(), "", {{"metadata", {{"name", "team"}}}});
  MustCreate(Runs(), "team", Run("held", {{"metadata", {{"finalizers", {"x.dev/hold"}}}}}));
  MustCreate(ConfigMaps(), "team", {{"metadata", {{"name", "cm"}}}});
  absl::StatusOr<WriteResult> del = engine_->Delete(Namespaces(), "", "team", json::object(), {});
  ASSERT_THAT(del, IsOk());
  EXPECT_EQ(json::parse(del->body)["status"]["phase"], "Terminating");
  // Like kube's namespace controller, the cleanup runs shortly after: the objects can still be
  // deleted one by one meanwhile (kubectl delete -f of a folder), then they go.
  EXPECT_THAT(engine_->Get(ConfigMaps(), "team", "cm"), IsOk());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (engine_->Get(ConfigMaps(), "team", "cm").ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(Error(engine_->Get(ConfigMaps(), "team", "cm")).code, 404);
  ApiError forbidden =
      Error(engine_->Create(ConfigMaps(), "team", {{"metadata", {{"name", "n"}}}}, {}));
  EXPECT_EQ(forbidden.code, 403);
  EXPECT_EQ(forbidden.message,
            "configmaps \"n\" is forbidden: unable to create new content in namespace team "
            "because it is being terminated");
  // The held object is the last thing in the namespace; releasing it finishes the namespace.
  MustPatch(Runs(), "team", "held", "application/merge-patch+json",
            R"({"metadata":{"finalizers":null}})");
  EXPECT_EQ(Error(engine_->Get(Namespaces(), "", "team")).code, 404);
  EXPECT_EQ(Error(engine_->Delete(Namespaces(), "", "default", json::object(), {})).code, 403);
}

// A mutating webhook that takes every label away and records what it was shown.
class LabelStrippingHook : public AdmissionHook {
 public:
  absl::Status Mutate(const AdmissionRequest& request, json* object) override {
    if (object == nullptr) return absl::OkStatus();
    seen_.push_back(*object);
    if (json* meta = MutableMember(*object, "metadata"); meta != nullptr) meta->erase("labels");
    return absl::OkStatus();
  }
  absl::Status Validate(const AdmissionRequest& request, const json* object) override {
    return absl::OkStatus();
  }
  const std::vector<json>& seen() const { return seen_; }

 private:
  std::vector<json> seen_;
};

// kube-apiserver labels every Namespace with its name (defaulting, then its strategy's
// Canonicalize after admission), so webhooks' namespaceSelectors can match namespaces by name.
TEST_F(EngineTest, NamespacesAlwaysCarryTheirNameLabel) {
  json team = MustCreate(Namespaces(), "", {{"metadata", {{"name", "team"}}}});
  EXPECT_EQ(team["metadata"]["labels"], json({{"kubernetes.io/metadata.name", "team"}}));
  // The ones the server starts with have it too, as on a cluster.
  EXPECT_EQ(MustGet(Namespaces(), "", "default")["metadata"]["labels"],
            json({{"kubernetes.io/metadata.name", "default"}}));
  // A client cannot remove or change it; other labels are kept. Removing it is a no-op write.
  std::string rv = team["metadata"]["resourceVersion"];
  json same = MustPatch(Namespaces(), "", "team", "application/merge-patch+json",
                        R"({"metadata":{"labels":{"kubernetes.io/metadata.name":null}}})");
  EXPECT_EQ(same["metadata"]["labels"]["kubernetes.io/metadata.name"], "team");
  EXPECT_EQ(same["metadata"]["resourceVersion"], rv);
  json changed =
      MustPatch(Namespaces(), "", "team", "application/merge-patch+json",
                R"({"metadata":{"labels":{"kubernetes.io/metadata.name":"other","env":"prod"}}})");
  EXPECT_EQ(changed["metadata"]["labels"],
            json({{"env", "prod"}, {"kubernetes.io/metadata.name", "team"}}));
  json put = changed;
  put["metadata"].erase("labels");
  absl::StatusOr<WriteResult> replaced =
      engine_->Update(Namespaces(), "", "team", "", put, WriteOptions{});
  ASSERT_THAT(replaced, IsOk());
  EXPECT_EQ(json::parse(replaced->body)["metadata"]["labels"],
            json({{"kubernetes.io/metadata.name", "team"}}));
  // Mutating webhooks see it (it is set before admission), and cannot take it away.
  LabelStrippingHook hook;
  engine_->SetAdmission(&hook);
  json generated = MustCreate(Namespaces(), "", {{"metadata", {{"generateName", "ci-"}}}});
  std::string name = generated["metadata"]["name"];
  EXPECT_EQ(generated["metadata"]["labels"], json({{"kubernetes.io/metadata.name", name}}));
  json named = MustCreate(Namespaces(), "", {{"metadata", {{"name", "named"}}}});
  EXPECT_EQ(named["metadata"]["labels"], json({{"kubernetes.io/metadata.name", "named"}}));
  ASSERT_EQ(hook.seen().size(), 2u);
  EXPECT_EQ(hook.seen()[1]["metadata"]["labels"]["kubernetes.io/metadata.name"], "named");
  json updated = MustPatch(Namespaces(), "", "named", "application/merge-patch+json",
                           R"({"metadata":{"annotations":{"a":"b"}}})");
  EXPECT_EQ(updated["metadata"]["labels"], json({{"kubernetes.io/metadata.name", "named"}}));
  EXPECT_EQ(updated["metadata"]["annotations"]["a"], "b");
  engine_->SetAdmission(nullptr);
}

TEST_F(EngineTest, GarbageCollectsOwnedObjects) {
  json owner = MustCreate(Runs(), "default", Run("owner"));
  json ref = {{"apiVersion", "tekton.dev/v1"},
              {"kind", "PipelineRun"},
              {"name", "owner"},
              {"uid", owner["metadata"]["uid"]},
              {"controller", true}};
  const ResourceInfo& taskruns = Res("tekton.dev", "v1", "taskruns");
  MustCreate(taskruns, "default",
             {{"metadata", {{"name", "child"}, {"ownerReferences", json::array({ref})}}},
              {"spec", {{"taskRef", {{"name", "t"}}}}}});
  ASSERT_THAT(engine_->Delete(Runs(), "default", "owner", json::object(), {}), IsOk());
  EXPECT_EQ(Error(engine_->Get(taskruns, "default", "child")).code, 404);
}

TEST_F(EngineTest, FieldValidation) {
  json cm = {{"metadata", {{"name", "cm"}}}, {"dataa", {{"a", "b"}}}};
  ApiError strict = Error(engine_->Create(ConfigMaps(), "default", cm, Validation("Strict")));
  EXPECT_EQ(strict.code, 400);
  EXPECT_EQ(strict.message,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding "
            "error: unknown field \"dataa\"");
  absl::StatusOr<WriteResult> warn = engine_->Create(ConfigMaps(), "default", cm, {});
  ASSERT_THAT(warn, IsOk());
  EXPECT_THAT(warn->warnings, ElementsAre("299 - \"unknown field \\\"dataa\\\"\""));
  EXPECT_FALSE(json::parse(warn->body).contains("dataa"));
  ApiError typed = Error(
      engine_->Create(Res("apps", "v1", "deployments"), "default",
                      json::parse(R"({"metadata":{"name":"d"},"spec":{"replicas":"3"}})"), {}));
  EXPECT_EQ(typed.code, 400);
  EXPECT_EQ(typed.message,
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot "
            "unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32");
}

TEST_F(EngineTest, CustomResourceDefinitionsAreServedAndValidated) {
  const ResourceInfo& crds = Res("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  json crd = json::parse(R"({"metadata":{"name":"widgets.example.com"},"spec":{
    "group":"example.com","scope":"Namespaced",
    "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
    "versions":[{"name":"v1","served":true,"storage":true,
      "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object",
        "properties":{"size":{"type":"integer","default":1}}}}}}}]}})");
  json created = MustCreate(crds, "", crd);
  EXPECT_EQ(created["status"]["conditions"][1]["type"], "Established");
  const ResourceInfo* widgets = engine_->registry()->Find("example.com", "v1", "widgets");
  ASSERT_NE(widgets, nullptr);
  json w =
      MustCreate(*widgets, "default", {{"metadata", {{"name", "w"}}}, {"spec", json::object()}});
  EXPECT_EQ(w["spec"]["size"], 1);
  ApiError strict = Error(engine_->Create(
      *widgets, "default", {{"metadata", {{"name", "w2"}}}, {"spec", {{"colour", "red"}}}},
      Validation("Strict")));
  EXPECT_EQ(strict.message,
            "Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: "
            "unknown field \"spec.colour\"");
  ApiError typed = Error(engine_->Create(
      *widgets, "default", {{"metadata", {{"name", "w3"}}}, {"spec", {{"size", "big"}}}}, {}));
  EXPECT_EQ(typed.code, 422);
  EXPECT_EQ(typed.message,
            "Widget.example.com \"w3\" is invalid: spec.size: Invalid value: \"big\": spec.size "
            "in body must be of type integer: \"string\"");
  ApiError bad_crd = Error(engine_->Create(
      crds, "", json::parse(R"({"metadata":{"name":"wrong"},"spec":{"group":"example.com",
        "scope":"Galaxy","names":{"plural":"gadgets","kind":"Gadget"},"versions":[]}})"),
      {}));
  EXPECT_EQ(bad_crd.code, 422);
  EXPECT_THAT(bad_crd.message, HasSubstr("must be spec.names.plural+\".\"+spec.group"));
  // Deleting the CRD removes the resource and its objects.
  ASSERT_THAT(engine_->Delete(crds, "", "widgets.example.com", json::object(), {}), IsOk());
  EXPECT_EQ(engine_->registry()->Find("example.com", "v1", "widgets"), nullptr);
}

TEST_F(EngineTest, ServerSideApplyOwnershipAndConflicts) {
  std::string applied = R"({"apiVersion":"tekton.dev/v1","kind":"PipelineRun",
      "metadata":{"name":"pr","namespace":"default","annotations":{"chains.tekton.dev/signed":"true"}}})";
  ApiError no_manager = Error(
      engine_->Patch(Runs(), "default", "pr", "", "application/apply-patch+yaml", applied, {}));
  EXPECT_EQ(no_manager.code, 422);
  EXPECT_EQ(no_manager.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
            "required for apply patch");
  MustCreate(Runs(), "default", Run("pr"));
  absl::StatusOr<WriteResult> chains =
      engine_->Patch(Runs(), "default", "pr", "", "application/apply-patch+yaml", applied,
                     Manager("tekton-chains-controller"));
  ASSERT_THAT(chains, IsOk());
  EXPECT_EQ(json::parse(chains->body)["metadata"]["annotations"]["chains.tekton.dev/signed"],
            "true");
  std::string other = R"({"apiVersion":"tekton.dev/v1","kind":"PipelineRun",
      "metadata":{"name":"pr","annotations":{"chains.tekton.dev/signed":"failed"}}})";
  ApiError conflict = Error(engine_->Patch(
      Runs(), "default", "pr", "", "application/apply-patch+yaml", other, Manager("someone-else")));
  EXPECT_EQ(conflict.code, 409);
  EXPECT_EQ(conflict.message,
            "Apply failed with 1 conflict: conflict with \"tekton-chains-controller\": "
            ".metadata.annotations.chains.tekton.dev/signed");
  ASSERT_EQ(conflict.causes.size(), 1u);
  EXPECT_EQ(conflict.causes[0].type, "FieldManagerConflict");
  absl::StatusOr<WriteResult> forced =
      engine_->Patch(Runs(), "default", "pr", "", "application/apply-patch+yaml", other,
                     Manager("someone-else", true));
  ASSERT_THAT(forced, IsOk());
  EXPECT_EQ(json::parse(forced->body)["metadata"]["annotations"]["chains.tekton.dev/signed"],
            "failed");
}

// An admission hook that fails the way a missed JSON type check does.
class ThrowingHook : public AdmissionHook {
 public:
  absl::Status Mutate(const AdmissionRequest& request, json* object) override {
    return json(42)["key"].is_null() ? absl::OkStatus() : absl::InternalError("unreachable");
  }
  absl::Status Validate(const AdmissionRequest& request, const json* object) override {
    return absl::OkStatus();
  }
};

// No exception leaves the engine: it becomes a 500 naming the operation (and a log line).
TEST_F(EngineTest, AnExceptionIsA500NamingTheOperation) {
  ThrowingHook hook;
  engine_->SetAdmission(&hook);
  const ResourceInfo& secrets = Res("", "v1", "secrets");
  ApiError created =
      Error(engine_->Create(secrets, "default", {{"metadata", {{"name", "tls"}}}}, {}));
  EXPECT_EQ(created.code, 500);
  EXPECT_EQ(created.reason, "InternalError");
  EXPECT_EQ(created.message,
            "Internal error occurred: unexpected error in create secrets default: "
            "[json.exception.type_error.305] cannot use operator[] with a string argument with "
            "number");
  engine_->SetAdmission(nullptr);
  MustCreate(secrets, "default", {{"metadata", {{"name", "tls"}}}});
  engine_->SetAdmission(&hook);
  ApiError patched =
      Error(engine_->Patch(secrets, "default", "tls", "", "application/merge-patch+json",
                           R"({"metadata":{"labels":{"a":"b"}}})", {}));
  EXPECT_EQ(patched.code, 500);
  EXPECT_THAT(patched.message,
              HasSubstr("unexpected error in patch secrets default/tls: [json.exception"));
  ApiError ns = Error(engine_->Patch(Namespaces(), "", "default", "",
                                     "application/merge-patch+json", R"({"a":"b"})", {}));
  EXPECT_THAT(ns.message, HasSubstr("unexpected error in patch namespaces default: "));
  engine_->SetAdmission(nullptr);
}

TEST_F(EngineTest, SecretsConvertStringData) {
  const ResourceInfo& secrets = Res("", "v1", "secrets");
  json s = MustCreate(
      secrets, "default",
      {{"metadata", {{"name", "signing-secrets"}}}, {"stringData", {{"cosign.password", "p"}}}});
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_EQ(s["data"]["cosign.password"], "cA==");
  EXPECT_FALSE(s.contains("stringData"));
}

// Secrets and ConfigMaps are validated as kube validates them (kind_validation.h), on create and
// on every kind of update.
TEST_F(EngineTest, SecretAndConfigMapValidation) {
  const ResourceInfo& secrets = Res("", "v1", "secrets");
  ApiError tls = Error(engine_->Create(secrets, "default",
                                       {{"metadata", {{"name", "tls"}}},
                                        {"type", "kubernetes.io/tls"},
                                        {"data", {{"tls.crt", "YQ=="}}}},
                                       {}));
  EXPECT_EQ(tls.code, 422);
  EXPECT_EQ(tls.message, "Secret \"tls\" is invalid: data[tls.key]: Required value");
  MustCreate(secrets, "default",
             {{"metadata", {{"name", "tls"}}},
              {"type", "kubernetes.io/tls"},
              {"stringData", {{"tls.crt", "c"}, {"tls.key", "k"}}}});
  absl::StatusOr<WriteResult> retyped = engine_->Patch(
      secrets, "default", "tls", "", "application/merge-patch+json", R"({"type":"Opaque"})", {});
  EXPECT_EQ(Error(retyped).message,
            "Secret \"tls\" is invalid: type: Invalid value: \"Opaque\": field is immutable");
  absl::StatusOr<WriteResult> dropped =
      engine_->Patch(secrets, "default", "tls", "", "application/json-patch+json",
                     R"([{"op":"remove","path":"/data/tls.key"}])", {});
  EXPECT_EQ(Error(dropped).code, 422);

  MustCreate(ConfigMaps(), "default",
             {{"metadata", {{"name", "frozen"}}}, {"immutable", true}, {"data", {{"a", "1"}}}});
  ApiError changed =
      Error(engine_->Patch(ConfigMaps(), "default", "frozen", "", "application/merge-patch+json",
                           R"({"data":{"a":"2"}})", {}));
  EXPECT_EQ(changed.code, 422);
  EXPECT_EQ(changed.message,
            "ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable when "
            "`immutable` is set");
  MustPatch(ConfigMaps(), "default", "frozen", "application/merge-patch+json",
            R"({"metadata":{"labels":{"still":"fine"}}})");
}

TEST_F(EngineTest, SeedAddsWhatFixturesLack) {
  json taskrun = json::parse(
      ::hallmark::testing::ReadFixture("chains/unit-inputs/slsa-v2alpha4/taskrun1.json"));
  taskrun["status"]["podName"] = "p";
  ASSERT_THAT(engine_->Seed(taskrun), IsOk());
  // This fixture has no metadata at all: the seed gets a generated name.
  json pipelinerun = json::parse(::hallmark::testing::ReadFixture(
      "chains/unit-inputs/pipeline-v1/pipelinerun-childrefs.json"));
  ASSERT_FALSE(pipelinerun.contains("metadata"));
  ASSERT_THAT(engine_->Seed(pipelinerun), IsOk());
  json prs = json::parse(*engine_->List(Runs(), "default", {}));
  ASSERT_EQ(prs["items"].size(), 1u);
  pipelinerun["metadata"]["name"] = prs["items"][0]["metadata"]["name"];
  EXPECT_EQ(pipelinerun["metadata"]["name"].get<std::string>().substr(0, 12), "pipelinerun-");
  json tr = MustGet(Res("tekton.dev", "v1", "taskruns"), "default", taskrun["metadata"]["name"]);
  EXPECT_EQ(tr["kind"], "TaskRun");
  EXPECT_EQ(tr["apiVersion"], "tekton.dev/v1");
  EXPECT_EQ(tr["metadata"]["uid"], taskrun["metadata"]["uid"]);
  // Seeding keeps status (runs are stored the way Tekton left them).
  EXPECT_EQ(tr["status"]["conditions"], taskrun["status"]["conditions"]);
  json pr = MustGet(Runs(), "default", pipelinerun["metadata"]["name"]);
  EXPECT_EQ(pr["kind"], "PipelineRun");
  EXPECT_EQ(pr["status"]["childReferences"], pipelinerun["status"]["childReferences"]);
  EXPECT_THAT(engine_->Seed(json::parse(R"({"metadata":{"name":"x"}})")),
              ::hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(EngineTest, SerializeAndLoadRoundTrip) {
  MustCreate(Runs(), "default", Run("a"));
  const ResourceInfo& crds = Res("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  MustCreate(crds, "", json::parse(R"({"metadata":{"name":"gizmos.example.com"},"spec":{
    "group":"example.com","scope":"Cluster","names":{"plural":"gizmos","kind":"Gizmo"},
    "versions":[{"name":"v1","served":true,"storage":true,
    "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})"));
  MustCreate(*engine_->registry()->Find("example.com", "v1", "gizmos"), "",
             {{"metadata", {{"name", "g"}}}, {"spec", {{"x", 1}}}});
  std::string data = engine_->Serialize();
  uint64_t revision = engine_->store()->Revision();

  EngineOptions options;
  options.create_default_namespaces = false;
  options.preinstall_crds = false;
  auto copy = ApiEngine::New(options);
  ASSERT_THAT(copy, IsOk());
  ASSERT_THAT((*copy)->Load(data), IsOk());
  EXPECT_EQ((*copy)->store()->Revision(), revision);
  auto reg = (*copy)->registry();
  ASSERT_NE(reg->Find("example.com", "v1", "gizmos"), nullptr);
  EXPECT_EQ(
      json::parse(*(*copy)->Get(*reg->Find("example.com", "v1", "gizmos"), "", "g"))["spec"]["x"],
      1);
  EXPECT_EQ(*(*copy)->Get(*reg->Find("tekton.dev", "v1", "pipelineruns"), "default", "a"),
            *engine_->Get(Runs(), "default", "a"));
  // Watches from before the restart are expired, like after an etcd restore.
  EXPECT_THAT(
      (*copy)->Watch(*reg->Find("tekton.dev", "v1", "pipelineruns"), "default", WatchFrom("1")),
      IsOk());
}

}  // namespace
}  // namespace hallmark::tests::apiserver
