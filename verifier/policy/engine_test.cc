// The policy engine against in-memory registries (testing/fake_sources.h): the Kyverno fixtures
// byte for byte, count/attestor semantics, attestations, caching, and the advisory regressions
// of reference/perf-reliability.md §6 that concern verification.
#include "verifier/policy/engine.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/content_digest.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/testing/fake_sources.h"
#include "verifier/policy/testing/signing.h"

namespace hallmark::verifier::policy {
namespace {

using ::hallmark::testing::ReadFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using json = nlohmann::json;
using testing::FakeImageSource;
using testing::FakeSecretSource;

const char kDemoDigest[] =
    "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

AdmissionInput InputFromReview(const json& review) {
  const json& r = review["request"];
  AdmissionInput in;
  in.operation = r["operation"].get<std::string>();
  in.group = r["kind"]["group"].get<std::string>();
  in.version = r["kind"]["version"].get<std::string>();
  in.kind = r["kind"]["kind"].get<std::string>();
  in.ns = r.value("namespace", "");
  in.name = r.value("name", "");
  in.object = r["object"];
  in.old_object = r["oldObject"];
  return in;
}

AdmissionInput PodInput(const std::string& ns, const std::string& name,
                        const std::vector<std::string>& images) {
  AdmissionInput in;
  in.kind = "Pod";
  in.ns = ns;
  in.name = name;
  json containers = json::array();
  for (size_t i = 0; i < images.size(); ++i) {
    containers.push_back({{"name", absl::StrCat("c", i)}, {"image", images[i]}});
  }
  in.object = {{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata", {{"name", name}, {"namespace", ns}}},
               {"spec", {{"containers", containers}}}};
  return in;
}

json KeyEntry(const crypto::PrivateKey& key) {
  return {{"keys",
           {{"publicKeys", key.public_key().Pem()},
            {"rekor", {{"ignoreTlog", true}}},
            {"ctlog", {{"ignoreSCT", true}}}}}};
}

json PolicyJson(const std::string& name, const json& verify_images,
                const std::string& action = "Enforce") {
  return {
      {"apiVersion", "kyverno.io/v1"},
      {"kind", "ClusterPolicy"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"validationFailureAction", action},
        {"rules",
         json::array({{{"name", "check"},
                       {"match", {{"any", json::array({{{"resources", {{"kinds", {"Pod"}}}}}})}}},
                       {"verifyImages", verify_images}}})}}}};
}

std::vector<Policy> Load(const json& policy, LoadOptions options = {}) {
  absl::StatusOr<Policy> p = ParsePolicy(policy, options);
  EXPECT_OK(p.status());
  return p.ok() ? std::vector<Policy>{*p} : std::vector<Policy>{};
}

crypto::PrivateKey NewKey() {
  absl::StatusOr<crypto::PrivateKey> k = crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256);
  EXPECT_OK(k.status());
  return *k;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : key_(NewKey()), other_(NewKey()) {}

  // A signed image `repo:v1` (tag -> digest of `seed`), signed with key_.
  oci::Digest Signed(const std::string& repo, const std::string& seed = "image") {
    oci::Digest d = oci::Sha256Of(repo + seed);
    source_.SetTag(repo + ":v1", {d});
    auto sig = testing::SignatureLayer(key_, repo, d);
    EXPECT_OK(sig.status());
    source_.SetLayers(repo, d, AttachmentKind::kSignatures, {*sig});
    return d;
  }

  EngineOutcome Mutate(const std::vector<Policy>& policies, const AdmissionInput& in) {
    EngineOptions o;
    o.images = &source_;
    o.secrets = secrets_;
    o.cache = cache_.get();
    return Engine(o).Mutate(policies, in);
  }
  EngineOutcome Validate(const std::vector<Policy>& policies, const AdmissionInput& in) {
    EngineOptions o;
    o.images = &source_;
    return Engine(o).Validate(policies, in);
  }

