// Written by hand rather than on cpp-httplib: the faults need the raw sockets (a reset in the
// middle of a request body, a port that refuses connections, a connection that is never
// answered), which an HTTP server library hides.
#include "tests/faults/http_fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace hallmark::tests::faults {
namespace {

constexpr size_t kMaxHead = 64 << 10;

struct Message {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(absl::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, name)) return v;
    }
    return "";
  }
  bool Has(absl::string_view name) const {
    for (const auto& h : headers) {
      if (absl::EqualsIgnoreCase(h.first, name)) return true;
    }
    return false;
  }
  void Remove(absl::string_view name) {
    headers.erase(
        std::remove_if(headers.begin(), headers.end(),
                       [&](const auto& h) { return absl::EqualsIgnoreCase(h.first, name); }),
        headers.end());
  }
  std::string Serialize() const {
    std::string out = start_line + "\r\n";
    for (const auto& [k, v] : headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
    out += "\r\n";
    return out;
  }
};

bool IsChunked(const Message& m) {
  return absl::StrContains(absl::AsciiStrToLower(m.Header("Transfer-Encoding")), "chunked");
}

bool ReadMore(int fd, std::string* buf) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buf->append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// ReadHead: a message head from `fd` (bytes already read are in `buf`; what follows the head
// stays there). False on EOF, error or an oversized head.
bool ReadHead(int fd, std::string* buf, Message* msg) {
  size_t end;
  while ((end = buf->find("\r\n\r\n")) == std::string::npos) {
    if (buf->size() > kMaxHead || !ReadMore(fd, buf)) return false;
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(*buf).substr(0, end), "\r\n");
  msg->start_line = std::string(lines[0]);
  msg->headers.clear();
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    msg->headers.emplace_back(std::string(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
                              std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  buf->erase(0, end + 4);
  return true;
}

// ReadExactly: `n` bytes (from `buf` first) appended to `out`.
bool ReadExactly(int fd, std::string* buf, size_t n, std::string* out) {
  while (buf->size() < n) {
    if (!ReadMore(fd, buf)) return false;
  }
  out->append(*buf, 0, n);
  buf->erase(0, n);
  return true;
}

// ReadChunked: a chunked body, raw (sizes, data and trailers as received), appended to `out`.
bool ReadChunked(int fd, std::string* buf, std::string* out) {
  for (;;) {
    size_t eol;
    while ((eol = buf->find("\r\n")) == std::string::npos) {
      if (buf->size() > kMaxHead || !ReadMore(fd, buf)) return false;
    }
    std::string size_line = buf->substr(0, eol);
    absl::string_view hex = absl::string_view(size_line).substr(0, size_line.find(';'));
    uint64_t size = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(hex), &size)) return false;
    out->append(*buf, 0, eol + 2);
    buf->erase(0, eol + 2);
    if (size == 0) {
      // Trailers, then an empty line.
      for (;;) {
        while ((eol = buf->find("\r\n")) == std::string::npos) {
          if (buf->size() > kMaxHead || !ReadMore(fd, buf)) return false;
        }
        out->append(*buf, 0, eol + 2);
        buf->erase(0, eol + 2);
        if (eol == 0) return true;
      }
    }
    if (!ReadExactly(fd, buf, size + 2, out)) return false;
  }
}

std::string Reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Injected";
  }
}

std::string InjectedResponse(int status, int retry_after, bool head_request) {
  std::string code = status == 429 ? "TOOMANYREQUESTS" : status >= 500 ? "UNAVAILABLE" : "DENIED";
  std::string body = absl::StrCat(R"({"errors":[{"code":")", code,
                                  R"(","message":"injected by the fault proxy","detail":null}]})");
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", Reason(status),
                                 "\r\nContent-Type: application/json\r\nContent-Length: ",
                                 head_request ? 0 : body.size(), "\r\n");
  if (retry_after >= 0) absl::StrAppend(&out, "Retry-After: ", retry_after, "\r\n");
  out += "\r\n";
  if (!head_request) out += body;
  return out;
}

