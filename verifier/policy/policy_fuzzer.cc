// Fuzz target: Kyverno policies (YAML or JSON streams) through ParsePolicies, and every policy
// that loads through the engine's Mutate and Validate on two admission requests (a Pod CREATE,
// and a Deployment UPDATE of a terminating object) against an in-memory registry where
// `registry.example:5000/demo:v1` is signed with Chains' test key (the key of the seed corpus'
// local-seed-style.yaml) and `registry.example:5000/unsigned:v1` is not.
// Invariants besides "no crash, no exception": load errors are kInvalidArgument; whatever loads
// without --insecure-ignore-tlog also loads with it; a denial has a message; a digest pinned by a
// patch is the digest the registry served for that image (CVE-2022-47633); and the unsigned
// image never passes unless some verifyImages entry checks nothing but the digest.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "base/encoding.h"
#include "base/secret_data.h"
#include "crypto/private_key.h"
#include "nlohmann/json.hpp"
#include "oci/reference.h"
#include "verifier/attachments.h"
#include "verifier/cosign.h"
#include "verifier/policy/engine.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/sources.h"
#include "verifier/policy/testing/fake_sources.h"
#include "verifier/policy/testing/signing.h"

namespace {

using hallmark::verifier::AttachmentKind;
using hallmark::verifier::AttachmentLayer;
using hallmark::verifier::policy::AdmissionInput;
using hallmark::verifier::policy::Engine;
using hallmark::verifier::policy::EngineOptions;
using hallmark::verifier::policy::EngineOutcome;
using hallmark::verifier::policy::LoadOptions;
using hallmark::verifier::policy::Policy;
using hallmark::verifier::policy::testing::FakeSecretSource;
using nlohmann::json;

// Says which invariant broke (the libFuzzer stack trace has no line numbers in replay builds).
#define Check(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "policy_fuzzer: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                           \
    }                                                                         \
  } while (false)

// A read-only registry: testing::FakeImageSource records every call, which would grow without
// bound over millions of fuzz runs.
class FixedImageSource : public hallmark::verifier::policy::ImageSource {
 public:
  void SetTag(const std::string& reference, const hallmark::oci::Digest& digest) {
    tags_.emplace(hallmark::oci::Reference::Parse(reference)->String(), digest);
  }
  void SetLayers(const std::string& repository, const hallmark::oci::Digest& digest,
                 AttachmentKind kind, std::vector<AttachmentLayer> layers) {
    layers_[Key(repository, digest, kind)] = std::move(layers);
  }
  absl::StatusOr<hallmark::oci::Digest> Resolve(
      const hallmark::oci::Reference& image,
      const hallmark::verifier::policy::RegistryAccess& access) override {
    if (image.has_digest()) return *image.digest();
    auto it = tags_.find(image.String());
    if (it == tags_.end()) {
      return hallmark::verifier::WithFailure(
          absl::NotFoundError("image tag not found: " + image.String()),
          hallmark::verifier::Failure::kImageNotFound);
    }
    return it->second;
  }
  absl::StatusOr<std::vector<AttachmentLayer>> Fetch(
      const hallmark::oci::Reference& image, const hallmark::oci::Digest& digest,
      AttachmentKind kind, const std::optional<hallmark::oci::Repository>& repository,
      const hallmark::verifier::policy::RegistryAccess& access) override {
    std::string repo = repository.has_value() ? repository->String()
                                              : hallmark::oci::Repository::Of(image).String();
    auto it = layers_.find(Key(repo, digest, kind));
    if (it == layers_.end()) return std::vector<AttachmentLayer>();
    return it->second;
  }

 private:
  static std::string Key(const std::string& repo, const hallmark::oci::Digest& digest,
                         AttachmentKind kind) {
    return repo + "@" + digest.String() + (kind == AttachmentKind::kSignatures ? ".sig" : ".att");
  }
  std::map<std::string, hallmark::oci::Digest> tags_;
  std::map<std::string, std::vector<AttachmentLayer>> layers_;
};

// fixtures/cosign/keys/chains-p256.plaintext.der: Chains' public test key (upstream test data).
constexpr char kChainsKeyPkcs8[] =
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmQZ9lG1aNn6Gjko1+/ImFsxrStUn4krRrciPCGFszoyh"
    "RANCAAQE6Kpi6ay6NyVc6XgIYZ1bjq1GOzjaiLxcSSL2s2KOcR6QXp6AytMZloeZsJPLPYHhXN1FkMPT/tM7iYeV6oEP";
constexpr char kSignedDigest[] =
    "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
