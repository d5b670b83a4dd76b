// The policy engine against the REAL docker-registry (tests/registry) and against a hostile
// registry: the results the Kyverno fixtures' READMEs state, with real fetches.
//  - upstream CLI test (kyverno-test.yaml): Pod/DataVolume signed pass, unsigned fail — our test
//    key stands in for the upstream one (its private half is not published) and the images are
//    pushed to the local registry under the same path;
//  - local-seed-style.yaml with the cosign fixtures (the `.sig`/`.att` of sha256:634a...) stored in
//    the registry: the demo image passes signatures and the CodeReview attestation, an unsigned
//    image fails on both entries;
//  - CVE-2022-47633 / CVE-2023-47630: a tag the registry re-points between fetches;
//  - GHSA-95pr-fxf5-86gv: a `.sig` with 1001 layers.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "base/yaml_json.h"
#include "crypto/private_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/testing/http_test_server.h"
#include "oci/content_digest.h"
#include "oci/curl_registry_client.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "tests/registry/registry_server.h"
#include "verifier/policy/apply.h"
#include "verifier/policy/engine.h"
#include "verifier/policy/registry_source.h"
#include "verifier/policy/testing/signing.h"

namespace hallmark::verifier::policy {
namespace {

using ::hallmark::testing::ReadFixture;
using ::testing::HasSubstr;
using json = nlohmann::json;

const char kDemoDigest[] =
    "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

// Every PEM public key block of `yaml` replaced by `pem`, at the block's indentation.
std::string ReplaceKeys(const std::string& yaml, const std::string& pem) {
  std::vector<std::string> out;
  std::vector<std::string> lines = absl::StrSplit(yaml, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t at = lines[i].find("-----BEGIN PUBLIC KEY-----");
    if (at == std::string::npos) {
      out.push_back(lines[i]);
      continue;
    }
    std::string indent = lines[i].substr(0, at);
    while (i < lines.size() && lines[i].find("-----END PUBLIC KEY-----") == std::string::npos) ++i;
    for (absl::string_view l : absl::StrSplit(pem, '\n', absl::SkipEmpty()))
      out.push_back(indent + std::string(l));
  }
  return absl::StrJoin(out, "\n");
}

oci::RegistryClientOptions Fast() {
  oci::RegistryClientOptions o;
  o.retry.max_attempts = 1;
  o.request_timeout = absl::Seconds(5);
  return o;
}

class RealRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(registry_, tests::registry::RegistryServer::Start());
    ASSERT_OK_AND_ASSIGN(client_, oci::NewCurlRegistryClient(Fast()));
    RegistrySourceOptions o;
    o.client = Fast();
    ASSERT_OK_AND_ASSIGN(source_, RegistryImageSource::New(o));
    EngineOptions eo;
    eo.images = source_.get();
    engine_ = std::make_unique<Engine>(eo);
  }
  void TearDown() override {
    engine_.reset();
    source_.reset();
    client_.reset();
  }

  // Pushes `repo:tag` and, if `key` is given, its cosign signature; returns the digest.
  oci::Digest Push(const std::string& repo, const std::string& tag, const crypto::PrivateKey* key) {
    absl::StatusOr<tests::registry::TestImage> image = registry_->PushImage(repo, tag, repo + tag);
    EXPECT_OK(image.status());
    if (key != nullptr) {
      oci::Repository r{registry_->host(), repo};
      auto sig = testing::SignatureLayer(*key, r.String(), image->digest);
      EXPECT_OK(sig.status());
      EXPECT_OK(testing::PushAttachments(*client_, r, image->digest, AttachmentKind::kSignatures,
                                         {*sig}));
    }
    return image->digest;
  }

