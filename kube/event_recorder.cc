#include "kube/event_recorder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "kube/internal/json.h"

namespace hallmark::kube {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

ObjectReference ObjectReference::For(const Resource& resource, const nlohmann::json& object) {
  ObjectReference ref;
  ref.api_version = internal::StringAt(object, "apiVersion");
  ref.kind = internal::StringAt(object, "kind");
  if (ref.api_version.empty()) ref.api_version = resource.ApiVersion();
  if (ref.kind.empty()) ref.kind = resource.kind;
  ref.namespace_ = MetaNamespace(object);
  ref.name = MetaName(object);
  ref.uid = MetaUid(object);
  ref.resource_version = MetaResourceVersion(object);
  return ref;
}

std::string TruncateUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Back off continuation bytes (10xxxxxx) so the cut lands on a sequence start.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

absl::StatusOr<std::unique_ptr<EventRecorder>> EventRecorder::New(KubeClient& client,
                                                                  std::string component,
                                                                  std::string instance,
                                                                  Clock* clock) {
  if (component.empty() || component.size() > 128) {
    return absl::InvalidArgumentError("event recorder: component must be 1-128 characters");
  }
  if (instance.size() > 128) {
    return absl::InvalidArgumentError("event recorder: instance longer than 128 characters");
  }
  return std::unique_ptr<EventRecorder>(
      new EventRecorder(client, std::move(component), std::move(instance),
                        clock != nullptr ? *clock : *Clock::RealClock()));
}

absl::StatusOr<nlohmann::json> EventRecorder::BuildEvent(const ObjectReference& object,
                                                         EventType type, absl::string_view reason,
                                                         absl::string_view message) const {
  if (reason.empty() || reason.size() > 128 || !absl::ascii_isalpha(reason[0])) {
    return absl::InvalidArgumentError(
        "event: reason must be 1-128 letters and digits, starting with a letter");
  }
  for (char c : reason) {
    if (!absl::ascii_isalnum(c)) {
      return absl::InvalidArgumentError(
          "event: reason must be 1-128 letters and digits, starting with a letter");
    }
  }
  HM_RETURN_IF_ERROR(ValidateName("involved object name", object.name));
  if (!object.namespace_.empty()) {
    HM_RETURN_IF_ERROR(ValidateName("involved object namespace", object.namespace_));
  }
  if (object.kind.empty() || object.api_version.empty()) {
    return absl::InvalidArgumentError("event: involved object needs apiVersion and kind");
  }
  absl::Time now = clock_.Now();
  std::string suffix = absl::StrFormat(".%x", absl::ToUnixNanos(now));
  std::string base = object.name.substr(0, 253 - suffix.size());
  std::string ns = object.namespace_.empty() ? "default" : object.namespace_;
  nlohmann::json involved = {
      {"apiVersion", object.api_version}, {"kind", object.kind}, {"name", object.name}};
  if (!object.namespace_.empty()) involved["namespace"] = object.namespace_;
  if (!object.uid.empty()) involved["uid"] = object.uid;
  if (!object.resource_version.empty()) involved["resourceVersion"] = object.resource_version;
  nlohmann::json source = {{"component", component_}};
  if (!instance_.empty()) source["host"] = instance_;
  // A legacy-style Event (no eventTime/action/series), as client-go's record package makes:
  // kube-apiserver validates those less strictly.
  nlohmann::json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", base + suffix}, {"namespace", ns}}},
      {"involvedObject", std::move(involved)},
      {"reason", std::string(reason)},
      {"message", TruncateUtf8(message, kMaxEventMessageBytes)},
      {"type", type == EventType::kNormal ? "Normal" : "Warning"},
      {"source", std::move(source)},
      {"firstTimestamp", Rfc3339(now)},
      {"lastTimestamp", Rfc3339(now)},
      {"count", 1},
      {"reportingComponent", component_},
      {"reportingInstance", instance_.empty() ? component_ : instance_},
  };
  return event;
}

absl::StatusOr<std::string> EventRecorder::Record(const ObjectReference& object, EventType type,
                                                  absl::string_view reason,
                                                  absl::string_view message) {
  HM_ASSIGN_OR_RETURN(nlohmann::json event, BuildEvent(object, type, reason, message));
  std::string ns = internal::StringAt(event["metadata"], "namespace");
  HM_ASSIGN_OR_RETURN(nlohmann::json created, client_.Create(CoreEvents(), ns, event));
  std::string name = MetaName(created);
  return name.empty() ? MetaName(event) : name;
}

}  // namespace hallmark::kube
