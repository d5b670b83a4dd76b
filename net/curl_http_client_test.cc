// CurlHttpClient against a real cpp-httplib server on 127.0.0.1 (plain HTTP; TLS is in
// curl_http_client_tls_test.cc).
#include "net/curl_http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/testing/http_test_server.h"

namespace hallmark::net {
namespace {

using ::hallmark::net::testing::HttpTestServer;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "Bearer s3cr3t-t0ken-value";

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.method = Method::kGet;
  r.url = std::move(url);
  r.timeout = absl::Seconds(10);
  return r;
}

std::unique_ptr<CurlHttpClient> NewClient(CurlHttpClientOptions options = {}) {
  auto client = CurlHttpClient::New(std::move(options));
  EXPECT_THAT(client, IsOk());
  return client.ok() ? *std::move(client) : nullptr;
}

// A TCP socket that listens but never accepts or answers: connects succeed (kernel backlog),
// requests are never answered.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BlackHole() { close(fd_); }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

 private:
  int fd_;
  int port_;
};

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void StartServer() { ASSERT_OK_AND_ASSIGN(running_, HttpTestServer::Start(std::move(server_))); }
  void TearDown() override {
    release_.Notify();  // unblock handlers that wait
    client_.reset();
    running_.reset();
  }

  std::unique_ptr<httplib::Server> server_ = std::make_unique<httplib::Server>();
  std::unique_ptr<HttpTestServer> running_;
  std::unique_ptr<CurlHttpClient> client_ = NewClient();
  absl::Notification release_;
};

TEST_F(CurlHttpClientTest, GetReturnsStatusMultiValuedHeadersAndBody) {
  server_->Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"https://auth.example/token\"");
    res.set_header("www-authenticate", "Basic realm=\"registry\"");
    res.set_header("Docker-Distribution-API-Version", "registry/2.0");
    res.set_content("{\"errors\":[]}", "application/json");
  });
  StartServer();
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client_->Do(Get(running_->Url("/v2/"))));
  EXPECT_EQ(resp.status, 401);  // a status is data, not an error
  EXPECT_FALSE(resp.ok());
  EXPECT_EQ(resp.body, "{\"errors\":[]}");
  EXPECT_THAT(
      resp.headers.GetAll("Www-Authenticate"),
      ElementsAre("Bearer realm=\"https://auth.example/token\"", "Basic realm=\"registry\""));
  EXPECT_EQ(resp.headers.Get("DOCKER-DISTRIBUTION-API-VERSION"), "registry/2.0");
  EXPECT_EQ(resp.headers.Get("content-type"), "application/json");
  EXPECT_EQ(resp.url, running_->Url("/v2/"));
}

