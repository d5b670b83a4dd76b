#include "base/yaml_json.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(YamlJsonTest, MultiDocumentStreamWithScalarsResolved) {
  ASSERT_OK_AND_ASSIGN(std::vector<json> docs, ParseYamlDocuments(R"(---
a: 1
b: "1"
c: true
d: ~
e: 1.5
f: plain text
---
# only a comment in between
---
- x
- {y: z}
)"));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], json::parse(R"({"a":1,"b":"1","c":true,"d":null,"e":1.5,"f":"plain text"})"));
  EXPECT_EQ(docs[1], json::parse(R"(["x",{"y":"z"}])"));
}

TEST(YamlJsonTest, BlockScalarsStayStrings) {
  ASSERT_OK_AND_ASSIGN(std::vector<json> docs, ParseYamlDocuments("k: |-\n  123\n  true\n"));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["k"], "123\ntrue");
}

TEST(YamlJsonTest, ErrorsAreStatuses) {
  EXPECT_THAT(ParseYamlDocuments("a: [1, 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid YAML at line")));
  EXPECT_THAT(ParseYamlDocuments("a: 1\na: 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"a\" repeated")));
  EXPECT_THAT(ParseYamlDocuments("? [a]\n: 1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a scalar")));
  // A raw 0xff byte: never valid UTF-8 (yaml-cpp or our check refuses it).
  EXPECT_THAT(ParseYamlDocuments(std::string("a: b\xff\n")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, BillionLaughsIsRefusedNotExpanded) {
  std::string doc = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    doc += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
           prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
           prev + "]\n";
    prev = c;
  }
  EXPECT_THAT(ParseYamlDocuments(doc),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expands to more than")));
}

// yaml-cpp 0.7.0's LoadAll ran away on these (15 GiB in a minute); found by scripts/fuzz.
TEST(YamlJsonTest, StrayTopLevelCommaIsAnErrorNotARunaway) {
  EXPECT_THAT(ParseYamlDocuments("{},"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlDocuments("a: 1\n---\n[],\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseYamlOrJson(" {},"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, DepthIsBounded) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  EXPECT_THAT(ParseYamlDocuments(deep),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeper than")));
}

TEST(YamlJsonTest, JsonIsParsedAsJson) {
  ASSERT_OK_AND_ASSIGN(std::vector<json> docs, ParseYamlOrJson("  {\"a\": [1, \"2\"]}"));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0], json::parse(R"({"a":[1,"2"]})"));
  EXPECT_THAT(ParseYamlOrJson("{\"a\": "), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlJsonTest, JsonToYamlRoundTrips) {
  json doc = json::parse(R"({"a":{"b":[1,"2","true",null,"x: y",1.5,false]},"c":"plain"})");
  std::string yaml = JsonToYaml(doc);
  EXPECT_NE(yaml.find("\"2\""), std::string::npos) << yaml;
  ASSERT_OK_AND_ASSIGN(std::vector<json> back, ParseYamlDocuments(yaml));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], doc);
}

}  // namespace
}  // namespace hallmark
