// File: tests/apiserver/request_info.h
//
// RequestInfo: what kube-apiserver's RequestInfoFactory (k8s.io/apiserver/pkg/endpoints/request)
// makes of a request, before any routing: the attributes RBAC authorises and audit logs record.
// The request log records these, so tests can check RBAC rules against exactly what a real
// cluster would have authorised:
//   - /api/V/... and /apis/G/V/... with at least a resource are resource requests; everything
//     else (/version, discovery, /openapi, /healthz) is not, with the lower-case method as verb;
//   - a /watch/ or /proxy/ segment after the version is the verb (deprecated forms);
//   - /namespaces/NS/RESOURCE/... is namespaced; /namespaces/NAME (and its status and finalize
//     subresources) is the Namespace object NAME, whose namespace is NAME too;
//   - a GET without a name is list, or watch when the `watch` parameter is set (QueryBool);
//     `fieldSelector=metadata.name=X` (or `==X`, among other terms) then names the object X, so
//     rules with resourceNames can allow it; a DELETE without a name is deletecollection.
//
//   RequestInfo ri = ParseRequestInfo("GET", "/api/v1/namespaces/ci/configmaps",
//                                     {{"watch", "1"}, {"fieldSelector", "metadata.name=c"}});
//   // ri.verb == "watch", ri.namespace_ == "ci", ri.resource == "configmaps", ri.name == "c"
#ifndef HALLMARK_TESTS_APISERVER_REQUEST_INFO_H_
#define HALLMARK_TESTS_APISERVER_REQUEST_INFO_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::tests::apiserver {

struct RequestInfo {
  bool resource_request = false;
  // get, list, watch, create, update, patch, delete, deletecollection (or proxy); "" for an
  // unknown method. For non-resource requests the lower-case HTTP method.
  std::string verb;
  std::string api_prefix;  // "api" or "apis"; "" for non-resource requests
  std::string api_group;   // "" for the core group
  std::string api_version;
  std::string namespace_;  // "" for cluster-scoped and all-namespace requests
  std::string resource;
  std::string subresource;
  std::string name;
};

// ParseRequestInfo: `path` is the decoded URL path, `query` the decoded query parameters (the
// first value of a repeated one counts, as in Go's url.Values.Get). Never fails: a malformed
// query only keeps the name from being taken from the field selector, as in kube.
RequestInfo ParseRequestInfo(absl::string_view method, absl::string_view path,
                             const std::multimap<std::string, std::string>& query);

// QueryBool: a boolean query parameter as apimachinery converts it (Convert_Slice_string_To_bool):
// false when absent, "0" or "false" in any case; anything else, even "", is true.
bool QueryBool(const std::multimap<std::string, std::string>& query, const std::string& name);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_REQUEST_INFO_H_
