// Fuzz target for base/yaml_json: any input either fails with kInvalidArgument or gives documents
// that JsonToYaml writes as YAML reading back to the same JSON (so the emitter quotes everything
// go-yaml v2 resolution would retype); the Kubernetes-style options (deep, last key wins) and
// ParseYamlOrJson never crash either.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/yaml_json.h"

namespace {

void CheckError(const absl::Status& status) {
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hallmark;
  std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<nlohmann::json>> docs = ParseYamlDocuments(input);
  CheckError(docs.status());
  if (docs.ok()) {
    for (const nlohmann::json& doc : *docs) {
      absl::StatusOr<nlohmann::json> back = ParseYaml(JsonToYaml(doc));
      if (!back.ok() || *back != doc) std::abort();
    }
  }
  YamlOptions kube;
  kube.max_depth = 200;
  kube.last_duplicate_key_wins = true;
  CheckError(ParseYaml(input, kube).status());
  CheckError(ParseYamlOrJson(input).status());
  return 0;
}
