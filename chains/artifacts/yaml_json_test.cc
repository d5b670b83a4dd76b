#include "chains/artifacts/yaml_json.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::artifacts {
namespace {

using ::hallmark::testing::StatusIs;
using nlohmann::json;

TEST(YamlJsonTest, ConvertsAManifestWithTypedScalars) {
  ASSERT_OK_AND_ASSIGN(json got, YamlToJson(R"(
apiVersion: tekton.dev/v1
kind: TaskRun
metadata:
  name: build
spec:
  retries: 3
  ratio: 1.5
  debug: false
  quoted: "3"
  empty:
  tilde: ~
  timeout: 1h0m0s
  params:
  - name: IMAGE
    value: gcr.io/foo/bar
  script: |
    echo 'hi'
)"));
  EXPECT_EQ(got, json::parse(R"({
    "apiVersion": "tekton.dev/v1", "kind": "TaskRun", "metadata": {"name": "build"},
    "spec": {"retries": 3, "ratio": 1.5, "debug": false, "quoted": "3", "empty": null,
             "tilde": null, "timeout": "1h0m0s",
             "params": [{"name": "IMAGE", "value": "gcr.io/foo/bar"}],
             "script": "echo 'hi'\n"}})"));
}

TEST(YamlJsonTest, FlowStyleAndEmptyDocument) {
  ASSERT_OK_AND_ASSIGN(json got, YamlToJson("{a: [1, two, {b: null}], c: {}}"));
  EXPECT_EQ(got, json::parse(R"({"a": [1, "two", {"b": null}], "c": {}})"));
  ASSERT_OK_AND_ASSIGN(json empty, YamlToJson(""));
  EXPECT_TRUE(empty.is_null());
}

TEST(YamlJsonTest, RejectsMalformedYamlWithPosition) {
  EXPECT_THAT(YamlToJson("a: [1, 2\nb: c"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line")));
  EXPECT_THAT(YamlToJson("? [a]\n: b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("not a scalar")));
}

TEST(YamlJsonTest, RejectsInvalidUtf8) {
  EXPECT_THAT(YamlToJson("a: \"caf\xc3\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("UTF-8")));
  EXPECT_THAT(YamlToJson("\xff: b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("UTF-8")));
  ASSERT_OK_AND_ASSIGN(json ok, YamlToJson("a: caf\xc3\xa9\n"));
  EXPECT_EQ(ok["a"], "caf\xc3\xa9");
}

TEST(YamlJsonTest, RejectsDeepNesting) {
  std::string deep(500, '[');
  deep += std::string(500, ']');
  EXPECT_THAT(YamlToJson(deep), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, ExpandsModestAliases) {
  ASSERT_OK_AND_ASSIGN(json got, YamlToJson("base: &b {image: busybox}\nsteps: [*b, *b]\n"));
  EXPECT_EQ(got["steps"], json::parse(R"([{"image": "busybox"}, {"image": "busybox"}])"));
}

TEST(YamlJsonTest, RejectsAliasExpansionBombs) {
  // Each level doubles the expanded size: 2^30 nodes if expanded, a few hundred bytes of text.
  std::string yaml = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  EXPECT_THAT(YamlToJson(yaml),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("nodes")));
}

}  // namespace
}  // namespace hallmark::chains::artifacts
