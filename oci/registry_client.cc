#include "oci/registry_client.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/status_macros.h"
#include "net/host.h"
#include "net/redirect.h"
#include "net/url.h"
#include "nlohmann/json.hpp"
#include "oci/auth_challenge.h"
#include "oci/content_digest.h"
#include "oci/media_types.h"

namespace hallmark::oci {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxTokenResponseBytes = 64 * 1024;
constexpr size_t kMaxTokenBytes = 16 * 1024;
constexpr size_t kMaxErrorBodyBytes = 64 * 1024;
constexpr size_t kMaxPages = 1000;
// Registries must give tokens at least this long a life (distribution token spec).
constexpr absl::Duration kMinTokenLifetime = absl::Seconds(60);
constexpr absl::Duration kProbeTimeout = absl::Seconds(10);

std::string PercentEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::BytesToHexString(
                          absl::string_view(reinterpret_cast<const char*>(&c), 1))));
    }
  }
  return out;
}

std::string AppendQuery(absl::string_view url, absl::string_view param) {
  return absl::StrCat(url, absl::StrContains(url, "?") ? "&" : "?", param);
}

std::string MediaTypeOf(const net::HttpResponse& r) {
  std::string type = r.headers.Get("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  return std::string(absl::StripAsciiWhitespace(type));
}

// RegistryErrorText: the `errors` a registry put in its body ("CODE: message; ..."), else the
// start of the body, C-escaped.
std::string RegistryErrorText(const net::HttpResponse& r) {
  if (r.body.empty()) return "";
  Json j;
  try {
    j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    j = Json();
  }
  std::vector<std::string> parts;
  if (j.is_object()) {
    auto errors = j.find("errors");
    if (errors != j.end() && errors->is_array()) {
      for (const Json& e : *errors) {
        if (parts.size() == 3 || !e.is_object()) break;
        std::string code, message;
        if (auto c = e.find("code"); c != e.end() && c->is_string()) code = c->get<std::string>();
        if (auto m = e.find("message"); m != e.end() && m->is_string()) {
          message = m->get<std::string>();
        }
        parts.push_back(
            absl::CHexEscape(absl::StrCat(code, code.empty() ? "" : ": ", message.substr(0, 200))));
      }
    }
  }
  if (!parts.empty()) return absl::StrJoin(parts, "; ");
  absl::string_view start = absl::string_view(r.body).substr(0, 200);
  return absl::StrCat(absl::CHexEscape(absl::StripAsciiWhitespace(start)),
                      r.body.size() > 200 ? "..." : "");
}

// ResponseError: a non-2xx response as a Status whose code carries the retry decision
// (net::HttpStatusToStatus) and whose message says what we were doing and what the registry said.
absl::Status ResponseError(const net::HttpResponse& r, absl::string_view what) {
  absl::StatusCode code = net::HttpStatusToStatus(r, what).code();
  std::string detail = RegistryErrorText(r);
  return absl::Status(code,
                      absl::StrCat(what, ": HTTP ", r.status, detail.empty() ? "" : ": ", detail));
}

absl::Status Wrap(const absl::Status& s, absl::string_view what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

// NextLink: the target of a `Link: <url>; rel="next"` header, "" if none.
std::string NextLink(const net::HttpResponse& r) {
  for (const std::string& field : r.headers.GetAll("Link")) {
    for (absl::string_view link : absl::StrSplit(field, ',')) {
      link = absl::StripAsciiWhitespace(link);
      if (!absl::StartsWith(link, "<")) continue;
      size_t close = link.find('>');
      if (close == absl::string_view::npos) continue;
      absl::string_view target = link.substr(1, close - 1);
      for (absl::string_view param : absl::StrSplit(link.substr(close + 1), ';')) {
        param = absl::StripAsciiWhitespace(param);
        if (absl::EqualsIgnoreCase(param, "rel=\"next\"") ||
            absl::EqualsIgnoreCase(param, "rel=next")) {
          return std::string(target);
        }
      }
    }
  }
  return "";
}

bool IsPrintableToken(absl::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

struct RegistryClient::Call {
  std::string registry;
  const Repository* repo = nullptr;  // token scope; nullptr: registry-wide
  Access access = Access::kPull;
  net::Method method = net::Method::kGet;
  std::string url;  // absolute
  // False when `url` (an upload Location) is on another origin than the registry: no
  // credentials are sent there.
  bool registry_origin = true;
  net::Headers headers;
  absl::string_view body;
  size_t max_response_bytes = kMaxErrorBodyBytes;
  bool idempotent = true;
  std::string what;  // "fetching manifest 127.0.0.1:5000/demo:v1", for errors
};

std::string TokenScope(const Repository& repo, Access access) {
  return absl::StrCat("repository:", repo.path, access == Access::kPush ? ":pull,push" : ":pull");
}

absl::StatusOr<Repository> Repository::Parse(absl::string_view text) {
  auto ref = Reference::Parse(text);
  if (!ref.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid repository \"",
                                                   absl::CHexEscape(text.substr(0, 300)),
                                                   "\": ", ref.status().message()));
  }
  if (ref->has_tag() || ref->has_digest()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid repository \"", text, "\": a repository has no tag or digest"));
  }
  return Repository::Of(*ref);
}

