// File: tests/apiserver/kind_validation.h
//
// kube-apiserver's validation of the kinds whose contents clients here write and a real cluster
// refuses when malformed (pkg/apis/core/validation), with its field paths and texts:
//   - ConfigMap: data/binaryData keys (IsConfigMapKey), a key in both, 1 MiB in total; once
//     `immutable: true`, data, binaryData and immutable itself cannot change;
//   - Secret: data keys, 1 MiB of decoded data, the keys each built-in type requires
//     (kubernetes.io/tls: tls.crt and tls.key; basic-auth, ssh-auth, dockercfg,
//     dockerconfigjson, service-account-token); the type cannot change, and `immutable` as for
//     ConfigMaps. Errors name keys, never Secret values.
// Both return the field errors to report with 422 Invalid (empty: valid); ObjectMeta is checked
// elsewhere (meta_validation.h). Other kinds have no errors here.
#ifndef HALLMARK_TESTS_APISERVER_KIND_VALIDATION_H_
#define HALLMARK_TESTS_APISERVER_KIND_VALIDATION_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/api_error.h"

namespace hallmark::tests::apiserver {

// ValidateKind: creation-time checks of `object`, a `resource` of the core group ("" group).
std::vector<FieldError> ValidateKind(absl::string_view group, absl::string_view resource,
                                     const nlohmann::json& object);

// ValidateKindUpdate: update-time checks of `object` replacing `old`, ValidateKind included.
std::vector<FieldError> ValidateKindUpdate(absl::string_view group, absl::string_view resource,
                                           const nlohmann::json& object, const nlohmann::json& old);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_KIND_VALIDATION_H_
