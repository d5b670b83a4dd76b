#include "tests/apiserver/kind_validation.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {
namespace {

using ::testing::ElementsAre;
using json = nlohmann::json;

std::vector<std::string> Errors(const std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.String());
  return out;
}

std::vector<std::string> Secret(const json& s) { return Errors(ValidateKind("", "secrets", s)); }

TEST(KindValidation, SecretTypesNeedTheirKeys) {
  EXPECT_THAT(Secret({{"type", "kubernetes.io/tls"}, {"data", {{"ca.crt", "YQ=="}}}}),
              ElementsAre("data[tls.crt]: Required value", "data[tls.key]: Required value"));
  EXPECT_THAT(
      Secret({{"type", "kubernetes.io/tls"}, {"data", {{"tls.crt", "YQ=="}, {"tls.key", ""}}}}),
      ElementsAre());
  EXPECT_THAT(Secret({{"type", "kubernetes.io/basic-auth"}, {"data", json::object()}}),
              ElementsAre("data[username]: Required value", "data[password]: Required value"));
  EXPECT_THAT(Secret({{"type", "kubernetes.io/basic-auth"}, {"data", {{"password", "YQ=="}}}}),
              ElementsAre());
  EXPECT_THAT(Secret({{"type", "kubernetes.io/ssh-auth"}, {"data", {{"ssh-privatekey", ""}}}}),
              ElementsAre("data[ssh-privatekey]: Required value"));
  EXPECT_THAT(Secret({{"type", "kubernetes.io/service-account-token"}}),
              ElementsAre("metadata.annotations[kubernetes.io/service-account.name]: Required "
                          "value"));
  EXPECT_THAT(Secret({{"type", "Opaque"}}), ElementsAre());
  EXPECT_THAT(Secret({{"type", "example.com/anything"}}), ElementsAre());
}

TEST(KindValidation, DockerConfigJsonMustBeAJsonObjectAndIsNeverQuoted) {
  EXPECT_THAT(Secret({{"type", "kubernetes.io/dockerconfigjson"}}),
              ElementsAre("data[.dockerconfigjson]: Required value"));
  // {"auths":{}} and "hunter2-not-json"
  EXPECT_THAT(Secret({{"type", "kubernetes.io/dockerconfigjson"},
                      {"data", {{".dockerconfigjson", "eyJhdXRocyI6e319"}}}}),
              ElementsAre());
  std::vector<std::string> bad =
      Secret({{"type", "kubernetes.io/dockerconfigjson"},
              {"data", {{".dockerconfigjson", "aHVudGVyMi1ub3QtanNvbg=="}}}});
  EXPECT_THAT(bad, ElementsAre("data[.dockerconfigjson]: Invalid value: \"<secret contents "
                               "redacted>\": not valid JSON"));
  EXPECT_THAT(bad[0], ::testing::Not(::testing::HasSubstr("hunter2")));
}

TEST(KindValidation, KeysAndSize) {
  EXPECT_THAT(
      Secret({{"data", {{"a/b", "YQ=="}, {"..x", "YQ=="}}}}),
      ElementsAre("data[..x]: Invalid value: \"..x\": must not start with '..'",
                  "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of "
                  "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
                  "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
  std::string big(1024 * 1024 / 3 * 4 + 8, 'A');
  EXPECT_THAT(Secret({{"data", {{"a", big}}}}),
              ElementsAre("data: Too long: may not be more than 1048576 bytes"));
  EXPECT_THAT(Errors(ValidateKind("", "configmaps",
                                  {{"data", {{"k", "v"}}}, {"binaryData", {{"k", "YQ=="}}}})),
              ElementsAre("data[k]: Invalid value: \"k\": duplicate of key present in binaryData"));
  EXPECT_THAT(Errors(ValidateKind("", "configmaps", {{"data", {{"ok.key", "v"}}}})), ElementsAre());
  EXPECT_THAT(Errors(ValidateKind("apps", "secrets", {{"data", {{"a/b", "v"}}}})), ElementsAre());
}

TEST(KindValidation, UpdatesKeepTypeAndImmutableContents) {
  json tls = {{"type", "kubernetes.io/tls"}, {"data", {{"tls.crt", "YQ=="}, {"tls.key", "Yg=="}}}};
  json opaque = {{"type", "Opaque"}, {"data", {{"tls.crt", "YQ=="}, {"tls.key", "Yg=="}}}};
  EXPECT_THAT(Errors(ValidateKindUpdate("", "secrets", tls, opaque)),
              ElementsAre("type: Invalid value: \"kubernetes.io/tls\": field is immutable"));
  json frozen = {{"immutable", true}, {"data", {{"a", "x"}}}};
  json changed = {{"immutable", true}, {"data", {{"a", "y"}}}};
  json thawed = {{"immutable", false}, {"data", {{"a", "x"}}}};
  EXPECT_THAT(Errors(ValidateKindUpdate("", "configmaps", changed, frozen)),
              ElementsAre("data: Forbidden: field is immutable when `immutable` is set"));
  EXPECT_THAT(Errors(ValidateKindUpdate("", "configmaps", thawed, frozen)),
              ElementsAre("immutable: Forbidden: field is immutable when `immutable` is set"));
  json labelled = frozen;
  labelled["metadata"] = {{"labels", {{"a", "b"}}}};
  EXPECT_THAT(Errors(ValidateKindUpdate("", "configmaps", labelled, frozen)), ElementsAre());
  json secret = {{"type", "Opaque"}, {"immutable", true}, {"data", {{"a", "YQ=="}}}};
  json secret2 = secret;
  secret2["data"]["a"] = "Yg==";
  EXPECT_THAT(Errors(ValidateKindUpdate("", "secrets", secret2, secret)),
              ElementsAre("data: Forbidden: field is immutable when `immutable` is set"));
  // A Secret may become immutable.
  json opaque_frozen = opaque;
  opaque_frozen["immutable"] = true;
  EXPECT_THAT(Errors(ValidateKindUpdate("", "secrets", opaque_frozen, opaque)), ElementsAre());
}

}  // namespace
}  // namespace hallmark::tests::apiserver
