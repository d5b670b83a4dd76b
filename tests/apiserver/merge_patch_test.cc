#include "tests/apiserver/merge_patch.h"

#include "gtest/gtest.h"

namespace hallmark::tests::apiserver {
namespace {

using json = nlohmann::json;

// RFC 7386 Appendix A: original, patch, result.
struct Case {
  const char* original;
  const char* patch;
  const char* result;
};

class MergePatchRfc7386 : public ::testing::TestWithParam<Case> {};

TEST_P(MergePatchRfc7386, AppendixA) {
  const Case& c = GetParam();
  EXPECT_EQ(ApplyMergePatch(json::parse(c.original), json::parse(c.patch)), json::parse(c.result))
      << c.original << " + " << c.patch;
}

INSTANTIATE_TEST_SUITE_P(
    AllExamples, MergePatchRfc7386,
    ::testing::Values(Case{R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
                      Case{R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
                      Case{R"({"a":"b"})", R"({"a":null})", R"({})"},
                      Case{R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
                      Case{R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
                      Case{R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
                      Case{R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})",
                           R"({"a":{"b":"d"}})"},
                      Case{R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
                      Case{R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
                      Case{R"({"a":"b"})", R"(["c"])", R"(["c"])"},
                      Case{R"({"a":"foo"})", R"(null)", R"(null)"},
                      Case{R"({"a":"foo"})", R"("bar")", R"("bar")"},
                      Case{R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
                      Case{R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
                      Case{R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"}));

TEST(MergePatch, KubectlAnnotateShape) {
  json run = json::parse(R"({"metadata":{"name":"x","annotations":{"keep":"1","drop":"2"}}})");
  json patch = json::parse(
      R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true","drop":null}}})");
  EXPECT_EQ(ApplyMergePatch(run, patch),
            json::parse(R"({"metadata":{"name":"x","annotations":{"keep":"1",
                           "chains.tekton.dev/signed":"true"}}})"));
}

}  // namespace
}  // namespace hallmark::tests::apiserver