RegistryClient::RegistryClient(net::HttpClient& http, RegistryClientOptions options,
                               net::HttpClient* insecure_tls)
    : http_(http), insecure_tls_(insecure_tls), options_(std::move(options)) {}

RegistryClient::~RegistryClient() = default;

absl::StatusOr<std::unique_ptr<RegistryClient>> RegistryClient::New(net::HttpClient& http,
                                                                    RegistryClientOptions options,
                                                                    net::HttpClient* insecure_tls) {
  HM_RETURN_IF_ERROR(net::ValidatePolicy(options.retry));
  if (options.request_timeout <= absl::ZeroDuration() ||
      options.request_timeout == absl::InfiniteDuration() ||
      options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "registry client: request_timeout must be finite and positive, idle_timeout positive");
  }
  if (options.max_manifest_bytes == 0 || options.max_blob_bytes == 0 ||
      options.upload_chunk_bytes == 0 || options.max_redirects < 0 || options.max_tags == 0) {
    return absl::InvalidArgumentError("registry client: limits must be positive");
  }
  if (options.clock == nullptr) return absl::InvalidArgumentError("registry client: no clock");
  return std::unique_ptr<RegistryClient>(
      new RegistryClient(http, std::move(options), insecure_tls));
}

absl::StatusOr<std::unique_ptr<RegistryClient>> RegistryClient::New(
    std::unique_ptr<net::HttpClient> http, RegistryClientOptions options,
    std::unique_ptr<net::HttpClient> insecure_tls) {
  if (http == nullptr) return absl::InvalidArgumentError("registry client: no HttpClient");
  HM_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> client,
                      New(*http, std::move(options), insecure_tls.get()));
  client->owned_http_ = std::move(http);
  client->owned_insecure_tls_ = std::move(insecure_tls);
  return client;
}

RegistryClientStats RegistryClient::Stats() const {
  RegistryClientStats s;
  s.new_connections = http_.Stats().new_connections;
  s.requests = requests_.load();
  s.challenges = challenges_.load();
  s.token_requests = token_requests_.load();
  return s;
}

bool RegistryClient::IsInsecure(absl::string_view registry) const {
  return options_.allow_insecure_registries ||
         options_.insecure_registries.count(std::string(registry)) > 0;
}

absl::StatusOr<std::string> RegistryClient::BaseUrl(absl::string_view registry) {
  if (registry.empty()) return absl::InvalidArgumentError("registry client: empty registry name");
  if (IsLoopbackRegistry(registry)) return absl::StrCat("http://", registry);
  if (registry == kDockerHubRegistry) return std::string("https://registry-1.docker.io");
  if (!IsInsecure(registry)) return absl::StrCat("https://", registry);
  {
    absl::MutexLock lock(&mu_);
    const std::string& scheme = registries_[std::string(registry)].scheme;
    if (!scheme.empty()) return absl::StrCat(scheme, "://", registry);
  }
  // An insecure registry: HTTPS without certificate checks if it answers that way (one probe,
  // remembered), else plain HTTP - go-containerregistry's order.
  std::string scheme = "http";
  if (insecure_tls_ != nullptr) {
    net::HttpRequest probe;
    probe.url = absl::StrCat("https://", registry, "/v2/");
    probe.timeout = std::min(options_.request_timeout, kProbeTimeout);
    probe.idle_timeout = options_.idle_timeout;
    probe.max_response_bytes = kMaxErrorBodyBytes;
    requests_.fetch_add(1);
    if (insecure_tls_->Do(probe).ok()) scheme = "https";
  }
  absl::MutexLock lock(&mu_);
  registries_[std::string(registry)].scheme = scheme;
  return absl::StrCat(scheme, "://", registry);
}

net::HttpClient& RegistryClient::ClientFor(absl::string_view registry, absl::string_view url) {
  if (insecure_tls_ != nullptr && IsInsecure(registry) && absl::StartsWith(url, "https://")) {
    return *insecure_tls_;
  }
  return http_;
}

