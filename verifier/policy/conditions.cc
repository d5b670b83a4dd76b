#include "verifier/policy/conditions.h"

#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "verifier/policy/wildcard.h"

namespace hallmark::verifier::policy {
namespace {

using nlohmann::json;

// ---- paths ----

struct PathStep {
  bool is_index = false;
  std::string field;
  size_t index = 0;
};

// ParsePath: identifier ('.' identifier | '[' digits ']')*, identifiers plain or "quoted".
absl::StatusOr<std::vector<PathStep>> ParsePath(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  std::vector<PathStep> steps;
  size_t i = 0;
  bool expect_field = true;
  if (s.empty()) return absl::InvalidArgumentError("empty variable");
  while (i < s.size()) {
    if (expect_field) {
      PathStep step;
      if (s[i] == '"') {
        size_t end = s.find('"', i + 1);
        if (end == absl::string_view::npos) return absl::InvalidArgumentError("unterminated quote");
        step.field = std::string(s.substr(i + 1, end - i - 1));
        i = end + 1;
      } else {
        size_t start = i;
        while (i < s.size() && (absl::ascii_isalnum(s[i]) || s[i] == '_' || s[i] == '-')) ++i;
        if (i == start || absl::ascii_isdigit(s[start])) {
          return absl::InvalidArgumentError(
              absl::StrCat("unsupported expression at \"", s.substr(start), "\""));
        }
        step.field = std::string(s.substr(start, i - start));
      }
      steps.push_back(std::move(step));
      expect_field = false;
      continue;
    }
    if (s[i] == '.') {
      ++i;
      expect_field = true;
    } else if (s[i] == '[') {
      size_t end = s.find(']', i);
      if (end == absl::string_view::npos) return absl::InvalidArgumentError("unterminated [");
      PathStep step;
      step.is_index = true;
      if (!absl::SimpleAtoi(s.substr(i + 1, end - i - 1), &step.index)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unsupported index \"", s.substr(i, end - i + 1), "\""));
      }
      steps.push_back(step);
      i = end + 1;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported expression at \"", s.substr(i), "\""));
    }
  }
  if (expect_field) return absl::InvalidArgumentError("path ends with \".\"");
  return steps;
}

json Walk(const json* root, const std::vector<PathStep>& steps, size_t first) {
  const json* cur = root;
  for (size_t k = first; k < steps.size() && cur != nullptr; ++k) {
    const PathStep& st = steps[k];
    if (st.is_index) {
      cur = cur->is_array() && st.index < cur->size() ? &(*cur)[st.index] : nullptr;
    } else {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(st.field);
      cur = it == cur->end() ? nullptr : &*it;
    }
  }
  return cur == nullptr ? json(nullptr) : *cur;
}

// Variables in a string: the spans between "{{" and the next "}}".
struct Span {
  size_t begin, end;  // of the whole "{{...}}"
  std::string path;
};

absl::StatusOr<std::vector<Span>> FindVariables(absl::string_view s) {
  std::vector<Span> out;
  size_t pos = 0;
  while ((pos = s.find("{{", pos)) != absl::string_view::npos) {
    if (pos > 0 && s[pos - 1] == '\\') {  // Kyverno's escape: \{{ is literal
      pos += 2;
      continue;
    }
    size_t close = s.find("}}", pos + 2);
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("unterminated {{");
    out.push_back({pos, close + 2, std::string(s.substr(pos + 2, close - pos - 2))});
    pos = close + 2;
  }
  return out;
}

