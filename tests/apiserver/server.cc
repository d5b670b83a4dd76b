#include "tests/apiserver/server.h"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/file.h"
#include "base/http_server_thread.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "httplib.h"
#include "tests/apiserver/api_error.h"
#include "tests/apiserver/auth.h"
#include "tests/apiserver/discovery.h"
#include "tests/apiserver/faults.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/protobuf_codec.h"
#include "tests/apiserver/request_info.h"
#include "tests/apiserver/request_log.h"
#include "tests/apiserver/seed.h"
#include "tests/apiserver/selector.h"
#include "tests/apiserver/table.h"
#include "tests/apiserver/tls.h"
#include "tests/apiserver/webhook_admission.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr size_t kMaxRequestBody = 3 * 1024 * 1024 + 512 * 1024;
constexpr size_t kMaxDataFile = 1024 * 1024 * 1024;
constexpr char kKnobPrefix[] = "/__hallmark/";
// How long Stop() lets requests in flight finish before it shuts the connections down.
constexpr absl::Duration kStopGrace = absl::Milliseconds(250);
constexpr size_t kMaxLoggedBody = 16 * 1024;
// Watch responses are JSON; the parameter keeps cpp-httplib from gzip-buffering the stream
// (kube-apiserver does not compress watches either) and is what kube uses for non-JSON watches.
constexpr char kWatchContentType[] = "application/json;stream=watch";

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

std::string RawQuery(const httplib::Request& req) {
  size_t q = req.target.find('?');
  return q == std::string::npos ? "" : req.target.substr(q + 1);
}

std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(t));
}

// TableWatch: a watch whose object events carry one-row Tables (kubectl get -w without -o);
// the first one has the column definitions, later ones none, as kube-apiserver sends them.
class TableWatch : public WatchStream {
 public:
  TableWatch(std::shared_ptr<WatchStream> inner, TableConverter table)
      : inner_(std::move(inner)), table_(std::move(table)) {}

  Output Next(absl::Duration max_wait) override {
    Output out = inner_->Next(max_wait);
    std::string converted;
    for (absl::string_view line : absl::StrSplit(out.data, '\n', absl::SkipEmpty())) {
      json event = json::parse(line, nullptr, false);
      std::string type = event.is_discarded() ? "" : StringAt(event, {"type"});
      if (type == "ADDED" || type == "MODIFIED" || type == "DELETED") {
        event["object"] = table_.FromObject(event["object"], absl::Now(), first_);
        first_ = false;
        absl::StrAppend(&converted, Dump(event), "\n");
      } else {
        absl::StrAppend(&converted, line, "\n");
      }
    }
    out.data = std::move(converted);
    return out;
  }

 private:
  std::shared_ptr<WatchStream> inner_;
  TableConverter table_;
  bool first_ = true;
};

// What a request addresses, after routing.
struct Target {
  enum class Kind { kNone, kResource } kind = Kind::kNone;
  std::shared_ptr<const Registry> registry;
  const ResourceInfo* info = nullptr;
  std::string ns;
  std::string name;
  std::string subresource;
  bool watch_path = false;  // deprecated /watch/ prefix
};

}  // namespace