SecretData RegistryClient::CachedAuthorization(absl::string_view registry,
                                               const std::string& scope) {
  const Credentials* creds = options_.keychain.Find(registry);
  absl::MutexLock lock(&mu_);
  auto it = registries_.find(std::string(registry));
  if (it == registries_.end()) return SecretData();
  RegistryState& state = it->second;
  if (state.auth == RegistryState::Auth::kBasic) {
    if (creds == nullptr || !creds->HasBasic()) return SecretData();
    SecretData plain(absl::StrCat(creds->username, ":"));
    plain.resize(plain.size() + creds->password.size());
    std::copy(creds->password.data(), creds->password.data() + creds->password.size(),
              plain.data() + creds->username.size() + 1);
    return SecretData(absl::StrCat("Basic ", Base64Encode(plain.InsecureView())));
  }
  if (state.auth == RegistryState::Auth::kBearer && !scope.empty()) {
    const absl::Time now = options_.clock->Now();
    // A pull,push token also serves pulls.
    std::vector<std::string> usable = {scope};
    if (absl::EndsWith(scope, ":pull")) usable.push_back(absl::StrCat(scope, ",push"));
    for (const std::string& s : usable) {
      auto token = state.tokens.find(s);
      if (token != state.tokens.end() && token->second.expiry > now) {
        return SecretData(absl::StrCat("Bearer ", token->second.value.InsecureView()));
      }
    }
  }
  return SecretData();
}

absl::StatusOr<net::HttpResponse> RegistryClient::SendOnce(const Call& call,
                                                           const SecretData& authorization) {
  net::HttpRequest request;
  request.method = call.method;
  request.url = call.url;
  request.headers = call.headers;
  request.body = call.body;
  if (call.registry_origin) request.authorization = authorization;
  request.idle_timeout = options_.idle_timeout;
  request.max_response_bytes = call.max_response_bytes;
  net::RetryPolicy policy = options_.retry;
  if (!call.idempotent) policy.max_attempts = 1;
  net::HttpClient& client = ClientFor(call.registry, call.url);
  net::RedirectOptions redirects;
  redirects.max_redirects = options_.max_redirects;
  redirects.clock = options_.clock;
  thread_local absl::BitGen gen;
  requests_.fetch_add(1);
  auto response = net::Retry(policy, *options_.clock, gen, [&](const net::RetryAttempt& attempt) {
    request.timeout = std::min(options_.request_timeout, attempt.budget_left);
    return net::DoFollowingRedirects(client, request, redirects);
  });
  if (!response.ok()) return Wrap(response.status(), call.what);
  return response;
}

absl::StatusOr<net::HttpResponse> RegistryClient::Send(const Call& call) {
  const std::string scope = call.repo != nullptr ? TokenScope(*call.repo, call.access) : "";
  SecretData authorization = CachedAuthorization(call.registry, scope);
  const bool sent = !authorization.empty();
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, SendOnce(call, authorization));
  if (response.status != 401 || !call.registry_origin) return response;

  challenges_.fetch_add(1);
  HM_ASSIGN_OR_RETURN(authorization, AnswerChallenge(call, scope, response, sent));
  HM_ASSIGN_OR_RETURN(response, SendOnce(call, authorization));
  if (response.status != 401) return response;

  // Refused even with what the challenge asked for.
  std::string insufficient;
  if (auto challenges = ParseAuthChallengeHeaders(response.headers.GetAll("WWW-Authenticate"));
      challenges.ok()) {
    for (const AuthChallenge& c : *challenges) {
      if (c.Param("error").value_or("") == "insufficient_scope") insufficient = scope;
    }
  }
  const Credentials* creds = options_.keychain.Find(call.registry);
  if (!insufficient.empty() && creds != nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(call.what, ": the credentials for ",
                                                    call.registry, " do not grant ", insufficient,
                                                    " (HTTP 401 insufficient_scope)"));
  }
  bool basic = false;
  {
    absl::MutexLock lock(&mu_);
    basic = registries_[call.registry].auth == RegistryState::Auth::kBasic;
  }
  std::string refusal;
  if (creds == nullptr) {
    refusal = " requires authentication and no credentials are configured for it";
  } else if (basic) {
    refusal = absl::StrCat(" rejected the credentials of user \"",
                           absl::CHexEscape(creds->username), "\"");
  } else {
    refusal = " did not accept the token it was given";
  }
  return absl::UnauthenticatedError(absl::StrCat(call.what, ": ", call.registry, refusal,
                                                 " (HTTP 401: ", RegistryErrorText(response), ")"));
}

