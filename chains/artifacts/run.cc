#include "chains/artifacts/run.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "chains/artifacts/go_json.h"

namespace hallmark::chains::artifacts {
namespace {

using nlohmann::json;

absl::string_view JsonTypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    default:
      return "unknown";
  }
}

absl::Status TypeError(const std::string& path, absl::string_view want, const json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", want, ", got ", JsonTypeName(got)));
}

// A JSON object being read, with its path for error messages. Reading follows Go's
// encoding/json: an absent or null field leaves the zero value; a present field of another type
// is an error.
class Node {
 public:
  Node(const json* value, std::string path) : value_(value), path_(std::move(path)) {}

  bool present() const { return value_ != nullptr && !value_->is_null(); }
  const json& value() const { return *value_; }
  const std::string& path() const { return path_; }

  // Field: the member `key` of this object (absent if this node is absent).
  Node Field(absl::string_view key) const {
    std::string path = absl::StrCat(path_, path_.empty() ? "" : ".", key);
    if (!present() || !value_->is_object()) return Node(nullptr, std::move(path));
    auto it = value_->find(std::string(key));
    if (it == value_->end()) return Node(nullptr, std::move(path));
    return Node(&*it, std::move(path));
  }

  absl::Status ExpectObject() const {
    if (present() && !value_->is_object()) return TypeError(path_, "an object", *value_);
    return absl::OkStatus();
  }
  absl::Status ExpectArray() const {
    if (present() && !value_->is_array()) return TypeError(path_, "an array", *value_);
    return absl::OkStatus();
  }

  absl::Status GetString(std::string* out) const {
    if (!present()) return absl::OkStatus();
    if (!value_->is_string()) return TypeError(path_, "a string", *value_);
    *out = value_->get_ref<const std::string&>();
    return absl::OkStatus();
  }
  absl::Status GetBool(bool* out) const {
    if (!present()) return absl::OkStatus();
    if (!value_->is_boolean()) return TypeError(path_, "a boolean", *value_);
    *out = value_->get<bool>();
    return absl::OkStatus();
  }
  absl::Status GetStringList(std::vector<std::string>* out) const {
    HM_RETURN_IF_ERROR(ExpectArray());
    if (!present()) return absl::OkStatus();
    out->clear();
    for (size_t i = 0; i < value_->size(); ++i) {
      const json& item = (*value_)[i];
      if (!item.is_string()) return TypeError(absl::StrCat(path_, "[", i, "]"), "a string", item);
      out->push_back(item.get_ref<const std::string&>());
    }
    return absl::OkStatus();
  }
  absl::Status GetStringMap(StringMap* out) const {
    HM_RETURN_IF_ERROR(ExpectObject());
    if (!present()) return absl::OkStatus();
    out->clear();
    for (auto it = value_->begin(); it != value_->end(); ++it) {
      if (it->is_null()) {
        (*out)[it.key()] = "";
        continue;
      }
      if (!it->is_string()) return TypeError(absl::StrCat(path_, ".", it.key()), "a string", *it);
      (*out)[it.key()] = it->get_ref<const std::string&>();
    }
    return absl::OkStatus();
  }
  // Items: the elements of an array, as nodes.
  absl::StatusOr<std::vector<Node>> Items() const {
    HM_RETURN_IF_ERROR(ExpectArray());
    std::vector<Node> items;
    if (!present()) return items;
    items.reserve(value_->size());
    for (size_t i = 0; i < value_->size(); ++i) {
      items.emplace_back(&(*value_)[i], absl::StrCat(path_, "[", i, "]"));
      HM_RETURN_IF_ERROR(items.back().ExpectObject());
    }
    return items;
  }
  absl::Status GetTime(std::optional<absl::Time>* out) const {
    std::string text;
    HM_RETURN_IF_ERROR(GetString(&text));
    if (!present()) return absl::OkStatus();
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": \"", text.substr(0, 64), "\" is not an RFC 3339 time"));
    }
    // metav1.Time keeps whole seconds.
    *out = absl::FromUnixSeconds(absl::ToUnixSeconds(t));
    return absl::OkStatus();
  }

 private:
  const json* value_;
  std::string path_;
};

