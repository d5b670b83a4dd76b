#include "verifier/webhook/admission.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"

namespace hallmark::verifier::webhook {
namespace {

using nlohmann::json;

const json* Field(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

absl::StatusOr<std::string> StringAt(const json& obj, const char* key, const std::string& where,
                                     bool required) {
  const json* v = Field(obj, key);
  if (v == nullptr) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(where, ".", key, " is required"));
    return std::string();
  }
  if (!v->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, " must be a string"));
  }
  return v->get<std::string>();
}

json Respond(const ParsedReview& parsed, json response) {
  json review = parsed.review;
  review["response"] = std::move(response);
  return review;
}

}  // namespace

absl::StatusOr<ParsedReview> ParseAdmissionReview(absl::string_view body) {
  if (body.size() > kMaxReviewBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("AdmissionReview larger than ", kMaxReviewBytes, " bytes"));
  }
  ParsedReview p;
  p.review = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (p.review.is_discarded() || !p.review.is_object()) {
    return absl::InvalidArgumentError("body is not a JSON AdmissionReview");
  }
  absl::StatusOr<std::string> api = StringAt(p.review, "apiVersion", "AdmissionReview", true);
  if (!api.ok()) return api.status();
  absl::StatusOr<std::string> kind = StringAt(p.review, "kind", "AdmissionReview", true);
  if (!kind.ok()) return kind.status();
  if (*api != "admission.k8s.io/v1" || *kind != "AdmissionReview") {
    return absl::InvalidArgumentError(
        absl::StrCat("expected admission.k8s.io/v1 AdmissionReview, got ", *api, " ", *kind));
  }
  const json* req = Field(p.review, "request");
  if (req == nullptr || !req->is_object()) {
    return absl::InvalidArgumentError("AdmissionReview.request is required");
  }
  const std::string at = "request";
  absl::StatusOr<std::string> uid = StringAt(*req, "uid", at, true);
  if (!uid.ok()) return uid.status();
  if (uid->empty()) return absl::InvalidArgumentError("request.uid is empty");
  p.uid = *uid;
  const json* gvk = Field(*req, "kind");
  if (gvk == nullptr || !gvk->is_object())
    return absl::InvalidArgumentError("request.kind is required");
  policy::AdmissionInput& in = p.input;
  for (auto [field, out] : {std::pair<const char*, std::string*>{"group", &in.group},
                            {"version", &in.version},
                            {"kind", &in.kind}}) {
    absl::StatusOr<std::string> v =
        StringAt(*gvk, field, "request.kind", field != std::string("group"));
    if (!v.ok()) return v.status();
    *out = *v;
  }
  for (auto [field, out] : {std::pair<const char*, std::string*>{"subResource", &in.subresource},
                            {"namespace", &in.ns},
                            {"name", &in.name}}) {
    absl::StatusOr<std::string> v = StringAt(*req, field, at, false);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  absl::StatusOr<std::string> op = StringAt(*req, "operation", at, true);
  if (!op.ok()) return op.status();
  if (*op != "CREATE" && *op != "UPDATE" && *op != "DELETE" && *op != "CONNECT") {
    return absl::InvalidArgumentError(absl::StrCat("request.operation \"", *op, "\" is unknown"));
  }
  in.operation = *op;
  if (const json* o = Field(*req, "object"); o != nullptr) in.object = *o;
  if (const json* o = Field(*req, "oldObject"); o != nullptr) in.old_object = *o;
  if (in.operation != "DELETE" && in.operation != "CONNECT" && !in.object.is_object()) {
    return absl::InvalidArgumentError("request.object must be an object");
  }
  if (in.name.empty() && in.object.is_object()) {
    // CREATE with generateName: the name is not known yet.
    const json* meta = Field(in.object, "metadata");
    if (meta != nullptr) {
      absl::StatusOr<std::string> name = StringAt(*meta, "name", "request.object.metadata", false);
      if (name.ok()) in.name = *name;
    }
  }
  if (const json* user = Field(*req, "userInfo"); user != nullptr && user->is_object()) {
    absl::StatusOr<std::string> name = StringAt(*user, "username", "request.userInfo", false);
    if (name.ok()) in.user.username = *name;
    if (const json* groups = Field(*user, "groups"); groups != nullptr && groups->is_array()) {
      for (const json& g : *groups) {
        if (g.is_string()) in.user.groups.push_back(g.get<std::string>());
      }
    }
  }
  if (const json* dry = Field(*req, "dryRun"); dry != nullptr && dry->is_boolean()) {
    p.dry_run = dry->get<bool>();
  }
  return p;
}

std::string AllowedResponse(const ParsedReview& parsed, const json& patch,
                            const std::vector<std::string>& warnings) {
  json response = {{"uid", parsed.uid}, {"allowed", true}};
  if (patch.is_array() && !patch.empty()) {
    response["patch"] = Base64Encode(patch.dump(-1, ' ', false, json::error_handler_t::replace));
    response["patchType"] = "JSONPatch";
  }
  if (!warnings.empty()) response["warnings"] = warnings;
  return Respond(parsed, std::move(response)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string DeniedResponse(const ParsedReview& parsed, const std::string& message,
                           const std::vector<std::string>& warnings) {
  json response = {
      {"uid", parsed.uid},
      {"allowed", false},
      {"status", {{"metadata", json::object()}, {"status", "Failure"}, {"message", message}}}};
  if (!warnings.empty()) response["warnings"] = warnings;
  return Respond(parsed, std::move(response)).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace hallmark::verifier::webhook