absl::StatusOr<SecretData> RegistryClient::AnswerChallenge(const Call& call,
                                                           const std::string& scope,
                                                           const net::HttpResponse& unauthorized,
                                                           bool sent_credentials) {
  auto challenges = ParseAuthChallengeHeaders(unauthorized.headers.GetAll("WWW-Authenticate"));
  if (!challenges.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(call.what, ": HTTP 401 with ", challenges.status().message()));
  }
  const AuthChallenge* bearer = nullptr;
  const AuthChallenge* basic = nullptr;
  for (const AuthChallenge& c : *challenges) {
    if (c.scheme == "bearer" && bearer == nullptr) bearer = &c;
    if (c.scheme == "basic" && basic == nullptr) basic = &c;
  }
  const Credentials* creds = options_.keychain.Find(call.registry);
  const std::string helper = options_.keychain.HelperFor(call.registry);
  const std::string helper_note =
      helper.empty() ? ""
                     : absl::StrCat(" (the docker config names credential helper \"", helper,
                                    "\", which hallmark does not run)");

  if (bearer != nullptr) {
    std::optional<std::string> realm = bearer->Param("realm");
    if (!realm.has_value() || realm->empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(call.what, ": bearer challenge from ", call.registry, " has no realm"));
    }
    auto realm_url = net::Url::Parse(*realm);
    if (!realm_url.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(call.what, ": bearer challenge from ",
                                                        call.registry, " has an invalid realm"));
    }
    HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(call.registry));
    const bool registry_plain_http = absl::StartsWith(base, "http://");
    if (realm_url->scheme() != "https" && !registry_plain_http) {
      return absl::FailedPreconditionError(absl::StrCat(call.what, ": refusing token realm ",
                                                        realm_url->Redacted(), " of ",
                                                        call.registry, ": it is not https"));
    }
    if (net::IsLinkLocalHost(realm_url->host())) {
      return absl::FailedPreconditionError(absl::StrCat(call.what, ": refusing token realm ",
                                                        realm_url->Redacted(), " of ",
                                                        call.registry, ": link-local address"));
    }
    std::vector<std::string> scopes;
    if (!scope.empty()) scopes.push_back(scope);
    for (absl::string_view s :
         absl::StrSplit(bearer->Param("scope").value_or(""), ' ', absl::SkipEmpty())) {
      if (std::find(scopes.begin(), scopes.end(), s) == scopes.end() && scopes.size() < 8) {
        scopes.emplace_back(s);
      }
    }
    const std::string service = bearer->Param("service").value_or("");
    if (sent_credentials && bearer->Param("error").value_or("") == "insufficient_scope" &&
        creds != nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(call.what, ": the credentials for ",
                                                      call.registry, " do not grant ", scope,
                                                      " (HTTP 401 insufficient_scope)"));
    }
    HM_ASSIGN_OR_RETURN(Token token,
                        FetchToken(call.registry, realm_url->String(), service, scopes));
    SecretData authorization(absl::StrCat("Bearer ", token.value.InsecureView()));
    absl::MutexLock lock(&mu_);
    RegistryState& state = registries_[call.registry];
    state.auth = RegistryState::Auth::kBearer;
    state.realm = realm_url->String();
    state.service = service;
    if (!scope.empty()) state.tokens[scope] = std::move(token);
    return authorization;
  }

  if (basic != nullptr) {
    if (creds == nullptr || !creds->HasBasic()) {
      return absl::UnauthenticatedError(
          absl::StrCat(call.what, ": ", call.registry,
                       " requires authentication (HTTP Basic) and no credentials are configured "
                       "for it",
                       helper_note));
    }
    if (sent_credentials) {
      return absl::UnauthenticatedError(
          absl::StrCat(call.what, ": ", call.registry, " rejected the credentials of user \"",
                       absl::CHexEscape(creds->username), "\" (HTTP 401)"));
    }
    {
      absl::MutexLock lock(&mu_);
      registries_[call.registry].auth = RegistryState::Auth::kBasic;
    }
    return CachedAuthorization(call.registry, scope);
  }

  std::vector<std::string> schemes;
  for (const AuthChallenge& c : *challenges) schemes.push_back(c.scheme);
  return absl::UnauthenticatedError(
      absl::StrCat(call.what, ": ", call.registry, " asks for unsupported authentication (",
                   schemes.empty() ? "no challenge" : absl::StrJoin(schemes, ", "), ")"));
}

