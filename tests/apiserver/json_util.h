// File: tests/apiserver/json_util.h
//
// Exception-free helpers over nlohmann::json for untrusted Kubernetes objects: parsing that
// returns a Status, member lookups that never throw on a wrong type, dumping that never throws
// on invalid UTF-8, plus the small value formats the API uses (RFC 3339 times, UUIDs, Go's %q).
#ifndef HALLMARK_TESTS_APISERVER_JSON_UTIL_H_
#define HALLMARK_TESTS_APISERVER_JSON_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

using json = nlohmann::json;

// ParseJson: kInvalidArgument (with the parser's position) if `text` is not one JSON value.
absl::StatusOr<json> ParseJson(absl::string_view text);

// ParseKubeYaml (exactly one document, none is null) and ParseKubeYamlDocuments (every non-null
// document): YAML as the API server reads a body or manifest, i.e. base/yaml_json.h with up to
// 200 levels and a repeated key keeping its last value (what the default fieldValidation=Warn
// stores). kInvalidArgument "error converting YAML to JSON: ..." naming the line.
absl::StatusOr<json> ParseKubeYaml(absl::string_view text);
absl::StatusOr<std::vector<json>> ParseKubeYamlDocuments(absl::string_view text);

// Dump: compact JSON; invalid UTF-8 in strings is replaced rather than throwing.
std::string Dump(const json& value);

// Member: the member `key` of `object`, or nullptr if `object` is not an object or lacks it.
const json* Member(const json& object, absl::string_view key);
json* MutableMember(json& object, absl::string_view key);

// Path: Member applied along `keys`.
const json* Path(const json& object, std::initializer_list<absl::string_view> keys);

// StringAt: the string at `keys`, or "" if absent or not a string.
std::string StringAt(const json& object, std::initializer_list<absl::string_view> keys);

// EnsureObject: object[key] as an object, created (or replaced if it was null) when needed.
// Returns nullptr if object is not an object or object[key] is a non-object, non-null value.
json* EnsureObject(json& object, absl::string_view key);

// StringMap: a JSON object of strings as a map; non-string values are skipped.
std::map<std::string, std::string> StringMap(const json* object);

// StringList: a JSON array of strings; non-strings are skipped.
std::vector<std::string> StringList(const json* array);

// FormatRfc3339: "2024-01-02T03:04:05Z" (seconds precision, UTC), as metav1.Time marshals.
std::string FormatRfc3339(absl::Time t);

// NewUid: a random RFC 4122 version-4 UUID.
std::string NewUid();

// RandomSuffix: `n` characters of apimachinery's name-generation alphabet.
std::string RandomSuffix(int n);

// GoQuote: Go's %q for a string (JSON-style escapes, double quotes).
std::string GoQuote(absl::string_view s);

// JsonTypeName: "string", "number", "object"... for messages.
std::string JsonTypeName(const json& value);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_JSON_UTIL_H_
