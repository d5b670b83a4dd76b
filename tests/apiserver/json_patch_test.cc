#include "tests/apiserver/json_patch.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;
using json = nlohmann::json;

json J(const char* text) { return json::parse(text); }

// RFC 6902 Appendix A, in order.
TEST(JsonPatchRfc6902, A1AddObjectMember) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/baz","value":"qux"}])")),
      IsOkAndHolds(J(R"({"baz":"qux","foo":"bar"})")));
}

TEST(JsonPatchRfc6902, A2AddArrayElement) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":["bar","baz"]})"),
                             J(R"([{"op":"add","path":"/foo/1","value":"qux"}])")),
              IsOkAndHolds(J(R"({"foo":["bar","qux","baz"]})")));
}

TEST(JsonPatchRfc6902, A3RemoveObjectMember) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"baz":"qux","foo":"bar"})"), J(R"([{"op":"remove","path":"/baz"}])")),
      IsOkAndHolds(J(R"({"foo":"bar"})")));
}

TEST(JsonPatchRfc6902, A4RemoveArrayElement) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":["bar","qux","baz"]})"),
                             J(R"([{"op":"remove","path":"/foo/1"}])")),
              IsOkAndHolds(J(R"({"foo":["bar","baz"]})")));
}

TEST(JsonPatchRfc6902, A5ReplaceValue) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"baz":"qux","foo":"bar"})"),
                             J(R"([{"op":"replace","path":"/baz","value":"boo"}])")),
              IsOkAndHolds(J(R"({"baz":"boo","foo":"bar"})")));
}

TEST(JsonPatchRfc6902, A6MoveValue) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})"),
                             J(R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])")),
              IsOkAndHolds(J(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})")));
}

TEST(JsonPatchRfc6902, A7MoveArrayElement) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":["all","grass","cows","eat"]})"),
                             J(R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])")),
              IsOkAndHolds(J(R"({"foo":["all","cows","eat","grass"]})")));
}

TEST(JsonPatchRfc6902, A8TestSuccess) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"baz":"qux","foo":["a",2,"c"]})"),
                             J(R"([{"op":"test","path":"/baz","value":"qux"},
                                   {"op":"test","path":"/foo/1","value":2}])")),
              IsOkAndHolds(J(R"({"baz":"qux","foo":["a",2,"c"]})")));
}

TEST(JsonPatchRfc6902, A9TestFailureIsAnError) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"baz":"qux"})"), J(R"([{"op":"test","path":"/baz","value":"bar"}])")),
      StatusIs(absl::StatusCode::kFailedPrecondition, "testing value /baz failed: test failed"));
}

TEST(JsonPatchRfc6902, A10AddNestedMember) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":"bar"})"),
                             J(R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])")),
              IsOkAndHolds(J(R"({"foo":"bar","child":{"grandchild":{}}})")));
}

TEST(JsonPatchRfc6902, A11IgnoresUnrecognizedMembers) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":"bar"})"),
                             J(R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])")),
              IsOkAndHolds(J(R"({"foo":"bar","baz":"qux"})")));
}

TEST(JsonPatchRfc6902, A12AddToNonexistentTargetFails) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/baz/bat","value":"qux"}])")),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               "add operation does not apply: doc is missing path: \"/baz/bat\": "
               "missing value"));
}

TEST(JsonPatchRfc6902, A14TildeEscapeOrdering) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"/":9,"~1":10})"), J(R"([{"op":"test","path":"/~01","value":10}])")),
      IsOkAndHolds(J(R"({"/":9,"~1":10})")));
}

TEST(JsonPatchRfc6902, A15ComparingStringsAndNumbersFails) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"/":9,"~1":10})"), J(R"([{"op":"test","path":"/~01","value":"10"}])")),
      StatusIs(absl::StatusCode::kFailedPrecondition, "testing value /~01 failed: test failed"));
}

TEST(JsonPatchRfc6902, A16AddArrayValue) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"foo":["bar"]})"),
                             J(R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])")),
              IsOkAndHolds(J(R"({"foo":["bar",["abc","def"]]})")));
}

