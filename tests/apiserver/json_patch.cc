#include "tests/apiserver/json_patch.h"

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hallmark::tests::apiserver {
namespace {

using json = nlohmann::json;

std::string DecodeToken(absl::string_view token) {
  // One left-to-right pass, so "~01" decodes to "~1" as RFC 6901 requires.
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && token[i + 1] == '1') {
      out.push_back('/');
      ++i;
    } else if (token[i] == '~' && i + 1 < token.size() && token[i + 1] == '0') {
      out.push_back('~');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

absl::Status OpError(std::string message) {
  return absl::FailedPreconditionError(std::move(message));
}

// Go's strconv.Atoi error text, as wrapped by the library.
std::string AtoiError(absl::string_view key) {
  return absl::StrCat("strconv.Atoi: parsing \"", key, "\": invalid syntax");
}

std::string InvalidIndex(long long idx) {
  return absl::StrCat("Unable to access invalid index: ", idx, ": invalid index referenced");
}

bool ParseIndex(absl::string_view key, long long* idx) {
  if (key.empty()) return false;
  // Atoi accepts an optional sign and decimal digits only.
  size_t start = (key[0] == '+' || key[0] == '-') ? 1 : 0;
  if (start == key.size()) return false;
  for (size_t i = start; i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9') return false;
  }
  return absl::SimpleAtoi(key, idx);
}

// Container lookup as the library's findObject: walks all but the last path segment (the first
// segment, before the leading '/', is ignored) and returns the parent container and decoded key.
struct Location {
  json* container = nullptr;
  std::string key;
};

Location FindObject(json& doc, const std::string& path) {
  std::vector<std::string> split = absl::StrSplit(path, '/');
  if (split.size() < 2) return {};
  json* cur = &doc;
  for (size_t i = 1; i + 1 < split.size(); ++i) {
    std::string part = DecodeToken(split[i]);
    json* next = nullptr;
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it != cur->end()) next = &*it;
    } else if (cur->is_array()) {
      long long idx;
      if (!ParseIndex(part, &idx)) return {};
      long long n = static_cast<long long>(cur->size());
      if (idx < 0) {
        if (idx < -n) return {};
        idx += n;
      }
      if (idx >= n) return {};
      next = &(*cur)[static_cast<size_t>(idx)];
    }
    if (next == nullptr || !(next->is_object() || next->is_array())) return {};
    cur = next;
  }
  return {cur, DecodeToken(split.back())};
}

// Get: the value at key, nullptr for a missing object member (not an error, as in the library);
// an error for a bad array index.
absl::StatusOr<json*> Get(json& container, const std::string& key) {
  if (container.is_object()) {
    auto it = container.find(key);
    return it == container.end() ? nullptr : &*it;
  }
  long long idx;
  if (!ParseIndex(key, &idx)) return OpError(AtoiError(key));
  long long n = static_cast<long long>(container.size());
  if (idx < 0) {
    if (idx < -n) return OpError(InvalidIndex(idx));
    idx += n;
  }
  if (idx >= n) return OpError(InvalidIndex(idx));
  return &container[static_cast<size_t>(idx)];
}

absl::Status Add(json& container, const std::string& key, json value) {
  if (container.is_object()) {
    container[key] = std::move(value);
    return absl::OkStatus();
  }
  if (key == "-") {
    container.push_back(std::move(value));
    return absl::OkStatus();
  }
  long long idx;
  if (!ParseIndex(key, &idx)) {
    return OpError(
        absl::StrCat("value was not a proper array index: '", key, "': ", AtoiError(key)));
  }
  long long size = static_cast<long long>(container.size()) + 1;
  if (idx >= size) return OpError(InvalidIndex(idx));
  if (idx < 0) {
    if (idx < -size) return OpError(InvalidIndex(idx));
    idx += size;
  }
  container.insert(container.begin() + idx, std::move(value));
  return absl::OkStatus();
}

absl::Status Remove(json& container, const std::string& key) {
  if (container.is_object()) {
    if (container.erase(key) == 0) {
      return OpError(absl::StrCat("Unable to remove nonexistent key: ", key, ": missing value"));
    }
    return absl::OkStatus();
  }
  long long idx;
  if (!ParseIndex(key, &idx)) return OpError(AtoiError(key));
  long long n = static_cast<long long>(container.size());
  if (idx >= n) return OpError(InvalidIndex(idx));
  if (idx < 0) {
    if (idx < -n) return OpError(InvalidIndex(idx));
    idx += n;
  }
  container.erase(static_cast<size_t>(idx));
  return absl::OkStatus();
}

absl::Status Set(json& container, const std::string& key, json value) {
  if (container.is_object()) {
    container[key] = std::move(value);
    return absl::OkStatus();
  }
  long long idx;
  if (!ParseIndex(key, &idx)) return OpError(AtoiError(key));
  long long n = static_cast<long long>(container.size());
  if (idx < 0) {
    if (idx < -n) return OpError(InvalidIndex(idx));
    idx += n;
  }
  container[static_cast<size_t>(idx)] = std::move(value);
  return absl::OkStatus();
}

absl::Status Wrap(absl::string_view prefix, const absl::Status& inner) {
  return OpError(absl::StrCat(prefix, ": ", inner.message()));
}

std::string StringMember(const json& op, const char* name, bool* present) {
  auto it = op.find(name);
  *present = it != op.end() && it->is_string();
  return *present ? it->get<std::string>() : std::string();
}

json ValueMember(const json& op) {
  auto it = op.find("value");
  return it == op.end() ? json() : *it;
}

absl::Status ApplyOne(json& doc, const json& op) {
  bool has_kind, has_path, has_from;
  std::string kind = StringMember(op, "op", &has_kind);
  if (!has_kind) kind = "unknown";
  std::string path = StringMember(op, "path", &has_path);
  std::string from = StringMember(op, "from", &has_from);

  if (kind == "add") {
    if (!has_path) return OpError("add operation failed to decode path: missing value");
    Location loc = FindObject(doc, path);
    if (loc.container == nullptr) {
      return OpError(absl::StrCat("add operation does not apply: doc is missing path: \"", path,
                                  "\": missing value"));
    }
    absl::Status s = Add(*loc.container, loc.key, ValueMember(op));
    if (!s.ok()) return Wrap(absl::StrCat("error in add for path: '", path, "'"), s);
    return absl::OkStatus();
  }
  if (kind == "remove") {
    if (!has_path) return OpError("remove operation failed to decode path: missing value");
    Location loc = FindObject(doc, path);
    if (loc.container == nullptr) {
      return OpError(absl::StrCat("remove operation does not apply: doc is missing path: \"", path,
                                  "\": missing value"));
    }
    absl::Status s = Remove(*loc.container, loc.key);
    if (!s.ok()) return Wrap(absl::StrCat("error in remove for path: '", path, "'"), s);
    return absl::OkStatus();
  }
  if (kind == "replace") {
    if (!has_path) {
      return OpError(
          "replace operation failed to decode path: operation missing path field: "
          "missing value");
    }
    if (path.empty()) {
      json value = ValueMember(op);
      if (!value.is_object() && !value.is_array()) {
        return OpError("replace operation value must be object or array");
      }
      doc = std::move(value);
      return absl::OkStatus();
    }
    Location loc = FindObject(doc, path);
    if (loc.container == nullptr) {
      return OpError(absl::StrCat("replace operation does not apply: doc is missing path: ", path,
                                  ": missing value"));
    }
    if (!Get(*loc.container, loc.key).ok()) {
      return OpError(absl::StrCat("replace operation does not apply: doc is missing key: ", path,
                                  ": missing value"));
    }
    absl::Status s = Set(*loc.container, loc.key, ValueMember(op));
    if (!s.ok()) return Wrap(absl::StrCat("error in remove for path: '", path, "'"), s);
    return absl::OkStatus();
  }
  if (kind == "move" || kind == "copy") {
    if (!has_from) {
      return OpError(absl::StrCat(kind,
                                  " operation failed to decode from: operation, missing "
                                  "from field: missing value"));
    }
    Location src = FindObject(doc, from);
    if (src.container == nullptr) {
      return OpError(absl::StrCat(
          kind, " operation does not apply: doc is missing from path: ", from, ": missing value"));
    }
    absl::StatusOr<json*> val = Get(*src.container, src.key);
    if (!val.ok()) {
      return Wrap(kind == "move" ? absl::StrCat("error in move for path: '", src.key, "'")
                                 : absl::StrCat("error in copy for from: '", from, "'"),
                  val.status());
    }
    if (*val == nullptr) {
      return OpError(absl::StrCat(
          kind, " operation does not apply: doc is missing from path: ", from, ": missing value"));
    }
    json value = **val;
    if (kind == "move") {
      absl::Status s = Remove(*src.container, src.key);
      if (!s.ok()) return Wrap(absl::StrCat("error in move for path: '", src.key, "'"), s);
    }
    if (!has_path) {
      return OpError(absl::StrCat(kind, " operation failed to decode path: missing value"));
    }
    Location dst = FindObject(doc, path);
    if (dst.container == nullptr) {
      return OpError(
          absl::StrCat(kind, " operation does not apply: doc is missing destination path: ", path,
                       ": missing value"));
    }
    absl::Status s = Add(*dst.container, dst.key, std::move(value));
    if (!s.ok()) {
      return Wrap(kind == "move" ? absl::StrCat("error in move for path: '", path, "'")
                                 : "error while adding value during copy",
                  s);
    }
    return absl::OkStatus();
  }
  if (kind == "test") {
    if (!has_path) {
      return OpError(
          "test operation failed to decode path: operation missing path field: "
          "missing value");
    }
    json expected = ValueMember(op);
    if (path.empty()) {
      if (doc == expected) return absl::OkStatus();
      return OpError(absl::StrCat("testing value ", path, " failed: test failed"));
    }
    Location loc = FindObject(doc, path);
    if (loc.container == nullptr) {
      return OpError(absl::StrCat("test operation does not apply: is missing path: ", path,
                                  ": missing value"));
    }
    absl::StatusOr<json*> val = Get(*loc.container, loc.key);
    if (!val.ok()) return Wrap(absl::StrCat("error in test for path: '", path, "'"), val.status());
    if (*val == nullptr) {
      if (expected.is_null()) return absl::OkStatus();
      return OpError(absl::StrCat("testing value ", path, " failed: test failed"));
    }
    if (**val == expected) return absl::OkStatus();
    return OpError(absl::StrCat("testing value ", path, " failed: test failed"));
  }
  return OpError(absl::StrCat("Unexpected kind: ", kind));
}

}  // namespace

absl::StatusOr<nlohmann::json> ApplyJsonPatch(const nlohmann::json& doc,
                                              const nlohmann::json& patch) {
  if (!patch.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("json: cannot unmarshal ",
                                                   patch.is_object() ? "object" : patch.type_name(),
                                                   " into Go value of type jsonpatch.Patch"));
  }
  for (const auto& op : patch) {
    if (!op.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("json: cannot unmarshal ", op.type_name(),
                                                     " into Go value of type jsonpatch.Operation"));
    }
  }
  if (patch.size() > kMaxJsonPatchOperations) {
    return absl::ResourceExhaustedError(
        absl::StrCat("The allowed maximum operations in a JSON patch is ", kMaxJsonPatchOperations,
                     ", got ", patch.size()));
  }
  json result = doc;
  for (const auto& op : patch) {
    absl::Status s = ApplyOne(result, op);
    if (!s.ok()) return s;
  }
  return result;
}

std::string EscapeJsonPointerToken(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace hallmark::tests::apiserver
