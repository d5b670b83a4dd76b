#include "tests/apiserver/merge_patch.h"

namespace hallmark::tests::apiserver {

nlohmann::json ApplyMergePatch(const nlohmann::json& target, const nlohmann::json& patch) {
  if (!patch.is_object()) return patch;
  nlohmann::json result = target.is_object() ? target : nlohmann::json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      result.erase(it.key());
      continue;
    }
    auto existing = result.find(it.key());
    if (existing == result.end()) {
      result[it.key()] = ApplyMergePatch(nlohmann::json(), it.value());
    } else {
      *existing = ApplyMergePatch(*existing, it.value());
    }
  }
  return result;
}

}  // namespace hallmark::tests::apiserver
