#include "kube/http_kube_client.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "kube/api_status.h"
#include "kube/internal/json.h"
#include "net/curl_http_client.h"
#include "net/host.h"
#include "net/url.h"

namespace hallmark::kube {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

absl::StatusOr<nlohmann::json> ParseObject(const std::string& body, absl::string_view what) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError(absl::StrCat(what, ": the response is not a JSON object"));
  }
  return doc;
}

std::string Where(const Resource& r, absl::string_view ns, absl::string_view name) {
  std::string out = r.GroupResource();
  if (!ns.empty() || !name.empty()) absl::StrAppend(&out, " ");
  if (!ns.empty()) absl::StrAppend(&out, ns, name.empty() ? "" : "/");
  absl::StrAppend(&out, name);
  return out;
}

}  // namespace

struct HttpKubeClient::Call {
  net::Method method = net::Method::kGet;
  std::string path_and_query;
  std::string body;
  std::string content_type;
  std::string what;              // "GET taskruns.tekton.dev ci/build-1"
  bool retry_http = true;        // 429 and 5xx
  bool retry_transport = false;  // connection failures and timeouts
  bool stream = false;
  absl::Duration timeout;
  const absl::Notification* cancel = nullptr;
};

absl::StatusOr<std::unique_ptr<HttpKubeClient>> HttpKubeClient::New(const Config& config,
                                                                    const ClientOptions& options) {
  net::CurlHttpClientOptions curl;
  curl.tls.ca_pem = config.ca_pem;
  curl.tls.client_cert_pem = config.client_cert_pem;
  curl.tls.client_key_pem = config.client_key_pem;
  curl.tls.insecure_skip_verify = config.insecure_skip_tls_verify;
  curl.proxy = config.proxy_url;
  curl.user_agent = options.user_agent;
  HM_ASSIGN_OR_RETURN(std::unique_ptr<net::CurlHttpClient> http,
                      net::CurlHttpClient::New(std::move(curl)));
  net::HttpClient& ref = *http;
  HM_ASSIGN_OR_RETURN(std::unique_ptr<HttpKubeClient> client,
                      NewWithHttpClient(config, ref, options));
  client->owned_http_ = std::move(http);
  return client;
}

absl::StatusOr<std::unique_ptr<HttpKubeClient>> HttpKubeClient::NewWithHttpClient(
    const Config& config, net::HttpClient& http, const ClientOptions& options) {
  HM_ASSIGN_OR_RETURN(net::Url url, net::Url::Parse(config.server));
  HM_RETURN_IF_ERROR(net::ValidatePolicy(options.retry));
  if (options.request_timeout <= absl::ZeroDuration() ||
      options.request_timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("kube client: request_timeout must be finite and positive");
  }
  if (options.max_watch_line_bytes == 0 || options.max_response_bytes == 0) {
    return absl::InvalidArgumentError("kube client: size limits must be positive");
  }
  bool has_token = !config.token.empty() || !config.token_file.empty();
  if (has_token && url.scheme() == "http" && !net::IsLoopbackHost(url.host())) {
    return absl::FailedPreconditionError(
        absl::StrCat("kube client: refusing to send a bearer token over plain http to ",
                     url.Redacted(), " (use https, or a loopback address for local test servers)"));
  }
  if (!config.default_namespace.empty()) {
    HM_RETURN_IF_ERROR(ValidateName("default namespace", config.default_namespace));
  }
  Clock& clock = options.clock != nullptr ? *options.clock : *Clock::RealClock();
  std::string server = config.server;
  while (absl::EndsWith(server, "/")) server.pop_back();
  auto client = std::unique_ptr<HttpKubeClient>(new HttpKubeClient(
      std::move(server), config.default_namespace, http, nullptr, options, clock));
  HM_ASSIGN_OR_RETURN(client->limiter_, RateLimiter::New(options.qps, options.burst, clock));
  if (!config.token.empty()) {
    client->token_ = TokenSource::Static(config.token);
    HM_RETURN_IF_ERROR(client->token_->Token().status());
  } else if (!config.token_file.empty()) {
    HM_ASSIGN_OR_RETURN(client->token_, TokenSource::FromFile(config.token_file, clock,
                                                              options.token_refresh_period));
  }
  return client;
}

HttpKubeClient::HttpKubeClient(std::string server, std::string default_namespace,
                               net::HttpClient& http, std::unique_ptr<net::HttpClient> owned,
                               const ClientOptions& options, Clock& clock)
    : server_(std::move(server)),
      default_namespace_(std::move(default_namespace)),
      owned_http_(std::move(owned)),
      http_(http),
      options_(options),
      clock_(clock) {}

