#include "kube/kube_client.h"

#include "absl/strings/str_cat.h"
#include "kube/internal/json.h"

namespace hallmark::kube {
namespace {

std::string MetaString(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto value = meta->find(key);
  if (value == meta->end() || !value->is_string()) return "";
  return value->get<std::string>();
}

}  // namespace

absl::StatusOr<std::string> AddResourceVersionPrecondition(PatchType type, absl::string_view patch,
                                                           absl::string_view resource_version) {
  nlohmann::json doc =
      nlohmann::json::parse(patch.begin(), patch.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("patch: not JSON");
  if (type == PatchType::kMerge) {
    if (!doc.is_object()) return absl::InvalidArgumentError("merge patch: not a JSON object");
    nlohmann::json& meta = doc["metadata"];
    if (meta.is_null()) meta = nlohmann::json::object();
    if (!meta.is_object()) {
      return absl::InvalidArgumentError("merge patch: \"metadata\" is not an object");
    }
    meta["resourceVersion"] = std::string(resource_version);
  } else {
    if (!doc.is_array()) return absl::InvalidArgumentError("JSON patch: not a JSON array");
    doc.push_back({{"op", "add"},
                   {"path", "/metadata/resourceVersion"},
                   {"value", std::string(resource_version)}});
  }
  return internal::Dump(doc);
}

absl::StatusOr<std::string> AnnotationsMergePatch(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& changes) {
  nlohmann::json annotations = nlohmann::json::object();
  for (const auto& [key, value] : changes) {
    if (key.empty() || key.size() > 317) {
      return absl::InvalidArgumentError(
          absl::StrCat("annotation key must be 1-317 characters, got ", key.size()));
    }
    annotations[key] = value.has_value() ? nlohmann::json(*value) : nlohmann::json(nullptr);
  }
  return internal::Dump({{"metadata", {{"annotations", std::move(annotations)}}}});
}

std::string MetaName(const nlohmann::json& object) { return MetaString(object, "name"); }
std::string MetaNamespace(const nlohmann::json& object) { return MetaString(object, "namespace"); }
std::string MetaResourceVersion(const nlohmann::json& object) {
  return MetaString(object, "resourceVersion");
}
std::string MetaUid(const nlohmann::json& object) { return MetaString(object, "uid"); }

}  // namespace hallmark::kube