absl::Status ParseParams(const Node& node, std::vector<Param>* out) {
  HM_ASSIGN_OR_RETURN(std::vector<Node> items, node.Items());
  for (const Node& item : items) {
    Param param;
    HM_RETURN_IF_ERROR(item.Field("name").GetString(&param.name));
    Node value = item.Field("value");
    param.value = value.present() ? ParamValue::FromJson(value.value()) : ParamValue();
    out->push_back(std::move(param));
  }
  return absl::OkStatus();
}

absl::Status ParseParamSpecs(const Node& node, std::vector<ParamSpec>* out) {
  HM_ASSIGN_OR_RETURN(std::vector<Node> items, node.Items());
  for (const Node& item : items) {
    ParamSpec spec;
    HM_RETURN_IF_ERROR(item.Field("name").GetString(&spec.name));
    Node def = item.Field("default");
    if (def.present()) spec.default_value = ParamValue::FromJson(def.value());
    out->push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::Status ParseResults(const Node& node, std::vector<Result>* out) {
  HM_ASSIGN_OR_RETURN(std::vector<Node> items, node.Items());
  for (const Node& item : items) {
    Result result;
    HM_RETURN_IF_ERROR(item.Field("name").GetString(&result.name));
    HM_RETURN_IF_ERROR(item.Field("type").GetString(&result.type));
    Node value = item.Field("value");
    if (value.present()) result.value = ParamValue::FromJson(value.value());
    size_t size = result.value.type == ParamValue::Type::kString ? result.value.string_value.size()
                                                                 : result.value.GoJson().size();
    result.oversized = size > kMaxResultValueBytes;
    out->push_back(std::move(result));
  }
  return absl::OkStatus();
}

absl::Status ParseRefSource(const Node& node, std::optional<RefSource>* out) {
  HM_RETURN_IF_ERROR(node.ExpectObject());
  if (!node.present()) return absl::OkStatus();
  RefSource source;
  HM_RETURN_IF_ERROR(node.Field("uri").GetString(&source.uri));
  HM_RETURN_IF_ERROR(node.Field("digest").GetStringMap(&source.digest));
  HM_RETURN_IF_ERROR(node.Field("entryPoint").GetString(&source.entry_point));
  *out = std::move(source);
  return absl::OkStatus();
}

absl::Status ParseProvenance(const Node& node, std::optional<Provenance>* out) {
  HM_RETURN_IF_ERROR(node.ExpectObject());
  if (!node.present()) return absl::OkStatus();
  Provenance provenance;
  HM_RETURN_IF_ERROR(ParseRefSource(node.Field("refSource"), &provenance.ref_source));
  Node flags = node.Field("featureFlags");
  HM_RETURN_IF_ERROR(flags.ExpectObject());
  if (flags.present()) provenance.feature_flags = flags.value();
  *out = std::move(provenance);
  return absl::OkStatus();
}

absl::Status ParseMetadata(const Node& node, ObjectMeta* meta) {
  HM_RETURN_IF_ERROR(node.ExpectObject());
  HM_RETURN_IF_ERROR(node.Field("name").GetString(&meta->name));
  HM_RETURN_IF_ERROR(node.Field("namespace").GetString(&meta->namespace_name));
  HM_RETURN_IF_ERROR(node.Field("uid").GetString(&meta->uid));
  Node labels = node.Field("labels");
  if (labels.present()) {
    meta->labels.emplace();
    HM_RETURN_IF_ERROR(labels.GetStringMap(&*meta->labels));
  }
  Node annotations = node.Field("annotations");
  if (annotations.present()) {
    meta->annotations.emplace();
    HM_RETURN_IF_ERROR(annotations.GetStringMap(&*meta->annotations));
  }
  HM_ASSIGN_OR_RETURN(std::vector<Node> owners, node.Field("ownerReferences").Items());
  for (const Node& owner : owners) {
    OwnerReference ref;
    HM_RETURN_IF_ERROR(owner.Field("apiVersion").GetString(&ref.api_version));
    HM_RETURN_IF_ERROR(owner.Field("kind").GetString(&ref.kind));
    HM_RETURN_IF_ERROR(owner.Field("name").GetString(&ref.name));
    HM_RETURN_IF_ERROR(owner.Field("uid").GetString(&ref.uid));
    HM_RETURN_IF_ERROR(owner.Field("controller").GetBool(&ref.controller));
    meta->owner_references.push_back(std::move(ref));
  }
  return absl::OkStatus();
}

absl::Status ParseConditions(const Node& node, std::vector<Condition>* out) {
  HM_ASSIGN_OR_RETURN(std::vector<Node> items, node.Items());
  for (const Node& item : items) {
    Condition c;
    HM_RETURN_IF_ERROR(item.Field("type").GetString(&c.type));
    HM_RETURN_IF_ERROR(item.Field("status").GetString(&c.status));
    HM_RETURN_IF_ERROR(item.Field("reason").GetString(&c.reason));
    out->push_back(std::move(c));
  }
  return absl::OkStatus();
}

absl::Status ParseRunStatus(const Node& status, RunStatus* out) {
  HM_RETURN_IF_ERROR(status.ExpectObject());
  HM_RETURN_IF_ERROR(status.Field("startTime").GetTime(&out->start_time));
  HM_RETURN_IF_ERROR(status.Field("completionTime").GetTime(&out->completion_time));
  HM_RETURN_IF_ERROR(ParseConditions(status.Field("conditions"), &out->conditions));
  HM_RETURN_IF_ERROR(ParseResults(status.Field("results"), &out->results));
  HM_RETURN_IF_ERROR(ParseProvenance(status.Field("provenance"), &out->provenance));
  return absl::OkStatus();
}

absl::Status ParseStepStates(const Node& node, std::vector<StepState>* out) {
  HM_ASSIGN_OR_RETURN(std::vector<Node> items, node.Items());
  for (const Node& item : items) {
    StepState state;
    HM_RETURN_IF_ERROR(item.Field("name").GetString(&state.name));
    HM_RETURN_IF_ERROR(item.Field("container").GetString(&state.container));
    HM_RETURN_IF_ERROR(item.Field("imageID").GetString(&state.image_id));
    HM_RETURN_IF_ERROR(ParseResults(item.Field("results"), &state.results));
    Node provenance = item.Field("provenance");
    HM_RETURN_IF_ERROR(provenance.ExpectObject());
    HM_RETURN_IF_ERROR(ParseRefSource(provenance.Field("refSource"), &state.ref_source));
    out->push_back(std::move(state));
  }
  return absl::OkStatus();
}

absl::Status ParseTaskSpec(const Node& node, std::optional<TaskSpec>* out) {
  HM_RETURN_IF_ERROR(node.ExpectObject());
  if (!node.present()) return absl::OkStatus();
  TaskSpec spec;
  HM_RETURN_IF_ERROR(ParseParamSpecs(node.Field("params"), &spec.params));
  HM_ASSIGN_OR_RETURN(std::vector<Node> steps, node.Field("steps").Items());
  for (const Node& item : steps) {
    Step step;
    HM_RETURN_IF_ERROR(item.Field("name").GetString(&step.name));
    HM_RETURN_IF_ERROR(item.Field("script").GetString(&step.script));
    HM_RETURN_IF_ERROR(item.Field("command").GetStringList(&step.command));
    Node args = item.Field("args");
    if (args.present()) {
      step.args.emplace();
      HM_RETURN_IF_ERROR(args.GetStringList(&*step.args));
    }
    spec.steps.push_back(std::move(step));
  }
  *out = std::move(spec);
  return absl::OkStatus();
}

// CollectResultRefs appends to `tasks` the names of tasks referenced as `$(tasks.<name>.results`
// in every string of `value`.
void CollectResultRefs(const json& value, std::vector<std::string>* tasks) {
  if (value.is_string()) {
    absl::string_view s = value.get_ref<const std::string&>();
    static constexpr absl::string_view kPrefix = "$(tasks.";
    size_t pos = 0;
    while ((pos = s.find(kPrefix, pos)) != absl::string_view::npos) {
      size_t start = pos + kPrefix.size();
      size_t dot = s.find('.', start);
      pos = start;
      if (dot == absl::string_view::npos || dot == start) continue;
      absl::string_view name = s.substr(start, dot - start);
      if (name.find_first_of(")$( ") != absl::string_view::npos) continue;
      if (!absl::StartsWith(s.substr(dot), ".results")) continue;
      bool seen = false;
      for (const auto& t : *tasks) seen = seen || t == name;
      if (!seen) tasks->emplace_back(name);
    }
  } else if (value.is_array() || value.is_object()) {
    for (const auto& item : value) CollectResultRefs(item, tasks);
  }
}

absl::Status ParsePipelineTasks(const Node& node, std::vector<PipelineTask>* out) {
  HM_ASSIGN_OR_RETURN(std::vector<Node> items, node.Items());
  for (const Node& item : items) {
    PipelineTask task;
    HM_RETURN_IF_ERROR(item.Field("name").GetString(&task.name));
    HM_RETURN_IF_ERROR(item.Field("runAfter").GetStringList(&task.run_after));
    Node ref = item.Field("taskRef");
    HM_RETURN_IF_ERROR(ref.ExpectObject());
    if (ref.present()) task.task_ref = ref.value();
    // Tekton's PipelineTaskResultRefs: params (including matrix params), then when expressions.
    Node params = item.Field("params");
    HM_RETURN_IF_ERROR(params.ExpectArray());
    if (params.present()) {
      for (const auto& p : params.value()) {
        if (p.is_object() && p.contains("value"))
          CollectResultRefs(p["value"], &task.result_ref_tasks);
      }
    }
    Node matrix = item.Field("matrix");
    if (matrix.present()) CollectResultRefs(matrix.value(), &task.result_ref_tasks);
    Node when = item.Field("when");
    if (when.present()) CollectResultRefs(when.value(), &task.result_ref_tasks);
    out->push_back(std::move(task));
  }
  return absl::OkStatus();
}

absl::Status CheckTypeMeta(const json& object, absl::string_view want_kind,
                           std::string* api_version, std::string* kind) {
  Node root(&object, "");
  HM_RETURN_IF_ERROR(root.Field("apiVersion").GetString(api_version));
  HM_RETURN_IF_ERROR(root.Field("kind").GetString(kind));
  if (api_version->empty()) *api_version = std::string(kTektonApiVersion);
  if (kind->empty()) *kind = std::string(want_kind);
  if (*api_version != kTektonApiVersion) {
    return absl::InvalidArgumentError(absl::StrCat("apiVersion \"", api_version->substr(0, 64),
                                                   "\" is not supported (only ", kTektonApiVersion,
                                                   ", as Chains)"));
  }
  if (*kind != want_kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind \"", kind->substr(0, 64), "\" is not ", want_kind));
  }
  return absl::OkStatus();
}

