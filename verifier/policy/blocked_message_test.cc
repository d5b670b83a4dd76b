// The denial text: Kyverno's GetBlockedMessages wrapping + yaml.v2 styles, folding and key order.
#include "verifier/policy/blocked_message.h"

#include "base/testing/fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "verifier/policy/internal/go_yaml.h"

namespace hallmark::verifier::policy {
namespace {

using internal::GoYamlKeyLess;
using internal::MarshalGoYamlV2;

TEST(BlockedMessageTest, FixtureDenialByteForByte) {
  nlohmann::json expected = nlohmann::json::parse(
      hallmark::testing::ReadFixture("kyverno/admission/response-denied.json"));
  FailureMap failures;
  failures["verify-local-images"]["check-signature"] =
      "failed to verify image registry.example:5000/unsigned:v1: .attestors[0].entries[0].keys: "
      "no signatures found; .attestors[0].entries[1].keys: no signatures found";
  EXPECT_EQ(BlockedMessage("Pod", "policy", "unsigned", failures),
            expected["response"]["status"]["message"].get<std::string>());
}

TEST(BlockedMessageTest, NothingToSay) {
  EXPECT_EQ(BlockedMessage("Pod", "ns", "p", {}), "");
  EXPECT_EQ(BlockedMessage("Pod", "ns", "p", {{"policy", {}}}), "");
}

TEST(GoYamlTest, ScalarStyles) {
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "missing digest for ghcr.io/a/b:c"}}}}),
            "p:\n  r: missing digest for ghcr.io/a/b:c\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "a: b"}}}}), "p:\n  r: 'a: b'\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "it's: x"}}}}), "p:\n  r: 'it''s: x'\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "true"}}}}), "p:\n  r: \"true\"\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "yes"}}}}), "p:\n  r: \"yes\"\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "123"}}}}), "p:\n  r: \"123\"\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", ""}}}}), "p:\n  r: \"\"\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "- x"}}}}), "p:\n  r: '- x'\n");
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "tab\there"}}}}), "p:\n  r: \"tab\\there\"\n");
  // cosign joins per-layer errors with "\n ": yaml.v2 writes a literal block.
  EXPECT_EQ(MarshalGoYamlV2({{"p", {{"r", "no matching signatures: a\n b"}}}}),
            "p:\n  r: |-\n    no matching signatures: a\n     b\n");
}

TEST(GoYamlTest, FoldsAtTheFirstSpaceAfterColumn80) {
  std::string long_plain;
  for (int i = 0; i < 30; ++i) long_plain += "word ";
  long_plain += "end";
  std::string out = MarshalGoYamlV2({{"p", {{"r", long_plain}}}});
  // "  r: " is 5 columns; words are 5 columns each: the space ending at column 85 breaks.
  EXPECT_EQ(out.substr(0, 3), "p:\n");
  std::string line = out.substr(3, out.find('\n', 3) - 3);
  EXPECT_EQ(line.size(), 84u);
  EXPECT_EQ(out.substr(3 + line.size(), 5), "\n    ");
  // Reading the folded text back gives the same words.
  std::string joined = out.substr(8);
  EXPECT_NE(joined.find("word word"), std::string::npos);
}

TEST(GoYamlTest, KeysInYamlV2NaturalOrder) {
  EXPECT_TRUE(GoYamlKeyLess("a", "b"));
  EXPECT_TRUE(GoYamlKeyLess("rule2", "rule10"));  // digit runs compare as numbers
  EXPECT_TRUE(GoYamlKeyLess("check-image", "check-image2"));
  EXPECT_TRUE(GoYamlKeyLess("a-", "ab"));  // other characters sort before letters
  EXPECT_FALSE(GoYamlKeyLess("ab", "a-"));
  EXPECT_EQ(MarshalGoYamlV2({{"zeta", {{"r10", "x"}, {"r2", "y"}}}, {"alpha", {{"r", "z"}}}}),
            "alpha:\n  r: z\nzeta:\n  r2: \"y\"\n  r10: x\n");
}

}  // namespace
}  // namespace hallmark::verifier::policy
