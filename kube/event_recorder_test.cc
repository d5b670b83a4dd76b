#include "kube/event_recorder.h"

#include <string>

#include "base/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/testing/fake_kube_client.h"

namespace hallmark::kube {
namespace {

using ::hallmark::kube::testing::FakeKubeClient;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

nlohmann::json TaskRun() {
  return {{"apiVersion", "tekton.dev/v1"},
          {"kind", "TaskRun"},
          {"metadata",
           {{"name", "build-1"}, {"namespace", "ci"}, {"uid", "u-1"}, {"resourceVersion", "77"}}}};
}

TEST(EventRecorderTest, BuildsALegacyCoreV1Event) {
  FakeKubeClient fake;
  FakeClock clock(absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(255));
  ASSERT_OK_AND_ASSIGN(auto recorder, EventRecorder::New(fake, "hallmark-agent", "pod-1", &clock));
  ASSERT_OK_AND_ASSIGN(nlohmann::json e,
                       recorder->BuildEvent(ObjectReference::For(TaskRunsV1(), TaskRun()),
                                            EventType::kWarning, "SigningFailed", "no key"));
  EXPECT_EQ(e["metadata"]["name"], "build-1.17979cfe362a00ff");
  EXPECT_EQ(e["metadata"]["namespace"], "ci");
  EXPECT_EQ(e["involvedObject"], nlohmann::json({{"apiVersion", "tekton.dev/v1"},
                                                 {"kind", "TaskRun"},
                                                 {"name", "build-1"},
                                                 {"namespace", "ci"},
                                                 {"uid", "u-1"},
                                                 {"resourceVersion", "77"}}));
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "SigningFailed");
  EXPECT_EQ(e["message"], "no key");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["firstTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(e["source"], nlohmann::json({{"component", "hallmark-agent"}, {"host", "pod-1"}}));
  EXPECT_EQ(e["reportingComponent"], "hallmark-agent");
  EXPECT_FALSE(e.contains("eventTime"));
}

TEST(EventRecorderTest, RecordCreatesItInTheObjectsNamespace) {
  FakeKubeClient fake;
  ASSERT_OK_AND_ASSIGN(auto recorder, EventRecorder::New(fake, "hallmark-agent"));
  ASSERT_OK_AND_ASSIGN(std::string name,
                       recorder->Record(ObjectReference::For(TaskRunsV1(), TaskRun()),
                                        EventType::kNormal, "Signed", "signed 2 images"));
  ASSERT_OK_AND_ASSIGN(nlohmann::json stored, fake.Get(CoreEvents(), "ci", name));
  EXPECT_EQ(stored["reason"], "Signed");
  EXPECT_EQ(stored["type"], "Normal");

  // Cluster-scoped objects (a ClusterPolicy) get their Events in "default"; list items of
  // built-in kinds lack apiVersion/kind, which come from the Resource.
  nlohmann::json policy = {{"metadata", {{"name", "check-images"}, {"uid", "p-1"}}}};
  ObjectReference ref = ObjectReference::For(ClusterPolicies(), policy);
  EXPECT_EQ(ref.kind, "ClusterPolicy");
  EXPECT_EQ(ref.api_version, "kyverno.io/v1");
  ASSERT_OK_AND_ASSIGN(name, recorder->Record(ref, EventType::kNormal, "PolicyReady", "ok"));
  EXPECT_THAT(fake.Get(CoreEvents(), "default", name), ::hallmark::testing::IsOk());
}

TEST(EventRecorderTest, LongMessagesAreCutOnACharacterBoundary) {
  std::string text = std::string(1023, 'a') + "\xc3\xa9" + "tail";  // "é" straddles byte 1024
  EXPECT_EQ(TruncateUtf8(text, 1024), std::string(1023, 'a'));
  EXPECT_EQ(TruncateUtf8("short", 1024), "short");
  FakeKubeClient fake;
  ASSERT_OK_AND_ASSIGN(auto recorder, EventRecorder::New(fake, "c"));
  ASSERT_OK_AND_ASSIGN(nlohmann::json e,
                       recorder->BuildEvent(ObjectReference::For(TaskRunsV1(), TaskRun()),
                                            EventType::kNormal, "Big", text));
  EXPECT_EQ(e["message"].get<std::string>().size(), 1023u);
}

TEST(EventRecorderTest, BadInputIsRefused) {
  FakeKubeClient fake;
  EXPECT_THAT(EventRecorder::New(fake, ""), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto recorder, EventRecorder::New(fake, "c"));
  ObjectReference ref = ObjectReference::For(TaskRunsV1(), TaskRun());
  for (const char* reason : {"", "has space", "1Starts", "semi;colon"}) {
    EXPECT_THAT(recorder->Record(ref, EventType::kNormal, reason, "m"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")))
        << reason;
  }
  ref.name = "../escape";
  EXPECT_THAT(recorder->Record(ref, EventType::kNormal, "R", "m"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(fake.calls().empty());
}

}  // namespace
}  // namespace hallmark::kube