absl::Status CheckDepth(absl::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("JSON document nests deeper than ", kMaxJsonDepth, " levels"));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return absl::OkStatus();
}

}  // namespace

ParamValue ParamValue::String(std::string s) {
  ParamValue v;
  v.string_value = std::move(s);
  return v;
}

ParamValue ParamValue::FromJson(const json& value) {
  ParamValue v;
  if (value.is_string()) {
    v.string_value = value.get_ref<const std::string&>();
    return v;
  }
  if (value.is_null()) return v;
  if (value.is_array()) {
    bool all_strings = true;
    for (const auto& item : value) all_strings = all_strings && item.is_string();
    if (all_strings) {
      v.type = Type::kArray;
      for (const auto& item : value) v.array_value.push_back(item.get_ref<const std::string&>());
      return v;
    }
  } else if (value.is_object()) {
    bool all_strings = true;
    for (const auto& item : value)
      all_strings = all_strings && (item.is_string() || item.is_null());
    if (all_strings) {
      v.type = Type::kObject;
      for (auto it = value.begin(); it != value.end(); ++it) {
        v.object_value[it.key()] = it->is_string() ? it->get_ref<const std::string&>() : "";
      }
      return v;
    }
  }
  // Tekton keeps anything else as its JSON text.
  v.string_value = value.dump(-1, ' ', false, json::error_handler_t::replace);
  return v;
}

