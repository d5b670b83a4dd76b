// File: tests/apiserver/meta_validation.h
//
// apimachinery's ObjectMeta validation (pkg/api/validation/objectmeta.go) with its exact error
// texts: name rules per resource, label and annotation keys and values, the 256 KiB annotation
// budget, finalizer names, owner references, and the update rules (immutable fields, no new
// finalizers while deleting, resourceVersion required).
#ifndef HALLMARK_TESTS_APISERVER_META_VALIDATION_H_
#define HALLMARK_TESTS_APISERVER_META_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/api_error.h"

namespace hallmark::tests::apiserver {

// kTotalAnnotationSizeLimit: sum of len(key)+len(value) over all annotations.
inline constexpr int kTotalAnnotationSizeLimit = 256 * 1024;

enum class NameRule {
  kDns1123Subdomain,  // most resources
  kDns1123Label,      // namespaces
  kDns1035Label,      // services
  kPathSegment,       // custom resources, RBAC objects
};

// NameRuleFor: the rule kube-apiserver applies to `resource` in `group`.
NameRule NameRuleFor(absl::string_view group, absl::string_view resource, bool builtin);

// ValidateName: the messages for `name` (or a generateName prefix when `prefix`).
std::vector<std::string> ValidateName(NameRule rule, absl::string_view name, bool prefix);

// ValidateObjectMeta: creation-time checks of `metadata` (after name generation).
std::vector<FieldError> ValidateObjectMeta(const nlohmann::json& metadata, bool namespaced,
                                           NameRule rule);

// ValidateObjectMetaUpdate: update-time checks of `metadata` against `old_metadata`
// (resourceVersion is checked by the caller, which knows the resource's update rules).
std::vector<FieldError> ValidateObjectMetaUpdate(const nlohmann::json& metadata,
                                                 const nlohmann::json& old_metadata);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_META_VALIDATION_H_
