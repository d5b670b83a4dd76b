#include "tests/apiserver/request_info.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace hallmark::tests::apiserver {
namespace {

using Query = std::multimap<std::string, std::string>;

// "verb group/resource/subresource namespace/name", "" parts left out.
std::string Describe(const RequestInfo& ri) {
  if (!ri.resource_request) return absl::StrCat("non-resource ", ri.verb);
  std::string what =
      ri.api_group.empty() ? ri.resource : absl::StrCat(ri.api_group, "/", ri.resource);
  if (!ri.subresource.empty()) absl::StrAppend(&what, "/", ri.subresource);
  return absl::StrCat(ri.verb, " ", what, " ", ri.namespace_, "/", ri.name);
}

std::string Info(const std::string& method, const std::string& path, const Query& query = {}) {
  return Describe(ParseRequestInfo(method, path, query));
}

// The cases of kube's requestinfo_test.go that clients here meet.
TEST(RequestInfo, VerbsResourcesNamespacesAndNames) {
  EXPECT_EQ(Info("GET", "/api/v1/namespaces/other/pods/foo"), "get pods other/foo");
  EXPECT_EQ(Info("GET", "/api/v1/namespaces/other/pods"), "list pods other/");
  EXPECT_EQ(Info("GET", "/api/v1/pods"), "list pods /");
  EXPECT_EQ(Info("HEAD", "/api/v1/namespaces/other/pods/foo"), "get pods other/foo");
  EXPECT_EQ(Info("POST", "/api/v1/namespaces/other/pods"), "create pods other/");
  EXPECT_EQ(Info("PUT", "/api/v1/namespaces/other/pods/foo"), "update pods other/foo");
  EXPECT_EQ(Info("PATCH", "/api/v1/namespaces/other/pods/foo"), "patch pods other/foo");
  EXPECT_EQ(Info("DELETE", "/api/v1/namespaces/other/pods/foo"), "delete pods other/foo");
  EXPECT_EQ(Info("DELETE", "/api/v1/namespaces/other/pods"), "deletecollection pods other/");
  EXPECT_EQ(Info("PATCH", "/apis/tekton.dev/v1/namespaces/ci/taskruns/b/status"),
            "patch tekton.dev/taskruns/status ci/b");
  EXPECT_EQ(Info("GET", "/api/v1/namespaces/other/pods/foo/log/extra"), "get pods/log other/foo");
  EXPECT_EQ(ParseRequestInfo("OPTIONS", "/api/v1/pods", {}).verb, "");
  RequestInfo ri = ParseRequestInfo("GET", "/apis/apps/v1/namespaces/ns/deployments/d", {});
  EXPECT_EQ(ri.api_prefix, "apis");
  EXPECT_EQ(ri.api_group, "apps");
  EXPECT_EQ(ri.api_version, "v1");
}

TEST(RequestInfo, ANamespaceIsInItself) {
  EXPECT_EQ(Info("GET", "/api/v1/namespaces/other"), "get namespaces other/other");
  EXPECT_EQ(Info("DELETE", "/api/v1/namespaces/other"), "delete namespaces other/other");
  EXPECT_EQ(Info("PUT", "/api/v1/namespaces/other/status"), "update namespaces/status other/other");
  EXPECT_EQ(Info("PUT", "/api/v1/namespaces/other/finalize"),
            "update namespaces/finalize other/other");
  EXPECT_EQ(Info("GET", "/api/v1/namespaces"), "list namespaces /");
  EXPECT_EQ(Info("POST", "/api/v1/namespaces"), "create namespaces /");
  // Selecting a Namespace by name names it, but the request stays cluster-wide.
  EXPECT_EQ(Info("GET", "/api/v1/namespaces", {{"fieldSelector", "metadata.name=other"}}),
            "list namespaces /other");
}

TEST(RequestInfo, WatchesAndTheDeprecatedWatchPath) {
  EXPECT_EQ(Info("GET", "/api/v1/namespaces/ns/pods", {{"watch", "true"}}), "watch pods ns/");
  EXPECT_EQ(Info("GET", "/api/v1/pods", {{"watch", "1"}}), "watch pods /");
  EXPECT_EQ(Info("GET", "/api/v1/pods", {{"watch", "True"}}), "watch pods /");  // python
  EXPECT_EQ(Info("GET", "/api/v1/pods", {{"watch", "false"}}), "list pods /");
  EXPECT_EQ(Info("GET", "/api/v1/pods", {{"watch", "0"}}), "list pods /");
  EXPECT_EQ(Info("GET", "/api/v1/watch/namespaces/ns/pods"), "watch pods ns/");
  EXPECT_EQ(Info("GET", "/api/v1/watch/namespaces/ns/pods/p"), "watch pods ns/p");
  EXPECT_EQ(Info("GET", "/api/v1/watch/namespaces/ns"), "watch namespaces ns/ns");
  // `watch` on a named object is ignored: it is a get.
  EXPECT_EQ(Info("GET", "/api/v1/namespaces/ns/pods/p", {{"watch", "true"}}), "get pods ns/p");
  // kube cannot make a RequestInfo of a bare /watch (it answers 500).
  RequestInfo bare = ParseRequestInfo("GET", "/api/v1/watch", {});
  EXPECT_TRUE(bare.resource_request);
  EXPECT_EQ(bare.verb, "watch");
  EXPECT_EQ(bare.resource, "");
}

TEST(RequestInfo, FieldSelectorOnTheNameNamesTheObject) {
  const std::string cms = "/api/v1/namespaces/ci/configmaps";
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name=chains-config"}}),
            "list configmaps ci/chains-config");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name==c"}, {"watch", "true"}}),
            "watch configmaps ci/c");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.namespace=ci,metadata.name=c"}}),
            "list configmaps ci/c");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name!=x,metadata.name=c"}}),
            "list configmaps ci/c");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name!=c"}}), "list configmaps ci/");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "type=kubernetes.io/tls"}}), "list configmaps ci/");
  // Not a valid path segment name.
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name=a/b"}}), "list configmaps ci/");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name=.."}}), "list configmaps ci/");
  // Query parameters that do not decode as ListOptions: kube keeps the verb, drops the name.
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name=c,"}}), "list configmaps ci/");
  EXPECT_EQ(Info("GET", cms, {{"fieldSelector", "metadata.name=c"}, {"labelSelector", "a in"}}),
            "list configmaps ci/");
  EXPECT_EQ(
      Info("GET", cms, {{"fieldSelector", "metadata.name=c"}, {"limit", "x"}, {"watch", "yes"}}),
      "watch configmaps ci/");
  // Only lists and watches take the name from the selector.
  EXPECT_EQ(Info("DELETE", cms, {{"fieldSelector", "metadata.name=c"}}),
            "deletecollection configmaps ci/");
}

TEST(RequestInfo, NonResourceRequests) {
  for (const char* path : {"/version", "/api", "/api/v1", "/apis", "/apis/tekton.dev",
                           "/apis/tekton.dev/v1", "/openapi/v3/api/v1", "/healthz", "/"}) {
    EXPECT_EQ(Info("GET", path), "non-resource get") << path;
  }
  EXPECT_EQ(Info("POST", "/apis/tekton.dev/v1"), "non-resource post");
}

TEST(RequestInfo, QueryBoolAsApimachineryConvertsIt) {
  for (const char* yes : {"true", "1", "True", "TRUE", "t", "yes", ""}) {
    EXPECT_TRUE(QueryBool({{"watch", yes}}, "watch")) << yes;
  }
  for (const char* no : {"false", "False", "FALSE", "0"}) {
    EXPECT_FALSE(QueryBool({{"watch", no}}, "watch")) << no;
  }
  EXPECT_FALSE(QueryBool({}, "watch"));
  EXPECT_FALSE(QueryBool({{"other", "true"}}, "watch"));
}

}  // namespace
}  // namespace hallmark::tests::apiserver