TEST_F(CurlHttpClientTest, MethodsBodiesAndHeadersReachTheServer) {
  struct Seen {
    std::string method, body, content_type, content_length, authorization, expect, custom;
  };
  absl::Mutex mu;
  std::vector<Seen> seen;
  auto record = [&](const httplib::Request& req, httplib::Response& res) {
    absl::MutexLock lock(&mu);
    seen.push_back(Seen{req.method, req.body, req.get_header_value("Content-Type"),
                        req.get_header_value("Content-Length"),
                        req.get_header_value("Authorization"), req.get_header_value("Expect"),
                        req.get_header_value("X-Custom")});
    res.status = 202;
    res.set_header("Location", "/v2/app/blobs/uploads/1");
  };
  server_->Post("/up", record);
  server_->Put("/up", record);
  server_->Patch("/up", record);
  server_->Delete("/up", record);
  StartServer();

  const std::string big(2 << 20, 'b');  // > 1 KiB: curl would otherwise send Expect: 100-continue
  HttpRequest req = Get(running_->Url("/up"));
  req.authorization = SecretData(kToken);
  req.headers.Add("X-Custom", "v");

  req.method = Method::kPost;  // empty POST: the registry's "start upload"
  ASSERT_OK_AND_ASSIGN(HttpResponse r1, client_->Do(req));
  EXPECT_EQ(r1.status, 202);
  EXPECT_EQ(r1.headers.Get("Location"), "/v2/app/blobs/uploads/1");

  req.method = Method::kPut;
  req.body = big;
  req.headers.Add("Content-Type", "application/octet-stream");
  ASSERT_THAT(client_->Do(req), IsOk());

  req.method = Method::kPatch;
  req.body = "chunk";
  ASSERT_THAT(client_->Do(req), IsOk());

  req.method = Method::kDelete;
  req.body = "";
  req.headers = Headers{};
  req.authorization = SecretData();
  ASSERT_THAT(client_->Do(req), IsOk());

  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, "");
  EXPECT_EQ(seen[0].content_length, "0");
  EXPECT_EQ(seen[0].content_type, "");  // not curl's form-urlencoded default
  EXPECT_EQ(seen[0].authorization, kToken);
  EXPECT_EQ(seen[0].custom, "v");
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body.size(), big.size());
  EXPECT_EQ(seen[1].body, big);
  EXPECT_EQ(seen[1].content_type, "application/octet-stream");
  EXPECT_EQ(seen[1].expect, "");
  EXPECT_EQ(seen[2].method, "PATCH");
  EXPECT_EQ(seen[2].body, "chunk");
  EXPECT_EQ(seen[3].method, "DELETE");
  EXPECT_EQ(seen[3].authorization, "");
}

TEST_F(CurlHttpClientTest, HeadIgnoresDeclaredLengthOverTheLimit) {
  server_->Get("/blob", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Docker-Content-Digest", "sha256:abc");
    if (req.method == "HEAD") {
      res.set_header("Content-Length", std::to_string(200 << 20));
      return;
    }
    res.set_content("x", "application/octet-stream");
  });
  StartServer();
  HttpRequest req = Get(running_->Url("/blob"));
  req.method = Method::kHead;
  req.max_response_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client_->Do(req));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "");
  EXPECT_EQ(resp.headers.Get("Docker-Content-Digest"), "sha256:abc");
}

TEST_F(CurlHttpClientTest, KeepAliveReusesOneConnection) {
  server_->Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("pong", "text/plain");
  });
  StartServer();
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResponse resp, client_->Do(Get(running_->Url("/ping"))));
    ASSERT_EQ(resp.body, "pong");
  }
  HttpClientStats stats = client_->Stats();
  EXPECT_EQ(stats.requests, 50u);
  EXPECT_EQ(stats.new_connections, 1u);
}

TEST_F(CurlHttpClientTest, ConcurrentCallersUseSeparateHandles) {
  std::atomic<int> in_flight{0}, max_in_flight{0};
  server_->Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    int now = ++in_flight;
    int prev = max_in_flight.load();
    while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --in_flight;
    res.set_content("ok", "text/plain");
  });
  StartServer();
  constexpr int kThreads = 4, kEach = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto resp = client_->Do(Get(running_->Url("/slow")));
        if (resp.ok() && resp->body == "ok") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_GT(max_in_flight.load(), 1);  // really concurrent, not serialised on one handle
  HttpClientStats stats = client_->Stats();
  EXPECT_EQ(stats.requests, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_LE(stats.new_connections, static_cast<uint64_t>(kThreads));
}

TEST_F(CurlHttpClientTest, ResponseLimitAbortsChunkedTransferMidStream) {
  std::atomic<uint64_t> produced{0};
  server_->Get("/huge", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/octet-stream",
                                     [&](size_t, httplib::DataSink& sink) {
                                       static const std::string chunk(64 << 10, 'z');
                                       if (produced >= (256u << 20)) {
                                         sink.done();
                                         return true;
                                       }
                                       if (!sink.write(chunk.data(), chunk.size())) return false;
                                       produced += chunk.size();
                                       return true;
                                     });
  });
  StartServer();
  HttpRequest req = Get(running_->Url("/huge"));
  req.max_response_bytes = 1 << 20;
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("exceeds the limit of 1048576 bytes")));
  // The server could only push what the socket buffers absorbed before the client hung up.
  running_->Stop();
  EXPECT_LT(produced.load(), 32u << 20);
}

