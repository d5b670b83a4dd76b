// File: tests/deploy/request_attributes.h
//
// What RBAC authorises, computed from an HTTP request the way kube-apiserver's RequestInfoFactory
// does: verb (get/list/watch/create/update/patch/delete/deletecollection), API group, resource,
// subresource, namespace and name. Used to check that deploy/'s RBAC rules cover every request a
// component made, from hallmark-apiserver's request log.
//
//   HM_ASSIGN_OR_RETURN(RequestAttributes a,
//       AttributesFromHttp("PATCH", "/apis/tekton.dev/v1/namespaces/ci/taskruns/b-1"));
//   // a.verb == "patch", a.api_group == "tekton.dev", a.resource == "taskruns", a.name == "b-1"
#ifndef HALLMARK_TESTS_DEPLOY_REQUEST_ATTRIBUTES_H_
#define HALLMARK_TESTS_DEPLOY_REQUEST_ATTRIBUTES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::tests::deploy {

struct RequestAttributes {
  // False for non-resource paths (/version, /api, /apis/G/V discovery, /openapi/..., /healthz):
  // RBAC grants those to every authenticated user (system:discovery), so they need no rule.
  bool resource_request = false;
  std::string verb;         // RBAC verb; for non-resource requests the lower-case HTTP method
  std::string api_group;    // "" for the core group
  std::string api_version;  // "v1"
  std::string resource;     // "taskruns"
  std::string subresource;  // "status", or ""
  std::string namespace_;   // "" for cluster-scoped or all-namespace requests
  std::string name;         // "" for collection requests
  std::string path;         // the request path, without the query

  // "patch tekton.dev/taskruns ci/b-1" style text for messages.
  std::string DebugString() const;
};

// AttributesFromHttp maps an HTTP method and a request target ("/path?query") to RBAC
// attributes. GET is get (with a name) or list, or watch with `watch=true|1` or the legacy
// /watch/ path prefix; POST create; PUT update; PATCH patch; DELETE delete or deletecollection.
// kInvalidArgument for a method or path kube-apiserver would not route (the message names it).
absl::StatusOr<RequestAttributes> AttributesFromHttp(absl::string_view method,
                                                     absl::string_view target);

// One line of a request log.
struct LoggedRequest {
  std::string method;
  std::string target;      // path + "?" + query when there is a query
  std::string user_agent;  // "" when the log has none
  int status = 0;          // HTTP status, 0 when the log has none
  // What the server itself resolved the request to, when the log says ("verb", "apiGroup",
  // "resource", "subresource", "namespace", "name"): has_server_view is false otherwise.
  bool has_server_view = false;
  RequestAttributes server_view;
};

// ParseRequestLog reads hallmark-apiserver's request log: one JSON object per line with at least
// "method" and "path" (string), and optionally "query" (string, with or without the leading
// '?'), "user_agent" or "userAgent" (string) and "status" (number). Blank lines are skipped.
// kInvalidArgument names the first line that is not such an object. At most `max_lines` lines
// are read (kResourceExhausted beyond).
absl::StatusOr<std::vector<LoggedRequest>> ParseRequestLog(absl::string_view text,
                                                           size_t max_lines = 1000000);

}  // namespace hallmark::tests::deploy

#endif  // HALLMARK_TESTS_DEPLOY_REQUEST_ATTRIBUTES_H_