  std::unique_ptr<tests::registry::RegistryServer> registry_;
  std::unique_ptr<oci::RegistryClient> client_;
  std::unique_ptr<RegistryImageSource> source_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(RealRegistryTest, UpstreamCliTestExpectations) {
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  Push("kyverno/test-verify-image", "signed", &key);
  Push("kyverno/test-verify-image", "unsigned", nullptr);
  const std::string dir = "kyverno/policies/upstream-cli-verify-signature/";
  std::string policies_text =
      ReplaceKeys(ReadFixture(dir + "policies.yaml"), key.public_key().Pem());
  std::string resources_text = absl::StrReplaceAll(
      ReadFixture(dir + "resources.yaml"), {{"ghcr.io/kyverno", registry_->host() + "/kyverno"}});
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> policies, ParsePolicies(policies_text));
  ASSERT_OK_AND_ASSIGN(std::vector<json> resources, ParseYamlDocuments(resources_text));
  ApplyReport report = ApplyPolicies(*engine_, policies, resources);

  // kyverno-test.yaml: every listed (policy, rule, resource) has the listed result.
  ASSERT_OK_AND_ASSIGN(std::vector<json> test,
                       ParseYamlDocuments(ReadFixture(dir + "kyverno-test.yaml")));
  int checked = 0;
  for (const json& expected : test[0]["results"]) {
    for (const json& name : expected["resources"]) {
      bool found = false;
      for (const ResourceOutcome& r : report.resources) {
        if (r.name != name.get<std::string>() || r.kind != expected["kind"].get<std::string>())
          continue;
        for (const RuleResult& rr : r.results) {
          if (rr.policy != expected["policy"] || rr.rule != expected["rule"]) continue;
          found = true;
          EXPECT_EQ(std::string(RuleStatusName(rr.status)), expected["result"].get<std::string>())
              << r.kind << "/" << r.name << ": " << rr.message;
          ++checked;
        }
      }
      EXPECT_TRUE(found) << name;
    }
  }
  EXPECT_EQ(checked, 4);
  EXPECT_EQ(report.pass, 2);
  EXPECT_EQ(report.fail, 2);
  EXPECT_TRUE(report.enforce_failure);
  const std::string text = FormatApplyReport(report);
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("policy check-image -> resource default/Pod/unsigned failed:\n"
                                     "1. verify-signature: failed to verify image ",
                                     registry_->host(),
                                     "/kyverno/test-verify-image:unsigned: "
                                     ".attestors[0].entries[0].keys: no signatures found\n")));
  EXPECT_THAT(text, HasSubstr("pass: 2, fail: 2, warn: 0, error: 0, skip: 0"));
}

TEST_F(RealRegistryTest, LocalSeedStyleWithTheCosignFixturesInTheRegistry) {
  // The image manifest sha256:634a... itself cannot be stored (its layers are not in the
  // fixtures), so the Pod names it by digest — no resolution needed — and its `.sig` / `.att`
  // are the fixture's, byte for byte.
  oci::Repository demo{registry_->host(), "demo"};
  oci::Digest d = *oci::Digest::Parse(kDemoDigest);
  for (const char* part : {"sig-tag-example", "att-tag-example"}) {
    std::string manifest = ReadFixture(absl::StrCat("cosign/oci/", part, ".manifest.json"));
    std::string config = ReadFixture(absl::StrCat("cosign/oci/", part, ".config.json"));
    ASSERT_OK(client_->UploadBlob(demo, oci::Sha256Of(config), config));
    for (const char* layer : {"layer0", "layer1"}) {
      std::string path = absl::StrCat("cosign/oci/", part, ".", layer, ".blob");
      if (!FileExists(hallmark::testing::FixturePath(path))) continue;
      std::string blob = ReadFixture(path);
      ASSERT_OK(client_->UploadBlob(demo, oci::Sha256Of(blob), blob));
    }
    std::string tag =
        std::string(part) == "sig-tag-example" ? oci::SignatureTag(d) : oci::AttestationTag(d);
    ASSERT_OK(client_->PutManifest(demo, tag, manifest, oci::kOciManifestMediaType).status());
  }
  oci::Digest unsigned_digest = Push("unsigned", "v1", nullptr);
  std::string text = absl::StrReplaceAll(ReadFixture("kyverno/policies/local-seed-style.yaml"),
                                         {{"registry.example:5000", registry_->host()}});
  ASSERT_OK_AND_ASSIGN(std::vector<Policy> policies, ParsePolicies(text));
  AdmissionInput pod;
  pod.kind = "Pod";
  pod.ns = "policy";
  pod.name = "p";
  pod.object = {
      {"metadata", {{"name", "p"}}},
      {"spec",
       {{"containers",
         json::array({{{"name", "app"}, {"image", demo.String() + "@" + kDemoDigest}}})}}}};
  EngineOutcome out = engine_->Mutate(policies, pod);
  ASSERT_TRUE(out.allowed) << out.message;
  EXPECT_EQ(out.results[0].message,
            absl::StrCat("verified image attestations for ", demo.String(), "@", kDemoDigest));
  EXPECT_EQ(out.image_statuses[demo.String() + "@" + kDemoDigest], "pass");

  pod.object["spec"]["containers"][0]["image"] = registry_->host() + "/unsigned:v1";
  out = engine_->Mutate(policies, pod);
  EXPECT_FALSE(out.allowed);
  EXPECT_EQ(out.results[0].message,
            absl::StrCat("failed to verify image ", registry_->host(),
                         "/unsigned:v1: .attestors[0].entries[0].keys: no signatures found; "
                         ".attestors[0].entries[1].keys: no signatures found"));
  (void)unsigned_digest;
}

