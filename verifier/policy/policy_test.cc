// Loading policies: the Kyverno fixtures load with the fields they set, and every unsupported
// feature is refused at load time with a message naming the field.
#include "verifier/policy/policy.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::verifier::policy {
namespace {

using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(PolicyTest, LocalSeedStyleFixtureUsesEveryField) {
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> policies,
                       ParsePolicies(ReadFixture("kyverno/policies/local-seed-style.yaml")));
  ASSERT_EQ(policies.size(), 1u);
  const Policy& p = policies[0];
  EXPECT_EQ(p.name, "verify-local-images");
  EXPECT_EQ(p.Key(), "/verify-local-images");
  EXPECT_EQ(p.webhook_timeout_seconds, 30);
  EXPECT_FALSE(p.background);
  ASSERT_EQ(p.rules.size(), 1u);  // autogen-controllers: none
  const Rule& r = p.rules[0];
  EXPECT_EQ(r.action, FailureAction::kEnforce);
  ASSERT_EQ(r.verify_images.size(), 1u);
  const ImageVerification& iv = r.verify_images[0];
  EXPECT_THAT(iv.image_references, ElementsAre("registry.example:5000/*"));
  EXPECT_THAT(iv.skip_image_references, ElementsAre("registry.example:5000/skipped/*"));
  EXPECT_TRUE(iv.verify_digest && iv.mutate_digest && iv.required);
  EXPECT_FALSE(iv.use_cache);
  EXPECT_TRUE(iv.credentials.allow_insecure);
  EXPECT_THAT(iv.credentials.secrets, ElementsAre("regcred"));
  ASSERT_EQ(iv.attestors.size(), 1u);
  EXPECT_EQ(iv.attestors[0].count, 1);
  ASSERT_EQ(iv.attestors[0].entries.size(), 2u);
  EXPECT_EQ(iv.attestors[0].entries[0].key->Pem(), ReadFixture("cosign/keys/chains-p256.pub"));
  EXPECT_EQ(iv.attestors[0].entries[1].key->Pem(), ReadFixture("cosign/keys/tekton-p256.pub"));
  ASSERT_EQ(iv.attestations.size(), 1u);
  EXPECT_EQ(iv.attestations[0].type, "https://example.com/CodeReview/v1");
  ASSERT_EQ(iv.attestations[0].conditions.size(), 1u);
  EXPECT_EQ(iv.attestations[0].conditions[0].all.size(), 2u);
  // Same text, same version; another text, another version.
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> again,
                       ParsePolicies(ReadFixture("kyverno/policies/local-seed-style.yaml")));
  EXPECT_EQ(again[0].version, p.version);
}

TEST(PolicyTest, UpstreamFixturesLoad) {
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> basic,
                       ParsePolicies(ReadFixture("kyverno/policies/upstream-keyed-basic.yaml")));
  ASSERT_EQ(basic[0].rules.size(), 3u);  // the rule and its two autogen rules
  EXPECT_EQ(basic[0].rules[1].name, "autogen-keyed-basic-rule");
  EXPECT_EQ(basic[0].rules[1].pod_template_prefix, "/spec/template");
  EXPECT_EQ(basic[0].rules[2].name, "autogen-cronjob-keyed-basic-rule");
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> secret,
                       ParsePolicies(ReadFixture("kyverno/policies/upstream-keyed-secret.yaml")));
  const Attestor& a = secret[0].rules[0].verify_images[0].attestors[0].entries[0];
  ASSERT_TRUE(a.secret.has_value());
  EXPECT_EQ(a.secret->ns, "test-verify-images");
  EXPECT_EQ(a.secret->name, "testsecret");
  ASSERT_OK_AND_ASSIGN(
      std::vector<Policy> count,
      ParsePolicies(ReadFixture("kyverno/policies/upstream-multiple-attestors-count.yaml")));
  ASSERT_EQ(count[0].rules.size(), 2u);
  EXPECT_FALSE(count[0].rules[1].verify_images[0].mutate_digest);
  ASSERT_OK_AND_ASSIGN(
      std::vector<Policy> digest_only,
      ParsePolicies(
          ReadFixture("kyverno/policies/upstream-nomutatedigest-verifydigest-norequired.yaml")));
  EXPECT_TRUE(digest_only[0].rules[0].verify_images[0].attestors.empty());
  ASSERT_OK_AND_ASSIGN(
      std::vector<Policy> cli,
      ParsePolicies(ReadFixture("kyverno/policies/upstream-cli-verify-signature/policies.yaml")));
  ASSERT_EQ(cli.size(), 2u);
  EXPECT_EQ(cli[1].name, "check-data-volume-image");
  ASSERT_EQ(cli[1].rules[0].image_extractors.at("DataVolume").size(), 1u);
  EXPECT_EQ(cli[1].rules[0].image_extractors.at("DataVolume")[0].jmes_path,
            "trim_prefix(@, 'docker://')");
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> seed,
                       ParsePolicies(ReadFixture("seed/kyverno.only-cosign-image-deploy.yaml")));
  EXPECT_THAT(seed[0].rules[0].match.any[0].namespaces, ElementsAre("policy"));
}