std::string ParamValue::GoJson() const {
  switch (type) {
    case Type::kArray:
      return GoJsonStringArray(array_value);
    case Type::kObject:
      return GoJsonStringMap(object_value);
    case Type::kString:
      break;
  }
  return GoJsonString(string_value);
}

json ParamValue::ToJson() const {
  switch (type) {
    case Type::kArray:
      return json(array_value);
    case Type::kObject:
      return json(object_value);
    case Type::kString:
      break;
  }
  return json(string_value);
}

absl::string_view ParamValue::TypeName() const {
  switch (type) {
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
    case Type::kString:
      break;
  }
  return "string";
}

const std::string* ObjectMeta::Label(absl::string_view key) const {
  if (!labels.has_value()) return nullptr;
  auto it = labels->find(std::string(key));
  return it == labels->end() ? nullptr : &it->second;
}

bool TaskRun::IsRemote() const {
  return has_task_ref && !task_ref_resolver.empty() && task_ref_resolver != "Cluster";
}

std::vector<const Result*> TaskRun::StepResults() const {
  std::vector<const Result*> out;
  for (const StepState& step : steps) {
    for (const Result& r : step.results) out.push_back(&r);
  }
  return out;
}

bool PipelineRun::IsRemote() const {
  return has_pipeline_ref && !pipeline_ref_resolver.empty() && pipeline_ref_resolver != "Cluster";
}

