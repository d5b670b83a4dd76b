#include "oci/manifest.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "oci/media_types.h"

namespace hallmark::oci {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

absl::Status Invalid(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", why));
}

// ParseObject: the one place manifests and indexes are parsed (exceptions off, and caught in case
// the library throws anyway, e.g. on allocation failure).
absl::StatusOr<Json> ParseObject(absl::string_view text, absl::string_view what) {
  if (text.size() > kMaxManifestBytes) {
    return Invalid(what, absl::StrCat("size ", text.size(), " exceeds the limit of ",
                                      kMaxManifestBytes, " bytes"));
  }
  Json j;
  try {
    j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return Invalid(what, "cannot be parsed");
  }
  if (j.is_discarded()) return Invalid(what, "not valid JSON");
  if (!j.is_object()) return Invalid(what, "not a JSON object");
  return j;
}

absl::Status CheckSchemaVersion(const Json& j, absl::string_view what) {
  auto it = j.find("schemaVersion");
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() != 2) {
    return Invalid(what, "schemaVersion must be 2");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OptionalString(const Json& j, const char* key, absl::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Invalid(what, absl::StrCat(key, " is not a string"));
  return it->get_ref<const std::string&>();
}

absl::StatusOr<std::map<std::string, std::string>> ParseAnnotations(const Json& j,
                                                                    absl::string_view what) {
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) return Invalid(what, "annotations is not an object");
  for (auto member = it->begin(); member != it->end(); ++member) {
    if (!member.value().is_string()) {
      return Invalid(what, absl::StrCat("annotation \"", member.key(), "\" is not a string"));
    }
    out.emplace(member.key(), member.value().get_ref<const std::string&>());
  }
  return out;
}

absl::StatusOr<Descriptor> ParseDescriptor(const Json& j, absl::string_view what) {
  if (!j.is_object()) return Invalid(what, "descriptor is not an object");
  HM_ASSIGN_OR_RETURN(std::string media_type, OptionalString(j, "mediaType", what));
  if (media_type.empty()) return Invalid(what, "descriptor has no mediaType");
  HM_ASSIGN_OR_RETURN(std::string digest_text, OptionalString(j, "digest", what));
  auto digest = Digest::Parse(digest_text);
  if (!digest.ok()) return Invalid(what, digest.status().message());
  auto size_it = j.find("size");
  if (size_it == j.end() || !size_it->is_number_integer()) {
    return Invalid(what, "descriptor size is missing or not an integer");
  }
  int64_t size = 0;
  if (size_it->is_number_unsigned()) {
    uint64_t u = size_it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Invalid(what, "descriptor size is too large");
    }
    size = static_cast<int64_t>(u);
  } else {
    size = size_it->get<int64_t>();
    if (size < 0) return Invalid(what, "descriptor size is negative");
  }
  Descriptor d(std::move(media_type), *std::move(digest), size);
  HM_ASSIGN_OR_RETURN(d.annotations, ParseAnnotations(j, what));
  HM_ASSIGN_OR_RETURN(d.artifact_type, OptionalString(j, "artifactType", what));
  return d;
}

