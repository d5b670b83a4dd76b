// File: tests/apiserver/json_patch.h
//
// JSON patch (RFC 6902) with the exact behaviour of the library kube-apiserver uses
// (gopkg.in/evanphx/json-patch.v4 v4.12.0), because clients observe its quirks:
//   - `replace` of a missing *object member* adds it (v4 quirk; a missing array index fails);
//   - `test` of a missing member against null passes;
//   - negative array indices count from the end;
//   - an `add`/`replace`... at the document root ("") fails, except `replace` and `test`.
// Error texts are the library's ("testing value /metadata/resourceVersion failed: test failed").
#ifndef HALLMARK_TESTS_APISERVER_JSON_PATCH_H_
#define HALLMARK_TESTS_APISERVER_JSON_PATCH_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// kMaxJsonPatchOperations: kube-apiserver's limit (413 above it).
inline constexpr size_t kMaxJsonPatchOperations = 10000;

// ApplyJsonPatch applies the operations of `patch` to a copy of `doc`, in order, all or nothing.
// Errors: kInvalidArgument if `patch` is not an array of operation objects (kube: 400);
// kResourceExhausted if it has more than kMaxJsonPatchOperations (413); kFailedPrecondition if an
// operation does not apply to the document, e.g. a failing `test` or a missing path (kube: 422).
absl::StatusOr<nlohmann::json> ApplyJsonPatch(const nlohmann::json& doc,
                                              const nlohmann::json& patch);

// EscapeJsonPointerToken: "a/b~c" -> "a~1b~0c".
std::string EscapeJsonPointerToken(const std::string& token);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_JSON_PATCH_H_
