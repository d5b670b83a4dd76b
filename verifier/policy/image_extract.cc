#include "verifier/policy/image_extract.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "verifier/policy/policy.h"

namespace hallmark::verifier::policy {
namespace {

using nlohmann::json;

constexpr const char* kGroups[] = {"initContainers", "containers", "ephemeralContainers"};

absl::Status AddImage(const json& value, std::string pointer, std::string group, std::string name,
                      const std::string& jmes, std::vector<ExtractedImage>* out) {
  if (out->size() >= kMaxImagesPerObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxImagesPerObject, " images in one object"));
  }
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("image at ", pointer, " is not a string"));
  }
  std::string text = value.get<std::string>();
  bool transformed = false;
  if (!jmes.empty()) {
    absl::StatusOr<std::string> t = ApplyJmesPath(jmes, text);
    if (!t.ok()) return t.status();
    transformed = *t != text;
    text = *std::move(t);
  }
  absl::StatusOr<ImageInfo> info = ImageInfo::Parse(text);
  if (!info.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image at ", pointer, ": ", info.status().message()));
  }
  info->pointer = std::move(pointer);
  out->push_back({std::move(group), std::move(name), *std::move(info), transformed});
  return absl::OkStatus();
}

absl::Status Defaults(const json& object, const std::string& prefix,
                      std::vector<ExtractedImage>* out) {
  // `prefix` is "", "/spec/template" or "/spec/jobTemplate/spec/template"; walk it.
  const json* spec_parent = &object;
  for (absl::string_view part : absl::StrSplit(prefix, '/', absl::SkipEmpty())) {
    if (!spec_parent->is_object()) return absl::OkStatus();
    auto it = spec_parent->find(std::string(part));
    if (it == spec_parent->end()) return absl::OkStatus();
    spec_parent = &*it;
  }
  if (!spec_parent->is_object()) return absl::OkStatus();
  auto spec = spec_parent->find("spec");
  if (spec == spec_parent->end() || !spec->is_object()) return absl::OkStatus();
  for (const char* group : kGroups) {
    auto list = spec->find(group);
    if (list == spec->end() || list->is_null()) continue;
    if (!list->is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, "/spec/", group, " is not a list"));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const json& c = (*list)[i];
      if (!c.is_object()) continue;
      auto image = c.find("image");
      if (image == c.end()) continue;  // the API server rejects it; nothing to verify
      std::string name =
          c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : "";
      absl::Status s = AddImage(*image, absl::StrCat(prefix, "/spec/", group, "/", i, "/image"),
                                group, name, "", out);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// Walks `parts` from `node`, expanding `*`, and calls AddImage for each match.
absl::Status Walk(const json& node, const std::vector<std::string>& parts, size_t k,
                  const std::string& pointer, const ImageExtractor& ex,
                  std::vector<ExtractedImage>* out) {
  if (k == parts.size()) {
    const json* target = &node;
    std::string where = pointer;
    if (!ex.value.empty()) {
      if (!node.is_object() || !node.contains(ex.value)) return absl::OkStatus();
      target = &node[ex.value];
      where += "/" + EscapePointerToken(ex.value);
    }
    std::string name = ex.name.empty() ? "custom" : ex.name;
    if (!ex.key.empty() && node.is_object() && node.contains(ex.key) && node[ex.key].is_string()) {
      name = node[ex.key].get<std::string>();
    }
    return AddImage(*target, where, "custom", name, ex.jmes_path, out);
  }
  const std::string& part = parts[k];
  if (part == "*") {
    if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        absl::Status s = Walk(node[i], parts, k + 1, absl::StrCat(pointer, "/", i), ex, out);
        if (!s.ok()) return s;
      }
    } else if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        absl::Status s = Walk(it.value(), parts, k + 1,
                              absl::StrCat(pointer, "/", EscapePointerToken(it.key())), ex, out);
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }
  if (node.is_object()) {
    auto it = node.find(part);
    if (it == node.end()) return absl::OkStatus();
    return Walk(*it, parts, k + 1, absl::StrCat(pointer, "/", EscapePointerToken(part)), ex, out);
  }
  size_t index;
  if (node.is_array() && absl::SimpleAtoi(part, &index) && index < node.size()) {
    return Walk(node[index], parts, k + 1, absl::StrCat(pointer, "/", index), ex, out);
  }
  return absl::OkStatus();
}

