// File: kube/event_recorder.h
//
// EventRecorder: creates core/v1 Events about objects (what `kubectl describe` shows under
// "Events"), e.g. "Warning SigningFailed taskrun ci/build-1: no key in signing-secrets". One
// POST per call, no aggregation or de-duplication (the agent records a handful per run).
//
//   HM_ASSIGN_OR_RETURN(auto recorder, EventRecorder::New(client, "hallmark-agent"));
//   recorder->Record(ObjectReference::For(TaskRunsV1(), run_json), EventType::kNormal,
//                    "Signed", "signed 2 images");
//
// Thread-safe; `client` must outlive the recorder.
#ifndef HALLMARK_KUBE_EVENT_RECORDER_H_
#define HALLMARK_KUBE_EVENT_RECORDER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/clock.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

enum class EventType { kNormal, kWarning };

// ObjectReference: the involvedObject of an Event.
struct ObjectReference {
  std::string api_version;  // "tekton.dev/v1"
  std::string kind;         // "TaskRun"
  std::string namespace_;   // "" for cluster-scoped objects
  std::string name;
  std::string uid;
  std::string resource_version;

  // For: the reference to `object` (metadata from the JSON; apiVersion/kind from `resource`
  // when the object lacks them, as list items of built-in types do).
  static ObjectReference For(const Resource& resource, const nlohmann::json& object);
};

inline constexpr size_t kMaxEventMessageBytes = 1024;

class EventRecorder {
 public:
  // New: `component` (source.component and reportingController, e.g. "hallmark-agent") must be
  // non-empty; `instance` (source.host / reportingInstance) may be empty. kInvalidArgument
  // otherwise.
  static absl::StatusOr<std::unique_ptr<EventRecorder>> New(KubeClient& client,
                                                            std::string component,
                                                            std::string instance = "",
                                                            Clock* clock = nullptr);

  // Record creates the Event in the object's namespace ("default" for cluster-scoped objects)
  // and returns its name ("<object name>.<hex nanoseconds>", as client-go names them).
  // `reason` must be 1-128 characters of [A-Za-z0-9] starting with a letter (UpperCamelCase by
  // convention); `message` is cut to 1024 bytes on a UTF-8 boundary. Errors: kInvalidArgument
  // for a bad reason or reference, else those of KubeClient::Create.
  absl::StatusOr<std::string> Record(const ObjectReference& object, EventType type,
                                     absl::string_view reason, absl::string_view message);

  // BuildEvent: the Event object Record would send (exposed for tests).
  absl::StatusOr<nlohmann::json> BuildEvent(const ObjectReference& object, EventType type,
                                            absl::string_view reason,
                                            absl::string_view message) const;

 private:
  EventRecorder(KubeClient& client, std::string component, std::string instance, Clock& clock)
      : client_(client),
        component_(std::move(component)),
        instance_(std::move(instance)),
        clock_(clock) {}

  KubeClient& client_;
  const std::string component_;
  const std::string instance_;
  Clock& clock_;
};

// TruncateUtf8: `text` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes);

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_EVENT_RECORDER_H_
