// Fuzz target: the agent's projection of run objects (what the informers cache from the API
// server), the chains-annotation stripping and run keys must take any JSON without crashing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chains/reconciler/run_state.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)hallmark::chains::reconciler::RunKey::Parse(text);
  nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return 0;
  for (auto kind : {hallmark::chains::reconciler::RunKind::kTaskRun,
                    hallmark::chains::reconciler::RunKind::kPipelineRun}) {
    absl::StatusOr<hallmark::chains::reconciler::RunInfo> info =
        hallmark::chains::reconciler::ProjectRun(kind, object);
    if (info.ok()) (void)hallmark::chains::reconciler::Skipped(*info, absl::InfinitePast());
  }
  (void)hallmark::chains::reconciler::IsDone(object);
  (void)hallmark::chains::reconciler::CompletionTime(object);
  (void)hallmark::chains::reconciler::Annotation(object, "chains.tekton.dev/signed");
  nlohmann::json stripped = hallmark::chains::reconciler::WithoutChainsAnnotations(object);
  (void)stripped.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