void ResetAndClose(int fd) {
  struct linger lin = {1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
  ::close(fd);
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpFaultProxy>> HttpFaultProxy::Start(int upstream_port) {
  std::unique_ptr<HttpFaultProxy> proxy(new HttpFaultProxy());
  proxy->upstream_port_ = upstream_port;
  absl::Status s = proxy->Listen();
  if (!s.ok()) return s;
  return proxy;
}

HttpFaultProxy::~HttpFaultProxy() {
  stopping_ = true;
  Down();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

absl::Status HttpFaultProxy::Listen() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 1024) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("fault proxy cannot listen on port ", port_, ": ", strerror(err)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  absl::MutexLock lock(&mu_);
  listen_fd_ = fd;
  accept_thread_ = std::thread([this, fd] { AcceptLoop(fd); });
  return absl::OkStatus();
}

void HttpFaultProxy::AcceptLoop(int listen_fd) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void HttpFaultProxy::Down() {
  std::thread accept;
  int fd = -1;
  {
    absl::MutexLock lock(&mu_);
    fd = listen_fd_;
    listen_fd_ = -1;
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    accept = std::move(accept_thread_);
    for (int c : open_fds_) ::shutdown(c, SHUT_RDWR);
  }
  if (accept.joinable()) accept.join();
  if (fd >= 0) ::close(fd);
}

absl::Status HttpFaultProxy::Up() {
  {
    absl::MutexLock lock(&mu_);
    if (listen_fd_ >= 0) return absl::OkStatus();
  }
  return Listen();
}

void HttpFaultProxy::BlackHole(bool on) { black_hole_ = on; }

absl::Status HttpFaultProxy::AddRule(FaultRule rule) {
  CompiledRule compiled;
  try {
    compiled.regex = std::regex(rule.path.empty() ? ".*" : rule.path, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad path regex ", rule.path, ": ", e.what()));
  }
  compiled.rule = std::move(rule);
  absl::MutexLock lock(&mu_);
  rules_.push_back(std::move(compiled));
  return absl::OkStatus();
}

void HttpFaultProxy::ClearRules() {
  absl::MutexLock lock(&mu_);
  rules_.clear();
}

bool HttpFaultProxy::Take(const std::string& method, const std::string& path, FaultRule* out) {
  absl::MutexLock lock(&mu_);
  for (CompiledRule& r : rules_) {
    if (r.rule.count == 0) continue;
    if (!r.rule.method.empty() && r.rule.method != method) continue;
    if (!std::regex_match(path, r.regex)) continue;
    if (r.rule.count > 0) --r.rule.count;
    *out = r.rule;
    return true;
  }
  return false;
}

size_t HttpFaultProxy::Record(SeenRequest seen) {
  absl::MutexLock lock(&mu_);
  seen_.push_back(std::move(seen));
  return seen_.size() - 1;
}

void HttpFaultProxy::Finish(size_t index, int status, bool injected) {
  absl::MutexLock lock(&mu_);
  if (index < seen_.size()) {  // ClearRequests may have run meanwhile
    seen_[index].status = status;
    seen_[index].injected = injected;
  }
}

void HttpFaultProxy::Track(int fd) {
  absl::MutexLock lock(&mu_);
  open_fds_.push_back(fd);
  if (listen_fd_ < 0) ::shutdown(fd, SHUT_RDWR);  // went down meanwhile
}

void HttpFaultProxy::Untrack(int fd) {
  absl::MutexLock lock(&mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
}

std::vector<SeenRequest> HttpFaultProxy::Requests() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

int HttpFaultProxy::Count(const std::string& method, const std::string& path_regex) const {
  std::regex re(path_regex.empty() ? ".*" : path_regex);
  int n = 0;
  for (const SeenRequest& s : Requests()) {
    if (!method.empty() && s.method != method) continue;
    if (std::regex_match(s.path.substr(0, s.path.find('?')), re)) ++n;
  }
  return n;
}

int HttpFaultProxy::Injected() const {
  int n = 0;
  for (const SeenRequest& s : Requests()) n += s.injected;
  return n;
}

void HttpFaultProxy::ClearRequests() {
  absl::MutexLock lock(&mu_);
  seen_.clear();
}

void HttpFaultProxy::Serve(int client) {
  std::string buf;
  for (;;) {
    if (black_hole_) {
      while (!stopping_ && ReadMore(client, &buf)) buf.clear();
      break;
    }
    Message req;
    if (!ReadHead(client, &buf, &req)) break;
    std::vector<std::string> parts = absl::StrSplit(req.start_line, ' ');
    if (parts.size() != 3) break;
    SeenRequest seen;
    seen.method = parts[0];
    seen.path = parts[1];
    seen.at = absl::Now();
    const std::string path = seen.path.substr(0, seen.path.find('?'));
    const bool head_request = seen.method == "HEAD";
    const bool client_close = absl::EqualsIgnoreCase(req.Header("Connection"), "close");

    if (absl::EqualsIgnoreCase(req.Header("Expect"), "100-continue")) {
      if (!WriteAll(client, "HTTP/1.1 100 Continue\r\n\r\n")) break;
      req.Remove("Expect");
    }
    std::string body;
    bool chunked = IsChunked(req);
    if (chunked) {
      if (!ReadChunked(client, &buf, &body)) break;
    } else if (req.Has("Content-Length")) {
      uint64_t n = 0;
      if (!absl::SimpleAtoi(req.Header("Content-Length"), &n) ||
          !ReadExactly(client, &buf, n, &body)) {
        break;
      }
    }

    FaultRule rule;
    bool faulty = Take(seen.method, path, &rule);
    const size_t index = Record(seen);
    if (faulty && rule.action == FaultRule::Action::kStatus) {
      Finish(index, rule.status, true);
      if (!WriteAll(client, InjectedResponse(rule.status, rule.retry_after, head_request))) break;
      if (client_close) break;
      continue;
    }
    if (faulty && rule.action == FaultRule::Action::kDelay) absl::SleepFor(rule.delay);

    int upstream = ConnectLoopback(upstream_port_);
    if (upstream < 0) {
      Finish(index, 502, true);
      if (!WriteAll(client, InjectedResponse(502, -1, head_request))) break;
      continue;
    }
    Track(upstream);
    req.Remove("Connection");
    req.Remove("Keep-Alive");
    req.headers.emplace_back("Connection", "close");
    if (faulty && rule.action == FaultRule::Action::kResetMidBody) {
      WriteAll(upstream, req.Serialize());
      WriteAll(upstream, absl::string_view(body).substr(0, body.size() / 2));
      absl::SleepFor(absl::Milliseconds(20));  // let the half body arrive before the reset
      Finish(index, 0, true);
      Untrack(upstream);
      ResetAndClose(upstream);
      Untrack(client);
      ResetAndClose(client);
      return;
    }
    std::string up_buf;
    Message resp;
    bool ok = WriteAll(upstream, req.Serialize()) && WriteAll(upstream, body) &&
              ReadHead(upstream, &up_buf, &resp);
    int status = 0;
    if (ok) {
      std::vector<std::string> rparts = absl::StrSplit(resp.start_line, absl::MaxSplits(' ', 2));
      ok = rparts.size() >= 2 && absl::SimpleAtoi(rparts[1], &status);
    }
    std::string resp_body;
    bool close_after = client_close;
    if (ok) {
      bool no_body = head_request || status == 204 || status == 304 || status / 100 == 1;
      if (no_body) {
      } else if (IsChunked(resp)) {
        ok = ReadChunked(upstream, &up_buf, &resp_body);
      } else if (resp.Has("Content-Length")) {
        uint64_t n = 0;
        ok = absl::SimpleAtoi(resp.Header("Content-Length"), &n) &&
             ReadExactly(upstream, &up_buf, n, &resp_body);
      } else {
        resp_body = up_buf;
        while (ReadMore(upstream, &resp_body)) {
        }
        close_after = true;
      }
    }
    Untrack(upstream);
    ::close(upstream);
    if (!ok) {
      Finish(index, 502, true);
      WriteAll(client, InjectedResponse(502, -1, head_request));
      break;
    }
    if (faulty && rule.action == FaultRule::Action::kDropResponse) {
      Finish(index, status, true);
      Untrack(client);
      ResetAndClose(client);
      return;
    }
    if (faulty && rule.action == FaultRule::Action::kDelayResponse) absl::SleepFor(rule.delay);
    resp.Remove("Connection");
    resp.Remove("Keep-Alive");
    if (close_after) resp.headers.emplace_back("Connection", "close");
    Finish(index, status, false);
    if (!WriteAll(client, resp.Serialize()) || !WriteAll(client, resp_body) || close_after) break;
  }
  Untrack(client);
  ::close(client);
}

}  // namespace hallmark::tests::faults