HttpKubeClient::~HttpKubeClient() = default;

KubeClientStats HttpKubeClient::Stats() const {
  KubeClientStats s;
  s.requests = requests_.load();
  s.retries = retries_.load();
  s.unauthorized_retries = unauthorized_retries_.load();
  s.throttled = absl::Nanoseconds(throttled_ns_.load());
  return s;
}

void HttpKubeClient::Sleep(absl::Duration d, const absl::Notification* cancel) {
  // A cancellable wait needs real time; with an injected clock (tests) the clock sleeps.
  if (cancel != nullptr && &clock_ == Clock::RealClock()) {
    cancel->WaitForNotificationWithTimeout(d);
  } else {
    clock_.SleepFor(d);
  }
}

absl::StatusOr<net::HttpResponse> HttpKubeClient::Send(const Call& call,
                                                       net::BodyCallback* on_body) {
  net::HttpRequest req;
  req.method = call.method;
  req.url = absl::StrCat(server_, call.path_and_query);
  req.headers.Add("Accept", "application/json");
  req.headers.Add("User-Agent", options_.user_agent);
  if (!call.content_type.empty()) req.headers.Add("Content-Type", call.content_type);
  req.body = call.body;
  req.timeout = call.timeout;
  req.max_response_bytes = options_.max_response_bytes;
  req.cancel = call.cancel;
  if (call.stream) req.idle_timeout = options_.watch_idle_timeout;

  thread_local absl::BitGen gen;
  const absl::Time first_start = clock_.Now();
  bool reauthorized = false;
  for (int attempt = 1;; ++attempt) {
    if (call.cancel != nullptr && call.cancel->HasBeenNotified()) {
      return absl::CancelledError(absl::StrCat(call.what, ": cancelled"));
    }
    absl::Duration waited = limiter_->Wait();
    throttled_ns_ += absl::ToInt64Nanoseconds(waited);
    absl::Time started = clock_.Now();
    if (token_ != nullptr) {
      HM_ASSIGN_OR_RETURN(SecretData token, token_->Token());
      static constexpr char kBearer[] = "Bearer ";
      SecretData header(sizeof(kBearer) - 1 + token.size());
      std::memcpy(header.data(), kBearer, sizeof(kBearer) - 1);
      std::memcpy(header.data() + sizeof(kBearer) - 1, token.data(), token.size());
      req.authorization = std::move(header);
    }
    ++requests_;
    absl::StatusOr<net::HttpResponse> resp =
        on_body != nullptr ? http_.Stream(req, *on_body) : http_.Do(req);

    if (resp.ok() && resp->status == 401 && token_ != nullptr && !reauthorized &&
        token_->Invalidate(started)) {
      // A rotated projected token: re-read the file and try once more, right away.
      reauthorized = true;
      ++unauthorized_retries_;
      --attempt;
      continue;
    }
    std::optional<absl::Duration> retry_after;
    bool retryable;
    if (!resp.ok()) {
      retryable = call.retry_transport && net::IsRetryableError(resp.status());
    } else {
      retryable = call.retry_http && net::IsRetryableHttpStatus(resp->status);
      if (retryable) {
        if (auto header = resp->headers.Get("Retry-After")) {
          retry_after = net::ParseRetryAfter(*header, clock_.Now());
        }
      }
    }
    if (!retryable || attempt >= options_.retry.max_attempts) return resp;
    absl::Duration sleep = net::FullJitterBackoff(options_.retry, attempt - 1, gen);
    if (retry_after.has_value()) sleep = std::max(sleep, *retry_after);
    if (clock_.Now() + sleep - first_start > options_.retry.total_budget) return resp;
    ++retries_;
    Sleep(sleep, call.cancel);
  }
}

absl::StatusOr<nlohmann::json> HttpKubeClient::SendForObject(const Call& call) {
  HM_ASSIGN_OR_RETURN(net::HttpResponse resp, Send(call, nullptr));
  if (!resp.ok()) return ErrorFromResponse(resp, call.what, clock_.Now());
  return ParseObject(resp.body, call.what);
}

absl::StatusOr<nlohmann::json> HttpKubeClient::Get(const Resource& resource, absl::string_view ns,
                                                   absl::string_view name) {
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, ObjectPath(resource, ns, name));
  call.what = absl::StrCat("GET ", Where(resource, ns, name));
  call.retry_transport = true;
  call.timeout = options_.request_timeout;
  return SendForObject(call);
}

