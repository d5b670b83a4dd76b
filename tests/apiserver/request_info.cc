#include "tests/apiserver/request_info.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/apiserver/selector.h"

namespace hallmark::tests::apiserver {
namespace {

const std::string* First(const std::multimap<std::string, std::string>& query,
                         const std::string& name) {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

// Whether apimachinery's ParameterCodec decodes the query into ListOptions; if not, kube's
// RequestInfo takes no name from the field selector.
bool ListOptionsDecode(const std::multimap<std::string, std::string>& query) {
  for (const char* name : {"limit", "timeoutSeconds"}) {
    int64_t n;
    if (const std::string* v = First(query, name); v != nullptr && !absl::SimpleAtoi(*v, &n)) {
      return false;
    }
  }
  if (const std::string* v = First(query, "labelSelector");
      v != nullptr && !LabelSelector::Parse(*v).ok()) {
    return false;
  }
  return true;
}

// apimachinery's path.IsValidPathSegmentName.
bool ValidPathSegmentName(const std::string& name) {
  return name != "." && name != ".." && !absl::StrContains(name, '/') &&
         !absl::StrContains(name, '%');
}

}  // namespace

bool QueryBool(const std::multimap<std::string, std::string>& query, const std::string& name) {
  const std::string* v = First(query, name);
  if (v == nullptr) return false;
  return !(*v == "0" || absl::EqualsIgnoreCase(*v, "false"));
}

RequestInfo ParseRequestInfo(absl::string_view method, absl::string_view path,
                             const std::multimap<std::string, std::string>& query) {
  RequestInfo ri;
  ri.verb = absl::AsciiStrToLower(method);
  // Go's strings.Split(strings.Trim(path, "/"), "/"): empty segments inside are kept.
  absl::string_view trimmed = path;
  while (absl::ConsumePrefix(&trimmed, "/")) {
  }
  while (absl::ConsumeSuffix(&trimmed, "/")) {
  }
  std::vector<std::string> parts;
  if (!trimmed.empty()) parts = absl::StrSplit(trimmed, '/');
  if (parts.size() < 3 || (parts[0] != "api" && parts[0] != "apis")) return ri;
  size_t at = 1;
  if (parts[0] == "apis") {
    if (parts.size() < 4) return ri;
    ri.api_group = parts[at++];
  }
  ri.resource_request = true;
  ri.api_prefix = parts[0];
  ri.api_version = parts[at++];

  if (parts[at] == "watch" || parts[at] == "proxy") {
    ri.verb = parts[at++];
    // kube refuses to build a RequestInfo for a bare /watch or /proxy; nothing more to say.
    if (at == parts.size()) return ri;
  } else {
    std::string m = absl::AsciiStrToUpper(method);
    if (m == "POST") {
      ri.verb = "create";
    } else if (m == "GET" || m == "HEAD") {
      ri.verb = "get";
    } else if (m == "PUT") {
      ri.verb = "update";
    } else if (m == "PATCH") {
      ri.verb = "patch";
    } else if (m == "DELETE") {
      ri.verb = "delete";
    } else {
      ri.verb = "";
    }
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(at), parts.end());
  if (rest[0] == "namespaces" && rest.size() > 1) {
    ri.namespace_ = rest[1];
    // /namespaces/NS/RESOURCE...; but /namespaces/NAME[/status|/finalize] is the Namespace.
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  ri.resource = rest[0];
  if (rest.size() >= 2) ri.name = rest[1];
  if (rest.size() >= 3 && ri.verb != "proxy") ri.subresource = rest[2];

  if (ri.name.empty() && ri.verb == "get") {
    ri.verb = QueryBool(query, "watch") ? "watch" : "list";
    const std::string* selector = First(query, "fieldSelector");
    if (selector != nullptr && ListOptionsDecode(query)) {
      absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(*selector);
      std::optional<std::string> name =
          fields.ok() ? fields->RequiresExactMatch("metadata.name") : std::nullopt;
      if (name.has_value() && ValidPathSegmentName(*name)) ri.name = *name;
    }
  }
  if (ri.name.empty() && ri.verb == "delete") ri.verb = "deletecollection";
  return ri;
}

}  // namespace hallmark::tests::apiserver
