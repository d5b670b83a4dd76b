#include "kube/informer.h"

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/internal/json.h"
#include "kube/testing/fake_kube_client.h"

namespace hallmark::kube {
namespace {

using ::hallmark::kube::testing::FakeKubeClient;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::UnorderedElementsAre;

// The compact form the agent would keep.
struct RunInfo {
  std::string ns;
  std::string name;
  std::string rv;
  std::string signed_annotation;
};

absl::StatusOr<RunInfo> Project(const nlohmann::json& object) {
  RunInfo r;
  r.ns = MetaNamespace(object);
  r.name = MetaName(object);
  r.rv = MetaResourceVersion(object);
  if (absl::StartsWith(r.name, "bad")) return absl::InvalidArgumentError("unusable run");
  const nlohmann::json* meta = internal::Child(object, "metadata");
  if (const nlohmann::json* ann = meta ? internal::Child(*meta, "annotations") : nullptr) {
    r.signed_annotation = internal::StringAt(*ann, "chains.tekton.dev/signed");
  }
  return r;
}

nlohmann::json RunObject(const std::string& ns, const std::string& name) {
  return {{"metadata", {{"namespace", ns}, {"name", name}}}, {"spec", {{"big", "ignored"}}}};
}

// Recorder: what the handlers saw, in order.
class Recorder {
 public:
  Informer<RunInfo>::Handlers Handlers() {
    Informer<RunInfo>::Handlers h;
    h.on_add = [this](const Informer<RunInfo>::Ptr& r) { Add("add " + r->ns + "/" + r->name); };
    h.on_update = [this](const Informer<RunInfo>::Ptr& old_r, const Informer<RunInfo>::Ptr& r) {
      Add("update " + r->ns + "/" + r->name + " " + old_r->rv + "->" + r->rv +
          " signed=" + r->signed_annotation);
    };
    h.on_delete = [this](const Informer<RunInfo>::Ptr& r) {
      Add("delete " + r->ns + "/" + r->name);
    };
    return h;
  }
  void Add(std::string s) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(s));
  }
  std::vector<std::string> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  // WaitFor: until `pred(seen)` or 5 s.
  bool WaitFor(std::function<bool(const std::vector<std::string>&)> pred) const {
    absl::MutexLock lock(&mu_);
    auto ok = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return pred(seen_); };
    return mu_.AwaitWithTimeout(absl::Condition(&ok), absl::Seconds(5));
  }
  bool WaitForEntry(const std::string& entry) const {
    return WaitFor([&](const std::vector<std::string>& s) {
      return std::find(s.begin(), s.end(), entry) != s.end();
    });
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

InformerOptions Options() {
  InformerOptions o;
  o.resource = TaskRunsV1();
  o.backoff.initial = absl::Milliseconds(10);
  o.backoff.cap = absl::Milliseconds(50);
  return o;
}

TEST(InformerTest, ListsThenFollowsAddsUpdatesAndDeletes) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "r1")), IsOk());
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("b", "r2")), IsOk());
  Recorder rec;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(fake, Options(), Project, rec.Handlers()));
  EXPECT_FALSE(informer->HasSynced());
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  EXPECT_THAT(rec.seen(), UnorderedElementsAre("add a/r1", "add b/r2"));
  EXPECT_EQ(informer->Size(), 2u);
  ASSERT_NE(informer->Get("a", "r1"), nullptr);
  EXPECT_EQ(informer->Get("a", "nope"), nullptr);

  ASSERT_OK_AND_ASSIGN(
      nlohmann::json patched,
      fake.Patch(TaskRunsV1(), "a", "r1", PatchType::kMerge,
                 R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})"));
  std::string rv = MetaResourceVersion(patched);
  ASSERT_TRUE(rec.WaitForEntry("update a/r1 2->" + rv + " signed=true"));
  EXPECT_EQ(informer->Get("a", "r1")->signed_annotation, "true");

  ASSERT_THAT(fake.Delete(TaskRunsV1(), "b", "r2"), IsOk());
  ASSERT_TRUE(rec.WaitForEntry("delete b/r2"));
  EXPECT_EQ(informer->Get("b", "r2"), nullptr);
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("b", "r3")), IsOk());
  ASSERT_TRUE(rec.WaitForEntry("add b/r3"));
  EXPECT_EQ(informer->Size(), 2u);
  EXPECT_EQ(informer->ListNamespace("b").size(), 1u);
  informer->Stop();

  // client-go's first request: a paged LIST at resourceVersion 0, then a WATCH from its version.
  std::vector<FakeKubeClient::Call> calls;
  for (const FakeKubeClient::Call& c : fake.calls()) {
    if (c.verb == "list" || c.verb == "watch") calls.push_back(c);  // not the test's own writes
  }
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0].verb, "list");
  EXPECT_EQ(calls[0].resource_version, "0");
  EXPECT_EQ(calls[0].limit, 500);
  EXPECT_EQ(calls[1].verb, "watch");
  EXPECT_EQ(calls[1].resource_version, "3");
}