OrderedJson DescriptorJson(const Descriptor& d) {
  OrderedJson j = OrderedJson::object();
  j["mediaType"] = d.media_type;
  j["size"] = d.size;
  j["digest"] = d.digest.String();
  if (!d.annotations.empty()) {
    OrderedJson a = OrderedJson::object();
    for (const auto& [k, v] : d.annotations) a[k] = v;  // std::map: sorted, as Go writes maps
    j["annotations"] = std::move(a);
  }
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

OrderedJson AnnotationsJson(const std::map<std::string, std::string>& annotations) {
  OrderedJson a = OrderedJson::object();
  for (const auto& [k, v] : annotations) a[k] = v;
  return a;
}

std::string Dump(const OrderedJson& j) {
  // `replace`: invalid UTF-8 in a string becomes U+FFFD (as Go does) instead of throwing.
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

}  // namespace

std::optional<std::string> Descriptor::Annotation(absl::string_view key) const {
  auto it = annotations.find(std::string(key));
  if (it == annotations.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ImageManifest> ImageManifest::Parse(absl::string_view json, size_t max_layers) {
  constexpr absl::string_view kWhat = "image manifest";
  HM_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  HM_RETURN_IF_ERROR(CheckSchemaVersion(j, kWhat));
  HM_ASSIGN_OR_RETURN(std::string media_type, OptionalString(j, "mediaType", kWhat));
  if (IsIndexMediaType(media_type) || j.contains("manifests")) {
    return Invalid(kWhat, absl::StrCat("expected an image manifest but got an index",
                                       media_type.empty() ? "" : " (" + media_type + ")"));
  }
  if (!media_type.empty() && !IsImageManifestMediaType(media_type)) {
    return Invalid(kWhat, absl::StrCat("unsupported mediaType ", media_type));
  }
  auto config_it = j.find("config");
  if (config_it == j.end()) return Invalid(kWhat, "no config descriptor");
  HM_ASSIGN_OR_RETURN(Descriptor config, ParseDescriptor(*config_it, "image manifest config"));
  ImageManifest m(std::move(config));
  m.media_type = std::move(media_type);

  auto layers_it = j.find("layers");
  if (layers_it != j.end() && !layers_it->is_null()) {
    if (!layers_it->is_array()) return Invalid(kWhat, "layers is not an array");
    // Checked before a single layer is converted (GHSA-95pr-fxf5-86gv).
    if (layers_it->size() > max_layers) {
      return Invalid(kWhat, absl::StrCat("number of layers (", layers_it->size(),
                                         ") exceeded the limit (", max_layers, ")"));
    }
    m.layers.reserve(layers_it->size());
    for (size_t i = 0; i < layers_it->size(); ++i) {
      HM_ASSIGN_OR_RETURN(
          Descriptor layer,
          ParseDescriptor((*layers_it)[i], absl::StrCat("image manifest layer ", i)));
      m.layers.push_back(std::move(layer));
    }
  }
  HM_ASSIGN_OR_RETURN(m.annotations, ParseAnnotations(j, kWhat));
  HM_ASSIGN_OR_RETURN(m.artifact_type, OptionalString(j, "artifactType", kWhat));
  auto subject_it = j.find("subject");
  if (subject_it != j.end() && !subject_it->is_null()) {
    HM_ASSIGN_OR_RETURN(Descriptor subject, ParseDescriptor(*subject_it, "image manifest subject"));
    m.subject = std::move(subject);
  }
  return m;
}

std::string ImageManifest::Serialize() const {
  OrderedJson j = OrderedJson::object();
  j["schemaVersion"] = 2;
  if (!media_type.empty()) j["mediaType"] = media_type;
  if (!artifact_type.empty()) j["artifactType"] = artifact_type;
  j["config"] = DescriptorJson(config);
  OrderedJson layers_json = OrderedJson::array();
  for (const Descriptor& layer : layers) layers_json.push_back(DescriptorJson(layer));
  j["layers"] = std::move(layers_json);
  if (!annotations.empty()) j["annotations"] = AnnotationsJson(annotations);
  if (subject.has_value()) j["subject"] = DescriptorJson(*subject);
  return Dump(j);
}

absl::StatusOr<ImageIndex> ImageIndex::Parse(absl::string_view json, size_t max_manifests) {
  constexpr absl::string_view kWhat = "image index";
  HM_ASSIGN_OR_RETURN(Json j, ParseObject(json, kWhat));
  HM_RETURN_IF_ERROR(CheckSchemaVersion(j, kWhat));
  ImageIndex index;
  HM_ASSIGN_OR_RETURN(index.media_type, OptionalString(j, "mediaType", kWhat));
  if (!index.media_type.empty() && !IsIndexMediaType(index.media_type)) {
    return Invalid(kWhat, absl::StrCat("expected an index but got ", index.media_type));
  }
  auto it = j.find("manifests");
  if (it == j.end() || !it->is_array())
    return Invalid(kWhat, "manifests is missing or not an array");
  if (it->size() > max_manifests) {
    return Invalid(kWhat, absl::StrCat("number of manifests (", it->size(),
                                       ") exceeded the limit (", max_manifests, ")"));
  }
  index.manifests.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    HM_ASSIGN_OR_RETURN(Descriptor d,
                        ParseDescriptor((*it)[i], absl::StrCat("image index entry ", i)));
    index.manifests.push_back(std::move(d));
  }
  HM_ASSIGN_OR_RETURN(index.annotations, ParseAnnotations(j, kWhat));
  return index;
}

std::string ImageIndex::Serialize() const {
  OrderedJson j = OrderedJson::object();
  j["schemaVersion"] = 2;
  if (!media_type.empty()) j["mediaType"] = media_type;
  OrderedJson list = OrderedJson::array();
  for (const Descriptor& d : manifests) list.push_back(DescriptorJson(d));
  j["manifests"] = std::move(list);
  if (!annotations.empty()) j["annotations"] = AnnotationsJson(annotations);
  return Dump(j);
}

}  // namespace hallmark::oci