  crypto::PrivateKey key_, other_;
  FakeImageSource source_;
  FakeSecretSource* secrets_ = nullptr;
  std::unique_ptr<ImageVerdictCache> cache_;
};

// ---- the Kyverno fixtures ----

class FixtureTest : public EngineTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::vector<Policy>> p =
        ParsePolicies(ReadFixture("kyverno/policies/local-seed-style.yaml"));
    ASSERT_OK(p.status());
    policies_ = *p;
    oci::Digest demo = *oci::Digest::Parse(kDemoDigest);
    source_.SetTag("registry.example:5000/demo:v1", {demo});
    source_.SetTag("registry.example:5000/unsigned:v1", {oci::Sha256Of("unsigned")});
    auto blob = [](const std::string& f) { return ReadFixture("cosign/oci/" + f); };
    std::string sig0 = blob("sig-tag-example.layer0.blob");
    std::string att0 = blob("att-tag-example.layer0.blob"),
                att1 = blob("att-tag-example.layer1.blob");
    source_.SetLayers("registry.example:5000/demo", demo, AttachmentKind::kSignatures,
                      testing::LayersOf(blob("sig-tag-example.manifest.json"),
                                        {{oci::Sha256Of(sig0).String(), sig0}}));
    source_.SetLayers("registry.example:5000/demo", demo, AttachmentKind::kAttestations,
                      testing::LayersOf(blob("att-tag-example.manifest.json"),
                                        {{oci::Sha256Of(att0).String(), att0},
                                         {oci::Sha256Of(att1).String(), att1}}));
  }
  std::vector<Policy> policies_;
};

TEST_F(FixtureTest, UnsignedInitContainerDeniedWithKyvernosExactText) {
  json review = json::parse(ReadFixture("kyverno/admission/request-pod-create-unsigned.json"));
  json expected = json::parse(ReadFixture("kyverno/admission/response-denied.json"));
  EngineOutcome out = Mutate(policies_, InputFromReview(review));
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(out.message, expected["response"]["status"]["message"].get<std::string>());
  EXPECT_THAT(out.patch, IsEmpty());
  // What kubectl prints is that message after the webhook's prefix.
  std::string kubectl = ReadFixture("kyverno/admission/expected-kubectl-denial.txt");
  EXPECT_TRUE(absl::StrContains(kubectl, out.message.substr(2))) << kubectl;
}

TEST_F(FixtureTest, SignedPodPinnedAndAnnotatedLikeKyverno) {
  json review = json::parse(ReadFixture("kyverno/admission/request-pod-create-signed.json"));
  EngineOutcome out = Mutate(policies_, InputFromReview(review));
  ASSERT_TRUE(out.allowed) << out.message;
  json expected = json::parse(ReadFixture("kyverno/admission/response-allowed-patch.decoded.json"));
  EXPECT_EQ(out.patch, expected);
  EXPECT_EQ(out.patched_object["spec"]["containers"][0]["image"],
            absl::StrCat("registry.example:5000/demo:v1@", kDemoDigest));
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].status, RuleStatus::kPass);
  EXPECT_EQ(
      out.results[0].message,
      absl::StrCat("verified image attestations for registry.example:5000/demo@", kDemoDigest));
}

TEST_F(FixtureTest, SkippedImagesTouchNoRegistry) {
  EngineOutcome out =
      Mutate(policies_, PodInput("policy", "p", {"registry.example:5000/skipped/tool:1"}));
  EXPECT_TRUE(out.allowed);
  EXPECT_EQ(out.image_statuses["registry.example:5000/skipped/tool:1"], "skip");
  EXPECT_THAT(source_.Calls(), IsEmpty());
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_THAT(out.warnings[0], HasSubstr("skipping image reference image "
                                         "registry.example:5000/skipped/tool:1"));
}

// ---- count, attestor sets, nesting ----