absl::StatusOr<TaskRun> TaskRun::FromJson(const json& object) {
  if (!object.is_object()) return TypeError("TaskRun", "an object", object);
  TaskRun tr;
  HM_RETURN_IF_ERROR(CheckTypeMeta(object, "TaskRun", &tr.api_version, &tr.kind));
  Node root(&object, "");
  HM_RETURN_IF_ERROR(ParseMetadata(root.Field("metadata"), &tr.metadata));

  Node spec = root.Field("spec");
  HM_RETURN_IF_ERROR(spec.ExpectObject());
  if (spec.present()) tr.spec = spec.value();
  HM_RETURN_IF_ERROR(ParseParams(spec.Field("params"), &tr.params));
  Node task_ref = spec.Field("taskRef");
  HM_RETURN_IF_ERROR(task_ref.ExpectObject());
  tr.has_task_ref = task_ref.present();
  HM_RETURN_IF_ERROR(task_ref.Field("resolver").GetString(&tr.task_ref_resolver));
  HM_RETURN_IF_ERROR(spec.Field("serviceAccountName").GetString(&tr.service_account_name));

  Node status = root.Field("status");
  HM_RETURN_IF_ERROR(ParseRunStatus(status, &tr.status));
  HM_RETURN_IF_ERROR(ParseStepStates(status.Field("steps"), &tr.steps));
  HM_RETURN_IF_ERROR(ParseStepStates(status.Field("sidecars"), &tr.sidecars));
  HM_RETURN_IF_ERROR(ParseTaskSpec(status.Field("taskSpec"), &tr.task_spec));
  tr.object = object;
  return tr;
}

