#include "oci/docker_config.h"

#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::oci {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(NormalizeRegistryKeyTest, LikeDocker) {
  EXPECT_EQ(NormalizeRegistryKey("https://index.docker.io/v1/"), "index.docker.io");
  EXPECT_EQ(NormalizeRegistryKey("docker.io"), "index.docker.io");
  EXPECT_EQ(NormalizeRegistryKey("registry-1.docker.io"), "index.docker.io");
  EXPECT_EQ(NormalizeRegistryKey("http://Registry.Example:5000/v2/"), "registry.example:5000");
  EXPECT_EQ(NormalizeRegistryKey("ghcr.io"), "ghcr.io");
  EXPECT_EQ(NormalizeRegistryKey("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(KeychainTest, ConfigJsonAuthAndFields) {
  std::string json =
      absl::StrCat(R"({"auths":{
      "https://index.docker.io/v1/":{"auth":")",
                   Base64Encode("hubuser:hub:pass"), R"("},
      "registry.example:5000":{"username":"u","password":"p"},
      "both.example":{"auth":")",
                   Base64Encode("fromauth:x"), R"(","username":"ignored","password":"y"},
      "token.example":{"identitytoken":"refresh-me"},
      "empty.example":{}},
    "credsStore":"desktop","credHelpers":{"gcr.io":"gcloud"}})");
  ASSERT_OK_AND_ASSIGN(Keychain k, Keychain::ParseDockerConfigJson(json));
  const Credentials* hub = k.Find("index.docker.io");
  ASSERT_NE(hub, nullptr);
  EXPECT_EQ(hub->username, "hubuser");
  EXPECT_EQ(hub->password.InsecureView(), "hub:pass");  // split at the FIRST colon
  ASSERT_NE(k.Find("docker.io"), nullptr);
  const Credentials* reg = k.Find("registry.example:5000");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->username, "u");
  EXPECT_EQ(reg->password.InsecureView(), "p");
  EXPECT_TRUE(reg->HasBasic());
  EXPECT_EQ(k.Find("both.example")->username, "fromauth");
  EXPECT_EQ(k.Find("token.example")->identity_token.InsecureView(), "refresh-me");
  EXPECT_FALSE(k.Find("token.example")->HasBasic());
  EXPECT_EQ(k.Find("empty.example"), nullptr);
  EXPECT_EQ(k.Find("other.example"), nullptr);
  EXPECT_EQ(k.HelperFor("gcr.io"), "gcloud");
  EXPECT_EQ(k.HelperFor("other.example"), "desktop");
}

TEST(KeychainTest, KubernetesSecrets) {
  std::string config = absl::StrCat(R"({"auths":{"127.0.0.1:5000":{"auth":")",
                                    Base64Encode("alice:wonderland"), R"("}}})");
  ASSERT_OK_AND_ASSIGN(Keychain k, Keychain::FromSecret("kubernetes.io/dockerconfigjson",
                                                        {{".dockerconfigjson", config}}));
  ASSERT_NE(k.Find("127.0.0.1:5000"), nullptr);
  EXPECT_EQ(k.Find("127.0.0.1:5000")->username, "alice");

  std::string legacy = absl::StrCat(R"({"registry.example":{"auth":")", Base64Encode("bob:builder"),
                                    R"(","email":"b@example"}})");
  ASSERT_OK_AND_ASSIGN(Keychain old,
                       Keychain::FromSecret("kubernetes.io/dockercfg", {{".dockercfg", legacy}}));
  EXPECT_EQ(old.Find("registry.example")->password.InsecureView(), "builder");

  EXPECT_THAT(Keychain::FromSecret("Opaque", {{".dockerconfigjson", config}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no registry credentials")));
  EXPECT_THAT(Keychain::FromSecret("kubernetes.io/dockerconfigjson", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no .dockerconfigjson")));
}

TEST(KeychainTest, AuthWithoutPaddingAccepted) {
  std::string b64 = Base64Encode("ab:c");  // "YWI6Yw=="
  std::string unpadded = b64.substr(0, b64.find('='));
  ASSERT_OK_AND_ASSIGN(Keychain k, Keychain::ParseDockerConfigJson(absl::StrCat(
                                       R"({"auths":{"r.example":{"auth":")", unpadded, R"("}}})")));
  EXPECT_EQ(k.Find("r.example")->password.InsecureView(), "c");
}

TEST(KeychainTest, ErrorsNeverQuoteSecrets) {
  const std::string secret = "s3cr3t-value";
  for (const std::string& json :
       {absl::StrCat(R"({"auths":{"r.example":{"auth":")", Base64Encode(secret), R"("}}})"),
        absl::StrCat(R"({"auths":{"r.example":{"auth":"!)", secret, R"("}}})"),
        absl::StrCat(R"({"auths":{"r.example":{"username":"u","password":7}}})"),
        std::string(R"({"auths":[]})"), std::string("{"), std::string(R"({"credHelpers":[1]})")}) {
    auto k = Keychain::ParseDockerConfigJson(json);
    ASSERT_FALSE(k.ok()) << json;
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(k.status().message()), Not(HasSubstr(secret)));
    EXPECT_THAT(std::string(k.status().message()), HasSubstr("docker config"));
  }
}

TEST(KeychainTest, LoadDefaultFromDockerConfigEnv) {
  std::string dir = hallmark::testing::TempDir();
  hallmark::testing::WriteFileOrDie(
      dir + "/config.json",
      absl::StrCat(R"({"auths":{"r.example":{"auth":")", Base64Encode("x:y"), R"("}}})"));
  setenv("DOCKER_CONFIG", dir.c_str(), 1);
  ASSERT_OK_AND_ASSIGN(Keychain k, Keychain::LoadDefault());
  EXPECT_NE(k.Find("r.example"), nullptr);
  setenv("DOCKER_CONFIG", (dir + "/missing").c_str(), 1);
  ASSERT_OK_AND_ASSIGN(Keychain empty, Keychain::LoadDefault());
  EXPECT_TRUE(empty.empty());
  unsetenv("DOCKER_CONFIG");
  EXPECT_THAT(Keychain::LoadFile(dir + "/nope.json"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(KeychainTest, MergeKeepsExisting) {
  Keychain a, b;
  Credentials c1;
  c1.username = "first";
  Credentials c2;
  c2.username = "second";
  a.Add("r.example", c1);
  b.Add("https://r.example/", c2);
  b.Add("s.example", c2);
  a.Merge(b);
  EXPECT_EQ(a.Find("r.example")->username, "first");
  EXPECT_EQ(a.Find("s.example")->username, "second");
  EXPECT_EQ(a.size(), 2u);
}

}  // namespace
}  // namespace hallmark::oci