// A registry that answers one tag with a signed manifest first and another one afterwards, and
// can serve a `.sig` with any number of layers; it counts requests.
class HostileRegistry {
 public:
  HostileRegistry() {
    auto s = std::make_unique<httplib::Server>();
    s->Get(R"(/v2/(.+)/manifests/(.+))", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      std::string key = req.matches[2];
      ++gets_[key];
      auto it = manifests_.find(key);
      if (it == manifests_.end()) {
        res.status = 404;
        res.set_content(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
                        "application/json");
        return;
      }
      const std::vector<std::string>& bodies = it->second;
      res.set_content(bodies[std::min(gets_[key] - 1, static_cast<int>(bodies.size()) - 1)],
                      std::string(oci::kOciManifestMediaType));
    });
    s->Get(R"(/v2/(.+)/blobs/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      ++blob_gets_;
      auto it = blobs_.find(req.matches[2]);
      if (it == blobs_.end()) {
        res.status = 404;
        return;
      }
      res.set_content(it->second, "application/octet-stream");
    });
    auto started = net::testing::HttpTestServer::Start(std::move(s));
    EXPECT_OK(started.status());
    server_ = *std::move(started);
  }
  std::string host() const { return absl::StrCat("127.0.0.1:", server_->port()); }
  void Manifest(const std::string& key, std::vector<std::string> bodies) {
    absl::MutexLock lock(&mu_);
    manifests_[key] = std::move(bodies);
  }
  void Blob(const oci::Digest& d, std::string body) {
    absl::MutexLock lock(&mu_);
    blobs_[d.String()] = std::move(body);
  }
  int gets(const std::string& key) {
    absl::MutexLock lock(&mu_);
    return gets_[key];
  }
  int blob_gets() {
    absl::MutexLock lock(&mu_);
    return blob_gets_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::string>> manifests_;
  std::map<std::string, int> gets_;
  std::map<std::string, std::string> blobs_;
  int blob_gets_ = 0;
  std::unique_ptr<net::testing::HttpTestServer> server_;
};

std::string ManifestOf(const std::vector<oci::Descriptor>& layers, const std::string& salt = "") {
  oci::ImageManifest m(oci::Descriptor(std::string(oci::kOciConfigMediaType),
                                       oci::Sha256Of("{}" + salt), 2 + salt.size()));
  m.media_type = std::string(oci::kOciManifestMediaType);
  m.layers = layers;
  return m.Serialize();
}