TEST(InformerTest, NamespaceSetWatchesOnlyThoseNamespaces) {
  FakeKubeClient fake;
  for (const char* ns : {"a", "b", "c"}) {
    ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject(ns, "r")), IsOk());
  }
  Recorder rec;
  InformerOptions o = Options();
  o.namespaces = {"a", "c", "a"};
  ASSERT_OK_AND_ASSIGN(auto informer, Informer<RunInfo>::New(fake, o, Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  EXPECT_THAT(rec.seen(), UnorderedElementsAre("add a/r", "add c/r"));
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("b", "late")), IsOk());
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("c", "late")), IsOk());
  ASSERT_TRUE(rec.WaitForEntry("add c/late"));
  informer->Stop();
  EXPECT_EQ(informer->Get("b", "late"), nullptr);
  for (const FakeKubeClient::Call& call : fake.calls()) {
    EXPECT_TRUE(call.ns == "a" || call.ns == "c") << call.verb << " in \"" << call.ns << "\"";
  }
}

TEST(InformerTest, ExpiredWatchRelistsAndMissingObjectsBecomeDeletes) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "keep")), IsOk());
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "gone")), IsOk());
  Recorder rec;
  InformerOptions o = Options();
  o.backoff.initial = absl::Milliseconds(200);  // time to change things while it waits
  o.backoff.cap = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(auto informer, Informer<RunInfo>::New(fake, o, Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));

  // Cut the informer off, change things behind its back, and forget the history it needs.
  fake.FailNext("watch", 1, absl::UnavailableError("connection refused"));
  fake.CloseWatches();
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_THAT(fake.Delete(TaskRunsV1(), "a", "gone"), IsOk());
  ASSERT_THAT(fake.Patch(TaskRunsV1(), "a", "keep", PatchType::kMerge,
                         R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})"),
              IsOk());
  fake.CompactAll();

  ASSERT_TRUE(rec.WaitForEntry("delete a/gone"));
  ASSERT_TRUE(rec.WaitFor([](const std::vector<std::string>& s) {
    return std::any_of(s.begin(), s.end(), [](const std::string& e) {
      return absl::StartsWith(e, "update a/keep") && absl::EndsWith(e, "signed=true");
    });
  }));
  informer->Stop();
  InformerStats stats = informer->Stats();
  EXPECT_EQ(stats.relists, 1u);
  EXPECT_EQ(stats.lists, 2u);
  // The relist after a 410 is a consistent read.
  std::vector<FakeKubeClient::Call> lists;
  for (const auto& c : fake.calls()) {
    if (c.verb == "list") lists.push_back(c);
  }
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[1].resource_version, "");
}

TEST(InformerTest, CleanCloseAndTransientErrorsRewatchWithoutRelisting) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "r")), IsOk());
  Recorder rec;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(fake, Options(), Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", absl::StrCat("n", i))), IsOk());
    ASSERT_TRUE(rec.WaitForEntry(absl::StrCat("add a/n", i)));
    fake.CloseWatches();
  }
  fake.FailNext("watch", 2, absl::UnavailableError("server restarting"));
  fake.CloseWatches();
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "after-errors")), IsOk());
  ASSERT_TRUE(rec.WaitForEntry("add a/after-errors"));
  informer->Stop();
  InformerStats stats = informer->Stats();
  EXPECT_EQ(stats.lists, 1u);
  EXPECT_EQ(stats.relists, 0u);
  EXPECT_GE(stats.watches, 6u);
  EXPECT_EQ(stats.watch_errors, 2u);
  // No event was delivered twice.
  std::vector<std::string> seen = rec.seen();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen.size(), 5u);
}

