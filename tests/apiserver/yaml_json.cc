#include "tests/apiserver/yaml_json.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/yaml_stream.h"
#include "yaml-cpp/yaml.h"

namespace hallmark::tests::apiserver {
namespace {

using json = nlohmann::json;

constexpr int kMaxDepth = 200;
constexpr size_t kMaxNodes = 1000000;

bool OneOf(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (s == o) return true;
  }
  return false;
}

// Go's strconv.ParseInt(s, 0, 64) after go-yaml removed underscores.
bool ParseGoInt(std::string s, json* out) {
  s = absl::StrReplaceAll(s, {{"_", ""}});
  if (s.empty()) return false;
  bool neg = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return false;
  int base = 10;
  if (s.size() - i > 1 && s[i] == '0') {
    char p = s[i + 1];
    if (p == 'x' || p == 'X') {
      base = 16;
      i += 2;
    } else if (p == 'b' || p == 'B') {
      base = 2;
      i += 2;
    } else if (p == 'o' || p == 'O') {
      base = 8;
      i += 2;
    } else {
      base = 8;
      i += 1;
    }
  }
  if (i >= s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = v == static_cast<uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<int64_t>(v);
  } else if (v <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(v);
  } else {
    *out = v;
  }
  return true;
}

bool ParseGoFloat(const std::string& s, json* out) {
  // ParseFloat accepts decimal forms; reject hex floats and words like "infinity" that are not
  // YAML floats (".inf" forms are handled by the caller).
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  double d;
  if (!absl::SimpleAtod(absl::StrReplaceAll(s, {{"_", ""}}), &d) || !std::isfinite(d)) {
    return false;
  }
  *out = d;
  return true;
}

absl::Status ResolvePlain(const std::string& s, json* out) {
  if (OneOf(s, {"", "~", "null", "Null", "NULL"})) {
    *out = nullptr;
  } else if (OneOf(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    *out = true;
  } else if (OneOf(s,
                   {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
    *out = false;
  } else if (OneOf(s, {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                       "-.inf", "-.Inf", "-.INF"})) {
    return absl::InvalidArgumentError(absl::StrCat("cannot represent YAML float ", s, " in JSON"));
  } else if (!ParseGoInt(s, out) && !ParseGoFloat(s, out)) {
    *out = s;
  }
  return absl::OkStatus();
}

struct Converter {
  size_t nodes = 0;

  absl::Status Convert(const YAML::Node& node, int depth, json* out) {
    if (depth > kMaxDepth) return absl::InvalidArgumentError("YAML nesting too deep");
    if (++nodes > kMaxNodes) return absl::InvalidArgumentError("YAML document too large");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        *out = nullptr;
        return absl::OkStatus();
      case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        const std::string& value = node.Scalar();
        if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "tag:yaml.org,2002:binary" ||
            tag == "tag:yaml.org,2002:timestamp") {
          *out = value;
          return absl::OkStatus();
        }
        if (tag == "tag:yaml.org,2002:int") {
          if (!ParseGoInt(value, out)) {
            return absl::InvalidArgumentError(absl::StrCat("cannot decode !!int `", value, "`"));
          }
          return absl::OkStatus();
        }
        if (tag == "tag:yaml.org,2002:float") {
          if (!ParseGoInt(value, out) && !ParseGoFloat(value, out)) {
            return absl::InvalidArgumentError(absl::StrCat("cannot decode !!float `", value, "`"));
          }
          return absl::OkStatus();
        }
        return ResolvePlain(value, out);
      }
      case YAML::NodeType::Sequence: {
        *out = json::array();
        for (const auto& item : node) {
          json v;
          absl::Status s = Convert(item, depth + 1, &v);
          if (!s.ok()) return s;
          out->push_back(std::move(v));
        }
        return absl::OkStatus();
      }
      case YAML::NodeType::Map: {
        *out = json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return absl::InvalidArgumentError(
                absl::StrCat("line ", kv.first.Mark().line + 1,
                             ": only scalar map keys can be converted to JSON"));
          }
          json v;
          absl::Status s = Convert(kv.second, depth + 1, &v);
          if (!s.ok()) return s;
          (*out)[kv.first.Scalar()] = std::move(v);
        }
        return absl::OkStatus();
      }
    }
    return absl::InternalError("unknown YAML node type");
  }
};

}  // namespace

absl::StatusOr<std::vector<nlohmann::json>> ParseYamlDocuments(absl::string_view text) {
  absl::Status finite = CheckYamlStreamTerminates(text);
  if (!finite.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error converting YAML to JSON: ", finite.message()));
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("error converting YAML to JSON: yaml: line ", e.mark.line + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("error converting YAML to JSON: ", e.what()));
  }
  std::vector<json> out;
  Converter converter;
  for (const auto& doc : docs) {
    if (doc.IsNull() || !doc.IsDefined()) continue;
    json j;
    absl::Status s = converter.Convert(doc, 0, &j);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("error converting YAML to JSON: ", s.message()));
    }
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<nlohmann::json> ParseYaml(absl::string_view text) {
  absl::StatusOr<std::vector<json>> docs = ParseYamlDocuments(text);
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return json();
  if (docs->size() > 1) {
    return absl::InvalidArgumentError("expected one YAML document, found several");
  }
  return std::move((*docs)[0]);
}

}  // namespace hallmark::tests::apiserver
