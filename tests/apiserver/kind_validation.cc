#include "tests/apiserver/kind_validation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/selector.h"

namespace hallmark::tests::apiserver {
namespace {

// core.MaxSecretSize, which bounds ConfigMaps too.
constexpr int kMaxDataSize = 1024 * 1024;
constexpr char kImmutableWhenSet[] = "field is immutable when `immutable` is set";

std::string KeyPath(absl::string_view field, absl::string_view key) {
  return absl::StrCat(field, "[", key, "]");
}

void CheckKeys(const json* map, absl::string_view field, std::vector<FieldError>* errs) {
  if (map == nullptr || !map->is_object()) return;
  for (auto it = map->begin(); it != map->end(); ++it) {
    for (const std::string& msg : IsConfigMapKey(it.key())) {
      errs->push_back(FieldError::InvalidString(KeyPath(field, it.key()), it.key(), msg));
    }
  }
}

size_t StringBytes(const json* map) {
  size_t total = 0;
  if (map == nullptr || !map->is_object()) return total;
  for (const auto& v : *map) {
    if (v.is_string()) total += v.get_ref<const std::string&>().size();
  }
  return total;
}

// DecodedBytes: the size of base64 `value` once decoded (the schema has checked the type; the
// content is decoded where it matters).
size_t DecodedBytes(const std::string& value) {
  size_t n = value.size() / 4 * 3;
  if (!value.empty() && value.back() == '=') --n;
  if (value.size() > 1 && value[value.size() - 2] == '=') --n;
  return n;
}

// Same: apimachinery's reflect.DeepEqual of two maps, where an absent map (nil) differs from an
// empty one.
bool Same(const json* a, const json* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return *a == *b;
}

bool Immutable(const json& object) {
  const json* v = Member(object, "immutable");
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

std::vector<FieldError> ValidateConfigMap(const json& cm) {
  std::vector<FieldError> errs;
  const json* data = Member(cm, "data");
  const json* binary = Member(cm, "binaryData");
  CheckKeys(data, "data", &errs);
  if (data != nullptr && data->is_object() && binary != nullptr && binary->is_object()) {
    for (auto it = data->begin(); it != data->end(); ++it) {
      if (binary->contains(it.key())) {
        errs.push_back(FieldError::InvalidString(KeyPath("data", it.key()), it.key(),
                                                 "duplicate of key present in binaryData"));
      }
    }
  }
  CheckKeys(binary, "binaryData", &errs);
  size_t total = StringBytes(data);
  if (binary != nullptr && binary->is_object()) {
    for (const auto& v : *binary) {
      if (v.is_string()) total += DecodedBytes(v.get_ref<const std::string&>());
    }
  }
  if (total > kMaxDataSize) errs.push_back(FieldError::TooLong("", kMaxDataSize));
  return errs;
}

std::vector<FieldError> ValidateSecret(const json& secret) {
  std::vector<FieldError> errs;
  const json* data = Member(secret, "data");
  CheckKeys(data, "data", &errs);
  size_t total = 0;
  auto has = [&](const char* key) { return data != nullptr && Member(*data, key) != nullptr; };
  if (data != nullptr && data->is_object()) {
    for (const auto& v : *data) {
      if (v.is_string()) total += DecodedBytes(v.get_ref<const std::string&>());
    }
  }
  if (total > kMaxDataSize) errs.push_back(FieldError::TooLong("data", kMaxDataSize));
  std::string type = StringAt(secret, {"type"});
  if (type == "kubernetes.io/service-account-token") {
    if (StringAt(secret, {"metadata", "annotations", "kubernetes.io/service-account.name"})
            .empty()) {
      errs.push_back(
          FieldError::Required("metadata.annotations[kubernetes.io/service-account.name]", ""));
    }
  } else if (type == "kubernetes.io/dockercfg" || type == "kubernetes.io/dockerconfigjson") {
    const char* key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
    if (!has(key)) {
      errs.push_back(FieldError::Required(KeyPath("data", key), ""));
    } else {
      // A well-formed JSON object. The detail is ours (Go's encoding/json text quotes a byte
      // of the contents; parse errors here would quote more): it never shows the contents.
      absl::StatusOr<std::string> raw = Base64Decode(StringAt(*data, {key}));
      absl::StatusOr<json> doc = raw.ok() ? ParseJson(*raw) : absl::StatusOr<json>(raw.status());
      if (!doc.ok() || !doc->is_object()) {
        errs.push_back(FieldError::Invalid(KeyPath("data", key), "\"<secret contents redacted>\"",
                                           !raw.ok()  ? "not base64"
                                           : doc.ok() ? "not a JSON object"
                                                      : "not valid JSON"));
      }
    }
  } else if (type == "kubernetes.io/basic-auth") {
    if (!has("username") && !has("password")) {
      errs.push_back(FieldError::Required(KeyPath("data", "username"), ""));
      errs.push_back(FieldError::Required(KeyPath("data", "password"), ""));
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (StringAt(secret, {"data", "ssh-privatekey"}).empty()) {
      errs.push_back(FieldError::Required(KeyPath("data", "ssh-privatekey"), ""));
    }
  } else if (type == "kubernetes.io/tls") {
    if (!has("tls.crt")) errs.push_back(FieldError::Required(KeyPath("data", "tls.crt"), ""));
    if (!has("tls.key")) errs.push_back(FieldError::Required(KeyPath("data", "tls.key"), ""));
  }
  return errs;
}

void CheckImmutable(const json& object, const json& old, bool binary_data,
                    std::vector<FieldError>* errs) {
  if (!Immutable(old)) return;
  if (!Immutable(object)) errs->push_back(FieldError::Forbidden("immutable", kImmutableWhenSet));
  if (!Same(Member(object, "data"), Member(old, "data"))) {
    errs->push_back(FieldError::Forbidden("data", kImmutableWhenSet));
  }
  if (binary_data && !Same(Member(object, "binaryData"), Member(old, "binaryData"))) {
    errs->push_back(FieldError::Forbidden("binaryData", kImmutableWhenSet));
  }
}

}  // namespace

std::vector<FieldError> ValidateKind(absl::string_view group, absl::string_view resource,
                                     const json& object) {
  if (!group.empty()) return {};
  if (resource == "configmaps") return ValidateConfigMap(object);
  if (resource == "secrets") return ValidateSecret(object);
  return {};
}

std::vector<FieldError> ValidateKindUpdate(absl::string_view group, absl::string_view resource,
                                           const json& object, const json& old) {
  std::vector<FieldError> errs;
  if (!group.empty()) return errs;
  if (resource == "secrets") {
    std::string type = StringAt(object, {"type"});
    if (type != StringAt(old, {"type"})) {
      errs.push_back(FieldError::InvalidString("type", type, "field is immutable"));
    }
    CheckImmutable(object, old, false, &errs);
  } else if (resource == "configmaps") {
    CheckImmutable(object, old, true, &errs);
  }
  for (auto& e : ValidateKind(group, resource, object)) errs.push_back(std::move(e));
  return errs;
}

}  // namespace hallmark::tests::apiserver