// ---- the jmesPath subset ----

struct Parser {
  absl::string_view s;
  size_t i = 0;

  void Skip() {
    while (i < s.size() && absl::ascii_isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  // expr := '@' | ident '(' expr [',' literal] ')'
  absl::StatusOr<std::string> Expr(const std::string& current, int depth) {
    if (depth > 8) return absl::InvalidArgumentError("jmesPath nests too deeply");
    Skip();
    if (i < s.size() && s[i] == '@') {
      ++i;
      return current;
    }
    size_t start = i;
    while (i < s.size() && (absl::ascii_isalnum(s[i]) || s[i] == '_')) ++i;
    std::string fn(s.substr(start, i - start));
    Skip();
    if (fn.empty() || i >= s.size() || s[i] != '(') {
      return absl::InvalidArgumentError(absl::StrCat(
          "jmesPath \"", s,
          "\" is not supported (only @, trim_prefix, trim_suffix, to_lower, to_upper)"));
    }
    ++i;
    absl::StatusOr<std::string> arg = Expr(current, depth + 1);
    if (!arg.ok()) return arg;
    Skip();
    std::string literal;
    bool has_literal = false;
    if (i < s.size() && s[i] == ',') {
      ++i;
      Skip();
      if (i >= s.size() || s[i] != '\'') {
        return absl::InvalidArgumentError(
            absl::StrCat("jmesPath \"", s, "\": expected a 'literal'"));
      }
      size_t end = s.find('\'', i + 1);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("jmesPath \"", s, "\": unterminated literal"));
      }
      literal = std::string(s.substr(i + 1, end - i - 1));
      has_literal = true;
      i = end + 1;
      Skip();
    }
    if (i >= s.size() || s[i] != ')') {
      return absl::InvalidArgumentError(absl::StrCat("jmesPath \"", s, "\": expected )"));
    }
    ++i;
    if ((fn == "trim_prefix" || fn == "trim_suffix") && has_literal) {
      absl::string_view v = *arg;
      if (fn == "trim_prefix")
        absl::ConsumePrefix(&v, literal);
      else
        absl::ConsumeSuffix(&v, literal);
      return std::string(v);
    }
    if (fn == "to_lower" && !has_literal) return absl::AsciiStrToLower(*arg);
    if (fn == "to_upper" && !has_literal) return absl::AsciiStrToUpper(*arg);
    return absl::InvalidArgumentError(absl::StrCat("jmesPath \"", s, "\": function ", fn,
                                                   " is not supported with these arguments"));
  }
};

}  // namespace

std::string EscapePointerToken(absl::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string PodTemplatePrefix(absl::string_view kind) {
  if (kind == "Pod") return "";
  if (kind == "DaemonSet" || kind == "Deployment" || kind == "Job" || kind == "StatefulSet" ||
      kind == "ReplicaSet" || kind == "ReplicationController") {
    return "/spec/template";
  }
  if (kind == "CronJob") return "/spec/jobTemplate/spec/template";
  return "-";
}

absl::Status ValidateJmesPath(absl::string_view expression) {
  absl::StatusOr<std::string> r = ApplyJmesPath(expression, "probe");
  return r.status();
}

absl::StatusOr<std::string> ApplyJmesPath(absl::string_view expression, const std::string& value) {
  Parser p{expression};
  absl::StatusOr<std::string> r = p.Expr(value, 0);
  if (!r.ok()) return r;
  p.Skip();
  if (p.i != expression.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jmesPath \"", expression, "\": unexpected text after the expression"));
  }
  return r;
}

absl::StatusOr<std::vector<ExtractedImage>> ExtractImages(
    const json& object, absl::string_view kind,
    const std::map<std::string, std::vector<ImageExtractor>>* custom) {
  std::vector<ExtractedImage> out;
  if (custom != nullptr) {
    auto it = custom->find(std::string(kind));
    if (it != custom->end()) {
      for (const ImageExtractor& ex : it->second) {
        std::vector<std::string> parts = absl::StrSplit(ex.path, '/', absl::SkipEmpty());
        absl::Status s = Walk(object, parts, 0, "", ex, &out);
        if (!s.ok()) return s;
      }
      return out;
    }
  }
  std::string prefix = PodTemplatePrefix(kind);
  if (prefix == "-") return out;
  absl::Status s = Defaults(object, prefix, &out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace hallmark::verifier::policy
