#include "base/yaml_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/yaml_stream.h"
#include "yaml-cpp/yaml.h"

namespace hallmark {
namespace {

using nlohmann::json;

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80             ? 1
                 : (b & 0xe0) == 0xc0 ? 2
                 : (b & 0xf0) == 0xe0 ? 3
                 : (b & 0xf8) == 0xf0 ? 4
                                      : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t c = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
    for (size_t k = 1; k < len; ++k) {
      unsigned char n = static_cast<unsigned char>(s[i + k]);
      if ((n & 0xc0) != 0x80) return false;
      c = (c << 6) | (n & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kMin[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

absl::Status AtLine(const YAML::Node& node, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("YAML ", what, " at line ", node.Mark().line + 1));
}

bool ParseInteger(const std::string& s, json* out) {
  size_t start = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (start == s.size()) return false;
  for (size_t i = start; i < s.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  int64_t v;
  if (absl::SimpleAtoi(s, &v)) return *out = v, true;
  uint64_t u;
  if (s[0] != '-' && absl::SimpleAtoi(s, &u)) return *out = u, true;
  return false;  // out of range: keep the text
}

bool ParseFloat(const std::string& s, json* out) {
  bool digit = false, marker = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' || c == 'e' || c == 'E') {
      marker = true;
    } else if ((c == '-' || c == '+') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E')) {
      continue;
    } else {
      return false;
    }
  }
  if (!digit || !marker) return false;
  double d;
  if (!absl::SimpleAtod(s, &d) || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  std::string lower = absl::AsciiStrToLower(s);
  if (lower == "true") return true;
  if (lower == "false") return false;
  json number;
  if (ParseInteger(s, &number) || ParseFloat(s, &number)) return number;
  return s;
}

class Converter {
 public:
  explicit Converter(size_t max_nodes) : max_nodes_(max_nodes) {}

  absl::StatusOr<json> Convert(const YAML::Node& node, int depth) {
    if (depth > kMaxYamlDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("YAML document nests deeper than ", kMaxYamlDepth, " levels"));
    }
    if (++nodes_ > max_nodes_) {
      return absl::InvalidArgumentError(
          absl::StrCat("YAML stream expands to more than ", max_nodes_, " nodes (aliases?)"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        if (!ValidUtf8(node.Scalar())) return AtLine(node, "scalar is not valid UTF-8");
        // yaml-cpp tags plain scalars "?" and quoted or block ones "!".
        if (node.Tag() == "?") return PlainScalar(node.Scalar());
        return json(node.Scalar());
      case YAML::NodeType::Sequence: {
        json array = json::array();
        for (const YAML::Node& item : node) {
          absl::StatusOr<json> value = Convert(item, depth + 1);
          if (!value.ok()) return value.status();
          array.push_back(*std::move(value));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        json object = json::object();
        for (const auto& entry : node) {
          if (!entry.first.IsScalar()) return AtLine(entry.first, "mapping key is not a scalar");
          const std::string& key = entry.first.Scalar();
          if (!ValidUtf8(key)) return AtLine(entry.first, "mapping key is not valid UTF-8");
          if (object.contains(key)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "YAML mapping key \"", key, "\" repeated at line ", entry.first.Mark().line + 1));
          }
          absl::StatusOr<json> value = Convert(entry.second, depth + 1);
          if (!value.ok()) return value.status();
          object[key] = *std::move(value);
        }
        return object;
      }
    }
    return json(nullptr);
  }

 private:
  size_t max_nodes_;
  size_t nodes_ = 0;
};

void Emit(YAML::Emitter& out, const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out << YAML::Key << it.key() << YAML::Value;
        Emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const json& item : v) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      // A string that would read back as null, a boolean or a number is quoted.
      json plain = PlainScalar(s);
      if (!plain.is_string()) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case json::value_t::boolean:
      out << (v.get<bool>() ? "true" : "false");
      break;
    case json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << v.dump();
      break;
  }
}

}  // namespace

std::string JsonToYaml(const json& value) {
  YAML::Emitter out;
  Emit(out, value);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

absl::StatusOr<std::vector<json>> ParseYamlDocuments(absl::string_view text) {
  // yaml-cpp reports errors by exception: they are caught here, the one place that parses.
  try {
    absl::Status finite = CheckYamlStreamTerminates(text);
    if (!finite.ok()) return finite;
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    // Without aliases every node takes at least one byte of text, so more nodes than bytes can
    // only come from alias expansion.
    Converter converter(std::min(kMaxYamlNodes, text.size() + 1024));
    std::vector<json> out;
    for (const YAML::Node& doc : docs) {
      absl::StatusOr<json> value = converter.Convert(doc, 0);
      if (!value.ok()) return value.status();
      if (!value->is_null()) out.push_back(*std::move(value));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML at line ", e.mark.line + 1,
                                                   ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
}

absl::StatusOr<std::vector<json>> ParseYamlOrJson(absl::string_view text) {
  size_t first = 0;
  while (first < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[first]))) {
    ++first;
  }
  if (first < text.size() && (text[first] == '{' || text[first] == '[')) {
    json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return absl::InvalidArgumentError("invalid JSON");
    std::vector<json> out;
    out.push_back(std::move(value));
    return out;
  }
  return ParseYamlDocuments(text);
}

}  // namespace hallmark
