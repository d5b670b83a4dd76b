// File: verifier/webhook/handler.h
//
// AdmissionHandler: one HTTP request to the webhook in, one HTTP reply out — everything but the
// socket, so tests and the fuzz target drive it directly.
//
//   POST /mutate   (alias /mutate/fail, Kyverno's path)    -> Engine::Mutate
//   POST /validate (alias /validate/fail)                  -> Engine::Validate
//
// Checks, in order: Content-Type must be application/json (415, as Kyverno; parameters such as
// charset are accepted); the body at most kMaxReviewBytes (413); an admission.k8s.io/v1
// AdmissionReview (400 with the reason — the API server then applies the webhook's failure
// policy, which is Fail in our manifests).
//
// Budget: the evaluation runs on a worker pool and is waited for until `budget` after the
// request arrived; past it — or when the pool's queue is full — the request is DENIED with a
// message saying so (fail closed), well inside the API server's timeoutSeconds. Every denial is
// logged as one JSON line (uid, operation, kind, namespace, name, path, message).
#ifndef HALLMARK_VERIFIER_WEBHOOK_HANDLER_H_
#define HALLMARK_VERIFIER_WEBHOOK_HANDLER_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "verifier/policy/engine.h"
#include "verifier/webhook/internal/worker_pool.h"
#include "verifier/webhook/metrics.h"
#include "verifier/webhook/policy_store.h"

namespace hallmark::verifier::webhook {

enum class Mode { kMutate, kValidate };

struct HandlerOptions {
  absl::Duration budget = absl::Seconds(8);
  size_t workers = 16;
  size_t max_queue = 512;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class AdmissionHandler {
 public:
  // `store`, `engine` and `metrics` are borrowed and must outlive the handler.
  AdmissionHandler(PolicyStore* store, const policy::Engine* engine, Metrics* metrics,
                   HandlerOptions options);

  HttpReply Handle(Mode mode, absl::string_view content_type, absl::string_view body);

 private:
  PolicyStore* store_;
  const policy::Engine* engine_;
  Metrics* metrics_;
  const HandlerOptions options_;
  std::shared_ptr<internal::WorkerPool> pool_;
};

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_HANDLER_H_