absl::StatusOr<ObjectList> HttpKubeClient::List(const Resource& resource, absl::string_view ns,
                                                const ListOptions& options) {
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, CollectionPath(resource, ns));
  if (options.limit < 0) return absl::InvalidArgumentError("list: negative limit");
  Params params;
  if (!options.label_selector.empty()) params.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) params.emplace_back("fieldSelector", options.field_selector);
  if (options.limit > 0) params.emplace_back("limit", absl::StrCat(options.limit));
  if (!options.continue_token.empty()) params.emplace_back("continue", options.continue_token);
  if (!options.resource_version.empty()) {
    params.emplace_back("resourceVersion", options.resource_version);
  }
  call.path_and_query += BuildQuery(params);
  call.what = absl::StrCat("LIST ", Where(resource, ns, ""));
  call.retry_transport = true;
  call.timeout = options_.request_timeout;
  call.cancel = options.cancel;
  HM_ASSIGN_OR_RETURN(nlohmann::json doc, SendForObject(call));

  ObjectList list;
  if (const nlohmann::json* meta = internal::Child(doc, "metadata")) {
    list.resource_version = internal::StringAt(*meta, "resourceVersion");
    list.continue_token = internal::StringAt(*meta, "continue");
  }
  nlohmann::json* items = nullptr;
  if (auto it = doc.find("items"); it != doc.end()) items = &*it;
  if (items != nullptr && !items->is_null()) {
    if (!items->is_array()) {
      return absl::DataLossError(absl::StrCat(call.what, ": \"items\" is not a list"));
    }
    list.items.reserve(items->size());
    for (nlohmann::json& item : *items) {
      if (!item.is_object()) {
        return absl::DataLossError(absl::StrCat(call.what, ": an item is not an object"));
      }
      list.items.push_back(std::move(item));
    }
  }
  return list;
}

absl::Status HttpKubeClient::Watch(const Resource& resource, absl::string_view ns,
                                   const WatchOptions& options, EventCallback on_event) {
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, CollectionPath(resource, ns));
  if (options.timeout_seconds < 0 || options.timeout_seconds > 24 * 3600) {
    return absl::InvalidArgumentError("watch: timeout_seconds must be in [0, 86400]");
  }
  Params params = {{"watch", "true"}};
  if (!options.resource_version.empty()) {
    params.emplace_back("resourceVersion", options.resource_version);
  }
  if (options.allow_bookmarks) params.emplace_back("allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) {
    params.emplace_back("timeoutSeconds", absl::StrCat(options.timeout_seconds));
  }
  if (!options.label_selector.empty()) params.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) params.emplace_back("fieldSelector", options.field_selector);
  call.path_and_query += BuildQuery(params);
  call.what = absl::StrCat("WATCH ", Where(resource, ns, ""));
  call.retry_http = false;
  call.stream = true;
  call.cancel = options.cancel;
  // The server ends the stream after timeout_seconds; the margin covers a slow close. Without a
  // timeout the server picks 30-60 minutes.
  call.timeout =
      options.timeout_seconds > 0 ? absl::Seconds(options.timeout_seconds + 30) : absl::Minutes(65);

  WatchDecoder decoder(options_.max_watch_line_bytes);
  absl::Status stream_error;
  bool caller_stopped = false;
  auto deliver = [&](WatchEvent&& event) -> bool {
    if (event.type == WatchEventType::kError) {
      stream_error = ErrorFromStatusObject(event.object, call.what);
      return false;
    }
    if (!on_event(std::move(event))) {
      caller_stopped = true;
      return false;
    }
    return true;
  };
  auto on_chunk = [&](absl::string_view chunk) -> bool {
    absl::Status s = decoder.Feed(chunk, deliver);
    if (!s.ok()) {
      stream_error = absl::Status(s.code(), absl::StrCat(call.what, ": ", s.message()));
      return false;
    }
    return !decoder.stopped();
  };
  net::BodyCallback body_callback(on_chunk);
  absl::StatusOr<net::HttpResponse> resp = Send(call, &body_callback);
  if (!stream_error.ok()) return stream_error;
  if (caller_stopped) return absl::OkStatus();
  HM_RETURN_IF_ERROR(resp.status());
  if (!resp->ok()) return ErrorFromResponse(*resp, call.what, clock_.Now());
  absl::Status finish = decoder.Finish(deliver);
  if (!stream_error.ok()) return stream_error;
  if (!finish.ok())
    return absl::Status(finish.code(), absl::StrCat(call.what, ": ", finish.message()));
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> HttpKubeClient::Create(const Resource& resource,
                                                      absl::string_view ns,
                                                      const nlohmann::json& object,
                                                      const WriteOptions& options) {
  if (!object.is_object()) return absl::InvalidArgumentError("create: object is not a JSON map");
  std::string object_ns = MetaNamespace(object);
  if (!object_ns.empty() && object_ns != ns) {
    return absl::InvalidArgumentError(
        absl::StrCat("create: object namespace \"", object_ns, "\" differs from \"", ns, "\""));
  }
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, CollectionPath(resource, ns));
  if (resource.namespaced && ns.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("create: ", resource.GroupResource(), " needs a namespace"));
  }
  if (!options.field_manager.empty()) {
    call.path_and_query += BuildQuery({{"fieldManager", options.field_manager}});
  }
  call.method = net::Method::kPost;
  call.body = internal::Dump(object);
  call.content_type = "application/json";
  call.what = absl::StrCat("CREATE ", Where(resource, ns, MetaName(object)));
  call.timeout = options_.request_timeout;
  return SendForObject(call);
}

