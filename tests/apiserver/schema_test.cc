#include "tests/apiserver/schema.h"

#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/apiserver/builtin_catalog.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/registry.h"

namespace hallmark::tests::apiserver {
namespace {

using ::testing::ElementsAre;
using json = nlohmann::json;

void CheckRefs(const SchemaSet& set, const json& v, std::set<std::string>* missing) {
  if (v.is_object()) {
    std::string ref = SchemaSet::RefName(v);
    if (!ref.empty() && set.Get(ref) == nullptr) missing->insert(ref);
    for (auto it = v.begin(); it != v.end(); ++it) CheckRefs(set, it.value(), missing);
  } else if (v.is_array()) {
    for (const auto& x : v) CheckRefs(set, x, missing);
  }
}

TEST(BuiltinCatalog, EveryResourceHasASchemaAndEveryReferenceResolves) {
  const SchemaSet& set = BuiltinSchemas();
  for (const auto& r : BuiltinResources()) {
    const json* s = set.Get(r.schema);
    ASSERT_NE(s, nullptr) << r.kind;
    EXPECT_EQ((*s)["x-kubernetes-group-version-kind"][0]["kind"], r.kind);
  }
  std::set<std::string> missing;
  for (const auto& [name, schema] : set.all()) CheckRefs(set, schema, &missing);
  EXPECT_TRUE(missing.empty()) << *missing.begin();
}

TEST(BuiltinCatalog, PreinstalledCrdsAreValid) {
  std::vector<json> crds = PreinstalledCrds();
  ASSERT_EQ(crds.size(), 6u);
  for (const auto& crd : crds) EXPECT_TRUE(ValidateCrd(crd).empty()) << crd["metadata"]["name"];
}

TEST(Normalize, UnknownFieldsAreReportedAndDropped) {
  const SchemaSet& set = BuiltinSchemas();
  json d =
      json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","bogus":1},
    "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"i","foo":"bar",
    "securityContext":{"anything":{"goes":true}}}],"volumes":[{"name":"v","emptyDir":{}}]}}},
    "extra":true})");
  SchemaViolations v;
  Normalize(set, *set.Get("io.k8s.api.apps.v1.Deployment"), &d, NormalizeOptions{}, &v);
  EXPECT_THAT(v.unknown_fields,
              ElementsAre("extra", "metadata.bogus", "spec.template.spec.containers[0].foo"));
  EXPECT_TRUE(v.type_errors.empty());
  EXPECT_FALSE(d.contains("extra"));
  EXPECT_FALSE(d["spec"]["template"]["spec"]["containers"][0].contains("foo"));
  // Free-form parts are kept as they are.
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["anything"]["goes"],
            true);
  EXPECT_TRUE(d["spec"]["template"]["spec"]["volumes"][0].contains("emptyDir"));
}

TEST(Normalize, TypeErrorsNameTheGoStructField) {
  const SchemaSet& set = BuiltinSchemas();
  json d = json::parse(R"({"spec":{"replicas":"3"}})");
  SchemaViolations v;
  Normalize(set, *set.Get("io.k8s.api.apps.v1.Deployment"), &d, NormalizeOptions{}, &v);
  ASSERT_EQ(v.type_errors.size(), 1u);
  EXPECT_EQ(v.type_errors[0].path, "spec.replicas");
  EXPECT_EQ(v.type_errors[0].struct_name, "DeploymentSpec");
  EXPECT_EQ(v.type_errors[0].go_type, "int32");
  EXPECT_EQ(v.type_errors[0].actual, "string");
}

TEST(Normalize, NullsDropAndIntOrStringAcceptsBoth) {
  const SchemaSet& set = BuiltinSchemas();
  json svc = json::parse(R"({"metadata":{"creationTimestamp":null},"spec":{"ports":[
      {"port":80,"targetPort":"http"},{"port":81,"targetPort":8081}]}})");
  SchemaViolations v;
  Normalize(set, *set.Get("io.k8s.api.core.v1.Service"), &svc, NormalizeOptions{}, &v);
  EXPECT_TRUE(v.type_errors.empty());
  EXPECT_FALSE(svc["metadata"].contains("creationTimestamp"));
}

TEST(Normalize, StructuralPruningAndDefaultsForCustomResources) {
  SchemaSet set;
  set.Add("root", json::parse(R"({"type":"object","properties":{
      "spec":{"type":"object","properties":{"size":{"type":"integer","default":3},
              "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
              "closed":{"type":"object"}}}}})"));
  json obj = json::parse(R"({"spec":{"free":{"a":1},"closed":{"b":2},"other":1}})");
  SchemaViolations v;
  Normalize(set, *set.Get("root"), &obj, NormalizeOptions{}, &v);
  EXPECT_THAT(v.unknown_fields, ElementsAre("spec.closed.b", "spec.other"));
  EXPECT_EQ(obj, json::parse(R"({"spec":{"free":{"a":1},"closed":{},"size":3}})"));
}

TEST(PatchMetadata, ComesFromTheSchema) {
  const SchemaSet& set = BuiltinSchemas();
  PatchMeta meta;
  const json* spec = FieldSchema(set, set.Get("io.k8s.api.core.v1.Pod"), "spec", &meta);
  ASSERT_NE(spec, nullptr);
  ASSERT_NE(FieldSchema(set, spec, "containers", &meta), nullptr);
  EXPECT_TRUE(meta.merge);
  EXPECT_EQ(meta.merge_key, "name");
  FieldSchema(set, spec, "volumes", &meta);
  EXPECT_TRUE(meta.merge && meta.retain_keys);
  const json* dspec = FieldSchema(set, set.Get("io.k8s.api.apps.v1.Deployment"), "spec", &meta);
  FieldSchema(set, dspec, "strategy", &meta);
  EXPECT_TRUE(meta.retain_keys);
  EXPECT_FALSE(meta.merge);
}

}  // namespace
}  // namespace hallmark::tests::apiserver