absl::StatusOr<RegistryClient::Token> RegistryClient::FetchToken(
    absl::string_view registry, const std::string& realm, const std::string& service,
    const std::vector<std::string>& scopes) {
  const absl::Time now = options_.clock->Now();
  const Credentials* creds = options_.keychain.Find(registry);
  if (creds != nullptr && !creds->registry_token.empty()) {
    // docker's `registrytoken`: a bearer token given by the user, used as is.
    return Token{creds->registry_token, now + absl::Hours(1)};
  }
  net::HttpRequest request;
  std::string query;
  if (!service.empty()) absl::StrAppend(&query, "service=", PercentEncode(service));
  SecretData form;
  if (creds != nullptr && !creds->identity_token.empty()) {
    // OAuth2 refresh-token grant (docker's identity tokens).
    request.method = net::Method::kPost;
    request.url = realm;
    request.headers.Add("Content-Type", "application/x-www-form-urlencoded");
    std::string fields = absl::StrCat(
        "grant_type=refresh_token&client_id=hallmark&", query.empty() ? "" : query + "&",
        "scope=", PercentEncode(absl::StrJoin(scopes, " ")), "&refresh_token=");
    form = SecretData(absl::StrCat(fields, PercentEncode(creds->identity_token.InsecureView())));
    request.body = form.InsecureView();
  } else {
    request.url = realm;
    if (!query.empty()) request.url = AppendQuery(request.url, query);
    for (const std::string& s : scopes) {
      request.url = AppendQuery(request.url, absl::StrCat("scope=", PercentEncode(s)));
    }
    if (creds != nullptr && creds->HasBasic()) {
      std::string plain = absl::StrCat(creds->username, ":", creds->password.InsecureView());
      request.authorization = SecretData(absl::StrCat("Basic ", Base64Encode(plain)));
      std::fill(plain.begin(), plain.end(), '\0');
    }
  }
  request.idle_timeout = options_.idle_timeout;
  request.max_response_bytes = kMaxTokenResponseBytes;
  auto realm_url = net::Url::Parse(realm);
  const std::string where =
      absl::StrCat("token server ", realm_url.ok() ? realm_url->Redacted() : "<invalid>");
  net::HttpClient& client = ClientFor(registry, realm);
  net::RedirectOptions redirects;
  redirects.max_redirects = options_.max_redirects;
  redirects.clock = options_.clock;
  thread_local absl::BitGen gen;
  token_requests_.fetch_add(1);
  auto response =
      net::Retry(options_.retry, *options_.clock, gen, [&](const net::RetryAttempt& attempt) {
        request.timeout = std::min(options_.request_timeout, attempt.budget_left);
        return net::DoFollowingRedirects(client, request, redirects);
      });
  if (!response.ok()) {
    return Wrap(response.status(), absl::StrCat("getting a token for ", registry, " from ", where));
  }
  if (response->status == 401 || response->status == 403) {
    const bool anonymous = creds == nullptr || creds->empty();
    return absl::UnauthenticatedError(absl::StrCat(
        where, (anonymous ? " refused anonymous access to " : " rejected the credentials for "),
        registry, " (HTTP ", response->status, ")",
        anonymous ? "; no credentials are configured for it" : ""));
  }
  if (!response->ok()) {
    return ResponseError(*response,
                         absl::StrCat("getting a token for ", registry, " from ", where));
  }
  Json j;
  try {
    j = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    j = Json();
  }
  std::fill(response->body.begin(), response->body.end(), '\0');
  if (j.is_discarded() || !j.is_object()) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": token response is not a JSON object"));
  }
  std::string token;
  for (const char* key : {"token", "access_token"}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      token = it->get<std::string>();
      break;
    }
  }
  if (token.empty() || token.size() > kMaxTokenBytes || !IsPrintableToken(token)) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": token response has no usable token"));
  }
  absl::Duration lifetime = kMinTokenLifetime;
  if (auto it = j.find("expires_in"); it != j.end() && it->is_number_integer()) {
    int64_t seconds = it->get<int64_t>();
    if (seconds > 60) lifetime = absl::Seconds(std::min<int64_t>(seconds, 24 * 3600));
  }
  Token out{SecretData(token), now + lifetime - std::min(absl::Seconds(10), lifetime / 10)};
  std::fill(token.begin(), token.end(), '\0');
  return out;
}

absl::Status RegistryClient::Ping(absl::string_view registry) {
  Call call;
  call.registry = std::string(registry);
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(registry));
  call.url = absl::StrCat(base, "/v2/");
  call.what = absl::StrCat("pinging ", registry);
  // A plain GET: the answer to a 401 is remembered, not acted on.
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, SendOnce(call, SecretData()));
  if (response.ok()) return absl::OkStatus();
  if (response.status == 401) {
    auto challenges = ParseAuthChallengeHeaders(response.headers.GetAll("WWW-Authenticate"));
    if (!challenges.ok()) return Wrap(challenges.status(), call.what);
    absl::MutexLock lock(&mu_);
    RegistryState& state = registries_[call.registry];
    for (const AuthChallenge& c : *challenges) {
      if (c.scheme == "bearer" && c.Param("realm").has_value()) {
        state.auth = RegistryState::Auth::kBearer;
        break;
      }
      if (c.scheme == "basic") state.auth = RegistryState::Auth::kBasic;
    }
    return absl::OkStatus();
  }
  return ResponseError(response, call.what);
}

