#include "base/yaml_stream.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace hallmark {
namespace {

using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

// yaml-cpp 0.7.0's LoadAll never returns on these (yaml-cpp#1040); scripts/fuzz found "{},".
TEST(YamlStreamTest, StrayTopLevelCommaIsRejected) {
  for (const std::string text : {",", "{},", "[],", "a: 1\n---\n{},", "- x\n---\n[a, b],\n"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(CheckYamlStreamTerminates(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stops advancing")));
  }
}

TEST(YamlStreamTest, RealStreamsPass) {
  for (const std::string text :
       {"", "# only a comment\n", "a: 1", "---\n---\n---\n", "a: 1\n---\nb: [1, 2]\n...\n",
        "{a: 1}", "[1, 2]\n", "- {a: [1, {b: 2}]}\n", "---\n...\n---\n...\n"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(CheckYamlStreamTerminates(text), IsOk());
    EXPECT_NO_THROW(YAML::LoadAll(text));
  }
}

TEST(YamlStreamTest, MalformedYamlIsLeftToTheCaller) {
  for (const std::string text : {"a: [1, 2", "{a: 1", "a: 1\n b: 2\nc", "\t- x"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(CheckYamlStreamTerminates(text), IsOk());
  }
}

}  // namespace
}  // namespace hallmark