absl::StatusOr<PipelineRun> PipelineRun::FromJson(const json& object) {
  if (!object.is_object()) return TypeError("PipelineRun", "an object", object);
  PipelineRun pr;
  HM_RETURN_IF_ERROR(CheckTypeMeta(object, "PipelineRun", &pr.api_version, &pr.kind));
  Node root(&object, "");
  HM_RETURN_IF_ERROR(ParseMetadata(root.Field("metadata"), &pr.metadata));

  Node spec = root.Field("spec");
  HM_RETURN_IF_ERROR(spec.ExpectObject());
  if (spec.present()) pr.spec = spec.value();
  HM_RETURN_IF_ERROR(ParseParams(spec.Field("params"), &pr.params));
  Node pipeline_ref = spec.Field("pipelineRef");
  HM_RETURN_IF_ERROR(pipeline_ref.ExpectObject());
  pr.has_pipeline_ref = pipeline_ref.present();
  HM_RETURN_IF_ERROR(pipeline_ref.Field("resolver").GetString(&pr.pipeline_ref_resolver));
  Node task_run_template = spec.Field("taskRunTemplate");
  HM_RETURN_IF_ERROR(task_run_template.ExpectObject());
  HM_RETURN_IF_ERROR(task_run_template.Field("serviceAccountName")
                         .GetString(&pr.task_run_template_service_account));

  Node status = root.Field("status");
  HM_RETURN_IF_ERROR(ParseRunStatus(status, &pr.status));
  Node pipeline_spec = status.Field("pipelineSpec");
  HM_RETURN_IF_ERROR(pipeline_spec.ExpectObject());
  if (pipeline_spec.present()) {
    PipelineSpec ps;
    HM_RETURN_IF_ERROR(ParseParamSpecs(pipeline_spec.Field("params"), &ps.params));
    HM_RETURN_IF_ERROR(ParsePipelineTasks(pipeline_spec.Field("tasks"), &ps.tasks));
    HM_RETURN_IF_ERROR(ParsePipelineTasks(pipeline_spec.Field("finally"), &ps.finally));
    pr.pipeline_spec = std::move(ps);
  }
  HM_ASSIGN_OR_RETURN(std::vector<Node> children, status.Field("childReferences").Items());
  for (const Node& child : children) {
    ChildReference ref;
    HM_RETURN_IF_ERROR(child.Field("kind").GetString(&ref.kind));
    HM_RETURN_IF_ERROR(child.Field("name").GetString(&ref.name));
    HM_RETURN_IF_ERROR(child.Field("pipelineTaskName").GetString(&ref.pipeline_task_name));
    pr.child_references.push_back(std::move(ref));
  }
  pr.object = object;
  return pr;
}

absl::StatusOr<json> ParseJsonDocument(absl::string_view text) {
  if (text.size() > kMaxRunBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("document is ", text.size(), " bytes, more than the limit of ", kMaxRunBytes));
  }
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == absl::string_view::npos) {
    return absl::InvalidArgumentError("document is empty");
  }
  if (text[first] != '{') {
    YamlOptions yaml;
    yaml.max_depth = kMaxJsonDepth;
    // As the API server would store it (and as the JSON path reads a repeated key).
    yaml.last_duplicate_key_wins = true;
    return ParseYaml(text, yaml);
  }
  HM_RETURN_IF_ERROR(CheckDepth(text));
  try {
    json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return absl::InvalidArgumentError("document is not valid JSON");
    return parsed;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("document is not valid JSON: ", e.what()));
  }
}

absl::StatusOr<TektonRun> RunFromJson(const json& object) {
  if (!object.is_object()) return TypeError("document", "an object", object);
  std::string kind;
  HM_RETURN_IF_ERROR(Node(&object, "").Field("kind").GetString(&kind));
  bool pipeline = kind == "PipelineRun";
  if (kind.empty()) {
    const auto has = [](const json& o, const char* a, const char* b) {
      auto it = o.find(a);
      return it != o.end() && it->is_object() && it->contains(b);
    };
    pipeline = has(object, "spec", "pipelineRef") || has(object, "spec", "pipelineSpec") ||
               has(object, "status", "pipelineSpec") || has(object, "status", "childReferences");
  } else if (kind != "TaskRun" && kind != "PipelineRun") {
    return absl::InvalidArgumentError(
        absl::StrCat("kind \"", kind.substr(0, 64), "\" is not a TaskRun or PipelineRun"));
  }
  if (pipeline) {
    HM_ASSIGN_OR_RETURN(PipelineRun pr, PipelineRun::FromJson(object));
    return TektonRun(std::move(pr));
  }
  HM_ASSIGN_OR_RETURN(TaskRun tr, TaskRun::FromJson(object));
  return TektonRun(std::move(tr));
}

absl::StatusOr<TektonRun> ParseRun(absl::string_view text) {
  HM_ASSIGN_OR_RETURN(json object, ParseJsonDocument(text));
  return RunFromJson(object);
}

const ObjectMeta& MetadataOf(const TektonRun& run) {
  if (const auto* tr = std::get_if<TaskRun>(&run)) return tr->metadata;
  return std::get<PipelineRun>(run).metadata;
}

absl::string_view KindOf(const TektonRun& run) {
  return std::holds_alternative<TaskRun>(run) ? "TaskRun" : "PipelineRun";
}

}  // namespace hallmark::chains::artifacts
