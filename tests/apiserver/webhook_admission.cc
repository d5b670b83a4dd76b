#include "tests/apiserver/webhook_admission.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/curl_ptr.h"
#include "base/encoding.h"
#include "base/log.h"
#include "curl/curl.h"
#include "tests/apiserver/api_error.h"
#include "tests/apiserver/engine.h"
#include "tests/apiserver/json_patch.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/selector.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr size_t kMaxResponse = 16 * 1024 * 1024;
constexpr int kDefaultTimeoutSeconds = 10;

bool Contains(const json* list, const std::string& value) {
  if (list == nullptr || !list->is_array()) return false;
  for (const auto& v : *list) {
    if (v.is_string() && v.get_ref<const std::string&>() == value) return true;
  }
  return false;
}

bool ResourceMatches(const json* resources, const std::string& resource,
                     const std::string& subresource) {
  if (resources == nullptr || !resources->is_array()) return false;
  for (const auto& v : *resources) {
    if (!v.is_string()) continue;
    const std::string& r = v.get_ref<const std::string&>();
    if (r == "*/*") return true;
    if (subresource.empty()) {
      if (r == "*" || r == resource) return true;
    } else {
      if (r == absl::StrCat(resource, "/", subresource) || r == absl::StrCat(resource, "/*") ||
          r == absl::StrCat("*/", subresource)) {
        return true;
      }
    }
  }
  return false;
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxResponse) return 0;
  out->append(data, size * n);
  return size * n;
}

struct HttpResult {
  long code = 0;
  std::string body;
};

// Post sends `body` the way kube-apiserver's webhook client does, with Go-like error texts for
// the common failures (they end up in user-visible messages).
absl::StatusOr<HttpResult> Post(const std::string& url, const std::string& connect_to,
                                const std::string& ca_pem, const std::string& body,
                                int timeout_seconds, const std::string& dial_address) {
  CurlPtr curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  HttpResult result;
  CurlSlistPtr headers;
  curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
  h = curl_slist_append(h, "Accept: application/json, */*");
  h = curl_slist_append(h, "Expect:");
  headers.reset(h);
  CurlSlistPtr connect;
  if (!connect_to.empty()) connect.reset(curl_slist_append(nullptr, connect_to.c_str()));
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "kube-apiserver-admission");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_seconds) * 1000L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  if (connect != nullptr) curl_easy_setopt(curl.get(), CURLOPT_CONNECT_TO, connect.get());
  if (!ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(ca_pem.data()), ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO_BLOB, &blob);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(curl.get());
  std::string prefix = absl::StrCat("Post ", GoQuote(url), ": ");
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_COULDNT_CONNECT:
      return absl::UnavailableError(
          absl::StrCat(prefix, "dial tcp ", dial_address, ": connect: connection refused"));
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(absl::StrCat(prefix, "context deadline exceeded"));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return absl::UnavailableError(
          absl::StrCat(prefix,
                       "tls: failed to verify certificate: x509: certificate signed by unknown "
                       "authority (",
                       errbuf, ")"));
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::UnavailableError(
          absl::StrCat(prefix, "dial tcp: lookup ", dial_address, ": no such host"));
    default:
      return absl::UnavailableError(
          absl::StrCat(prefix, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.code);
  return result;
}

ApiError CallFailure(const std::string& webhook, const std::string& cause) {
  return ApiError::InternalError(
      absl::StrCat("failed calling webhook ", GoQuote(webhook), ": ", cause));
}

}  // namespace

WebhookAdmission::WebhookAdmission(ApiEngine* engine,
                                   std::map<std::string, std::string> service_hosts)
    : engine_(engine), service_hosts_(std::move(service_hosts)) {}

absl::Status WebhookAdmission::Mutate(const AdmissionRequest& request, json* object) {
  return Run(true, request, object);
}

absl::Status WebhookAdmission::Validate(const AdmissionRequest& request, const json* object) {
  json copy = object != nullptr ? *object : json();
  return Run(false, request, object != nullptr ? &copy : nullptr);
}