TEST_F(EngineTest, CountOneOfTwoKeysAndAllByDefault) {
  Signed("registry.local/app");
  json entries = json::array({KeyEntry(other_), KeyEntry(key_)});
  json one = {{{"imageReferences", {"registry.local/*"}},
               {"attestors", json::array({{{"count", 1}, {"entries", entries}}})}}};
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", one)), PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_TRUE(out.allowed) << out.message;
  json all = {{{"imageReferences", {"registry.local/*"}},
               {"attestors", json::array({{{"entries", entries}}})}}};
  out = Mutate(Load(PolicyJson("p", all)), PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.message, HasSubstr("failed to verify image registry.local/app:v1:"));
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_EQ(out.results[0].message,
            "failed to verify image registry.local/app:v1: .attestors[0].entries[0].keys: no "
            "matching signatures: invalid signature when validating ASN.1 encoded signature");
}

TEST_F(EngineTest, SeveralKeysInOnePublicKeysTextAreSeparateEntries) {
  Signed("registry.local/app");
  json entry = KeyEntry(other_);
  entry["keys"]["publicKeys"] = other_.public_key().Pem() + key_.public_key().Pem();
  json vi = {{{"imageReferences", {"registry.local/*"}},
              {"attestors", json::array({{{"count", 1}, {"entries", {entry}}}})}}};
  std::vector<Policy> p = Load(PolicyJson("p", vi));
  ASSERT_EQ(p[0].rules[0].verify_images[0].attestors[0].entries.size(), 2u);
  EXPECT_TRUE(Mutate(p, PodInput("ns", "a", {"registry.local/app:v1"})).allowed);
}

TEST_F(EngineTest, AttestorSetsAreAndedAndNestedPathsPrinted) {
  Signed("registry.local/app");
  json nested = {{"attestor", {{"entries", json::array({KeyEntry(other_)})}}}};
  json vi = {
      {{"imageReferences", {"registry.local/*"}},
       {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}, {{"entries", {nested}}}})}}};
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", vi)), PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_THAT(
      out.results[0].message,
      HasSubstr(": .attestors[1].entries[0].attestor.entries[0].keys: no matching signatures"));
}