absl::StatusOr<FetchedManifest> RegistryClient::GetManifest(const Reference& ref, Access access) {
  const Repository repo = Repository::Of(ref);
  Call call;
  call.registry = repo.registry;
  call.repo = &repo;
  call.access = access;
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  call.url = absl::StrCat(base, "/v2/", repo.path, "/manifests/", ref.Identifier());
  call.headers.Add("Accept", kManifestAccept);
  call.max_response_bytes = options_.max_manifest_bytes;
  call.what = absl::StrCat("fetching manifest ", ref.String());
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
  if (!response.ok()) return ResponseError(response, call.what);
  FetchedManifest out{std::move(response.body), MediaTypeOf(response),
                      ref.has_digest() ? *ref.digest() : Sha256Of("")};
  if (ref.has_digest()) {
    HM_RETURN_IF_ERROR(CheckContentDigest(out.bytes, *ref.digest(), call.what));
  } else {
    out.digest = Sha256Of(out.bytes);
  }
  return out;
}

absl::StatusOr<Descriptor> RegistryClient::Resolve(const Reference& ref, Access access) {
  if (ref.has_digest()) return Descriptor("", *ref.digest(), -1);
  HM_ASSIGN_OR_RETURN(FetchedManifest m, GetManifest(ref, access));
  return Descriptor(m.media_type, m.digest, static_cast<int64_t>(m.bytes.size()));
}

absl::StatusOr<Descriptor> RegistryClient::Head(const Reference& ref, Access access) {
  const Repository repo = Repository::Of(ref);
  Call call;
  call.registry = repo.registry;
  call.repo = &repo;
  call.access = access;
  call.method = net::Method::kHead;
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  call.url = absl::StrCat(base, "/v2/", repo.path, "/manifests/", ref.Identifier());
  call.headers.Add("Accept", kManifestAccept);
  call.what = absl::StrCat("checking manifest ", ref.String());
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
  if (!response.ok()) return ResponseError(response, call.what);
  int64_t size = -1;
  if (auto length = response.headers.Get("Content-Length"); length.has_value()) {
    if (!absl::SimpleAtoi(*length, &size) || size < 0) size = -1;
  }
  auto claimed = Digest::Parse(response.headers.Get("Docker-Content-Digest").value_or(""));
  if (!claimed.ok()) {
    HM_ASSIGN_OR_RETURN(FetchedManifest m, GetManifest(ref, access));
    return Descriptor(m.media_type, m.digest, static_cast<int64_t>(m.bytes.size()));
  }
  if (ref.has_digest() && *claimed != *ref.digest()) {
    return absl::FailedPreconditionError(
        absl::StrCat(call.what, ": registry claims digest ", claimed->String()));
  }
  return Descriptor(MediaTypeOf(response), *std::move(claimed), size);
}

absl::StatusOr<Digest> RegistryClient::PutManifest(const Repository& repo,
                                                   absl::string_view tag_or_digest,
                                                   absl::string_view bytes,
                                                   absl::string_view media_type) {
  const std::string what =
      absl::StrCat("pushing manifest ", repo.String(),
                   absl::StrContains(tag_or_digest, ":") ? "@" : ":", tag_or_digest);
  const Digest digest = Sha256Of(bytes);
  if (auto d = Digest::Parse(tag_or_digest); d.ok()) {
    if (absl::Status s = CheckContentDigest(bytes, *d, what); !s.ok()) {
      return absl::InvalidArgumentError(s.message());
    }
  } else if (!IsValidTag(tag_or_digest)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a valid tag or digest"));
  }
  if (bytes.size() > options_.max_manifest_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", bytes.size(), " bytes is over the manifest limit"));
  }
  if (media_type.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": no media type"));
  Call call;
  call.registry = repo.registry;
  call.repo = &repo;
  call.access = Access::kPush;
  call.method = net::Method::kPut;
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  call.url = absl::StrCat(base, "/v2/", repo.path, "/manifests/", tag_or_digest);
  call.headers.Add("Content-Type", media_type);
  call.body = bytes;
  call.what = what;
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
  if (!response.ok()) return ResponseError(response, what);
  return digest;
}

absl::StatusOr<std::optional<int64_t>> RegistryClient::BlobSize(const Repository& repo,
                                                                const Digest& digest,
                                                                Access access) {
  Call call;
  call.registry = repo.registry;
  call.repo = &repo;
  call.access = access;
  call.method = net::Method::kHead;
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  call.url = absl::StrCat(base, "/v2/", repo.path, "/blobs/", digest.String());
  call.what = absl::StrCat("checking blob ", repo.String(), "@", digest.String());
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
  if (response.status == 404) return std::optional<int64_t>();
  if (!response.ok()) return ResponseError(response, call.what);
  int64_t size = -1;
  if (auto length = response.headers.Get("Content-Length"); length.has_value()) {
    if (!absl::SimpleAtoi(*length, &size) || size < 0) size = -1;
  }
  return std::optional<int64_t>(size);
}

