#include "tests/apiserver/yaml_json.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::tests::apiserver {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using ::hallmark::testing::StatusIs;
using json = nlohmann::json;

TEST(YamlJson, ScalarsResolveLikeKubernetes) {
  absl::StatusOr<json> j = ParseYaml(R"(
plain: hello
quoted: "true"
yes11: yes
on11: on
t: true
n: null
tilde: ~
empty:
int: 42
neg: -7
octal: 0777
hex: 0x1F
float: 1.5
version: "1.10"
floatversion: 1.10
big: 18446744073709551615
str: 08x
)");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["plain"], "hello");
  EXPECT_EQ((*j)["quoted"], "true");
  EXPECT_EQ((*j)["yes11"], true);
  EXPECT_EQ((*j)["on11"], true);
  EXPECT_EQ((*j)["t"], true);
  EXPECT_TRUE((*j)["n"].is_null());
  EXPECT_TRUE((*j)["tilde"].is_null());
  EXPECT_TRUE((*j)["empty"].is_null());
  EXPECT_EQ((*j)["int"], 42);
  EXPECT_EQ((*j)["neg"], -7);
  EXPECT_EQ((*j)["octal"], 511);
  EXPECT_EQ((*j)["hex"], 31);
  EXPECT_EQ((*j)["float"], 1.5);
  EXPECT_EQ((*j)["version"], "1.10");
  EXPECT_EQ((*j)["floatversion"], 1.1);
  EXPECT_EQ((*j)["big"], 18446744073709551615ULL);
  EXPECT_EQ((*j)["str"], "08x");
}

TEST(YamlJson, BlockScalarsAndStructures) {
  EXPECT_THAT(ParseYaml("script: |-\n  echo a\n  echo b\nlist: [1, two]\nmap: {a: {b: c}}\n"),
              IsOkAndHolds(json::parse(
                  R"({"script":"echo a\necho b","list":[1,"two"],"map":{"a":{"b":"c"}}})")));
  EXPECT_THAT(ParseYaml("tagged: !!str 123\n"), IsOkAndHolds(json::parse(R"({"tagged":"123"})")));
}

TEST(YamlJson, MultipleDocumentsSkipEmptyOnes) {
  absl::StatusOr<std::vector<json>> docs =
      ParseYamlDocuments("---\na: 1\n---\n# only a comment\n---\nb: 2\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0], json::parse(R"({"a":1})"));
  EXPECT_EQ((*docs)[1], json::parse(R"({"b":2})"));
  EXPECT_THAT(ParseYaml("a: 1\n---\nb: 2\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJson, ErrorsNameTheLine) {
  EXPECT_THAT(ParseYaml("a: b\n  c: d\n- e\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line")));
  EXPECT_THAT(ParseYaml("x: .inf\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr(".inf")));
  EXPECT_THAT(ParseYaml("? [a, b]\n: c\n"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                     ::testing::HasSubstr("scalar map keys")));
}

// Found by scripts/fuzz (testdata/fuzz/manifest/stray_comma): yaml-cpp 0.7.0's LoadAll never
// returned on "{}," and took 15 GiB in a minute.
TEST(YamlJson, StrayTopLevelCommaIsAnError) {
  EXPECT_THAT(ParseYamlDocuments("{},"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlDocuments("kind: Pod\n---\n[],"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJson, AliasBombIsBounded) {
  // Each level references the previous one ten times: 10^9 nodes if expanded naively.
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  EXPECT_THAT(ParseYaml(yaml),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("too large")));
}

}  // namespace
}  // namespace hallmark::tests::apiserver