absl::StatusOr<nlohmann::json> HttpKubeClient::Update(const Resource& resource,
                                                      absl::string_view ns,
                                                      const nlohmann::json& object,
                                                      const WriteOptions& options) {
  if (!object.is_object()) return absl::InvalidArgumentError("update: object is not a JSON map");
  std::string name = MetaName(object);
  std::string object_ns = MetaNamespace(object);
  if (!object_ns.empty() && object_ns != ns) {
    return absl::InvalidArgumentError(
        absl::StrCat("update: object namespace \"", object_ns, "\" differs from \"", ns, "\""));
  }
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, ObjectPath(resource, ns, name));
  if (!options.field_manager.empty()) {
    call.path_and_query += BuildQuery({{"fieldManager", options.field_manager}});
  }
  call.method = net::Method::kPut;
  call.body = internal::Dump(object);
  call.content_type = "application/json";
  call.what = absl::StrCat("UPDATE ", Where(resource, ns, name));
  call.retry_transport = true;  // a repeat after success is a 409 on the stale resourceVersion
  call.timeout = options_.request_timeout;
  return SendForObject(call);
}

absl::StatusOr<nlohmann::json> HttpKubeClient::Patch(const Resource& resource, absl::string_view ns,
                                                     absl::string_view name, PatchType type,
                                                     absl::string_view patch,
                                                     const PatchOptions& options) {
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, ObjectPath(resource, ns, name, options.subresource));
  if (!options.field_manager.empty()) {
    call.path_and_query += BuildQuery({{"fieldManager", options.field_manager}});
  }
  if (!options.resource_version.empty()) {
    HM_ASSIGN_OR_RETURN(call.body,
                        AddResourceVersionPrecondition(type, patch, options.resource_version));
  } else {
    nlohmann::json doc =
        nlohmann::json::parse(patch.begin(), patch.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return absl::InvalidArgumentError("patch: not JSON");
    if (type == PatchType::kMerge && !doc.is_object()) {
      return absl::InvalidArgumentError("merge patch: not a JSON object");
    }
    if (type == PatchType::kJson && !doc.is_array()) {
      return absl::InvalidArgumentError("JSON patch: not a JSON array");
    }
    call.body = std::string(patch);
  }
  call.method = net::Method::kPatch;
  call.content_type =
      type == PatchType::kMerge ? "application/merge-patch+json" : "application/json-patch+json";
  call.what = absl::StrCat("PATCH ", Where(resource, ns, name),
                           options.subresource.empty() ? "" : "/", options.subresource);
  // A merge patch sets values: repeating it is harmless. A JSON patch may append.
  call.retry_transport = type == PatchType::kMerge;
  call.timeout = options_.request_timeout;
  return SendForObject(call);
}

absl::Status HttpKubeClient::Delete(const Resource& resource, absl::string_view ns,
                                    absl::string_view name, const DeleteOptions& options) {
  Call call;
  HM_ASSIGN_OR_RETURN(call.path_and_query, ObjectPath(resource, ns, name));
  if (!options.resource_version.empty() || !options.uid.empty()) {
    nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    if (!options.resource_version.empty()) {
      body["preconditions"]["resourceVersion"] = options.resource_version;
    }
    if (!options.uid.empty()) body["preconditions"]["uid"] = options.uid;
    call.body = internal::Dump(body);
    call.content_type = "application/json";
  }
  call.method = net::Method::kDelete;
  call.what = absl::StrCat("DELETE ", Where(resource, ns, name));
  call.retry_transport = true;  // a repeat after success is a 404
  call.timeout = options_.request_timeout;
  HM_ASSIGN_OR_RETURN(net::HttpResponse resp, Send(call, nullptr));
  if (!resp.ok()) return ErrorFromResponse(resp, call.what, clock_.Now());
  return absl::OkStatus();
}

}  // namespace hallmark::kube
