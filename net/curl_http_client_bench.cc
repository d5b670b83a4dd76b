// Request rate of CurlHttpClient against an in-process cpp-httplib server on loopback, with and
// without connection reuse. The `conns/req` counter shows keep-alive at work (~0 when reused).
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "httplib.h"
#include "net/curl_http_client.h"
#include "net/testing/http_test_server.h"

namespace hallmark::net {
namespace {

std::unique_ptr<testing::HttpTestServer> StartServer(size_t body_size) {
  auto server = std::make_unique<httplib::Server>();
  std::string body(body_size, 'x');
  server->Get("/blob", [body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/octet-stream");
  });
  auto running = testing::HttpTestServer::Start(std::move(server));
  return running.ok() ? *std::move(running) : nullptr;
}

void Run(benchmark::State& state, bool reuse) {
  auto server = StartServer(static_cast<size_t>(state.range(0)));
  if (server == nullptr) {
    state.SkipWithError("server did not start");
    return;
  }
  HttpRequest req;
  req.url = server->Url("/blob");
  req.max_response_bytes = 128 << 20;
  auto shared = CurlHttpClient::New();
  uint64_t connections = 0, requests = 0;
  for (auto _ : state) {
    std::unique_ptr<CurlHttpClient> fresh;
    HttpClient* client = shared->get();
    if (!reuse) {
      fresh = *CurlHttpClient::New();
      client = fresh.get();
    }
    auto resp = client->Do(req);
    if (!resp.ok() || resp->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
    benchmark::DoNotOptimize(resp->body.data());
    if (!reuse) {
      connections += fresh->Stats().new_connections;
      ++requests;
    }
  }
  if (reuse) {
    connections = (*shared)->Stats().new_connections;
    requests = (*shared)->Stats().requests;
  }
  state.counters["conns/req"] =
      requests == 0 ? 0 : static_cast<double>(connections) / static_cast<double>(requests);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  shared->reset();
}

void BM_GetKeepAlive(benchmark::State& state) { Run(state, /*reuse=*/true); }
void BM_GetNewConnection(benchmark::State& state) { Run(state, /*reuse=*/false); }

BENCHMARK(BM_GetKeepAlive)->Arg(128)->Arg(4 << 20)->UseRealTime();
BENCHMARK(BM_GetNewConnection)->Arg(128)->UseRealTime();

}  // namespace
}  // namespace hallmark::net

BENCHMARK_MAIN();
