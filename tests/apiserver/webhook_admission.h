// File: tests/apiserver/webhook_admission.h
//
// WebhookAdmission: kube-apiserver's dynamic admission. For each write it reads the
// MutatingWebhookConfiguration and ValidatingWebhookConfiguration objects from the store, picks
// the webhooks whose rules (operations, apiGroups, apiVersions, resources incl. subresources,
// scope), namespaceSelector and objectSelector match, and POSTs an admission.k8s.io/v1
// AdmissionReview to each: mutating ones in order (configurations sorted by name), applying the
// JSONPatch each returns, then validating ones. It reproduces the real messages:
//   denied:      `admission webhook "<name>" denied the request: <message>` (code from the
//                response status, at least 400; reason as the webhook gave it, often empty, so
//                kubectl prints `Error from server: admission webhook ...`);
//   call failed: `Internal error occurred: failed calling webhook "<name>": failed to call
//                webhook: Post "<url>?timeout=10s": <cause>` (failurePolicy Fail, the default;
//                Ignore skips the webhook).
//
// clientConfig.url is called as given (https, or http for local test webhooks);
// clientConfig.service {namespace, name, port, path} is called as
// https://<name>.<namespace>.svc:<port><path>, connected to the address --webhook-host maps
// "<name>.<namespace>.svc" (or "<name>.<namespace>") to, with TLS verified against caBundle for
// that DNS name. matchConditions (CEL) and reinvocationPolicy are not evaluated. Webhooks are not
// called for the webhook configurations themselves (as kube-apiserver).
#ifndef HALLMARK_TESTS_APISERVER_WEBHOOK_ADMISSION_H_
#define HALLMARK_TESTS_APISERVER_WEBHOOK_ADMISSION_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/admission_hook.h"

namespace hallmark::tests::apiserver {

class ApiEngine;

class WebhookAdmission : public AdmissionHook {
 public:
  // `engine` (not owned) supplies the configurations and namespaces; `service_hosts` maps a
  // service DNS name to "host:port".
  WebhookAdmission(ApiEngine* engine, std::map<std::string, std::string> service_hosts);

  absl::Status Mutate(const AdmissionRequest& request, nlohmann::json* object) override;
  absl::Status Validate(const AdmissionRequest& request, const nlohmann::json* object) override;

 private:
  absl::Status Run(bool mutating, const AdmissionRequest& request, nlohmann::json* object);
  bool Matches(const nlohmann::json& webhook, const AdmissionRequest& request,
               const nlohmann::json* object) const;
  // Call: the AdmissionResponse of one webhook, or the call error (the `<cause>` above).
  absl::StatusOr<nlohmann::json> Call(const nlohmann::json& webhook, const nlohmann::json& review,
                                      std::string* url_out) const;

  ApiEngine* engine_;
  std::map<std::string, std::string> service_hosts_;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_WEBHOOK_ADMISSION_H_