bool WebhookAdmission::Matches(const json& webhook, const AdmissionRequest& request,
                               const json* object) const {
  const ResourceInfo& info = *request.resource;
  bool rule_match = false;
  const json* rules = Member(webhook, "rules");
  if (rules != nullptr && rules->is_array()) {
    for (const auto& rule : *rules) {
      const json* ops = Member(rule, "operations");
      if (!Contains(ops, request.operation) && !Contains(ops, "*")) continue;
      const json* groups = Member(rule, "apiGroups");
      if (!Contains(groups, info.group) && !Contains(groups, "*")) continue;
      const json* versions = Member(rule, "apiVersions");
      if (!Contains(versions, info.version) && !Contains(versions, "*")) continue;
      if (!ResourceMatches(Member(rule, "resources"), info.resource, request.subresource)) continue;
      std::string scope = StringAt(rule, {"scope"});
      if (scope == "Namespaced" && !info.namespaced) continue;
      if (scope == "Cluster" && info.namespaced) continue;
      rule_match = true;
      break;
    }
  }
  if (!rule_match) return false;
  // namespaceSelector: the namespace's labels (a Namespace's own labels); cluster-scoped objects
  // always match.
  if (const json* sel = Member(webhook, "namespaceSelector"); sel != nullptr) {
    absl::StatusOr<LabelSelector> s = LabelSelector::FromJson(*sel);
    if (!s.ok()) return false;
    bool is_namespace = info.group.empty() && info.resource == "namespaces";
    if (is_namespace) {
      const json* obj = object != nullptr ? object : request.old_object;
      if (obj != nullptr && !s->Matches(StringMap(Path(*obj, {"metadata", "labels"})))) {
        return false;
      }
    } else if (info.namespaced) {
      ObjectRef ns = engine_->store()->Get("/namespaces", request.ns);
      Labels labels = ns != nullptr ? ns->labels : Labels{};
      if (!s->Matches(labels)) return false;
    }
  }
  if (const json* sel = Member(webhook, "objectSelector"); sel != nullptr) {
    absl::StatusOr<LabelSelector> s = LabelSelector::FromJson(*sel);
    if (!s.ok()) return false;
    bool any = false;
    for (const json* o : {object, request.old_object}) {
      if (o != nullptr && s->Matches(StringMap(Path(*o, {"metadata", "labels"})))) any = true;
    }
    if (!any) return false;
  }
  return true;
}

absl::StatusOr<json> WebhookAdmission::Call(const json& webhook, const json& review,
                                            std::string* url_out) const {
  int timeout = kDefaultTimeoutSeconds;
  if (const json* t = Member(webhook, "timeoutSeconds"); t != nullptr && t->is_number_integer()) {
    timeout = std::max(1, t->get<int>());
  }
  std::string url = StringAt(webhook, {"clientConfig", "url"});
  std::string connect_to, dial;
  if (url.empty()) {
    const json* svc = Path(webhook, {"clientConfig", "service"});
    if (svc == nullptr)
      return absl::InvalidArgumentError("clientConfig has neither url nor service");
    std::string name = StringAt(*svc, {"name"}), ns = StringAt(*svc, {"namespace"});
    std::string path = StringAt(*svc, {"path"});
    int port = 443;
    if (const json* p = Member(*svc, "port"); p != nullptr && p->is_number_integer())
      port = p->get<int>();
    std::string host = absl::StrCat(name, ".", ns, ".svc");
    url = absl::StrCat("https://", host, ":", port, path.empty() ? "/" : path);
    auto it = service_hosts_.find(host);
    if (it == service_hosts_.end()) it = service_hosts_.find(absl::StrCat(name, ".", ns));
    if (it == service_hosts_.end()) {
      *url_out = url;
      return absl::UnavailableError(absl::StrCat(
          "Post ", GoQuote(absl::StrCat(url, "?timeout=", timeout, "s")), ": dial tcp: lookup ",
          host, ": no such host (map it with --webhook-host ", host, "=HOST:PORT)"));
    }
    dial = it->second;
    connect_to = absl::StrCat(host, ":", port, ":", it->second);
  } else {
    std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
    dial = rest.substr(0, rest.find('/'));
  }
  url += absl::StrContains(url, "?") ? "&" : "?";
  url += absl::StrCat("timeout=", timeout, "s");
  *url_out = url;
  std::string ca;
  std::string ca_b64 = StringAt(webhook, {"clientConfig", "caBundle"});
  if (!ca_b64.empty()) {
    absl::StatusOr<std::string> decoded = Base64Decode(ca_b64);
    if (!decoded.ok()) return absl::InvalidArgumentError("clientConfig.caBundle is not base64");
    ca = std::move(*decoded);
  }
  absl::StatusOr<HttpResult> r = Post(url, connect_to, ca, Dump(review), timeout, dial);
  if (!r.ok()) return r.status();
  if (r->code < 200 || r->code > 299) {
    std::string detail = r->body.size() > 512 ? r->body.substr(0, 512) : r->body;
    if (r->code >= 500) {
      return absl::UnavailableError(absl::StrCat("an error on the server (", GoQuote(detail),
                                                 ") has prevented the request from succeeding"));
    }
    return absl::UnavailableError(absl::StrCat("the server responded with the status code ",
                                               r->code, " but did not return more information"));
  }
  absl::StatusOr<json> parsed = ParseJson(r->body);
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("received invalid webhook response: ",
                     parsed.ok() ? "not an object" : parsed.status().message()));
  }
  return parsed;
}