absl::StatusOr<std::string> RegistryClient::GetBlob(const Repository& repo, const Digest& digest,
                                                    int64_t expected_size, Access access) {
  const std::string what = absl::StrCat("fetching blob ", repo.String(), "@", digest.String());
  if (expected_size > static_cast<int64_t>(options_.max_blob_bytes)) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": size of layer (", expected_size,
                                                      ") exceeded the limit (",
                                                      options_.max_blob_bytes, ")"));
  }
  Call call;
  call.registry = repo.registry;
  call.repo = &repo;
  call.access = access;
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  call.url = absl::StrCat(base, "/v2/", repo.path, "/blobs/", digest.String());
  call.max_response_bytes =
      expected_size >= 0 ? static_cast<size_t>(expected_size) : options_.max_blob_bytes;
  call.what = what;
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
  if (!response.ok()) return ResponseError(response, what);
  if (expected_size >= 0 && response.body.size() != static_cast<size_t>(expected_size)) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": got ", response.body.size(), " bytes, the descriptor says ", expected_size));
  }
  HM_RETURN_IF_ERROR(CheckContentDigest(response.body, digest, what));
  return std::move(response.body);
}

absl::Status RegistryClient::UploadBlob(const Repository& repo, const Digest& digest,
                                        absl::string_view data,
                                        const std::optional<Repository>& mount_from) {
  const std::string what = absl::StrCat("uploading blob ", repo.String(), "@", digest.String());
  if (absl::Status s = CheckContentDigest(data, digest, what); !s.ok()) {
    return absl::InvalidArgumentError(s.message());
  }
  if (data.size() > options_.max_blob_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", data.size(), " bytes is over the blob limit"));
  }
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  Call start;
  start.registry = repo.registry;
  start.repo = &repo;
  start.access = Access::kPush;
  start.method = net::Method::kPost;
  start.url = absl::StrCat(base, "/v2/", repo.path, "/blobs/uploads/");
  const bool mount = mount_from.has_value() && mount_from->registry == repo.registry &&
                     mount_from->path != repo.path;
  if (mount) {
    start.url = absl::StrCat(start.url, "?mount=", PercentEncode(digest.String()),
                             "&from=", PercentEncode(mount_from->path));
  }
  start.what = what;
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(start));
  if (mount && response.status == 201) return absl::OkStatus();
  if (response.status != 202) return ResponseError(response, what);

  HM_ASSIGN_OR_RETURN(const net::Url registry_url, net::Url::Parse(base));
  // The next request goes to the Location the registry gave (relative or absolute).
  auto next_call = [&](const net::HttpResponse& r,
                       const std::string& from_url) -> absl::StatusOr<Call> {
    std::optional<std::string> location = r.headers.Get("Location");
    if (!location.has_value() || location->empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": HTTP ", r.status, " without an upload Location"));
    }
    HM_ASSIGN_OR_RETURN(const net::Url from, net::Url::Parse(from_url));
    auto target = from.Resolve(*location);
    if (!target.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(what, ": invalid upload Location"));
    }
    Call c;
    c.registry = repo.registry;
    c.repo = &repo;
    c.access = Access::kPush;
    c.url = target->String();
    c.registry_origin = SameOrigin(*target, registry_url);
    c.what = what;
    c.headers.Add("Content-Type", "application/octet-stream");
    return c;
  };

  std::string url = start.url;
  if (data.size() > options_.upload_chunk_bytes) {
    for (size_t offset = 0; offset < data.size(); offset += options_.upload_chunk_bytes) {
      absl::string_view chunk = data.substr(offset, options_.upload_chunk_bytes);
      HM_ASSIGN_OR_RETURN(Call patch, next_call(response, url));
      patch.method = net::Method::kPatch;
      patch.idempotent = false;
      patch.headers.Add("Content-Range", absl::StrCat(offset, "-", offset + chunk.size() - 1));
      patch.body = chunk;
      url = patch.url;
      HM_ASSIGN_OR_RETURN(response, Send(patch));
      if (response.status != 202) return ResponseError(response, what);
    }
  }
  HM_ASSIGN_OR_RETURN(Call put, next_call(response, url));
  put.method = net::Method::kPut;
  put.url = AppendQuery(put.url, absl::StrCat("digest=", PercentEncode(digest.String())));
  if (data.size() <= options_.upload_chunk_bytes) put.body = data;
  HM_ASSIGN_OR_RETURN(response, Send(put));
  if (!response.ok()) return ResponseError(response, what);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RegistryClient::ListTags(const Repository& repo) {
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  HM_ASSIGN_OR_RETURN(const net::Url registry_url, net::Url::Parse(base));
  const std::string what = absl::StrCat("listing tags of ", repo.String());
  std::vector<std::string> tags;
  std::set<std::string> seen;
  std::string url = absl::StrCat(base, "/v2/", repo.path, "/tags/list");
  for (size_t page = 0; !url.empty(); ++page) {
    if (page >= kMaxPages || !seen.insert(url).second) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": tag pages do not end (more than ", kMaxPages, " or a loop)"));
    }
    Call call;
    call.registry = repo.registry;
    call.repo = &repo;
    call.url = url;
    call.headers.Add("Accept", "application/json");
    call.max_response_bytes = options_.max_manifest_bytes;
    call.what = what;
    HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
    if (!response.ok()) return ResponseError(response, what);
    Json j;
    try {
      j = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    } catch (const std::exception&) {
      j = Json();
    }
    if (j.is_discarded() || !j.is_object()) {
      return absl::FailedPreconditionError(absl::StrCat(what, ": response is not a JSON object"));
    }
    auto list = j.find("tags");
    if (list != j.end() && !list->is_null()) {
      if (!list->is_array()) {
        return absl::FailedPreconditionError(absl::StrCat(what, ": `tags` is not an array"));
      }
      for (const Json& t : *list) {
        if (!t.is_string()) {
          return absl::FailedPreconditionError(absl::StrCat(what, ": a tag is not a string"));
        }
        if (tags.size() >= options_.max_tags) {
          return absl::FailedPreconditionError(
              absl::StrCat(what, ": more than ", options_.max_tags, " tags"));
        }
        tags.push_back(t.get<std::string>());
      }
    }
    std::string next = NextLink(response);
    url.clear();
    if (!next.empty()) {
      HM_ASSIGN_OR_RETURN(const net::Url current, net::Url::Parse(call.url));
      auto target = current.Resolve(next);
      if (!target.ok() || !SameOrigin(*target, registry_url)) {
        return absl::FailedPreconditionError(
            absl::StrCat(what, ": the next-page Link is invalid or on another origin"));
      }
      url = target->String();
    }
  }
  return tags;
}

