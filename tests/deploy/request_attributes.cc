#include "tests/deploy/request_attributes.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::deploy {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Percent-decoding of one query component ('+' is a space, as Go's url.ParseQuery reads it).
std::string QueryUnescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The value of `key` in a query string ("" if absent; the first one if repeated).
std::string QueryValue(absl::string_view query, absl::string_view key) {
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (QueryUnescape(kv.first) == key) return QueryUnescape(kv.second);
  }
  return "";
}

// Go's strconv.ParseBool, which kube-apiserver uses for `watch`.
bool ParseBoolTrue(absl::string_view v) {
  return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
}

}  // namespace

std::string RequestAttributes::DebugString() const {
  if (!resource_request) return absl::StrCat(verb, " ", path);
  std::string what = api_group.empty() ? resource : absl::StrCat(api_group, "/", resource);
  if (!subresource.empty()) absl::StrAppend(&what, "/", subresource);
  std::string where = namespace_.empty() ? "(cluster)" : namespace_;
  if (!name.empty()) absl::StrAppend(&where, "/", name);
  return absl::StrCat(verb, " ", what, " ", where);
}

absl::StatusOr<RequestAttributes> AttributesFromHttp(absl::string_view method,
                                                     absl::string_view target) {
  RequestAttributes a;
  std::pair<absl::string_view, absl::string_view> pq =
      absl::StrSplit(target, absl::MaxSplits('?', 1));
  a.path = std::string(pq.first);
  absl::string_view query = pq.second;
  if (!absl::StartsWith(a.path, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("request path must start with '/': ", target));
  }
  std::string m = absl::AsciiStrToUpper(method);
  std::string verb;
  if (m == "GET" || m == "HEAD") {
    verb = "get";
  } else if (m == "POST") {
    verb = "create";
  } else if (m == "PUT") {
    verb = "update";
  } else if (m == "PATCH") {
    verb = "patch";
  } else if (m == "DELETE") {
    verb = "delete";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported HTTP method '", method, "' for ", a.path));
  }

  std::vector<std::string> parts = absl::StrSplit(a.path, '/', absl::SkipEmpty());
  // Everything but /api/V/... and /apis/G/V/... with at least a resource is non-resource
  // (version, discovery, openapi, health): RBAC's system:discovery covers it.
  size_t prefix = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    a.api_version = parts[1];
    prefix = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    a.api_group = parts[1];
    a.api_version = parts[2];
    prefix = 3;
  } else {
    a.resource_request = false;
    a.verb = absl::AsciiStrToLower(method);
    a.api_group.clear();
    a.api_version.clear();
    return a;
  }
  a.resource_request = true;
  std::vector<std::string> rest(parts.begin() + prefix, parts.end());

  if (rest[0] == "watch") {  // legacy /api/v1/watch/... form
    if (verb != "get") {
      return absl::InvalidArgumentError(
          absl::StrCat("watch path with method ", method, ": ", a.path));
    }
    verb = "watch";
    rest.erase(rest.begin());
    if (rest.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("watch path without a resource: ", a.path));
    }
  }
  // /namespaces/NS/<resource>... is namespaced; /namespaces/NS and /namespaces/NS/{status,finalize}
  // are requests on the Namespace object itself.
  if (rest[0] == "namespaces" && rest.size() > 1) {
    a.namespace_ = rest[1];
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many path segments after the resource: ", a.path));
  }
  a.resource = rest[0];
  if (rest.size() >= 2) a.name = rest[1];
  if (rest.size() >= 3) a.subresource = rest[2];
  if (a.resource == "namespaces" && !a.name.empty()) {
    // The namespace of a Namespace request is the Namespace itself (as kube-apiserver sets it).
    a.namespace_ = a.name;
  }

  if (a.name.empty() && verb == "get") {
    verb = ParseBoolTrue(QueryValue(query, "watch")) ? "watch" : "list";
  } else if (a.name.empty() && verb == "delete") {
    verb = "deletecollection";
  } else if (a.name.empty() && (verb == "update" || verb == "patch")) {
    return absl::InvalidArgumentError(absl::StrCat(method, " without an object name: ", a.path));
  }
  // A list or watch narrowed to one object by `fieldSelector=metadata.name=X` is authorised as
  // that object (so rules with resourceNames can allow it), as kube-apiserver does.
  if ((verb == "list" || verb == "watch") && a.name.empty()) {
    std::string selector = QueryValue(query, "fieldSelector");
    for (absl::string_view term : absl::StrSplit(selector, ',', absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&term, "metadata.name=")) {
        absl::ConsumePrefix(&term, "=");
        a.name = std::string(term);
      }
    }
  }
  a.verb = verb;
  return a;
}

absl::StatusOr<std::vector<LoggedRequest>> ParseRequestLog(absl::string_view text,
                                                           size_t max_lines) {
  std::vector<LoggedRequest> out;
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (out.size() >= max_lines) {
      return absl::ResourceExhaustedError(
          absl::StrCat("request log has more than ", max_lines, " entries"));
    }
    nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                             /*allow_exceptions=*/false);
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("request log line ", line_no, ": ", why));
    };
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    auto str = [&](const char* key) -> const std::string* {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
    };
    const std::string* method = str("method");
    const std::string* path = str("path");
    if (method == nullptr || path == nullptr)
      return bad("needs string fields \"method\" and \"path\"");
    LoggedRequest r;
    r.method = *method;
    r.target = *path;
    if (const std::string* q = str("query"); q != nullptr && !q->empty()) {
      absl::string_view qv = *q;
      absl::ConsumePrefix(&qv, "?");
      if (!qv.empty() && !absl::StrContains(r.target, '?')) absl::StrAppend(&r.target, "?", qv);
    }
    if (const std::string* ua = str("user_agent"); ua != nullptr) {
      r.user_agent = *ua;
    } else if (const std::string* ua2 = str("userAgent"); ua2 != nullptr) {
      r.user_agent = *ua2;
    }
    if (auto it = j.find("status"); it != j.end() && it->is_number_integer()) {
      r.status = it->get<int>();
    }
    const std::string* verb = str("verb");
    const std::string* resource = str("resource");
    if (verb != nullptr && resource != nullptr) {
      r.has_server_view = true;
      RequestAttributes& v = r.server_view;
      v.resource_request = true;
      v.verb = *verb;
      v.resource = *resource;
      for (auto [field, key] : {std::pair{&v.api_group, "apiGroup"},
                                {&v.subresource, "subresource"},
                                {&v.namespace_, "namespace"},
                                {&v.name, "name"}}) {
        if (const std::string* value = str(key); value != nullptr) *field = *value;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hallmark::tests::deploy
