#include "verifier/webhook/handler.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "verifier/webhook/admission.h"

namespace hallmark::verifier::webhook {
namespace {

bool IsJson(absl::string_view content_type) {
  std::string media(absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
  return absl::AsciiStrToLower(media) == "application/json";
}

// The result slot an evaluation fills; shared by the waiting request and the worker, which may
// finish after the request gave up.
struct Pending {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  policy::EngineOutcome outcome ABSL_GUARDED_BY(mu);
};

}  // namespace

AdmissionHandler::AdmissionHandler(PolicyStore* store, const policy::Engine* engine,
                                   Metrics* metrics, HandlerOptions options)
    : store_(store),
      engine_(engine),
      metrics_(metrics),
      options_(options),
      pool_(std::make_shared<internal::WorkerPool>(options.workers, options.max_queue)) {}

HttpReply AdmissionHandler::Handle(Mode mode, absl::string_view content_type,
                                   absl::string_view body) {
  const absl::Time start = absl::Now();
  const std::string path = mode == Mode::kMutate ? "mutate" : "validate";
  if (!IsJson(content_type)) {
    metrics_->RecordRejected("content_type");
    return {415, "text/plain",
            absl::StrCat("invalid Content-Type, expected application/json, got \"",
                         absl::CEscape(content_type), "\"\n")};
  }
  if (body.size() > kMaxReviewBytes) {
    metrics_->RecordRejected("too_large");
    return {413, "text/plain",
            absl::StrCat("request body larger than ", kMaxReviewBytes, " bytes\n")};
  }
  absl::StatusOr<ParsedReview> parsed = ParseAdmissionReview(body);
  if (!parsed.ok()) {
    metrics_->RecordRejected("malformed");
    return {400, "text/plain", absl::StrCat(parsed.status().message(), "\n")};
  }
  std::shared_ptr<const PolicySnapshot> snapshot = store_->Get();
  auto pending = std::make_shared<Pending>();
  auto input = std::make_shared<policy::AdmissionInput>(parsed->input);
  const policy::Engine* engine = engine_;
  bool queued = pool_->Submit([pending, snapshot, input, engine, mode] {
    policy::EngineOutcome out = mode == Mode::kMutate
                                    ? engine->Mutate(snapshot->policies, *input)
                                    : engine->Validate(snapshot->policies, *input);
    absl::MutexLock lock(&pending->mu);
    pending->outcome = std::move(out);
    pending->done = true;
  });
  auto log_denial = [&](const std::string& message, const std::string& reason) {
    log::Warn("admission denied", {{"uid", parsed->uid},
                                   {"path", path},
                                   {"operation", parsed->input.operation},
                                   {"kind", parsed->input.kind},
                                   {"namespace", parsed->input.ns},
                                   {"name", parsed->input.name},
                                   {"reason", reason},
                                   {"message", message}});
  };
  if (!queued) {
    std::string message =
        "hallmark webhook is overloaded: the request could not be verified and is denied (fail "
        "closed)";
    metrics_->RecordRejected("overloaded");
    metrics_->RecordAdmission(path, "error", absl::Now() - start);
    log_denial(message, "overloaded");
    return {200, "application/json", DeniedResponse(*parsed, message)};
  }
  policy::EngineOutcome outcome;
  {
    absl::MutexLock lock(&pending->mu);
    bool finished =
        pending->mu.AwaitWithDeadline(absl::Condition(&pending->done), start + options_.budget);
    if (finished) outcome = std::move(pending->outcome);
    if (!finished) {
      std::string message = absl::StrCat(
          "image verification did not finish within the ", absl::FormatDuration(options_.budget),
          " budget (registry slow or unreachable); the request is denied (fail closed)");
      metrics_->RecordBudgetExceeded();
      metrics_->RecordAdmission(path, "error", absl::Now() - start);
      log_denial(message, "budget");
      return {200, "application/json", DeniedResponse(*parsed, message)};
    }
  }
  HttpReply reply;
  if (outcome.allowed) {
    reply.body = AllowedResponse(
        *parsed, mode == Mode::kMutate ? outcome.patch : nlohmann::json::array(), outcome.warnings);
    metrics_->RecordAdmission(path, "allowed", absl::Now() - start);
  } else {
    reply.body = DeniedResponse(*parsed, outcome.message);
    metrics_->RecordAdmission(path, outcome.error ? "error" : "denied", absl::Now() - start);
    log_denial(outcome.message, outcome.error ? "error" : "policy");
  }
  return reply;
}

}  // namespace hallmark::verifier::webhook
