#include "tests/apiserver/table.h"

#include <cctype>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr char kNameDescription[] =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

// One step of a printer-column path.
struct Step {
  enum class Kind { kField, kIndex, kAll, kFilter } kind = Kind::kField;
  std::string field;              // kField
  int64_t index = 0;              // kIndex
  std::vector<std::string> keys;  // kFilter: @.a.b
  json literal;                   // kFilter: == literal
};

bool ParseSteps(absl::string_view path, std::vector<Step>* steps) {
  size_t i = 0;
  auto field_end = [&](size_t from) {
    size_t j = from;
    while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
    return j;
  };
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t end = field_end(i + 1);
      if (end == i + 1) return false;
      Step step;
      step.kind = Step::Kind::kField;
      step.field = std::string(path.substr(i + 1, end - i - 1));
      steps->push_back(std::move(step));
      i = end;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == absl::string_view::npos) return false;
      absl::string_view inner = absl::StripAsciiWhitespace(path.substr(i + 1, close - i - 1));
      Step step;
      step.kind = Step::Kind::kAll;
      if (inner == "*") {
        step.kind = Step::Kind::kAll;
      } else if (absl::StartsWith(inner, "?(") && absl::EndsWith(inner, ")")) {
        absl::string_view expr = absl::StripAsciiWhitespace(inner.substr(2, inner.size() - 3));
        size_t eq = expr.find("==");
        if (eq == absl::string_view::npos) return false;
        absl::string_view lhs = absl::StripAsciiWhitespace(expr.substr(0, eq));
        std::string rhs(absl::StripAsciiWhitespace(expr.substr(eq + 2)));
        if (!absl::ConsumePrefix(&lhs, "@.")) return false;
        step.kind = Step::Kind::kFilter;
        step.keys = absl::StrSplit(lhs, '.');
        if (rhs.size() >= 2 && rhs.front() == '\'' && rhs.back() == '\'') {
          step.literal = rhs.substr(1, rhs.size() - 2);
        } else {
          step.literal = json::parse(rhs, nullptr, false);
          if (step.literal.is_discarded()) return false;
        }
      } else {
        step.kind = Step::Kind::kIndex;
        if (!absl::SimpleAtoi(inner, &step.index)) return false;
      }
      steps->push_back(std::move(step));
      i = close + 1;
    } else {
      return false;
    }
  }
  return true;
}

std::string Cell(const json& v) { return v.is_string() ? v.get<std::string>() : Dump(v); }

}  // namespace

bool WantsTable(absl::string_view accept) {
  for (absl::string_view part : absl::StrSplit(accept, ',')) {
    bool table = false, group = false;
    for (absl::string_view param : absl::StrSplit(part, ';')) {
      param = absl::StripAsciiWhitespace(param);
      if (param == "as=Table") table = true;
      if (param == "g=meta.k8s.io") group = true;
    }
    if (table && group) return true;
  }
  return false;
}

std::string HumanDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return absl::StrCat(seconds, "s");
  int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? absl::StrCat(minutes, "m") : absl::StrCat(minutes, "m", s, "s");
  }
  if (minutes < 60 * 3) return absl::StrCat(minutes, "m");
  int64_t hours = absl::ToInt64Hours(d);
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? absl::StrCat(hours, "h") : absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? absl::StrCat(hours / 24, "d") : absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? absl::StrCat(hours / 24 / 365, "y")
                   : absl::StrCat(hours / 24 / 365, "y", dy, "d");
  }
  return absl::StrCat(hours / 24 / 365, "y");
}

const json* JsonPathValue(const json& object, absl::string_view path) {
  std::vector<Step> steps;
  if (!ParseSteps(path, &steps)) return nullptr;
  std::vector<const json*> nodes = {&object};
  for (const Step& step : steps) {
    std::vector<const json*> next;
    for (const json* n : nodes) {
      switch (step.kind) {
        case Step::Kind::kField:
          if (const json* m = Member(*n, step.field); m != nullptr) next.push_back(m);
          break;
        case Step::Kind::kIndex:
          if (n->is_array()) {
            int64_t i = step.index < 0 ? static_cast<int64_t>(n->size()) + step.index : step.index;
            if (i >= 0 && i < static_cast<int64_t>(n->size()))
              next.push_back(&(*n)[static_cast<size_t>(i)]);
          }
          break;
        case Step::Kind::kAll:
          if (n->is_array() || n->is_object()) {
            for (const auto& e : *n) next.push_back(&e);
          }
          break;
        case Step::Kind::kFilter:
          if (n->is_array()) {
            for (const auto& e : *n) {
              const json* v = &e;
              for (const auto& k : step.keys) {
                v = Member(*v, k);
                if (v == nullptr) break;
              }
              if (v != nullptr && *v == step.literal) next.push_back(&e);
            }
          }
          break;
      }
    }
    nodes = std::move(next);
    if (nodes.empty()) return nullptr;
  }
  return nodes.front();
}

