#include "base/yaml_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/encoding.h"
#include "base/yaml_stream.h"
#include "yaml-cpp/yaml.h"

namespace hallmark {
namespace {

using nlohmann::json;

// ---- UTF-8 (yaml-cpp passes bytes through unchecked; JSON strings must be UTF-8) ----

// Utf8Length: the length of the valid UTF-8 sequence at s[i], or 0 if there is none.
size_t Utf8Length(const std::string& s, size_t i) {
  unsigned char b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80             ? 1
               : (b & 0xe0) == 0xc0 ? 2
               : (b & 0xf0) == 0xe0 ? 3
               : (b & 0xf8) == 0xf0 ? 4
                                    : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t c = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
  for (size_t k = 1; k < len; ++k) {
    unsigned char n = static_cast<unsigned char>(s[i + k]);
    if ((n & 0xc0) != 0x80) return 0;
    c = (c << 6) | (n & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  return len;
}

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0, n; i < s.size(); i += n) {
    if ((n = Utf8Length(s, i)) == 0) return false;
  }
  return true;
}

// CheckYamlCharacters: the stream as go-yaml v2's reader takes it: a UTF-16 stream (its byte
// order mark) is refused here (yaml-cpp would also guess UTF-16 from NUL bytes, where go-yaml
// reads UTF-8), the bytes must be UTF-8, and each character printable in YAML's sense (tab, LF,
// CR, 0x20-0x7E, U+0085, U+00A0-U+D7FF, U+E000-U+FFFD, U+10000 and above), else "control
// characters are not allowed" as go-yaml says.
absl::Status CheckYamlCharacters(absl::string_view text) {
  if (absl::StartsWith(text, "\xff\xfe") || absl::StartsWith(text, "\xfe\xff")) {
    return absl::InvalidArgumentError("invalid YAML: UTF-16 is not supported, use UTF-8");
  }
  const std::string s(text);
  for (size_t i = 0, n; i < s.size(); i += n) {
    if ((n = Utf8Length(s, i)) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid YAML: not valid UTF-8 at byte ", i));
    }
    uint32_t c = static_cast<unsigned char>(s[i]);
    if (n > 1) {
      c = n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
      for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    bool printable = c == 0x09 || c == 0x0a || c == 0x0d || (c >= 0x20 && c <= 0x7e) || c == 0x85 ||
                     (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (!printable) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid YAML: control characters are not allowed (byte ", i, ")"));
    }
  }
  return absl::OkStatus();
}

// CoerceUtf8: each byte that starts no valid sequence becomes U+FFFD, as Go's json.Marshal
// writes the bytes of a decoded !!binary string.
std::string CoerceUtf8(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

// ---- scalar resolution: go-yaml v2's resolve() (resolve.go) and decoder.scalar() ----

struct Resolved {
  enum class Kind { kNull, kBool, kInt, kUint, kFloat, kString };
  Kind kind = Kind::kString;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string s;
};

Resolved OfKind(Resolved::Kind kind) {
  Resolved r;
  r.kind = kind;
  return r;
}
Resolved Null() { return OfKind(Resolved::Kind::kNull); }
Resolved Bool(bool b) {
  Resolved r = OfKind(Resolved::Kind::kBool);
  r.b = b;
  return r;
}
Resolved Float(double f) {
  Resolved r = OfKind(Resolved::Kind::kFloat);
  r.f = f;
  return r;
}
Resolved String(std::string s) {
  Resolved r = OfKind(Resolved::Kind::kString);
  r.s = std::move(s);
  return r;
}

constexpr absl::string_view kLongTagPrefix = "tag:yaml.org,2002:";

// ShortTag: "tag:yaml.org,2002:int" -> "!!int"; yaml-cpp's "?" (plain, no tag) -> "".
std::string ShortTag(const std::string& tag) {
  if (tag == "?") return "";
  if (absl::StartsWith(tag, kLongTagPrefix)) {
    return absl::StrCat("!!", tag.substr(kLongTagPrefix.size()));
  }
  return tag;
}

bool OneOf(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (s == w) return true;
  }
  return false;
}

// GoParseUint: strconv.ParseUint(s, 0, 64) (no sign; 0x/0o/0b prefixes, a leading 0 is octal).
bool GoParseUint(absl::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? absl::ascii_tolower(static_cast<unsigned char>(s[1])) : '\0';
    base = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 8;
    s.remove_prefix(base == 8 && p != 'o' ? 1 : 2);
  }
  uint64_t v = 0;
  for (char c : s) {
    int d = absl::ascii_isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : c >= 'a' && c <= 'z'                             ? c - 'a' + 10
            : c >= 'A' && c <= 'Z'                             ? c - 'A' + 10
                                                               : 99;
    if (d >= base) return false;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base)) {
      return false;  // out of range
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// GoParseInt: strconv.ParseInt(s, 0, 64).
bool GoParseInt(absl::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t u;
  if (!GoParseUint(s, &u)) return false;
  constexpr uint64_t kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (neg) {
    if (u > kLimit + 1) return false;
    *out = u == kLimit + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(u);
  } else {
    if (u > kLimit) return false;
    *out = static_cast<int64_t>(u);
  }
  return true;
}

size_t SkipDigits(absl::string_view s, size_t i) {
  while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// YamlStyleFloat: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (go-yaml v2).
bool YamlStyleFloat(absl::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    size_t j = SkipDigits(s, i + 1);
    if (j == i + 1) return false;
    i = j;
  } else {
    size_t j = SkipDigits(s, i);
    if (j == i) return false;
    i = j;
    if (i < s.size() && s[i] == '.') i = SkipDigits(s, i + 1);
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t j = SkipDigits(s, i);
    if (j == i) return false;
    i = j;
  }
  return i == s.size();
}

// GoParseFloat for text YamlStyleFloat accepted: false when it overflows a double (Go's ErrRange;
// the scalar then stays a string); underflow gives 0 as in Go.
bool ParseFiniteFloat(absl::string_view s, double* out) {
  return absl::SimpleAtod(s, out) && std::isfinite(*out);
}

// IsTimestamp: the layouts go-yaml v2 tries (RFC 3339 with short fields, "date time" without a
// zone, date only). Only an explicit !!timestamp needs it: a plain timestamp is a string anyway.
bool IsTimestamp(const std::string& s) {
  static const std::regex* re = new std::regex(
      R"(\d{4}-\d{1,2}-\d{1,2}(([Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))|)"
      R"(( \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?))?)");
  return std::regex_match(s, *re);
}

// ResolveImplicit: go-yaml v2's resolve() for a plain scalar or a resolvable tag; `rtag` is the
// tag the text resolved to.
Resolved ResolveImplicit(const std::string& in, const std::string& tag, std::string* rtag) {
  char hint = 'N';
  if (!in.empty()) {
    char c = in[0];
    hint = c == '+' || c == '-'                                                  ? 'S'
           : absl::ascii_isdigit(static_cast<unsigned char>(c))                  ? 'D'
           : absl::string_view("yYnNtTfFoO~").find(c) != absl::string_view::npos ? 'M'
           : c == '.'                                                            ? '.'
                                                                                 : 0;
  }
  if (hint != 0 && tag != "!!str") {
    *rtag = "!!bool";
    if (OneOf(in, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
      return Bool(true);
    }
    if (OneOf(in, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
      return Bool(false);
    }
    *rtag = "!!null";
    if (OneOf(in, {"", "~", "null", "Null", "NULL"})) return Null();
    *rtag = "!!float";
    if (OneOf(in, {".nan", ".NaN", ".NAN"})) return Float(std::nan(""));
    if (OneOf(in, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
      return Float(std::numeric_limits<double>::infinity());
    }
    if (OneOf(in, {"-.inf", "-.Inf", "-.INF"})) {
      return Float(-std::numeric_limits<double>::infinity());
    }
    double f;
    if (hint == '.' && YamlStyleFloat(in) && ParseFiniteFloat(in, &f)) return Float(f);
    if (hint == 'D' || hint == 'S') {
      if (tag == "!!timestamp" && IsTimestamp(in)) {
        *rtag = "!!timestamp";
        return String(in);
      }
      std::string plain = absl::StrReplaceAll(in, {{"_", ""}});
      *rtag = "!!int";
      Resolved r;
      if (GoParseInt(plain, &r.i)) {
        r.kind = Resolved::Kind::kInt;
        return r;
      }
      if (GoParseUint(plain, &r.u)) {
        r.kind = Resolved::Kind::kUint;
        return r;
      }
      *rtag = "!!float";
      if (YamlStyleFloat(plain) && ParseFiniteFloat(plain, &f)) return Float(f);
    }
  }
  *rtag = "!!str";
  return String(in);
}

// Resolve: what go-yaml v2 decodes a scalar with yaml-cpp's `tag` ("?" plain, "!" quoted or
// block) and text `in` to. kInvalidArgument (without position) when the text does not fit its tag.
absl::StatusOr<Resolved> Resolve(const std::string& yaml_cpp_tag, const std::string& in) {
  if (yaml_cpp_tag == "!") return String(in);
  std::string tag = ShortTag(yaml_cpp_tag);
  if (tag == "!!binary") {
    absl::StatusOr<std::string> bytes =
        Base64Decode(absl::StrReplaceAll(in, {{"\n", ""}, {"\r", ""}}));
    if (!bytes.ok()) return absl::InvalidArgumentError("!!binary value is not valid base64");
    return String(CoerceUtf8(*bytes));
  }
  if (!OneOf(tag, {"", "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"})) {
    return String(in);  // an unknown tag: go-yaml keeps the text
  }
  std::string rtag;
  Resolved r = ResolveImplicit(in, tag, &rtag);
  if (tag.empty() || tag == rtag || tag == "!!str") return r;
  if (tag == "!!float" && r.kind == Resolved::Kind::kInt) return Float(static_cast<double>(r.i));
  return absl::InvalidArgumentError(absl::StrCat("cannot decode ", rtag, " as a ", tag));
}

// ToJson: the value in the JSON sigs.k8s.io/yaml writes, as read back: a float with an integral
// value was written as its digits, so it reads back as that integer.
absl::StatusOr<json> ToJson(const Resolved& r) {
  switch (r.kind) {
    case Resolved::Kind::kNull:
      return json(nullptr);
    case Resolved::Kind::kBool:
      return json(r.b);
    case Resolved::Kind::kInt:
      return json(r.i);
    case Resolved::Kind::kUint:
      return json(r.u);
    case Resolved::Kind::kFloat:
      if (!std::isfinite(r.f)) {
        return absl::InvalidArgumentError(absl::StrCat("float ",
                                                       std::isnan(r.f) ? ".nan"
                                                       : r.f > 0       ? ".inf"
                                                                       : "-.inf",
                                                       " has no JSON form"));
      }
      if (std::trunc(r.f) == r.f) {
        if (r.f >= -9223372036854775808.0 && r.f < 9223372036854775808.0) {
          return json(static_cast<int64_t>(r.f));
        }
        if (r.f > 0 && r.f < 18446744073709551616.0) return json(static_cast<uint64_t>(r.f));
      }
      return json(r.f);
    case Resolved::Kind::kString:
      return json(r.s);
  }
  return json(nullptr);
}

// GoFloat32G: strconv.FormatFloat(f, 'g', -1, 32) with sigs.k8s.io/yaml's .inf/.nan spelling:
// how a float key becomes a JSON key.
std::string GoFloat32G(double d) {
  float f = static_cast<float>(d);
  if (std::isnan(f)) return ".nan";
  if (std::isinf(f)) return f > 0 ? ".inf" : "-.inf";
  char buf[32];
  std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // shortest round trip: [-]d[.ddd]e[+-]dd
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  size_t e = sci.find('e');
  std::string digits = absl::StrReplaceAll(sci.substr(0, e), {{".", ""}});
  int exp = std::stoi(sci.substr(e + 1));
  int nd = static_cast<int>(digits.size());
  if (exp < -4 || exp >= 6) {  // Go's %e when the precision is the shortest
    std::string mantissa = digits.substr(0, 1);
    if (nd > 1) absl::StrAppend(&mantissa, ".", digits.substr(1));
    std::string e_digits = absl::StrCat(std::abs(exp));
    if (e_digits.size() < 2) e_digits.insert(0, "0");
    return absl::StrCat(sign, mantissa, "e", exp < 0 ? "-" : "+", e_digits);
  }
  int point = exp + 1;  // digits before the decimal point
  if (point <= 0) return absl::StrCat(sign, "0.", std::string(-point, '0'), digits);
  if (point >= nd) return absl::StrCat(sign, digits, std::string(point - nd, '0'));
  return absl::StrCat(sign, digits.substr(0, point), ".", digits.substr(point));
}

// AtLine: "YAML <what> at line N[: <detail>]".
absl::Status AtLine(const YAML::Node& node, absl::string_view what, absl::string_view detail = "") {
  return absl::InvalidArgumentError(absl::StrCat("YAML ", what, " at line ", node.Mark().line + 1,
                                                 detail.empty() ? "" : ": ", detail));
}

bool IsMergeKey(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar() == "<<" &&
         (key.Tag() == "?" || key.Tag() == "tag:yaml.org,2002:merge");
}

class Converter {
 public:
  Converter(const YamlOptions& options, size_t max_nodes)
      : options_(options), max_nodes_(max_nodes) {}

  absl::StatusOr<json> Convert(const YAML::Node& node, int depth) {
    if (depth > options_.max_depth) {
      return absl::InvalidArgumentError(
          absl::StrCat("YAML document nests deeper than ", options_.max_depth, " levels"));
    }
    if (++nodes_ > max_nodes_) {
      return absl::InvalidArgumentError(
          absl::StrCat("YAML stream expands to more than ", max_nodes_, " nodes (aliases?)"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar: {
        if (!ValidUtf8(node.Scalar())) return AtLine(node, "scalar", "not valid UTF-8");
        absl::StatusOr<Resolved> r = Resolve(node.Tag(), node.Scalar());
        absl::StatusOr<json> value = r.ok() ? ToJson(*r) : r.status();
        if (!value.ok()) return AtLine(node, "scalar", value.status().message());
        return value;
      }
      case YAML::NodeType::Sequence: {
        json array = json::array();
        for (const YAML::Node& item : node) {
          absl::StatusOr<json> value = Convert(item, depth + 1);
          if (!value.ok()) return value.status();
          array.push_back(*std::move(value));
        }
        return array;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, depth);
    }
    return json(nullptr);
  }

 private:
  absl::StatusOr<json> ConvertMap(const YAML::Node& node, int depth) {
    json object = json::object();
    std::set<std::string> explicit_keys;
    for (const auto& entry : node) {
      if (IsMergeKey(entry.first)) {
        absl::Status merged = Merge(entry.first, entry.second, depth + 1, &object);
        if (!merged.ok()) return merged;
        continue;
      }
      absl::StatusOr<std::string> key = KeyString(entry.first);
      if (!key.ok()) return key.status();
      if (!explicit_keys.insert(*key).second && !options_.last_duplicate_key_wins) {
        return absl::InvalidArgumentError(absl::StrCat(
            "YAML mapping key \"", *key, "\" repeated at line ", entry.first.Mark().line + 1));
      }
      absl::StatusOr<json> value = Convert(entry.second, depth + 1);
      if (!value.ok()) return value.status();
      object[*key] = *std::move(value);
    }
    return object;
  }

  // Merge: go-yaml v2's decoder.merge(): the merged keys overwrite what the mapping has so far.
  absl::Status Merge(const YAML::Node& key, const YAML::Node& value, int depth, json* object) {
    std::vector<YAML::Node> sources;
    if (value.IsMap()) {
      sources.push_back(value);
    } else if (value.IsSequence()) {
      // Earlier mappings take precedence: apply them last.
      for (size_t i = value.size(); i-- > 0;) sources.push_back(value[i]);
    }
    if (sources.empty() || !std::all_of(sources.begin(), sources.end(),
                                        [](const YAML::Node& s) { return s.IsMap(); })) {
      return AtLine(key, "merge (<<)", "wants a mapping or a sequence of mappings");
    }
    for (const YAML::Node& source : sources) {
      absl::StatusOr<json> merged = Convert(source, depth);
      if (!merged.ok()) return merged.status();
      for (auto it = merged->begin(); it != merged->end(); ++it) {
        (*object)[it.key()] = std::move(it.value());
      }
    }
    return absl::OkStatus();
  }

  // KeyString: the JSON key sigs.k8s.io/yaml makes of a mapping key.
  absl::StatusOr<std::string> KeyString(const YAML::Node& key) {
    if (key.IsNull()) return AtLine(key, "mapping key", "null (a JSON key is a string)");
    if (!key.IsScalar()) return AtLine(key, "mapping key", "not a scalar");
    if (!ValidUtf8(key.Scalar())) return AtLine(key, "mapping key", "not valid UTF-8");
    absl::StatusOr<Resolved> r = Resolve(key.Tag(), key.Scalar());
    if (!r.ok()) return AtLine(key, "mapping key", r.status().message());
    switch (r->kind) {
      case Resolved::Kind::kString:
        return r->s;
      case Resolved::Kind::kBool:
        return std::string(r->b ? "true" : "false");
      case Resolved::Kind::kInt:
        return absl::StrCat(r->i);
      case Resolved::Kind::kFloat:
        return GoFloat32G(r->f);
      case Resolved::Kind::kNull:
        return AtLine(key, "mapping key", "null (a JSON key is a string)");
      case Resolved::Kind::kUint:
        break;
    }
    return AtLine(key, "mapping key", "an integer above int64 has no JSON key");
  }

  const YamlOptions& options_;
  size_t max_nodes_;
  size_t nodes_ = 0;
};

// NeedsQuotes: whether `s` written plain would read back as something other than itself.
bool NeedsQuotes(const std::string& s, bool key) {
  if (key && s == "<<") return true;
  // yaml-cpp writes a CR inside a plain scalar as it is; quoted, it is escaped ("\r").
  if (s.find('\r') != std::string::npos) return true;
  // yaml-cpp writes a document that is just "---" or "..." plain: a document marker.
  if (absl::StartsWith(s, "---") || absl::StartsWith(s, "...")) return true;
  absl::StatusOr<Resolved> r = Resolve("?", s);
  return !r.ok() || r->kind != Resolved::Kind::kString || r->s != s;
}

void EmitString(YAML::Emitter& out, const std::string& s, bool key) {
  if (NeedsQuotes(s, key)) out << YAML::DoubleQuoted;
  out << s;
}

void Emit(YAML::Emitter& out, const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out << YAML::Key;
        EmitString(out, it.key(), /*key=*/true);
        out << YAML::Value;
        Emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const json& item : v) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case json::value_t::string:
      EmitString(out, v.get_ref<const std::string&>(), /*key=*/false);
      break;
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

absl::StatusOr<std::vector<json>> ParseYamlDocuments(absl::string_view text,
                                                     const YamlOptions& options) {
  // yaml-cpp reports errors by exception: they are caught here, the one place that parses.
  try {
    absl::Status characters = CheckYamlCharacters(text);
    if (!characters.ok()) return characters;
    // YAML line breaks are LF, CR LF and a lone CR, all read as LF; yaml-cpp takes a lone CR for
    // content (a stream "\r" was the string "\r", where go-yaml reads an empty document).
    std::string normalised(text);
    if (normalised.find('\r') != std::string::npos) {
      normalised = absl::StrReplaceAll(normalised, {{"\r\n", "\n"}});
      std::replace(normalised.begin(), normalised.end(), '\r', '\n');
    }
    absl::Status finite = CheckYamlStreamTerminates(normalised);
    if (!finite.ok()) return finite;
    std::vector<YAML::Node> docs = YAML::LoadAll(normalised);
    // Without aliases every node takes at least one byte of text, so more nodes than bytes can
    // only come from alias expansion.
    Converter converter(options, std::min(kMaxYamlNodes, text.size() + 1024));
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

absl::StatusOr<json> ParseYaml(absl::string_view text, const YamlOptions& options) {
  absl::StatusOr<std::vector<json>> docs = ParseYamlDocuments(text, options);
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return json(nullptr);
  if (docs->size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one YAML document, found ", docs->size()));
  }
  return std::move(docs->front());
}

absl::StatusOr<std::vector<json>> ParseYamlOrJson(absl::string_view text,
                                                  const YamlOptions& options) {
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
  return ParseYamlDocuments(text, options);
}

}  // namespace hallmark
