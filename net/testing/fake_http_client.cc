#include "net/testing/fake_http_client.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hallmark::net::testing {

void FakeHttpClient::On(Method method, std::string pattern, Handler handler) {
  absl::MutexLock lock(&mu_);
  routes_.push_back(Route{method, std::move(pattern), std::move(handler)});
}

void FakeHttpClient::OnAny(Handler handler) {
  absl::MutexLock lock(&mu_);
  fallback_ = std::move(handler);
}

FakeHttpClient::Handler FakeHttpClient::Reply(int status, std::string body, Headers headers) {
  return [status, body = std::move(body), headers = std::move(headers)](const HttpRequest&) {
    HttpResponse response;
    response.status = status;
    response.body = body;
    response.headers = headers;
    return absl::StatusOr<HttpResponse>(std::move(response));
  };
}

void FakeHttpClient::set_stream_chunk_size(size_t n) {
  absl::MutexLock lock(&mu_);
  chunk_size_ = std::max<size_t>(n, 1);
}

std::vector<FakeHttpClient::RecordedRequest> FakeHttpClient::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void FakeHttpClient::ClearRequests() {
  absl::MutexLock lock(&mu_);
  requests_.clear();
}

HttpClientStats FakeHttpClient::Stats() const {
  absl::MutexLock lock(&mu_);
  HttpClientStats stats;
  stats.requests = request_count_;
  stats.new_connections = request_count_ > 0 ? 1 : 0;
  return stats;
}

absl::StatusOr<HttpResponse> FakeHttpClient::Dispatch(const HttpRequest& request) {
  HM_RETURN_IF_ERROR(ValidateRequest(request));
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    ++request_count_;
    requests_.push_back(RecordedRequest{request.method, request.url, request.headers,
                                        request.authorization, std::string(request.body)});
    for (const Route& route : routes_) {
      if (route.method != request.method) continue;
      bool match = absl::EndsWith(route.pattern, "*")
                       ? absl::StartsWith(
                             request.url,
                             absl::string_view(route.pattern).substr(0, route.pattern.size() - 1))
                       : route.pattern == request.url;
      if (match) {
        handler = route.handler;
        break;
      }
    }
    if (!handler) handler = fallback_;
  }
  if (!handler) {
    return absl::UnimplementedError(absl::StrCat("FakeHttpClient: no route for ",
                                                 MethodName(request.method), " ", request.url));
  }
  HM_ASSIGN_OR_RETURN(HttpResponse response, handler(request));
  response.url = request.url;
  if (request.method == Method::kHead) response.body.clear();
  return response;
}

absl::StatusOr<HttpResponse> FakeHttpClient::Do(const HttpRequest& request) {
  HM_ASSIGN_OR_RETURN(HttpResponse response, Dispatch(request));
  if (response.body.size() > request.max_response_bytes) {
    return absl::FailedPreconditionError(absl::StrCat(MethodName(request.method), " ", request.url,
                                                      ": response body exceeds the limit of ",
                                                      request.max_response_bytes, " bytes"));
  }
  return response;
}

absl::StatusOr<HttpResponse> FakeHttpClient::Stream(const HttpRequest& request,
                                                    BodyCallback on_body) {
  HM_ASSIGN_OR_RETURN(HttpResponse response, Dispatch(request));
  if (!response.ok()) {
    if (response.body.size() > request.max_response_bytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          MethodName(request.method), " ", request.url, ": response body exceeds the limit of ",
          request.max_response_bytes, " bytes"));
    }
    return response;
  }
  size_t chunk;
  {
    absl::MutexLock lock(&mu_);
    chunk = chunk_size_;
  }
  std::string body = std::move(response.body);
  response.body.clear();
  for (size_t off = 0; off < body.size(); off += chunk) {
    if (!on_body(absl::string_view(body).substr(off, chunk))) break;
  }
  return response;
}

}  // namespace hallmark::net::testing