TEST(InformerTest, ProjectionErrorsAreSkippedAndCounted) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "good")), IsOk());
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "bad-1")), IsOk());
  Recorder rec;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(fake, Options(), Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "bad-2")), IsOk());
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "good-2")), IsOk());
  ASSERT_TRUE(rec.WaitForEntry("add a/good-2"));
  informer->Stop();
  EXPECT_EQ(informer->Size(), 2u);
  EXPECT_EQ(informer->Stats().projection_errors, 2u);
}

TEST(InformerTest, ResyncRedeliversCachedObjects) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "r")), IsOk());
  Recorder rec;
  InformerOptions o = Options();
  o.resync_period = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(auto informer, Informer<RunInfo>::New(fake, o, Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(rec.WaitFor([](const std::vector<std::string>& s) {
    return std::count(s.begin(), s.end(), "update a/r 2->2 signed=") >= 2;
  }));
}

TEST(InformerTest, StopIsPromptAndFinal) {
  FakeKubeClient fake;
  Recorder rec;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(fake, Options(), Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  EXPECT_TRUE(informer->HasSynced());
  absl::Time start = absl::Now();
  informer->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(fake.active_watches(), 0);
  EXPECT_THAT(informer->Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  informer->Stop();  // idempotent
}

TEST(InformerTest, ListFailuresBackOffUntilTheServerAnswers) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "r")), IsOk());
  fake.FailNext("list", 3, absl::UnavailableError("apiserver starting"));
  Recorder rec;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(fake, Options(), Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  EXPECT_THAT(rec.seen(), UnorderedElementsAre("add a/r"));
}

TEST(InformerTest, OversizedListRetriesWithSmallerConsistentPages) {
  FakeKubeClient fake;
  ASSERT_THAT(fake.Seed(TaskRunsV1(), RunObject("a", "r")), IsOk());
  // What CurlHttpClient says when a page is over max_response_bytes (a real kube-apiserver may
  // ignore `limit` for resourceVersion=0 and send everything at once).
  fake.FailNext("list", 2,
                absl::FailedPreconditionError("response body exceeds the limit of 67108864 bytes"));
  Recorder rec;
  ASSERT_OK_AND_ASSIGN(auto informer,
                       Informer<RunInfo>::New(fake, Options(), Project, rec.Handlers()));
  ASSERT_THAT(informer->Start(), IsOk());
  ASSERT_TRUE(informer->WaitForSync(absl::Seconds(5)));
  informer->Stop();
  std::vector<FakeKubeClient::Call> lists;
  for (const auto& c : fake.calls()) {
    if (c.verb == "list") lists.push_back(c);
  }
  ASSERT_EQ(lists.size(), 3u);
  EXPECT_EQ(lists[0].limit, 500);
  EXPECT_EQ(lists[0].resource_version, "0");
  EXPECT_EQ(lists[1].limit, 250);
  EXPECT_EQ(lists[1].resource_version, "");
  EXPECT_EQ(lists[2].limit, 125);
  EXPECT_EQ(informer->Stats().relists, 0u);
}

TEST(InformerTest, BadOptionsAreRefused) {
  FakeKubeClient fake;
  Recorder rec;
  InformerOptions o = Options();
  o.namespaces = {"ok", "not/ok"};
  EXPECT_THAT(Informer<RunInfo>::New(fake, o, Project, rec.Handlers()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o = Options();
  o.resource = ClusterPolicies();
  o.namespaces = {"a"};
  EXPECT_THAT(Informer<RunInfo>::New(fake, o, Project, rec.Handlers()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Informer<RunInfo>::New(fake, Options(), nullptr, rec.Handlers()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::kube