absl::Status WebhookAdmission::Run(bool mutating, const AdmissionRequest& request, json* object) {
  const ResourceInfo& info = *request.resource;
  if (info.group == "admissionregistration.k8s.io") return absl::OkStatus();
  std::string coll = mutating ? "admissionregistration.k8s.io/mutatingwebhookconfigurations"
                              : "admissionregistration.k8s.io/validatingwebhookconfigurations";
  auto configs = engine_->store()->List(coll);
  for (const auto& [key, stored] : configs->items) {
    absl::StatusOr<json> config = ParseJson(stored->json);
    if (!config.ok()) continue;
    const json* hooks = Member(*config, "webhooks");
    if (hooks == nullptr || !hooks->is_array()) continue;
    for (const auto& hook : *hooks) {
      if (!Matches(hook, request, object)) continue;
      std::string name = StringAt(hook, {"name"});
      bool ignore = StringAt(hook, {"failurePolicy"}) == "Ignore";
      std::string uid = NewUid();
      json req = {
          {"uid", uid},
          {"kind", {{"group", info.group}, {"version", info.version}, {"kind", info.kind}}},
          {"resource",
           {{"group", info.group}, {"version", info.version}, {"resource", info.resource}}},
          {"requestKind", {{"group", info.group}, {"version", info.version}, {"kind", info.kind}}},
          {"requestResource",
           {{"group", info.group}, {"version", info.version}, {"resource", info.resource}}},
          {"operation", request.operation},
          {"userInfo", {{"username", request.user.username}, {"groups", request.user.groups}}},
          {"object", object != nullptr ? *object : json()},
          {"oldObject", request.old_object != nullptr ? *request.old_object : json()},
          {"dryRun", request.dry_run},
          {"options", request.options.is_null() ? json() : request.options}};
      if (!request.subresource.empty()) {
        req["subResource"] = request.subresource;
        req["requestSubResource"] = request.subresource;
      }
      if (!request.name.empty()) req["name"] = request.name;
      if (!request.ns.empty()) req["namespace"] = request.ns;
      json review = {{"apiVersion", "admission.k8s.io/v1"},
                     {"kind", "AdmissionReview"},
                     {"request", std::move(req)}};
      std::string url;
      absl::StatusOr<json> answer = Call(hook, review, &url);
      std::string failure;
      const json* response = nullptr;
      if (!answer.ok()) {
        failure = absl::StrCat("failed to call webhook: ", answer.status().message());
      } else {
        response = Member(*answer, "response");
        if (response == nullptr || !response->is_object()) {
          failure = "received invalid webhook response: webhook response was absent";
        } else if (StringAt(*response, {"uid"}) != uid) {
          failure = absl::StrCat("received invalid webhook response: expected response.uid=",
                                 GoQuote(uid), ", got ", GoQuote(StringAt(*response, {"uid"})));
        } else if (StringAt(*answer, {"apiVersion"}) != "admission.k8s.io/v1" ||
                   StringAt(*answer, {"kind"}) != "AdmissionReview") {
          failure = absl::StrCat(
              "received invalid webhook response: expected webhook response of "
              "admission.k8s.io/v1, Kind=AdmissionReview, got ",
              StringAt(*answer, {"apiVersion"}), ", Kind=", StringAt(*answer, {"kind"}));
        } else {
          bool has_patch = !StringAt(*response, {"patch"}).empty();
          bool has_type = Member(*response, "patchType") != nullptr;
          if (!mutating && has_patch) {
            failure =
                "received invalid webhook response: validating webhook may not return "
                "response.patch";
          } else if (!mutating && has_type) {
            failure =
                "received invalid webhook response: validating webhook may not return "
                "response.patchType";
          } else if (has_patch && !has_type) {
            failure =
                "received invalid webhook response: webhook returned response.patch but not "
                "response.patchType";
          } else if (!has_patch && has_type) {
            failure =
                "received invalid webhook response: webhook returned response.patchType but not "
                "response.patch";
          }
        }
      }
      if (!failure.empty()) {
        log::Warn(ignore ? "Failed calling webhook, failing open"
                         : "Failed calling webhook, failing closed",
                  {{"webhook", name}, {"error", failure}});
        if (ignore) continue;
        return ToStatus(CallFailure(name, failure));
      }
      const json* allowed = Member(*response, "allowed");
      if (allowed == nullptr || !allowed->is_boolean() || !allowed->get<bool>()) {
        const json* status = Member(*response, "status");
        ApiError e;
        e.code = 400;
        std::string message, reason;
        if (status != nullptr && status->is_object()) {
          const json* code = Member(*status, "code");
          if (code != nullptr && code->is_number_integer()) e.code = code->get<int>();
          message = StringAt(*status, {"message"});
          reason = StringAt(*status, {"reason"});
          if (const json* d = Member(*status, "details"); d != nullptr && d->is_object()) {
            e.has_details = true;
            e.details_name = StringAt(*d, {"name"});
            e.details_group = StringAt(*d, {"group"});
            e.details_kind = StringAt(*d, {"kind"});
          }
        }
        if (e.code < 400) e.code = 400;
        e.reason = reason;
        std::string denied =
            absl::StrCat("admission webhook ", GoQuote(name), " denied the request");
        if (!message.empty()) {
          e.message = absl::StrCat(denied, ": ", message);
        } else if (!reason.empty()) {
          e.message = absl::StrCat(denied, ": ", reason);
        } else {
          e.message = absl::StrCat(denied, " without explanation");
        }
        return ToStatus(e);
      }
      std::string patch64 = StringAt(*response, {"patch"});
      if (mutating && !patch64.empty() && object != nullptr) {
        if (StringAt(*response, {"patchType"}) != "JSONPatch") {
          return ToStatus(
              CallFailure(name, absl::StrCat("unsupported patch type ",
                                             GoQuote(StringAt(*response, {"patchType"})))));
        }
        absl::StatusOr<std::string> raw = Base64Decode(patch64);
        absl::StatusOr<json> ops = raw.ok() ? ParseJson(*raw) : absl::StatusOr<json>(raw.status());
        if (!ops.ok()) {
          return ToStatus(ApiError::InternalError(
              absl::StrCat("admission webhook ", GoQuote(name),
                           " returned an undecodable patch: ", ops.status().message())));
        }
        absl::StatusOr<json> patched = ApplyJsonPatch(*object, *ops);
        if (!patched.ok()) return ToStatus(ApiError::InternalError(patched.status().message()));
        *object = std::move(*patched);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace hallmark::tests::apiserver
