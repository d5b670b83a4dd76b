// File: tests/apiserver/schema.h
//
// OpenAPI v3 structural schemas, used three ways so they cannot disagree:
//   1. served as /openapi/v3 components (kubectl's field-validation probe and `kubectl explain`);
//   2. Normalize(): what kube-apiserver does to a decoded object: drop unknown fields (built-in
//      types have no place for them; CRDs prune them), report them for fieldValidation
//      Strict/Warn, drop nulls, apply `default`s, check JSON types;
//   3. the patch metadata (x-kubernetes-patch-strategy / -merge-key) strategic merge patch needs.
//
// Supported keywords: type, properties, additionalProperties, items, $ref (to
// "#/components/schemas/NAME"), allOf with one $ref, nullable, default, format,
// x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string,
// x-kubernetes-embedded-resource, x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key.
// An object schema with neither properties nor additionalProperties and without
// x-kubernetes-preserve-unknown-fields keeps nothing (structural pruning).
#ifndef HALLMARK_TESTS_APISERVER_SCHEMA_H_
#define HALLMARK_TESTS_APISERVER_SCHEMA_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// SchemaSet: named schemas ("io.k8s.api.core.v1.Pod"); copyable, immutable once built.
class SchemaSet {
 public:
  void Add(const std::string& name, nlohmann::json schema);
  // Get: the named schema or nullptr.
  const nlohmann::json* Get(const std::string& name) const;
  // Resolve follows $ref and single-$ref allOf wrappers. Returns `schema` if it is not a
  // reference, nullptr for a dangling or too deep reference chain.
  const nlohmann::json* Resolve(const nlohmann::json& schema) const;
  const std::map<std::string, nlohmann::json>& all() const { return schemas_; }
  // RefName: "io.k8s.api.core.v1.Pod" for {"$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}.
  static std::string RefName(const nlohmann::json& schema);

 private:
  std::map<std::string, nlohmann::json> schemas_;
};

struct TypeMismatch {
  std::string path;         // "spec.replicas"
  std::string expected;     // OpenAPI type: "integer"
  std::string go_type;      // "int32", for Go-decoder style messages
  std::string struct_name;  // Go struct holding the field ("DeploymentSpec"), may be empty
  std::string actual;       // JSON type of the value: "string"
  std::string value;        // the value, JSON-rendered (for CRD messages)
};

struct SchemaViolations {
  std::vector<std::string> unknown_fields;  // paths, in document order
  std::vector<TypeMismatch> type_errors;
};

struct NormalizeOptions {
  bool prune = true;           // remove unknown fields
  bool apply_defaults = true;  // fill `default`s of missing properties
};

// Normalize walks `value` against `schema` (resolved through `set`), editing it in place as
// described in the file comment and recording what it found in `violations`.
void Normalize(const SchemaSet& set, const nlohmann::json& schema, nlohmann::json* value,
               const NormalizeOptions& options, SchemaViolations* violations);

// PatchMeta: the strategic-merge-patch metadata of one field.
struct PatchMeta {
  bool merge = false;        // patch strategy contains "merge"
  bool retain_keys = false;  // patch strategy contains "retainKeys"
  bool replace = false;      // patch strategy "replace"
  std::string merge_key;     // x-kubernetes-patch-merge-key
};

// FieldSchema: the schema of member `name` of the object schema `object_schema` (resolved), or
// nullptr if the schema does not describe it. `meta` (may be null) receives its patch metadata.
const nlohmann::json* FieldSchema(const SchemaSet& set, const nlohmann::json* object_schema,
                                  const std::string& name, PatchMeta* meta);

// ItemSchema: the resolved `items` schema of an array schema, or nullptr.
const nlohmann::json* ItemSchema(const SchemaSet& set, const nlohmann::json* array_schema);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_SCHEMA_H_