TEST_F(CurlHttpClientTest, ResponseLimitRefusesDeclaredLengthBeforeReading) {
  server_->Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(3 << 20, 'q'), "application/octet-stream");
  });
  server_->Get("/exact", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(1 << 20, 'q'), "application/octet-stream");
  });
  StartServer();
  HttpRequest req = Get(running_->Url("/big"));
  req.max_response_bytes = 1 << 20;
  EXPECT_THAT(client_->Do(req),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exceeds the limit")));
  req.url = running_->Url("/exact");
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client_->Do(req));
  EXPECT_EQ(resp.body.size(), 1u << 20);
}

TEST_F(CurlHttpClientTest, DeadlineOnStalledServer) {
  BlackHole hole;
  HttpRequest req = Get(hole.Url("/v2/app/manifests/v1?token=qs-secret"));
  req.timeout = absl::Milliseconds(300);
  req.authorization = SecretData(kToken);
  absl::Time start = absl::Now();
  auto resp = client_->Do(req);
  absl::Duration took = absl::Now() - start;
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kDeadlineExceeded,
                             HasSubstr("GET " + hole.Url("/v2/app/manifests/v1"))));
  EXPECT_THAT(std::string(resp.status().message()), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(std::string(resp.status().message()), Not(HasSubstr("qs-secret")));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_F(CurlHttpClientTest, IdleTimeoutOnServerThatStopsSending) {
  server_->Get("/trickle", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t offset, httplib::DataSink& sink) {
      if (offset == 0) return sink.write("first\n", 6);
      release_.WaitForNotificationWithTimeout(absl::Seconds(20));
      return false;
    });
  });
  StartServer();
  HttpRequest req = Get(running_->Url("/trickle"));
  req.timeout = absl::Seconds(60);
  req.idle_timeout = absl::Milliseconds(500);
  std::string got;
  absl::Time start = absl::Now();
  auto resp = client_->Stream(req, [&](absl::string_view chunk) {
    absl::StrAppend(&got, chunk);
    return true;
  });
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("idle timeout")));
  EXPECT_EQ(got, "first\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(CurlHttpClientTest, StreamDeliversChunksAsTheyArrive) {
  std::atomic<int> sent{0};
  server_->Get("/watch", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
      if (sent == 5) {
        sink.done();
        return true;
      }
      std::string line = absl::StrCat("{\"type\":\"ADDED\",\"n\":", sent.load(), "}\n");
      if (!sink.write(line.data(), line.size())) return false;
      ++sent;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return true;
    });
  });
  StartServer();
  HttpRequest req = Get(running_->Url("/watch"));
  std::string got;
  std::vector<int> sent_when_received;
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client_->Stream(req, [&](absl::string_view chunk) {
    absl::StrAppend(&got, chunk);
    sent_when_received.push_back(sent.load());
    return true;
  }));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "");  // 2xx bodies go to the callback only
  EXPECT_EQ(
      got,
      "{\"type\":\"ADDED\",\"n\":0}\n{\"type\":\"ADDED\",\"n\":1}\n{\"type\":\"ADDED\",\"n\":2}"
      "\n{\"type\":\"ADDED\",\"n\":3}\n{\"type\":\"ADDED\",\"n\":4}\n");
  // Incremental: the first bytes were delivered while the server still had lines to send.
  ASSERT_FALSE(sent_when_received.empty());
  EXPECT_LT(sent_when_received.front(), 5);
  EXPECT_GE(sent_when_received.size(), 3u);
}

