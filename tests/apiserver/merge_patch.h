// File: tests/apiserver/merge_patch.h
//
// JSON merge patch (RFC 7386): what `kubectl annotate`, `kubectl label`, `kubectl patch
// --type=merge` and client-side `kubectl apply` of custom resources send
// (Content-Type: application/merge-patch+json).
#ifndef HALLMARK_TESTS_APISERVER_MERGE_PATCH_H_
#define HALLMARK_TESTS_APISERVER_MERGE_PATCH_H_

#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// ApplyMergePatch returns `target` with `patch` merged in: object members of `patch` are merged
// recursively, a null member deletes the key, and any non-object patch replaces the target.
// Never fails (every JSON value is a valid merge patch).
nlohmann::json ApplyMergePatch(const nlohmann::json& target, const nlohmann::json& patch);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_MERGE_PATCH_H_
