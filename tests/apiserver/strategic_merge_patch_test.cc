#include "tests/apiserver/strategic_merge_patch.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/apiserver/builtin_catalog.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;
using json = nlohmann::json;

class StrategicMergePatchTest : public ::testing::Test {
 protected:
  absl::StatusOr<json> Patch(const char* schema, const char* original, const char* patch) {
    return ApplyStrategicMergePatch(json::parse(original), json::parse(patch), BuiltinSchemas(),
                                    BuiltinSchemas().Get(schema));
  }
  static constexpr const char* kDeployment = "io.k8s.api.apps.v1.Deployment";
  static constexpr const char* kPod = "io.k8s.api.core.v1.Pod";
};

TEST_F(StrategicMergePatchTest, ContainersMergeByName) {
  EXPECT_THAT(
      Patch(kPod,
            R"({"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}})",
            R"({"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}})"),
      IsOkAndHolds(json::parse(R"({"spec":{"containers":[{"name":"a","image":"a:1"},
          {"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}})")));
}

TEST_F(StrategicMergePatchTest, NonMergeListsAreReplaced) {
  EXPECT_THAT(Patch(kPod, R"({"spec":{"containers":[{"name":"a","args":["x","y"]}]}})",
                    R"({"spec":{"containers":[{"name":"a","args":["z"]}]}})"),
              IsOkAndHolds(json::parse(R"({"spec":{"containers":[{"name":"a","args":["z"]}]}})")));
}

TEST_F(StrategicMergePatchTest, DeleteDirectiveInMergeList) {
  EXPECT_THAT(Patch(kPod, R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
                    R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})"),
              IsOkAndHolds(json::parse(R"({"spec":{"containers":[{"name":"b"}]}})")));
}

TEST_F(StrategicMergePatchTest, ReplaceDirectives) {
  EXPECT_THAT(Patch(kPod, R"({"spec":{"nodeSelector":{"a":"1","b":"2"}}})",
                    R"({"spec":{"nodeSelector":{"$patch":"replace","c":"3"}}})"),
              IsOkAndHolds(json::parse(R"({"spec":{"nodeSelector":{"c":"3"}}})")));
  EXPECT_THAT(Patch(kPod, R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
                    R"({"spec":{"containers":[{"$patch":"replace"},{"name":"c"}]}})"),
              IsOkAndHolds(json::parse(R"({"spec":{"containers":[{"name":"c"}]}})")));
  EXPECT_THAT(Patch(kPod, R"({"spec":{"nodeSelector":{"a":"1"},"x":1}})",
                    R"({"spec":{"nodeSelector":{"$patch":"delete"}}})"),
              IsOkAndHolds(json::parse(R"({"spec":{"x":1}})")));
}

TEST_F(StrategicMergePatchTest, RetainKeysDropsTheOtherStrategyFields) {
  // kubectl apply switching a Deployment from RollingUpdate to Recreate.
  EXPECT_THAT(
      Patch(kDeployment,
            R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
            R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"),
      IsOkAndHolds(json::parse(R"({"spec":{"strategy":{"type":"Recreate"}}})")));
}

TEST_F(StrategicMergePatchTest, SetElementOrderAndPrimitiveSets) {
  EXPECT_THAT(Patch(kPod, R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
                    R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
                "containers":[{"name":"a","image":"x"}]}})"),
              IsOkAndHolds(json::parse(
                  R"({"spec":{"containers":[{"name":"b"},{"name":"a","image":"x"}]}})")));
  EXPECT_THAT(Patch(kPod, R"({"metadata":{"finalizers":["a","b"]}})",
                    R"({"metadata":{"finalizers":["b","c"]}})"),
              IsOkAndHolds(json::parse(R"({"metadata":{"finalizers":["a","b","c"]}})")));
  EXPECT_THAT(Patch(kPod, R"({"metadata":{"finalizers":["a","b"]}})",
                    R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"),
              IsOkAndHolds(json::parse(R"({"metadata":{"finalizers":["b"]}})")));
}

TEST_F(StrategicMergePatchTest, NullDeletesAndMapsMerge) {
  EXPECT_THAT(Patch(kPod, R"({"metadata":{"labels":{"a":"1","b":"2"}}})",
                    R"({"metadata":{"labels":{"a":null,"c":"3"}}})"),
              IsOkAndHolds(json::parse(R"({"metadata":{"labels":{"b":"2","c":"3"}}})")));
}

TEST_F(StrategicMergePatchTest, MalformedPatches) {
  EXPECT_THAT(Patch(kPod, R"({})", R"([1])"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Patch(kPod, R"({"spec":{"containers":[{"name":"a"}]}})",
                    R"({"spec":{"containers":[{"image":"x"}]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("does not contain declared merge key: name")));
  EXPECT_THAT(Patch(kPod, R"({})", R"({"spec":{"$patch":"explode"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("explode")));
}

}  // namespace
}  // namespace hallmark::tests::apiserver