constexpr char kUnsignedDigest[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

struct World {
  FixedImageSource images;
  FakeSecretSource secrets;
  AdmissionInput pod;
  AdmissionInput deployment_update;
};

World* MakeWorld() {
  auto* w = new World;
  auto der = hallmark::Base64Decode(kChainsKeyPkcs8);
  Check(der.ok());
  auto key = hallmark::crypto::PrivateKey::ParsePkcs8Der(hallmark::SecretData(*der));
  Check(key.ok());
  auto signed_digest = hallmark::oci::Digest::Parse(kSignedDigest);
  auto unsigned_digest = hallmark::oci::Digest::Parse(kUnsignedDigest);
  Check(signed_digest.ok() && unsigned_digest.ok());
  w->images.SetTag("registry.example:5000/demo:v1", *signed_digest);
  w->images.SetTag("registry.example:5000/unsigned:v1", *unsigned_digest);
  auto sig = hallmark::verifier::policy::testing::SignatureLayer(*key, "registry.example:5000/demo",
                                                                 *signed_digest);
  Check(sig.ok());
  w->images.SetLayers("registry.example:5000/demo", *signed_digest, AttachmentKind::kSignatures,
                      {*sig});
  json statement = hallmark::verifier::policy::testing::Statement(
      "https://slsa.dev/provenance/v0.2", "registry.example:5000/demo", *signed_digest,
      {{"builder", {{"id", "https://tekton.dev/chains/v2"}}}});
  auto att = hallmark::verifier::policy::testing::AttestationLayer(*key, statement);
  Check(att.ok());
  w->images.SetLayers("registry.example:5000/demo", *signed_digest, AttachmentKind::kAttestations,
                      {*att});
  hallmark::verifier::policy::Secret secret;
  secret.data["cosign.pub"] = key->public_key().Pem();
  secret.version = "1";
  w->secrets.Set("default", "cosign-pub", secret);

  json containers = json::array({{{"name", "app"}, {"image", "registry.example:5000/demo:v1"}}});
  json init = json::array({{{"name", "init"}, {"image", "registry.example:5000/unsigned:v1"}}});
  w->pod.kind = "Pod";
  w->pod.ns = "policy";
  w->pod.name = "p";
  w->pod.object = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", "p"}, {"namespace", "policy"}, {"labels", {{"app", "x"}}}}},
      {"spec", {{"containers", containers}, {"initContainers", init}}}};
  w->pod.user.username = "kubernetes-admin";

  json old_spec = {{"containers", json::array({{{"name", "app"}, {"image", "busybox"}}})}};
  auto deployment = [](const json& pod_spec) {
    return json{
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata",
         {{"name", "d"}, {"namespace", "policy"}, {"deletionTimestamp", "2026-01-01T00:00:00Z"}}},
        {"spec", {{"template", {{"spec", pod_spec}}}}}};
  };
  w->deployment_update.operation = "UPDATE";
  w->deployment_update.group = "apps";
  w->deployment_update.kind = "Deployment";
  w->deployment_update.ns = "policy";
  w->deployment_update.name = "d";
  w->deployment_update.object = deployment({{"containers", containers}, {"initContainers", init}});
  w->deployment_update.old_object = deployment(old_spec);
  return w;
}

bool SomeEntryChecksOnlyTheDigest(const std::vector<Policy>& policies) {
  for (const Policy& p : policies) {
    for (const auto& rule : p.rules) {
      for (const auto& iv : rule.verify_images) {
        if (iv.attestors.empty() && iv.attestations.empty()) return true;
      }
    }
  }
  return false;
}

void CheckOutcome(const std::vector<Policy>& policies, const EngineOutcome& out) {
  Check(out.allowed || !out.message.empty());
  Check(out.patch.is_array());
  for (const json& op : out.patch) {
    if (!op.is_object() || !op.contains("value") || !op["value"].is_string()) continue;
    if (!op.contains("path") || !op["path"].is_string() ||
        !absl::EndsWith(op["path"].get<std::string>(), "/image")) {
      continue;  // e.g. the kyverno.io/verify-images annotation
    }
    const std::string value = op["value"].get<std::string>();
    if (absl::StrContains(value, "registry.example:5000/demo") &&
        absl::StrContains(value, "@sha256:")) {
      Check(absl::EndsWith(value, std::string("@") + kSignedDigest));
    }
    if (absl::StrContains(value, "registry.example:5000/unsigned") &&
        absl::StrContains(value, "@sha256:")) {
      Check(absl::EndsWith(value, std::string("@") + kUnsignedDigest));
    }
  }
  for (const auto& [image, status] : out.image_statuses) {
    if (absl::StrContains(image, "unsigned") && status == "pass") {
      Check(SomeEntryChecksOnlyTheDigest(policies));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = MakeWorld();
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  LoadOptions strict;
  LoadOptions insecure;
  insecure.insecure_ignore_tlog = true;
  auto policies = hallmark::verifier::policy::ParsePolicies(text, strict);
  auto relaxed = hallmark::verifier::policy::ParsePolicies(text, insecure);
  if (!policies.ok()) Check(policies.status().code() == absl::StatusCode::kInvalidArgument);
  if (!relaxed.ok()) {
    Check(relaxed.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!policies.ok());
    return 0;
  }
  Check(!policies.ok() || policies->size() == relaxed->size());

  // No cache: every request reaches the (fake) registry, so each run checks the same thing.
  EngineOptions options;
  options.images = &world->images;
  options.secrets = &world->secrets;
  Engine engine(options);
  for (const AdmissionInput* input : {&world->pod, &world->deployment_update}) {
    EngineOutcome mutated = engine.Mutate(*relaxed, *input);
    CheckOutcome(*relaxed, mutated);
    AdmissionInput after = *input;
    if (mutated.allowed && mutated.patched_object.is_object())
      after.object = mutated.patched_object;
    CheckOutcome(*relaxed, engine.Validate(*relaxed, after));
  }
  return 0;
}