json VerifyAll(const crypto::PrivateKey& key) {
  json p =
      json::parse(R"({"apiVersion":"kyverno.io/v1","kind":"ClusterPolicy","metadata":{"name":"p"},
    "spec":{"rules":[{"name":"r","match":{"any":[{"resources":{"kinds":["Pod"]}}]},
      "verifyImages":[{"imageReferences":["*"],"failureAction":"Enforce","attestors":[{"entries":[
        {"keys":{"publicKeys":"","rekor":{"ignoreTlog":true}}}]}]}]}]}})");
  p["spec"]["rules"][0]["verifyImages"][0]["attestors"][0]["entries"][0]["keys"]["publicKeys"] =
      key.public_key().Pem();
  return p;
}

TEST(HostileRegistryTest, TagRepointedBetweenFetchesPinsTheVerifiedDigest) {
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  HostileRegistry registry;
  const std::string a = ManifestOf({}, "a"), b = ManifestOf({}, "b");
  const oci::Digest da = oci::Sha256Of(a);
  registry.Manifest("latest", {a, b});
  auto sig = testing::SignatureLayer(key, registry.host() + "/app", da);
  ASSERT_OK(sig.status());
  registry.Manifest(oci::SignatureTag(da), {ManifestOf({sig->descriptor})});
  registry.Blob(sig->descriptor.digest, sig->blob);
  RegistrySourceOptions o;
  o.client = Fast();
  ASSERT_OK_AND_ASSIGN(auto source, RegistryImageSource::New(o));
  EngineOptions eo;
  eo.images = source.get();
  Engine engine(eo);
  ASSERT_OK_AND_ASSIGN(Policy p, ParsePolicy(VerifyAll(key)));
  AdmissionInput pod;
  pod.kind = "Pod";
  pod.ns = "ns";
  pod.name = "x";
  pod.object = {{"metadata", {{"name", "x"}}},
                {"spec",
                 {{"containers",
                   json::array({{{"name", "c"}, {"image", registry.host() + "/app:latest"}}})}}}};
  EngineOutcome out = engine.Mutate({p}, pod);
  ASSERT_TRUE(out.allowed) << out.message;
  EXPECT_EQ(registry.gets("latest"), 1);  // resolved once
  EXPECT_EQ(out.patched_object["spec"]["containers"][0]["image"],
            registry.host() + "/app:latest@" + da.String());
  // The registry now serves B for the tag: the next Pod is checked against B, and denied.
  out = engine.Mutate({p}, pod);
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.message, HasSubstr("no signatures found"));
}

TEST(HostileRegistryTest, ThousandAndOneSignatureLayersDenyWithoutFetchingBlobs) {
  ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key,
                       crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
  HostileRegistry registry;
  const oci::Digest d = oci::Sha256Of("image");
  auto sig = testing::SignatureLayer(key, registry.host() + "/app", d);
  registry.Manifest(oci::SignatureTag(d),
                    {ManifestOf(std::vector<oci::Descriptor>(1001, sig->descriptor))});
  registry.Blob(sig->descriptor.digest, sig->blob);
  RegistrySourceOptions o;
  o.client = Fast();
  ASSERT_OK_AND_ASSIGN(auto source, RegistryImageSource::New(o));
  EngineOptions eo;
  eo.images = source.get();
  ASSERT_OK_AND_ASSIGN(Policy p, ParsePolicy(VerifyAll(key)));
  AdmissionInput pod;
  pod.kind = "Pod";
  pod.ns = "ns";
  pod.name = "x";
  pod.object = {
      {"metadata", {{"name", "x"}}},
      {"spec",
       {{"containers",
         json::array({{{"name", "c"}, {"image", registry.host() + "/app@" + d.String()}}})}}}};
  EngineOutcome out = Engine(eo).Mutate({p}, pod);
  EXPECT_FALSE(out.allowed);
  EXPECT_THAT(out.results[0].message,
              HasSubstr(".attestors[0].entries[0].keys: " + registry.host() +
                        "/app:" + oci::SignatureTag(d) +
                        ": image manifest: number of layers (1001) exceeded the limit (1000)"));
  EXPECT_EQ(registry.blob_gets(), 0);
}

}  // namespace
}  // namespace hallmark::verifier::policy