TEST_F(EngineTest, UnsignedImageSaysNoSignaturesFound) {
  source_.SetTag("registry.local/app:v1", {oci::Sha256Of("x")});
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  EngineOutcome out = Mutate(Load(PolicyJson("only-cosign", vi)),
                             PodInput("policy", "u", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(out.message,
            "\n\nresource Pod/policy/u was blocked due to the following policies \n\n"
            "only-cosign:\n  check: 'failed to verify image registry.local/app:v1: "
            ".attestors[0].entries[0].keys:\n"
            "    no signatures found'\n");
}

// ---- advisories (perf-reliability.md §6) ----

// CVE-2022-47633 / CVE-2023-47630: the registry answers the tag with a signed digest first and
// another digest afterwards; the Pod is pinned to the digest that was verified, and the tag is
// resolved once.
TEST_F(EngineTest, DigestServedDifferentlyOnTheSecondFetchPinsTheVerifiedOne) {
  oci::Digest good = Signed("registry.local/app");
  oci::Digest evil = oci::Sha256Of("evil");
  source_.SetTag("registry.local/app:v1", {good, evil});
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", vi)), PodInput("ns", "a", {"registry.local/app:v1"}));
  ASSERT_TRUE(out.allowed) << out.message;
  EXPECT_EQ(source_.resolves(), 1);
  EXPECT_EQ(out.patched_object["spec"]["containers"][0]["image"],
            "registry.local/app:v1@" + good.String());
  // The next admission sees the re-pointed tag: its (unsigned) digest is denied.
  out = Mutate(Load(PolicyJson("p", vi)), PodInput("ns", "b", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.message, HasSubstr("no signatures found"));
}

TEST_F(EngineTest, TooManyLayersIsRefusedAndDenied) {
  oci::Digest d = Signed("registry.local/app");
  auto sig = testing::SignatureLayer(key_, "registry.local/app", d);
  source_.SetLayers("registry.local/app", d, AttachmentKind::kSignatures,
                    std::vector<AttachmentLayer>(1001, *sig));
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", vi)), PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(
      out.results[0].message,
      HasSubstr(
          ".attestors[0].entries[0].keys: number of layers (1001) exceeded the limit (1000)"));
}

json AttestationVI(const crypto::PrivateKey& key, const std::string& type,
                   const json& conditions = nullptr) {
  json att = {{"type", type}, {"attestors", json::array({{{"entries", {KeyEntry(key)}}}})}};
  if (!conditions.is_null()) att["conditions"] = conditions;
  return {{{"imageReferences", {"*"}},
           {"attestors", json::array({{{"entries", {KeyEntry(key)}}}})},
           {"attestations", json::array({att})}}};
}

// CVE-2022-35929: an attestation of another predicate type never satisfies the policy.
TEST_F(EngineTest, AttestationOfAnotherPredicateTypeFails) {
  oci::Digest d = Signed("registry.local/app");
  auto vuln = testing::AttestationLayer(
      key_, testing::Statement("https://cosign.sigstore.dev/attestation/vuln/v1",
                               "registry.local/app", d, {{"scanner", "x"}}));
  source_.SetLayers("registry.local/app", d, AttachmentKind::kAttestations, {*vuln});
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", AttestationVI(key_, "https://slsa.dev/provenance/v0.2"))),
             PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(out.results[0].message,
            "image attestations verification failed, verifiedCount: 0, requiredCount: 1, error: "
            ".attestations[0].attestors[0].entries[0].keys: attestions not found for predicate "
            "type https://slsa.dev/provenance/v0.2");
}

// kyverno#2739: the attestation's own signature is checked.
TEST_F(EngineTest, AttestationSignedByTheWrongKeyFails) {
  oci::Digest d = Signed("registry.local/app");
  auto slsa = testing::AttestationLayer(
      other_, testing::Statement("https://slsa.dev/provenance/v0.2", "registry.local/app", d,
                                 {{"builder", {{"id", "x"}}}}));
  source_.SetLayers("registry.local/app", d, AttachmentKind::kAttestations, {*slsa});
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", AttestationVI(key_, "https://slsa.dev/provenance/v0.2"))),
             PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.results[0].message,
              HasSubstr("verifiedCount: 0, requiredCount: 1, error: no matching attestations: "
                        "accepted signatures do not match threshold, Found: 0, Expected 1"));
}

TEST_F(EngineTest, AttestationConditionsEvaluatedOnThePredicate) {
  oci::Digest d = Signed("registry.local/app");
  auto att = testing::AttestationLayer(
      key_, testing::Statement("https://example.com/CodeReview/v1", "registry.local/app", d,
                               {{"repo", {{"branch", "dev"}}}}));
  source_.SetLayers("registry.local/app", d, AttachmentKind::kAttestations, {*att});
  json conditions = json::parse(R"([{"all":[{"key":"{{ repo.branch }}","operator":"Equals",
                                             "value":"main","message":"only main is reviewed"}]}])");
  EngineOutcome out = Mutate(
      Load(PolicyJson("p", AttestationVI(key_, "https://example.com/CodeReview/v1", conditions))),
      PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(
      out.results[0].message,
      absl::StrCat("image attestations verification failed, verifiedCount: 0, requiredCount: 1, "
                   "error: .attestations[0].attestors[0].entries[0].keys: attestation checks "
                   "failed for registry.local/app@",
                   d.String(),
                   " and predicate https://example.com/CodeReview/v1: only main is reviewed"));
  conditions[0]["all"][0]["value"] = "d?v";
  out = Mutate(
      Load(PolicyJson("p", AttestationVI(key_, "https://example.com/CodeReview/v1", conditions))),
      PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_TRUE(out.allowed) << out.message;
}

// kyverno#15705 and "internal error -> deny": the registry cannot be reached.
TEST_F(EngineTest, RegistryErrorsDenyEvenUnderAuditAndIgnore) {
  source_.FailAll(absl::UnavailableError("dial tcp 127.0.0.1:1: connect: connection refused"));
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  json policy = PolicyJson("p", vi, "Audit");
  policy["spec"]["failurePolicy"] = "Ignore";
  vi[0]["mutateDigest"] = false;
  policy["spec"]["rules"][0]["verifyImages"] = vi;
  EngineOutcome out = Mutate(Load(policy), PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_TRUE(out.error);
  EXPECT_EQ(out.results[0].status, RuleStatus::kError);
  EXPECT_EQ(out.results[0].message,
            "failed to verify image registry.local/app:v1: .attestors[0].entries[0].keys: dial tcp "
            "127.0.0.1:1: connect: connection refused");
}

TEST_F(EngineTest, AuditFailureIsAdmittedWithAWarningAndAFailAnnotation) {
  source_.SetTag("registry.local/app:v1", {oci::Sha256Of("x")});
  json vi = {{{"imageReferences", {"*"}},
              {"mutateDigest", false},
              {"failureAction", "Audit"},
              {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  EngineOutcome out =
      Mutate(Load(PolicyJson("p", vi, "Enforce")), PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_TRUE(out.allowed);
  EXPECT_EQ(out.image_statuses["registry.local/app:v1"], "fail");
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_THAT(out.warnings[0], HasSubstr("policy p.check: failed to verify image"));
}

// CVE-2023-34091: an UPDATE of a terminating object is verified like any other; an image that
// did not change is not verified again (Kyverno's HasChanged), a changed one is.
TEST_F(EngineTest, UpdatesVerifyChangedImagesEvenOnTerminatingObjects) {
  Signed("registry.local/app");
  source_.SetTag("registry.local/evil:v1", {oci::Sha256Of("evil")});
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  std::vector<Policy> p = Load(PolicyJson("p", vi));
  AdmissionInput old_pod = PodInput("ns", "a", {"registry.local/app:v1"});
  AdmissionInput update = PodInput("ns", "a", {"registry.local/evil:v1"});
  update.operation = "UPDATE";
  update.old_object = old_pod.object;
  update.object["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  update.object["metadata"]["finalizers"] = {"example.com/keep"};
  EngineOutcome out = Mutate(p, update);
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.message, HasSubstr("failed to verify image registry.local/evil:v1"));

  AdmissionInput relabel = old_pod;
  relabel.operation = "UPDATE";
  relabel.old_object = old_pod.object;
  relabel.object["metadata"]["labels"] = {{"x", "y"}};
  int before = source_.resolves();
  out = Mutate(p, relabel);
  EXPECT_TRUE(out.allowed) << out.message;
  EXPECT_EQ(source_.resolves(), before);
}

TEST_F(EngineTest, ForgedAnnotationOnCreateIsNotTrusted) {
  oci::Digest d = oci::Sha256Of("unsigned");
  source_.SetTag("registry.local/app:v1", {d});
  AdmissionInput in = PodInput("ns", "a", {"registry.local/app@" + d.String()});
  in.object["metadata"]["annotations"] = {
      {"kyverno.io/verify-images", json{{"registry.local/app@" + d.String(), "pass"}}.dump()}};
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  EXPECT_FALSE(Mutate(Load(PolicyJson("p", vi)), in).allowed);
}

// ---- controllers, extractors, secrets ----

TEST_F(EngineTest, DeploymentsAreCheckedThroughAutogenRules) {
  oci::Digest d = Signed("registry.local/app");
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  std::vector<Policy> p = Load(PolicyJson("p", vi));
  ASSERT_EQ(p[0].rules.size(), 3u);
  EXPECT_EQ(p[0].rules[1].name, "autogen-check");
  EXPECT_EQ(p[0].rules[2].name, "autogen-cronjob-check");
  AdmissionInput in;
  in.group = "apps";
  in.kind = "Deployment";
  in.ns = "ns";
  in.name = "web";
  in.object = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"template":{"spec":{"containers":[{"name":"a","image":"registry.local/app:v1"},
                                              {"name":"b","image":"registry.local/other:v1"}]}}}})");
  source_.SetTag("registry.local/other:v1", {oci::Sha256Of("other")});
  EngineOutcome out = Mutate(p, in);
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.message, HasSubstr("resource Deployment/ns/web was blocked"));
  EXPECT_THAT(out.message,
              HasSubstr("autogen-check: 'failed to verify image registry.local/other:v1"));
  in.object["spec"]["template"]["spec"]["containers"].erase(1);
  out = Mutate(p, in);
  ASSERT_TRUE(out.allowed) << out.message;
  EXPECT_EQ(out.patch.back()["path"], "/spec/template/spec/containers/0/image");
  EXPECT_EQ(out.patch.back()["value"], "registry.local/app:v1@" + d.String());
}

TEST_F(EngineTest, KeysFromSecretsAndMissingSecretsDeny) {
  Signed("registry.local/app");
  FakeSecretSource secrets("kyverno");
  secrets_ = &secrets;
  json entry = {{"keys",
                 {{"secret", {{"name", "cosign"}, {"namespace", "keys"}}},
                  {"rekor", {{"ignoreTlog", true}}}}}};
  json vi = {{{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {entry}}}})}}};
  std::vector<Policy> p = Load(PolicyJson("p", vi));
  EngineOutcome out = Mutate(p, PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.results[0].message, HasSubstr("failed to read secret keys/cosign"));
  secrets.Set("keys", "cosign", Secret{"Opaque", {{"cosign.pub", key_.public_key().Pem()}}, "1"});
  EXPECT_TRUE(Mutate(p, PodInput("ns", "a", {"registry.local/app:v1"})).allowed);
}

