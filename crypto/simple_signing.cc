#include "crypto/simple_signing.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "crypto/internal/go_json.h"
#include "crypto/internal/json.h"
#include "nlohmann/json.hpp"

namespace hallmark::crypto {
namespace {

using nlohmann::json;

// Longest payload either parser reads; real ones are a few hundred bytes, cosign caps the layer
// at 128 MiB. Bounded here so a hostile layer cannot make us build a huge DOM.
constexpr size_t kMaxPayloadBytes = 1 << 20;

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsSha256Digest(absl::string_view d) {
  return absl::StartsWith(d, "sha256:") && d.size() == 7 + 64 && IsLowerHex(d.substr(7));
}

// go-digest's Digest.Validate for the algorithms it registers.
bool IsValidDigest(absl::string_view d) {
  size_t colon = d.find(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view alg = d.substr(0, colon);
  absl::string_view hex = d.substr(colon + 1);
  size_t want = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
  return want != 0 && hex.size() == want && IsLowerHex(hex);
}

// Untrusted text quoted into an error message, cut to a readable length.
std::string Shorten(absl::string_view s) {
  if (s.size() <= 100) return std::string(s);
  return absl::StrCat(s.substr(0, 100), "...");
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("simple signing payload: ", what));
}

// Lenient member access: absent or null -> nullptr; wrong type -> error.
absl::StatusOr<const json*> OptionalObject(const json& obj, const char* key,
                                           absl::string_view path) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  if (!it->is_object()) return Invalid(absl::StrCat(path, " is not an object"));
  return &*it;
}

absl::Status OptionalString(const json* obj, const char* key, absl::string_view path,
                            std::string* out) {
  if (obj == nullptr) return absl::OkStatus();
  auto it = obj->find(key);
  if (it == obj->end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return Invalid(absl::StrCat(path, " is not a string"));
  *out = it->get<std::string>();
  return absl::OkStatus();
}

void CollectAnnotations(const json& optional, SimpleSigningPayload* out) {
  for (auto it = optional.begin(); it != optional.end(); ++it) {
    if (it->is_string()) out->annotations[it.key()] = it->get<std::string>();
  }
  auto ts = optional.find("timestamp");
  if (ts != optional.end() && ts->is_number_integer()) {
    out->timestamp =
        ts->is_number_unsigned() ? static_cast<int64_t>(ts->get<uint64_t>()) : ts->get<int64_t>();
  }
}

// containers/image's ParanoidUnmarshalJSONObjectExactFields: `obj` must be an object with
// exactly `keys`.
absl::Status ExactKeys(const json& obj, absl::string_view path, std::vector<const char*> keys) {
  if (!obj.is_object()) return Invalid(absl::StrCat(path, " is not a JSON object"));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known |= it.key() == k;
    if (!known) return Invalid(absl::StrCat("unknown key \"", Shorten(it.key()), "\" in ", path));
  }
  for (const char* k : keys) {
    if (!obj.contains(k)) return Invalid(absl::StrCat("key \"", k, "\" missing in ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StrictString(const json& obj, const char* key, absl::string_view path) {
  const json& v = obj.at(key);  // ExactKeys guaranteed presence
  if (!v.is_string()) return Invalid(absl::StrCat(path, " is not a string"));
  return v.get<std::string>();
}

}  // namespace

absl::StatusOr<std::string> SimpleSigningPayload::Build(
    absl::string_view docker_reference, absl::string_view manifest_digest,
    const std::map<std::string, std::string>& annotations) {
  if (!IsSha256Digest(manifest_digest)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid image digest \"", Shorten(manifest_digest), "\" (want sha256:<64 hex>)"));
  }
  if (docker_reference.empty()) {
    return absl::InvalidArgumentError("empty docker-reference for the simple signing payload");
  }
  std::string optional = "null";
  if (!annotations.empty()) {
    std::vector<std::string> members;
    members.reserve(annotations.size());
    for (const auto& [k, v] : annotations) {  // std::map: sorted by bytes, like Go
      members.push_back(absl::StrCat(internal::GoJsonQuote(k), ":", internal::GoJsonQuote(v)));
    }
    optional = absl::StrCat("{", absl::StrJoin(members, ","), "}");
  }
  return absl::StrCat(
      R"({"critical":{"identity":{"docker-reference":)", internal::GoJsonQuote(docker_reference),
      R"(},"image":{"docker-manifest-digest":)", internal::GoJsonQuote(manifest_digest),
      R"(},"type":)", internal::GoJsonQuote(kSimpleSigningType), R"(},"optional":)", optional, "}");
}

absl::StatusOr<SimpleSigningPayload> SimpleSigningPayload::ParseLenient(absl::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) return Invalid("too large");
  absl::StatusOr<json> doc = internal::ParseJson(payload);
  if (!doc.ok()) return Invalid(doc.status().message());
  if (!doc->is_object()) return Invalid("not a JSON object");
  SimpleSigningPayload out;
  HM_ASSIGN_OR_RETURN(const json* critical, OptionalObject(*doc, "critical", "critical"));
  const json* identity = nullptr;
  const json* image = nullptr;
  if (critical != nullptr) {
    HM_ASSIGN_OR_RETURN(identity, OptionalObject(*critical, "identity", "critical.identity"));
    HM_ASSIGN_OR_RETURN(image, OptionalObject(*critical, "image", "critical.image"));
    HM_RETURN_IF_ERROR(OptionalString(critical, "type", "critical.type", &out.type));
  }
  HM_RETURN_IF_ERROR(OptionalString(identity, "docker-reference",
                                    "critical.identity.docker-reference", &out.docker_reference));
  HM_RETURN_IF_ERROR(OptionalString(image, "docker-manifest-digest",
                                    "critical.image.docker-manifest-digest", &out.manifest_digest));
  HM_ASSIGN_OR_RETURN(const json* optional, OptionalObject(*doc, "optional", "optional"));
  if (optional != nullptr) CollectAnnotations(*optional, &out);
  return out;
}

