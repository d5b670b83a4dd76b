#include "chains/reconciler/run_state.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hallmark::chains::reconciler {
namespace {

using nlohmann::json;

// Member: object[key] if object is an object that has it, else nullptr.
const json* Member(const json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

std::string StringAt(const json& object, absl::string_view key) {
  const json* v = Member(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::optional<absl::Time> ParseRfc3339(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return std::nullopt;
  return t;
}

}  // namespace

absl::string_view KindName(RunKind kind) {
  return kind == RunKind::kTaskRun ? "TaskRun" : "PipelineRun";
}

const kube::Resource& ResourceOf(RunKind kind) {
  return kind == RunKind::kTaskRun ? kube::TaskRunsV1() : kube::PipelineRunsV1();
}

std::string KeyOf(RunKind kind, absl::string_view ns, absl::string_view name) {
  return absl::StrCat(KindName(kind), "/", ns, "/", name);
}

std::string RunKey::String() const { return KeyOf(kind, ns, name); }

absl::StatusOr<RunKey> RunKey::Parse(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat("run key \"", text, "\": want KIND/NS/NAME"));
  }
  RunKey key;
  if (parts[0] == "TaskRun") {
    key.kind = RunKind::kTaskRun;
  } else if (parts[0] == "PipelineRun") {
    key.kind = RunKind::kPipelineRun;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("run key \"", text, "\": unknown kind"));
  }
  absl::Status ns = kube::ValidateName("namespace", parts[1]);
  if (!ns.ok()) return ns;
  absl::Status name = kube::ValidateName("name", parts[2]);
  if (!name.ok()) return name;
  key.ns = std::move(parts[1]);
  key.name = std::move(parts[2]);
  return key;
}

bool IsDone(const json& object) {
  const json* status = Member(object, "status");
  const json* conditions = status != nullptr ? Member(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->is_array()) return false;
  for (const json& c : *conditions) {
    if (StringAt(c, "type") != "Succeeded") continue;
    std::string s = StringAt(c, "status");
    return s == "True" || s == "False";
  }
  return false;
}

std::string Annotation(const json& object, absl::string_view key) {
  const json* meta = Member(object, "metadata");
  const json* annotations = meta != nullptr ? Member(*meta, "annotations") : nullptr;
  return annotations != nullptr ? StringAt(*annotations, key) : std::string();
}

std::optional<absl::Time> CompletionTime(const json& object) {
  const json* status = Member(object, "status");
  return status != nullptr ? ParseRfc3339(StringAt(*status, "completionTime")) : std::nullopt;
}

json WithoutChainsAnnotations(const json& object) {
  json copy = object;
  if (copy.is_object()) {
    auto meta = copy.find("metadata");
    if (meta != copy.end() && meta->is_object()) {
      auto annotations = meta->find("annotations");
      if (annotations != meta->end() && annotations->is_object()) {
        bool removed = false;
        for (auto it = annotations->begin(); it != annotations->end();) {
          if (absl::StartsWith(it.key(), kChainsPrefix)) {
            it = annotations->erase(it);
            removed = true;
          } else {
            ++it;
          }
        }
        // Only ours were there: as if there had never been any (a run gains `retries` between
        // attempts; `{}` and absent would give different statements).
        if (removed && annotations->empty()) meta->erase(annotations);
      }
    }
  }
  return copy;
}

absl::StatusOr<RunInfo> ProjectRun(RunKind kind, const json& object) {
  RunInfo info;
  info.kind = kind;
  const json* meta = Member(object, "metadata");
  if (meta == nullptr) return absl::InvalidArgumentError("run without metadata");
  info.ns = StringAt(*meta, "namespace");
  info.name = StringAt(*meta, "name");
  if (info.ns.empty() || info.name.empty()) {
    return absl::InvalidArgumentError("run without metadata.name or metadata.namespace");
  }
  info.done = IsDone(object);
  info.signed_value = Annotation(object, kSignedAnnotation);
  info.skip = Annotation(object, kSkipAnnotation) == "true";
  std::optional<absl::Time> when = CompletionTime(object);
  if (!when.has_value()) when = ParseRfc3339(StringAt(*meta, "creationTimestamp"));
  if (when.has_value()) info.completion = *when;

  if (kind == RunKind::kTaskRun) {
    const json* labels = Member(*meta, "labels");
    if (labels != nullptr) info.parent = StringAt(*labels, kPipelineRunLabel);
    const json* owners = Member(*meta, "ownerReferences");
    if (info.parent.empty() && owners != nullptr && owners->is_array()) {
      for (const json& o : *owners) {
        const json* controller = Member(o, "controller");
        if (StringAt(o, "kind") == "PipelineRun" && controller != nullptr &&
            controller->is_boolean() && controller->get<bool>()) {
          info.parent = StringAt(o, "name");
        }
      }
    }
  } else {
    const json* status = Member(object, "status");
    const json* refs = status != nullptr ? Member(*status, "childReferences") : nullptr;
    if (refs != nullptr && refs->is_array()) {
      for (const json& r : *refs) {
        std::string child_kind = StringAt(r, "kind");
        std::string name = StringAt(r, "name");
        if ((child_kind == "TaskRun" || child_kind.empty()) && !name.empty()) {
          info.children.push_back(std::move(name));
        }
      }
    }
  }
  return info;
}

bool Skipped(const RunInfo& info, const std::optional<absl::Time>& skip_before) {
  if (info.skip) return true;
  return skip_before.has_value() && info.completion < *skip_before;
}

}  // namespace hallmark::chains::reconciler
