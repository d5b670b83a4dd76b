#include "chains/config/config.h"

#include <map>
#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::chains::config {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using Data = std::map<std::string, std::string>;

TEST(ConfigTest, DefaultsAreChains) {
  ASSERT_OK_AND_ASSIGN(Config c, Config::Parse({}));
  EXPECT_EQ(c.taskrun.format, formats::Format::kSlsaV02);
  EXPECT_EQ(c.taskrun.storage, std::set<std::string>{"tekton"});
  EXPECT_EQ(c.pipelinerun.storage, std::set<std::string>{"tekton"});
  EXPECT_EQ(c.oci.storage, std::set<std::string>{"oci"});
  EXPECT_TRUE(c.taskrun.Enabled());
  EXPECT_TRUE(c.oci.Enabled());
  EXPECT_FALSE(c.deep_inspection);
  EXPECT_FALSE(c.oci_repository.has_value());
  EXPECT_EQ(c.builder_id, "https://tekton.dev/chains/v2");
  EXPECT_EQ(c.build_type, "https://tekton.dev/chains/v2/slsa");
  EXPECT_TRUE(c.NeedsSigner());
  EXPECT_TRUE(c.UsesStorage("oci"));
  EXPECT_TRUE(c.UsesStorage("tekton"));
}

TEST(ConfigTest, EveryImplementedKey) {
  ASSERT_OK_AND_ASSIGN(
      Config c,
      Config::Parse(Data{{"artifacts.taskrun.format", "slsa/v2alpha4"},
                         {"artifacts.taskrun.storage", " oci , tekton "},
                         {"artifacts.pipelinerun.format", "slsa/v2alpha3"},
                         {"artifacts.pipelinerun.storage", "oci"},
                         {"artifacts.pipelinerun.enable-deep-inspection", "True"},
                         {"artifacts.oci.format", "simplesigning"},
                         {"artifacts.oci.storage", "tekton"},
                         {"artifacts.oci.signer", "none"},
                         {"storage.oci.repository", "127.0.0.1:5000/sigs"},
                         {"storage.oci.repository.insecure", "1"},
                         {"storage.oci.encoding-format", "dsse"},
                         {"transparency.enabled", "false"},
                         {"builder.id", "https://example.com/builder"},
                         {"builddefinition.buildtype", "https://tekton.dev/chains/v2/slsa-tekton"},
                         {"some.unknown.key", "ignored"}}));
  EXPECT_EQ(c.taskrun.format, formats::Format::kSlsaV2Alpha4);
  EXPECT_EQ(c.taskrun.storage, (std::set<std::string>{"oci", "tekton"}));
  EXPECT_EQ(c.pipelinerun.format, formats::Format::kSlsaV2Alpha3);
  EXPECT_TRUE(c.deep_inspection);
  EXPECT_FALSE(c.oci.Enabled());
  ASSERT_TRUE(c.oci_repository.has_value());
  EXPECT_EQ(c.oci_repository->String(), "127.0.0.1:5000/sigs");
  EXPECT_TRUE(c.oci_repository_insecure);
  EXPECT_EQ(c.PipelineRunFormat().format, formats::Format::kSlsaV2Alpha3);
  EXPECT_TRUE(c.PipelineRunFormat().deep_inspection);
  EXPECT_EQ(c.TaskRunFormat().builder_id, "https://example.com/builder");
  EXPECT_EQ(c.TaskRunFormat().build_type, "https://tekton.dev/chains/v2/slsa-tekton");
  EXPECT_FALSE(c.UsesStorage("tekton") && !c.taskrun.Stores("tekton"));
}

TEST(ConfigTest, EmptyStorageDisablesAType) {
  ASSERT_OK_AND_ASSIGN(Config c, Config::Parse(Data{{"artifacts.taskrun.storage", ""},
                                                    {"artifacts.pipelinerun.signer", "none"},
                                                    {"artifacts.oci.storage", ""}}));
  EXPECT_FALSE(c.taskrun.Enabled());
  EXPECT_FALSE(c.pipelinerun.Enabled());
  EXPECT_FALSE(c.oci.Enabled());
  EXPECT_FALSE(c.NeedsSigner());
  EXPECT_FALSE(c.UsesStorage("oci"));
}

TEST(ConfigTest, ValuesChainsRejectsAreInvalid) {
  EXPECT_THAT(Config::Parse(Data{{"artifacts.taskrun.format", "tekton"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("chains-config: artifacts.taskrun.format: invalid value "
                                 "\"tekton\"")));
  EXPECT_THAT(Config::Parse(Data{{"artifacts.taskrun.storage", "oci,s3"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"s3\"")));
  EXPECT_THAT(Config::Parse(Data{{"artifacts.pipelinerun.storage", "kafka"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Config::Parse(Data{{"artifacts.oci.signer", "cosign"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Config::Parse(Data{{"artifacts.oci.format", "dsse"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Config::Parse(Data{{"artifacts.pipelinerun.enable-deep-inspection", "yes"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wanted a boolean")));
  EXPECT_THAT(Config::Parse(Data{{"storage.oci.repository", "Not A Repo"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("storage.oci.repository")));
  EXPECT_THAT(Config::Parse(Data{{"transparency.enabled", "yes"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("transparency.enabled")));
  EXPECT_THAT(Config::Parse(Data{{"builddefinition.buildtype", "https://x"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConfigTest, ValuesChainsAcceptsButWeDoNotImplementAreUnimplemented) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"artifacts.taskrun.storage", "gcs"},
           {"artifacts.taskrun.storage", "tekton,kafka"},
           {"artifacts.pipelinerun.storage", "docdb"},
           {"artifacts.oci.storage", "grafeas"},
           {"artifacts.oci.storage", "archivista"},
           {"artifacts.taskrun.signer", "kms"},
           {"transparency.enabled", "true"},
           {"transparency.enabled", "manual"},
           {"signers.x509.fulcio.enabled", "true"},
           {"storage.oci.encoding-format", "sigstore-bundle"}}) {
    absl::Status s = Config::Parse(Data{{key, value}}).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnimplemented, HasSubstr(key))) << key;
    EXPECT_THAT(std::string(s.message()), HasSubstr("not supported by hallmark")) << key;
  }
}

TEST(ConfigTest, InvalidWinsOverUnsupported) {
  EXPECT_THAT(Config::Parse(Data{{"artifacts.taskrun.storage", "gcs"},
                                 {"artifacts.taskrun.format", "tekton"}})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConfigTest, ParseBoolIsGos) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_EQ(ParseBool(t), true);
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_EQ(ParseBool(f), false);
  for (const char* x : {"", "yes", "tRUE", " true"}) EXPECT_FALSE(ParseBool(x).has_value());
}

TEST(ConfigTest, EqualityAndSummary) {
  ASSERT_OK_AND_ASSIGN(Config a, Config::Parse({}));
  ASSERT_OK_AND_ASSIGN(Config b, Config::Parse(Data{{"artifacts.taskrun.storage", "tekton"}}));
  EXPECT_EQ(a, b);
  ASSERT_OK_AND_ASSIGN(Config c, Config::Parse(Data{{"artifacts.taskrun.storage", "oci"}}));
  EXPECT_NE(a, c);
  EXPECT_EQ(a.Summary(),
            "taskrun=slsa/v1->tekton pipelinerun=slsa/v1->tekton oci=simplesigning->oci "
            "deep-inspection=0 repository=(image's)");
}

}  // namespace
}  // namespace hallmark::chains::config