class ApiServer::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)) {}

  ~Impl() { Stop(); }

  absl::Status Init() {
    EngineOptions eo;
    eo.clock = options_.clock;
    eo.history_limit = options_.history_limit;
    bool have_data = !options_.data_file.empty() && FileExists(options_.data_file);
    eo.create_default_namespaces = !have_data;
    eo.preinstall_crds = !have_data;
    HM_ASSIGN_OR_RETURN(engine_, ApiEngine::New(eo));
    if (have_data) {
      HM_ASSIGN_OR_RETURN(std::string data, ReadFile(options_.data_file, kMaxDataFile));
      absl::Status s = engine_->Load(data);
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("loading --data ", options_.data_file, ": ", s.message()));
      }
    }
    for (const auto& seed : options_.seeds) {
      HM_ASSIGN_OR_RETURN(std::vector<json> objects, LoadManifests(seed));
      for (auto& o : objects) {
        absl::Status s = engine_->Seed(std::move(o));
        if (!s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("seeding from ", seed, ": ", s.message()));
        }
      }
    }
    HM_ASSIGN_OR_RETURN(request_log_, RequestLog::Open(options_.request_log_file));
    auth_ = std::make_unique<Authenticator>(options_.tokens, !options_.client_ca.empty());
    admission_ = std::make_unique<WebhookAdmission>(engine_.get(), options_.webhook_hosts);
    engine_->SetAdmission(admission_.get());
    // TLS.
    std::string cert = options_.tls_cert, key = options_.tls_key;
    if (!options_.tls_self_signed_dir.empty()) {
      if (!cert.empty() || !key.empty()) {
        return absl::InvalidArgumentError("--tls-self-signed excludes --tls-cert/--tls-key");
      }
      HM_ASSIGN_OR_RETURN(TlsFiles files, EnsureSelfSignedTls(options_.tls_self_signed_dir));
      cert = files.cert;
      key = files.key;
    }
    if (cert.empty() != key.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (!options_.client_ca.empty() && cert.empty()) {
      return absl::InvalidArgumentError(
          "--client-ca needs TLS (--tls-cert/--tls-key or --tls-self-signed)");
    }
    if (!cert.empty()) {
      absl::Status tls_status;
      std::string client_ca = options_.client_ca;
      auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
        tls_status = ConfigureServerContext(&ctx, cert, key, client_ca);
        return tls_status.ok();
      });
      HM_RETURN_IF_ERROR(tls_status);
      if (!server->is_valid()) return absl::InvalidArgumentError("TLS set-up failed");
      http_ = std::move(server);
      tls_ = true;
    } else {
      http_ = std::make_unique<httplib::Server>();
    }
    int threads = std::max(options_.threads, 8);
    http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http_->set_payload_max_length(kMaxRequestBody);
    http_->set_read_timeout(30, 0);
    http_->set_write_timeout(30, 0);
    http_->set_keep_alive_timeout(5);
    http_->set_keep_alive_max_count(1000);
    // Responses go out as several small writes (headers, body, watch chunks): without
    // TCP_NODELAY, Nagle plus the client's delayed ACK add ~40 ms to each of them.
    http_->set_tcp_nodelay(true);
    httplib::Server::Handler handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    http_->Get(".*", handler);
    http_->Post(".*", handler);
    http_->Put(".*", handler);
    http_->Patch(".*", handler);
    http_->Delete(".*", handler);
    http_->Options(".*", handler);
    return absl::OkStatus();
  }

  absl::Status Start() {
    HttpServerThreadOptions serve;
    serve.stop_grace = kStopGrace;
    HM_ASSIGN_OR_RETURN(
        serving_, HttpServerThread::Start(std::move(http_), options_.host, options_.port, serve));
    port_ = serving_->port();
    if (!options_.data_file.empty()) {
      persister_ = std::thread([this] { PersistLoop(); });
    }
    return absl::OkStatus();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    if (engine_ == nullptr) return;
    engine_->store()->Close();  // ends the watches, so only short requests are in flight
    if (serving_ != nullptr) serving_->Stop();
    stop_persisting_.Notify();
    if (persister_.joinable()) persister_.join();
    if (!options_.data_file.empty()) Persist();
  }

  std::string url() const {
    std::string host = absl::StrContains(options_.host, ":") ? absl::StrCat("[", options_.host, "]")
                                                             : options_.host;
    return absl::StrCat(tls_ ? "https://" : "http://", host, ":", port_);
  }

  int port() const { return port_; }
  ApiEngine* engine() { return engine_.get(); }

 private:
  // ---- persistence ----

  void PersistLoop() {
    uint64_t written = engine_->store()->ChangeCounter();
    while (!stop_persisting_.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
      uint64_t now = engine_->store()->ChangeCounter();
      if (now == written) continue;
      written = now;
      Persist();
    }
  }

  void Persist() {
    absl::MutexLock lock(&persist_mu_);
    absl::Status s = WriteFileAtomic(options_.data_file, engine_->Serialize(), 0600);
    if (!s.ok()) log::Error("writing --data failed", {{"error", std::string(s.message())}});
  }

  // ---- responses ----

  static void SendJson(httplib::Response& res, int code, const std::string& body) {
    res.status = code;
    res.set_content(body, "application/json");
  }

  static void SendError(httplib::Response& res, const ApiError& e) {
    if (e.retry_after_seconds > 0)
      res.set_header("Retry-After", absl::StrCat(e.retry_after_seconds));
    SendJson(res, e.code, Dump(e.ToJson()));
  }

  static void SendStatus(httplib::Response& res, const absl::Status& s) {
    SendError(res, ApiError::FromStatus(s));
  }

  static void SendWrite(httplib::Response& res, const WriteResult& w) {
    for (const auto& warning : w.warnings) res.headers.emplace("Warning", warning);
    SendJson(res, w.code, w.body);
  }

  // ---- dispatch ----

  void Handle(const httplib::Request& req, httplib::Response& res) {
    absl::Time start = absl::Now();
    RequestRecord rec;
    rec.time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", start, absl::UTCTimeZone());
    rec.method = req.method;
    rec.path = req.path;
    rec.query = RawQuery(req);
    rec.user_agent = req.get_header_value("User-Agent");
    rec.content_type = req.get_header_value("Content-Type");
    rec.accept = req.get_header_value("Accept");
    bool knob = absl::StartsWith(req.path, kKnobPrefix);
    // Defense in depth: handlers check JSON types, but no exception may escape to httplib.
    try {
      if (knob) {
        HandleKnob(req, res);
      } else {
        HandleApi(req, res, &rec);
      }
    } catch (const std::exception& e) {
      SendEscapedException(req, res, e.what());
    } catch (...) {
      SendEscapedException(req, res, "an exception of an unknown type");
    }
    if (knob) return;
    rec.status = res.status;
    rec.duration_ms = absl::ToInt64Milliseconds(absl::Now() - start);
    request_log_->Add(std::move(rec));
  }

  // SendEscapedException: a 500 Status naming the request, and an error in the server's log.
  static void SendEscapedException(const httplib::Request& req, httplib::Response& res,
                                   absl::string_view what) {
    log::Error("request handler failed with an exception",
               {{"method", req.method}, {"path", req.path}, {"error", std::string(what)}});
    res.headers.clear();
    SendError(res, ApiError::InternalError(absl::StrCat("unexpected error handling ", req.method,
                                                        " ", req.path, ": ", what)));
  }

  void HandleApi(const httplib::Request& req, httplib::Response& res, RequestRecord* rec) {
    const std::string& path = req.path;
    bool public_path = path == "/version" || path == "/healthz" || path == "/livez" ||
                       path == "/readyz" || absl::StartsWith(path, "/version/");
    ClientCertificate cert = tls_ ? PeerCertificate(req.ssl) : ClientCertificate{};
    absl::StatusOr<UserInfo> user =
        auth_->Authenticate(req.get_header_value("Authorization"), cert);
    if (!user.ok() && !public_path) {
      SendError(res, ApiError::Unauthorized());
      return;
    }
    if (user.ok()) rec->user = user->username;
    // The log and the fault rules see what kube-apiserver's RequestInfo makes of the request
    // (what RBAC authorises), whether or not the resource exists.
    RequestInfo info = ParseRequestInfo(req.method, path, req.params);
    rec->verb = info.verb;
    if (info.resource_request) {
      rec->api_group = info.api_group;
      rec->resource = info.resource;
      rec->subresource = info.subresource;
      rec->ns = info.namespace_;
      rec->name = info.name;
    }
    Target target;
    std::string verb;
    absl::Status routed = Route(req, &target, &verb);
    bool write = verb == "create" || verb == "update" || verb == "patch" || verb == "delete" ||
                 verb == "deletecollection";
    bool secret = info.resource_request && info.api_group.empty() && info.resource == "secrets";
    if (write && !secret && !req.body.empty()) {
      rec->body = req.body.size() > kMaxLoggedBody ? req.body.substr(0, kMaxLoggedBody) : req.body;
    }
    if (std::optional<FaultAction> fault = faults_.Take(req.method, path, info.verb)) {
      if (fault->stall > absl::ZeroDuration()) absl::SleepFor(fault->stall);
      if (!fault->exception.empty()) throw std::runtime_error(fault->exception);
      if (fault->code != 0) {
        ApiError e = ApiError::WithCode(
            fault->code, fault->message.empty()
                             ? absl::StrCat("injected failure (hallmark-apiserver fault rule)")
                             : fault->message);
        if (fault->code == 429 || fault->retry_after > 0) {
          e.retry_after_seconds = fault->retry_after;
          e.has_details = fault->retry_after > 0;
        }
        SendError(res, e);
        return;
      }
    }
    if (!routed.ok()) {
      SendStatus(res, routed);
      return;
    }
    if (target.kind == Target::Kind::kResource) {
      HandleResource(req, res, target, verb, user.ok() ? *user : UserInfo{});
      return;
    }
    HandleNonResource(req, res);
  }

  // Route resolves resource paths; `verb` is the Kubernetes verb (or "get" for other paths).
  absl::Status Route(const httplib::Request& req, Target* t, std::string* verb) {
    std::vector<std::string> seg = absl::StrSplit(req.path, '/', absl::SkipEmpty());
    *verb = absl::AsciiStrToLower(req.method);
    if (seg.empty()) return absl::OkStatus();
    std::string group, version;
    size_t rest;
    if (seg[0] == "api" && seg.size() >= 3) {
      version = seg[1];
      rest = 2;
    } else if (seg[0] == "apis" && seg.size() >= 4) {
      group = seg[1];
      version = seg[2];
      rest = 3;
    } else {
      return absl::OkStatus();  // discovery, openapi, version...
    }
    std::vector<std::string> r(seg.begin() + static_cast<long>(rest), seg.end());
    if (!r.empty() && r[0] == "watch") {
      t->watch_path = true;
      r.erase(r.begin());
      if (r.empty()) return ToStatus(ApiError::NotFoundPath());
    }
    t->registry = engine_->registry();
    auto find = [&](const std::string& resource) {
      return t->registry->Find(group, version, resource);
    };
    const ResourceInfo* info = nullptr;
    bool namespace_subresource =
        group.empty() && r.size() == 3 && (r[2] == "status" || r[2] == "finalize");
    if (r.size() >= 3 && r[0] == "namespaces" && !namespace_subresource) {
      // /namespaces/NS/RESOURCE[/NAME[/SUB]]
      info = find(r[2]);
      if (info == nullptr || !info->namespaced || r.size() > 5) {
        return ToStatus(ApiError::NotFoundPath());
      }
      t->ns = r[1];
      if (r.size() >= 4) t->name = r[3];
      if (r.size() == 5) t->subresource = r[4];
    } else {
      info = find(r[0]);
      if (info == nullptr || r.size() > 3) return ToStatus(ApiError::NotFoundPath());
      if (r.size() >= 2) t->name = r[1];
      if (r.size() == 3) t->subresource = r[2];
      if (info->namespaced && !t->name.empty()) return ToStatus(ApiError::NotFoundPath());
    }
    t->info = info;
    t->kind = Target::Kind::kResource;
    // As kube: `watch` turns a list into a watch; a GET of a named object stays a get.
    bool watch = t->watch_path || (t->name.empty() && QueryBool(req.params, "watch"));
    if (req.method == "GET") {
      *verb = watch ? "watch" : (t->name.empty() ? "list" : "get");
    } else if (req.method == "POST") {
      *verb = "create";
    } else if (req.method == "PUT") {
      *verb = "update";
    } else if (req.method == "PATCH") {
      *verb = "patch";
    } else if (req.method == "DELETE") {
      *verb = t->name.empty() ? "deletecollection" : "delete";
    }
    if (!t->subresource.empty() && !(t->subresource == "status" && info->status_subresource)) {
      return ToStatus(ApiError::NotFoundPath());
    }
    return absl::OkStatus();
  }

  void HandleNonResource(const httplib::Request& req, httplib::Response& res) {
    const std::string& path = req.path;
    if (req.method != "GET") {
      SendError(res, ApiError::NotFoundPath());
      return;
    }
    auto reg = engine_->registry();
    if (path == "/version" || path == "/version/") {
      SendJson(res, 200, Dump(VersionInfo()));
    } else if (path == "/healthz" || path == "/livez" || path == "/readyz") {
      res.status = 200;
      res.set_content("ok", "text/plain; charset=utf-8");
    } else if (path == "/api" || path == "/api/") {
      SendJson(res, 200, Dump(ApiVersions(absl::StrCat(options_.host, ":", port_))));
    } else if (path == "/apis" || path == "/apis/") {
      SendJson(res, 200, Dump(ApiGroupList(*reg)));
    } else if (path == "/openapi/v3" || path == "/openapi/v3/") {
      SendJson(res, 200, Dump(OpenApiV3Root(*reg)));
    } else if (absl::StartsWith(path, "/openapi/v3/")) {
      absl::StatusOr<json> doc = OpenApiV3Document(*reg, path.substr(12));
      if (doc.ok()) {
        SendJson(res, 200, Dump(*doc));
      } else {
        SendError(res, ApiError::NotFoundPath());
      }
    } else {
      std::vector<std::string> seg = absl::StrSplit(path, '/', absl::SkipEmpty());
      json doc;
      if (seg.size() == 2 && seg[0] == "api") {
        doc = ApiResourceList(*reg, "", seg[1]);
      } else if (seg.size() == 2 && seg[0] == "apis") {
        doc = ApiGroup(*reg, seg[1]);
      } else if (seg.size() == 3 && seg[0] == "apis") {
        doc = ApiResourceList(*reg, seg[1], seg[2]);
      }
      if (doc.is_null()) {
        SendError(res, ApiError::NotFoundPath());
      } else {
        SendJson(res, 200, Dump(doc));
      }
    }
  }

  absl::StatusOr<json> ParseBody(const httplib::Request& req, const ResourceInfo& info) {
    std::string type = MediaType(req.get_header_value("Content-Type"));
    if (type.empty() || type == "application/json") {
      absl::StatusOr<json> body = ParseJson(req.body);
      if (!body.ok()) {
        return ToStatus(ApiError::BadRequest(absl::StrCat(
            "the object provided is unrecognized (must be of type ", info.kind,
            "): couldn't get version/kind; json parse error: ", body.status().message())));
      }
      return body;
    }
    if (type == "application/yaml") {
      absl::StatusOr<std::vector<json>> docs = ParseManifests(req.body, "request body");
      if (!docs.ok() || docs->size() != 1) {
        return ToStatus(ApiError::BadRequest("the request body must be one YAML document"));
      }
      return (*docs)[0];
    }
    if (type == "application/vnd.kubernetes.protobuf") {
      absl::StatusOr<json> body = DecodeProtobufObject(req.body);
      if (body.ok()) return body;
      if (body.status().code() != absl::StatusCode::kUnimplemented) {
        return ToStatus(ApiError::BadRequest(std::string(body.status().message())));
      }
      return ToStatus(ApiError::UnsupportedMediaType(absl::StrCat(
          "the body of the request was in an unknown format - accepted media types include: "
          "application/json, application/yaml (hallmark-apiserver decodes protobuf bodies only "
          "for v1 Namespace, ConfigMap, Secret, ServiceAccount and SelfSubjectAccessReview, not ",
          body.status().message(), ")")));
    }
    return ToStatus(ApiError::UnsupportedMediaType(absl::StrCat(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf (not ",
        type, ")")));
  }

  absl::StatusOr<WriteOptions> ParseWriteOptions(const httplib::Request& req,
                                                 const UserInfo& user) {
    WriteOptions o;
    o.field_manager = Param(req, "fieldManager");
    o.field_validation = Param(req, "fieldValidation");
    if (!o.field_validation.empty() && o.field_validation != "Strict" &&
        o.field_validation != "Warn" && o.field_validation != "Ignore") {
      return ToStatus(ApiError::BadRequest(
          absl::StrCat("fieldValidation: Unsupported value: ", GoQuote(o.field_validation),
                       ": supported values: \"Ignore\", \"Strict\", \"Warn\"")));
    }
    std::string dry = Param(req, "dryRun");
    if (!dry.empty() && dry != "All") {
      return ToStatus(ApiError::BadRequest(absl::StrCat("dryRun: Unsupported value: ", GoQuote(dry),
                                                        ": supported values: \"All\"")));
    }
    o.dry_run = dry == "All";
    o.force = QueryBool(req.params, "force");
    o.user = user;
    return o;
  }

  void HandleResource(const httplib::Request& req, httplib::Response& res, const Target& t,
                      const std::string& verb, const UserInfo& user) {
    const ResourceInfo& info = *t.info;
    if (info.create_only && verb != "create") {
      SendError(res, ApiError::MethodNotSupported(info.gr(), verb));
      return;
    }
    if (verb == "list" || verb == "get") {
      TableConverter table(info);
      bool as_table = table.Supported() && WantsTable(req.get_header_value("Accept"));
      if (verb == "get") {
        absl::StatusOr<std::string> body = engine_->Get(info, t.ns, t.name);
        if (!body.ok()) return SendStatus(res, body.status());
        if (as_table) {
          return SendJson(res, 200, Dump(table.FromObject(json::parse(*body), absl::Now(), true)));
        }
        return SendJson(res, 200, *body);
      }
      ListOptions lo;
      lo.label_selector = Param(req, "labelSelector");
      lo.field_selector = Param(req, "fieldSelector");
      lo.continue_token = Param(req, "continue");
      lo.resource_version = Param(req, "resourceVersion");
      std::string limit = Param(req, "limit");
      if (!limit.empty() && !absl::SimpleAtoi(limit, &lo.limit)) {
        return SendError(res,
                         ApiError::BadRequest(absl::StrCat("invalid limit: ", GoQuote(limit))));
      }
      absl::StatusOr<std::string> body = engine_->List(info, t.ns, lo);
      if (!body.ok()) return SendStatus(res, body.status());
      if (as_table)
        return SendJson(res, 200, Dump(table.FromList(json::parse(*body), absl::Now())));
      return SendJson(res, 200, *body);
    }
    if (verb == "watch") return StartWatch(req, res, t);
    absl::StatusOr<WriteOptions> wo = ParseWriteOptions(req, user);
    if (!wo.ok()) return SendStatus(res, wo.status());
    if (verb == "create") {
      if (!t.name.empty()) {
        return SendError(res, ApiError::MethodNotSupported(info.gr(), "create"));
      }
      absl::StatusOr<json> body = ParseBody(req, info);
      if (!body.ok()) return SendStatus(res, body.status());
      absl::StatusOr<WriteResult> r = engine_->Create(info, t.ns, std::move(*body), *wo);
      if (!r.ok()) return SendStatus(res, r.status());
      return SendWrite(res, *r);
    }
    if (verb == "update") {
      if (t.name.empty()) return SendError(res, ApiError::MethodNotSupported(info.gr(), "update"));
      absl::StatusOr<json> body = ParseBody(req, info);
      if (!body.ok()) return SendStatus(res, body.status());
      absl::StatusOr<WriteResult> r =
          engine_->Update(info, t.ns, t.name, t.subresource, std::move(*body), *wo);
      if (!r.ok()) return SendStatus(res, r.status());
      return SendWrite(res, *r);
    }
    if (verb == "patch") {
      if (t.name.empty()) return SendError(res, ApiError::MethodNotSupported(info.gr(), "patch"));
      absl::StatusOr<WriteResult> r = engine_->Patch(
          info, t.ns, t.name, t.subresource, req.get_header_value("Content-Type"), req.body, *wo);
      if (!r.ok()) return SendStatus(res, r.status());
      return SendWrite(res, *r);
    }
    if (verb == "delete" || verb == "deletecollection") {
      json options = json::object();
      if (!absl::StripAsciiWhitespace(req.body).empty()) {
        absl::StatusOr<json> body = ParseJson(req.body);
        if (!body.ok() || !body->is_object()) {
          return SendError(res,
                           ApiError::BadRequest("the DeleteOptions body is not a JSON object"));
        }
        options = std::move(*body);
      }
      if (req.has_param("propagationPolicy"))
        options["propagationPolicy"] = Param(req, "propagationPolicy");
      if (StringAt(options, {"dryRun"}).empty()) {
        const json* dry = Member(options, "dryRun");
        if (dry != nullptr && dry->is_array() && !dry->empty()) wo->dry_run = true;
      }
      absl::StatusOr<WriteResult> r;
      if (verb == "delete") {
        r = engine_->Delete(info, t.ns, t.name, options, *wo);
      } else {
        ListOptions lo;
        lo.label_selector = Param(req, "labelSelector");
        lo.field_selector = Param(req, "fieldSelector");
        r = engine_->DeleteCollection(info, t.ns, lo, options, *wo);
      }
      if (!r.ok()) return SendStatus(res, r.status());
      return SendWrite(res, *r);
    }
    SendError(res, ApiError::MethodNotSupported(info.gr(), verb));
  }

  void StartWatch(const httplib::Request& req, httplib::Response& res, const Target& t) {
    WatchOptions wo;
    wo.label_selector = Param(req, "labelSelector");
    wo.field_selector = Param(req, "fieldSelector");
    if (!t.name.empty()) {
      // GET /watch/.../NAME (deprecated form): a watch of that one object. As in kube, a field
      // selector may only repeat the name.
      if (wo.field_selector.empty()) {
        wo.field_selector =
            absl::StrCat("metadata.name=",
                         absl::StrReplaceAll(t.name, {{"\\", "\\\\"}, {",", "\\,"}, {"=", "\\="}}));
      } else {
        absl::StatusOr<FieldSelector> fields = FieldSelector::Parse(wo.field_selector);
        if (fields.ok() && fields->RequiresExactMatch("metadata.name") != t.name) {
          return SendError(res, ApiError::BadRequest(
                                    "fieldSelector metadata.name doesn't match requested name"));
        }
      }
    }
    wo.resource_version = Param(req, "resourceVersion");
    wo.resource_version_match = Param(req, "resourceVersionMatch");
    wo.allow_bookmarks = QueryBool(req.params, "allowWatchBookmarks");
    wo.send_initial_events = QueryBool(req.params, "sendInitialEvents");
    std::string timeout = Param(req, "timeoutSeconds");
    if (!timeout.empty()) {
      int64_t seconds;
      if (!absl::SimpleAtoi(timeout, &seconds)) {
        return SendError(
            res, ApiError::BadRequest(absl::StrCat("invalid timeoutSeconds: ", GoQuote(timeout))));
      }
      wo.timeout_seconds = seconds;
    }
    uint64_t epoch = engine_->store()->WatchEpoch();
    absl::StatusOr<std::unique_ptr<WatchStream>> stream = engine_->Watch(*t.info, t.ns, wo);
    if (!stream.ok()) return SendStatus(res, stream.status());
    std::shared_ptr<WatchStream> watch(std::move(*stream));
    TableConverter table(*t.info);
    if (table.Supported() && WantsTable(req.get_header_value("Accept"))) {
      watch = std::make_shared<TableWatch>(std::move(watch), std::move(table));
    }
    res.status = 200;
    res.set_header("Cache-Control", "no-cache, private");
    res.set_chunked_content_provider(
        kWatchContentType, [this, watch, epoch](size_t, httplib::DataSink& sink) {
          WatchStream::Output out = watch->Next(absl::Seconds(1));
          if (!out.data.empty() && !sink.write(out.data.data(), out.data.size())) return false;
          if (out.finished) {
            // After an abrupt drop-watches knob the connection closes without the final chunk.
            if (AbruptlyDropped(epoch)) return false;
            sink.done();
            return true;
          }
          // A client that went away is noticed here within a second, not at the next event.
          return sink.is_writable();
        });
  }

  bool AbruptlyDropped(uint64_t epoch) {
    absl::MutexLock lock(&knob_mu_);
    return epoch < abrupt_epoch_;
  }

  // ---- knobs ----

  void HandleKnob(const httplib::Request& req, httplib::Response& res) {
    std::string what = req.path.substr(sizeof(kKnobPrefix) - 1);
    Store* store = engine_->store();
    auto ok = [&](json body) { SendJson(res, 200, Dump(body)); };
    auto bad = [&](const std::string& m) { SendError(res, ApiError::BadRequest(m)); };
    if (what == "state" && req.method == "GET") {
      return ok({{"revision", store->Revision()},
                 {"compactedRevision", store->CompactedRevision()},
                 {"objects", store->ObjectCount()},
                 {"historyEvents", store->HistorySize()},
                 {"watchEpoch", store->WatchEpoch()},
                 {"tokens", auth_->TokenCount()}});
    }
    if (what == "compact" && req.method == "POST") {
      uint64_t rv = store->Revision();
      std::string p = Param(req, "revision");
      if (!p.empty() && !absl::SimpleAtoi(p, &rv)) return bad("revision must be a number");
      store->Compact(rv);
      return ok({{"compactedRevision", store->CompactedRevision()}});
    }
    if (what == "drop-watches" && req.method == "POST") {
      bool abrupt = QueryBool(req.params, "abrupt");
      {
        absl::MutexLock lock(&knob_mu_);
        if (abrupt) abrupt_epoch_ = store->WatchEpoch() + 1;
      }
      store->DropWatches();
      return ok({{"watchEpoch", store->WatchEpoch()}});
    }
    if (what == "faults") {
      if (req.method == "GET") return ok(faults_.List());
      if (req.method == "DELETE") {
        faults_.Clear();
        return ok(faults_.List());
      }
      if (req.method == "POST") {
        absl::StatusOr<json> body = ParseJson(req.body);
        if (!body.ok()) return bad(std::string(body.status().message()));
        absl::StatusOr<FaultRule> rule = FaultRule::Parse(*body);
        if (!rule.ok()) return bad(std::string(rule.status().message()));
        faults_.Add(std::move(*rule));
        return ok(faults_.List());
      }
    }
    if (what == "tokens") {
      if (req.method == "GET") return ok({{"count", auth_->TokenCount()}});
      if (req.method == "PUT" || req.method == "POST") {
        absl::StatusOr<json> body = ParseJson(req.body);
        const json* list = body.ok() ? Member(*body, "tokens") : nullptr;
        if (list == nullptr || !list->is_array()) return bad("body must be {\"tokens\": [...]}");
        std::vector<SecretData> tokens;
        for (const auto& t : *list) {
          if (!t.is_string() || t.get_ref<const std::string&>().empty()) {
            return bad("tokens must be non-empty strings");
          }
          tokens.emplace_back(t.get_ref<const std::string&>());
        }
        auth_->SetTokens(std::move(tokens));
        return ok({{"count", auth_->TokenCount()}});
      }
    }
    if (what == "requests") {
      if (req.method == "GET") {
        uint64_t since = 0;
        std::string p = Param(req, "since");
        if (!p.empty() && !absl::SimpleAtoi(p, &since)) return bad("since must be a number");
        return ok(request_log_->Entries(since));
      }
      if (req.method == "DELETE") {
        request_log_->Clear();
        return ok(json::object());
      }
    }
    if (what == "watch-settings" && (req.method == "PUT" || req.method == "POST")) {
      absl::StatusOr<json> body = ParseJson(req.body);
      if (!body.ok() || !body->is_object()) return bad("body must be a JSON object");
      WatchSettings s = engine_->watch_settings();
      if (const json* v = Member(*body, "bookmarkIntervalSeconds"); v != nullptr) {
        if (!v->is_number() || v->get<double>() <= 0)
          return bad("bookmarkIntervalSeconds must be > 0");
        s.bookmark_interval = absl::Seconds(v->get<double>());
      }
      if (const json* v = Member(*body, "expiredAs"); v != nullptr) {
        if (!v->is_string() || (*v != "event" && *v != "http")) {
          return bad("expiredAs must be \"event\" or \"http\"");
        }
        s.expired_as_http = *v == "http";
      }
      if (const json* v = Member(*body, "maxPageSize"); v != nullptr) {
        if (!v->is_number_integer() || v->get<int64_t>() < 0)
          return bad("maxPageSize must be >= 0");
        s.max_page = v->get<int64_t>();
      }
      engine_->SetWatchSettings(s);
      return ok({{"bookmarkIntervalSeconds", absl::ToDoubleSeconds(s.bookmark_interval)},
                 {"expiredAs", s.expired_as_http ? "http" : "event"},
                 {"maxPageSize", s.max_page}});
    }
    if (what == "seed" && req.method == "POST") {
      absl::StatusOr<std::vector<json>> objects = ParseManifests(req.body, "seed body");
      if (!objects.ok()) return bad(std::string(objects.status().message()));
      int n = 0;
      for (auto& o : *objects) {
        absl::Status s = engine_->Seed(std::move(o));
        if (!s.ok()) return bad(std::string(s.message()));
        ++n;
      }
      return ok({{"seeded", n}, {"revision", store->Revision()}});
    }
    SendError(res, ApiError::NotFoundPath());
  }

  ServerOptions options_;
  std::unique_ptr<ApiEngine> engine_;
  std::unique_ptr<RequestLog> request_log_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<WebhookAdmission> admission_;
  std::unique_ptr<httplib::Server> http_;  // configured by Init, served by Start
  std::unique_ptr<HttpServerThread> serving_;
  FaultInjector faults_;
  bool tls_ = false;
  int port_ = 0;
  std::thread persister_;
  absl::Notification stop_persisting_;
  absl::Mutex persist_mu_;
  std::atomic<bool> stopped_{false};
  absl::Mutex knob_mu_;
  uint64_t abrupt_epoch_ ABSL_GUARDED_BY(knob_mu_) = 0;
};

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::New(ServerOptions options) {
  std::unique_ptr<ApiServer> server(new ApiServer());
  server->impl_ = std::make_unique<Impl>(std::move(options));
  HM_RETURN_IF_ERROR(server->impl_->Init());
  return server;
}

ApiServer::~ApiServer() = default;

absl::Status ApiServer::Start() { return impl_->Start(); }
void ApiServer::Stop() { impl_->Stop(); }
int ApiServer::port() const { return impl_->port(); }
std::string ApiServer::url() const { return impl_->url(); }
ApiEngine* ApiServer::engine() { return impl_->engine(); }

}  // namespace hallmark::tests::apiserver