absl::Status ValidateVariables(const json& j, absl::string_view where) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    absl::StatusOr<std::vector<Span>> vars = FindVariables(s);
    if (!vars.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", vars.status().message()));
    }
    for (const Span& v : *vars) {
      absl::StatusOr<std::vector<PathStep>> p = ParsePath(v.path);
      if (p.ok() && !p->empty() && !(*p)[0].is_index &&
          ((*p)[0].field == "request" || (*p)[0].field == "images")) {
        // Results are cached per policy, rule and image: a condition on the admission request
        // would make a cached result wrong for the next request.
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": variable {{", v.path,
                         "}}: only the attestation's predicate can be referenced in conditions"));
      }
      if (!p.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": variable {{", v.path, "}}: ", p.status().message(),
                         " (only field paths such as {{ repo.uri }} are supported)"));
      }
    }
  } else if (j.is_array() || j.is_object()) {
    for (const json& item : j) {
      absl::Status s = ValidateVariables(item, where);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

json Substitute(const json& j, const EvalContext& ctx) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    absl::StatusOr<std::vector<Span>> vars = FindVariables(s);
    if (!vars.ok() || vars->empty()) return j;
    if (vars->size() == 1 && (*vars)[0].begin == 0 && (*vars)[0].end == s.size()) {
      return ResolveVariable((*vars)[0].path, ctx);
    }
    std::string out;
    size_t last = 0;
    for (const Span& v : *vars) {
      out.append(s, last, v.begin - last);
      json value = ResolveVariable(v.path, ctx);
      out += value.is_string() ? value.get<std::string>() : value.dump();
      last = v.end;
    }
    out.append(s, last, std::string::npos);
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const json& item : j) out.push_back(Substitute(item, ctx));
    return out;
  }
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = Substitute(it.value(), ctx);
    return out;
  }
  return j;
}

// ---- operators ----

std::optional<double> AsNumber(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    double d;
    if (absl::SimpleAtod(j.get_ref<const std::string&>(), &d) && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

bool Equal(const json& key, const json& value) {
  if (key.is_boolean()) return value.is_boolean() && value.get<bool>() == key.get<bool>();
  if (key.is_number()) {
    std::optional<double> v = AsNumber(value);
    return v.has_value() && *v == key.get<double>();
  }
  if (key.is_string()) {
    if (!value.is_string()) return false;
    return WildcardMatch(value.get_ref<const std::string&>(), key.get_ref<const std::string&>());
  }
  if (key.is_object() || key.is_array()) return key == value;
  return false;  // null and other types: unsupported, false (Kyverno)
}

// Element equality for the set operators: wildcard patterns on the value side.
bool ElementIn(const json& element, const json& set) {
  std::vector<json> items;
  if (set.is_array()) {
    for (const json& v : set) items.push_back(v);
  } else {
    items.push_back(set);
  }
  for (const json& v : items) {
    if (element.is_string() && v.is_string()) {
      if (WildcardMatch(v.get_ref<const std::string&>(), element.get_ref<const std::string&>())) {
        return true;
      }
    } else if (element.is_number() && AsNumber(v).has_value()) {
      if (*AsNumber(v) == element.get<double>()) return true;
    } else if (element == v) {
      return true;
    }
  }
  return false;
}

std::vector<json> KeyElements(const json& key) {
  std::vector<json> out;
  if (key.is_array()) {
    for (const json& k : key) out.push_back(k);
  } else {
    out.push_back(key);
  }
  return out;
}

bool Evaluate(const Condition& c, const json& key, const json& value) {
  const std::string& op = c.op;
  if (op == "equals" || op == "equal") return Equal(key, value);
  if (op == "notequals" || op == "notequal") {
    if (key.is_null()) return false;
    return !Equal(key, value);
  }
  if (op == "anyin" || op == "allin" || op == "anynotin" || op == "allnotin" || op == "in" ||
      op == "notin") {
    if (key.is_null()) return false;
    std::vector<json> elements = KeyElements(key);
    size_t in = 0;
    for (const json& e : elements) in += ElementIn(e, value) ? 1 : 0;
    if (op == "anyin") return in > 0;
    if (op == "allin" || op == "in") return in == elements.size() && !elements.empty();
    if (op == "anynotin") return in < elements.size();
    if (op == "allnotin") return in == 0;
    return !(in == elements.size() && !elements.empty());  // notin
  }
  std::optional<double> k = AsNumber(key), v = AsNumber(value);
  if (!k.has_value() || !v.has_value()) return false;
  if (op == "greaterthan") return *k > *v;
  if (op == "greaterthanorequals") return *k >= *v;
  if (op == "lessthan") return *k < *v;
  if (op == "lessthanorequals") return *k <= *v;
  return false;
}

bool KnownOperator(const std::string& op) {
  static const char* const kOps[] = {
      "equals",   "equal",           "notequals", "notequal", "anyin",       "allin",
      "anynotin", "allnotin",        "in",        "notin",    "greaterthan", "greaterthanorequals",
      "lessthan", "lessthanorequals"};
  for (const char* k : kOps) {
    if (op == k) return true;
  }
  return false;
}

absl::StatusOr<Condition> ParseCondition(const json& j, const std::string& where) {
  if (!j.is_object()) return absl::InvalidArgumentError(where + ": a condition must be an object");
  Condition c;
  if (j.contains("key")) c.key = j["key"];
  if (j.contains("value")) c.value = j["value"];
  if (!j.contains("operator") || !j["operator"].is_string()) {
    return absl::InvalidArgumentError(where + ".operator: required");
  }
  std::string op = j["operator"].get<std::string>();
  c.op = absl::AsciiStrToLower(op);
  if (!KnownOperator(c.op)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".operator: \"", op, "\" is not supported"));
  }
  if (j.contains("message")) {
    if (!j["message"].is_string())
      return absl::InvalidArgumentError(where + ".message: not a string");
    c.message = j["message"].get<std::string>();
  }
  absl::Status s = ValidateVariables(c.key, where + ".key");
  if (s.ok()) s = ValidateVariables(c.value, where + ".value");
  if (!s.ok()) return s;
  return c;
}

