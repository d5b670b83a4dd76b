// File: kube/internal/json.h
//
// nlohmann::json helpers that cannot throw (STYLE.md rule 1): Dump replaces invalid UTF-8
// instead of throwing type_error 316, and the field readers check types first.
#ifndef HALLMARK_KUBE_INTERNAL_JSON_H_
#define HALLMARK_KUBE_INTERNAL_JSON_H_

#include <string>

#include "nlohmann/json.hpp"

namespace hallmark::kube::internal {

// Dump: compact JSON; invalid UTF-8 in strings becomes U+FFFD.
inline std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Child: &obj[key] when obj is an object holding key, else nullptr.
inline const nlohmann::json* Child(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// StringAt: obj[key] if it is a string, else "".
inline std::string StringAt(const nlohmann::json& obj, const char* key) {
  const nlohmann::json* v = Child(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace hallmark::kube::internal

#endif  // HALLMARK_KUBE_INTERNAL_JSON_H_