TEST(PolicyTest, TransparencyLogRequirementRefusedUnlessIgnoredExplicitly) {
  // The legacy unit-test policy has `key` without rekor settings: Kyverno would require Rekor.
  const std::string text = ReadFixture("kyverno/policies/upstream-unit-attest-policy.json");
  EXPECT_THAT(ParsePolicies(text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("spec.rules[0] (attest).verifyImages[0].attestors[0].entries[0]"
                                 ".keys.rekor: this entry requires a transparency log")));
  LoadOptions insecure;
  insecure.insecure_ignore_tlog = true;
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> p, ParsePolicies(text, insecure));
  const ImageVerification& iv = p[0].rules[0].verify_images[0];
  EXPECT_THAT(iv.image_references, ElementsAre("*"));
  ASSERT_EQ(iv.attestors.size(), 1u);  // converted from the legacy `key`
  EXPECT_EQ(iv.attestations[0].type, "https://example.com/CodeReview/v1");
  // ignoreTlog: false is the same requirement.
  std::string keyed = absl::StrReplaceAll(ReadFixture("kyverno/policies/upstream-keyed-basic.yaml"),
                                          {{"ignoreTlog: true", "ignoreTlog: false"}});
  EXPECT_THAT(ParsePolicies(keyed),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--insecure-ignore-tlog")));
}

json Minimal(const json& verify_image) {
  return {
      {"apiVersion", "kyverno.io/v1"},
      {"kind", "ClusterPolicy"},
      {"metadata", {{"name", "p"}}},
      {"spec",
       {{"rules",
         json::array({{{"name", "r"},
                       {"match", {{"any", json::array({{{"resources", {{"kinds", {"Pod"}}}}}})}}},
                       {"verifyImages", json::array({verify_image})}}})}}}};
}

json WithKey(json iv) {
  iv["attestors"] =
      json::parse(R"([{"entries":[{"keys":{"publicKeys":"KEY","rekor":{"ignoreTlog":true}}}]}])");
  iv["attestors"][0]["entries"][0]["keys"]["publicKeys"] =
      ReadFixture("cosign/keys/chains-p256.pub");
  return iv;
}