TableConverter::TableConverter(const ResourceInfo& info) {
  if (info.builtin) return;
  supported_ = true;
  if (!info.printer_columns.is_array() || info.printer_columns.empty()) {
    // apiextensions defaults a CRD without printer columns to an Age column.
    columns_.push_back({"Age", "date", "",
                        "Custom resource definition column (in JSONPath format): "
                        ".metadata.creationTimestamp",
                        0, ".metadata.creationTimestamp"});
    return;
  }
  for (const auto& c : info.printer_columns) {
    Column col;
    col.name = StringAt(c, {"name"});
    col.type = StringAt(c, {"type"});
    col.format = StringAt(c, {"format"});
    col.path = StringAt(c, {"jsonPath"});
    col.description = StringAt(c, {"description"});
    if (col.description.empty()) {
      col.description =
          absl::StrCat("Custom resource definition column (in JSONPath format): ", col.path);
    }
    if (const json* p = Member(c, "priority"); p != nullptr && p->is_number_integer()) {
      col.priority = p->get<int>();
    }
    columns_.push_back(std::move(col));
  }
}

json TableConverter::Headers() const {
  json headers = json::array({{{"name", "Name"},
                               {"type", "string"},
                               {"format", "name"},
                               {"description", kNameDescription},
                               {"priority", 0}}});
  for (const auto& c : columns_) {
    headers.push_back({{"name", c.name},
                       {"type", c.type},
                       {"format", c.format},
                       {"description", c.description},
                       {"priority", c.priority}});
  }
  return headers;
}

json TableConverter::Row(const json& object, absl::Time now) const {
  json cells = json::array({StringAt(object, {"metadata", "name"})});
  for (const auto& c : columns_) {
    const json* v = JsonPathValue(object, c.path);
    if (v == nullptr || v->is_null()) {
      cells.push_back(nullptr);
    } else if (c.type == "string") {
      cells.push_back(Cell(*v));
    } else if (c.type == "integer") {
      cells.push_back(v->is_number() ? json(v->get<int64_t>()) : json());
    } else if (c.type == "number") {
      cells.push_back(v->is_number() ? json(v->get<double>()) : json());
    } else if (c.type == "boolean") {
      cells.push_back(v->is_boolean() ? *v : json());
    } else if (c.type == "date") {
      absl::Time t;
      std::string err;
      if (!v->is_string()) {
        cells.push_back(nullptr);
      } else if (!absl::ParseTime(absl::RFC3339_full, v->get<std::string>(), &t, &err)) {
        cells.push_back("<invalid>");
      } else {
        cells.push_back(HumanDuration(now - t));
      }
    } else {
      cells.push_back(nullptr);
    }
  }
  json metadata = json::object();
  if (const json* m = Member(object, "metadata"); m != nullptr) metadata = *m;
  return {{"cells", cells},
          {"object",
           {{"kind", "PartialObjectMetadata"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", metadata}}}};
}

json TableConverter::FromList(const json& list, absl::Time now) const {
  json rows = json::array();
  if (const json* items = Member(list, "items"); items != nullptr && items->is_array()) {
    for (const auto& item : *items) rows.push_back(Row(item, now));
  }
  json metadata = json::object();
  if (const json* m = Member(list, "metadata"); m != nullptr && m->is_object()) metadata = *m;
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", metadata},
          {"columnDefinitions", Headers()},
          {"rows", rows}};
}

json TableConverter::FromObject(const json& object, absl::Time now, bool headers) const {
  json metadata = json::object();
  std::string rv = StringAt(object, {"metadata", "resourceVersion"});
  if (!rv.empty()) metadata["resourceVersion"] = rv;
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", metadata},
          {"columnDefinitions", headers ? Headers() : json()},
          {"rows", json::array({Row(object, now)})}};
}

}  // namespace hallmark::tests::apiserver