TEST_F(EngineTest, CustomExtractorWithJmesPathForDataVolumes) {
  oci::Digest d = Signed("registry.local/app");
  (void)d;
  json policy = json::parse(R"json({"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy",
    "metadata":{"name":"dv"},"spec":{"rules":[{"name":"verify-signature",
      "imageExtractors":{"DataVolume":[{"path":"/spec/source/registry/url",
                                        "jmesPath":"trim_prefix(@, 'docker://')"}]},
      "match":{"any":[{"resources":{"kinds":["DataVolume"]}}]},
      "verifyImages":[{"imageReferences":["*"],"mutateDigest":false,"failureAction":"Enforce",
                       "attestors":[{"entries":[]}]}]}]}})json");
  policy["spec"]["rules"][0]["verifyImages"][0]["attestors"][0]["entries"] = {KeyEntry(key_)};
  std::vector<Policy> p = Load(policy);
  AdmissionInput in;
  in.group = "cdi.kubevirt.io";
  in.version = "v1beta1";
  in.kind = "DataVolume";
  in.ns = "ns";
  in.name = "dv";
  in.object = {{"kind", "DataVolume"},
               {"metadata", {{"name", "dv"}}},
               {"spec", {{"source", {{"registry", {{"url", "docker://registry.local/app:v1"}}}}}}}};
  EngineOutcome out = Mutate(p, in);
  EXPECT_TRUE(out.allowed) << out.message;
  EXPECT_EQ(out.results[0].status, RuleStatus::kPass);
  in.object["spec"]["source"]["registry"]["url"] = "docker://registry.local/nope:v1";
  source_.SetTag("registry.local/nope:v1", {oci::Sha256Of("nope")});
  EXPECT_FALSE(Mutate(p, in).allowed);
}

