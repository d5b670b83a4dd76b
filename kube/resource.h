// File: kube/resource.h
//
// Resource: which REST collection a request goes to (group, version, plural), and the path and
// query builders every request uses. Names and namespaces are validated before they reach a
// URL, so an object name can never add a path segment or a query.
//
//   HM_ASSIGN_OR_RETURN(std::string path,
//                       ObjectPath(TaskRunsV1(), "ci", "build-1", /*subresource=*/""));
//   // "/apis/tekton.dev/v1/namespaces/ci/taskruns/build-1"
#ifndef HALLMARK_KUBE_RESOURCE_H_
#define HALLMARK_KUBE_RESOURCE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::kube {

struct Resource {
  std::string group;    // "tekton.dev"; "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "taskruns"
  std::string kind;     // "TaskRun" (for bodies the client builds and for messages)
  bool namespaced = true;

  // ApiVersion: "tekton.dev/v1", or "v1" for the core group.
  std::string ApiVersion() const;
  // GroupResource: "taskruns.tekton.dev", or "events" for the core group (as kube words errors).
  std::string GroupResource() const;
};

// The resources the agent and the webhook use.
const Resource& TaskRunsV1();       // tekton.dev/v1 taskruns
const Resource& PipelineRunsV1();   // tekton.dev/v1 pipelineruns
const Resource& ConfigMaps();       // v1 configmaps
const Resource& Secrets();          // v1 secrets
const Resource& CoreEvents();       // v1 events
const Resource& Leases();           // coordination.k8s.io/v1 leases
const Resource& Namespaces();       // v1 namespaces (cluster-scoped)
const Resource& ClusterPolicies();  // kyverno.io/v1 clusterpolicies (cluster-scoped)

// ValidateName: kInvalidArgument unless `name` could be a Kubernetes object name or namespace
// and is safe as one URL path segment: 1..253 characters of [A-Za-z0-9._:-], not "." or "..".
// `what` ("name", "namespace") goes into the message.
absl::Status ValidateName(absl::string_view what, absl::string_view name);

// CollectionPath: "/apis/G/V[/namespaces/NS]/R" ("/api/v1/..." for the core group). An empty
// `ns` for a namespaced resource means all namespaces; a non-empty `ns` for a cluster-scoped one
// is kInvalidArgument.
absl::StatusOr<std::string> CollectionPath(const Resource& resource, absl::string_view ns);

// ObjectPath: CollectionPath + "/NAME" [+ "/SUBRESOURCE"]. A namespaced resource needs `ns`.
absl::StatusOr<std::string> ObjectPath(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, absl::string_view subresource = "");

// QueryEscape: percent-encodes everything but RFC 3986 unreserved characters.
std::string QueryEscape(absl::string_view value);

// BuildQuery: "?k1=v1&k2=v2" with escaped values, or "" for no parameters.
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_RESOURCE_H_