TEST_F(CurlHttpClientTest, StreamStopsWhenCallbackReturnsFalse) {
  std::atomic<bool> server_saw_close{false};
  server_->Get("/endless", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "application/json",
        [&](size_t, httplib::DataSink& sink) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          if (!sink.write("{\"type\":\"BOOKMARK\"}\n", 20)) {
            server_saw_close = true;
            return false;
          }
          return !release_.HasBeenNotified();
        },
        [&](bool) {});
  });
  StartServer();
  int chunks = 0;
  absl::Time start = absl::Now();
  HttpRequest req = Get(running_->Url("/endless"));
  req.timeout = absl::Seconds(60);
  ASSERT_OK_AND_ASSIGN(HttpResponse resp,
                       client_->Stream(req, [&](absl::string_view) { return ++chunks < 3; }));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(chunks, 3);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // The connection was closed, so the server's next write failed.
  for (int i = 0; i < 200 && !server_saw_close; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(server_saw_close);
}

TEST_F(CurlHttpClientTest, StreamBuffersNon2xxBody) {
  server_->Get("/gone", [](const httplib::Request&, httplib::Response& res) {
    res.status = 410;
    res.set_content("{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}",
                    "application/json");
  });
  StartServer();
  bool called = false;
  ASSERT_OK_AND_ASSIGN(HttpResponse resp,
                       client_->Stream(Get(running_->Url("/gone")), [&](absl::string_view) {
                         called = true;
                         return true;
                       }));
  EXPECT_EQ(resp.status, 410);
  EXPECT_FALSE(called);
  EXPECT_THAT(resp.body, HasSubstr("Expired"));
}

TEST_F(CurlHttpClientTest, CancelAbortsAStalledStream) {
  BlackHole hole;
  absl::Notification cancel;
  HttpRequest req = Get(hole.Url("/watch"));
  req.timeout = absl::Seconds(60);
  req.cancel = &cancel;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(200));
    cancel.Notify();
  });
  absl::Time start = absl::Now();
  auto resp = client_->Stream(req, [](absl::string_view) { return true; });
  canceller.join();
  EXPECT_THAT(resp, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsUnavailableWithRedactedUrl) {
  int port;
  {
    BlackHole closed;  // bound then closed: nothing listens there any more
    port = std::stoi(closed.Url("").substr(std::string("http://127.0.0.1:").size()));
  }
  HttpRequest req = Get(absl::StrCat("http://user:pw-secret@127.0.0.1:", port, "/v2/?sig=abc"));
  req.authorization = SecretData(kToken);
  auto resp = client_->Do(req);
  EXPECT_THAT(resp,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("GET http://127.0.0.1:", port, "/v2/?<redacted>"))));
  std::string message(resp.status().message());
  EXPECT_THAT(message, Not(HasSubstr("pw-secret")));
  EXPECT_THAT(message, Not(HasSubstr("sig=abc")));
  EXPECT_THAT(message, Not(HasSubstr("s3cr3t")));
}

TEST_F(CurlHttpClientTest, RedirectsAreReturnedNotFollowed) {
  std::atomic<int> target_hits{0};
  server_->Get("/moved", [](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/target");
  });
  server_->Get("/target", [&](const httplib::Request&, httplib::Response& res) {
    ++target_hits;
    res.set_content("t", "text/plain");
  });
  StartServer();
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client_->Do(Get(running_->Url("/moved"))));
  EXPECT_EQ(resp.status, 307);
  EXPECT_EQ(resp.headers.Get("Location"), "/target");
  EXPECT_EQ(target_hits.load(), 0);
}

TEST_F(CurlHttpClientTest, OversizedResponseHeadersAreRefused) {
  server_->Get("/headers", [](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 40; ++i) res.set_header(absl::StrCat("X-Pad-", i), std::string(8000, 'h'));
  });
  StartServer();
  EXPECT_THAT(client_->Do(Get(running_->Url("/headers"))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("headers exceed")));
}

TEST_F(CurlHttpClientTest, InvalidRequestsAreRefusedBeforeSending) {
  server_->Get("/x", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  StartServer();
  HttpRequest req = Get(running_->Url("/x"));
  req.headers.Add("Authorization", "Bearer leaked");
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("put credentials in `authorization`")));
  req = Get(running_->Url("/x"));
  req.headers.Add("X-Evil", "a\r\nInjected: 1");
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CR")));
  req = Get(running_->Url("/x"));
  req.body = "body";
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body")));
  req = Get("file:///etc/passwd");
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kInvalidArgument));
  req = Get(running_->Url("/x"));
  req.timeout = absl::InfiniteDuration();
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
  req = Get(running_->Url("/x"));
  req.authorization = SecretData("Bearer a\nb");
  EXPECT_THAT(client_->Do(req), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(client_->Stats().requests, 0u);
}