std::string JoinNonEmpty(const std::vector<std::string>& parts, absl::string_view sep) {
  std::vector<std::string> kept;
  for (const std::string& p : parts) {
    if (!p.empty()) kept.push_back(p);
  }
  return absl::StrJoin(kept, sep);
}

}  // namespace

absl::StatusOr<std::vector<AnyAllConditions>> ParseConditions(const json& conditions,
                                                              absl::string_view where) {
  std::vector<AnyAllConditions> out;
  if (conditions.is_null()) return out;
  if (!conditions.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": must be a list of {any, all}"));
  }
  for (size_t i = 0; i < conditions.size(); ++i) {
    const json& block = conditions[i];
    std::string at = absl::StrCat(where, "[", i, "]");
    if (!block.is_object()) return absl::InvalidArgumentError(at + ": must be an object");
    AnyAllConditions aa;
    for (auto it = block.begin(); it != block.end(); ++it) {
      if (it.key() != "any" && it.key() != "all") {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", it.key(), ": not supported"));
      }
      if (it.value().is_null()) continue;
      if (!it.value().is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", it.key(), ": must be a list"));
      }
      std::vector<Condition>& list = it.key() == "any" ? aa.any : aa.all;
      if (it.key() == "any") aa.has_any = true;
      for (size_t k = 0; k < it.value().size(); ++k) {
        absl::StatusOr<Condition> c =
            ParseCondition(it.value()[k], absl::StrCat(at, ".", it.key(), "[", k, "]"));
        if (!c.ok()) return c.status();
        list.push_back(*std::move(c));
      }
    }
    out.push_back(std::move(aa));
  }
  return out;
}

json ResolveVariable(absl::string_view path, const EvalContext& context) {
  absl::StatusOr<std::vector<PathStep>> steps = ParsePath(path);
  if (!steps.ok() || steps->empty()) return nullptr;
  const PathStep& head = (*steps)[0];
  if (!head.is_index && head.field == "request" && context.request != nullptr) {
    return Walk(context.request, *steps, 1);
  }
  if (!head.is_index && head.field == "images" && context.images != nullptr) {
    return Walk(context.images, *steps, 1);
  }
  if (context.predicate == nullptr) return nullptr;
  return Walk(context.predicate, *steps, 0);
}

ConditionResult EvaluateConditions(const std::vector<AnyAllConditions>& conditions,
                                   const EvalContext& context) {
  std::vector<std::string> true_messages;
  for (const AnyAllConditions& block : conditions) {
    bool any_ok = true, all_ok = true;
    std::vector<std::string> false_msgs, true_msgs;
    if (block.has_any) {
      any_ok = false;
      for (const Condition& c : block.any) {
        if (Evaluate(c, Substitute(c.key, context), Substitute(c.value, context))) {
          any_ok = true;
          true_msgs.push_back(c.message);
          break;
        }
        false_msgs.push_back(c.message);
      }
    }
    for (const Condition& c : block.all) {
      if (!Evaluate(c, Substitute(c.key, context), Substitute(c.value, context))) {
        all_ok = false;
        false_msgs.push_back(c.message);
        break;
      }
      true_msgs.push_back(c.message);
    }
    if (!(any_ok && all_ok)) return {false, JoinNonEmpty(false_msgs, "; ")};
    true_messages.push_back(JoinNonEmpty(true_msgs, "; "));
  }
  return {true, JoinNonEmpty(true_messages, ";")};
}

}  // namespace hallmark::verifier::policy
