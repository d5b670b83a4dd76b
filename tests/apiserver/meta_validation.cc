#include "tests/apiserver/meta_validation.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/selector.h"

namespace hallmark::tests::apiserver {
namespace {

std::vector<std::string> IsDns1035Label(absl::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  bool ok = !value.empty() && value.front() >= 'a' && value.front() <= 'z' &&
            ((value.back() >= 'a' && value.back() <= 'z') ||
             (value.back() >= '0' && value.back() <= '9'));
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) ok = false;
  }
  if (!ok) {
    errs.push_back(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

std::vector<std::string> IsPathSegment(absl::string_view name, bool prefix) {
  std::vector<std::string> errs;
  if (!prefix) {
    if (name == ".") errs.push_back("may not be '.'");
    if (name == "..") errs.push_back("may not be '..'");
  }
  if (absl::StrContains(name, "/")) errs.push_back("may not contain '/'");
  if (absl::StrContains(name, "%")) errs.push_back("may not contain '%'");
  return errs;
}

void AddAll(std::vector<FieldError>* out, const std::string& field, const std::string& value,
            const std::vector<std::string>& msgs) {
  for (const auto& m : msgs) out->push_back(FieldError::InvalidString(field, value, m));
}

}  // namespace

NameRule NameRuleFor(absl::string_view group, absl::string_view resource, bool builtin) {
  if (!builtin) return NameRule::kPathSegment;
  if (group.empty() && resource == "namespaces") return NameRule::kDns1123Label;
  if (group.empty() && resource == "services") return NameRule::kDns1035Label;
  if (group == "rbac.authorization.k8s.io") return NameRule::kPathSegment;
  return NameRule::kDns1123Subdomain;
}

std::vector<std::string> ValidateName(NameRule rule, absl::string_view name, bool prefix) {
  std::string n(name);
  // A generateName prefix may end in '-' (apimachinery maskTrailingDash).
  if (prefix && n.size() > 1 && n.back() == '-') n.back() = 'a';
  switch (rule) {
    case NameRule::kDns1123Subdomain:
      return IsDns1123Subdomain(n);
    case NameRule::kDns1123Label:
      return IsDns1123Label(n);
    case NameRule::kDns1035Label:
      return IsDns1035Label(n);
    case NameRule::kPathSegment:
      return IsPathSegment(n, prefix);
  }
  return {};
}

std::vector<FieldError> ValidateObjectMeta(const json& metadata, bool namespaced, NameRule rule) {
  std::vector<FieldError> errs;
  std::string generate = StringAt(metadata, {"generateName"});
  if (!generate.empty()) {
    AddAll(&errs, "metadata.generateName", generate, ValidateName(rule, generate, true));
  }
  std::string name = StringAt(metadata, {"name"});
  if (name.empty()) {
    errs.push_back(FieldError::Required("metadata.name", "name or generateName is required"));
  } else {
    AddAll(&errs, "metadata.name", name, ValidateName(rule, name, false));
  }
  std::string ns = StringAt(metadata, {"namespace"});
  if (namespaced) {
    if (ns.empty()) {
      errs.push_back(FieldError::Required("metadata.namespace", ""));
    } else {
      AddAll(&errs, "metadata.namespace", ns, IsDns1123Label(ns));
    }
  } else if (!ns.empty()) {
    errs.push_back(FieldError::Forbidden("metadata.namespace", "not allowed on this type"));
  }
  std::map<std::string, std::string> labels = StringMap(Member(metadata, "labels"));
  for (const auto& [k, v] : labels) {
    AddAll(&errs, "metadata.labels", k, IsQualifiedName(k));
    AddAll(&errs, "metadata.labels", v, IsValidLabelValue(v));
  }
  std::map<std::string, std::string> annotations = StringMap(Member(metadata, "annotations"));
  size_t total = 0;
  for (const auto& [k, v] : annotations) {
    AddAll(&errs, "metadata.annotations", k, IsQualifiedName(absl::AsciiStrToLower(k)));
    total += k.size() + v.size();
  }
  if (total > static_cast<size_t>(kTotalAnnotationSizeLimit)) {
    errs.push_back(FieldError::TooLong("metadata.annotations", kTotalAnnotationSizeLimit));
  }
  const json* owners = Member(metadata, "ownerReferences");
  if (owners != nullptr && owners->is_array()) {
    int controllers = 0;
    std::string first_controller;
    for (const auto& ref : *owners) {
      std::string api_version = StringAt(ref, {"apiVersion"});
      std::string version = api_version.substr(
          api_version.find('/') == std::string::npos ? 0 : api_version.find('/') + 1);
      if (version.empty()) {
        errs.push_back(FieldError::InvalidString("metadata.ownerReferences.apiVersion", api_version,
                                                 "version must not be empty"));
      }
      if (StringAt(ref, {"kind"}).empty()) {
        errs.push_back(FieldError::InvalidString("metadata.ownerReferences.kind", "",
                                                 "kind must not be empty"));
      }
      if (StringAt(ref, {"name"}).empty()) {
        errs.push_back(FieldError::InvalidString("metadata.ownerReferences.name", "",
                                                 "name must not be empty"));
      }
      if (StringAt(ref, {"uid"}).empty()) {
        errs.push_back(
            FieldError::InvalidString("metadata.ownerReferences.uid", "", "uid must not be empty"));
      }
      const json* controller = Member(ref, "controller");
      if (controller != nullptr && controller->is_boolean() && controller->get<bool>()) {
        std::string this_one = absl::StrCat(StringAt(ref, {"kind"}), "/", StringAt(ref, {"name"}));
        if (++controllers > 1) {
          errs.push_back(FieldError::Invalid(
              "metadata.ownerReferences", "",
              absl::StrCat("Only one reference can have Controller set to true. Found \"true\" "
                           "in references for ",
                           first_controller, " and ", this_one)));
        } else {
          first_controller = this_one;
        }
      }
    }
  }
  for (const auto& f : StringList(Member(metadata, "finalizers"))) {
    AddAll(&errs, "metadata.finalizers", f, IsQualifiedName(f));
  }
  return errs;
}

std::vector<FieldError> ValidateObjectMetaUpdate(const json& metadata, const json& old_metadata) {
  std::vector<FieldError> errs;
  if (Member(old_metadata, "deletionTimestamp") != nullptr) {
    std::vector<std::string> olds = StringList(Member(old_metadata, "finalizers"));
    std::set<std::string> old_set(olds.begin(), olds.end());
    std::set<std::string> extra;
    for (const auto& f : StringList(Member(metadata, "finalizers"))) {
      if (old_set.count(f) == 0) extra.insert(f);
    }
    if (!extra.empty()) {
      std::vector<std::string> quoted;
      for (const auto& f : extra) quoted.push_back(GoQuote(f));
      errs.push_back(FieldError::Forbidden(
          "metadata.finalizers",
          absl::StrCat("no new finalizers can be added if the object is being deleted, found new "
                       "finalizers []string{",
                       absl::StrJoin(quoted, ", "), "}")));
    }
  }
  for (const char* field : {"name", "namespace", "uid", "creationTimestamp"}) {
    std::string now = StringAt(metadata, {field});
    std::string before = StringAt(old_metadata, {field});
    if (now != before) {
      errs.push_back(
          FieldError::InvalidString(absl::StrCat("metadata.", field), now, "field is immutable"));
    }
  }
  // The remaining creation checks (labels, annotations, owner references, finalizer names) apply
  // to updates too.
  for (auto& e : ValidateObjectMeta(metadata, !StringAt(metadata, {"namespace"}).empty(),
                                    NameRule::kPathSegment)) {
    if (e.field == "metadata.name" || e.field == "metadata.namespace" ||
        e.field == "metadata.generateName") {
      continue;
    }
    errs.push_back(std::move(e));
  }
  return errs;
}

}  // namespace hallmark::tests::apiserver