// Environment proxies apply to other hosts, never to loopback.
TEST_F(CurlHttpClientTest, EnvironmentProxyIsUsedExceptForLoopback) {
  std::atomic<int> proxied{0};
  std::string proxied_target;
  auto proxy_server = std::make_unique<httplib::Server>();
  proxy_server->Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    ++proxied;
    proxied_target = req.target;
    res.set_content("via proxy", "text/plain");
  });
  ASSERT_OK_AND_ASSIGN(auto proxy, HttpTestServer::Start(std::move(proxy_server)));
  server_->Get("/direct", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("direct", "text/plain");
  });
  StartServer();

  setenv("http_proxy", proxy->Url("").c_str(), 1);
  setenv("HTTPS_PROXY", proxy->Url("").c_str(), 1);
  unsetenv("NO_PROXY");
  unsetenv("no_proxy");
  auto direct = client_->Do(Get(running_->Url("/direct")));
  auto localhost = client_->Do(Get(running_->LocalhostUrl("/direct")));
  auto remote = client_->Do(Get("http://registry.example.invalid/v2/"));
  unsetenv("http_proxy");
  unsetenv("HTTPS_PROXY");

  ASSERT_OK_AND_ASSIGN(HttpResponse d, std::move(direct));
  EXPECT_EQ(d.body, "direct");
  ASSERT_OK_AND_ASSIGN(HttpResponse l, std::move(localhost));
  EXPECT_EQ(l.body, "direct");
  ASSERT_OK_AND_ASSIGN(HttpResponse r, std::move(remote));
  EXPECT_EQ(r.body, "via proxy");
  EXPECT_EQ(proxied.load(), 1);
  EXPECT_EQ(proxied_target, "http://registry.example.invalid/v2/");
  client_.reset();
}

TEST_F(CurlHttpClientTest, ExplicitProxyIsUsedForEveryUrl) {
  std::atomic<int> proxied{0};
  auto proxy_server = std::make_unique<httplib::Server>();
  proxy_server->Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++proxied;
    res.set_content("via proxy", "text/plain");
  });
  ASSERT_OK_AND_ASSIGN(auto proxy, HttpTestServer::Start(std::move(proxy_server)));
  CurlHttpClientOptions options;
  options.proxy = proxy->Url("");
  auto client = NewClient(options);
  ASSERT_NE(client, nullptr);
  ASSERT_OK_AND_ASSIGN(HttpResponse r, client->Do(Get("http://127.0.0.1:1/anything")));
  EXPECT_EQ(r.body, "via proxy");
  EXPECT_EQ(proxied.load(), 1);
}

TEST(CurlHttpClientOptionsTest, RejectsBadOptions) {
  CurlHttpClientOptions both;
  both.tls.ca_file = "/nonexistent";
  both.tls.ca_pem = "x";
  EXPECT_THAT(CurlHttpClient::New(both), StatusIs(absl::StatusCode::kInvalidArgument));
  CurlHttpClientOptions missing;
  missing.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(CurlHttpClient::New(missing), StatusIs(absl::StatusCode::kNotFound));
  CurlHttpClientOptions garbage;
  garbage.tls.ca_pem = "not a certificate";
  EXPECT_THAT(CurlHttpClient::New(garbage),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no PEM certificate")));
  CurlHttpClientOptions half;
  half.tls.client_cert_pem = "-----BEGIN CERTIFICATE-----";
  EXPECT_THAT(CurlHttpClient::New(half),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("together")));
  CurlHttpClientOptions zero;
  zero.connect_timeout = absl::ZeroDuration();
  EXPECT_THAT(CurlHttpClient::New(zero), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::net
