#include "tests/apiserver/schema.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr absl::string_view kRefPrefix = "#/components/schemas/";
constexpr int kMaxRefHops = 32;
constexpr int kMaxDepth = 128;

bool Flag(const json& schema, const char* name) {
  const json* v = Member(schema, name);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

std::string TypeOf(const json& schema) {
  const json* t = Member(schema, "type");
  return t != nullptr && t->is_string() ? t->get<std::string>() : "";
}

std::string ShortName(const std::string& full) {
  size_t dot = full.rfind('.');
  return dot == std::string::npos ? full : full.substr(dot + 1);
}

// GoType renders the Go type kube's decoder would name for a schema (best effort; only used in
// the text of decode errors).
std::string GoType(const SchemaSet& set, const json& unresolved, int depth = 0) {
  std::string ref = SchemaSet::RefName(unresolved);
  if (!ref.empty()) {
    std::vector<std::string> parts = absl::StrSplit(ref, '.');
    if (parts.size() >= 2) return absl::StrCat(parts[parts.size() - 2], ".", parts.back());
    return ref;
  }
  const json* s = set.Resolve(unresolved);
  if (s == nullptr || depth > 8) return "interface {}";
  if (Flag(*s, "x-kubernetes-int-or-string")) return "intstr.IntOrString";
  std::string type = TypeOf(*s);
  if (type == "integer") {
    std::string format = StringAt(*s, {"format"});
    return format == "int32" ? "int32" : "int64";
  }
  if (type == "number") return "float64";
  if (type == "boolean") return "bool";
  if (type == "string") return StringAt(*s, {"format"}) == "byte" ? "[]uint8" : "string";
  if (type == "array") {
    const json* items = Member(*s, "items");
    return absl::StrCat("[]", items != nullptr ? GoType(set, *items, depth + 1) : "interface {}");
  }
  if (type == "object") {
    const json* addl = Member(*s, "additionalProperties");
    if (addl != nullptr && addl->is_object()) {
      return absl::StrCat("map[string]", GoType(set, *addl, depth + 1));
    }
    return "map[string]interface {}";
  }
  return "interface {}";
}

std::string GoJsonKind(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

struct Walker {
  const SchemaSet& set;
  const NormalizeOptions& options;
  SchemaViolations* out;

  void Mismatch(const json& unresolved, const json& resolved, const json& value,
                const std::string& path, const std::string& struct_name) {
    std::string expected =
        Flag(resolved, "x-kubernetes-int-or-string") ? "integer-or-string" : TypeOf(resolved);
    out->type_errors.push_back(TypeMismatch{path, expected, GoType(set, unresolved), struct_name,
                                            GoJsonKind(value), Dump(value)});
  }

  void Walk(const json& unresolved, json* value, const std::string& path,
            const std::string& parent_struct, int depth) {
    if (depth > kMaxDepth) return;
    const json* schema = set.Resolve(unresolved);
    if (schema == nullptr) return;
    std::string ref = SchemaSet::RefName(unresolved);
    std::string struct_name = ref.empty() ? parent_struct : ShortName(ref);
    if (Flag(*schema, "x-kubernetes-int-or-string")) {
      if (!value->is_number_integer() && !value->is_number_unsigned() && !value->is_string()) {
        Mismatch(unresolved, *schema, *value, path, parent_struct);
      }
      return;
    }
    std::string type = TypeOf(*schema);
    const json* props = Member(*schema, "properties");
    if (type == "object" || (type.empty() && props != nullptr)) {
      if (!value->is_object()) {
        if (!type.empty()) Mismatch(unresolved, *schema, *value, path, parent_struct);
        return;
      }
      WalkObject(*schema, value, path, struct_name, depth);
      return;
    }
    if (type == "array") {
      if (!value->is_array()) {
        Mismatch(unresolved, *schema, *value, path, parent_struct);
        return;
      }
      const json* items = Member(*schema, "items");
      if (items == nullptr) return;
      for (size_t i = 0; i < value->size(); ++i) {
        Walk(*items, &(*value)[i], absl::StrCat(path, "[", i, "]"), struct_name, depth + 1);
      }
      return;
    }
    bool ok = true;
    if (type == "string") {
      ok = value->is_string();
    } else if (type == "integer") {
      ok = value->is_number_integer() || value->is_number_unsigned();
    } else if (type == "number") {
      ok = value->is_number();
    } else if (type == "boolean") {
      ok = value->is_boolean();
    }
    if (!ok) Mismatch(unresolved, *schema, *value, path, parent_struct);
  }

  void WalkObject(const json& schema, json* value, const std::string& path,
                  const std::string& struct_name, int depth) {
    const json* props = Member(schema, "properties");
    const json* addl = Member(schema, "additionalProperties");
    bool preserve = Flag(schema, "x-kubernetes-preserve-unknown-fields");
    bool embedded = Flag(schema, "x-kubernetes-embedded-resource");
    std::vector<std::string> remove;
    for (auto it = value->begin(); it != value->end(); ++it) {
      const std::string& key = it.key();
      const json* prop = props != nullptr ? Member(*props, key) : nullptr;
      if (prop != nullptr) {
        if (it.value().is_null()) {
          const json* resolved = set.Resolve(*prop);
          if (resolved == nullptr || !Flag(*resolved, "nullable")) remove.push_back(key);
          continue;
        }
        Walk(*prop, &it.value(), Join(path, key), struct_name, depth + 1);
      } else if (addl != nullptr && addl->is_object()) {
        if (it.value().is_null()) {
          remove.push_back(key);
          continue;
        }
        Walk(*addl, &it.value(), Join(path, key), struct_name, depth + 1);
      } else if ((addl != nullptr && addl->is_boolean() && addl->get<bool>()) || preserve) {
        continue;
      } else if (embedded && (key == "apiVersion" || key == "kind" || key == "metadata")) {
        continue;
      } else {
        out->unknown_fields.push_back(Join(path, key));
        if (options.prune) remove.push_back(key);
      }
    }
    for (const auto& key : remove) value->erase(key);
    if (options.apply_defaults && props != nullptr && props->is_object()) {
      for (auto it = props->begin(); it != props->end(); ++it) {
        if (value->contains(it.key())) continue;
        const json* resolved = set.Resolve(it.value());
        if (resolved == nullptr) continue;
        const json* def = Member(*resolved, "default");
        if (def == nullptr) def = Member(it.value(), "default");
        if (def == nullptr) continue;
        (*value)[it.key()] = *def;
        Walk(it.value(), &(*value)[it.key()], Join(path, it.key()), struct_name, depth + 1);
      }
    }
  }
};

void ReadPatchMeta(const json& schema, PatchMeta* meta) {
  std::string strategy = StringAt(schema, {"x-kubernetes-patch-strategy"});
  if (!strategy.empty()) {
    for (absl::string_view s : absl::StrSplit(strategy, ',')) {
      if (s == "merge") meta->merge = true;
      if (s == "retainKeys") meta->retain_keys = true;
      if (s == "replace") meta->replace = true;
    }
  }
  std::string key = StringAt(schema, {"x-kubernetes-patch-merge-key"});
  if (!key.empty()) meta->merge_key = key;
}

}  // namespace

void SchemaSet::Add(const std::string& name, json schema) { schemas_[name] = std::move(schema); }

const json* SchemaSet::Get(const std::string& name) const {
  auto it = schemas_.find(name);
  return it == schemas_.end() ? nullptr : &it->second;
}

std::string SchemaSet::RefName(const json& schema) {
  const json* ref = Member(schema, "$ref");
  if (ref == nullptr) {
    const json* all_of = Member(schema, "allOf");
    if (all_of != nullptr && all_of->is_array() && all_of->size() == 1) {
      ref = Member((*all_of)[0], "$ref");
    }
  }
  if (ref == nullptr || !ref->is_string()) return "";
  const std::string& s = ref->get_ref<const std::string&>();
  if (!absl::StartsWith(s, kRefPrefix)) return "";
  return s.substr(kRefPrefix.size());
}

const json* SchemaSet::Resolve(const json& schema) const {
  const json* cur = &schema;
  for (int hop = 0; hop < kMaxRefHops; ++hop) {
    std::string name = RefName(*cur);
    if (name.empty()) {
      if (Member(*cur, "$ref") != nullptr) return nullptr;  // a reference we cannot follow
      return cur;
    }
    cur = Get(name);
    if (cur == nullptr) return nullptr;
  }
  return nullptr;
}

void Normalize(const SchemaSet& set, const json& schema, json* value,
               const NormalizeOptions& options, SchemaViolations* violations) {
  Walker walker{set, options, violations};
  walker.Walk(schema, value, "", "", 0);
}

const json* FieldSchema(const SchemaSet& set, const json* object_schema, const std::string& name,
                        PatchMeta* meta) {
  if (object_schema == nullptr) return nullptr;
  const json* schema = set.Resolve(*object_schema);
  if (schema == nullptr) return nullptr;
  const json* props = Member(*schema, "properties");
  const json* prop = props != nullptr ? Member(*props, name) : nullptr;
  if (prop == nullptr) {
    const json* addl = Member(*schema, "additionalProperties");
    if (addl != nullptr && addl->is_object()) prop = addl;
  }
  if (prop == nullptr) return nullptr;
  const json* resolved = set.Resolve(*prop);
  if (meta != nullptr) {
    *meta = PatchMeta{};
    ReadPatchMeta(*prop, meta);
    if (resolved != nullptr && resolved != prop) ReadPatchMeta(*resolved, meta);
  }
  return resolved;
}

const json* ItemSchema(const SchemaSet& set, const json* array_schema) {
  if (array_schema == nullptr) return nullptr;
  const json* schema = set.Resolve(*array_schema);
  if (schema == nullptr) return nullptr;
  const json* items = Member(*schema, "items");
  return items == nullptr ? nullptr : set.Resolve(*items);
}

}  // namespace hallmark::tests::apiserver