TEST(JsonPatch, AnnotationKeyWithSlashIsEscaped) {
  json doc = J(R"({"metadata":{"annotations":{}}})");
  std::string path = "/metadata/annotations/" + EscapeJsonPointerToken("chains.tekton.dev/signed");
  EXPECT_EQ(path, "/metadata/annotations/chains.tekton.dev~1signed");
  json patch = json::array({{{"op", "add"}, {"path", path}, {"value", "true"}}});
  EXPECT_THAT(
      ApplyJsonPatch(doc, patch),
      IsOkAndHolds(J(R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})")));
}

TEST(JsonPatch, TestOnResourceVersionGuardsAnUpdate) {
  json doc = J(R"({"metadata":{"resourceVersion":"7"}})");
  EXPECT_THAT(
      ApplyJsonPatch(doc, J(R"([{"op":"test","path":"/metadata/resourceVersion","value":"6"},
                                        {"op":"add","path":"/x","value":1}])")),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               "testing value /metadata/resourceVersion failed: test failed"));
}

TEST(JsonPatch, FailingOperationLeavesNothingApplied) {
  // All or nothing: the add before the failing remove is not visible in any result.
  absl::StatusOr<json> r = ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"add","path":"/b","value":2},
                                                                {"op":"remove","path":"/zzz"}])"));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          "error in remove for path: '/zzz': Unable to remove nonexistent key: "
                          "zzz: missing value"));
}

TEST(JsonPatch, KubeQuirksOfJsonPatchV4) {
  // kube-apiserver's library: replace of a missing object member adds it, and a test of a
  // missing member against null passes; negative indices count from the end.
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"replace","path":"/b","value":2}])")),
              IsOkAndHolds(J(R"({"a":1,"b":2})")));
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"test","path":"/b","value":null}])")),
              IsOkAndHolds(J(R"({"a":1})")));
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":[1,2,3]})"), J(R"([{"op":"remove","path":"/a/-1"}])")),
              IsOkAndHolds(J(R"({"a":[1,2]})")));
}

TEST(JsonPatch, ArrayIndexErrors) {
  EXPECT_THAT(
      ApplyJsonPatch(J(R"({"a":[1]})"), J(R"([{"op":"replace","path":"/a/5","value":0}])")),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               "replace operation does not apply: doc is missing key: /a/5: missing value"));
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":[1]})"), J(R"([{"op":"add","path":"/a/x","value":0}])")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("value was not a proper array index: 'x'")));
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":[1]})"), J(R"([{"op":"add","path":"/a/3","value":0}])")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("Unable to access invalid index: 3")));
}

TEST(JsonPatch, CopyAndMoveErrors) {
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"copy","from":"/x/y","path":"/b"}])")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "copy operation does not apply: doc is missing from path: /x/y: missing "
                       "value"));
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"copy","from":"/a","path":"/b"}])")),
              IsOkAndHolds(J(R"({"a":1,"b":1})")));
  EXPECT_THAT(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"move","from":"/a","path":"/x/y"}])")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "move operation does not apply: doc is missing destination path: /x/y: "
                       "missing value"));
}

TEST(JsonPatch, MalformedPatchesAreBadRequests) {
  EXPECT_THAT(ApplyJsonPatch(J("{}"), J(R"({"op":"add"})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "json: cannot unmarshal object into Go value of type jsonpatch.Patch"));
  EXPECT_THAT(ApplyJsonPatch(J("{}"), J(R"([1])")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplyJsonPatch(J("{}"), J(R"([{"op":"frobnicate","path":"/a"}])")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "Unexpected kind: frobnicate"));
  EXPECT_THAT(ApplyJsonPatch(J("{}"), J(R"([{"path":"/a"}])")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "Unexpected kind: unknown"));
}

TEST(JsonPatch, TooManyOperations) {
  json patch = json::array();
  for (size_t i = 0; i <= kMaxJsonPatchOperations; ++i) {
    patch.push_back({{"op", "test"}, {"path", ""}, {"value", json::object()}});
  }
  EXPECT_THAT(ApplyJsonPatch(json::object(), patch),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "The allowed maximum operations in a JSON patch is 10000, got 10001"));
}

}  // namespace
}  // namespace hallmark::tests::apiserver
