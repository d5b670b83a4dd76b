#include "net/curl_http_client.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "base/secret_data.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "net/host.h"
#include "net/url.h"

namespace hallmark::net {
namespace {

// Response header budget: curl caps a single header at 100 KiB but (in 7.88) not their number.
constexpr size_t kMaxHeaderBytes = 256 << 10;
constexpr size_t kMaxCaFileBytes = 16 << 20;
// Largest up-front body allocation from a declared Content-Length.
constexpr size_t kMaxBodyReserve = 8 << 20;

// WipingSlistDeleter: header lists may hold "Authorization: ..."; wipe every string before curl
// frees the list.
struct WipingSlistDeleter {
  void operator()(curl_slist* list) const {
    for (curl_slist* p = list; p != nullptr; p = p->next) {
      if (p->data != nullptr) internal::SecureWipe(p->data, std::strlen(p->data));
    }
    curl_slist_free_all(list);
  }
};
using WipingSlistPtr = std::unique_ptr<curl_slist, WipingSlistDeleter>;

absl::Status Append(WipingSlistPtr& list, const char* line) {
  curl_slist* head = curl_slist_append(list.get(), line);
  if (head == nullptr) return absl::ResourceExhaustedError("curl_slist_append: out of memory");
  list.release();
  list.reset(head);
  return absl::OkStatus();
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::Status CheckCertificates(absl::string_view pem, absl::string_view what) {
  SslPtr<BIO> bio = NewMemBio(pem);
  if (bio == nullptr) return SslError("BIO_new_mem_buf");
  int count = 0;
  while (true) {
    SslPtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    ++count;
  }
  ClearSslErrors();  // the loop always ends with a "no start line" error
  if (count == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate found"));
  }
  return absl::OkStatus();
}

absl::Status CheckClientKeyPair(const TlsOptions& tls) {
  if (tls.client_cert_pem.empty() != tls.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "TLS client certificate and key must be given together (one is empty)");
  }
  if (tls.client_cert_pem.empty()) return absl::OkStatus();
  SslPtr<BIO> cert_bio = NewMemBio(tls.client_cert_pem);
  SslPtr<X509> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return SslError("TLS client certificate: not a PEM certificate",
                    absl::StatusCode::kInvalidArgument);
  }
  SslPtr<BIO> key_bio = NewMemBio(tls.client_key_pem.InsecureView());
  // An empty passphrase callback result: encrypted keys are refused instead of prompting.
  SslPtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (key == nullptr) {
    return SslError("TLS client key: not an unencrypted PEM private key",
                    absl::StatusCode::kInvalidArgument);
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return SslError("TLS client key does not match the client certificate",
                    absl::StatusCode::kInvalidArgument);
  }
  return absl::OkStatus();
}

bool IsBodyMethod(Method m) {
  return m == Method::kPost || m == Method::kPut || m == Method::kPatch || m == Method::kDelete;
}

}  // namespace

// Transfer: the state of one exchange, shared with curl's callbacks.
struct CurlHttpClient::Transfer {
  const HttpRequest* request = nullptr;
  BodyCallback* on_body = nullptr;  // null for Do
  HttpResponse response;
  std::vector<Headers::Entry> raw_headers;
  size_t header_bytes = 0;
  bool header_overflow = false;
  bool too_large = false;
  bool stopped = false;
  bool cancelled = false;
  bool idle_expired = false;
  absl::Time last_activity;
  curl_off_t last_down = 0;
  curl_off_t last_up = 0;

  bool Streaming() const {
    return on_body != nullptr && response.status >= 200 && response.status < 300;
  }

