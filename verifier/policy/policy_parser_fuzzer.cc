// Fuzz target for policy loading and the denial text: any input either fails with
// kInvalidArgument or gives policies that obey the loader's promises (named, with rules, every
// rule with verifyImages entries, counts within entries); the engine evaluates them against a
// Pod without crashing; and every rule name and message goes through the yaml.v2 emitter into
// YAML that yaml-cpp reads back to the same text.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "verifier/policy/engine.h"
#include "verifier/policy/internal/go_yaml.h"
#include "verifier/policy/policy.h"
#include "verifier/policy/testing/fake_sources.h"
#include "yaml-cpp/yaml.h"

namespace {

using hallmark::verifier::policy::internal::MarshalGoYamlV2;
using hallmark::verifier::policy::internal::NestedStringMap;

// The emitter's output must be YAML meaning exactly `doc`.
void CheckRoundTrip(const NestedStringMap& doc) {
  std::string text = MarshalGoYamlV2(doc);
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap() || root.size() != doc.size()) std::abort();
    for (const auto& [policy, rules] : doc) {
      YAML::Node inner = root[policy];
      if (!inner.IsMap() || inner.size() != rules.size()) std::abort();
      for (const auto& [rule, message] : rules) {
        if (!inner[rule].IsScalar() || inner[rule].Scalar() != message) std::abort();
      }
    }
  } catch (const YAML::Exception&) {
    std::abort();
  }
}

bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;  // keep the round trip to text yaml-cpp agrees on
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hallmark::verifier::policy;  // NOLINT
  std::string input(reinterpret_cast<const char*>(data), size);
  for (bool ignore_tlog : {false, true}) {
    LoadOptions options;
    options.insecure_ignore_tlog = ignore_tlog;
    absl::StatusOr<std::vector<Policy>> policies = ParsePolicies(input, options);
    if (!policies.ok()) {
      if (policies.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
      continue;
    }
    NestedStringMap names;
    for (const Policy& p : *policies) {
      if (p.name.empty() || p.rules.empty() || p.version.empty()) std::abort();
      for (const Rule& r : p.rules) {
        if (r.name.empty() || r.verify_images.empty()) std::abort();
        for (const ImageVerification& iv : r.verify_images) {
          if (iv.image_references.empty()) std::abort();
          for (const AttestorSet& set : iv.attestors) {
            if (set.entries.empty() || set.RequiredCount() < 1 ||
                set.RequiredCount() > static_cast<int>(set.entries.size())) {
              std::abort();
            }
          }
        }
        if (Printable(p.name) && Printable(r.name)) names[p.name][r.name] = r.name + ": x";
      }
    }
    if (!names.empty()) CheckRoundTrip(names);
    testing::FakeImageSource source;
    EngineOptions eo;
    eo.images = &source;
    Engine engine(eo);
    AdmissionInput pod;
    pod.kind = "Pod";
    pod.ns = "default";
    pod.name = "fuzz";
    pod.object = nlohmann::json::parse(
        R"({"metadata":{"name":"fuzz"},"spec":{"containers":[{"name":"a","image":"registry.example/app:v1"},
           {"name":"b","image":"nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}})");
    EngineOutcome out = engine.Mutate(*policies, pod);
    if (!out.allowed && out.message.empty()) std::abort();
    EngineOutcome v = engine.Validate(*policies, pod);
    if (!v.allowed && v.message.empty()) std::abort();
  }
  // The emitter on the raw input as a message (printable ASCII subset).
  std::string message;
  for (char c : input) {
    if (c >= 0x20 && c < 0x7f) message += c;
    if (message.size() > 400) break;
  }
  CheckRoundTrip({{"policy", {{"rule", message}}}});
  return 0;
}