absl::StatusOr<SimpleSigningPayload> SimpleSigningPayload::ParseStrict(absl::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) return Invalid("too large");
  internal::JsonParseOptions options;
  options.reject_duplicate_keys = true;
  absl::StatusOr<json> doc = internal::ParseJson(payload, options);
  if (!doc.ok()) return Invalid(doc.status().message());
  HM_RETURN_IF_ERROR(ExactKeys(*doc, "the top level", {"critical", "optional"}));

  SimpleSigningPayload out;
  const json& optional = doc->at("optional");
  if (!optional.is_null()) {
    if (!optional.is_object()) return Invalid("optional is not a JSON object");
    auto creator = optional.find("creator");
    if (creator != optional.end() && !creator->is_string()) {
      return Invalid("optional.creator is not a string");
    }
    auto ts = optional.find("timestamp");
    if (ts != optional.end()) {
      // Go reads it as float64 and requires an integral value.
      bool integral =
          ts->is_number_integer() ||
          (ts->is_number_float() && std::trunc(ts->get<double>()) == ts->get<double>() &&
           std::fabs(ts->get<double>()) < 9.2e18);
      if (!integral) return Invalid("field optional.timestamp is not an integer");
      if (ts->is_number_float()) out.timestamp = static_cast<int64_t>(ts->get<double>());
    }
    CollectAnnotations(optional, &out);
  }

  const json& critical = doc->at("critical");
  HM_RETURN_IF_ERROR(ExactKeys(critical, "critical", {"type", "image", "identity"}));
  HM_ASSIGN_OR_RETURN(out.type, StrictString(critical, "type", "critical.type"));
  if (out.type != kSimpleSigningType) {
    return Invalid(absl::StrCat("Unrecognized signature type ", Shorten(out.type)));
  }
  const json& image = critical.at("image");
  HM_RETURN_IF_ERROR(ExactKeys(image, "critical.image", {"docker-manifest-digest"}));
  HM_ASSIGN_OR_RETURN(out.manifest_digest, StrictString(image, "docker-manifest-digest",
                                                        "critical.image.docker-manifest-digest"));
  if (!IsValidDigest(out.manifest_digest)) {
    return Invalid(
        absl::StrCat("invalid docker-manifest-digest \"", Shorten(out.manifest_digest), "\""));
  }
  const json& identity = critical.at("identity");
  HM_RETURN_IF_ERROR(ExactKeys(identity, "critical.identity", {"docker-reference"}));
  HM_ASSIGN_OR_RETURN(out.docker_reference, StrictString(identity, "docker-reference",
                                                         "critical.identity.docker-reference"));
  return out;
}

}  // namespace hallmark::crypto