absl::StatusOr<ImageIndex> RegistryClient::Referrers(const Repository& repo, const Digest& digest,
                                                     absl::string_view artifact_type) {
  HM_ASSIGN_OR_RETURN(std::string base, BaseUrl(repo.registry));
  const std::string what =
      absl::StrCat("listing referrers of ", repo.String(), "@", digest.String());
  Call call;
  call.registry = repo.registry;
  call.repo = &repo;
  call.url = absl::StrCat(base, "/v2/", repo.path, "/referrers/", digest.String());
  if (!artifact_type.empty()) {
    call.url = AppendQuery(call.url, absl::StrCat("artifactType=", PercentEncode(artifact_type)));
  }
  call.headers.Add("Accept", kOciIndexMediaType);
  call.max_response_bytes = options_.max_manifest_bytes;
  call.what = what;
  HM_ASSIGN_OR_RETURN(net::HttpResponse response, Send(call));
  ImageIndex index;
  bool filtered = false;
  if (response.ok()) {
    HM_ASSIGN_OR_RETURN(index, ImageIndex::Parse(response.body));
    filtered =
        absl::StrContains(response.headers.Get("OCI-Filters-Applied").value_or(""), "artifactType");
  } else if (response.status == 404) {
    // No referrers API: the referrers tag schema, an index at tag sha256-<hex>.
    auto tag_ref =
        Reference::Parse(absl::StrCat(repo.String(), ":", digest.algorithm(), "-", digest.hex()));
    if (!tag_ref.ok()) return Wrap(tag_ref.status(), what);
    auto fallback = GetManifest(*tag_ref);
    if (absl::IsNotFound(fallback.status()))
      return ImageIndex{std::string(kOciIndexMediaType), {}, {}};
    if (!fallback.ok()) return Wrap(fallback.status(), what);
    auto parsed = ImageIndex::Parse(fallback->bytes);
    if (!parsed.ok()) return Wrap(parsed.status(), absl::StrCat(what, " (tag schema)"));
    index = *std::move(parsed);
  } else {
    return ResponseError(response, what);
  }
  if (!artifact_type.empty() && !filtered) {
    std::vector<Descriptor> kept;
    for (Descriptor& d : index.manifests) {
      if (d.artifact_type == artifact_type) kept.push_back(std::move(d));
    }
    index.manifests = std::move(kept);
  }
  return index;
}

}  // namespace hallmark::oci