  static size_t OnHeader(char* buffer, size_t size, size_t nitems, void* userdata) {
    auto* t = static_cast<Transfer*>(userdata);
    size_t n = size * nitems;
    t->header_bytes += n;
    if (t->header_bytes > kMaxHeaderBytes) {
      t->header_overflow = true;
      return 0;
    }
    absl::string_view line(buffer, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (absl::StartsWith(line, "HTTP/")) {
      // A new response (after a 1xx): forget the previous one's headers.
      t->raw_headers.clear();
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
      int status = 0;
      if (parts.size() >= 2 && parts[1].size() == 3 && absl::SimpleAtoi(parts[1], &status)) {
        t->response.status = status;
      }
      return n;
    }
    if (line.empty()) {
      // End of this response's headers: size the body buffer once when the length is known.
      if (t->on_body == nullptr || !t->Streaming()) {
        for (const auto& [name, value] : t->raw_headers) {
          size_t length = 0;
          if (absl::EqualsIgnoreCase(name, "Content-Length") && absl::SimpleAtoi(value, &length) &&
              length <= t->request->max_response_bytes) {
            // Capped: a hostile server may declare a large length and send little.
            t->response.body.reserve(std::min(length, kMaxBodyReserve));
          }
        }
      }
      return n;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete line folding (RFC 9110 §5.5): join with one space.
      if (!t->raw_headers.empty()) {
        absl::StrAppend(&t->raw_headers.back().second, " ", absl::StripAsciiWhitespace(line));
      }
      return n;
    }
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return n;  // not a header line; ignore
    t->raw_headers.emplace_back(std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
                                std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
    return n;
  }

  static size_t OnBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
    auto* t = static_cast<Transfer*>(userdata);
    size_t n = size * nmemb;
    if (n == 0) return 0;
    if (t->Streaming()) {
      if (!(*t->on_body)(absl::string_view(ptr, n))) {
        t->stopped = true;
        return 0;  // != n: curl aborts the transfer
      }
      return n;
    }
    if (t->response.body.size() + n > t->request->max_response_bytes) {
      t->too_large = true;
      return 0;
    }
    t->response.body.append(ptr, n);
    return n;
  }

  static int OnProgress(void* clientp, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
    auto* t = static_cast<Transfer*>(clientp);
    if (t->request->cancel != nullptr && t->request->cancel->HasBeenNotified()) {
      t->cancelled = true;
      return 1;
    }
    if (t->request->idle_timeout != absl::InfiniteDuration()) {
      absl::Time now = absl::Now();
      if (dlnow != t->last_down || ulnow != t->last_up) {
        t->last_down = dlnow;
        t->last_up = ulnow;
        t->last_activity = now;
      } else if (now - t->last_activity > t->request->idle_timeout) {
        t->idle_expired = true;
        return 1;
      }
    }
    return 0;
  }
};

absl::Status CurlCodeToStatus(CURLcode code, Method method, absl::string_view url,
                              absl::string_view detail) {
  std::string message =
      absl::StrCat(MethodName(method), " ", RedactUrl(url), ": ", curl_easy_strerror(code));
  if (!detail.empty()) absl::StrAppend(&message, " (", detail, ")");
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
    case CURLE_PROXY:
      return absl::UnavailableError(message);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
    case CURLE_FILESIZE_EXCEEDED:
      return absl::FailedPreconditionError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options) : options_(std::move(options)) {}

CurlHttpClient::~CurlHttpClient() {
  absl::MutexLock lock(&pool_mu_);
  idle_.clear();  // easy handles go before the share they use
}

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::New(CurlHttpClientOptions options) {
  InitCurlOnce();
  const TlsOptions& tls = options.tls;
  if (!tls.ca_file.empty() && !tls.ca_pem.empty()) {
    return absl::InvalidArgumentError("TLS: give a CA file or CA PEM data, not both");
  }
  if (tls.insecure_skip_verify && (!tls.ca_file.empty() || !tls.ca_pem.empty())) {
    return absl::InvalidArgumentError(
        "TLS: a CA together with insecure_skip_verify is not allowed (as in kubectl)");
  }
  if (!tls.ca_file.empty()) {
    HM_ASSIGN_OR_RETURN(std::string pem, ReadFile(tls.ca_file, kMaxCaFileBytes));
    HM_RETURN_IF_ERROR(CheckCertificates(pem, absl::StrCat("TLS CA file ", tls.ca_file)));
  }
  if (!tls.ca_pem.empty()) HM_RETURN_IF_ERROR(CheckCertificates(tls.ca_pem, "TLS CA data"));
  HM_RETURN_IF_ERROR(CheckClientKeyPair(tls));
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.connect_timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be finite and positive");
  }
  for (char c : options.proxy + options.user_agent) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("proxy and user_agent must not contain control characters");
    }
  }
  if (!options.proxy.empty() && absl::StrContains(options.proxy, ' ')) {
    return absl::InvalidArgumentError("proxy must be a URL (it contains a space)");
  }
  std::unique_ptr<CurlHttpClient> client(new CurlHttpClient(std::move(options)));
  HM_RETURN_IF_ERROR(client->InitShare());
  return client;
}

