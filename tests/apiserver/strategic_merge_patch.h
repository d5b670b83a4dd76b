// File: tests/apiserver/strategic_merge_patch.h
//
// Strategic merge patch (application/strategic-merge-patch+json) for built-in types, as
// apimachinery's strategicpatch applies it: maps merge, lists whose schema says
// `x-kubernetes-patch-strategy: merge` merge element-wise by `x-kubernetes-patch-merge-key` (or
// as a set for primitive lists), other lists are replaced. Directives: `$patch: replace|delete|
// merge`, `$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`.
// This is what `kubectl apply` (re-apply of built-in kinds) and the default `kubectl patch`
// send. Custom resources reject it with 415 before getting here.
#ifndef HALLMARK_TESTS_APISERVER_STRATEGIC_MERGE_PATCH_H_
#define HALLMARK_TESTS_APISERVER_STRATEGIC_MERGE_PATCH_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/schema.h"

namespace hallmark::tests::apiserver {

// ApplyStrategicMergePatch returns `original` patched by `patch` (a JSON object) using the patch
// metadata of `schema` (the object's root schema, resolved through `set`; may be null: then
// every list is replaced). kInvalidArgument for a patch that is not an object or has malformed
// directives.
absl::StatusOr<nlohmann::json> ApplyStrategicMergePatch(const nlohmann::json& original,
                                                        const nlohmann::json& patch,
                                                        const SchemaSet& set,
                                                        const nlohmann::json* schema);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_STRATEGIC_MERGE_PATCH_H_
