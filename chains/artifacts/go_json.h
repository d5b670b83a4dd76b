// File: chains/artifacts/go_json.h
//
// JSON text exactly as Go's encoding/json writes it, for the few places where Chains embeds the
// bytes of json.Marshal in a statement (SLSA v1.0 byproduct `content` is base64 of them): a
// verifier that decodes a byproduct and compares it with the TaskRun result sees the same bytes
// from us as from Chains.
//
// Go's rules (encoding/json, Go >= 1.22): `"` and `\` escaped; \b \f \n \r \t by name; other
// bytes < 0x20 as \u00xx (lower-case hex); `<`, `>`, `&`, U+2028 and U+2029 as \u003c, \u003e,
// \u0026, \u2028, \u2029 (HTML-safe escaping is on by default); invalid UTF-8 becomes \ufffd;
// everything else is copied. Objects have their keys sorted bytewise and no whitespace.
#ifndef HALLMARK_CHAINS_ARTIFACTS_GO_JSON_H_
#define HALLMARK_CHAINS_ARTIFACTS_GO_JSON_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hallmark::chains::artifacts {

// GoJsonString: `text` as a quoted JSON string, as json.Marshal(string) writes it.
std::string GoJsonString(absl::string_view text);

// AppendGoJsonString: the same, appended to `*out`.
void AppendGoJsonString(absl::string_view text, std::string* out);

// GoJsonStringArray: json.Marshal([]string{...}), e.g. ["a","b"].
std::string GoJsonStringArray(const std::vector<std::string>& values);

// GoJsonStringMap: json.Marshal(map[string]string{...}), keys sorted, e.g. {"a":"1","b":"2"}.
std::string GoJsonStringMap(const std::map<std::string, std::string>& values);

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_GO_JSON_H_