void CurlHttpClient::LockShare(CURL*, curl_lock_data data, curl_lock_access, void* self) {
  static_cast<CurlHttpClient*>(self)->share_locks_[data].lock();
}

void CurlHttpClient::UnlockShare(CURL*, curl_lock_data data, void* self) {
  static_cast<CurlHttpClient*>(self)->share_locks_[data].unlock();
}

absl::Status CurlHttpClient::InitShare() {
  share_.reset(curl_share_init());
  if (share_ == nullptr) return absl::ResourceExhaustedError("curl_share_init failed");
  CURLSH* s = share_.get();
  if (curl_share_setopt(s, CURLSHOPT_LOCKFUNC, &CurlHttpClient::LockShare) != CURLSHE_OK ||
      curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, &CurlHttpClient::UnlockShare) != CURLSHE_OK ||
      curl_share_setopt(s, CURLSHOPT_USERDATA, this) != CURLSHE_OK ||
      curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
      curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
    return absl::InternalError("curl_share_setopt failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<CurlPtr> CurlHttpClient::Acquire() {
  {
    absl::MutexLock lock(&pool_mu_);
    if (!idle_.empty()) {
      CurlPtr handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  CurlPtr handle(curl_easy_init());
  if (handle == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  return handle;
}

void CurlHttpClient::Release(CurlPtr handle) {
  // Drops every option (pointers into the finished request) but keeps the open connections.
  curl_easy_reset(handle.get());
  absl::MutexLock lock(&pool_mu_);
  if (idle_.size() < options_.max_idle_handles) idle_.push_back(std::move(handle));
}

#define HM_CURL_SETOPT(curl, option, value)                                             \
  do {                                                                                  \
    CURLcode hm_rc_ = curl_easy_setopt((curl), option, value);                          \
    if (hm_rc_ != CURLE_OK) {                                                           \
      return absl::InternalError(                                                       \
          absl::StrCat("curl_easy_setopt(" #option "): ", curl_easy_strerror(hm_rc_))); \
    }                                                                                   \
  } while (0)

absl::Status CurlHttpClient::Configure(CURL* curl, const HttpRequest& request, Transfer& transfer,
                                       curl_slist* headers) {
  HM_CURL_SETOPT(curl, CURLOPT_URL, request.url.c_str());
  HM_CURL_SETOPT(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  HM_CURL_SETOPT(curl, CURLOPT_NOSIGNAL, 1L);
  HM_CURL_SETOPT(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  HM_CURL_SETOPT(curl, CURLOPT_TCP_NODELAY, 1L);
  HM_CURL_SETOPT(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  HM_CURL_SETOPT(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  HM_CURL_SETOPT(curl, CURLOPT_TCP_KEEPINTVL, 15L);
  HM_CURL_SETOPT(curl, CURLOPT_FOLLOWLOCATION, 0L);
  HM_CURL_SETOPT(curl, CURLOPT_SHARE, share_.get());
  HM_CURL_SETOPT(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  HM_CURL_SETOPT(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  long timeout_ms = std::max<long>(1, absl::ToInt64Milliseconds(request.timeout));
  long connect_ms =
      std::min(timeout_ms, std::max<long>(1, absl::ToInt64Milliseconds(options_.connect_timeout)));
  HM_CURL_SETOPT(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  HM_CURL_SETOPT(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  HM_CURL_SETOPT(curl, CURLOPT_HTTPHEADER, headers);
  HM_CURL_SETOPT(curl, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  HM_CURL_SETOPT(curl, CURLOPT_HEADERDATA, &transfer);
  HM_CURL_SETOPT(curl, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  HM_CURL_SETOPT(curl, CURLOPT_WRITEDATA, &transfer);
  HM_CURL_SETOPT(curl, CURLOPT_NOPROGRESS, 0L);
  HM_CURL_SETOPT(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::OnProgress);
  HM_CURL_SETOPT(curl, CURLOPT_XFERINFODATA, &transfer);

  switch (request.method) {
    case Method::kGet:
      HM_CURL_SETOPT(curl, CURLOPT_HTTPGET, 1L);
      break;
    case Method::kHead:
      HM_CURL_SETOPT(curl, CURLOPT_NOBODY, 1L);
      break;
    case Method::kDelete:
      if (request.body.empty()) {
        HM_CURL_SETOPT(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
        break;
      }
      [[fallthrough]];
    case Method::kPost:
    case Method::kPut:
    case Method::kPatch:
      // POSTFIELDS sends the caller's bytes without copying them; CUSTOMREQUEST renames the verb.
      HM_CURL_SETOPT(curl, CURLOPT_POST, 1L);
      HM_CURL_SETOPT(curl, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
      HM_CURL_SETOPT(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
      if (request.method != Method::kPost) {
        HM_CURL_SETOPT(curl, CURLOPT_CUSTOMREQUEST, MethodName(request.method).data());
      }
      break;
  }
  // Bail out before reading a body whose declared length is already over the limit. Not for
  // HEAD (its Content-Length describes a body that is not sent) nor 2xx streams.
  if (transfer.on_body == nullptr && request.method != Method::kHead) {
    HM_CURL_SETOPT(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(request.max_response_bytes));
  }

  if (!options_.proxy.empty()) {
    HM_CURL_SETOPT(curl, CURLOPT_PROXY, options_.proxy.c_str());
  } else {
    HM_ASSIGN_OR_RETURN(Url url, Url::Parse(request.url));
    // "" disables proxies, including those from the environment.
    if (IsLoopbackHost(url.host())) HM_CURL_SETOPT(curl, CURLOPT_PROXY, "");
  }

  const TlsOptions& tls = options_.tls;
  if (tls.insecure_skip_verify) {
    HM_CURL_SETOPT(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    HM_CURL_SETOPT(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    HM_CURL_SETOPT(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    HM_CURL_SETOPT(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (!tls.ca_file.empty()) HM_CURL_SETOPT(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(tls.ca_pem.data()), tls.ca_pem.size(), CURL_BLOB_NOCOPY};
    HM_CURL_SETOPT(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!tls.client_cert_pem.empty()) {
    // NOCOPY: options_ outlives every handle, and the key is not copied into unwiped memory.
    curl_blob cert{const_cast<char*>(tls.client_cert_pem.data()), tls.client_cert_pem.size(),
                   CURL_BLOB_NOCOPY};
    curl_blob key{const_cast<uint8_t*>(tls.client_key_pem.data()), tls.client_key_pem.size(),
                  CURL_BLOB_NOCOPY};
    HM_CURL_SETOPT(curl, CURLOPT_SSLCERT_BLOB, &cert);
    HM_CURL_SETOPT(curl, CURLOPT_SSLCERTTYPE, "PEM");
    HM_CURL_SETOPT(curl, CURLOPT_SSLKEY_BLOB, &key);
    HM_CURL_SETOPT(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  return absl::OkStatus();
}

#undef HM_CURL_SETOPT

absl::StatusOr<HttpResponse> CurlHttpClient::Perform(const HttpRequest& request,
                                                     BodyCallback* on_body) {
  HM_RETURN_IF_ERROR(ValidateRequest(request));

  WipingSlistPtr headers;
  for (const auto& [name, value] : request.headers.entries()) {
    // "Name;" is curl's spelling of a header with an empty value ("Name:" would remove it).
    std::string line = value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
    HM_RETURN_IF_ERROR(Append(headers, line.c_str()));
  }
  HM_RETURN_IF_ERROR(Append(headers, "Expect:"));  // no 100-continue round trip
  if (IsBodyMethod(request.method) && !request.headers.Has("Content-Type")) {
    HM_RETURN_IF_ERROR(Append(headers, "Content-Type:"));  // not curl's form-urlencoded default
  }
  if (!request.authorization.empty()) {
    static constexpr absl::string_view kPrefix = "Authorization: ";
    SecretData line(kPrefix.size() + request.authorization.size() + 1);
    std::memcpy(line.data(), kPrefix.data(), kPrefix.size());
    std::memcpy(line.data() + kPrefix.size(), request.authorization.data(),
                request.authorization.size());
    line.data()[line.size() - 1] = 0;
    HM_RETURN_IF_ERROR(Append(headers, reinterpret_cast<const char*>(line.data())));
  }

  Transfer transfer;
  transfer.request = &request;
  transfer.on_body = on_body;
  transfer.response.url = request.url;
  transfer.last_activity = absl::Now();

  HM_ASSIGN_OR_RETURN(CurlPtr curl, Acquire());
  char error_buffer[CURL_ERROR_SIZE];
  error_buffer[0] = '\0';
  absl::Status configured = Configure(curl.get(), request, transfer, headers.get());
  if (configured.ok()) {
    configured.Update([&]() -> absl::Status {
      if (curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer) != CURLE_OK) {
        return absl::InternalError("curl_easy_setopt(CURLOPT_ERRORBUFFER) failed");
      }
      return absl::OkStatus();
    }());
  }
  if (!configured.ok()) {
    Release(std::move(curl));
    return configured;
  }
  CURLcode rc = curl_easy_perform(curl.get());
  long connects = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_NUM_CONNECTS, &connects);
  long response_code = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response_code);
  Release(std::move(curl));  // before `headers` is freed: the handle no longer points at it
  requests_.fetch_add(1, std::memory_order_relaxed);
  new_connections_.fetch_add(static_cast<uint64_t>(std::max<long>(connects, 0)),
                             std::memory_order_relaxed);

  HttpResponse& response = transfer.response;
  if (response.status == 0) response.status = static_cast<int>(response_code);
  for (auto& [name, value] : transfer.raw_headers) response.headers.Add(name, value);

  if (rc == CURLE_OK || transfer.stopped) return std::move(response);
  const std::string where = absl::StrCat(MethodName(request.method), " ", RedactUrl(request.url));
  if (transfer.cancelled) return absl::CancelledError(absl::StrCat(where, ": cancelled"));
  if (transfer.idle_expired) {
    return absl::DeadlineExceededError(absl::StrCat(
        where, ": no data for ", absl::FormatDuration(request.idle_timeout), " (idle timeout)"));
  }
  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": response body exceeds the limit of ", request.max_response_bytes, " bytes"));
  }
  if (transfer.header_overflow) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": response headers exceed ", kMaxHeaderBytes, " bytes"));
  }
  return CurlCodeToStatus(rc, request.method, request.url, error_buffer);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Do(const HttpRequest& request) {
  return Perform(request, nullptr);
}

absl::StatusOr<HttpResponse> CurlHttpClient::Stream(const HttpRequest& request,
                                                    BodyCallback on_body) {
  return Perform(request, &on_body);
}

HttpClientStats CurlHttpClient::Stats() const {
  HttpClientStats stats;
  stats.requests = requests_.load(std::memory_order_relaxed);
  stats.new_connections = new_connections_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace hallmark::net