TEST(PolicyTest, UnsupportedFeaturesAreRefusedByName) {
  struct Case {
    json policy;
    std::string message;
  };
  json base = WithKey({{"imageReferences", {"*"}}});
  std::vector<Case> cases;
  auto with = [&](const std::function<void(json&)>& edit, std::string message) {
    json p = Minimal(base);
    edit(p);
    cases.push_back({p, std::move(message)});
  };
  auto entry = [](json& p) -> json& {
    return p["spec"]["rules"][0]["verifyImages"][0]["attestors"][0]["entries"][0];
  };
  auto vi = [](json& p) -> json& { return p["spec"]["rules"][0]["verifyImages"][0]; };
  with(
      [&](json& p) {
        entry(p) = {{"keyless", {{"subject", "x"}}}};
      },
      "keyless (Fulcio) verification is not supported");
  with(
      [&](json& p) {
        entry(p) = {{"certificates", {{"cert", "x"}}}};
      },
      "certificate verification is not supported");
  with([&](json& p) { entry(p)["keys"]["kms"] = "gcpkms://x"; }, "KMS keys are not supported");
  with([&](json& p) { entry(p)["keys"]["publicKeys"] = "awskms:///alias/x"; },
       "KMS key URIs are not supported");
  with(
      [&](json& p) {
        entry(p)["keys"]["publicKeys"] = ReadFixture("cosign/simplesigning/fulcio_v1.crt.pem");
      },
      "keys.publicKeys:");
  with([&](json& p) { entry(p)["keys"]["signatureAlgorithm"] = "md5"; }, "\"md5\" is not one of");
  with([&](json& p) { vi(p)["type"] = "Notary"; }, "\"Notary\" verification is not supported");
  with([&](json& p) { vi(p)["type"] = "SigstoreBundle"; },
       "\"SigstoreBundle\" verification is not supported");
  with([&](json& p) { vi(p)["cosignOCI11"] = true; }, "OCI 1.1 referrers are not supported");
  with([&](json& p) { vi(p)["imageReferences"] = json::array(); },
       "An image reference is required");
  with([&](json& p) { vi(p)["attestors"][0]["entries"] = json::array(); }, "An entry is required");
  with([&](json& p) { vi(p)["attestors"][0]["count"] = 2; },
       "Count cannot exceed length of entries");
  with([&](json& p) { vi(p)["attestations"] = json::parse(R"([{"type":"x"}])"); },
       "attestations without attestors");
  with([&](json& p) { vi(p)["attestations"] = json::parse(R"([{"attestors":[]}])"); },
       "missing type");
  with(
      [&](json& p) {
        vi(p)["imageRegistryCredentials"] = {{"providers", {"amazon"}}};
      },
      "credential helpers are not supported");
  with([&](json& p) { vi(p)["failureAction"] = "Audit"; },
       "mutateDigest must be set to false for \xe2\x80\x98"
       "Audit\xe2\x80\x99 failure action");
  with(
      [&](json& p) {
        p["spec"]["rules"][0]["validate"] = {{"message", "x"}};
      },
      "validate rules are not supported");
  with(
      [&](json& p) {
        p["spec"]["rules"][0]["preconditions"] = {{"all", json::array({{{"key", "a"}}})}};
      },
      "rule preconditions are not supported");
  with(
      [&](json& p) {
        p["spec"]["rules"][0]["match"]["any"][0]["resources"]["namespaceSelector"] = {
            {"matchLabels", {{"a", "b"}}}};
      },
      "namespaceSelector is not supported");
  with([&](json& p) { p["spec"]["rules"][0]["match"]["any"][0]["clusterRoles"] = {"admin"}; },
       "matching on clusterRoles is not supported");
  with(
      [&](json& p) {
        p["spec"]["validationFailureActionOverrides"] = json::array({{{"action", "Audit"}}});
      },
      "overrides are not supported");
  with([&](json& p) { p["spec"]["rules"].push_back(p["spec"]["rules"][0]); },
       "duplicate rule name \"r\"");
  with([&](json& p) { p["kind"] = "ConfigMap"; }, "not a Kyverno policy");
  with([&](json& p) { p["apiVersion"] = "kyverno.io/v9"; }, "is not kyverno.io/v1");
  with(
      [&](json& p) {
        vi(p)["attestations"] = json::parse(
            R"([{"type":"t","conditions":[{"all":[{"key":"{{ request.object.metadata.name }}","operator":"Equals","value":"x"}]}]}])");
        vi(p)["attestations"][0]["attestors"] = vi(p)["attestors"];
      },
      "only the attestation's predicate can be referenced");
  with(
      [&](json& p) {
        vi(p)["attestations"] = json::parse(
            R"([{"type":"t","conditions":[{"all":[{"key":"{{ length(repo) }}","operator":"Equals","value":1}]}]}])");
        vi(p)["attestations"][0]["attestors"] = vi(p)["attestors"];
      },
      "only field paths such as {{ repo.uri }} are supported");
  with(
      [&](json& p) {
        vi(p)["attestations"] = json::parse(
            R"([{"type":"t","conditions":[{"all":[{"key":"a","operator":"DurationGreaterThan","value":1}]}]}])");
        vi(p)["attestations"][0]["attestors"] = vi(p)["attestors"];
      },
      "\"DurationGreaterThan\" is not supported");
  with(
      [&](json& p) {
        p["spec"]["rules"][0]["imageExtractors"] =
            json::parse(R"json({"Pod":[{"path":"/spec/x","jmesPath":"split(@, ':')"}]})json");
      },
      "is not supported");
  for (const Case& c : cases) {
    EXPECT_THAT(ParsePolicy(c.policy),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.policy.dump();
  }
  // And the base policy itself is fine.
  EXPECT_OK(ParsePolicy(Minimal(base)).status());
}

TEST(PolicyTest, ActionsFollowKyverno) {
  json p = Minimal(WithKey({{"imageReferences", {"*"}}}));
  ASSERT_OK_AND_ASSIGN(Policy implicit, ParsePolicy(p));
  EXPECT_EQ(implicit.rules[0].action, FailureAction::kAudit);  // CRD default
  p["spec"]["validationFailureAction"] = "enforce";
  ASSERT_OK_AND_ASSIGN(Policy spec_level, ParsePolicy(p));
  EXPECT_EQ(spec_level.rules[0].action, FailureAction::kEnforce);
  json audit_entry =
      WithKey({{"imageReferences", {"*"}}, {"mutateDigest", false}, {"failureAction", "Audit"}});
  p["spec"]["rules"][0]["verifyImages"].push_back(audit_entry);
  ASSERT_OK_AND_ASSIGN(Policy mixed, ParsePolicy(p));
  EXPECT_EQ(mixed.rules[0].action, FailureAction::kAudit);  // an entry's action beats the spec's
  p["spec"]["rules"][0]["verifyImages"][0]["failureAction"] = "Enforce";
  ASSERT_OK_AND_ASSIGN(Policy enforce_wins, ParsePolicy(p));
  EXPECT_EQ(enforce_wins.rules[0].action, FailureAction::kEnforce);
}

TEST(PolicyTest, MalformedTextIsAnError) {
  EXPECT_THAT(ParsePolicies("spec: [unclosed"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePolicies(std::string(kMaxPolicyBytes + 1, ' ')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("larger than")));
  EXPECT_THAT(
      ParsePolicies("apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: 3}\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a string")));
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> none, ParsePolicies("# nothing\n"));
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace hallmark::verifier::policy