// ---- cache ----

TEST_F(EngineTest, ConcurrentMissesAreCoalescedAndHitsPinTheVerifiedDigest) {
  oci::Digest d = Signed("registry.local/app");
  ASSERT_OK_AND_ASSIGN(cache_, ImageVerdictCache::New({}));
  source_.SetDelay(absl::Milliseconds(200));
  json vi = {
      {{"imageReferences", {"*"}}, {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  std::vector<Policy> p = Load(PolicyJson("p", vi));
  std::vector<std::thread> threads;
  std::vector<EngineOutcome> outs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      outs[i] = Mutate(p, PodInput("ns", absl::StrCat("p", i), {"registry.local/app:v1"}));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const EngineOutcome& o : outs) EXPECT_TRUE(o.allowed) << o.message;
  EXPECT_EQ(source_.resolves(), 1);
  EXPECT_EQ(source_.fetches(), 1);
  CacheStats stats = cache_->Stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.coalesced + stats.hits, 7u);
  EXPECT_GE(stats.coalesced, 1u);
  // A warm hit does no registry work and still pins to the verified digest.
  EngineOutcome warm = Mutate(p, PodInput("ns", "warm", {"registry.local/app:v1"}));
  EXPECT_EQ(warm.cache_hits, 1u);
  EXPECT_EQ(source_.resolves(), 1);
  EXPECT_EQ(warm.patched_object["spec"]["containers"][0]["image"],
            "registry.local/app:v1@" + d.String());
  // Failures are never cached; a changed policy (new version) never reuses old results.
  json changed = PolicyJson("p", vi);
  changed["metadata"]["labels"] = {{"edited", "yes"}};
  Mutate(Load(changed), PodInput("ns", "x", {"registry.local/app:v1"}));
  EXPECT_EQ(source_.resolves(), 2);
}

// ---- the upstream chainsaw policies: the results their README states, with our key in place of
// the upstream one (whose private half is not published) ----

std::string WithKey(const std::string& yaml, const std::string& pem) {
  std::vector<std::string> out;
  std::vector<std::string> lines = absl::StrSplit(yaml, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t at = lines[i].find("-----BEGIN PUBLIC KEY-----");
    if (at == std::string::npos) {
      out.push_back(lines[i]);
      continue;
    }
    std::string indent = lines[i].substr(0, at);
    while (lines[i].find("-----END PUBLIC KEY-----") == std::string::npos) ++i;
    for (absl::string_view l : absl::StrSplit(pem, '\n', absl::SkipEmpty())) {
      out.push_back(indent + std::string(l));
    }
  }
  return absl::StrJoin(out, "\n");
}

TEST_F(EngineTest, UpstreamKeyedPoliciesGiveTheirStatedResults) {
  const std::string repo = "ghcr.io/kyverno/test-verify-image";
  oci::Digest signed_digest = oci::Sha256Of("signed");
  oci::Digest other_digest = oci::Sha256Of("signed-by-someone-else");
  source_.SetTag(repo + ":signed", {signed_digest});
  source_.SetTag(repo + ":unsigned", {oci::Sha256Of("unsigned")});
  source_.SetTag(repo + ":signed-by-someone-else", {other_digest});
  source_.SetLayers(repo, signed_digest, AttachmentKind::kSignatures,
                    {*testing::SignatureLayer(key_, repo, signed_digest)});
  source_.SetLayers(repo, other_digest, AttachmentKind::kSignatures,
                    {*testing::SignatureLayer(other_, repo, other_digest)});
  FakeSecretSource secrets;
  secrets.Set("test-verify-images", "testsecret",
              Secret{"Opaque", {{"cosign.pub", key_.public_key().Pem()}}, "1"});
  secrets_ = &secrets;
  for (const char* file : {"upstream-keyed-basic.yaml", "upstream-keyed-secret.yaml",
                           "upstream-multiple-attestors-count.yaml"}) {
    ASSERT_OK_AND_ASSIGN(std::vector<Policy> p,
                         ParsePolicies(WithKey(ReadFixture(absl::StrCat("kyverno/policies/", file)),
                                               key_.public_key().Pem())));
    EngineOutcome ok = Mutate(p, PodInput("test", "signed", {repo + ":signed"}));
    EXPECT_TRUE(ok.allowed) << file << ": " << ok.message;
    EXPECT_EQ(ok.patched_object["spec"]["containers"][0]["image"],
              repo + ":signed@" + signed_digest.String())
        << file;
    EngineOutcome no = Mutate(p, PodInput("test", "unsigned", {repo + ":unsigned"}));
    EXPECT_FALSE(no.allowed) << file;
    EXPECT_THAT(no.results[0].message,
                HasSubstr(".attestors[0].entries[0].keys: no signatures found"))
        << file;
    EngineOutcome wrong = Mutate(p, PodInput("test", "else", {repo + ":signed-by-someone-else"}));
    EXPECT_FALSE(wrong.allowed) << file;
    EXPECT_THAT(wrong.message, HasSubstr("no matching signatures")) << file;
  }
  // The second rule of multiple-attestors-count: my.local.repo images, no digest patch.
  ASSERT_OK_AND_ASSIGN(
      std::vector<Policy> count,
      ParsePolicies(WithKey(ReadFixture("kyverno/policies/upstream-multiple-attestors-count.yaml"),
                            key_.public_key().Pem())));
  oci::Digest local = oci::Sha256Of("local");
  source_.SetTag("my.local.repo/app:v1", {local});
  source_.SetLayers("my.local.repo/app", local, AttachmentKind::kSignatures,
                    {*testing::SignatureLayer(key_, "my.local.repo/app", local)});
  EngineOutcome local_ok = Mutate(count, PodInput("test", "local", {"my.local.repo/app:v1"}));
  EXPECT_TRUE(local_ok.allowed) << local_ok.message;
  EXPECT_EQ(local_ok.patched_object["spec"]["containers"][0]["image"], "my.local.repo/app:v1");
  EXPECT_EQ(local_ok.results[0].rule, "check-2");
  // `required`: the validating webhook sees the annotation the mutating one wrote.
  AdmissionInput validated = PodInput("test", "local", {"my.local.repo/app:v1"});
  EXPECT_FALSE(Validate(count, validated).allowed);  // not annotated: unverified image
  validated.object = local_ok.patched_object;
  EXPECT_TRUE(Validate(count, validated).allowed);
}

// ---- validating webhook ----

TEST_F(EngineTest, ValidateChecksDigestAndRequired) {
  json vi = {{{"imageReferences", {"registry.local/*"}},
              {"mutateDigest", false},
              {"attestors", json::array({{{"entries", {KeyEntry(key_)}}}})}}};
  std::vector<Policy> p = Load(PolicyJson("p", vi));
  EngineOutcome out = Validate(p, PodInput("ns", "a", {"registry.local/app:v1"}));
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(out.message,
            "\n\nresource Pod/ns/a was blocked due to the following policies \n\n"
            "p:\n  check: missing digest for registry.local/app:v1\n");
  oci::Digest d = oci::Sha256Of("x");
  AdmissionInput pinned = PodInput("ns", "a", {"registry.local/app@" + d.String()});
  out = Validate(p, pinned);
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.message, HasSubstr("check: unverified image registry.local/app@sha256:"));
  pinned.object["metadata"]["annotations"] = {
      {"kyverno.io/verify-images", json{{"registry.local/app@" + d.String(), "pass"}}.dump()}};
  EXPECT_TRUE(Validate(p, pinned).allowed);
}

TEST_F(EngineTest, UpstreamNoMutateDigestPolicyDeniesTagsInTheValidatingWebhook) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<Policy> p,
      ParsePolicies(
          ReadFixture("kyverno/policies/upstream-nomutatedigest-verifydigest-norequired.yaml")));
  AdmissionInput in = PodInput("ns", "a", {"ghcr.io/kyverno/test-verify-image:signed"});
  EngineOutcome m = Mutate(p, in);
  EXPECT_TRUE(m.allowed);
  EXPECT_THAT(m.patch, IsEmpty());
  EXPECT_THAT(source_.Calls(), IsEmpty());
  EngineOutcome v = Validate(p, in);
  EXPECT_FALSE(v.allowed);
  EXPECT_THAT(
      v.message,
      HasSubstr("mutatedigest-rule: missing digest for ghcr.io/kyverno/test-verify-image:signed"));
}

}  // namespace
}  // namespace hallmark::verifier::policy
